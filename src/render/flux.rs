//! What kustomize-controller does around a kustomize build, and a cluster
//! reconciling from its entry point.
//!
//! For one Flux Kustomization, kustomize-controller takes the
//! kustomization at `spec.path` (or generates one listing every manifest
//! there), writes the Kustomization's own `targetNamespace`, `namePrefix`,
//! `nameSuffix`, `patches`, `components` and `images` into it, builds it,
//! sets `spec.commonMetadata` on every object, and substitutes the
//! post-build variables. [`Builder::build_flux`] does the same, so the
//! Flux fields keep their own origins (the parent's file, line and column).
//!
//! [`render_cluster`] starts from a cluster's directory (what the
//! `flux-system` Kustomization applies), and renders every Flux
//! Kustomization among the results in turn, from the repository its
//! `sourceRef` names: a breadth-first walk, each Kustomization once.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crate::base::ids::{RepoId, StepId};
use crate::base::paths;
use crate::graph::Graph;
use crate::model::objects::{KUSTOMIZE_GROUP, SELF_SOURCE};
use crate::workspace::Workspace;

use super::kustomize::{Builder, Problem, ProblemKind, Step, StepKind, StepNote};
use super::resource::Resource;
use super::substitute::{self, Undefined, Var, Vars};
use super::tree::{Node, Origin, Value};
use crate::base::ids::IdVec;

/// One object of a rendered cluster, and who applies it.
#[derive(Debug, Clone)]
pub struct Applied {
    pub resource: Resource,
    /// The repository it was built from.
    pub repo: RepoId,
    /// The Flux Kustomization (an index into [`Rendering::objects`]) that
    /// applies it; `None` for the cluster's entry.
    pub applier: Option<usize>,
}

/// Everything one cluster applies.
#[derive(Debug, Default)]
pub struct Rendering {
    pub objects: Vec<Applied>,
    /// Every directory built.
    pub built: Vec<(RepoId, String)>,
    pub steps: IdVec<StepId, Step>,
    pub problems: Vec<Problem>,
    /// Placeholders with no value, and the Kustomization whose
    /// substitution met them.
    pub undefined: Vec<(Undefined, usize)>,
    /// Files read as patches.
    pub patch_files: HashSet<crate::base::ids::FileId>,
    /// Flux Kustomizations whose source is not in the run: what they
    /// apply is unknown.
    pub unfollowed: usize,
}

/// More objects than this in one cluster stops the walk (with a problem):
/// a bound on what a runaway recursion can make.
const MAX_OBJECTS: usize = 1_000_000;

impl Builder<'_> {
    /// What the Flux Kustomization `ks` (its rendered object) applies from
    /// `dir` of `repo`, before post-build substitution.
    pub fn build_flux(&mut self, repo: RepoId, dir: &str, ks: &Node) -> Vec<Resource> {
        let at = ks.path(&["spec", "path"]).map_or(ks.origin, |n| n.origin);
        let Some(mut k) = self.kustomization_at(repo, dir, at) else {
            return Vec::new();
        };
        if let Some(spec) = ks.get("spec") {
            overlay(&mut k, spec);
        }
        let mut out = self.build_tree(repo, dir, &k, at);
        if let Some(meta) = ks.path(&["spec", "commonMetadata"]) {
            self.common_metadata(meta, &mut out);
        }
        out
    }

    /// `spec.commonMetadata`: labels and annotations on every object's
    /// metadata (not on templates).
    fn common_metadata(&mut self, meta: &Node, out: &mut [Resource]) {
        let step = self.step(StepKind::Labels, meta.origin);
        for field in ["labels", "annotations"] {
            let Some(pairs) = meta.get(field) else {
                continue;
            };
            for r in out.iter_mut() {
                let target = r
                    .root
                    .child_map("metadata", pairs.origin.by(step))
                    .child_map(field, pairs.origin.by(step));
                for e in pairs.entries() {
                    let mut value = e.value.clone();
                    value.mark(step);
                    target.set(&e.key, value, e.key_origin.by(step));
                }
            }
        }
    }
}

/// Writes a Flux Kustomization's build fields into the kustomization, as
/// kustomize-controller does before building.
fn overlay(k: &mut Node, spec: &Node) {
    for (flux, kustomize) in [
        ("targetNamespace", "namespace"),
        ("namePrefix", "namePrefix"),
        ("nameSuffix", "nameSuffix"),
    ] {
        if let Some(e) = spec.entry(flux).filter(|e| e.value.as_str().is_some()) {
            k.set(kustomize, e.value.clone(), e.key_origin);
        }
    }
    for field in [
        "patches",
        "components",
        "patchesStrategicMerge",
        "patchesJson6902",
    ] {
        if let Some(e) = spec.entry(field).filter(|e| e.value.is_seq()) {
            append(k, field, e.value.items(), e.key_origin);
        }
    }
    for image in spec.get("images").map(Node::items).unwrap_or(&[]) {
        merge_image(k, image);
    }
}

