//! `kustomize build`, in-process, as kustomize v5 does it: for each
//! kustomization, its resources (files, and directories built in turn),
//! then its generators, then its components (each applied to everything
//! accumulated so far), then its transformers in kustomize's fixed order —
//! strategic-merge patches, `patches`, namespace, prefix, suffix, labels,
//! annotations, JSON 6902 patches, replicas, images. At the end of the
//! whole build, generated names get their hash suffix and references to
//! renamed objects are updated.
//!
//! Where kustomize would stop with an error, this records a [`Problem`] at
//! the offending entry and goes on with what it can build, so that one
//! mistake does not hide every other finding.

use std::collections::HashSet;

use crate::base::hash::FastSet;

use crate::base::ids::{FileId, IdVec, RepoId, StepId};
use crate::base::paths;
use crate::base::source::{Pos, Span};
use crate::model::kustomization::{is_remote, KUSTOMIZATION_FILES};
use crate::workspace::load::ParsedFile;
use crate::workspace::Workspace;

use super::configurations::Configured;
use super::fields::{self, FieldSpec};
use super::generate::{self, Behavior};
use super::json_patch;
use super::merge::{merge, Merged};
use super::resource::{Generated, Resource};
use super::select::Selector;
use super::strategy::Schema;
use super::tree::{from_yaml, Budget, Node, Origin, Scalar, TooLarge, Value};

/// What a build could not do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: FileId,
    pub span: Span,
    pub kind: ProblemKind,
    pub message: String,
    /// For a missing path: the path (repository, relative path) that is
    /// not there, which creating or deleting changes.
    pub missing: Option<(RepoId, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// kustomize would refuse to build (`render-error`).
    Refused,
    /// A resource, component or patch path that is not there
    /// (`missing-path`).
    Missing,
    /// Two resources with the same id: kustomize refuses the build, and
    /// `duplicate-object` says so (one finding per mistake).
    Duplicate,
    /// A remote resource, not fetched (`missing-path` says so, once).
    NotFetched,
    /// Something not rendered: a Helm chart, a transformer this renderer
    /// does not run. What it would change is unknown.
    NotRendered,
}

/// A step that set values: a patch, a transformer entry, a generator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub what: StepKind,
    /// The entry that configured it.
    pub at: Origin,
    /// What a finding on a value it set should say of it (a post-build
    /// variable: its value and its source).
    pub note: Option<Box<StepNote>>,
}

/// A post-build variable's value and source, as findings explain them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepNote {
    /// `` `${replicas}` is `3` ``
    pub value: String,
    /// `ConfigMap 'cluster-vars'`
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Patch,
    Namespace,
    NamePrefix,
    NameSuffix,
    Labels,
    Annotations,
    Replicas,
    Images,
    /// A `replacements` target: the value is the source's.
    Replacement,
    Generator,
    HashSuffix,
    NameReference,
    /// Flux post-build variable substitution.
    Substitution,
}

/// The ids (group, kind, namespace, name) of the resources accumulated.
type Ids = FastSet<(String, String, String, String)>;

/// Kustomizations nested deeper than this are refused (kustomize has no
/// limit, but no real repository comes near it).
const MAX_DEPTH: usize = 64;

pub struct Builder<'w> {
    ws: &'w Workspace,
    budget: Budget,
    pub steps: IdVec<StepId, Step>,
    pub problems: Vec<Problem>,
    /// The kustomizations being built, to refuse a cycle.
    stack: Vec<(RepoId, String)>,
    /// Every directory built (a kustomization's, or one Flux generates a
    /// kustomization for).
    pub built: Vec<(RepoId, String)>,
    /// The `configurations` of each kustomization being built, with those
    /// of the kustomizations it includes (kustomize merges them upwards).
    configured: Vec<Configured>,
    /// The whole build's, for the name references fixed at its end.
    finished: Configured,
    /// Files read as patches: partial objects, never checked as whole
    /// ones.
    pub patch_files: HashSet<FileId>,
}

impl<'w> Builder<'w> {
    pub fn new(ws: &'w Workspace) -> Self {
        Builder {
            ws,
            budget: Budget::new(Budget::DEFAULT),
            steps: IdVec::new(),
            problems: Vec::new(),
            stack: Vec::new(),
            built: Vec::new(),
            configured: Vec::new(),
            finished: Configured::default(),
            patch_files: HashSet::new(),
        }
    }

    /// `kustomize build` of directory `dir` of repository `repo`, which
    /// holds a kustomization file.
    pub fn build(&mut self, repo: RepoId, dir: &str) -> Vec<Resource> {
        let mut out = self.accumulate_dir(repo, dir, None).unwrap_or_default();
        self.finish(&mut out);
        out
    }

    /// What Flux builds at `dir`: its kustomization, or, without one, every
    /// manifest under it (a subdirectory with a kustomization built as
    /// one), as kustomize-controller generates a kustomization for it.
    pub fn build_path(&mut self, repo: RepoId, dir: &str) -> Vec<Resource> {
        let at = Origin::new(FileId::new(0), Span::point(Pos::START));
        match self.kustomization_at(repo, dir, at) {
            Some(k) => self.build_tree(repo, dir, &k, at),
            None => Vec::new(),
        }
    }

    /// The kustomization kustomize-controller builds at `dir`: its file,
    /// or one it generates listing the manifests and the subdirectories
    /// with a kustomization there. `at`: what named the directory.
    pub fn kustomization_at(&mut self, repo: RepoId, dir: &str, at: Origin) -> Option<Node> {
        if let Some(file) = self.kustomization_file(repo, dir) {
            return self.read_kustomization(file);
        }
        if !self.dir_exists(repo, dir) {
            self.missing(at, repo, dir, format!("`{dir}` does not exist"));
            return None;
        }
        let (mut files, nested) = self.manifests_under(repo, dir);
        files.retain(|&f| match self.not_an_object(f) {
            None => true,
            Some(bad) => {
                let message = format!(
                    "kustomize-controller cannot read `{}` as Kubernetes YAML (a document without `apiVersion` and `kind`) and fails the build of `{dir}`; move the file out of the path or add a kustomization.yaml that lists the manifests",
                    self.ws.file(f).file.rel
                );
                self.problem(bad, ProblemKind::Refused, message);
                false
            }
        });
        let relative = |rel: &str| {
            rel.strip_prefix(dir)
                .unwrap_or(rel)
                .trim_start_matches('/')
                .to_string()
        };
        let mut entries: Vec<Node> = nested
            .iter()
            .map(|d| Node::string(&relative(d), at))
            .collect();
        entries.extend(
            files
                .iter()
                .map(|&f| Node::string(&relative(&self.ws.file(f).file.rel), at)),
        );
        let mut k = Node::map(at);
        k.set("resources", Node::new(Value::Seq(entries), at), at);
        Some(k)
    }

