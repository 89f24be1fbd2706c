//! The last stage: `lint(options) -> Report` runs the whole pipeline —
//! find the repositories ([`repos`]), load the workspace, run the rules,
//! keep what is in scope ([`scope`]), mask and report ([`masked`]) —
//! usable without the CLI.

mod cache;
mod masked;
mod repos;
mod scope;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::engine::{self, RunContext, Selection};
use crate::report::Report;
use crate::workspace::config::{Config, ConfigError, Profile, ProfileSetting};
use crate::workspace::discover;
use crate::workspace::load::{self, ParsedFile};
use crate::workspace::{Repo, Workspace};

pub use cache::wait_for_writes as wait_for_cache_writes;
use cache::Cache;
use masked::masked_report;
use repos::{explicit_root, load_config, repo_root, repositories, resolve_targets, walk};
use scope::{changed_paths, Scope};

/// Worker threads get a large stack: YAML and schema trees are walked
/// recursively (bounded by the loader's depth limit).
pub const WORKER_STACK: usize = 16 * 1024 * 1024;

/// Turns transparent huge pages off for this process (Linux), unless the
/// user set `MIMALLOC_ALLOW_THP` (then mimalloc does as it says). A run
/// allocates fresh memory, fills it once and exits: with THP, each first
/// touch makes the kernel zero a whole 2 MiB page, and mostly-empty huge
/// pages stay resident. Measured on the real-shaped corpus at N=10
/// (bench/run.sh): peak RSS 150 -> 111 MB, time 531 -> 482 ms. Call it at
/// the start of `main`, before the large allocations.
pub fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE takes integers only and changes only
        // this process's huge page policy; a failure (an old kernel)
        // leaves it as it was, which is fine.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Directories or files; empty means the current directory.
    pub paths: Vec<PathBuf>,
    /// Explicit config file (else discovered).
    pub config: Option<PathBuf>,
    /// `--root DIR`: the repository root, instead of the nearest directory
    /// above the first path that holds `.git` or a config. Every path must
    /// be inside it; with no paths, `DIR` itself is checked.
    pub root: Option<PathBuf>,
    /// `--system-repo NAME=DIR`, winning over the config's `systemRepos`.
    pub system_repos: Vec<(String, PathBuf)>,
    /// `--platform-repo DIR`: the platform repository as context when the
    /// checked repository is a system repository (wins over `platformRepo`).
    pub platform_repo: Option<PathBuf>,
    /// `--changed-since REV`: report only findings in files changed since
    /// the Git revision REV, and findings elsewhere that they cause.
    pub changed_since: Option<String>,
    pub kubernetes_version: Option<String>,
    /// `--profile`: wins over the config's `profile` and the layout.
    pub profile: Option<Profile>,
    pub selection: Selection,
    /// Worker threads (`None`: all cores).
    pub jobs: Option<usize>,
    /// `--require-system-repos`: a registration whose system repository
    /// has no local checkout is an error (also `requireSystemRepos`).
    pub require_system_repos: bool,
    /// `check - --stdin-filename PATH`: this text stands for the file at
    /// the path (which need not exist); the path is what is checked, and
    /// its repository is read as context.
    pub stdin: Option<StdinFile>,
    /// Counters a caller may watch while the run goes on (the CLI's progress
    /// line).
    pub progress: Option<Arc<Progress>>,
    /// Where results are cached (`None`: no cache). Not used with `stdin`
    /// or `changed_since`.
    pub cache_dir: Option<PathBuf>,
}

