//! Building the graph: a breadth-first walk from every registration, as
//! Flux follows it. Kustomizations are followed in [`kustomize`],
//! HelmReleases in [`helm_release`].

mod helm_release;
mod kustomize;

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use crate::base::hash::{self, FastMap, FastSet};
use std::path::{Path, PathBuf};

use crate::base::ids::{DocId, FileId, IdVec, OccurrenceId, RegistrationId, RepoId};
use crate::base::paths;
use crate::base::source::Span;
use crate::model::flux::FluxInstanceView;
use crate::model::kustomization::KUSTOMIZATION_FILES;
use crate::model::objects::{
    ObjectMeta, HELM_GROUP, KUSTOMIZE_GROUP, OPERATOR_GROUP, SELF_SOURCE, SOURCE_GROUP,
};
use crate::workspace::config::Config;
use crate::workspace::load::ParsedFile;
use crate::workspace::{env_of_path, DiskReads, Repo, Workspace};
use crate::yaml::NodeRef;

use super::{Gap, GapKind, Graph, Occurrence, Pattern, Registration, SourceState, Target};

/// What a walk carries down: where it started and what overlays set.
#[derive(Debug, Clone)]
struct Ctx {
    env: Option<String>,
    registration: Option<RegistrationId>,
    /// The Flux Kustomization (occurrence) whose build this walk is.
    applier: Option<OccurrenceId>,
    namespace: Option<String>,
    prefix: String,
    suffix: String,
}

impl Ctx {
    /// A walk starting in `env`, outside any overlay.
    fn at(env: Option<String>) -> Ctx {
        Ctx {
            env,
            registration: None,
            applier: None,
            namespace: None,
            prefix: String::new(),
            suffix: String::new(),
        }
    }
}

/// A Flux object waiting to be followed.
struct Pending {
    occurrence: OccurrenceId,
    ctx: Ctx,
    /// A registration's own path, which the single-file
    /// `env-consistency` check already judges.
    top_level: bool,
}

/// A directory followed by a walk, and what the walk carried there.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Visit {
    env: Option<String>,
    registration: Option<RegistrationId>,
    applier: Option<OccurrenceId>,
    repo: RepoId,
    dir: String,
}

struct Builder<'w> {
    repos: &'w IdVec<RepoId, Repo>,
    files: &'w IdVec<FileId, ParsedFile>,
    config: &'w Config,
    file_at: FastMap<(RepoId, &'w str), FileId>,
    dirs: FastSet<(RepoId, String)>,
    on_disk: IdVec<RepoId, bool>,
    /// Where the disk was probed (for the cache's fingerprint).
    disk: &'w DiskReads,
    index: Graph,
    /// Per file, the promotion ranks of the environments that reach it.
    reached: IdVec<FileId, BTreeSet<usize>>,
    /// Directories already followed by a walk.
    visited: FastSet<Visit>,
    /// (file, doc, env) already indexed: a document reached twice in one
    /// environment (a platform Kustomization applying its own directory) is
    /// one object.
    indexed: FastSet<(FileId, DocId, Option<String>)>,
    queue: VecDeque<Pending>,
    /// Gaps already recorded: one per place and fact.
    gap_keys: FastSet<Gap>,
    /// GitRepository names already reported as having no local checkout:
    /// one finding per repository, however many environments register it.
    no_checkout_reported: HashSet<String>,
    /// [`Builder::kustomization_file`] answers, per repository by directory
    /// (each miss may cost a look at the disk).
    kustomizations: RefCell<IdVec<RepoId, HashMap<String, Option<String>>>>,
}