    /// Builds a kustomization tree whose directory is `dir`, with the
    /// end-of-build steps.
    pub fn build_tree(&mut self, repo: RepoId, dir: &str, k: &Node, at: Origin) -> Vec<Resource> {
        let mut out = self
            .enter(repo, dir, at, |b| {
                b.accumulate_target(repo, dir, k, Vec::new())
            })
            .unwrap_or_default();
        self.finish(&mut out);
        out
    }

    /// Records a step that set values.
    pub fn step(&mut self, what: StepKind, origin: Origin) -> StepId {
        self.steps.push(Step {
            what,
            at: origin,
            note: None,
        })
    }

    /// A step with what findings should say of the values it set.
    pub fn noted_step(&mut self, what: StepKind, origin: Origin, note: StepNote) -> StepId {
        self.steps.push(Step {
            what,
            at: origin,
            note: Some(Box::new(note)),
        })
    }

    /// Records what the build could not do.
    pub fn problem(&mut self, at: Origin, kind: ProblemKind, message: impl Into<String>) {
        self.push_problem(at, kind, message.into(), None);
    }

    /// A path `rel` of `repo` that `at` names and that is not there.
    fn missing(&mut self, at: Origin, repo: RepoId, rel: &str, message: impl Into<String>) {
        let missing = Some((repo, rel.to_string()));
        self.push_problem(at, ProblemKind::Missing, message.into(), missing);
    }

    fn push_problem(
        &mut self,
        at: Origin,
        kind: ProblemKind,
        message: String,
        missing: Option<(RepoId, String)>,
    ) {
        self.problems.push(Problem {
            file: at.file,
            span: at.span(self.ws),
            kind,
            message,
            missing,
        });
    }

    fn kustomization_file(&self, repo: RepoId, dir: &str) -> Option<FileId> {
        KUSTOMIZATION_FILES.iter().find_map(|name| {
            let rel = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            self.ws.file_at(repo, &rel)
        })
    }

    fn dir_exists(&self, repo: RepoId, dir: &str) -> bool {
        !self.ws.files_under(repo, dir).is_empty()
    }

    /// The manifests under `dir` outside subdirectories with a
    /// kustomization, and those subdirectories.
    fn manifests_under(&self, repo: RepoId, dir: &str) -> (Vec<FileId>, Vec<String>) {
        let files = self.ws.files_under(repo, dir);
        // The subdirectories with a kustomization, as `sub/dir/`, in byte
        // order: a directory's subdirectories then follow it directly, so
        // one below an outer one is found against the last kept. A
        // repository root holds thousands of files and hundreds of such
        // directories: nothing here is per file × directory.
        let mut nested: Vec<String> = files
            .iter()
            .filter(|f| crate::model::kustomization::is_kustomization(&f.file.rel))
            .map(|f| paths::parent(&f.file.rel))
            .filter(|d| *d != dir)
            .map(|d| format!("{d}/"))
            .collect();
        nested.sort_unstable();
        nested.dedup();
        let mut outer: Vec<String> = Vec::new();
        for d in nested {
            if !outer.last().is_some_and(|o| d.starts_with(o.as_str())) {
                outer.push(d);
            }
        }
        // The outer directory a file may be in is the last one sorting
        // before it (none of them is inside another).
        let inside = |rel: &str| {
            let at = outer.partition_point(|o| o.as_str() <= rel);
            at > 0 && rel.starts_with(outer[at - 1].as_str())
        };
        let manifests = files
            .iter()
            .filter(|f| !inside(&f.file.rel))
            .filter(|f| f.file.rel.ends_with(".yaml") || f.file.rel.ends_with(".yml"))
            .filter(|f| f.problem.is_none() && f.stream.errors.is_empty())
            .map(|f| f.id)
            .collect();
        let mut outer: Vec<String> = outer
            .into_iter()
            .map(|mut o| {
                o.pop();
                o
            })
            .collect();
        // Listed in the order of their names, as before the `/` was added.
        outer.sort_unstable();
        (manifests, outer)
    }

    /// A document kustomize-controller cannot read as a Kubernetes object
    /// (a mapping without `apiVersion` and `kind`), if the file has one.
    fn not_an_object(&self, file: FileId) -> Option<Origin> {
        let parsed = self.ws.file(file);
        parsed.stream.docs.iter().find_map(|doc| {
            let root = doc.root();
            let object = root.get("apiVersion").is_some() && root.get("kind").is_some();
            (!doc.is_empty() && !root.is_null() && !object).then(|| Origin::new(file, root.span()))
        })
    }

    /// The kustomization of `dir`, built (without the end-of-build steps).
    /// `at`: the entry that named the directory, for problems.
    fn accumulate_dir(
        &mut self,
        repo: RepoId,
        dir: &str,
        at: Option<Origin>,
    ) -> Option<Vec<Resource>> {
        let Some(file) = self.kustomization_file(repo, dir) else {
            if let Some(at) = at {
                let message = format!("`{dir}` has no kustomization file (kustomization.yaml, kustomization.yml or Kustomization)");
                self.missing(at, repo, dir, message);
            }
            return None;
        };
        let k = self.read_kustomization(file)?;
        if k.str_at(&["kind"]) == Some("Component") {
            let at = at.unwrap_or(k.origin);
            self.problem(
                at,
                ProblemKind::Refused,
                format!("`{dir}` is a Component: list it under `components`, not `resources`"),
            );
            return None;
        }
        self.enter(repo, dir, at.unwrap_or(k.origin), |b| {
            b.accumulate_target(repo, dir, &k, Vec::new())
        })
    }

    /// Runs `f` with `dir` on the stack, refusing a cycle or runaway depth.
    fn enter<T>(
        &mut self,
        repo: RepoId,
        dir: &str,
        at: Origin,
        f: impl FnOnce(&mut Self) -> T,
    ) -> Option<T> {
        let key = (repo, dir.to_string());
        if self.stack.contains(&key) || self.stack.len() >= MAX_DEPTH {
            let message = format!(
                "`{dir}` includes itself (through {} kustomizations)",
                self.stack.len()
            );
            self.problem(at, ProblemKind::Refused, message);
            return None;
        }
        self.built.push(key.clone());
        self.stack.push(key);
        self.configured.push(Configured::default());
        let out = f(self);
        self.stack.pop();
        let configured = self.configured.pop().unwrap_or_default();
        self.configured
            .last_mut()
            .unwrap_or(&mut self.finished)
            .merge(configured);
        Some(out)
    }

    fn read_kustomization(&mut self, file: FileId) -> Option<Node> {
        let parsed = self.ws.file(file);
        let doc = parsed.doc(crate::base::ids::DocId::FIRST)?;
        match from_yaml(doc.root(), file, &|s| s, &mut self.budget) {
            Ok(k) if k.is_map() || k.is_null() => {
                self.check_fields(&k);
                Some(k)
            }
            Ok(k) => {
                self.problem(
                    k.origin,
                    ProblemKind::Refused,
                    "a kustomization is a mapping",
                );
                None
            }
            Err(TooLarge) => {
                self.too_large(file);
                None
            }
        }
    }

