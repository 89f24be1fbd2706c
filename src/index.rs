//! Stage 4: the workspace: every repository of a run and its files, what
//! environment each file belongs to, and the cross-repository index
//! ([`crate::resolve`]) built lazily over them.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::config::Config;
use crate::load::ParsedFile;
use crate::resolve::{self, CrossIndex};
use crate::schema::SchemaStore;

/// A repository taking part in a run.
#[derive(Debug, Clone)]
pub struct Repo {
    /// `.` for the repository being checked; the GitRepository name for a
    /// system repository; the directory name for a platform repository
    /// given as context (`--platform-repo`).
    pub name: String,
    pub root: PathBuf,
}

/// Every parsed file of every repository in the run.
#[derive(Debug)]
pub struct Workspace {
    pub repos: Vec<Repo>,
    /// Sorted by repository, then path.
    pub files: Vec<ParsedFile>,
    pub config: Config,
    cross: OnceLock<CrossIndex>,
    /// The run's schemas, built on first use (see [`Workspace::schemas`]).
    schemas: OnceLock<SchemaStore>,
    /// The workspace's images, found once per run (see
    /// [`crate::values::workspace_images`]; `None`: not storable).
    pub(crate) images: OnceLock<Option<Vec<crate::values::StoredImage>>>,
    /// Files kustomize applies as patches (see [`Workspace::is_patch`]).
    patches: OnceLock<std::collections::HashMap<usize, std::collections::HashSet<String>>>,
}

impl Workspace {
    pub fn new(repos: Vec<Repo>, files: Vec<ParsedFile>, config: Config) -> Self {
        Workspace {
            repos,
            files,
            config,
            cross: OnceLock::new(),
            schemas: OnceLock::new(),
            images: OnceLock::new(),
            patches: OnceLock::new(),
        }
    }

    /// Whether a kustomization file of the file's repository applies it as
    /// a patch (a partial object: its missing fields come from the base).
    /// The patch list is built once per run, on first use.
    pub fn is_patch(&self, file: &ParsedFile) -> bool {
        self.patches
            .get_or_init(|| crate::kustomize::patch_files(&self.files))
            .get(&file.file.repo)
            .is_some_and(|paths| paths.contains(file.file.rel.as_str()))
    }

    /// The schemas documents are validated against: built-ins for the
    /// configured Kubernetes version, Flux, imported schemas and the CRDs in
    /// the workspace. Built once, on first use, shared by every rule.
    pub fn schemas(&self) -> &SchemaStore {
        self.schemas
            .get_or_init(|| SchemaStore::for_workspace(self))
    }

    /// The cross-repository index (built on first use).
    pub fn cross(&self) -> &CrossIndex {
        self.cross.get_or_init(|| {
            let prefixes = resolve::display_prefixes(&self.repos, &self.files);
            resolve::build(&self.repos, &self.files, &self.config, &prefixes)
        })
    }

    /// The environment a file belongs to: the first (in promotion order) of
    /// [`Workspace::envs_of`].
    pub fn env_of(&self, file: &ParsedFile) -> Option<&str> {
        self.envs_of(file).first().map(String::as_str)
    }

    /// Every environment a file is deployed to, in promotion order: the one
    /// its path names (`clusters/<env>/…`, `environments/<env>/…`), or, for a
    /// system repository's file, every environment whose registration
    /// reaches it (a chart's `values.yaml` is reached from all of them).
    pub fn envs_of(&self, file: &ParsedFile) -> &[String] {
        let cross = self.cross();
        self.file_index(file)
            .and_then(|i| cross.file_envs.get(i))
            .map_or(&[], Vec::as_slice)
    }

    /// The position of `file` in [`Workspace::files`].
    pub fn file_index(&self, file: &ParsedFile) -> Option<usize> {
        // Rules hold references into `files`: find the slot by address.
        let size = std::mem::size_of::<ParsedFile>();
        let start = self.files.as_ptr() as usize;
        let at = file as *const ParsedFile as usize;
        if size > 0
            && at >= start
            && (at - start) % size == 0
            && (at - start) / size < self.files.len()
        {
            return Some((at - start) / size);
        }
        self.file_at(file.file.repo, &file.file.rel)
    }

    /// The index in [`Workspace::files`] of repository `repo`'s file at
    /// `rel` (files are sorted by repository, then path).
    pub fn file_at(&self, repo: usize, rel: &str) -> Option<usize> {
        self.files
            .binary_search_by(|f| (f.file.repo, f.file.rel.as_str()).cmp(&(repo, rel)))
            .ok()
    }

    pub fn documents(&self) -> usize {
        self.files.iter().map(|f| f.stream.docs.len()).sum()
    }
}

/// The environment a repository-relative path names: `clusters/<env>/…` or
/// `environments/<env>/…`, for environments the config knows.
pub fn env_of_path<'c>(config: &'c Config, rel: &str) -> Option<&'c str> {
    let mut parts = rel.split('/');
    let first = parts.next()?;
    if first != "clusters" && first != "environments" {
        return None;
    }
    let env = parts.next()?;
    config
        .environments
        .iter()
        .find(|(name, _)| name == env)
        .map(|(name, _)| name.as_str())
}
