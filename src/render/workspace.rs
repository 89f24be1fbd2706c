//! Rendering a whole run: every cluster of every platform repository as it
//! reconciles, and every kustomization no cluster reaches, built as
//! `kustomize build` would build it.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::base::ids::RepoId;
use crate::base::paths;
use crate::graph::Graph;
use crate::model::kustomization::is_kustomization;
use crate::model::objects::{KUSTOMIZE_GROUP, OPERATOR_GROUP, SELF_SOURCE};
use crate::workspace::Workspace;

use super::flux::{render_cluster, Rendering};
use super::kustomize::Builder;

/// One cluster: the directory of a platform repository it starts from.
#[derive(Debug)]
pub struct Cluster {
    pub repo: RepoId,
    /// `clusters/<name>`.
    pub dir: String,
    pub rendering: Rendering,
}

/// What every rendering of the run made.
#[derive(Debug, Default)]
pub struct Renderings {
    pub clusters: Vec<Cluster>,
    /// The kustomizations no cluster builds, each built on its own.
    pub standalone: Rendering,
}

impl Renderings {
    /// Every rendering, clusters first.
    pub fn all(&self) -> impl Iterator<Item = &Rendering> {
        self.clusters
            .iter()
            .map(|c| &c.rendering)
            .chain(std::iter::once(&self.standalone))
    }
}

/// Renders the run's clusters, then the kustomizations they do not build.
pub fn render_workspace(ws: &Workspace, graph: &Graph) -> Renderings {
    let mut out = Renderings::default();
    let entries: Vec<(RepoId, String)> = graph
        .platform_repos
        .iter()
        .flat_map(|&repo| {
            cluster_dirs(ws, repo)
                .into_iter()
                .map(move |dir| (repo, dir))
        })
        .collect();
    // Clusters render independently: in parallel.
    out.clusters = entries
        .into_par_iter()
        .map(|(repo, dir)| {
            let rendering = render_cluster(ws, graph, repo, &dir);
            Cluster {
                repo,
                dir,
                rendering,
            }
        })
        .collect();
    let built: HashSet<&(RepoId, String)> = out
        .clusters
        .iter()
        .flat_map(|c| &c.rendering.built)
        .collect();
    let roots: Vec<(RepoId, String)> = standalone_roots(ws)
        .into_iter()
        .filter(|root| !built.contains(root))
        .collect();
    let mut builder = Builder::new(ws);
    let mut objects = Vec::new();
    for (repo, dir) in roots {
        objects.extend(builder.build(repo, &dir).into_iter().map(|resource| {
            super::flux::Applied {
                resource,
                repo,
                applier: None,
            }
        }));
    }
    out.standalone = Rendering {
        objects,
        built: std::mem::take(&mut builder.built),
        steps: std::mem::take(&mut builder.steps),
        problems: std::mem::take(&mut builder.problems),
        undefined: Vec::new(),
    };
    out
}

/// Where each cluster of a platform repository starts: the path a
/// FluxInstance under `clusters/<name>/` syncs (`spec.sync.path`), or the
/// path of the `flux-system` Kustomization there (what `flux bootstrap`
/// writes), or else `clusters/<name>` itself.
fn cluster_dirs(ws: &Workspace, repo: RepoId) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let files = ws.files.iter().filter(|f| f.file.repo == repo);
    let mut by_cluster: Vec<(String, Vec<String>)> = Vec::new();
    for f in files {
        let Some(rest) = f.file.rel.strip_prefix("clusters/") else {
            continue;
        };
        let Some((name, _)) = rest.split_once('/') else {
            continue;
        };
        let dir = format!("clusters/{name}");
        if by_cluster.last().is_none_or(|(d, _)| *d != dir) {
            by_cluster.push((dir, Vec::new()));
        }
        let syncs = &mut by_cluster.last_mut().expect("pushed above").1;
        for doc in f.doc_ids() {
            let (Some(meta), Some(d)) = (f.object(doc), f.doc(doc)) else {
                continue;
            };
            let path = if meta.is(OPERATOR_GROUP, "FluxInstance") {
                d.root()
                    .path(&["spec", "sync", "path"])
                    .and_then(|p| p.as_str())
            } else if meta.is(KUSTOMIZE_GROUP, "Kustomization")
                && meta.name.as_deref() == Some(SELF_SOURCE)
            {
                d.root().path(&["spec", "path"]).and_then(|p| p.as_str())
            } else {
                None
            };
            syncs.extend(path.and_then(paths::normalize));
        }
    }
    // What clusters sync below their own directory (`systems` for
    // `clusters/dev/systems`): where a cluster whose sync points
    // elsewhere (a mistake `flux-instance` reports) would sync.
    let own_rests: Vec<String> = by_cluster
        .iter()
        .flat_map(|(dir, syncs)| {
            syncs
                .iter()
                .filter_map(move |s| s.strip_prefix(&format!("{dir}/")))
        })
        .map(str::to_string)
        .collect();
    for (dir, syncs) in by_cluster {
        let own: Vec<&String> = syncs
            .iter()
            .filter(|s| **s == dir || s.starts_with(&format!("{dir}/")))
            .collect();
        out.extend(syncs.iter().cloned());
        if !own.is_empty() {
            continue;
        }
        let has_files = |d: &str| !ws.files_under(repo, d).is_empty();
        let mirrored = own_rests
            .iter()
            .map(|rest| format!("{dir}/{rest}"))
            .find(|d| has_files(d));
        out.push(mirrored.unwrap_or(dir));
    }
    out.sort();
    out.dedup();
    out
}

/// The directories with a kustomization that no other kustomization of
/// their repository includes (as a resource, base or component).
fn standalone_roots(ws: &Workspace) -> Vec<(RepoId, String)> {
    let kustomizations: Vec<_> = ws
        .files
        .iter()
        .filter(|f| is_kustomization(&f.file.rel))
        .collect();
    let mut included: HashSet<(RepoId, String)> = HashSet::new();
    for k in &kustomizations {
        let dir = paths::parent(&k.file.rel);
        let Some(doc) = k.stream.docs.first() else {
            continue;
        };
        for field in ["resources", "bases", "components"] {
            for entry in doc.root().get(field).into_iter().flat_map(|l| l.items()) {
                if let Some(target) = entry.as_str().and_then(|e| paths::join(dir, e)) {
                    included.insert((k.file.repo, target));
                }
            }
        }
    }
    let is_component = |k: &&&crate::workspace::load::ParsedFile| {
        k.stream
            .docs
            .first()
            .and_then(|d| d.root().get("kind"))
            .and_then(|n| n.as_str())
            == Some("Component")
    };
    let mut roots: Vec<(RepoId, String)> = kustomizations
        .iter()
        .filter(|k| !is_component(k))
        .map(|k| (k.file.repo, paths::parent(&k.file.rel).to_string()))
        .filter(|root| !included.contains(root))
        .collect();
    roots.dedup();
    roots
}