    fn too_large(&mut self, file: FileId) {
        let at = Origin::new(file, Span::point(Pos::START));
        self.problem(
            at,
            ProblemKind::Refused,
            "the build makes too many values (an alias bomb?); stopped",
        );
    }

    /// kustomize decodes a kustomization strictly: an unknown field or a
    /// value of the wrong type fails the build.
    fn check_fields(&mut self, k: &Node) {
        for (at, message) in super::kustomization::check(k) {
            self.problem(at, ProblemKind::Refused, message);
        }
        for (field, _) in NOT_RENDERED {
            if let Some(e) = k.entry(field) {
                let why = NOT_RENDERED
                    .iter()
                    .find(|(f, _)| f == field)
                    .map_or("", |(_, w)| w);
                self.problem(
                    e.key_origin,
                    ProblemKind::NotRendered,
                    format!("`{field}` is not rendered: {why}"),
                );
            }
        }
    }

    fn accumulate_target(
        &mut self,
        repo: RepoId,
        dir: &str,
        k: &Node,
        mut acc: Vec<Resource>,
    ) -> Vec<Resource> {
        let mut ids: Ids = acc.iter().map(key_of).collect();
        for field in ["resources", "bases"] {
            for entry in list(k, field) {
                self.add_resource(repo, dir, entry, &mut acc, &mut ids);
            }
        }
        self.read_configurations(repo, dir, k);
        self.run_generators(repo, dir, k, &mut acc, &mut ids);
        for entry in list(k, "components") {
            acc = self.add_component(repo, dir, entry, acc);
        }
        self.transform(repo, dir, k, &mut acc);
        acc
    }

    /// Adds the field specs of the kustomization's `configurations` files
    /// to what its transformers (and those above it) use.
    fn read_configurations(&mut self, repo: RepoId, dir: &str, k: &Node) {
        for entry in list(k, "configurations") {
            let Some((_, trees)) = self.docs_at(repo, dir, entry) else {
                continue;
            };
            for tree in trees {
                let (configured, not_applied) = Configured::read(&tree);
                for (at, message) in not_applied {
                    self.problem(at, ProblemKind::NotRendered, message);
                }
                if let Some(top) = self.configured.last_mut() {
                    top.merge(configured);
                }
            }
        }
    }

    /// The `configurations` in force for the kustomization being built.
    fn configured(&self) -> Option<&Configured> {
        self.configured.last()
    }

    fn append(&mut self, acc: &mut Vec<Resource>, ids: &mut Ids, r: Resource, at: Option<Origin>) {
        if !ids.insert(key_of(&r)) {
            let message = format!(
                "{} is listed twice: kustomize refuses two resources with the same id",
                r.describe()
            );
            let name = r.root.path(&["metadata", "name"]);
            let at = name.map_or(at.unwrap_or(r.root.origin), |n| n.origin);
            self.problem(at, ProblemKind::Duplicate, message);
            return;
        }
        acc.push(r);
    }

    fn add_resource(
        &mut self,
        repo: RepoId,
        dir: &str,
        entry: &Node,
        acc: &mut Vec<Resource>,
        ids: &mut Ids,
    ) {
        let Some(rel) = self.entry_path(dir, entry) else {
            return;
        };
        if let Some(file) = self.ws.file_at(repo, &rel) {
            for r in self.read_resources(file) {
                self.append(acc, ids, r, Some(entry.origin));
            }
        } else if self.dir_exists(repo, &rel) {
            for r in self
                .accumulate_dir(repo, &rel, Some(entry.origin))
                .unwrap_or_default()
            {
                self.append(acc, ids, r, Some(entry.origin));
            }
        } else {
            let message = format!("`{}` does not exist", entry.as_str().unwrap_or(""));
            self.missing(entry.origin, repo, &rel, message);
        }
    }

    fn add_component(
        &mut self,
        repo: RepoId,
        dir: &str,
        entry: &Node,
        acc: Vec<Resource>,
    ) -> Vec<Resource> {
        let Some(rel) = self.entry_path(dir, entry) else {
            return acc;
        };
        let Some(file) = self.kustomization_file(repo, &rel) else {
            if self.dir_exists(repo, &rel) {
                let message = format!("`{rel}` has no kustomization file");
                self.problem(entry.origin, ProblemKind::Refused, message);
            } else {
                let message = format!("`{}` does not exist", entry.as_str().unwrap_or(""));
                self.missing(entry.origin, repo, &rel, message);
            }
            return acc;
        };
        let Some(k) = self.read_kustomization(file) else {
            return acc;
        };
        if k.str_at(&["kind"]) != Some("Component") {
            self.problem(
                entry.origin,
                ProblemKind::Refused,
                format!("`{rel}` is listed as a component but its kind is not `Component`"),
            );
            return acc;
        }
        let backup = acc.clone();
        self.enter(repo, &rel, entry.origin, |b| {
            b.accumulate_target(repo, &rel, &k, acc)
        })
        .unwrap_or(backup)
    }

    /// The repository-relative path an entry names, or `None` (with a
    /// problem) for a remote one or one that leaves the repository.
    fn entry_path(&mut self, dir: &str, entry: &Node) -> Option<String> {
        let Some(text) = entry.as_str() else {
            self.problem(entry.origin, ProblemKind::Refused, "expected a path");
            return None;
        };
        if is_remote(text) {
            self.problem(
                entry.origin,
                ProblemKind::NotFetched,
                format!("`{text}` is remote and not fetched: what it adds is not checked"),
            );
            return None;
        }
        let joined = paths::join(dir, text);
        if joined.is_none() {
            self.problem(
                entry.origin,
                ProblemKind::Refused,
                format!("`{text}` leaves the repository"),
            );
        }
        joined
    }

    /// The objects of a manifest file (a `List` is its items).
    fn read_resources(&mut self, file: FileId) -> Vec<Resource> {
        let mut out = Vec::new();
        for tree in self.file_trees(file) {
            if !tree.is_null() {
                self.push_objects(tree, file, &mut out);
            }
        }
        out
    }

    /// Every document of a file with content, as trees; stops (with one
    /// problem) when the rendering's allowance runs out.
    fn file_trees(&mut self, file: FileId) -> Vec<Node> {
        let mut out = Vec::new();
        for doc in self
            .ws
            .file(file)
            .stream
            .docs
            .iter()
            .filter(|d| !d.is_empty())
        {
            match from_yaml(doc.root(), file, &|s| s, &mut self.budget) {
                Ok(t) => out.push(t),
                Err(TooLarge) => {
                    self.too_large(file);
                    break;
                }
            }
        }
        out
    }

    fn push_objects(&mut self, tree: Node, file: FileId, out: &mut Vec<Resource>) {
        if !tree.is_map() {
            self.problem(
                tree.origin,
                ProblemKind::Refused,
                "a resource is a mapping with `apiVersion`, `kind` and `metadata`",
            );
            return;
        }
        let is_list = tree.str_at(&["kind"]).is_some_and(|k| k.ends_with("List"))
            && tree.get("items").is_some_and(Node::is_seq);
        if is_list {
            for item in tree.get("items").map(Node::items).unwrap_or(&[]) {
                self.push_objects(item.clone(), file, out);
            }
            return;
        }
        if tree.str_at(&["kind"]).is_none() || tree.str_at(&["metadata", "name"]).is_none() {
            self.problem(
                tree.origin,
                ProblemKind::Refused,
                "a resource needs `kind` and `metadata.name`",
            );
            return;
        }
        out.push(Resource::new(tree, file));
    }

