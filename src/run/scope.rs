//! Which findings a run reports: the given paths, the platform files that
//! register a system repository, and with `--changed-since` only what a
//! change caused.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::base::finding::Finding;
use crate::base::ids::{FileId, RepoId};
use crate::graph::Graph;
use crate::workspace::discover;
use crate::workspace::Workspace;

use super::LintError;

/// Files changed since a Git revision, as reports name them, and every
/// directory holding one (so a lookup never scans the change list).
pub(super) struct Changed {
    paths: HashSet<String>,
    dirs: HashSet<String>,
}

impl Changed {
    fn new(paths: HashSet<String>) -> Self {
        let mut dirs = HashSet::new();
        for p in &paths {
            let mut rest = p.as_str();
            while let Some(i) = rest.rfind('/') {
                rest = &rest[..i];
                if !dirs.insert(rest.to_string()) {
                    break;
                }
            }
        }
        Changed { paths, dirs }
    }

    /// A finding is reported when its file changed, or when a place it
    /// depends on — a related location (the path a registration points at),
    /// or where what it misses belongs — changed, was deleted, or holds a
    /// changed file.
    pub(super) fn caused(&self, f: &Finding) -> bool {
        self.touches(&f.path)
            || f.related.iter().any(|r| self.touches(&r.path))
            || f.depends_on.iter().any(|p| self.touches(p))
    }

    fn touches(&self, path: &str) -> bool {
        self.paths.contains(path) || self.dirs.contains(path.trim_end_matches('/'))
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Every path changed since `rev` (committed, staged, unstaged, deleted,
/// or new and untracked) in the Git work trees of the run's repositories.
/// The checked repository must know `rev`; in another repository that does
/// not (a separate checkout), what is not committed counts.
pub(super) fn changed_paths(
    ws: &Workspace,
    graph: &Graph,
    rev: &str,
) -> Result<Changed, LintError> {
    let prefixes = &graph.display_prefix;
    let mut tops: Vec<PathBuf> = Vec::new();
    let mut abs: Vec<PathBuf> = Vec::new();
    for (id, repo) in ws.repos.enumerate() {
        let checked = id == RepoId::new(0);
        let top = match git(&repo.root, &["rev-parse", "--show-toplevel"]) {
            Ok(t) => PathBuf::from(t.trim()),
            Err(e) if checked => {
                return Err(LintError::Usage(format!(
                    "--changed-since needs a Git repository: {e}"
                )))
            }
            Err(_) => continue,
        };
        let top = std::fs::canonicalize(&top).unwrap_or(top);
        if tops.contains(&top) {
            continue;
        }
        let since = |base: &str| {
            git(
                &top,
                &["diff", "--name-only", "-z", "--no-renames", base, "--"],
            )
        };
        // Another checkout that does not know `rev` (a system repository
        // cloned on its own) still counts what is not committed there.
        let diff = match since(rev) {
            Ok(d) => d,
            Err(e) if checked => {
                return Err(LintError::Usage(format!("--changed-since {rev}: {e}")))
            }
            Err(_) => since("HEAD").unwrap_or_default(),
        };
        let untracked =
            git(&top, &["ls-files", "--others", "--exclude-standard", "-z"]).unwrap_or_default();
        for p in diff.split('\0').chain(untracked.split('\0')) {
            if !p.is_empty() {
                abs.push(top.join(p));
            }
        }
        tops.push(top);
    }
    let mut paths = HashSet::new();
    for a in abs {
        // The repository holding the path most specifically.
        let owner = ws
            .repos
            .enumerate()
            .filter(|(_, r)| a.starts_with(&r.root))
            .max_by_key(|(_, r)| r.root.components().count());
        match owner {
            Some((i, r)) => {
                if let Some(rel) = discover::relative(&r.root, &a) {
                    paths.insert(format!("{}{rel}", prefixes[i]));
                }
            }
            None => {
                paths.insert(discover::display_path(&ws.repos[RepoId::new(0)].root, &a));
            }
        }
    }
    Ok(Changed::new(paths))
}

/// Which findings a run reports: all of them when the repository root was
/// given (or nothing), else only those in the given files and directories.
///
/// When the checked repository is a system repository (the platform given
/// as context), findings in other repositories are reported only in the
/// platform files that register it: its team can act on those.
pub(super) struct Scope {
    everything: bool,
    prefixes: Vec<String>,
    /// Paths of other repositories' files that are not reported.
    hidden: HashSet<String>,
}

impl Scope {
    pub(super) fn new(root: &Path, targets: &[PathBuf], ws: &Workspace, graph: &Graph) -> Scope {
        let everything = targets.iter().any(|t| t == root);
        let prefixes = targets
            .iter()
            .filter_map(|t| discover::relative(root, t))
            .collect();
        let mut hidden = HashSet::new();
        let checked = RepoId::new(0);
        if !graph.platform_repos.is_empty() && !graph.platform_repos.contains(&checked) {
            let shown: HashSet<FileId> = graph.registrations_of(checked).map(|r| r.file).collect();
            hidden = ws
                .files
                .iter()
                .filter(|f| f.file.repo != checked && !shown.contains(&f.id))
                .map(|f| f.file.display.clone())
                .collect();
        }
        Scope {
            everything,
            prefixes,
            hidden,
        }
    }

    pub(super) fn contains(&self, path: &str) -> bool {
        if self.hidden.contains(path) {
            return false;
        }
        self.everything
            || self.prefixes.iter().any(|p| {
                path == p || (path.starts_with(p.as_str()) && path[p.len()..].starts_with('/'))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_climb_out_of_the_root() {
        let p = discover::display_path(Path::new("/w/platform"), Path::new("/w/systems/a/x.yaml"));
        assert_eq!(p, "../systems/a/x.yaml");
    }

    #[test]
    fn scope_matches_files_and_directories() {
        let s = Scope {
            everything: false,
            prefixes: vec!["clusters/dev".into(), "a.yaml".into()],
            hidden: Default::default(),
        };
        assert!(s.contains("clusters/dev/systems/x.yaml"));
        assert!(s.contains("a.yaml"));
        assert!(!s.contains("clusters/dev2/x.yaml"));
    }
}
