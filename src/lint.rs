//! The library entry point: `lint(options) -> Report`, the whole pipeline
//! (discover → load → objects → index → check), usable without the CLI.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::check::{self, RunContext, Selection};
use crate::config::{self, Config, ConfigError};
use crate::discover::{self, SourceFile};
use crate::index::{Repo, Workspace};
use crate::load::{self, ParsedFile};
use crate::redact;
use crate::report::Report;

/// Worker threads get a large stack: YAML and schema trees are walked
/// recursively (bounded by the loader's depth limit).
pub const WORKER_STACK: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Directories or files; empty means the current directory.
    pub paths: Vec<PathBuf>,
    /// Explicit config file (else discovered).
    pub config: Option<PathBuf>,
    /// `--system-repo NAME=DIR`, winning over the config's `systemRepos`.
    pub system_repos: Vec<(String, PathBuf)>,
    /// `--platform-repo DIR`: the platform repository as context when the
    /// checked repository is a system repository (wins over `platformRepo`).
    pub platform_repo: Option<PathBuf>,
    /// `--changed-since REV`: report only findings in files changed since
    /// the Git revision REV, and findings elsewhere that they cause.
    pub changed_since: Option<String>,
    pub kubernetes_version: Option<String>,
    pub selection: Selection,
    /// Worker threads (`None`: all cores).
    pub jobs: Option<usize>,
    /// `--require-system-repos`: a registration whose system repository
    /// has no local checkout is an error (also `requireSystemRepos`).
    pub require_system_repos: bool,
    /// Counters a caller may watch while the run goes on (the CLI's progress
    /// line).
    pub progress: Option<Arc<Progress>>,
}

/// How far a run has got: files found, files and documents loaded. Updated
/// from the worker threads; read at any time.
#[derive(Debug, Default)]
pub struct Progress {
    pub files_total: AtomicUsize,
    pub files: AtomicUsize,
    pub documents: AtomicUsize,
}

impl Progress {
    /// (files loaded, files found, documents loaded).
    pub fn snapshot(&self) -> (usize, usize, usize) {
        (
            self.files.load(Ordering::Relaxed),
            self.files_total.load(Ordering::Relaxed),
            self.documents.load(Ordering::Relaxed),
        )
    }
}

#[derive(Debug)]
pub enum LintError {
    Config(ConfigError),
    Usage(String),
    Io(String),
}

impl fmt::Display for LintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LintError::Config(e) => write!(f, "{e}"),
            LintError::Usage(m) | LintError::Io(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for LintError {}

/// Runs the linter.
pub fn lint(opts: &Options) -> Result<Report, LintError> {
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.unwrap_or(0))
        .stack_size(WORKER_STACK)
        .build()
        .map_err(|e| LintError::Io(format!("cannot start worker threads: {e}")))?;
    pool.install(|| lint_in_pool(opts, started))
}