    fn run_generators(
        &mut self,
        repo: RepoId,
        dir: &str,
        k: &Node,
        acc: &mut Vec<Resource>,
        ids: &mut Ids,
    ) {
        let global = k.get("generatorOptions");
        for (field, kind) in [
            ("configMapGenerator", generate::Kind::ConfigMap),
            ("secretGenerator", generate::Kind::Secret),
        ] {
            for entry in list(k, field) {
                let ws = self.ws;
                let mut read = |path: &str| read_file(ws, repo, dir, path);
                let made = match generate::generate(kind, entry, global, &mut read) {
                    Ok(made) => made,
                    Err(message) => {
                        self.problem(entry.origin, ProblemKind::Refused, message);
                        continue;
                    }
                };
                let step = self.step(StepKind::Generator, entry.origin);
                let mut root = made.root;
                root.mark(step);
                let mut r = Resource::new(root, entry.origin.file);
                r.generated = Some(Generated { hash: made.hash });
                match made.behavior {
                    Behavior::Create => self.append(acc, ids, r, Some(entry.origin)),
                    Behavior::Merge | Behavior::Replace => {
                        self.merge_generated(acc, r, made.behavior, entry.origin)
                    }
                }
            }
        }
    }

    /// `behavior: merge` or `replace`: the generator's data goes into the
    /// object of the same kind and name from the resources.
    fn merge_generated(
        &mut self,
        acc: &mut [Resource],
        new: Resource,
        behavior: Behavior,
        at: Origin,
    ) {
        let same = |r: &Resource| {
            r.kind() == new.kind()
                && (r.original.name == new.original.name || r.name() == new.name())
                && r.effective_namespace() == new.effective_namespace()
        };
        let Some(old) = acc.iter_mut().find(|r| same(r)) else {
            self.problem(
                at,
                ProblemKind::Refused,
                format!(
                    "{} does not exist in the resources: there is nothing to merge into or replace",
                    new.describe()
                ),
            );
            return;
        };
        for field in ["data", "binaryData"] {
            let Some(data) = new.root.get(field) else {
                continue;
            };
            if behavior == Behavior::Replace || old.root.get(field).is_none() {
                old.root.set(field, data.clone(), data.origin);
                continue;
            }
            let target = old.root.child_map(field, data.origin);
            for e in data.entries() {
                target.set(&e.key, e.value.clone(), e.key_origin);
            }
        }
        for field in ["labels", "annotations"] {
            let Some(add) = new.root.path(&["metadata", field]) else {
                continue;
            };
            let target = old
                .root
                .child_map("metadata", add.origin)
                .child_map(field, add.origin);
            for e in add.entries() {
                target.set(&e.key, e.value.clone(), e.key_origin);
            }
        }
        let hash = old.generated.is_some_and(|g| g.hash) || new.generated.is_some_and(|g| g.hash);
        old.generated = Some(Generated { hash });
    }

    fn transform(&mut self, repo: RepoId, dir: &str, k: &Node, acc: &mut Vec<Resource>) {
        for entry in list(k, "patchesStrategicMerge") {
            self.patch_strategic_merge(repo, dir, entry, acc);
        }
        for entry in list(k, "patches") {
            self.patch(repo, dir, entry, acc);
        }
        if let Some(ns) = k.get("namespace").filter(|n| n.as_str().is_some()) {
            self.set_namespace(ns, acc);
        }
        if let Some(prefix) = k.get("namePrefix").filter(|n| n.as_str().is_some()) {
            self.rename(prefix, StepKind::NamePrefix, acc);
        }
        if let Some(suffix) = k.get("nameSuffix").filter(|n| n.as_str().is_some()) {
            self.rename(suffix, StepKind::NameSuffix, acc);
        }
        let configured = self.configured().cloned().unwrap_or_default();
        if let Some(labels) = k.get("commonLabels") {
            let mut specs = fields::label_specs(true, true, true);
            specs.extend(configured.labels.iter().cloned());
            self.add_labels(labels, &specs, StepKind::Labels, acc);
        }
        for entry in list(k, "labels") {
            let flag = |f: &str| entry.str_at(&[f]) == Some("true");
            let mut specs = fields::label_specs(
                flag("includeTemplates"),
                flag("includeSelectors"),
                flag("includeVolumeClaimTemplates"),
            );
            if flag("includeSelectors") {
                specs.extend(configured.labels.iter().cloned());
            }
            if let Some(pairs) = entry.get("pairs") {
                self.add_labels(pairs, &specs, StepKind::Labels, acc);
            }
        }
        if let Some(annotations) = k.get("commonAnnotations") {
            let mut specs = fields::annotation_specs();
            specs.extend(configured.annotations.iter().cloned());
            self.add_labels(annotations, &specs, StepKind::Annotations, acc);
        }
        for entry in list(k, "patchesJson6902") {
            self.patch(repo, dir, entry, acc);
        }
        for entry in list(k, "replicas") {
            self.set_replicas(entry, acc);
        }
        for entry in list(k, "images") {
            self.set_images(entry, &configured.images, acc);
        }
        for entry in list(k, "replacements") {
            self.replacements(repo, dir, entry, acc);
        }
    }

    /// A `replacements` entry: inline, or a file holding one replacement
    /// or a list of them.
    fn replacements(&mut self, repo: RepoId, dir: &str, entry: &Node, acc: &mut [Resource]) {
        let inline = entry.get("source").is_some() || entry.get("targets").is_some();
        let items = match entry.get("path") {
            Some(_) if inline => {
                let message = "a replacement has either `path` or `source` and `targets`";
                self.problem(entry.origin, ProblemKind::Refused, message);
                return;
            }
            Some(path) => {
                let docs = self.docs_at(repo, dir, path).map(|(_, docs)| docs);
                let mut items = Vec::new();
                for doc in docs.unwrap_or_default() {
                    match &doc.value {
                        Value::Seq(list) => items.extend(list.iter().cloned()),
                        _ => items.push(doc),
                    }
                }
                for (at, message) in super::kustomization::check_replacements(&items) {
                    self.problem(at, ProblemKind::Refused, message);
                }
                items
            }
            None => vec![entry.clone()],
        };
        for r in &items {
            let step = self.step(StepKind::Replacement, r.origin);
            if let Err((at, message)) = super::replace::apply(r, step, acc) {
                self.problem(at, ProblemKind::Refused, message);
            }
        }
    }