fn append(k: &mut Node, field: &str, items: &[Node], origin: Origin) {
    if !k.get(field).is_some_and(Node::is_seq) {
        k.set(field, Node::new(Value::Seq(Vec::new()), origin), origin);
    }
    if let Some(Node {
        value: Value::Seq(list),
        ..
    }) = k.get_mut(field)
    {
        list.extend(items.iter().cloned());
    }
}

/// A Flux `images` entry updates the kustomization's entry of the same
/// name, or is added.
fn merge_image(k: &mut Node, image: &Node) {
    let name = image.str_at(&["name"]);
    let existing = k.get_mut("images").map(Node::items_mut).and_then(|items| {
        items
            .iter_mut()
            .find(|i| i.str_at(&["name"]) == name && name.is_some())
    });
    match existing {
        Some(entry) => {
            if let Some(n) = image.get("newName").filter(|n| n.as_str().is_some()) {
                entry.set("newName", n.clone(), n.origin);
            }
            if image.str_at(&["newTag"]).is_some() || image.str_at(&["digest"]).is_some() {
                for f in ["newTag", "digest"] {
                    match image.get(f) {
                        Some(v) => entry.set(f, v.clone(), v.origin),
                        None => {
                            entry.remove(f);
                        }
                    }
                }
            }
        }
        None => append(k, "images", std::slice::from_ref(image), image.origin),
    }
}

/// One Kustomization waiting to be rendered.
struct Job {
    applier: Option<usize>,
    repo: RepoId,
    dir: String,
    /// Times it was put back to wait for a variable source.
    waited: usize,
}

/// Renders what a cluster applies, starting from `dir` of `repo` (the
/// `flux-system` Kustomization's path).
pub fn render_cluster(ws: &Workspace, graph: &Graph, repo: RepoId, dir: &str) -> Rendering {
    let mut builder = Builder::new(ws);
    let mut out = Rendering::default();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut sources = VarSources::default();
    let mut queue = VecDeque::new();
    match sync_kustomization(ws, repo, dir) {
        // The entry applies itself: it is rendered as its own
        // Kustomization (patches, variables) would render it.
        Some(sync) => {
            seen.extend(flux_kustomization(&sync));
            out.objects.push(Applied {
                resource: sync,
                repo,
                applier: None,
            });
            queue.push_back(Job {
                applier: Some(0),
                repo,
                dir: dir.to_string(),
                waited: 0,
            });
        }
        None => queue.push_back(Job {
            applier: None,
            repo,
            dir: dir.to_string(),
            waited: 0,
        }),
    }
    while let Some(job) = queue.pop_front() {
        if out.objects.len() > MAX_OBJECTS {
            let at = out.objects[0].resource.root.origin;
            builder.problem(
                at,
                ProblemKind::Refused,
                "the cluster renders more than a million objects; stopped",
            );
            break;
        }
        let ks = job.applier.map(|i| out.objects[i].resource.root.clone());
        let rendered = |kind: &str, namespace: &str, name: &str| {
            sources.get(&out.objects, kind, namespace, name)
        };
        let waiting = ks.as_ref().is_some_and(|ks| !sources_found(ks, &rendered));
        if waiting && job.waited < 2 && !queue.is_empty() {
            queue.push_back(Job {
                waited: job.waited + 1,
                ..job
            });
            continue;
        }
        let mut built = match &ks {
            Some(ks) => builder.build_flux(job.repo, &job.dir, ks),
            None => builder.build_path(job.repo, &job.dir),
        };
        if let Some(ks) = &ks {
            // What the cluster rendered so far, else what this build adds.
            let find = |kind: &str, namespace: &str, name: &str| {
                rendered(kind, namespace, name)
                    .or_else(|| built.iter().find(|r| is_source(r, kind, namespace, name)))
            };
            let vars = collect_vars(ks, &find);
            if let Some(vars) = vars {
                let at = ks
                    .path(&["spec", "postBuild"])
                    .map_or(ks.origin, |n| n.origin);
                // One step per variable, so that a finding on a value
                // names the variable and where it was set.
                let mut steps: HashMap<&str, StepId> = HashMap::new();
                let mut defaults = None;
                let mut step_for = |name: Option<&str>| -> StepId {
                    match name.and_then(|n| vars.vars.get_key_value(n)) {
                        Some((name, var)) => *steps.entry(name).or_insert_with(|| {
                            let note = StepNote {
                                value: format!(
                                    "`${{{name}}}` is `{}`",
                                    var.value.as_deref().unwrap_or("")
                                ),
                                source: var.source.to_string(),
                            };
                            builder.noted_step(StepKind::Substitution, var.origin, note)
                        }),
                        None => *defaults
                            .get_or_insert_with(|| builder.step(StepKind::Substitution, at)),
                    }
                };
                for u in substitute::substitute(&mut built, &vars, &mut step_for) {
                    out.undefined.push((u, job.applier.unwrap_or(0)));
                }
            }
        }
        let own = job
            .applier
            .and_then(|i| flux_kustomization(&out.objects[i].resource));
        for resource in built {
            let id = flux_kustomization(&resource);
            if let (Some(i), true) = (job.applier, id.is_some() && id == own) {
                // The Kustomization applying itself (`flux-system`).
                out.objects[i].resource = resource;
                continue;
            }
            let index = out.objects.len();
            let child = id.filter(|id| seen.insert(id.clone()));
            let next = match child {
                Some(_) => follow(&mut builder, graph, &resource, repo),
                None => Next::Nothing,
            };
            if matches!(next, Next::Unknown) {
                out.unfollowed += 1;
            }
            sources.add(&resource, index);
            out.objects.push(Applied {
                resource,
                repo: job.repo,
                applier: job.applier,
            });
            if let Next::Build(child_repo, child_dir) = next {
                queue.push_back(Job {
                    applier: Some(index),
                    repo: child_repo,
                    dir: child_dir,
                    waited: 0,
                });
            }
        }
    }
    out.steps = std::mem::take(&mut builder.steps);
    out.problems = std::mem::take(&mut builder.problems);
    out.built = std::mem::take(&mut builder.built);
    out.patch_files = std::mem::take(&mut builder.patch_files);
    out
}