fn lint_in_pool(opts: &Options, started: Instant) -> Result<Report, LintError> {
    let targets = resolve_targets(&opts.paths)?;
    let root = repo_root(&opts.paths, &targets)?;
    let mut config = load_config(opts, &root)?;
    if let Some(v) = &opts.kubernetes_version {
        config.kubernetes_version = v.clone();
    }
    // Without built-in schemas every Deployment would be an `unknown-kind`:
    // an unsupported version is a usage error, not a quiet run.
    if crate::schema::kubernetes::resolve_version(&config.kubernetes_version).is_none() {
        return Err(LintError::Usage(format!(
            "unsupported Kubernetes version `{}`; gitops-lint embeds schemas for {}",
            config.kubernetes_version,
            crate::schema::kubernetes::VERSIONS.join(", ")
        )));
    }
    for (name, dir) in &opts.system_repos {
        config.system_repos.insert(name.clone(), dir.clone());
        config.system_repos_from_cli.insert(name.clone());
    }
    config.require_system_repos |= opts.require_system_repos;
    if let Some(dir) = &opts.platform_repo {
        config.platform_repo = Some(dir.clone());
    }
    let exclude = discover::exclude_set(&config.exclude).map_err(LintError::Usage)?;

    let repos = repositories(&root, &config)?;
    // The walk is one thread's work; the embedded schemas are expanded and
    // compiled meanwhile, on another.
    let kubernetes_version = config.kubernetes_version.clone();
    let (sources, ()) = rayon::join(
        || walk(&root, &repos, &exclude),
        || crate::schema::store::warm(&kubernetes_version),
    );
    let (sources, unreadable) = sources?;
    let progress = opts.progress.as_deref();
    if let Some(p) = progress {
        p.files_total.store(sources.len(), Ordering::Relaxed);
    }
    let mut files: Vec<ParsedFile> = sources
        .into_par_iter()
        .map(|source| {
            let file = load::load(source);
            if let Some(p) = progress {
                p.files.fetch_add(1, Ordering::Relaxed);
                p.documents
                    .fetch_add(file.stream.docs.len(), Ordering::Relaxed);
            }
            file
        })
        .collect();
    if !unreadable.is_empty() {
        // The workspace expects files in (repository, path) order.
        files.extend(unreadable);
        files.sort_by(|a, b| (a.file.repo, &a.file.rel).cmp(&(b.file.repo, &b.file.rel)));
    }
    let workspace = Workspace::new(repos, files, config);

    let cx = RunContext {
        config: &workspace.config,
        workspace: &workspace,
    };
    let rules = check::enabled_rules(crate::rules::RULES, &workspace.config, &opts.selection);
    let mut findings = check::run(&cx, &rules, &opts.selection);

    let in_scope = Scope::new(&root, &targets, &workspace);
    findings.retain(|f| in_scope.contains(&f.path));
    if let Some(rev) = &opts.changed_since {
        let changed = changed_paths(&workspace, rev)?;
        findings.retain(|f| changed.caused(f));
    }

    let report = masked_report(&workspace, findings, started, |f| {
        in_scope.contains(&f.file.display)
    });
    // Freeing millions of small nodes takes a measurable share of a run;
    // the report no longer needs them, so free them off the critical path
    // (a CLI process exits before that thread is done).
    std::thread::spawn(move || drop(workspace));
    Ok(report)
}

/// Lints files held in memory as one repository (rooted at `/repo`, which
/// need not exist): every selected rule, suppressions, and the report
/// masked as [`lint`] masks it. For fuzzing and for embedding in tools that
/// have the text already.
pub fn lint_text(files: &[(&str, &str)], config: Config, selection: &Selection) -> Report {
    let started = Instant::now();
    let root = PathBuf::from("/repo");
    let mut parsed: Vec<ParsedFile> = files
        .iter()
        .map(|(path, text)| {
            let file = SourceFile {
                repo: 0,
                abs: root.join(path),
                rel: path.to_string(),
                display: path.to_string(),
                kind: discover::classify(path),
            };
            load::parse_text(file, text.to_string())
        })
        .collect();
    parsed.sort_by(|a, b| a.file.rel.cmp(&b.file.rel));
    let repos = vec![Repo {
        name: ".".into(),
        root,
    }];
    let workspace = Workspace::new(repos, parsed, config);
    let cx = RunContext {
        config: &workspace.config,
        workspace: &workspace,
    };
    let rules = check::enabled_rules(crate::rules::RULES, &workspace.config, selection);
    let findings = check::run(&cx, &rules, selection);
    masked_report(&workspace, findings, started, |_| true)
}