    /// The text of a patch: inline, or from a file; with the mapping from
    /// its positions to the file's.
    fn patch_docs(
        &mut self,
        repo: RepoId,
        dir: &str,
        entry: &Node,
        inline: Option<&Node>,
        path: Option<&Node>,
    ) -> Option<Vec<Node>> {
        if let Some(path) = path {
            let (file, docs) = self.docs_at(repo, dir, path)?;
            self.patch_files.insert(file);
            return Some(docs);
        }
        let Some(inline) = inline else {
            self.problem(
                entry.origin,
                ProblemKind::Refused,
                "a patch needs `path` or `patch`",
            );
            return None;
        };
        self.inline_docs(inline)
    }

    /// The documents of the file an entry names (a missing file is a
    /// problem at the entry).
    fn docs_at(&mut self, repo: RepoId, dir: &str, path: &Node) -> Option<(FileId, Vec<Node>)> {
        let rel = self.entry_path(dir, path)?;
        let Some(file) = self.ws.file_at(repo, &rel) else {
            let message = format!("`{}` does not exist", path.as_str().unwrap_or(""));
            self.missing(path.origin, repo, &rel, message);
            return None;
        };
        Some((file, self.file_trees(file)))
    }

    /// Parses a patch written inside the kustomization (usually a block
    /// scalar), keeping positions in the kustomization's file.
    fn inline_docs(&mut self, inline: &Node) -> Option<Vec<Node>> {
        let text = inline.as_str()?;
        let file = inline.origin.file;
        let lines = crate::base::source::LineIndex::new(text);
        let stream = crate::yaml::parse(text, &lines);
        if let Some(err) = stream.errors.first() {
            let message = format!("the patch is not valid YAML: {}", err.message);
            self.problem(inline.origin, ProblemKind::Refused, message);
            return None;
        }
        let place = embedding(self.ws.file(file), inline);
        let mut out = Vec::new();
        for doc in stream.docs.iter().filter(|d| !d.is_empty()) {
            match from_yaml(doc.root(), file, &*place, &mut self.budget) {
                Ok(t) => out.push(t),
                Err(TooLarge) => self.too_large(file),
            }
        }
        Some(out)
    }

    fn patch_strategic_merge(
        &mut self,
        repo: RepoId,
        dir: &str,
        entry: &Node,
        acc: &mut Vec<Resource>,
    ) {
        let text = entry.as_str().unwrap_or("");
        let docs = if text.contains('\n') || entry.is_map() {
            if entry.is_map() {
                Some(vec![entry.clone()])
            } else {
                self.inline_docs(entry)
            }
        } else {
            self.patch_docs(repo, dir, entry, None, Some(entry))
        };
        let step = self.step(StepKind::Patch, entry.origin);
        for mut patch in docs.unwrap_or_default() {
            patch.mark(step);
            self.merge_by_id(&patch, entry.origin, acc);
        }
    }