/// The Flux Kustomization at `dir` that builds `dir` itself from the
/// cluster's own source (what `flux bootstrap` writes to
/// `flux-system/gotk-sync.yaml`), as written. Found by reading the parsed
/// documents under `dir`, not by building it.
fn sync_kustomization(ws: &Workspace, repo: RepoId, dir: &str) -> Option<Resource> {
    for f in ws.files_under(repo, dir) {
        for doc in f.doc_ids() {
            let (Some(meta), Some(d)) = (f.object(doc), f.doc(doc)) else {
                continue;
            };
            let root = d.root();
            let source = root
                .path(&["spec", "sourceRef", "name"])
                .and_then(|n| n.as_str());
            let path = root
                .path(&["spec", "path"])
                .and_then(|n| n.as_str())
                .and_then(paths::normalize);
            let is_sync = meta.is(KUSTOMIZE_GROUP, "Kustomization")
                && source == Some(SELF_SOURCE)
                && path.as_deref() == Some(dir);
            if is_sync {
                let mut budget = super::tree::Budget::new(super::tree::Budget::DEFAULT);
                let tree = super::tree::from_yaml(root, f.id, &|s| s, &mut budget).ok()?;
                return Some(Resource::new(tree, f.id));
            }
        }
    }
    None
}

/// The namespace and name of a Flux Kustomization.
fn flux_kustomization(r: &Resource) -> Option<(String, String)> {
    let is = r.group() == KUSTOMIZE_GROUP && r.kind() == "Kustomization";
    is.then(|| {
        (
            r.namespace().unwrap_or("").to_string(),
            r.name().to_string(),
        )
    })
}

/// What comes of following a Flux Kustomization.
enum Next {
    /// Build this directory of this repository.
    Build(RepoId, String),
    /// Its source is not in the run: what it applies is unknown.
    Unknown,
    /// Nothing to build (no source, or a path that leaves the repository,
    /// said as a problem).
    Nothing,
}

