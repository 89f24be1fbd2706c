//! Finding the YAML files of a repository.
//!
//! `.gitignore` is honoured (with or without a `.git`), `.git/` and Helm
//! chart `templates/` (Go templates, not YAML) are skipped, and so are the
//! configured `exclude` globs. Symbolic links are never followed, so nothing
//! outside the tree is read through one, and a link loop cannot hang the walk.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::base::ids::RepoId;

/// What a YAML file is, from its place in the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// Kubernetes manifests (or other YAML).
    Manifest,
    /// Helm values: parsed and read by rules, never schema-checked.
    HelmValues,
    /// A Helm chart's `Chart.yaml`.
    ChartMeta,
    /// A kustomize `kustomization.yaml`.
    Kustomize,
    /// CI pipeline definitions (Azure DevOps, GitHub Actions).
    Pipeline,
}

impl FileKind {
    /// Whether documents of this file are Kubernetes objects to validate.
    pub fn holds_manifests(self) -> bool {
        self == FileKind::Manifest
    }
}

/// A file to lint, in the repository it belongs to.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub repo: RepoId,
    pub abs: PathBuf,
    /// Path relative to its repository's root, `/`-separated.
    pub rel: String,
    /// Path shown in reports: relative to the checked repository's root
    /// (`../k8s-orders/…` for a system repository's file).
    pub display: String,
    pub kind: FileKind,
}

#[derive(Debug)]
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
}

/// Compiles `exclude` globs (matched against repository-relative paths).
pub fn exclude_set(patterns: &[String]) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        let glob = Glob::new(p).map_err(|e| format!("invalid exclude glob `{p}`: {e}"))?;
        builder.add(glob);
        // `dir/**` should also exclude `dir` itself; `dir` all below it.
        if let Ok(g) = Glob::new(&format!("{}/**", p.trim_end_matches('/'))) {
            builder.add(g);
        }
    }
    builder.build().map_err(|e| e.to_string())
}

/// What a walk of one repository found.
#[derive(Debug, Default)]
pub struct Walked {
    /// Its YAML files, sorted by relative path.
    pub files: Vec<SourceFile>,
    /// The entries that could not be read.
    pub errors: Vec<WalkError>,
    /// Every directory entered (the root included): while none of them
    /// changes, nor an ignore file in them, the walk would find the same
    /// files (what the cache relies on).
    pub dirs: Vec<PathBuf>,
}

/// Walks each repository: what [`walk`] finds in each, in order.
///
/// One repository (the usual run) is walked on every core with `ignore`'s
/// parallel walker: the walk is system calls and path lookups, a fifth of
/// a run when one thread made them. Several repositories are walked side
/// by side, each on one thread: the parallel walker's workers poll for
/// work when idle, about a millisecond a walk, which a thousand small
/// system repositories would pay a thousand times.
pub fn walk_repos(repos: &[(PathBuf, RepoId)], exclude: &GlobSet) -> Vec<Walked> {
    use rayon::prelude::*;
    match repos {
        [(root, repo)] => vec![walk_parallel(root, *repo, exclude)],
        _ => repos
            .par_iter()
            .map(|(root, repo)| walk(root, *repo, exclude))
            .collect(),
    }
}

fn walk_builder(root: &Path) -> ignore::WalkBuilder {
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .hidden(false)
        .follow_links(false)
        .git_global(false)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .parents(false)
        .filter_entry(|e| {
            let name = e.file_name();
            if name == ".git" {
                return false;
            }
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && name == "templates" && e.path().with_file_name("Chart.yaml").is_file())
        });
    builder
}

/// Walks `root` on one thread: its YAML files, the entries that could not
/// be read, the directories entered.
pub fn walk(root: &Path, repo: RepoId, exclude: &GlobSet) -> Walked {
    let mut walked = Walked::default();
    for entry in walk_builder(root).build() {
        visit(root, repo, exclude, entry, &mut walked);
    }
    sorted(walked)
}

/// [`walk`] on every core.
fn walk_parallel(root: &Path, repo: RepoId, exclude: &GlobSet) -> Walked {
    let found = std::sync::Mutex::new(Walked::default());
    // As many as the run's thread pool (`--jobs`).
    let threads = rayon::current_num_threads();
    walk_builder(root)
        .threads(threads)
        .build_parallel()
        .run(|| {
            let found = &found;
            Box::new(move |entry| {
                let mut local = Walked::default();
                visit(root, repo, exclude, entry, &mut local);
                if let Ok(mut all) = found.lock() {
                    all.files.append(&mut local.files);
                    all.errors.append(&mut local.errors);
                    all.dirs.append(&mut local.dirs);
                }
                ignore::WalkState::Continue
            })
        });
    sorted(found.into_inner().unwrap_or_default())
}

/// The same order whatever order the entries were found in.
fn sorted(mut walked: Walked) -> Walked {
    walked.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    walked.errors.sort_by(|a, b| a.path.cmp(&b.path));
    // By their bytes: comparing `Path`s component by component made this
    // sort most of the walk's own instructions (callgrind).
    walked
        .dirs
        .sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    walked
}

/// Records one entry of the walk in `out`.
fn visit(
    root: &Path,
    repo: RepoId,
    exclude: &GlobSet,
    entry: Result<ignore::DirEntry, ignore::Error>,
    out: &mut Walked,
) {
    let entry = match entry {
        Ok(e) => e,
        Err(err) => {
            out.errors.push(WalkError {
                path: error_path(&err).unwrap_or(root).to_path_buf(),
                message: error_message(&err),
            });
            return;
        }
    };
    // Symlinks are skipped whatever they point at: a link inside the tree
    // is read at its real path, and a link out of it is not ours to read.
    let Some(ft) = entry.file_type() else {
        return;
    };
    if ft.is_dir() {
        out.dirs.push(entry.path().to_path_buf());
    }
    if !ft.is_file() {
        return;
    }
    let path = entry.path();
    if !is_yaml(path) {
        return;
    }
    let Some(rel) = relative(root, path) else {
        return;
    };
    if rel == crate::workspace::config::FILE_NAME || exclude.is_match(&rel) {
        return;
    }
    out.files.push(SourceFile {
        repo,
        abs: path.to_path_buf(),
        kind: classify(&rel),
        display: rel.clone(),
        rel,
    });
}