    /// A strategic-merge patch without a target applies to the one
    /// resource with its kind, name and namespace.
    fn merge_by_id(&mut self, patch: &Node, at: Origin, acc: &mut Vec<Resource>) {
        // A problem is the patch's name's: it names what is not there.
        let at = patch.path(&["metadata", "name"]).map_or(at, |n| n.origin);
        let kind = patch.str_at(&["kind"]).unwrap_or("");
        let api_version = patch.str_at(&["apiVersion"]).unwrap_or("");
        let name = patch.str_at(&["metadata", "name"]).unwrap_or("");
        let ns = patch
            .str_at(&["metadata", "namespace"])
            .unwrap_or("default");
        let matches: Vec<usize> = acc
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.kind() == kind
                    && r.api_version() == api_version
                    && (r.original.name == name || r.name() == name)
                    && (r.original.effective_namespace() == ns || r.effective_namespace() == ns)
            })
            .map(|(i, _)| i)
            .collect();
        match matches[..] {
            [i] => self.merge_into(acc, i, patch),
            [] => self.problem(
                at,
                ProblemKind::Refused,
                format!("no resource matches the patch of {kind} '{name}': kustomize fails"),
            ),
            _ => self.problem(
                at,
                ProblemKind::Refused,
                format!(
                    "several resources match the patch of {kind} '{name}'; give it a namespace"
                ),
            ),
        }
    }

    fn merge_into(&mut self, acc: &mut Vec<Resource>, i: usize, patch: &Node) {
        let schema = Schema::of_kind(acc[i].api_version(), acc[i].kind());
        if merge(&mut acc[i].root, patch, schema) == Merged::Deleted {
            acc.remove(i);
        }
    }

    /// A `patches` or `patchesJson6902` entry.
    fn patch(&mut self, repo: RepoId, dir: &str, entry: &Node, acc: &mut Vec<Resource>) {
        let Some(mut docs) =
            self.patch_docs(repo, dir, entry, entry.get("patch"), entry.get("path"))
        else {
            return;
        };
        let step = self.step(StepKind::Patch, entry.origin);
        docs.iter_mut().for_each(|d| d.mark(step));
        let selector = match entry.get("target").map(Selector::read) {
            None => None,
            Some(Ok(s)) => Some(s),
            Some(Err(message)) => {
                let at = entry.get("target").map_or(entry.origin, |t| t.origin);
                self.problem(
                    at,
                    ProblemKind::Refused,
                    format!("invalid target: {message}"),
                );
                return;
            }
        };
        let is_json = docs.first().is_some_and(Node::is_seq);
        match (selector, is_json) {
            (None, true) => self.problem(
                entry.origin,
                ProblemKind::Refused,
                "a JSON patch needs a `target`",
            ),
            (None, false) => docs
                .iter()
                .for_each(|d| self.merge_by_id(d, entry.origin, acc)),
            (Some(sel), json) => {
                let selected: Vec<usize> =
                    (0..acc.len()).filter(|&i| sel.matches(&acc[i])).collect();
                // Backwards, so that a deletion does not shift the rest.
                for &i in selected.iter().rev() {
                    if json {
                        self.json_patch(&mut acc[i], &docs[0]);
                    } else if let [patch] = &docs[..] {
                        let mut patch = patch.clone();
                        keep_identity(&mut patch);
                        self.merge_into(acc, i, &patch);
                    } else {
                        let message =
                            "a `patches` entry with a target holds one strategic-merge patch";
                        self.problem(entry.origin, ProblemKind::Refused, message);
                        return;
                    }
                }
            }
        }
    }

    fn json_patch(&mut self, r: &mut Resource, ops: &Node) {
        if let Err(e) = json_patch::apply(&mut r.root, ops) {
            // At the operation's path (what is wrong, mostly), else the
            // operation.
            let op = ops.items().get(e.index);
            let at = op.map_or(ops.origin, |op| {
                op.get("path").map_or(op.origin, |p| p.origin)
            });
            let message = format!(
                "the JSON patch cannot apply to {}: {}",
                r.describe(),
                e.message
            );
            self.problem(at, ProblemKind::Refused, message);
        }
    }

    fn set_namespace(&mut self, ns: &Node, acc: &mut [Resource]) {
        let step = self.step(StepKind::Namespace, ns.origin);
        let origin = ns.origin.by(step);
        let value = ns.as_str().unwrap_or("");
        let text = || Node::string(value, origin);
        for r in acc.iter_mut() {
            let (group, kind) = (r.group().to_string(), r.kind().to_string());
            if !r.is_cluster_scoped() {
                r.root
                    .child_map("metadata", origin)
                    .set("namespace", text(), origin);
            }
            if kind == "Namespace" && r.api_version() == "v1" {
                r.root
                    .child_map("metadata", origin)
                    .set("name", text(), origin);
            }
            if matches!(kind.as_str(), "RoleBinding" | "ClusterRoleBinding") {
                for subject in r
                    .root
                    .get_mut("subjects")
                    .map(Node::items_mut)
                    .unwrap_or(&mut [])
                {
                    if subject.str_at(&["name"]) == Some("default") {
                        subject.set("namespace", text(), origin);
                    }
                }
            }
            if group == "apiregistration.k8s.io" && kind == "APIService" {
                let service = r
                    .root
                    .child_map("spec", origin)
                    .child_map("service", origin);
                service.set("namespace", text(), origin);
            }
            if kind == "CustomResourceDefinition" {
                let path = ["spec", "conversion", "webhook", "clientConfig", "service"];
                if let Some(service) = r.root.path_mut(&path).filter(|s| s.is_map()) {
                    service.set("namespace", text(), origin);
                }
            }
        }
    }

    fn rename(&mut self, part: &Node, what: StepKind, acc: &mut [Resource]) {
        let step = self.step(what, part.origin);
        let text = part.as_str().unwrap_or("");
        for r in acc.iter_mut() {
            let skip = matches!(r.kind(), "CustomResourceDefinition" | "Namespace")
                || (r.kind() == "APIService" && r.group() == "apiregistration.k8s.io");
            if skip {
                continue;
            }
            let name = match what {
                StepKind::NamePrefix => format!("{text}{}", r.name()),
                _ => format!("{}{text}", r.name()),
            };
            if let Some(node) = r.root.path_mut(&["metadata", "name"]) {
                let origin = node.origin.by(step);
                *node = Node::string(&name, origin);
            }
        }
    }

    fn add_labels(
        &mut self,
        pairs: &Node,
        specs: &[(FieldSpec, String)],
        what: StepKind,
        acc: &mut [Resource],
    ) {
        if pairs.entries().is_empty() {
            return;
        }
        let step = self.step(what, pairs.origin);
        for r in acc.iter_mut() {
            let kind = fields::Kind::of(r);
            let selected: Vec<&(FieldSpec, String)> =
                specs.iter().filter(|(s, _)| s.selects(&kind)).collect();
            for (spec, path) in selected {
                let segments = fields::segments(path);
                let origin = pairs.origin.by(step);
                fields::visit(
                    &mut r.root,
                    &segments,
                    spec.create,
                    origin,
                    &mut |parent, key| {
                        let map = if spec.create {
                            Some(parent.child_map(key, origin))
                        } else {
                            parent.get_mut(key).filter(|m| m.is_map())
                        };
                        let Some(map) = map else { return };
                        for e in pairs.entries() {
                            let value = Node::string(
                                e.value.as_str().unwrap_or(""),
                                e.value.origin.by(step),
                            );
                            map.set(&e.key, value, e.key_origin.by(step));
                        }
                    },
                );
            }
        }
    }

    fn set_replicas(&mut self, entry: &Node, acc: &mut [Resource]) {
        let name = entry.str_at(&["name"]).unwrap_or("");
        let Some(count) = entry.get("count") else {
            self.problem(
                entry.origin,
                ProblemKind::Refused,
                "a `replicas` entry needs a `count`",
            );
            return;
        };
        let step = self.step(StepKind::Replicas, count.origin);
        let mut found = false;
        for r in acc.iter_mut() {
            let named = r.original.name == name || r.name() == name;
            if !named || !fields::REPLICA_KINDS.contains(&r.kind()) {
                continue;
            }
            found = true;
            let origin = count.origin.by(step);
            let text = count.as_str().unwrap_or("0");
            let value = Node::new(
                Value::Scalar(Scalar {
                    text: text.into(),
                    plain: true,
                }),
                origin,
            );
            r.root
                .child_map("spec", origin)
                .set("replicas", value, origin);
        }
        if !found {
            let message = format!("`replicas` names '{name}', but no Deployment, ReplicationController, ReplicaSet or StatefulSet has that name");
            self.problem(entry.origin, ProblemKind::Refused, message);
        }
    }

    /// An `images` entry; `extra`: the image fields `configurations` add.
    fn set_images(&mut self, entry: &Node, extra: &[(FieldSpec, String)], acc: &mut [Resource]) {
        let Some(image) = ImageRule::read(entry) else {
            self.problem(
                entry.origin,
                ProblemKind::Refused,
                "an `images` entry needs a `name`",
            );
            return;
        };
        let setter = ["newName", "digest", "newTag", "tagSuffix"]
            .iter()
            .find_map(|f| entry.get(f))
            .map_or(entry.origin, |n| n.origin);
        let step = self.step(StepKind::Images, setter);
        let origin = setter.by(step);
        for r in acc
            .iter_mut()
            .filter(|r| r.kind() != "CustomResourceDefinition")
        {
            update_container_images(&mut r.root, &image, origin);
            let kind = fields::Kind::of(r);
            let paths = fields::IMAGE_PATHS.iter().copied().chain(
                extra
                    .iter()
                    .filter(|(spec, _)| spec.selects(&kind))
                    .map(|(_, path)| path.as_str()),
            );
            let paths: Vec<&str> = paths.collect();
            for path in paths {
                let segments = fields::segments(path);
                fields::visit(&mut r.root, &segments, false, origin, &mut |parent, key| {
                    if let Some(node) = parent.get_mut(key) {
                        image.apply(node, origin);
                    }
                });
            }
        }
    }

    /// The end of a build: hash suffixes, then references to renamed
    /// objects.
    fn finish(&mut self, acc: &mut [Resource]) {
        for r in acc.iter_mut() {
            if r.generated.is_some_and(|g| g.hash) {
                let hash = generate::name_hash(&r.root);
                if let Some(node) = r.root.path_mut(&["metadata", "name"]) {
                    let step = self.step(StepKind::HashSuffix, node.origin);
                    let name = format!("{}-{hash}", node.as_str().unwrap_or(""));
                    *node = Node::string(&name, node.origin.by(step));
                }
            }
            stringify_annotations(&mut r.root);
        }
        let configured = std::mem::take(&mut self.finished);
        super::names::fix_references(acc, &configured.name_refs);
    }
}

/// kustomize writes annotations back as strings: `1` becomes `"1"`, `~`
/// becomes `"~"`, and a list or mapping an empty string.
fn stringify_annotations(root: &mut Node) {
    let Some(annotations) = root.path_mut(&["metadata", "annotations"]) else {
        return;
    };
    let Value::Map(entries) = &mut annotations.value else {
        return;
    };
    for e in entries {
        let text = match &e.value.value {
            Value::Scalar(s) => s.text.clone(),
            _ => Default::default(),
        };
        e.value.value = Value::Scalar(Scalar { text, plain: false });
    }
}

