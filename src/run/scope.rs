//! Which findings a run reports: the given paths, the platform files that
//! register a system repository, and with `--changed-since` only what a
//! change caused.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::base::finding::{absent_key, Finding};
use crate::base::ids::{FileId, RepoId};
use crate::graph::Graph;
use crate::model::objects::ObjectMeta;
use crate::workspace::discover;
use crate::workspace::Workspace;

use super::LintError;

/// Files changed since a Git revision, as reports name them, and every
/// directory holding one (so a lookup never scans the change list).
pub(super) struct Changed {
    paths: HashSet<String>,
    dirs: HashSet<String>,
    /// The objects (`Kind/name`) the files the change deletes defined.
    deleted_objects: HashSet<String>,
}

impl Changed {
    fn new(paths: HashSet<String>, deleted_objects: HashSet<String>) -> Self {
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
        Changed {
            paths,
            dirs,
            deleted_objects,
        }
    }

    /// A finding is reported when its file changed, or when a place it
    /// depends on — a related location (the path a registration points at),
    /// or where what it misses belongs — changed, was deleted, or holds a
    /// changed file; or when it is about a missing object that a file the
    /// change deletes defined.
    pub(super) fn caused(&self, f: &Finding) -> bool {
        self.touches(&f.path)
            || f.related.iter().any(|r| self.touches(&r.path))
            || f.depends_on.iter().any(|p| self.touches(p))
            || f.absent
                .as_ref()
                .is_some_and(|o| self.deleted_objects.contains(o))
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
    let mut deleted_objects = HashSet::new();
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
        let (diff, base) = match since(rev) {
            Ok(d) => (d, rev),
            Err(e) if checked => {
                return Err(LintError::Usage(format!("--changed-since {rev}: {e}")))
            }
            Err(_) => (since("HEAD").unwrap_or_default(), "HEAD"),
        };
        let deleted: Vec<&str> = diff
            .split('\0')
            .filter(|p| !p.is_empty() && std::fs::symlink_metadata(top.join(p)).is_err())
            .collect();
        deleted_objects.extend(objects_at(&top, base, &deleted));
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
    Ok(Changed::new(paths, deleted_objects))
}

/// The objects (`Kind/name`) the YAML files at `paths` (relative to the
/// work tree `top`) defined at revision `base`: read in one
/// `git cat-file --batch`, whatever the number of files.
fn objects_at(top: &Path, base: &str, paths: &[&str]) -> HashSet<String> {
    use std::io::{BufRead, Read, Write};
    let mut found = HashSet::new();
    let yaml: Vec<&str> = paths
        .iter()
        .copied()
        .filter(|p| p.ends_with(".yaml") || p.ends_with(".yml"))
        .collect();
    if yaml.is_empty() {
        return found;
    }
    let child = std::process::Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["cat-file", "--batch"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return found;
    };
    let input: String = yaml.iter().map(|p| format!("{base}:{p}\n")).collect();
    let mut stdin = child.stdin.take();
    // Written on a thread: git answers as it reads, and a full output pipe
    // would otherwise stop both.
    let writer = std::thread::spawn(move || {
        if let Some(s) = stdin.as_mut() {
            let _ = s.write_all(input.as_bytes());
        }
    });
    if let Some(stdout) = child.stdout.take() {
        let mut out = std::io::BufReader::new(stdout);
        let mut header = String::new();
        while out.read_line(&mut header).is_ok_and(|n| n > 0) {
            // `<id> blob <size>`, then the content and a line feed; or
            // `<name> missing`.
            let size = header
                .trim_end()
                .rsplit(' ')
                .next()
                .and_then(|n| n.parse::<u64>().ok());
            header.clear();
            let Some(size) = size else { continue };
            let mut blob = Vec::new();
            if out.by_ref().take(size + 1).read_to_end(&mut blob).is_err() {
                break;
            }
            blob.truncate(size as usize);
            if let Ok(text) = String::from_utf8(blob) {
                found.extend(defined_objects(&text));
            }
        }
    }
    let _ = writer.join();
    let _ = child.wait();
    found
}

/// The `Kind/name` of every object a YAML text defines.
fn defined_objects(text: &str) -> Vec<String> {
    let lines = crate::base::source::LineIndex::new(text);
    crate::yaml::parse(text, &lines)
        .docs
        .iter()
        .filter_map(ObjectMeta::of)
        .filter_map(|m| Some(absent_key(&m.kind, m.name.as_deref()?)))
        .collect()
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
