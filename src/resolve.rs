//! Stage 4b: the cross-repository index, built the way Flux resolves things.
//!
//! Starting from every Flux Kustomization under `clusters/<env>/` of a
//! platform repository, each registration is followed as Flux would: its
//! `sourceRef` → the GitRepository → that repository's local checkout →
//! `spec.path` → the manifests there (a `kustomization.yaml` overlay's
//! `resources`, `components` and patches; a plain directory read
//! recursively) → the HelmReleases found there → their chart directory and
//! `valuesFiles`. Every object reached is indexed by environment, group,
//! kind, namespace and name; every file reached learns the environments it
//! is deployed to; and every place where resolution breaks (a path that is
//! not there) is recorded as an [`Issue`] for the rules to report.
//!
//! Resolution that cannot apply is skipped silently: a source of a kind we
//! cannot read (OCI, ExternalArtifact), a repository without a local
//! checkout (one `info` per platform registration), a remote kustomize
//! resource (one `info`). Only what was resolved can be missing.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::path::Path;

use crate::config::Config;
use crate::finding::{Finding, Findings, Related, Severity};
use crate::load::ParsedFile;
use crate::objects::{ObjectMeta, HELM_GROUP, KUSTOMIZE_GROUP, OPERATOR_GROUP, SOURCE_GROUP};
use crate::source::{Pos, Span};
use crate::yaml::NodeRef;

use crate::index::{env_of_path, Repo};

/// Names of a kustomize overlay file, in the order kustomize looks for them.
pub const KUSTOMIZATION_FILES: &[&str] =
    &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The source every Flux installation creates for its own repository
/// (`flux bootstrap`, or a FluxInstance `spec.sync`).
pub const SELF_SOURCE: &str = "flux-system";

/// One object as deployed in one environment (or in no known environment).
#[derive(Debug, Clone)]
pub struct Occurrence {
    /// Index into `Workspace::files`.
    pub file: usize,
    /// Index of the document in its file.
    pub doc: usize,
    pub env: Option<String>,
    pub group: String,
    pub kind: String,
    /// The name after kustomize `namePrefix`/`nameSuffix`.
    pub name: String,
    /// The namespace after overlay/`targetNamespace` overrides; `None`
    /// when nothing sets it (it then matches any namespace).
    pub namespace: Option<String>,
    /// The registration that reached it.
    pub registration: Option<usize>,
    /// Made by a kustomize generator (`configMapGenerator`, …): it has no
    /// document of its own (`file`/`doc` are the overlay's).
    pub generated: bool,
}

/// Pattern A, B or C (docs/platform.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// A HelmRelease on a chart from the system's own repository.
    A,
    /// A HelmRelease on the central chart.
    B,
    /// Anything else: plain YAML, a kustomize overlay, a foreign chart.
    C,
}

/// What became of a registration's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceState {
    /// Resolved to a local checkout (index into `Workspace::repos`).
    Repo(usize),
    /// A Git source with no local checkout.
    NoCheckout(String),
    /// The sourceRef names nothing, or a kind we cannot read.
    Unknown,
}

/// A Flux Kustomization in a platform repository's `clusters/<env>/`, and
/// what it reaches.
#[derive(Debug, Clone)]
pub struct Registration {
    pub env: String,
    pub file: usize,
    pub doc: usize,
    /// The Kustomization's name (the system's name).
    pub name: String,
    /// The GitRepository it pulls from.
    pub source: Option<String>,
    pub state: SourceState,
    /// Occurrences reached through it.
    pub objects: Vec<usize>,
    /// Set when the source resolved and something was reached.
    pub pattern: Option<Pattern>,
}

/// A HelmRelease whose chart came from a local checkout.
#[derive(Debug, Clone)]
pub struct HelmUse {
    pub occurrence: usize,
    pub chart_repo: usize,
    /// The chart directory, relative to `chart_repo`'s root; set only when
    /// it holds a `Chart.yaml`.
    pub chart_dir: Option<String>,
    /// The `valuesFiles` that exist, in order: index into `Workspace::files`.
    pub values_files: Vec<usize>,
    pub pattern: Pattern,
}

/// A resolution problem, ready to become a finding of `rule`.
#[derive(Debug, Clone)]
pub struct Issue {
    pub rule: &'static str,
    pub file: usize,
    pub doc: usize,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
    pub severity: Option<Severity>,
    /// Places the issue depends on (a missing target path, …): a run with
    /// `--changed-since` reports the issue when one of them changed.
    pub related: Vec<Related>,
}

/// The index across every repository of a run.
#[derive(Debug, Default)]
pub struct CrossIndex {
    /// Per workspace file, the environments it is deployed to, in
    /// promotion order: from where it lives (`clusters/<env>/`,
    /// `environments/<env>/`) or, in a system repository, from the
    /// registrations that reach it.
    pub file_envs: Vec<Vec<String>>,
    pub occurrences: Vec<Occurrence>,
    pub registrations: Vec<Registration>,
    pub helm: Vec<HelmUse>,
    pub issues: Vec<Issue>,
    /// GitRepository name → repository with a local checkout.
    pub source_repos: HashMap<String, usize>,
    /// Environments in which some registration could not be followed: what
    /// its repository defines is unknown there.
    pub incomplete_envs: BTreeSet<String>,
    /// True when some walk outside any known environment hit an unresolved
    /// source.
    pub incomplete_unscoped: bool,
    /// Repositories that hold `clusters/<env>/` files.
    pub platform_repos: Vec<usize>,
    /// Per workspace file, the Flux Kustomizations (occurrence ids, sorted)
    /// that apply it: build it from their `spec.path`, as a resource, a
    /// patch or a plain manifest of a directory. Their `spec.postBuild`
    /// substitutes variables into it (see [`crate::schema::postbuild`]).
    pub appliers: Vec<Vec<usize>>,
    by_name: HashMap<(String, String, String), Vec<usize>>,
}