/// The path an error of the walk is about, if it names one.
fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

/// The error without the path (reports name the path themselves).
fn error_message(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => error_message(err),
        other => other.to_string(),
    }
}

/// `*.yaml` and `*.yml`, in any case (`.YAML`, `.Yml`).
pub fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// `path` relative to `root`, with `/` separators.
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    #[cfg(unix)]
    if let Some(rel) = plain_relative(root, path) {
        return Some(rel);
    }
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// [`relative`] for what the walk yields, `root` joined with names: the
/// path's text after the root's, when it has no segment that splitting
/// into components would drop or change (`.`, `..`, an empty one) and is
/// UTF-8. Splitting every walked path into components was 2.7% of a run's
/// instructions (callgrind); anything else takes that way.
#[cfg(unix)]
fn plain_relative(root: &Path, path: &Path) -> Option<String> {
    use std::os::unix::ffi::OsStrExt;
    let root = root.as_os_str().as_bytes();
    let rest = path.as_os_str().as_bytes().strip_prefix(root)?;
    let rest = match rest {
        [] => rest,
        [b'/', rest @ ..] if !root.ends_with(b"/") => rest,
        _ => return None,
    };
    let odd = |segment: &[u8]| matches!(segment, b"" | b"." | b"..");
    if !rest.is_empty() && rest.split(|b| *b == b'/').any(odd) {
        return None;
    }
    std::str::from_utf8(rest).ok().map(str::to_owned)
}

/// How a path outside the checked repository is named in reports: relative
/// to the checked repository's root, climbing out with `..`
/// (`../k8s-orders/…`).
pub fn display_path(root: &Path, path: &Path) -> String {
    let root: Vec<_> = root.components().collect();
    let path: Vec<_> = path.components().collect();
    let common = root.iter().zip(&path).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); root.len() - common];
    parts.extend(
        path[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// Classifies a file by its repository-relative path.
pub fn classify(rel: &str) -> FileKind {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let lower = name.to_ascii_lowercase();
    let stem = lower
        .trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .to_string();
    if lower.starts_with("azure-pipelines")
        || rel.starts_with("ci-cd-templates/")
        || rel.contains("/ci-cd-templates/")
        || rel.starts_with(".github/")
        || lower == ".gitlab-ci.yml"
        || lower == ".pre-commit-config.yaml"
        || lower == ".pre-commit-hooks.yaml"
    {
        return FileKind::Pipeline;
    }
    if name == "Chart.yaml" {
        return FileKind::ChartMeta;
    }
    if stem == "kustomization" {
        return FileKind::Kustomize;
    }
    if stem == "values"
        || stem.starts_with("values-")
        || stem.starts_with("values.")
        || stem.ends_with("-values")
        || stem.ends_with(".values")
        || stem.ends_with("_values")
    {
        return FileKind::HelmValues;
    }
    FileKind::Manifest
}

/// The repository root for a path: the nearest directory at or above it
/// holding a `.git` or a `.gitops-lint.yaml`.
pub fn find_root(path: &Path) -> Option<PathBuf> {
    let start = if path.is_dir() { path } else { path.parent()? };
    start
        .ancestors()
        .find(|d| d.join(".git").exists() || d.join(crate::workspace::config::FILE_NAME).is_file())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_those_the_components_give() {
        let by_components = |root: &str, path: &str| {
            let rel = Path::new(path).strip_prefix(root).ok()?;
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            Some(parts.join("/"))
        };
        let cases = [
            ("/r", "/r/a/b.yaml"),
            ("/r", "/r"),
            ("/r/", "/r/a.yaml"),
            ("/r", "/r/"),
            ("/r", "/rs/a.yaml"),
            ("/r", "/r/./a.yaml"),
            ("/r", "/r//a.yaml"),
            ("/r", "/r/a/../b.yaml"),
            ("/r", "/r/a/"),
            ("/", "/etc/a.yaml"),
            ("/r", "/other/a.yaml"),
            ("/r", "/r/é/ü.yaml"),
        ];
        for (root, path) in cases {
            assert_eq!(
                relative(Path::new(root), Path::new(path)),
                by_components(root, path),
                "{root} {path}"
            );
        }
        assert_eq!(
            relative(Path::new("/r"), Path::new("/r/a/b.yaml")).as_deref(),
            Some("a/b.yaml")
        );
    }

    #[test]
    fn classifies_by_place() {
        assert_eq!(classify("azure-pipelines.yaml"), FileKind::Pipeline);
        assert_eq!(classify("ci-cd-templates/build.yaml"), FileKind::Pipeline);
        assert_eq!(classify("chart/Chart.yaml"), FileKind::ChartMeta);
        assert_eq!(
            classify("environments/dev/values.yaml"),
            FileKind::HelmValues
        );
        assert_eq!(
            classify("clusters/dev/flux-operator-values.yaml"),
            FileKind::HelmValues
        );
        assert_eq!(classify("base/kustomization.yaml"), FileKind::Kustomize);
        assert_eq!(
            classify("clusters/dev/systems/payments.yaml"),
            FileKind::Manifest
        );
    }
}