/// Where a Flux Kustomization builds: its source's checkout and its path.
/// The cluster's own source (`flux-system`) is the entry repository.
fn follow(builder: &mut Builder<'_>, graph: &Graph, ks: &Resource, entry: RepoId) -> Next {
    let Some(source) = ks.root.path(&["spec", "sourceRef"]) else {
        return Next::Nothing;
    };
    let kind = source.str_at(&["kind"]).unwrap_or("GitRepository");
    let Some(name) = source.str_at(&["name"]) else {
        return Next::Nothing;
    };
    let repo = match graph.source_repos.get(name) {
        Some(&r) => r,
        None if name == SELF_SOURCE && matches!(kind, "GitRepository" | "OCIRepository") => entry,
        None => return Next::Unknown,
    };
    let path_node = ks.root.path(&["spec", "path"]);
    let text = path_node.and_then(Node::as_str).unwrap_or("");
    let Some(dir) = paths::normalize(text) else {
        let at = path_node.map_or(ks.root.origin, |n| n.origin);
        builder.problem(
            at,
            ProblemKind::Refused,
            format!("`{text}` leaves the repository"),
        );
        return Next::Nothing;
    };
    Next::Build(repo, dir)
}

/// Looks up a `substituteFrom` source by kind, namespace and name.
trait FindSource<'r>: Fn(&str, &str, &str) -> Option<&'r Resource> {}
impl<'r, F: Fn(&str, &str, &str) -> Option<&'r Resource>> FindSource<'r> for F {}

/// The ConfigMaps and Secrets a cluster's rendering holds so far (indexes
/// into [`Rendering::objects`]) by kind, namespace and name, the first
/// rendered first: every child's `substituteFrom` is looked up here, not
/// in a scan of everything rendered before it.
#[derive(Default)]
struct VarSources(HashMap<(String, String, String), usize>);

impl VarSources {
    fn add(&mut self, r: &Resource, index: usize) {
        let kind = r.kind();
        if kind == "ConfigMap" || kind == "Secret" {
            let namespace = r.namespace().unwrap_or("default");
            self.0
                .entry((
                    kind.to_string(),
                    namespace.to_string(),
                    r.name().to_string(),
                ))
                .or_insert(index);
        }
    }

    fn get<'r>(
        &self,
        objects: &'r [Applied],
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<&'r Resource> {
        // Keys are owned strings; a miss is the common case only for
        // Kustomizations still waiting for their sources.
        let key = (kind.to_string(), namespace.to_string(), name.to_string());
        self.0.get(&key).map(|&i| &objects[i].resource)
    }
}

fn is_source(r: &Resource, kind: &str, namespace: &str, name: &str) -> bool {
    r.kind() == kind && r.name() == name && r.namespace().unwrap_or("default") == namespace
}

/// Whether every required `substituteFrom` source of `ks` is found.
fn sources_found<'r>(ks: &Node, find: &impl FindSource<'r>) -> bool {
    let namespace = ks.str_at(&["metadata", "namespace"]).unwrap_or("default");
    let from = ks
        .path(&["spec", "postBuild", "substituteFrom"])
        .map(Node::items)
        .unwrap_or(&[]);
    from.iter().all(|f| {
        f.str_at(&["optional"]) == Some("true") || find_source(f, namespace, find).is_some()
    })
}

fn find_source<'r>(
    from: &Node,
    namespace: &str,
    find: &impl FindSource<'r>,
) -> Option<&'r Resource> {
    let kind = from.str_at(&["kind"]).unwrap_or("");
    let name = from.str_at(&["name"]).unwrap_or("");
    find(kind, namespace, name)
}

/// The post-build variables of `ks`: `substituteFrom` in order (later
/// wins), then `substitute` (wins over all); `None` when it has no
/// post-build. A required source not found leaves the set incomplete.
fn collect_vars<'r>(ks: &Node, find: &impl FindSource<'r>) -> Option<Vars> {
    let post = ks.path(&["spec", "postBuild"]).filter(|p| p.is_map())?;
    let namespace = ks.str_at(&["metadata", "namespace"]).unwrap_or("default");
    let name = ks.str_at(&["metadata", "name"]).unwrap_or("");
    let mut vars = Vars {
        complete: true,
        ..Vars::default()
    };
    for from in post.get("substituteFrom").map(Node::items).unwrap_or(&[]) {
        let optional = from.str_at(&["optional"]) == Some("true");
        match (find_source(from, namespace, find), from.str_at(&["kind"])) {
            (Some(r), Some("ConfigMap")) => add_config_map(&mut vars, r),
            (Some(r), Some("Secret")) => add_secret(&mut vars, r),
            (None, _) if optional => {}
            _ => vars.complete = false,
        }
    }
    let source: Arc<str> = Arc::from(format!(
        "`spec.postBuild.substitute` of Kustomization '{name}'"
    ));
    for e in post.get("substitute").map(Node::entries).unwrap_or(&[]) {
        let value = e.value.as_scalar().map(|s| s.text.replace('\n', ""));
        vars.vars.insert(
            e.key.to_string(),
            Var {
                value,
                origin: e.value.origin,
                source: source.clone(),
            },
        );
    }
    Some(vars)
}

