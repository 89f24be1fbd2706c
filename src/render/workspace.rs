//! Rendering a whole run: every cluster of every platform repository as it
//! reconciles, and every kustomization no cluster reaches, built as
//! `kustomize build` would build it.

use std::collections::HashSet;

use crate::base::hash::{FastMap, FastSet};

use rayon::prelude::*;

use crate::base::ids::{DocId, FileId, RepoId};
use crate::base::paths;
use crate::graph::Graph;
use crate::model::kustomization::is_kustomization;
use crate::model::objects::{
    makes_secrets, secrets_made_by, ObjectMeta, HELM_GROUP, KUSTOMIZE_GROUP, OPERATOR_GROUP,
    SELF_SOURCE, SOURCE_GROUP,
};
use crate::workspace::load::ParsedFile;
use crate::workspace::Workspace;
use crate::yaml::NodeRef;

use super::flux::{render_cluster, Rendering};
use super::kustomize::{Builder, ProblemKind};

/// One cluster: the directory of a platform repository it starts from.
#[derive(Debug)]
pub struct Cluster {
    pub repo: RepoId,
    /// `clusters/<name>`.
    pub dir: String,
    /// The environment of the cluster's directory.
    pub env: Option<String>,
    pub rendering: Rendering,
    /// What the cluster holds, by group and kind: (namespace, name).
    pub index: FastMap<(String, String), FastSet<(String, String)>>,
    /// The namespaces its HelmReleases install into: a chart's objects,
    /// not rendered, may be there.
    pub helm_namespaces: HashSet<String>,
}

impl Cluster {
    /// Whether the rendering knows everything the cluster applies: every
    /// Kustomization followed, nothing remote or unrendered. (A build
    /// kustomize refuses applies nothing: what it would have held is
    /// truly missing.)
    pub fn is_complete(&self) -> bool {
        self.rendering.unfollowed == 0
            && !self
                .rendering
                .problems
                .iter()
                .any(|p| matches!(p.kind, ProblemKind::NotFetched | ProblemKind::NotRendered))
    }

    /// Whether the cluster holds `group/kind` `namespace/name` (any
    /// namespace when `None`).
    pub fn holds(&self, group: &str, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        let Some(names) = self.index.get(&(group.to_string(), kind.to_string())) else {
            return false;
        };
        match namespace {
            Some(ns) => names.contains(&(ns.to_string(), name.to_string())),
            None => names.iter().any(|(_, n)| n == name),
        }
    }
}

/// The namespaces a rendering's HelmReleases install into.
fn helm_namespaces(rendering: &Rendering) -> HashSet<String> {
    let releases = rendering
        .objects
        .iter()
        .map(|a| &a.resource)
        .filter(|r| r.group() == HELM_GROUP && r.kind() == "HelmRelease");
    releases
        .map(|r| {
            let target = r.root.str_at(&["spec", "targetNamespace"]);
            target.or(r.namespace()).unwrap_or("default").to_string()
        })
        .collect()
}

/// What a cluster holds, by group and kind; a FluxInstance also holds the
/// GitRepository (or OCIRepository) and Kustomization its `spec.sync`
/// creates, and an object that makes Secrets (an ExternalSecret…) the
/// Secrets it makes.
fn index_of(rendering: &Rendering) -> FastMap<(String, String), FastSet<(String, String)>> {
    let mut index: FastMap<(String, String), FastSet<(String, String)>> = FastMap::default();
    let mut add = |group: &str, kind: &str, ns: &str, name: &str| {
        index
            .entry((group.to_string(), kind.to_string()))
            .or_default()
            .insert((ns.to_string(), name.to_string()));
    };
    for applied in &rendering.objects {
        let r = &applied.resource;
        let ns = r.namespace().unwrap_or("");
        add(r.group(), r.kind(), ns, r.name());
        if makes_secrets(r.group(), r.kind()) {
            for name in secrets_made_by(r.group(), r.kind(), &r.root.to_json()) {
                add("", "Secret", ns, &name);
            }
        }
        if r.group() == OPERATOR_GROUP && r.kind() == "FluxInstance" {
            let sync = r.root.path(&["spec", "sync"]);
            let name = sync.and_then(|s| s.str_at(&["name"])).unwrap_or(ns);
            let kind = sync
                .and_then(|s| s.str_at(&["kind"]))
                .unwrap_or("GitRepository");
            add(SOURCE_GROUP, kind, ns, name);
            add(KUSTOMIZE_GROUP, "Kustomization", ns, name);
        }
    }
    index
}

