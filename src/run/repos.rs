//! Where a run's repositories are: the checked one (found from the given
//! paths, never through a symbolic link out of it), each system repository
//! with a local checkout, the platform given as context; and their files.

use std::path::{Path, PathBuf};

use crate::base::ids::RepoId;
use crate::workspace::config::{self, Config};
use crate::workspace::discover::{self, SourceFile};
use crate::workspace::load::{self, ParsedFile};
use crate::workspace::Repo;

use super::{LintError, Options};

/// What the walk of a run's repositories found.
pub(super) struct Found {
    /// Every YAML file of every repository.
    pub sources: Vec<SourceFile>,
    /// Every directory or file the walk could not read (each becomes a
    /// finding: a run that skipped part of a tree must not look like a
    /// pass).
    pub unreadable: Vec<ParsedFile>,
    /// Every directory entered.
    pub dirs: Vec<PathBuf>,
}

/// Walks every repository; an unreadable checked repository is an error.
pub(super) fn walk(
    root: &Path,
    repos: &[Repo],
    exclude: &globset::GlobSet,
) -> Result<Found, LintError> {
    let mut sources: Vec<SourceFile> = Vec::new();
    let mut unreadable = Vec::new();
    let mut dirs = Vec::new();
    let roots: Vec<(std::path::PathBuf, RepoId)> = repos
        .iter()
        .enumerate()
        .map(|(i, repo)| (repo.root.clone(), RepoId::new(i)))
        .collect();
    let all = discover::walk_repos(&roots, exclude);
    for (i, (repo, walked)) in repos.iter().zip(all).enumerate() {
        let id = RepoId::new(i);
        dirs.extend(walked.dirs);
        let (mut files, errors) = (walked.files, walked.errors);
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
                repo: id,
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
    Ok(Found {
        sources,
        unreadable,
        dirs,
    })
}

/// The given paths, made absolute and checked to exist.
pub(super) fn resolve_targets(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LintError> {
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
pub(super) fn repo_root(paths: &[PathBuf], targets: &[PathBuf]) -> Result<PathBuf, LintError> {
    let cwd = std::env::current_dir().map_err(|e| LintError::Io(e.to_string()))?;
    let cwd = std::fs::canonicalize(cwd).map_err(|e| LintError::Io(e.to_string()))?;
    let written = paths
        .first()
        .map_or(cwd.clone(), |p| crate::base::paths::lexical(&cwd.join(p)));
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

/// The root `--root` names: a directory, holding every checked path.
pub(super) fn explicit_root(root: &Path, targets: &[PathBuf]) -> Result<PathBuf, LintError> {
    let canonical = std::fs::canonicalize(root)
        .map_err(|e| LintError::Io(format!("--root {}: {e}", root.display())))?;
    if !canonical.is_dir() {
        return Err(LintError::Usage(format!(
            "--root {}: not a directory",
            root.display()
        )));
    }
    if let Some(outside) = targets.iter().find(|t| !t.starts_with(&canonical)) {
        return Err(LintError::Usage(format!(
            "{} is outside the root {} given with --root",
            outside.display(),
            root.display()
        )));
    }
    Ok(canonical)
}

/// The longest ancestor of `path` (itself included) reached without a
/// symbolic link: where a repository root may be looked for.
fn real_prefix(path: &Path) -> PathBuf {
    path.ancestors()
        .find(|a| std::fs::canonicalize(a).is_ok_and(|c| c == *a))
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
}

/// The run's config: the checked repository's file (`--config`, else the
/// nearest at or above the root); for a system team's run — a platform
/// repository given by `--platform-repo` or `platformRepo` — over the
/// platform's own file, so the platform's registries, environments and
/// rules hold there too unless the system repository's file says
/// otherwise, key by key.
pub(super) fn load_config(opts: &Options, root: &Path) -> Result<Config, LintError> {
    let catalog = &crate::engine::docs::Catalog;
    let path = match &opts.config {
        Some(p) => Some(p.clone()),
        None => config::discover(root),
    };
    let own = match &path {
        Some(p) => config::load(p, catalog).map_err(LintError::Config)?,
        None => Config::default(),
    };
    let platform = opts
        .platform_repo
        .clone()
        .or_else(|| own.platform_repo.clone());
    let Some(platform_config) = platform.and_then(|dir| platform_config(&dir, root)) else {
        return Ok(own);
    };
    let under = config::load(&platform_config, catalog)
        .map_err(LintError::Config)?
        .inherited();
    match &path {
        Some(p) => config::load_onto(under, p, catalog).map_err(LintError::Config),
        None => Ok(under),
    }
}

/// The platform repository's config file: at its root (not above it: a
/// checkout's parent is not the platform's), unless it is the checked
/// repository's own.
fn platform_config(dir: &Path, root: &Path) -> Option<PathBuf> {
    let dir = std::fs::canonicalize(dir).ok()?;
    let file = dir.join(config::FILE_NAME);
    (dir != root && file.is_file()).then_some(file)
}

/// The checked repository first, then each system repository with a local
/// checkout, then the platform repository given as context.
pub(super) fn repositories(root: &Path, config: &Config) -> Result<Vec<Repo>, LintError> {
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