/// The report of a run: the sources of the files `shown` keeps, masked,
/// the findings scrubbed of what is masked (see [`redact`]), and what the
/// run could not check.
fn masked_report(
    workspace: &Workspace,
    mut findings: Vec<crate::Finding>,
    started: Instant,
    shown: impl Fn(&ParsedFile) -> bool + Sync,
) -> Report {
    let secret_keys = redact::SecretKeys::with_extra(&workspace.config.secret_keys);
    let sources = redact::shown_sources(
        workspace.files.par_iter().filter(|f| shown(f)),
        &mut findings,
        &secret_keys,
    );
    Report {
        findings,
        files: workspace.files.len(),
        documents: workspace.documents(),
        elapsed: started.elapsed(),
        sources,
        notices: unchecked_system_repos(workspace).into_iter().collect(),
    }
}

/// "2 of 5 system repositories were not checked: …" when registrations
/// name Git sources with no local checkout.
fn unchecked_system_repos(ws: &Workspace) -> Option<String> {
    use crate::resolve::SourceState;
    let cross = ws.cross();
    let mut all = std::collections::BTreeSet::new();
    let mut missing = std::collections::BTreeSet::new();
    for reg in &cross.registrations {
        match &reg.state {
            SourceState::NoCheckout(name) => {
                all.insert(name.as_str());
                missing.insert(name.as_str());
            }
            SourceState::Repo(repo) if *repo != ws.files[reg.file].file.repo => {
                if let Some(name) = &reg.source {
                    all.insert(name.as_str());
                }
            }
            _ => {}
        }
    }
    if missing.is_empty() {
        return None;
    }
    let names: Vec<&str> = missing.iter().copied().collect();
    Some(format!(
        "{} of {} system repositories were not checked: {}; pass --system-repo NAME=DIR or set systemRepos",
        missing.len(),
        all.len(),
        names.join(", ")
    ))
}

/// Every file of every repository, and every directory or file the walk
/// could not read (each becomes a finding: a run that skipped part of a
/// tree must not look like a pass); an unreadable checked repository is an
/// error.
fn walk(
    root: &Path,
    repos: &[Repo],
    exclude: &globset::GlobSet,
) -> Result<(Vec<SourceFile>, Vec<ParsedFile>), LintError> {
    let mut sources: Vec<SourceFile> = Vec::new();
    let mut unreadable = Vec::new();
    for (i, repo) in repos.iter().enumerate() {
        let (mut files, errors) = discover::walk(&repo.root, i, exclude);
        if i == 0 && files.is_empty() {
            if let Some(e) = errors.iter().find(|e| e.path == repo.root) {
                return Err(LintError::Io(format!(
                    "{}: {}",
                    e.path.display(),
                    e.message
                )));
            }
        }
        for e in errors {
            let rel = discover::relative(&repo.root, &e.path).unwrap_or_default();
            let display = if i == 0 {
                rel.clone()
            } else {
                discover::display_path(root, &e.path)
            };
            let file = SourceFile {
                repo: i,
                abs: e.path,
                kind: discover::FileKind::Manifest,
                display,
                rel,
            };
            let what = if file.abs.is_dir() {
                "directory"
            } else {
                "entry"
            };
            unreadable.push(load::unreadable(
                file,
                format!(
                    "cannot read {what}: {}; nothing under it was checked",
                    e.message
                ),
            ));
        }
        if i > 0 {
            for f in &mut files {
                f.display = discover::display_path(root, &f.abs);
            }
        }
        sources.extend(files);
    }
    Ok((sources, unreadable))
}