/// A `patches` entry with a target patches each selected object whatever
/// name or kind the patch gives.
fn keep_identity(patch: &mut Node) {
    if let Some(meta) = patch.get_mut("metadata") {
        meta.remove("name");
        meta.remove("namespace");
    }
    patch.remove("kind");
    patch.remove("apiVersion");
}

fn list<'k>(k: &'k Node, field: &str) -> &'k [Node] {
    k.get(field).map(Node::items).unwrap_or(&[])
}

fn key_of(r: &Resource) -> (String, String, String, String) {
    (
        r.group().to_string(),
        r.kind().to_string(),
        r.namespace().unwrap_or("").to_string(),
        r.name().to_string(),
    )
}

/// Reads a file a generator names, from the workspace or the checkout on
/// disk (never through a symlink out of the repository).
fn read_file(ws: &Workspace, repo: RepoId, dir: &str, path: &str) -> Result<Vec<u8>, String> {
    let rel = paths::join(dir, path).ok_or(format!("`{path}` leaves the repository"))?;
    if let Some(file) = ws.file_at(repo, &rel) {
        return Ok(ws.file(file).source.text.clone().into_bytes());
    }
    let root = &ws.repos[repo].root;
    let full = root.join(&rel);
    ws.disk.note(&full);
    let canonical = std::fs::canonicalize(&full).map_err(|_| format!("`{path}` does not exist"))?;
    let inside = std::fs::canonicalize(root).is_ok_and(|r| canonical.starts_with(r));
    if !inside {
        return Err(format!("`{path}` resolves outside the repository"));
    }
    let meta = std::fs::metadata(&canonical).map_err(|e| e.to_string())?;
    if meta.len() > 16 * 1024 * 1024 {
        return Err(format!("`{path}` is larger than 16 MiB"));
    }
    std::fs::read(&canonical).map_err(|e| format!("`{path}`: {e}"))
}

/// How positions inside an inline patch map to the file it is written in:
/// a literal block scalar (`patch: |`) is the file's lines from its first
/// content line, shifted by its indentation (the parser's span of a block
/// scalar starts at its content); any other scalar maps everything to
/// itself.
fn embedding(file: &ParsedFile, inline: &Node) -> Box<dyn Fn(Span) -> Span> {
    let whole = Span::new(
        file.source.pos_of_offset(inline.origin.offset()),
        file.source.pos_of_offset(inline.origin.end()),
    );
    let header = file.source.line_text(whole.start.line.saturating_sub(1));
    let header = header.split(" #").next().unwrap_or("").trim_end();
    let indicator = header.rsplit([' ', ':']).next().unwrap_or("");
    let literal = whole.start.line > 1 && indicator.starts_with('|');
    if !literal {
        return Box::new(move |_| whole);
    }
    let first_line = whole.start.line;
    let indent = whole.start.col - 1;
    let source = file.source.clone();
    Box::new(move |inner: Span| {
        let map = |p: Pos| {
            let line = first_line + p.line - 1;
            let col = indent + p.col;
            let offset = source.lines.offset_of(&source.text, line, col - 1);
            Pos { line, col, offset }
        };
        Span::new(map(inner.start), map(inner.end))
    })
}

/// One `images` entry.
struct ImageRule {
    name: std::sync::Arc<regex::Regex>,
    new_name: Option<String>,
    new_tag: Option<String>,
    digest: Option<String>,
    tag_suffix: Option<String>,
}

