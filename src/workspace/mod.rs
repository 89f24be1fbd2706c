//! The workspace — every repository of a run, its files found
//! ([`discover`]), read and parsed ([`load`]), the run's [`config`], and
//! what in each file must never be shown ([`redact`]).

pub mod config;
pub mod discover;
pub mod load;
pub mod profile;
pub mod redact;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::base::ids::{FileId, IdVec, RepoId};

use config::Config;
use discover::{classify, SourceFile};
use load::ParsedFile;

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
    pub repos: IdVec<RepoId, Repo>,
    /// Sorted by repository, then path; `files[id].id == id`.
    pub files: IdVec<FileId, ParsedFile>,
    pub config: Config,
    /// Whether this is the platform: which rules run.
    pub profile: profile::Decided,
    /// What the run looked at on disk besides the files found.
    pub disk: DiskReads,
}

/// The paths a run read or probed on disk besides the YAML files it found
/// (a generator's `.env` file, a chart's `values.schema.json`, whether a
/// referenced directory exists): the result depends on them, so the cache
/// ([`crate::run`]) fingerprints them too. Recorded where the disk is
/// consulted, so a new kind of read cannot be forgotten by the cache.
#[derive(Debug, Default)]
pub struct DiskReads(Mutex<BTreeSet<PathBuf>>);

impl DiskReads {
    /// Records that the run's result depends on what is at `path` (its
    /// content, its kind, or that nothing is there).
    pub fn note(&self, path: &Path) {
        if let Ok(mut paths) = self.0.lock() {
            paths.insert(path.to_path_buf());
        }
    }

    /// Every path recorded, sorted.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.0
            .lock()
            .map(|p| p.iter().cloned().collect())
            .unwrap_or_default()
    }
}

impl Workspace {
    /// A workspace of `files` (in any order): sorts them by repository and
    /// path and gives each its [`FileId`].
    pub fn new(repos: Vec<Repo>, mut files: Vec<ParsedFile>, config: Config) -> Self {
        files.sort_by(|a, b| (a.file.repo, &a.file.rel).cmp(&(b.file.repo, &b.file.rel)));
        for (i, f) in files.iter_mut().enumerate() {
            f.id = FileId::new(i);
        }
        let profile = profile::decide(&config, files.iter().map(|f| f.file.rel.as_str()));
        Workspace {
            repos: repos.into(),
            files: files.into(),
            config,
            profile,
            disk: DiskReads::default(),
        }
    }

    /// One repository rooted at `/repo` (which need not exist) holding
    /// `(path, text)` files from memory: for tests, fuzzing and tools that
    /// have the text already.
    pub fn in_memory(files: &[(&str, &str)], config: Config) -> Self {
        Self::in_memory_at(PathBuf::from("/repo"), files, config)
    }

    /// [`Workspace::in_memory`] rooted at `root`, where files that are not
    /// YAML (a chart's `values.schema.json`) may be found on disk.
    pub fn in_memory_at(root: PathBuf, files: &[(&str, &str)], config: Config) -> Self {
        let parsed = files
            .iter()
            .map(|(path, text)| {
                let file = SourceFile {
                    repo: RepoId::new(0),
                    abs: root.join(path),
                    rel: path.to_string(),
                    display: path.to_string(),
                    kind: classify(path),
                };
                load::parse_text(file, text.to_string())
            })
            .collect();
        let repos = vec![Repo {
            name: ".".into(),
            root,
        }];
        Workspace::new(repos, parsed, config)
    }

    pub fn file(&self, id: FileId) -> &ParsedFile {
        &self.files[id]
    }

    /// The file of repository `repo` at `rel` (files are sorted by
    /// repository, then path).
    pub fn file_at(&self, repo: RepoId, rel: &str) -> Option<FileId> {
        self.files
            .binary_search_by(|f| (f.file.repo, f.file.rel.as_str()).cmp(&(repo, rel)))
            .ok()
            .map(FileId::new)
    }

    /// The files of `repo` under directory `dir` (`""`: all of them), a
    /// slice of the sorted files found by binary search.
    pub fn files_under(&self, repo: RepoId, dir: &str) -> &[ParsedFile] {
        let files: &[ParsedFile] = &self.files;
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let start =
            files.partition_point(|f| (f.file.repo, f.file.rel.as_str()) < (repo, prefix.as_str()));
        let len = files[start..]
            .partition_point(|f| f.file.repo == repo && f.file.rel.starts_with(&prefix));
        &files[start..start + len]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_sorted_and_know_their_ids() {
        let ws = Workspace::in_memory(
            &[("b.yaml", "a: 1\n"), ("a.yaml", "b: 2\n")],
            Config::default(),
        );
        assert_eq!(ws.files[FileId::new(0)].file.rel, "a.yaml");
        for (i, f) in ws.files.iter().enumerate() {
            assert_eq!(f.id, FileId::new(i));
        }
        assert_eq!(ws.file_at(RepoId::new(0), "b.yaml"), Some(FileId::new(1)));
    }
}