/// Builds the graph of a workspace.
pub(super) fn build(ws: &Workspace) -> Graph {
    let (repos, files) = (&ws.repos, &ws.files);
    let objects: usize = files.iter().map(|f| f.objects.len()).sum();
    let mut file_at = hash::map_with_capacity(files.len());
    let mut dirs = FastSet::default();
    for f in files {
        file_at.insert((f.file.repo, f.file.rel.as_str()), f.id);
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
        config: &ws.config,
        file_at,
        dirs,
        on_disk: repos.iter().map(|r| r.root.is_dir()).collect(),
        disk: &ws.disk,
        // Sized for every object once: growing these by doubling cost
        // more than filling them.
        index: Graph {
            file_envs: files.iter().map(|_| Vec::new()).collect(),
            appliers: files.iter().map(|_| Vec::new()).collect(),
            occurrences: Vec::with_capacity(objects).into(),
            by_name: hash::map_with_capacity(objects),
            display_prefix: display_prefixes(ws),
            ..Graph::default()
        },
        reached: files.iter().map(|_| BTreeSet::new()).collect(),
        visited: FastSet::default(),
        indexed: hash::set_with_capacity(objects),
        queue: VecDeque::new(),
        gap_keys: FastSet::default(),
        no_checkout_reported: HashSet::new(),
        kustomizations: RefCell::new(repos.iter().map(|_| HashMap::new()).collect()),
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

impl<'w> Builder<'w> {
    fn doc(&self, file: FileId, doc: DocId) -> NodeRef<'w> {
        self.files[file].stream.docs[doc.index()].root()
    }

    fn file(&self, repo: RepoId, rel: &str) -> Option<FileId> {
        self.file_at.get(&(repo, rel)).copied()
    }

    fn file_exists(&self, repo: RepoId, rel: &str) -> bool {
        self.file(repo, rel).is_some() || self.on_disk(repo, rel).is_some_and(|p| p.is_file())
    }

    fn dir_exists(&self, repo: RepoId, rel: &str) -> bool {
        rel.is_empty()
            || self.dirs.contains(&(repo, rel.to_string()))
            || self.on_disk(repo, rel).is_some_and(|p| p.is_dir())
    }

    /// `rel` of `repo` on disk, for a look at what the files found do not
    /// show (a file that is not YAML, an empty directory), recorded as read.
    fn on_disk(&self, repo: RepoId, rel: &str) -> Option<PathBuf> {
        if !self.on_disk[repo] {
            return None;
        }
        let path = self.repos[repo].root.join(rel);
        self.disk.note(&path);
        Some(path)
    }

    fn kustomization_file(&self, repo: RepoId, dir: &str) -> Option<String> {
        if let Some(known) = self
            .kustomizations
            .borrow()
            .get(repo)
            .and_then(|m| m.get(dir))
        {
            return known.clone();
        }
        let found = KUSTOMIZATION_FILES.iter().find_map(|name| {
            let rel = paths::join(dir, name)?;
            self.file_exists(repo, &rel).then_some(rel)
        });
        self.kustomizations.borrow_mut()[repo].insert(dir.to_string(), found.clone());
        found
    }

    /// The files of repository `repo` below `prefix` (`dir/`, or empty for
    /// the whole repository): one range, as files are sorted by repository
    /// and path.
    fn files_below(&self, repo: RepoId, prefix: &str) -> &'w [ParsedFile] {
        let files: &'w [ParsedFile] = self.files;
        let start = files.partition_point(|f| (f.file.repo, f.file.rel.as_str()) < (repo, prefix));
        let len = files[start..]
            .iter()
            .take_while(|f| f.file.repo == repo && f.file.rel.starts_with(prefix))
            .count();
        &files[start..start + len]
    }

    fn gap(&mut self, file: FileId, doc: DocId, span: Span, kind: GapKind) {
        let gap = Gap {
            file,
            doc,
            span,
            kind,
        };
        if self.gap_keys.insert(gap.clone()) {
            self.index.gaps.push(gap);
        }
    }

    fn target(&self, repo: RepoId, rel: &str) -> Target {
        Target {
            repo,
            rel: rel.to_string(),
        }
    }

    /// GitRepository name → local checkout: `--system-repo`/`systemRepos`
    /// names, then the checked repository itself when it is a system
    /// repository named like its directory.
    fn map_sources(&mut self) {
        for (id, repo) in self.repos.enumerate().skip(1) {
            self.index.source_repos.insert(repo.name.clone(), id);
        }
        // `Path` equality and hashing go by components, which drop `.`:
        // `/repo/.` is `/repo`. The first repository with a root wins.
        let mut by_root: HashMap<&Path, RepoId> = HashMap::new();
        for (id, r) in self.repos.enumerate() {
            by_root.entry(r.root.as_path()).or_insert(id);
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
        let checked = RepoId::new(0);
        if !self.index.platform_repos.contains(&checked) {
            if let Some(base) = self.repos[checked].root.file_name() {
                let base = base.to_string_lossy().into_owned();
                self.index.source_repos.entry(base).or_insert(checked);
            }
        }
    }

    fn meta(&self, file: FileId, doc: DocId) -> Option<&'w ObjectMeta> {
        self.files[file].object(doc)
    }

    /// Indexes one document as deployed under `ctx`; returns its occurrence.
    fn index_doc(&mut self, file: FileId, doc: DocId, ctx: &Ctx) -> Option<OccurrenceId> {
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
        let is_applier = crate::model::objects::is_flux_applier(meta);
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

    fn reach(&mut self, file: FileId, ctx: &Ctx) {
        if let Some(env) = &ctx.env {
            self.reached[file].insert(promotion_rank(self.config, env));
        }
    }

    /// A file that the walk's Kustomization builds (a manifest or a patch,
    /// not a values file or a generator's input).
    fn apply(&mut self, file: FileId, ctx: &Ctx) {
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
        for f in self.files {
            let file = f.id;
            if !f.file.rel.starts_with("clusters/") || !f.file.kind.holds_manifests() {
                continue;
            }
            let Some(env) = env_of_path(self.config, &f.file.rel) else {
                continue;
            };
            let env = env.to_string();
            let ctx = Ctx::at(Some(env.clone()));
            self.reach(file, &ctx);
            for doc in f.doc_ids() {
                let Some(meta) = self.meta(file, doc) else {
                    continue;
                };
                let is_ks = meta.is(KUSTOMIZE_GROUP, "Kustomization");
                let mut ctx = ctx.clone();
                if is_ks {
                    let reg = self.index.registrations.push(Registration {
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
        for f in self.files {
            let file = f.id;
            if !f.file.kind.holds_manifests() || !self.reached[file].is_empty() {
                continue;
            }
            let ctx = Ctx::at(env_of_path(self.config, &f.file.rel).map(String::from));
            self.reach(file, &ctx);
            for doc in f.doc_ids() {
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
    fn checkout_of(&self, source: &str, from: RepoId) -> Option<RepoId> {
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
            .any(|o| FluxInstanceView::of(self.doc(o.file, o.doc)).sync_name() == Some(name))
    }

    fn note_incomplete(&mut self, env: Option<&str>) {
        match env {
            Some(e) => {
                self.index.incomplete_envs.insert(e.to_string());
            }
            None => self.index.incomplete_unscoped = true,
        }
    }
    /// Pattern of each followed registration: A or B when it delivers a
    /// HelmRelease on its own or the central chart, else C.
    fn classify(&mut self) {
        for r in self.index.registrations.ids() {
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
            let deployed: Vec<OccurrenceId> = reg
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

    fn finish(mut self) -> Graph {
        for a in self.index.appliers.iter_mut() {
            a.sort_unstable();
        }
        self.index.uses_flux_operator = self
            .index
            .occurrences
            .iter()
            .any(|o| o.group == OPERATOR_GROUP && o.kind == "FluxInstance");
        for (i, h) in self.index.helm.iter().enumerate() {
            let occ = &self.index.occurrences[h.occurrence];
            self.index.helm_at.entry((occ.file, occ.doc)).or_insert(i);
        }
        let config = self.config;
        let mut by_rank: Vec<(usize, &str)> = config
            .environments
            .iter()
            .map(|(n, _)| (promotion_rank(config, n), n.as_str()))
            .collect();
        by_rank.sort();
        for (file, ranks) in self.reached.enumerate() {
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
        for f in self.files {
            let file = f.id;
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
fn display_prefixes(ws: &Workspace) -> IdVec<RepoId, String> {
    ws.repos
        .enumerate()
        .map(|(id, repo)| {
            if id == RepoId::new(0) {
                return String::new();
            }
            ws.files
                .iter()
                .find(|f| f.file.repo == id)
                .and_then(|f| {
                    f.file
                        .display
                        .strip_suffix(f.file.rel.as_str())
                        .map(String::from)
                })
                .unwrap_or_else(|| relative_display(&ws.repos[RepoId::new(0)].root, &repo.root))
        })
        .collect()
}

fn relative_display(root: &Path, path: &Path) -> String {
    let mut s = crate::workspace::discover::display_path(root, path);
    if !s.is_empty() {
        s.push('/');
    }
    s
}