impl CrossIndex {
    /// Occurrences of `group/kind name` visible from `env` (all
    /// environments when `None`), whose namespace matches `namespace` (an
    /// unknown namespace on either side matches).
    pub fn find<'a>(
        &'a self,
        env: Option<&'a str>,
        group: &str,
        kind: &str,
        name: &str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Occurrence> + 'a {
        let key = (group.to_string(), kind.to_string(), name.to_string());
        let ids: &[usize] = self.by_name.get(&key).map_or(&[], Vec::as_slice);
        ids.iter().map(|&i| &self.occurrences[i]).filter(move |o| {
            let env_ok = match (env, &o.env) {
                (None, _) | (_, None) => true,
                (Some(e), Some(oe)) => e == oe,
            };
            let ns_ok = match (namespace, &o.namespace) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            env_ok && ns_ok
        })
    }

    /// Whether every registration of `env` was followed (so a name missing
    /// from the index is missing for real).
    pub fn is_complete(&self, env: Option<&str>) -> bool {
        match env {
            Some(e) => !self.incomplete_envs.contains(e),
            None => !self.incomplete_unscoped && self.incomplete_envs.is_empty(),
        }
    }

    /// Registrations (by index) whose source resolved to `repo`.
    pub fn registrations_of(&self, repo: usize) -> impl Iterator<Item = &Registration> {
        self.registrations
            .iter()
            .filter(move |r| r.state == SourceState::Repo(repo))
    }

    fn push(&mut self, occ: Occurrence) -> usize {
        let id = self.occurrences.len();
        self.by_name
            .entry((occ.group.clone(), occ.kind.clone(), occ.name.clone()))
            .or_default()
            .push(id);
        if let Some(r) = occ.registration {
            self.registrations[r].objects.push(id);
        }
        self.occurrences.push(occ);
        id
    }
}

/// What a walk carries down: where it started and what overlays set.
#[derive(Debug, Clone)]
struct Ctx {
    env: Option<String>,
    registration: Option<usize>,
    /// The Flux Kustomization (occurrence) whose build this walk is.
    applier: Option<usize>,
    namespace: Option<String>,
    prefix: String,
    suffix: String,
}

/// A Flux object waiting to be followed.
struct Pending {
    occurrence: usize,
    ctx: Ctx,
    /// A registration's own path, which the single-file
    /// `env-consistency` check already judges.
    top_level: bool,
}

/// A directory followed by a walk: (walk environment, registration,
/// applying Kustomization, repository, path).
type Visit = (Option<String>, Option<usize>, Option<usize>, usize, String);

struct Builder<'w> {
    repos: &'w [Repo],
    files: &'w [ParsedFile],
    config: &'w Config,
    /// Display-path prefix of each repository (`../k8s-orders/`).
    display_prefix: &'w [String],
    file_at: HashMap<(usize, &'w str), usize>,
    dirs: HashSet<(usize, String)>,
    on_disk: Vec<bool>,
    index: CrossIndex,
    reached: Vec<BTreeSet<usize>>,
    /// Directories already followed by a walk.
    visited: HashSet<Visit>,
    /// (file, doc, env) already indexed: a document reached twice in one
    /// environment (a platform Kustomization applying its own directory) is
    /// one object.
    indexed: HashSet<(usize, usize, Option<String>)>,
    queue: VecDeque<Pending>,
    issue_keys: HashSet<(&'static str, usize, Pos, String)>,
    /// GitRepository names already reported as having no local checkout:
    /// one finding per repository, however many environments register it.
    no_checkout_reported: HashSet<String>,
    /// [`Builder::kustomization_file`] answers, per repository by directory
    /// (each miss may cost a look at the disk).
    kustomizations: RefCell<Vec<HashMap<String, Option<String>>>>,
    /// `files` is sorted by (repository, path), so a directory's files are
    /// one range of it.
    files_sorted: bool,
}

/// Builds the index. `display_prefix[i]` is how repository `i`'s files are
/// shown in reports (empty for the checked repository).
pub fn build(
    repos: &[Repo],
    files: &[ParsedFile],
    config: &Config,
    display_prefix: &[String],
) -> CrossIndex {
    let objects: usize = files.iter().map(|f| f.objects.len()).sum();
    let mut file_at = HashMap::with_capacity(files.len());
    let mut dirs = HashSet::new();
    for (i, f) in files.iter().enumerate() {
        file_at.insert((f.file.repo, f.file.rel.as_str()), i);
        let mut rel = f.file.rel.as_str();
        while let Some((parent, _)) = rel.rsplit_once('/') {
            if !dirs.insert((f.file.repo, parent.to_string())) {
                break;
            }
            rel = parent;
        }
    }
    let mut b = Builder {
        repos,
        files,
        config,
        display_prefix,
        file_at,
        dirs,
        on_disk: repos.iter().map(|r| r.root.is_dir()).collect(),
        // Sized for every object once: growing these by doubling cost
        // more than filling them.
        index: CrossIndex {
            file_envs: vec![Vec::new(); files.len()],
            appliers: vec![Vec::new(); files.len()],
            occurrences: Vec::with_capacity(objects),
            by_name: HashMap::with_capacity(objects),
            ..CrossIndex::default()
        },
        reached: vec![BTreeSet::new(); files.len()],
        visited: HashSet::new(),
        indexed: HashSet::with_capacity(objects),
        queue: VecDeque::new(),
        issue_keys: HashSet::new(),
        no_checkout_reported: HashSet::new(),
        kustomizations: RefCell::new(vec![HashMap::new(); repos.len()]),
        files_sorted: files.windows(2).all(|w| {
            (w[0].file.repo, w[0].file.rel.as_str()) <= (w[1].file.repo, w[1].file.rel.as_str())
        }),
    };
    b.map_sources();
    b.walk_registrations();
    b.walk_the_rest();
    b.classify();
    b.finish()
}

fn promotion_rank(config: &Config, env: &str) -> usize {
    config
        .promotion
        .iter()
        .position(|e| e == env)
        .or_else(|| {
            config
                .environments
                .iter()
                .position(|(n, _)| n == env)
                .map(|p| p + config.promotion.len())
        })
        .unwrap_or(usize::MAX)
}

/// `base` joined with a relative `entry`, `.`/`..` resolved; `None` when it
/// climbs out of the repository.
pub fn join_rel(base: &str, entry: &str) -> Option<String> {
    let mut parts: Vec<&str> = if entry.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|p| !p.is_empty()).collect()
    };
    for p in entry.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// A kustomize entry that names something remote (a URL, a Git address).
fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.starts_with("git::")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
        || entry.contains("?ref=")
        || entry.contains(".git//")
}

fn parent_dir(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

fn span_of(node: NodeRef<'_>) -> Span {
    node.span()
}

fn is_truthy(node: Option<NodeRef<'_>>) -> bool {
    node.and_then(|n| n.as_str())
        .is_some_and(|s| matches!(s, "true" | "True" | "TRUE"))
}

impl<'w> Builder<'w> {
    fn doc(&self, file: usize, doc: usize) -> NodeRef<'w> {
        self.files[file].stream.docs[doc].root()
    }

    fn display(&self, repo: usize, rel: &str) -> String {
        format!("{}{}", self.display_prefix[repo], rel)
    }

    fn file(&self, repo: usize, rel: &str) -> Option<usize> {
        self.file_at.get(&(repo, rel)).copied()
    }

    fn file_exists(&self, repo: usize, rel: &str) -> bool {
        self.file(repo, rel).is_some()
            || (self.on_disk[repo] && self.repos[repo].root.join(rel).is_file())
    }

    fn dir_exists(&self, repo: usize, rel: &str) -> bool {
        rel.is_empty()
            || self.dirs.contains(&(repo, rel.to_string()))
            || (self.on_disk[repo] && self.repos[repo].root.join(rel).is_dir())
    }

    fn kustomization_file(&self, repo: usize, dir: &str) -> Option<String> {
        if let Some(known) = self
            .kustomizations
            .borrow()
            .get(repo)
            .and_then(|m| m.get(dir))
        {
            return known.clone();
        }
        let found = KUSTOMIZATION_FILES.iter().find_map(|name| {
            let rel = join_rel(dir, name)?;
            self.file_exists(repo, &rel).then_some(rel)
        });
        if let Some(m) = self.kustomizations.borrow_mut().get_mut(repo) {
            m.insert(dir.to_string(), found.clone());
        }
        found
    }

    /// The range of `files` that may lie in repository `repo` below `prefix`
    /// (`dir/`, or empty for the whole repository).
    fn files_below(&self, repo: usize, prefix: &str) -> std::ops::Range<usize> {
        if !self.files_sorted {
            return 0..self.files.len();
        }
        let start = self
            .files
            .partition_point(|f| (f.file.repo, f.file.rel.as_str()) < (repo, prefix));
        let len = self.files[start..]
            .iter()
            .take_while(|f| f.file.repo == repo && f.file.rel.starts_with(prefix))
            .count();
        start..start + len
    }

    #[allow(clippy::too_many_arguments)]
    fn issue(
        &mut self,
        rule: &'static str,
        file: usize,
        doc: usize,
        span: Span,
        message: String,
        help: Option<&str>,
        severity: Option<Severity>,
        related: Vec<Related>,
    ) {
        if !self
            .issue_keys
            .insert((rule, file, span.start, message.clone()))
        {
            return;
        }
        self.index.issues.push(Issue {
            rule,
            file,
            doc,
            span,
            message,
            help: help.map(String::from),
            severity,
            related,
        });
    }

    fn missing_target(&self, repo: usize, rel: &str, what: &str) -> Vec<Related> {
        vec![Related {
            path: self.display(repo, rel),
            span: Span::point(Pos {
                line: 1,
                col: 1,
                offset: 0,
            }),
            message: format!("{what} expected here"),
        }]
    }

    /// GitRepository name → local checkout: `--system-repo`/`systemRepos`
    /// names, then the checked repository itself when it is a system
    /// repository named like its directory.
    fn map_sources(&mut self) {
        for (i, repo) in self.repos.iter().enumerate() {
            if i > 0 {
                self.index.source_repos.insert(repo.name.clone(), i);
            }
        }
        // `Path` equality and hashing go by components, which drop `.`:
        // `/repo/.` is `/repo`. The first repository with a root wins.
        let mut by_root: HashMap<&Path, usize> = HashMap::new();
        for (i, r) in self.repos.iter().enumerate() {
            by_root.entry(r.root.as_path()).or_insert(i);
        }
        for (name, dir) in &self.config.system_repos {
            if self.index.source_repos.contains_key(name) {
                continue; // a repository of the run already (no disk lookup)
            }
            let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
            if let Some(&i) = by_root.get(dir.as_path()) {
                self.index.source_repos.entry(name.clone()).or_insert(i);
            }
        }
        for f in self.files {
            if f.file.rel.starts_with("clusters/")
                && env_of_path(self.config, &f.file.rel).is_some()
                && !self.index.platform_repos.contains(&f.file.repo)
            {
                self.index.platform_repos.push(f.file.repo);
            }
        }
        self.index.platform_repos.sort_unstable();
        // The checked repository as a system repository: its directory
        // name is its GitRepository's name (k8s-orders).
        if !self.index.platform_repos.contains(&0) {
            if let Some(base) = self.repos[0].root.file_name() {
                let base = base.to_string_lossy().into_owned();
                self.index.source_repos.entry(base).or_insert(0);
            }
        }
    }

    fn meta(&self, file: usize, doc: usize) -> Option<&'w ObjectMeta> {
        self.files[file].objects.get(doc)?.as_ref()
    }

    /// Indexes one document as deployed under `ctx`; returns its occurrence.
    fn index_doc(&mut self, file: usize, doc: usize, ctx: &Ctx) -> Option<usize> {
        let meta = self.meta(file, doc)?;
        if !self.indexed.insert((file, doc, ctx.env.clone())) {
            return None;
        }
        let name = format!(
            "{}{}{}",
            ctx.prefix,
            meta.name.as_deref().unwrap_or(""),
            ctx.suffix
        );
        let occ = Occurrence {
            file,
            doc,
            env: ctx.env.clone(),
            group: meta.group().to_string(),
            kind: meta.kind.clone(),
            name,
            namespace: ctx.namespace.clone().or_else(|| meta.namespace.clone()),
            registration: ctx.registration,
            generated: false,
        };
        let is_applier = crate::objects::is_flux_applier(meta);
        let id = self.index.push(occ);
        if is_applier {
            self.queue.push_back(Pending {
                occurrence: id,
                ctx: ctx.clone(),
                top_level: false,
            });
        }
        Some(id)
    }

    fn reach(&mut self, file: usize, ctx: &Ctx) {
        if let Some(env) = &ctx.env {
            self.reached[file].insert(promotion_rank(self.config, env));
        }
    }

    /// A file that the walk's Kustomization builds (a manifest or a patch,
    /// not a values file or a generator's input).
    fn apply(&mut self, file: usize, ctx: &Ctx) {
        self.reach(file, ctx);
        if let Some(a) = ctx.applier {
            let appliers = &mut self.index.appliers[file];
            if !appliers.contains(&a) {
                appliers.push(a);
            }
        }
    }

    /// Every Kustomization under `clusters/<env>/` is a registration.
    fn walk_registrations(&mut self) {
        for file in 0..self.files.len() {
            let f = &self.files[file];
            if !f.file.rel.starts_with("clusters/") || !f.file.kind.holds_manifests() {
                continue;
            }
            let Some(env) = env_of_path(self.config, &f.file.rel) else {
                continue;
            };
            let env = env.to_string();
            let ctx = Ctx {
                env: Some(env.clone()),
                registration: None,
                applier: None,
                namespace: None,
                prefix: String::new(),
                suffix: String::new(),
            };
            self.reach(file, &ctx);
            for doc in 0..f.objects.len() {
                let Some(meta) = self.meta(file, doc) else {
                    continue;
                };
                let is_ks = meta.is(KUSTOMIZE_GROUP, "Kustomization");
                let mut ctx = ctx.clone();
                if is_ks {
                    let reg = self.index.registrations.len();
                    self.index.registrations.push(Registration {
                        env: env.clone(),
                        file,
                        doc,
                        name: meta.name.clone().unwrap_or_default(),
                        source: None,
                        state: SourceState::Unknown,
                        objects: Vec::new(),
                        pattern: None,
                    });
                    ctx.registration = Some(reg);
                }
                if let Some(id) = self.index_doc(file, doc, &ctx) {
                    if is_ks {
                        if let Some(p) = self.queue.back_mut() {
                            if p.occurrence == id {
                                p.top_level = true;
                            }
                        }
                    }
                }
            }
        }
        self.drain();
    }

    /// Files no registration reached: indexed in the environment their path
    /// names (or none), and their Flux objects followed as far as they go.
    fn walk_the_rest(&mut self) {
        for file in 0..self.files.len() {
            let f = &self.files[file];
            if !f.file.kind.holds_manifests() || !self.reached[file].is_empty() {
                continue;
            }
            let env = env_of_path(self.config, &f.file.rel).map(String::from);
            let ctx = Ctx {
                env,
                registration: None,
                applier: None,
                namespace: None,
                prefix: String::new(),
                suffix: String::new(),
            };
            self.reach(file, &ctx);
            for doc in 0..f.objects.len() {
                self.index_doc(file, doc, &ctx);
            }
        }
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(p) = self.queue.pop_front() {
            let occ = self.index.occurrences[p.occurrence].clone();
            if occ.kind == "Kustomization" && occ.group == KUSTOMIZE_GROUP {
                self.follow_kustomization(p.occurrence, &occ, &p.ctx, p.top_level);
            } else if occ.kind == "HelmRelease" && occ.group == HELM_GROUP {
                self.follow_helm_release(p.occurrence, &occ, &p.ctx);
            }
        }
    }

    /// The local checkout a Git source name stands for, seen from a file of
    /// repository `from`.
    fn checkout_of(&self, source: &str, from: usize) -> Option<usize> {
        if let Some(&r) = self.index.source_repos.get(source) {
            return Some(r);
        }
        (source == SELF_SOURCE).then_some(from)
    }

    /// Whether a source named `name` of `kind` exists for a lookup from `env`.
    fn source_defined(&self, env: Option<&str>, kind: &str, name: &str, ns: Option<&str>) -> bool {
        name == SELF_SOURCE
            || self
                .index
                .find(env, SOURCE_GROUP, kind, name, ns)
                .next()
                .is_some()
            || self.fluxinstance_defines(env, name)
    }

    fn fluxinstance_defines(&self, env: Option<&str>, name: &str) -> bool {
        self.index
            .find(env, OPERATOR_GROUP, "FluxInstance", "flux", None)
            .chain(
                self.index
                    .find(env, OPERATOR_GROUP, "FluxInstance", name, None),
            )
            .any(|o| {
                let root = self.doc(o.file, o.doc);
                root.path(&["spec", "sync"]).is_some()
                    && root
                        .str_at(&["spec", "sync", "name"])
                        .unwrap_or(SELF_SOURCE)
                        == name
            })
    }

    fn note_incomplete(&mut self, env: Option<&str>) {
        match env {
            Some(e) => {
                self.index.incomplete_envs.insert(e.to_string());
            }
            None => self.index.incomplete_unscoped = true,
        }
    }

    fn follow_kustomization(&mut self, id: usize, occ: &Occurrence, ctx: &Ctx, top_level: bool) {
        let (file, doc) = (occ.file, occ.doc);
        let root = self.doc(file, doc);
        let Some(spec) = root.get("spec") else {
            return;
        };
        let from_repo = self.files[file].file.repo;
        let Some(source_ref) = spec.get("sourceRef") else {
            return;
        };
        let kind = source_ref.str_at(&["kind"]).unwrap_or("GitRepository");
        let Some(name_node) = source_ref.get("name") else {
            return;
        };
        let Some(name) = name_node.as_str() else {
            return;
        };
        let ns = source_ref
            .str_at(&["namespace"])
            .map(String::from)
            .or_else(|| occ.namespace.clone());
        if let Some(reg) = ctx.registration.filter(|_| top_level) {
            self.index.registrations[reg].source = Some(name.to_string());
        }
        let env = ctx.env.as_deref();
        if kind != "GitRepository" {
            if matches!(kind, "OCIRepository" | "Bucket") {
                self.note_incomplete(env);
            }
            return;
        }
        if !self.source_defined(env, kind, name, ns.as_deref()) {
            return; // dangling-ref's to report
        }
        let Some(repo) = self.checkout_of(name, from_repo) else {
            self.note_incomplete(env);
            if let (true, Some(reg)) = (top_level, ctx.registration) {
                self.index.registrations[reg].state = SourceState::NoCheckout(name.to_string());
                if self.no_checkout_reported.insert(name.to_string()) {
                    let message = format!(
                        "GitRepository '{name}' has no local checkout, so {} '{}' (and every other registration of it) is not followed into it; pass `--system-repo {name}=DIR` or add it to `systemRepos`",
                        occ.kind, occ.name
                    );
                    let severity = if self.config.require_system_repos {
                        Severity::Error
                    } else {
                        Severity::Info
                    };
                    self.issue(
                        "missing-path",
                        file,
                        doc,
                        span_of(name_node),
                        message,
                        Some("paths, charts and patterns of an unresolved system repository are not checked; `requireSystemRepos: true` makes this an error"),
                        Some(severity),
                        Vec::new(),
                    );
                }
            }
            return;
        };
        if let (true, Some(reg)) = (top_level, ctx.registration) {
            self.index.registrations[reg].state = SourceState::Repo(repo);
        }
        let (path_text, path_node) = match spec.get("path") {
            Some(n) => (n.as_str().unwrap_or(""), Some(n)),
            None => ("", None),
        };
        let Some(path) = join_rel("", path_text) else {
            return;
        };
        let mut inner = ctx.clone();
        inner.applier = Some(id);
        if let Some(t) = spec.str_at(&["targetNamespace"]) {
            inner.namespace = Some(t.to_string());
        }
        if let Some(p) = spec.str_at(&["namePrefix"]) {
            inner.prefix = format!("{p}{}", inner.prefix);
        }
        if let Some(s) = spec.str_at(&["nameSuffix"]) {
            inner.suffix = format!("{}{s}", inner.suffix);
        }
        let span = path_node.map_or_else(
            || root.get("spec").map_or(root.span(), |s| s.span()),
            span_of,
        );
        if !self.dir_exists(repo, &path) {
            let where_ = self.repo_label(repo);
            let message = if self.file_exists(repo, &path) {
                format!(
                    "{} '{}' has `spec.path: {path_text}`, a file in {where_}; Flux needs a directory",
                    occ.kind, occ.name
                )
            } else {
                format!(
                    "{} '{}' has `spec.path: {path_text}`, which does not exist in {where_}",
                    occ.kind, occ.name
                )
            };
            let related = self.missing_target(repo, &path, "directory");
            self.issue(
                "missing-path",
                file,
                doc,
                span,
                message,
                Some("create the directory, or point `spec.path` at an existing one"),
                None,
                related,
            );
            return;
        }
        if !top_level {
            if let Some(node) = path_node {
                self.check_env(file, doc, node, repo, &path, ctx);
            }
        }
        self.read_dir(repo, &path, &inner);
    }

    fn repo_label(&self, repo: usize) -> String {
        if repo == 0 {
            "this repository".to_string()
        } else {
            format!("repository '{}'", self.repos[repo].name)
        }
    }

    /// The cross-file half of `env-consistency`: a walk in `env` reaching
    /// `environments/<other>/…`.
    fn check_env(
        &mut self,
        file: usize,
        doc: usize,
        node: NodeRef<'_>,
        repo: usize,
        target: &str,
        ctx: &Ctx,
    ) {
        let Some(env) = ctx.env.as_deref() else {
            return;
        };
        if !target.starts_with("environments/") {
            return;
        }
        let Some(other) = env_of_path(self.config, target) else {
            return;
        };
        if other == env {
            return;
        }
        let entry = node.as_str().unwrap_or(target);
        let message = format!(
            "`{entry}` is reached from `clusters/{env}` but belongs to environment `{other}`; use `environments/{env}/…`"
        );
        let related = vec![Related {
            path: self.display(repo, target),
            span: Span::point(Pos {
                line: 1,
                col: 1,
                offset: 0,
            }),
            message: format!("environment `{other}`"),
        }];
        self.issue(
            "env-consistency",
            file,
            doc,
            node.span(),
            message,
            Some("a system repository path reached from an environment must be that environment's"),
            None,
            related,
        );
    }

    /// What Flux applies from a directory: its kustomization overlay, or
    /// every manifest below it.
    fn read_dir(&mut self, repo: usize, dir: &str, ctx: &Ctx) {
        if !self.visited.insert((
            ctx.env.clone(),
            ctx.registration,
            ctx.applier,
            repo,
            dir.to_string(),
        )) {
            return;
        }
        if let Some(k) = self.kustomization_file(repo, dir) {
            self.follow_overlay(repo, &k, ctx);
            return;
        }
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut overlays: BTreeSet<String> = BTreeSet::new();
        let mut plain = Vec::new();
        for i in self.files_below(repo, &prefix) {
            let f = &self.files[i];
            if f.file.repo != repo || !f.file.rel.starts_with(&prefix) {
                continue;
            }
            // A subdirectory with its own overlay is applied as that overlay.
            let mut d = parent_dir(&f.file.rel);
            let mut overlay = None;
            while d.len() > dir.len() {
                if self.kustomization_file(repo, d).is_some() {
                    overlay = Some(d.to_string());
                }
                d = parent_dir(d);
            }
            match overlay {
                Some(o) => {
                    overlays.insert(o);
                }
                None if f.file.kind.holds_manifests() => plain.push(i),
                None => {}
            }
        }
        for i in plain {
            self.apply(i, ctx);
            for doc in 0..self.files[i].objects.len() {
                self.index_doc(i, doc, ctx);
            }
        }
        for o in overlays {
            self.read_dir(repo, &o, ctx);
        }
    }

    fn follow_overlay(&mut self, repo: usize, kfile: &str, ctx: &Ctx) {
        let Some(file) = self.file(repo, kfile) else {
            return; // present on disk but not loaded (excluded): not read
        };
        self.reach(file, ctx);
        let Some(root) = self.files[file].stream.docs.first().map(|d| d.root()) else {
            return;
        };
        let dir = parent_dir(kfile).to_string();
        let mut inner = ctx.clone();
        if ctx.namespace.is_none() {
            if let Some(ns) = root.str_at(&["namespace"]) {
                inner.namespace = Some(ns.to_string());
            }
        }
        if let Some(p) = root.str_at(&["namePrefix"]) {
            inner.prefix = format!("{}{p}", ctx.prefix);
        }
        if let Some(s) = root.str_at(&["nameSuffix"]) {
            inner.suffix = format!("{s}{}", ctx.suffix);
        }
        for key in ["resources", "bases", "components"] {
            let Some(list) = root.get(key) else { continue };
            for item in list.items() {
                let Some(entry) = item.as_str() else { continue };
                self.follow_entry(repo, &dir, file, item, entry, key, &inner);
            }
        }
        // Patches are read for their existence; they are not objects.
        let mut patch_paths = Vec::new();
        for key in ["patches", "patchesJson6902"] {
            if let Some(list) = root.get(key) {
                patch_paths.extend(list.items().filter_map(|p| p.get("path")));
            }
        }
        if let Some(list) = root.get("patchesStrategicMerge") {
            patch_paths.extend(
                list.items()
                    .filter(|p| p.as_str().is_some_and(|s| !s.contains('\n'))),
            );
        }
        for node in patch_paths {
            let Some(entry) = node.as_str() else { continue };
            if is_remote(entry) {
                continue;
            }
            let Some(target) = join_rel(&dir, entry) else {
                continue;
            };
            if let Some(t) = self.file(repo, &target) {
                self.apply(t, ctx);
            } else if !self.file_exists(repo, &target) {
                let related = self.missing_target(repo, &target, "patch file");
                self.issue(
                    "missing-path",
                    file,
                    0,
                    node.span(),
                    format!(
                        "patch `{entry}` does not exist in {}",
                        self.repo_label(repo)
                    ),
                    Some("kustomize fails the whole build on a missing patch file"),
                    None,
                    related,
                );
            }
        }
        self.generators(repo, &dir, file, root, &inner);
    }

    #[allow(clippy::too_many_arguments)]
    fn follow_entry(
        &mut self,
        repo: usize,
        dir: &str,
        file: usize,
        item: NodeRef<'_>,
        entry: &str,
        key: &str,
        ctx: &Ctx,
    ) {
        if is_remote(entry) {
            self.issue(
                "missing-path",
                file,
                0,
                item.span(),
                format!("kustomize {key} entry `{entry}` is remote; it is not followed, so what it defines is not checked"),
                None,
                Some(Severity::Info),
                Vec::new(),
            );
            self.note_incomplete(ctx.env.as_deref());
            return;
        }
        let Some(target) = join_rel(dir, entry) else {
            return;
        };
        self.check_env(file, 0, item, repo, &target, ctx);
        if let Some(t) = self.file(repo, &target) {
            self.apply(t, ctx);
            if self.files[t].file.kind.holds_manifests() {
                for doc in 0..self.files[t].objects.len() {
                    self.index_doc(t, doc, ctx);
                }
            }
            return;
        }
        if self.dir_exists(repo, &target) {
            if self.kustomization_file(repo, &target).is_some() {
                self.read_dir(repo, &target, ctx);
            } else {
                let related = self.missing_target(
                    repo,
                    &format!("{target}/kustomization.yaml"),
                    "kustomization.yaml",
                );
                self.issue(
                    "missing-path",
                    file,
                    0,
                    item.span(),
                    format!("kustomize {key} entry `{entry}` is a directory without a kustomization.yaml"),
                    Some("add a kustomization.yaml there, or list its files one by one"),
                    None,
                    related,
                );
            }
            return;
        }
        if self.file_exists(repo, &target) {
            return; // a file we do not read (excluded, not YAML)
        }
        let related = self.missing_target(repo, &target, "file or directory");
        self.issue(
            "missing-path",
            file,
            0,
            item.span(),
            format!(
                "kustomize {key} entry `{entry}` does not exist in {}",
                self.repo_label(repo)
            ),
            Some("kustomize fails the whole build on a missing resource"),
            None,
            related,
        );
    }

    /// `configMapGenerator` / `secretGenerator`: the objects they make, and
    /// the files they read.
    fn generators(&mut self, repo: usize, dir: &str, file: usize, root: NodeRef<'_>, ctx: &Ctx) {
        for (key, kind) in [
            ("configMapGenerator", "ConfigMap"),
            ("secretGenerator", "Secret"),
        ] {
            let Some(list) = root.get(key) else { continue };
            for gen in list.items() {
                if let Some(name) = gen.str_at(&["name"]) {
                    let behavior = gen.str_at(&["behavior"]).unwrap_or("create");
                    if behavior == "create" {
                        let occ = Occurrence {
                            file,
                            doc: 0,
                            env: ctx.env.clone(),
                            group: String::new(),
                            kind: kind.to_string(),
                            name: format!("{}{name}{}", ctx.prefix, ctx.suffix),
                            namespace: ctx
                                .namespace
                                .clone()
                                .or_else(|| gen.str_at(&["namespace"]).map(String::from)),
                            registration: ctx.registration,
                            generated: true,
                        };
                        self.index.push(occ);
                    }
                }
                let mut sources: Vec<(NodeRef<'_>, String)> = Vec::new();
                for k in ["files", "envs"] {
                    if let Some(l) = gen.get(k) {
                        for item in l.items() {
                            if let Some(s) = item.as_str() {
                                let path = s.split_once('=').map_or(s, |(_, p)| p);
                                sources.push((item, path.to_string()));
                            }
                        }
                    }
                }
                if let Some(item) = gen.get("env") {
                    if let Some(s) = item.as_str() {
                        sources.push((item, s.to_string()));
                    }
                }
                for (item, path) in sources {
                    let Some(target) = join_rel(dir, &path) else {
                        continue;
                    };
                    if let Some(t) = self.file(repo, &target) {
                        self.reach(t, ctx);
                    } else if !self.file_exists(repo, &target) && self.on_disk[repo] {
                        let related = self.missing_target(repo, &target, "file");
                        self.issue(
                            "missing-path",
                            file,
                            0,
                            item.span(),
                            format!(
                                "{key} file `{path}` does not exist in {}",
                                self.repo_label(repo)
                            ),
                            Some("kustomize fails the whole build on a missing generator file"),
                            None,
                            related,
                        );
                    }
                }
            }
        }
    }

    fn follow_helm_release(&mut self, id: usize, occ: &Occurrence, ctx: &Ctx) {
        let (file, doc) = (occ.file, occ.doc);
        let root = self.doc(file, doc);
        let Some(chart_spec) = root.path(&["spec", "chart", "spec"]) else {
            return;
        };
        let Some(source_ref) = chart_spec.get("sourceRef") else {
            return;
        };
        let Some(source) = source_ref.str_at(&["name"]) else {
            return;
        };
        let kind = source_ref.str_at(&["kind"]).unwrap_or("");
        if kind != "GitRepository" {
            return; // a chart from a Helm or OCI repository: a package we cannot read
        }
        let ns = source_ref
            .str_at(&["namespace"])
            .map(String::from)
            .or_else(|| occ.namespace.clone());
        let env = ctx.env.as_deref();
        if !self.source_defined(env, kind, source, ns.as_deref()) {
            return;
        }
        let from_repo = self.files[file].file.repo;
        let reg_source = ctx
            .registration
            .and_then(|r| self.index.registrations[r].source.clone());
        let repo = match self.checkout_of(source, from_repo) {
            Some(r) => r,
            None => {
                // The registration's own repository is where this file is.
                if reg_source.as_deref() == Some(source) {
                    from_repo
                } else {
                    return;
                }
            }
        };
        let pattern = if reg_source.as_deref() == Some(source)
            || (reg_source.is_none() && repo == from_repo)
        {
            Pattern::A
        } else if source == self.config.central_chart.source
            && join_rel("", chart_spec.str_at(&["chart"]).unwrap_or(""))
                == join_rel("", &self.config.central_chart.chart)
        {
            Pattern::B
        } else {
            Pattern::C
        };
        let mut chart_dir = None;
        if let Some(chart_node) = chart_spec.get("chart") {
            let chart = chart_node.as_str().unwrap_or("");
            if let Some(dir) = join_rel("", chart) {
                let chart_yaml = join_rel(&dir, "Chart.yaml").unwrap_or_default();
                if self.file_exists(repo, &chart_yaml) {
                    if let Some(v) =
                        self.file(repo, &join_rel(&dir, "values.yaml").unwrap_or_default())
                    {
                        self.reach(v, ctx);
                    }
                    chart_dir = Some(dir);
                } else {
                    let (message, what) = if self.dir_exists(repo, &dir) {
                        (format!("HelmRelease '{}' uses chart `{chart}`, a directory without Chart.yaml in {}", occ.name, self.repo_label(repo)), "Chart.yaml")
                    } else {
                        (
                            format!(
                                "HelmRelease '{}' uses chart `{chart}`, which does not exist in {}",
                                occ.name,
                                self.repo_label(repo)
                            ),
                            "chart directory",
                        )
                    };
                    let related = self.missing_target(repo, &chart_yaml, what);
                    self.issue(
                        "missing-path",
                        file,
                        doc,
                        chart_node.span(),
                        message,
                        Some("point `spec.chart.spec.chart` at a directory holding Chart.yaml"),
                        None,
                        related,
                    );
                }
            }
        }
        let ignore_missing = is_truthy(chart_spec.get("ignoreMissingValuesFiles"));
        let mut values_files = Vec::new();
        let mut seen_envs: Vec<(String, NodeRef<'_>)> = Vec::new();
        if let Some(list) = chart_spec.get("valuesFiles") {
            for item in list.items() {
                let Some(entry) = item.as_str() else { continue };
                let Some(target) = join_rel("", entry) else {
                    continue;
                };
                if ctx.env.is_some() {
                    self.check_env(file, doc, item, repo, &target, ctx);
                } else if let Some(e) = target
                    .starts_with("environments/")
                    .then(|| env_of_path(self.config, &target))
                    .flatten()
                {
                    if let Some((first, _)) = seen_envs.iter().find(|(f, _)| f != e) {
                        let message = format!(
                            "HelmRelease '{}' mixes values of environments `{first}` and `{e}` in `valuesFiles`",
                            occ.name
                        );
                        self.issue(
                            "env-consistency",
                            file,
                            doc,
                            item.span(),
                            message,
                            Some("use one environment's values files only"),
                            None,
                            Vec::new(),
                        );
                    }
                    seen_envs.push((e.to_string(), item));
                }
                match self.file(repo, &target) {
                    Some(t) => {
                        self.reach(t, ctx);
                        values_files.push(t);
                    }
                    None if self.file_exists(repo, &target) || ignore_missing => {}
                    None => {
                        let related = self.missing_target(repo, &target, "values file");
                        self.issue(
                            "missing-path",
                            file,
                            doc,
                            item.span(),
                            format!(
                                "HelmRelease '{}' lists values file `{entry}`, which does not exist in {}",
                                occ.name,
                                self.repo_label(repo)
                            ),
                            Some("fix the path, or set `spec.chart.spec.ignoreMissingValuesFiles: true` if the file is optional"),
                            None,
                            related,
                        );
                    }
                }
            }
        }
        self.index.helm.push(HelmUse {
            occurrence: id,
            chart_repo: repo,
            chart_dir,
            values_files,
            pattern,
        });
    }

    /// Pattern of each followed registration: A or B when it delivers a
    /// HelmRelease on its own or the central chart, else C.
    fn classify(&mut self) {
        for r in 0..self.index.registrations.len() {
            let reg = &self.index.registrations[r];
            let SourceState::Repo(repo) = reg.state else {
                continue;
            };
            // The platform's own Kustomizations (on its `flux-system`
            // source) are not system registrations.
            if reg.source.as_deref() == Some(SELF_SOURCE)
                || (self.index.platform_repos.contains(&repo)
                    && !self
                        .config
                        .system_repos
                        .contains_key(reg.source.as_deref().unwrap_or("")))
            {
                continue;
            }
            let deployed: Vec<usize> = reg
                .objects
                .iter()
                .copied()
                .filter(|&o| {
                    let occ = &self.index.occurrences[o];
                    !(occ.file == reg.file && occ.doc == reg.doc)
                })
                .collect();
            if deployed.is_empty() {
                continue;
            }
            let chart_pattern = self
                .index
                .helm
                .iter()
                .filter(|h| deployed.contains(&h.occurrence))
                .map(|h| h.pattern)
                .find(|p| *p != Pattern::C);
            self.index.registrations[r].pattern = Some(chart_pattern.unwrap_or(Pattern::C));
        }
    }

    fn finish(mut self) -> CrossIndex {
        for a in &mut self.index.appliers {
            a.sort_unstable();
        }
        let config = self.config;
        let mut by_rank: Vec<(usize, &str)> = config
            .environments
            .iter()
            .map(|(n, _)| (promotion_rank(config, n), n.as_str()))
            .collect();
        by_rank.sort();
        for (file, ranks) in self.reached.iter().enumerate() {
            self.index.file_envs[file] = ranks
                .iter()
                .filter_map(|r| {
                    by_rank
                        .iter()
                        .find(|(k, _)| k == r)
                        .map(|(_, n)| n.to_string())
                })
                .collect();
        }
        // A file reached from no environment keeps the one its path names.
        for (file, f) in self.files.iter().enumerate() {
            if self.index.file_envs[file].is_empty() {
                if let Some(e) = env_of_path(config, &f.file.rel) {
                    self.index.file_envs[file].push(e.to_string());
                }
            }
        }
        self.index
    }
}

/// The display-path prefix of each repository (`""` for the checked one).
pub fn display_prefixes(repos: &[Repo], files: &[ParsedFile]) -> Vec<String> {
    repos
        .iter()
        .enumerate()
        .map(|(i, repo)| {
            if i == 0 {
                return String::new();
            }
            files
                .iter()
                .find(|f| f.file.repo == i)
                .and_then(|f| {
                    f.file
                        .display
                        .strip_suffix(f.file.rel.as_str())
                        .map(String::from)
                })
                .unwrap_or_else(|| {
                    let root = &repos[0].root;
                    relative_display(root, &repo.root)
                })
        })
        .collect()
}

fn relative_display(root: &Path, path: &Path) -> String {
    let mut s = crate::discover::display_path(root, path);
    if !s.is_empty() {
        s.push('/');
    }
    s
}

/// Reports the index's issues of `rule` as findings.
pub fn report_issues(ws: &crate::index::Workspace, rule: &'static str, out: &mut Findings) {
    for issue in ws.cross().issues.iter().filter(|i| i.rule == rule) {
        let Some(file) = ws.files.get(issue.file) else {
            continue;
        };
        let object = file
            .objects
            .get(issue.doc)
            .and_then(|o| o.as_ref())
            .map(ObjectMeta::to_ref);
        let mut f =
            Finding::new(rule, file.path(), issue.span, issue.message.clone()).with_object(object);
        if let Some(h) = &issue.help {
            f = f.with_help(h.clone());
        }
        if let Some(s) = issue.severity {
            f = f.with_severity(s);
        }
        for r in &issue.related {
            f = f.with_related(r.clone());
        }
        out.push(f);
    }
}