/// The given paths, made absolute and checked to exist.
fn resolve_targets(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LintError> {
    let paths: Vec<PathBuf> = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    paths
        .iter()
        .map(|p| {
            std::fs::canonicalize(p).map_err(|e| LintError::Io(format!("{}: {e}", p.display())))
        })
        .collect()
}

/// The root of the repository the given paths are in, found from where the
/// first path is written, never through a symbolic link: the nearest
/// `.git` or config at or above it. A path that resolves outside that root
/// (a link out of the repository) is refused. Outside any repository, a
/// path through a link is accepted only where it leads into a repository or
/// names a directory (then that is the root); the current directory never
/// becomes the root because of a link.
fn repo_root(paths: &[PathBuf], targets: &[PathBuf]) -> Result<PathBuf, LintError> {
    let cwd = std::env::current_dir().map_err(|e| LintError::Io(e.to_string()))?;
    let cwd = std::fs::canonicalize(cwd).map_err(|e| LintError::Io(e.to_string()))?;
    let written = paths.first().map_or(cwd.clone(), |p| lexical(&cwd.join(p)));
    let target = &targets[0];
    let shown = |i: usize| paths.get(i).map_or(".".into(), |p| p.display().to_string());
    let refuse = |i: usize, root: &Path| {
        LintError::Usage(format!(
            "{}: resolves to {}, outside the repository root {} (through a symbolic link); gitops-lint never reads through links out of a repository",
            shown(i),
            targets[i].display(),
            root.display()
        ))
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).map_err(|e| LintError::Io(e.to_string()));
    let root = match discover::find_root(&real_prefix(&written)) {
        Some(root) => canonical(&root)?,
        None if written == *target => {
            if target.is_dir() {
                target.clone()
            } else if target.starts_with(&cwd) {
                cwd
            } else {
                target.parent().map_or(cwd, Path::to_path_buf)
            }
        }
        None => match discover::find_root(target) {
            Some(root) => root,
            None if target.is_dir() => target.clone(),
            None => return Err(refuse(0, written.parent().unwrap_or(&written))),
        },
    };
    for (i, target) in targets.iter().enumerate() {
        if !target.starts_with(&root) {
            return Err(refuse(i, &root));
        }
    }
    Ok(root)
}

/// `path` with `.` and `..` resolved as written (links not followed).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The longest ancestor of `path` (itself included) reached without a
/// symbolic link: where a repository root may be looked for.
fn real_prefix(path: &Path) -> PathBuf {
    path.ancestors()
        .find(|a| std::fs::canonicalize(a).is_ok_and(|c| c == *a))
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
}

fn load_config(opts: &Options, root: &Path) -> Result<Config, LintError> {
    let path = match &opts.config {
        Some(p) => Some(p.clone()),
        None => config::discover(root),
    };
    match path {
        Some(p) => config::load(&p, &check::docs::Catalog).map_err(LintError::Config),
        None => Ok(Config::default()),
    }
}

/// The checked repository first, then each system repository with a local
/// checkout, then the platform repository given as context.
fn repositories(root: &Path, config: &Config) -> Result<Vec<Repo>, LintError> {
    let mut repos = vec![Repo {
        name: ".".into(),
        root: root.to_path_buf(),
    }];
    // Roots taken so far (a set: there may be thousands of system repos).
    let mut roots: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    roots.insert(root.to_path_buf());
    for (name, dir) in &config.system_repos {
        let dir = std::fs::canonicalize(dir)
            .ok()
            .filter(|d| d.is_dir())
            .ok_or_else(|| missing_system_repo(config, name, dir))?;
        if dir != root && roots.insert(dir.clone()) {
            repos.push(Repo {
                name: name.clone(),
                root: dir,
            });
        }
    }
    if let Some(platform) = &config.platform_repo {
        let dir = std::fs::canonicalize(platform).map_err(|e| {
            LintError::Usage(format!("platform repository {}: {e}", platform.display()))
        })?;
        if dir != root && !repos.iter().any(|r| r.root == dir) {
            let name = dir
                .file_name()
                .map_or("platform".into(), |n| n.to_string_lossy().into_owned());
            repos.push(Repo { name, root: dir });
        }
    }
    Ok(repos)
}

/// A system repository given on the command line or in the config whose
/// directory does not exist: a usage error naming the entry (with its
/// line and column in the config), never a quietly smaller run.
fn missing_system_repo(config: &Config, name: &str, dir: &Path) -> LintError {
    let what = format!(
        "system repository `{name}`: {} is not a directory",
        dir.display()
    );
    match (&config.source, config.system_repo_positions.get(name)) {
        (Some(file), Some(pos)) if !config.system_repos_from_cli.contains(name) => {
            LintError::Usage(format!(
                "{}:{}:{}: systemRepos: {what}",
                file.display(),
                pos.line,
                pos.col
            ))
        }
        _ => LintError::Usage(format!("--system-repo {name}=…: {what}")),
    }
}

/// Files changed since a Git revision, as reports name them.
struct Changed {
    paths: std::collections::HashSet<String>,
}

impl Changed {
    /// A finding is reported when its file changed, or when a place it
    /// depends on (a related location: the path a registration points at)
    /// changed, was deleted, or holds a changed file.
    fn caused(&self, f: &crate::Finding) -> bool {
        self.touches(&f.path) || f.related.iter().any(|r| self.touches(&r.path))
    }

    fn touches(&self, path: &str) -> bool {
        if self.paths.contains(path) {
            return true;
        }
        let dir = format!("{}/", path.trim_end_matches('/'));
        self.paths.iter().any(|p| p.starts_with(&dir))
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

/// Every path changed since `rev` (committed, staged, unstaged, or new and
/// untracked) in the Git work trees of the run's repositories. The checked
/// repository must know `rev`; another repository that does not (a separate
/// checkout) counts as unchanged.
fn changed_paths(ws: &Workspace, rev: &str) -> Result<Changed, LintError> {
    let prefixes = crate::resolve::display_prefixes(&ws.repos, &ws.files);
    let mut tops: Vec<PathBuf> = Vec::new();
    let mut abs: Vec<PathBuf> = Vec::new();
    for (i, repo) in ws.repos.iter().enumerate() {
        let top = match git(&repo.root, &["rev-parse", "--show-toplevel"]) {
            Ok(t) => PathBuf::from(t.trim()),
            Err(e) if i == 0 => {
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
        let diff = match git(
            &top,
            &["diff", "--name-only", "-z", "--no-renames", rev, "--"],
        ) {
            Ok(d) => d,
            Err(e) if i == 0 => {
                return Err(LintError::Usage(format!("--changed-since {rev}: {e}")))
            }
            Err(_) => continue,
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
    let mut paths = std::collections::HashSet::new();
    for a in abs {
        // The repository holding the path most specifically.
        let owner = ws
            .repos
            .iter()
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
                paths.insert(discover::display_path(&ws.repos[0].root, &a));
            }
        }
    }
    Ok(Changed { paths })
}

/// Which findings a run reports: all of them when the repository root was
/// given (or nothing), else only those in the given files and directories.
///
/// When the checked repository is a system repository (the platform given
/// as context), findings in other repositories are reported only in the
/// platform files that register it: its team can act on those.
struct Scope {
    everything: bool,
    prefixes: Vec<String>,
    /// Paths of other repositories' files that are not reported.
    hidden: std::collections::HashSet<String>,
}

impl Scope {
    fn new(root: &Path, targets: &[PathBuf], ws: &Workspace) -> Scope {
        let everything = targets.iter().any(|t| t == root);
        let prefixes = targets
            .iter()
            .filter_map(|t| discover::relative(root, t))
            .collect();
        let mut hidden = std::collections::HashSet::new();
        let cross = ws.cross();
        if !cross.platform_repos.is_empty() && !cross.platform_repos.contains(&0) {
            let shown: std::collections::HashSet<usize> =
                cross.registrations_of(0).map(|r| r.file).collect();
            hidden = ws
                .files
                .iter()
                .enumerate()
                .filter(|(i, f)| f.file.repo != 0 && !shown.contains(i))
                .map(|(_, f)| f.file.display.clone())
                .collect();
        }
        Scope {
            everything,
            prefixes,
            hidden,
        }
    }

    fn contains(&self, path: &str) -> bool {
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