/// Text read from standard input, and the file it stands for.
#[derive(Debug, Clone)]
pub struct StdinFile {
    /// As given (relative to the current directory, or absolute).
    pub path: PathBuf,
    pub text: String,
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

/// The repository root a run with these options checks (see
/// [`Options::root`]).
pub fn repository_root(opts: &Options) -> Result<PathBuf, LintError> {
    let paths = checked_paths(opts);
    let targets = resolve(opts, &paths)?;
    root_of(opts, &paths, &targets)
}

/// The paths a run checks: the file stdin stands for, else those given,
/// else the `--root` directory, else the current directory (an empty
/// list).
fn checked_paths(opts: &Options) -> Vec<PathBuf> {
    if let Some(stdin) = &opts.stdin {
        return vec![stdin.path.clone()];
    }
    match (&opts.root, opts.paths.is_empty()) {
        (Some(root), true) => vec![root.clone()],
        _ => opts.paths.clone(),
    }
}

/// The checked paths made absolute; the file stdin stands for may not
/// exist yet (an editor's unsaved buffer), its directory must.
fn resolve(opts: &Options, paths: &[PathBuf]) -> Result<Vec<PathBuf>, LintError> {
    let Some(stdin) = &opts.stdin else {
        return resolve_targets(paths);
    };
    if stdin.path.exists() {
        return resolve_targets(paths);
    }
    let name = stdin.path.file_name().ok_or_else(|| {
        LintError::Usage(format!(
            "--stdin-filename {}: not a file name",
            stdin.path.display()
        ))
    })?;
    let parent = match stdin.path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = resolve_targets(&[parent])?;
    Ok(vec![dir[0].join(name)])
}

fn root_of(opts: &Options, paths: &[PathBuf], targets: &[PathBuf]) -> Result<PathBuf, LintError> {
    match &opts.root {
        Some(root) => explicit_root(root, targets),
        None => repo_root(paths, targets),
    }
}

/// Which rules a run with these options would run, and why: the profile
/// and, per rule, `Ok` or the reason it does not run (`gitops-lint rules`).
/// Reads the config and lists the files; parses nothing.
pub fn plan(opts: &Options) -> Result<Plan, LintError> {
    let Setup {
        root,
        config,
        exclude,
        repos,
        ..
    } = setup(opts)?;
    let sources = walk(&root, &repos, &exclude)?.sources;
    let profile =
        crate::workspace::profile::decide(&config, sources.iter().map(|s| s.rel.as_str()));
    let rules = crate::rules::RULES
        .iter()
        .map(|r| {
            let runs = engine::rule_runs(r.id(), &config, profile.profile, &opts.selection);
            (r.id(), runs)
        })
        .collect();
    Ok(Plan {
        profile,
        rules,
        root,
        config,
    })
}

/// What [`plan`] found.
#[derive(Debug)]
pub struct Plan {
    pub profile: crate::workspace::profile::Decided,
    pub rules: Vec<(&'static str, Result<(), &'static str>)>,
    /// The repository root.
    pub root: PathBuf,
    /// The resolved config, with where each setting came from
    /// ([`Config::origins`], [`Config::settings`]).
    pub config: Config,
}

/// What a run (or its [`plan`]) starts from: the checked paths resolved,
/// the root, the config, and the repositories to walk.
struct Setup {
    targets: Vec<PathBuf>,
    root: PathBuf,
    config: Config,
    exclude: globset::GlobSet,
    repos: Vec<Repo>,
}

fn setup(opts: &Options) -> Result<Setup, LintError> {
    let paths = checked_paths(opts);
    let targets = resolve(opts, &paths)?;
    let root = root_of(opts, &paths, &targets)?;
    let config = configure(opts, &root)?;
    let exclude = discover::exclude_set(&config.exclude).map_err(LintError::Usage)?;
    let repos = repositories(&root, &config)?;
    Ok(Setup {
        targets,
        root,
        config,
        exclude,
        repos,
    })
}

/// The config of a run: the file's, with the command line's overrides.
fn configure(opts: &Options, root: &Path) -> Result<Config, LintError> {
    let mut config = load_config(opts, root)?;
    let mut from_cli = |key: &str, flag: &str| {
        config.origins.insert(key.to_string(), flag.to_string());
    };
    if opts.kubernetes_version.is_some() {
        from_cli("kubernetesVersion", "--kubernetes-version");
    }
    if opts.profile.is_some() {
        from_cli("profile", "--profile");
    }
    if !opts.system_repos.is_empty() {
        from_cli("systemRepos", "--system-repo");
    }
    if opts.require_system_repos {
        from_cli("requireSystemRepos", "--require-system-repos");
    }
    if opts.platform_repo.is_some() {
        from_cli("platformRepo", "--platform-repo");
    }
    if let Some(v) = &opts.kubernetes_version {
        config.kubernetes_version = v.clone();
    }
    if let Some(profile) = opts.profile {
        config.profile = Some(ProfileSetting {
            profile,
            from: "--profile",
        });
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
    Ok(config)
}

fn lint_in_pool(opts: &Options, started: Instant) -> Result<Report, LintError> {
    let Setup {
        targets,
        root,
        config,
        exclude,
        repos,
    } = setup(opts)?;
    let mut cache = opts
        .cache_dir
        .as_deref()
        .filter(|_| opts.stdin.is_none() && opts.changed_since.is_none())
        .map(|dir| Cache::new(dir, settings(opts, &targets, &config, &repos)));
    if let Some(mut report) = cache.as_mut().and_then(Cache::before_walk) {
        report.elapsed = started.elapsed();
        return Ok(report);
    }
    // The embedded schemas are expanded and compiled while the walk runs
    // (the walk is mostly system calls).
    let kubernetes_version = config.kubernetes_version.clone();
    let (found, ()) = rayon::join(
        || walk(&root, &repos, &exclude),
        || crate::schema::store::warm(&kubernetes_version),
    );
    let repos::Found {
        mut sources,
        unreadable,
        dirs,
    } = found?;
    // A tree the walk could not read whole is reported as such; whether it
    // can be read next time is not something the cache can tell.
    let mut cache = cache.filter(|_| unreadable.is_empty());
    if let Some(mut report) = cache.as_mut().and_then(|c| c.after_walk(&sources)) {
        report.elapsed = started.elapsed();
        return Ok(report);
    }
    // The file stdin stands for is read from there, not from the disk.
    let stdin = opts
        .stdin
        .as_ref()
        .map(|s| (targets[0].clone(), s.text.clone()));
    if let Some((abs, _)) = &stdin {
        sources.retain(|s| s.abs != *abs);
    }
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
    files.extend(unreadable);
    if let Some((abs, text)) = stdin {
        files.push(stdin_file(&root, abs, text)?);
    }
    let workspace = Workspace::new(repos, files, config);
    let report = check(opts, &root, &targets, &workspace, started)?;
    if let Some(cache) = &cache {
        cache.store(&workspace, &dirs, &report);
    }
    // Freeing millions of small nodes takes a measurable share of a run;
    // the report no longer needs them, so free them off the critical path
    // (a CLI process exits before that thread is done).
    std::thread::spawn(move || drop(workspace));
    Ok(report)
}

/// Checks the loaded workspace: every enabled rule, findings kept to the
/// scope, masked into a report.
fn check(
    opts: &Options,
    root: &Path,
    targets: &[PathBuf],
    workspace: &Workspace,
    started: Instant,
) -> Result<Report, LintError> {
    let cx = RunContext::new(workspace);
    let profile = workspace.profile.profile;
    let rules = engine::enabled_rules(
        crate::rules::RULES,
        &workspace.config,
        profile,
        &opts.selection,
    );
    let mut findings = engine::run(&cx, &rules, &opts.selection);

    let in_scope = Scope::new(root, targets, workspace, cx.graph());
    findings.retain(|f| in_scope.contains(&f.path));
    if let Some(rev) = &opts.changed_since {
        let changed = changed_paths(workspace, cx.graph(), rev)?;
        findings.retain(|f| changed.caused(f));
    }

    let report = masked_report(&cx, findings, started, |f| {
        in_scope.contains(&f.file.display)
    });
    // Freed off the critical path, as the workspace is.
    let built = cx.into_built();
    std::thread::spawn(move || drop(built));
    Ok(report)
}

/// What a run's result depends on besides the files (see [`cache`]): the
/// binary, the paths checked, the rule selection, the repositories and the
/// effective config (every field, with where it came from).
fn settings(opts: &Options, targets: &[PathBuf], config: &Config, repos: &[Repo]) -> String {
    let binary = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| (m.len(), m.modified().ok()));
    format!(
        "gitops-lint {}\nbinary {binary:?}\ntargets {targets:?}\nselection {:?}\nrepositories {repos:?}\nconfig {config:?}",
        env!("CARGO_PKG_VERSION"),
        opts.selection,
    )
}

fn stdin_file(root: &Path, abs: PathBuf, text: String) -> Result<ParsedFile, LintError> {
    let rel = discover::relative(root, &abs).ok_or_else(|| {
        LintError::Usage(format!(
            "--stdin-filename {}: not inside the repository {}",
            abs.display(),
            root.display()
        ))
    })?;
    let file = discover::SourceFile {
        repo: crate::base::ids::RepoId::new(0),
        abs,
        kind: discover::classify(&rel),
        display: rel.clone(),
        rel,
    };
    Ok(load::parse_text(file, text))
}

/// Lints files held in memory as one repository (rooted at `/repo`, which
/// need not exist): every selected rule, suppressions, and the report
/// masked as [`lint`] masks it. For fuzzing and for embedding in tools that
/// have the text already.
pub fn lint_text(files: &[(&str, &str)], config: Config, selection: &Selection) -> Report {
    let started = Instant::now();
    let workspace = Workspace::in_memory(files, config);
    let cx = RunContext::new(&workspace);
    let profile = workspace.profile.profile;
    let rules = engine::enabled_rules(crate::rules::RULES, &workspace.config, profile, selection);
    let findings = engine::run(&cx, &rules, selection);
    masked_report(&cx, findings, started, |_| true)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn huge_pages_are_turned_off() {
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
            eprintln!("SKIPPED: MIMALLOC_ALLOW_THP is set; mimalloc decides");
            return;
        }
        super::no_transparent_huge_pages();
        // SAFETY: PR_GET_THP_DISABLE reads this process's setting only.
        let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(disabled, 1);
    }
}
