//! Stage 4: the workspace: every repository of a run and its files, and
//! what environment each file belongs to.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::config::Config;
use crate::load::ParsedFile;
use crate::schema::SchemaStore;

/// A repository taking part in a run.
#[derive(Debug, Clone)]
pub struct Repo {
    /// `.` for the repository being checked; the GitRepository name for a
    /// system repository.
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
    /// The run's schemas, built on first use (see [`Workspace::schemas`]).
    pub schemas: OnceLock<SchemaStore>,
}

impl Workspace {
    pub fn new(repos: Vec<Repo>, files: Vec<ParsedFile>, config: Config) -> Workspace {
        Workspace {
            repos,
            files,
            config,
            schemas: OnceLock::new(),
        }
    }

    /// The schemas documents are validated against: built-ins for the
    /// configured Kubernetes version, Flux, imported schemas and the CRDs in
    /// the workspace. Built once, on first use, shared by every rule.
    pub fn schemas(&self) -> &SchemaStore {
        self.schemas
            .get_or_init(|| SchemaStore::for_workspace(self))
    }

    /// The environment a file belongs to, from where it lives:
    /// `clusters/<env>/…` in a platform repo, `environments/<env>/…` in a
    /// system repo, for environments the config knows.
    pub fn env_of(&self, file: &ParsedFile) -> Option<&str> {
        env_of_path(&self.config, &file.file.rel)
    }

    pub fn documents(&self) -> usize {
        self.files.iter().map(|f| f.stream.docs.len()).sum()
    }
}

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
