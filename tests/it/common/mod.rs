//! Helpers shared by the CLI integration tests: fixture repositories and
//! running the built binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `gitops-lint ARGS` in `dir`.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-lint"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("run gitops-lint");
    Output {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The files of the small repository the integration tests share: findings
/// of several rules and severities, a fix, a suppression, and characters
/// the annotation formats must escape in paths and messages.
pub const SMALL_REPO: &[(&str, &str)] = &[
    (
        ".gitops-lint.yaml",
        "registries:\n  allowed: [myacr.azurecr.io]\n",
    ),
    (
        "apps/web.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: web\ndata:\n  a: \"1\"\n  a: \"2\"\n",
    ),
    (
        "apps/values.yaml",
        "ingress:\n  enabled: yes\n",
    ),
    (
        "apps/legacy.yaml",
        "settings:\n  # gitops-lint-ignore yaml-truthy -- kept for the legacy chart\n  legacy: yes\n",
    ),
    ("apps/broken: 50%, a;b].yaml", "key: [unclosed\n"),
    ("apps/clean.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: clean\n"),
];

/// Writes `files` into a new temporary directory.
pub fn repo_from(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
    }
    dir
}

pub fn small_repo() -> tempfile::TempDir {
    repo_from(SMALL_REPO)
}

pub struct FixtureRepo {
    pub path: PathBuf,
    /// Keeps a temporary repository alive.
    _temp: Option<tempfile::TempDir>,
}

/// The repositories the format tests run over: the small repository above,
/// and every repository under `testdata/` (the platform and systems
/// fixtures) when they are there.
pub fn fixture_repos() -> Vec<FixtureRepo> {
    let small = small_repo();
    let mut repos = vec![FixtureRepo {
        path: small.path().to_path_buf(),
        _temp: Some(small),
    }];
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&testdata) {
        for e in entries.flatten() {
            let p = e.path();
            if !p.is_dir() {
                continue;
            }
            if p.join("clusters").is_dir() || p.join(".gitops-lint.yaml").is_file() {
                dirs.push(p);
            } else if let Ok(inner) = std::fs::read_dir(&p) {
                dirs.extend(inner.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
            }
        }
    }
    dirs.sort();
    repos.extend(
        dirs.into_iter()
            .map(|path| FixtureRepo { path, _temp: None }),
    );
    repos
}

/// `../shared/<rel>` beside the checkout (or one level further up, for a
/// git worktree under a sibling folder). When it is absent: a failure in CI
/// (`CI` set, where it must be there), else a visible skip and `None`.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = ["../shared", "../../shared"]
        .iter()
        .map(|base| manifest.join(base).join(rel))
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "../shared/{rel} is missing; CI must have it beside the checkout"
        );
        eprintln!("SKIPPED: ../shared/{rel} is absent");
    }
    found
}

/// Copies the file or directory `from` to `to`, recursively.
pub fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap().flatten() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    }
}