fn add_config_map(vars: &mut Vars, r: &Resource) {
    let source: Arc<str> = Arc::from(format!("ConfigMap '{}'", r.name()));
    for e in r.root.get("data").map(Node::entries).unwrap_or(&[]) {
        let value = e
            .value
            .as_scalar()
            .map(|s| s.text.to_string())
            .or(Some(String::new()));
        vars.vars.insert(
            e.key.to_string(),
            Var {
                value,
                origin: e.value.origin,
                source: source.clone(),
            },
        );
    }
}

/// A Secret's keys are variables whose values are never read.
fn add_secret(vars: &mut Vars, r: &Resource) {
    let source: Arc<str> = Arc::from(format!("Secret '{}'", r.name()));
    for field in ["data", "stringData"] {
        for e in r.root.get(field).map(Node::entries).unwrap_or(&[]) {
            vars.vars.insert(
                e.key.to_string(),
                Var {
                    value: None,
                    origin: e.key_origin,
                    source: source.clone(),
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::config::Config;

    fn render(ws: &Workspace) -> Rendering {
        let graph = Graph::build(ws);
        render_cluster(ws, &graph, RepoId::new(0), "clusters/prod")
    }

    fn find<'r>(r: &'r Rendering, kind: &str, name: &str) -> &'r Resource {
        r.objects
            .iter()
            .map(|a| &a.resource)
            .find(|o| o.kind() == kind && o.name() == name)
            .unwrap_or_else(|| panic!("no {kind} {name}"))
    }

    const SYNC: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: flux-system, namespace: flux-system}\nspec:\n  interval: 10m\n  path: ./clusters/prod\n  sourceRef: {kind: GitRepository, name: flux-system}\n  postBuild:\n    substituteFrom:\n      - {kind: ConfigMap, name: cluster-vars}\n  patches:\n    - target: {kind: Kustomization}\n      patch: |-\n        - op: add\n          path: /spec/prune\n          value: true\n";

    const APPS: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\nspec:\n  interval: 10m\n  path: ./apps/${CLUSTER}\n  sourceRef: {kind: GitRepository, name: flux-system}\n  postBuild:\n    substituteFrom:\n      - {kind: ConfigMap, name: cluster-vars}\n";

    #[test]
    fn renders_children_with_the_parents_patches_and_variables() {
        let files = [
            ("clusters/prod/flux-system/gotk-sync.yaml", SYNC),
            ("clusters/prod/apps.yaml", APPS),
            ("clusters/prod/vars.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cluster-vars, namespace: flux-system}\ndata: {REGION: westeurope, CLUSTER: prod}\n"),
            ("apps/prod/kustomization.yaml", "resources: [child.yaml, cm.yaml]\n"),
            ("apps/prod/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: apps}\ndata: {region: '${REGION}', escaped: '$${KEEP}', missing: 'x${NOPE}'}\n"),
            ("apps/prod/child.yaml", "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: child, namespace: flux-system}\nspec:\n  interval: 5m\n  path: ./child\n  sourceRef: {kind: GitRepository, name: flux-system}\n"),
            ("child/svc.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-child}\n"),
        ];
        let ws = Workspace::in_memory(&files, Config::default());
        let r = render(&ws);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let cm = find(&r, "ConfigMap", "app").root.to_json();
        assert_eq!(
            cm["data"],
            serde_json::json!({"region": "westeurope", "escaped": "${KEEP}", "missing": "x"})
        );
        let apps = find(&r, "Kustomization", "apps");
        assert_eq!(apps.root.str_at(&["spec", "path"]), Some("./apps/prod"));
        let prune = apps.root.path(&["spec", "prune"]).unwrap();
        assert_eq!(prune.to_json(), serde_json::json!(true));
        // Set by the flux-system Kustomization's patch, written in a block
        // scalar: line 16, column 18 of its file.
        let at = prune.origin.span(&ws).start;
        assert_eq!((at.line, at.col), (16, 18));
        let file = &r.objects[0].resource.root.origin.file;
        assert_eq!(prune.origin.file, *file);
        // The patch applies to what flux-system applies, not to the
        // grandchildren.
        let child = find(&r, "Kustomization", "child");
        assert!(child.root.path(&["spec", "prune"]).is_none());
        find(&r, "ConfigMap", "from-child");
        assert_eq!(r.undefined.len(), 1);
        assert_eq!(r.undefined[0].0.name, "NOPE");
    }
}
