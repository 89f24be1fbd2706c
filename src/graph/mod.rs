//! The graph across repositories, built the way Flux resolves
//! things ([`build`]).
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
//! not there) is recorded as a [`Gap`]: a fact the rules put into words.
//!
//! Resolution that cannot apply is skipped silently: a source of a kind we
//! cannot read (OCI, ExternalArtifact), a repository without a local
//! checkout (one `info` per platform registration), a remote kustomize
//! resource (one `info`). Only what was resolved can be missing.

mod build;
pub mod images;
pub mod values;

use std::collections::{BTreeSet, HashMap};

use crate::base::hash::FastMap;

use crate::base::ids::{DocId, FileId, IdVec, OccurrenceId, RegistrationId, RepoId};
use crate::base::source::Span;
use crate::workspace::Workspace;

/// One object as deployed in one environment (or in no known environment).
#[derive(Debug, Clone)]
pub struct Occurrence {
    pub file: FileId,
    /// Index of the document in its file.
    pub doc: DocId,
    pub env: Option<String>,
    pub group: String,
    pub kind: String,
    /// The name after kustomize `namePrefix`/`nameSuffix`.
    pub name: String,
    /// The namespace after overlay/`targetNamespace` overrides; `None`
    /// when nothing sets it (it then matches any namespace).
    pub namespace: Option<String>,
    /// The registration that reached it.
    pub registration: Option<RegistrationId>,
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
    /// Resolved to a local checkout.
    Repo(RepoId),
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
    pub file: FileId,
    pub doc: DocId,
    /// The Kustomization's name (the system's name).
    pub name: String,
    /// The GitRepository it pulls from.
    pub source: Option<String>,
    pub state: SourceState,
    /// Occurrences reached through it.
    pub objects: Vec<OccurrenceId>,
    /// Set when the source resolved and something was reached.
    pub pattern: Option<Pattern>,
}

/// A HelmRelease whose chart came from a local checkout.
#[derive(Debug, Clone)]
pub struct HelmUse {
    pub occurrence: OccurrenceId,
    pub chart_repo: RepoId,
    /// The chart directory, relative to `chart_repo`'s root; set only when
    /// it holds a `Chart.yaml`.
    pub chart_dir: Option<String>,
    /// The `valuesFiles` that exist, in order.
    pub values_files: Vec<FileId>,
    pub pattern: Pattern,
}

/// A place in a repository that a gap points at (what was expected there).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub repo: RepoId,
    /// Repository-relative path.
    pub rel: String,
}

/// Where following the workspace as Flux does broke, or reached somewhere
/// it should not: a fact at a place of a file. The rules put it into
/// words (`missing-path`, `env-consistency`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Gap {
    pub file: FileId,
    pub doc: DocId,
    pub span: Span,
    pub kind: GapKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GapKind {
    /// A registration's GitRepository `source` has no local checkout, so
    /// `object` (and every other registration of it) is not followed.
    NoCheckout {
        source: String,
        kind: String,
        name: String,
    },
    /// A Flux Kustomization's `spec.path` (`path` as written) is not a
    /// directory of `target.repo`; `is_file` when a file is there.
    KustomizationPath {
        kind: String,
        name: String,
        path: String,
        target: Target,
        is_file: bool,
    },
    /// A kustomization's patch file is missing.
    Patch { entry: String, target: Target },
    /// A kustomization's `key` entry is remote: not followed.
    RemoteEntry { key: String, entry: String },
    /// A kustomization's `key` entry is a directory without a
    /// kustomization file (`target` names the one expected).
    DirectoryWithoutKustomization {
        key: String,
        entry: String,
        target: Target,
    },
    /// A kustomization's `key` entry names nothing.
    Resource {
        key: String,
        entry: String,
        target: Target,
    },
    /// A `configMapGenerator`/`secretGenerator` (`key`) file is missing.
    GeneratorFile {
        key: String,
        path: String,
        target: Target,
    },
    /// A HelmRelease's chart directory is missing (`dir_exists`: it is
    /// there, without `Chart.yaml`; `target` is the `Chart.yaml`).
    Chart {
        release: String,
        chart: String,
        dir_exists: bool,
        target: Target,
    },
    /// A HelmRelease's `valuesFiles` entry is missing.
    ValuesFile {
        release: String,
        entry: String,
        target: Target,
    },
    /// `entry` is reached from environment `env` but lies under
    /// `environments/<other>/`.
    OtherEnvironment {
        entry: String,
        env: String,
        other: String,
        target: Target,
    },
    /// A HelmRelease outside any environment lists values files of two.
    MixedValuesEnvironments {
        release: String,
        first: String,
        second: String,
    },
}