impl ImageRule {
    fn read(entry: &Node) -> Option<ImageRule> {
        let name = entry.str_at(&["name"])?;
        // kustomize puts the name into the pattern as written (a `.` in
        // it matches any character).
        let pattern = format!(
            "^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:[a-zA-Z0-9_.{{}}-]*)?$"
        );
        let field = |f: &str| {
            entry
                .str_at(&[f])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Some(ImageRule {
            name: super::pattern::regex(&pattern).ok()?,
            new_name: field("newName"),
            new_tag: field("newTag"),
            digest: field("digest"),
            tag_suffix: field("tagSuffix"),
        })
    }

    fn apply(&self, node: &mut Node, origin: Origin) {
        let Some(value) = node.as_str() else { return };
        if !self.name.is_match(value) {
            return;
        }
        let (name, tag, digest) = split_image(value);
        let mut name = name.to_string();
        let mut tag = tag.to_string();
        let mut digest = digest.to_string();
        if let Some(n) = &self.new_name {
            name = n.clone();
        }
        match (&self.new_tag, &self.digest, &self.tag_suffix) {
            (Some(t), Some(d), _) => (tag, digest) = (t.clone(), d.clone()),
            (Some(t), None, _) => (tag, digest) = (t.clone(), String::new()),
            (None, Some(d), _) => (tag, digest) = (String::new(), d.clone()),
            (None, None, Some(s)) => (tag, digest) = (format!("{tag}{s}"), String::new()),
            (None, None, None) => {}
        }
        if !tag.is_empty() {
            name = format!("{name}:{tag}");
        }
        if !digest.is_empty() {
            name = format!("{name}@{digest}");
        }
        *node = Node::string(&name, origin);
    }
}

/// Every `containers` and `initContainers` list anywhere in the object.
fn update_container_images(node: &mut Node, image: &ImageRule, origin: Origin) {
    match &mut node.value {
        Value::Map(entries) => {
            for e in entries.iter_mut() {
                update_container_images(&mut e.value, image, origin);
                if matches!(e.key.as_str(), "containers" | "initContainers") {
                    for c in e.value.items_mut() {
                        if let Some(img) = c.get_mut("image") {
                            image.apply(img, origin);
                        }
                    }
                }
            }
        }
        Value::Seq(items) => items
            .iter_mut()
            .for_each(|i| update_container_images(i, image, origin)),
        Value::Scalar(_) => {}
    }
}

/// `registry/name:tag@digest` → (`registry/name`, `tag`, `digest`), as
/// kustomize splits it (a `:` before the first `/` is a registry port).
fn split_image(image: &str) -> (&str, &str, &str) {
    let slash = image.find('/').filter(|&i| i > 0).unwrap_or(0);
    let search = &image[slash..];
    let at = search.find('@').map(|i| i + slash);
    let colon = search.find(':').map(|i| i + slash);
    match (colon, at) {
        (None, None) => (image, "", ""),
        (c, Some(d)) if c.is_none_or(|c| d < c) => (&image[..d], "", &image[d + 1..]),
        (Some(c), Some(d)) => (&image[..c], &image[c + 1..d], &image[d + 1..]),
        (Some(c), None) => (&image[..c], &image[c + 1..], ""),
        (None, Some(_)) => unreachable!("covered by the digest-only arm"),
    }
}

/// Fields whose effect this renderer does not compute, and why: what they
/// would change stays unchecked, and the run says so.
const NOT_RENDERED: &[(&str, &str)] = &[
    ("helmCharts", "charts are not fetched"),
    ("helmChartInflationGenerator", "charts are not fetched"),
    ("vars", "vars are not rendered yet"),
    ("generators", "generator plugins are not run"),
    ("transformers", "transformer plugins are not run"),
    ("validators", "validator plugins are not run"),
    ("crds", "custom field specs from CRDs are not read"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::config::Config;

    fn build(ws: &Workspace) -> (Vec<Resource>, Vec<Problem>) {
        let mut b = Builder::new(ws);
        let out = b.build(RepoId::new(0), "");
        (out, b.problems)
    }

    fn workspace(files: &[(&str, &str)]) -> Workspace {
        Workspace::in_memory(files, Config::default())
    }

    fn at(ws: &Workspace, node: &Node) -> (u32, u32) {
        let span = node.origin.span(ws);
        (span.start.line, span.start.col)
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers: [{name: app, image: 'nginx:1'}]\n";

    #[test]
    fn a_directory_without_a_kustomization_lists_its_manifests_and_nested_kustomizations() {
        let k = "resources: [x.yaml]\n";
        let ws = workspace(&[
            ("apps/a/kustomization.yaml", k),
            ("apps/a/x.yaml", DEPLOY),
            ("apps/a/c/kustomization.yaml", k),
            ("apps/a/c/x.yaml", DEPLOY),
            ("apps/a-b/kustomization.yaml", k),
            ("apps/a-b/x.yaml", DEPLOY),
            ("apps/a.yaml", DEPLOY),
            ("apps/ab/z.yaml", DEPLOY),
            ("apps/top.yaml", DEPLOY),
            ("apps/zz/deep/kustomization.yaml", k),
            ("apps/zz/deep/x.yaml", DEPLOY),
            ("apps/zz/near.yaml", DEPLOY),
        ]);
        let mut b = Builder::new(&ws);
        let at = Origin::new(FileId::new(0), Span::default());
        let generated = b.kustomization_at(RepoId::new(0), "apps", at).unwrap();
        let resources: Vec<&str> = generated
            .get("resources")
            .map(|r| match &r.value {
                Value::Seq(items) => items.iter().filter_map(|i| i.as_str()).collect(),
                _ => Vec::new(),
            })
            .unwrap_or_default();
        // Nested kustomizations first (an outer one hides those below it),
        // then every manifest outside them.
        assert_eq!(
            resources,
            [
                "a",
                "a-b",
                "zz/deep",
                "a.yaml",
                "ab/z.yaml",
                "top.yaml",
                "zz/near.yaml"
            ]
        );
    }

    #[test]
    fn every_value_keeps_the_place_that_set_it() {
        let k = "resources: [deploy.yaml]\npatches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: web}\n      spec:\n        replicas: 3\nimages:\n  - name: nginx\n    newName: myacr.azurecr.io/nginx\nconfigMapGenerator:\n  - {name: cfg, literals: [a=1]}\n";
        let ws = workspace(&[("kustomization.yaml", k), ("deploy.yaml", DEPLOY)]);
        let (out, problems) = build(&ws);
        let at = |node: &Node| at(&ws, node);
        assert!(problems.is_empty(), "{problems:?}");
        let deploy = out.iter().find(|r| r.kind() == "Deployment").unwrap();
        // The patch's value, inside the block scalar.
        assert_eq!(
            at(deploy.root.path(&["spec", "replicas"]).unwrap()),
            (8, 19)
        );
        // The image, set by the `images` entry's newName.
        let image = deploy
            .root
            .path(&["spec", "template", "spec", "containers"])
            .unwrap()
            .items()[0]
            .get("image")
            .unwrap();
        assert_eq!(image.as_str(), Some("myacr.azurecr.io/nginx:1"));
        assert_eq!(at(image), (11, 14));
        // What the patch did not touch stays where it was written.
        assert_eq!(
            at(deploy.root.path(&["metadata", "name"]).unwrap()),
            (3, 18)
        );
        // A generated object is the generator entry's.
        let cm = out.iter().find(|r| r.kind() == "ConfigMap").unwrap();
        assert_eq!(at(cm.root.path(&["data", "a"]).unwrap()), (13, 5));
    }

    #[test]
    fn a_missing_resource_and_a_bad_patch_are_problems_at_their_entries() {
        let k = "resources: [deploy.yaml, gone.yaml]\npatches:\n  - target: {kind: Deployment}\n    patch: |-\n      - op: replace\n        path: /spec/nothing/here\n        value: 1\n";
        let ws = workspace(&[("kustomization.yaml", k), ("deploy.yaml", DEPLOY)]);
        let (_, problems) = build(&ws);
        let got: Vec<_> = problems
            .iter()
            .map(|p| (p.kind, p.span.start.line, p.span.start.col))
            .collect();
        assert_eq!(
            got,
            [(ProblemKind::Missing, 1, 26), (ProblemKind::Refused, 6, 15)]
        );
    }

    #[test]
    fn a_replaced_value_is_the_source_s_and_a_failure_is_at_its_entry() {
        let k = "resources: [deploy.yaml, cm.yaml]\nreplacements:\n  - source: {kind: ConfigMap, name: src, fieldPath: data.n}\n    targets:\n      - select: {kind: Deployment}\n        fieldPaths: [spec.replicas, spec.paused]\n";
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: src}\ndata:\n  n: '4'\n";
        let ws = workspace(&[
            ("kustomization.yaml", k),
            ("deploy.yaml", DEPLOY),
            ("cm.yaml", cm),
        ]);
        let mut b = Builder::new(&ws);
        let out = b.build(RepoId::new(0), "");
        let deploy = out.iter().find(|r| r.kind() == "Deployment").unwrap();
        let replicas = deploy.root.path(&["spec", "replicas"]).unwrap();
        // A number stays a number; the value is where the source wrote it.
        assert_eq!(replicas.to_json(), serde_json::json!(4));
        assert_eq!(ws.file(replicas.origin.file).file.rel, "cm.yaml");
        assert_eq!(at(&ws, replicas), (5, 6));
        let step = replicas.origin.step().expect("set by a step");
        assert_eq!(b.steps[step].what, StepKind::Replacement);
        // `spec.paused` is not in the Deployment: kustomize fails there.
        let got: Vec<_> = b
            .problems
            .iter()
            .map(|p| (p.kind, p.span.start.line, p.span.start.col))
            .collect();
        assert_eq!(got, [(ProblemKind::Refused, 6, 37)]);
    }

    #[test]
    fn splits_images_as_kustomize() {
        assert_eq!(split_image("nginx"), ("nginx", "", ""));
        assert_eq!(split_image("nginx:1.2"), ("nginx", "1.2", ""));
        assert_eq!(split_image("reg:5000/app:1"), ("reg:5000/app", "1", ""));
        assert_eq!(split_image("app@sha256:ab"), ("app", "", "sha256:ab"));
        assert_eq!(split_image("app:1@sha256:ab"), ("app", "1", "sha256:ab"));
    }
}