/// What every rendering of the run made.
#[derive(Debug, Default)]
pub struct Renderings {
    pub clusters: Vec<Cluster>,
    /// The kustomizations no cluster builds, each built on its own.
    pub standalone: Rendering,
    /// The written documents some rendering holds an object of: checked
    /// as rendered, not as written.
    pub covered: FastSet<(FileId, DocId)>,
    /// Files some build reads as patches: partial objects, never checked
    /// as whole ones.
    pub patches: HashSet<FileId>,
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
    let mut entries: Vec<(RepoId, String)> = graph
        .platform_repos
        .iter()
        .flat_map(|&repo| {
            cluster_dirs(ws, repo)
                .into_iter()
                .map(move |dir| (repo, dir))
        })
        .collect();
    entries.extend(sync_paths(ws, &graph.platform_repos));
    // Clusters render independently: in parallel.
    out.clusters = entries
        .into_par_iter()
        .map(|(repo, dir)| {
            let rendering = render_cluster(ws, graph, repo, &dir);
            let env = ws
                .files_under(repo, &dir)
                .first()
                .and_then(|f| graph.env_of(f.id))
                .map(String::from);
            Cluster {
                repo,
                dir,
                env,
                index: index_of(&rendering),
                helm_namespaces: helm_namespaces(&rendering),
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
        patch_files: std::mem::take(&mut builder.patch_files),
        unfollowed: 0,
    };
    out.covered = covered_documents(ws, out.all());
    out.patches = out
        .all()
        .flat_map(|r| r.patch_files.iter().copied())
        .collect();
    out
}

/// The written documents the renderings hold an object of (a generated
/// object is written nowhere).
fn covered_documents<'r>(
    ws: &Workspace,
    renderings: impl Iterator<Item = &'r Rendering>,
) -> FastSet<(FileId, DocId)> {
    let mut covered = FastSet::default();
    for applied in renderings.flat_map(|r| &r.objects) {
        let resource = &applied.resource;
        if resource.generated.is_some() {
            continue;
        }
        if let Some(doc) = document_at(ws.file(resource.file), resource.root.origin.offset()) {
            covered.insert((resource.file, doc));
        }
    }
    covered
}

/// The document of `file` that byte `offset` falls in.
pub fn document_at(file: &ParsedFile, offset: usize) -> Option<DocId> {
    let docs = &file.stream.docs;
    let i = docs.partition_point(|d| d.span.end.offset < offset);
    let doc = docs.get(i)?;
    (doc.span.start.offset <= offset).then(|| DocId::new(i))
}

/// Where the clusters of the other repositories start: the path of each
/// `flux-system` Kustomization (what `flux bootstrap` writes) and of each
/// FluxInstance's `spec.sync`, wherever it is written.
fn sync_paths(ws: &Workspace, platform_repos: &[RepoId]) -> Vec<(RepoId, String)> {
    let mut out: Vec<(RepoId, String)> = Vec::new();
    for f in ws
        .files
        .iter()
        .filter(|f| !platform_repos.contains(&f.file.repo))
    {
        for doc in f.doc_ids() {
            let (Some(meta), Some(d)) = (f.object(doc), f.doc(doc)) else {
                continue;
            };
            out.extend(sync_path(meta, d.root()).map(|p| (f.file.repo, p)));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The path a FluxInstance or a `flux-system` Kustomization syncs.
fn sync_path(meta: &ObjectMeta, root: NodeRef<'_>) -> Option<String> {
    let path = if meta.is(OPERATOR_GROUP, "FluxInstance") {
        root.path(&["spec", "sync", "path"])
    } else if meta.is(KUSTOMIZE_GROUP, "Kustomization") && meta.name.as_deref() == Some(SELF_SOURCE)
    {
        root.path(&["spec", "path"])
    } else {
        None
    };
    path.and_then(|p| p.as_str()).and_then(paths::normalize)
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
            syncs.extend(sync_path(meta, d.root()));
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
    let is_component = |k: &&&ParsedFile| {
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