/// The index across every repository of a run.
#[derive(Debug, Default)]
pub struct Graph {
    /// Per workspace file, the environments it is deployed to, in
    /// promotion order: from where it lives (`clusters/<env>/`,
    /// `environments/<env>/`) or, in a system repository, from the
    /// registrations that reach it.
    pub file_envs: IdVec<FileId, Vec<String>>,
    pub occurrences: IdVec<OccurrenceId, Occurrence>,
    pub registrations: IdVec<RegistrationId, Registration>,
    pub helm: Vec<HelmUse>,
    pub gaps: Vec<Gap>,
    /// How each repository's files are shown in reports (`../k8s-orders/`;
    /// empty for the checked repository).
    pub display_prefix: IdVec<RepoId, String>,
    /// GitRepository name → repository with a local checkout.
    pub source_repos: HashMap<String, RepoId>,
    /// Environments in which some registration could not be followed: what
    /// its repository defines is unknown there.
    pub incomplete_envs: BTreeSet<String>,
    /// True when some walk outside any known environment hit an unresolved
    /// source.
    pub incomplete_unscoped: bool,
    /// Repositories that hold `clusters/<env>/` files.
    pub platform_repos: Vec<RepoId>,
    /// Per workspace file, the Flux Kustomizations (occurrence ids, sorted)
    /// that apply it: build it from their `spec.path`, as a resource, a
    /// patch or a plain manifest of a directory. Their `spec.postBuild`
    /// substitutes variables into it (see [`crate::schema::postbuild`]).
    pub appliers: IdVec<FileId, Vec<OccurrenceId>>,
    by_name: FastMap<(String, String, String), Vec<OccurrenceId>>,
    /// The first of `helm` for each HelmRelease document.
    helm_at: FastMap<(FileId, DocId), usize>,
    /// Whether the workspace holds a FluxInstance: Flux is installed by
    /// the Flux Operator, whose kinds the notification API then accepts.
    pub uses_flux_operator: bool,
}

impl Graph {
    /// Follows every registration of the workspace as Flux would.
    pub fn build(ws: &Workspace) -> Graph {
        build::build(ws)
    }

    /// Every environment a file is deployed to, in promotion order: the one
    /// its path names (`clusters/<env>/…`, `environments/<env>/…`), or, for
    /// a system repository's file, every environment whose registration
    /// reaches it (a chart's `values.yaml` is reached from all of them).
    pub fn envs_of(&self, file: FileId) -> &[String] {
        self.file_envs.get(file).map_or(&[], Vec::as_slice)
    }

    /// The environment a file belongs to: the first of
    /// [`Graph::envs_of`].
    pub fn env_of(&self, file: FileId) -> Option<&str> {
        self.envs_of(file).first().map(String::as_str)
    }

    /// The chart the graph resolved for the HelmRelease at document `doc`
    /// of `file` (its first occurrence), when it followed it.
    pub fn helm_use(&self, file: FileId, doc: DocId) -> Option<&HelmUse> {
        self.helm_at.get(&(file, doc)).map(|&i| &self.helm[i])
    }

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
        let ids: &[OccurrenceId] = self.by_name.get(&key).map_or(&[], Vec::as_slice);
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
    pub fn registrations_of(&self, repo: RepoId) -> impl Iterator<Item = &Registration> {
        self.registrations
            .iter()
            .filter(move |r| r.state == SourceState::Repo(repo))
    }

    fn push(&mut self, occ: Occurrence) -> OccurrenceId {
        let id = OccurrenceId::new(self.occurrences.len());
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
