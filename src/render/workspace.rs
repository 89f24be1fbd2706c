//! Rendering a whole run: every cluster of every platform repository as it
//! reconciles, and every kustomization no cluster reaches, built as
//! `kustomize build` would build it.

use std::collections::HashSet;

use crate::base::ids::RepoId;
use crate::base::paths;
use crate::graph::Graph;
use crate::model::kustomization::is_kustomization;
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
    for &repo in &graph.platform_repos {
        for dir in cluster_dirs(ws, repo) {
            let rendering = render_cluster(ws, graph, repo, &dir);
            out.clusters.push(Cluster {
                repo,
                dir,
                rendering,
            });
        }
    }
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

/// `clusters/<name>` directories of a platform repository.
fn cluster_dirs(ws: &Workspace, repo: RepoId) -> Vec<String> {
    let mut dirs: Vec<String> = ws
        .files
        .iter()
        .filter(|f| f.file.repo == repo)
        .filter_map(|f| {
            let rest = f.file.rel.strip_prefix("clusters/")?;
            let (name, _) = rest.split_once('/')?;
            Some(format!("clusters/{name}"))
        })
        .collect();
    dirs.dedup();
    dirs
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
