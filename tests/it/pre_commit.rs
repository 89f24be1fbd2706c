//! The pre-commit hook, for real: the `pre-commit` package from PyPI in a
//! temporary virtualenv builds this repository's hook (`language: rust`,
//! `cargo install`) and runs it, first with `pre-commit try-repo`, then as
//! an installed git hook, where a violation must fail the commit and a
//! clean change must pass.
//!
//! Slow (a release build of gitops-lint inside pre-commit's environment), so
//! ignored by `cargo test`; `.ci/run` runs it with
//! `cargo test --test it -- --ignored pre_commit::`. It skips, saying why, only
//! when Python is absent.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pre-commit release the test installs.
const PRE_COMMIT_VERSION: &str = "4.7.0";

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

struct Run {
    ok: bool,
    output: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    Run {
        ok: out.status.success(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

fn must(cmd: &mut Command) -> String {
    let desc = format!("{cmd:?}");
    let r = run(cmd);
    assert!(r.ok, "{desc} failed:\n{}", r.output);
    r.output
}

/// Copies the files `cargo install --path` needs, and the hook definition,
/// into a fresh git repository: the hook repository pre-commit clones. (The
/// checkout under test may have uncommitted changes, or not be a git
/// repository at all.)
fn hook_repo(dest: &Path, git: &dyn Fn(&Path) -> Command) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(dest).unwrap();
    for entry in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        ".pre-commit-hooks.yaml",
        "README.md",
        "src",
        "rules",
        "schemas",
    ] {
        let from = src.join(entry);
        if from.exists() {
            crate::common::copy_tree(&from, &dest.join(entry));
        }
    }
    must(git(dest).arg("init").arg("-q"));
    must(git(dest).args(["add", "-A"]));
    must(git(dest).args(["commit", "-q", "-m", "gitops-lint hook"]));
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const CLEAN: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: \"1\"\n";
const VIOLATION: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: \"1\"\n  a: \"2\"\n";

const SCP_SOURCE: &str = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  interval: 5m\n  # rewritten by the fix\n  url: git@github.com:example/app.git\n  ref:\n    branch: main\n";

#[test]
#[ignore = "slow: builds the hook with cargo inside pre-commit; run by .ci/run"]
fn pre_commit_hook_blocks_violations_and_passes_clean_commits() {
    let Some(python) = which("python3").or_else(|| which("python")) else {
        eprintln!("skipped: Python is absent, so pre-commit cannot be installed");
        return;
    };
    let git_bin = which("git").expect("git is needed for pre-commit");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let git_config = w.join("gitconfig");
    std::fs::write(
        &git_config,
        "[user]\n\tname = gitops-lint test\n\temail = test@example.invalid\n[init]\n\tdefaultBranch = main\n",
    )
    .unwrap();
    // Reused between runs: the build of the hook (pre-commit's
    // `cargo install` honours CARGO_TARGET_DIR).
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-target");
    let git = |dir: &Path| {
        let mut c = Command::new(&git_bin);
        c.current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", &git_config)
            .env("GIT_CONFIG_NOSYSTEM", "1");
        c
    };

    // pre-commit from PyPI in a fresh virtualenv.
    let venv = w.join("venv");
    must(Command::new(&python).args(["-m", "venv"]).arg(&venv));
    let bin = venv.join(if cfg!(windows) { "Scripts" } else { "bin" });
    must(
        Command::new(bin.join("python"))
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .arg(format!("pre-commit=={PRE_COMMIT_VERSION}")),
    );
    let pre_commit = bin.join("pre-commit");
    let version = must(Command::new(&pre_commit).arg("--version"));
    assert!(version.contains(PRE_COMMIT_VERSION), "{version}");

    let hooks = w.join("hook-repo");
    hook_repo(&hooks, &git);

    let pc_home = w.join("pre-commit-home");
    let pc = |dir: &Path| {
        let mut c = Command::new(&pre_commit);
        c.current_dir(dir)
            .env("PRE_COMMIT_HOME", &pc_home)
            .env("GIT_CONFIG_GLOBAL", &git_config)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("CARGO_TARGET_DIR", &target)
            // A quicker release build of the same code.
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1")
            .env_remove("PRE_COMMIT_ALLOW_NO_CONFIG");
        c
    };

    // The fixture repository: a cross-file context (a clean file that is not
    // staged) and a staged violation.
    let repo = w.join("fixture");
    std::fs::create_dir_all(&repo).unwrap();
    must(git(&repo).args(["init", "-q"]));
    write(&repo, "apps/other.yaml", CLEAN);
    must(git(&repo).args(["add", "-A"]));
    must(git(&repo).args(["commit", "-q", "-m", "base"]));
    write(&repo, "apps/app.yaml", VIOLATION);
    write(&repo, "notes.txt", "a: 1\na: 2\n");
    must(git(&repo).args(["add", "apps/app.yaml", "notes.txt"]));

    // 1. try-repo on the staged files: the violation fails the hook.
    let tried = run(pc(&repo)
        .arg("try-repo")
        .arg(&hooks)
        .arg("gitops-lint")
        .args(["--files", "apps/app.yaml", "notes.txt"]));
    assert!(!tried.ok, "the violation must fail:\n{}", tried.output);
    assert!(
        tried.output.contains("yaml-duplicate-key"),
        "{}",
        tried.output
    );
    assert!(tried.output.contains("apps/app.yaml"), "{}", tried.output);
    assert!(
        !tried.output.contains("notes.txt:"),
        "only YAML files go to the hook"
    );

    // 2. As an installed git hook, with the README's config form.
    let rev = must(git(&hooks).args(["rev-parse", "HEAD"]));
    write(
        &repo,
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: gitops-lint\n",
            hooks.display(),
            rev.trim()
        ),
    );
    must(git(&repo).args(["add", ".pre-commit-config.yaml"]));
    must(pc(&repo).args(["install"]));
    let commit = |msg: &str| {
        run(git(&repo)
            .env("PRE_COMMIT_HOME", &pc_home)
            .env("CARGO_TARGET_DIR", &target)
            .args(["commit", "-q", "-m", msg]))
    };
    let blocked = commit("add app");
    assert!(
        !blocked.ok,
        "the commit must be refused:\n{}",
        blocked.output
    );
    assert!(
        blocked.output.contains("yaml-duplicate-key"),
        "{}",
        blocked.output
    );
    let head = must(git(&repo).args(["log", "--oneline"]));
    assert_eq!(head.lines().count(), 1, "nothing was committed");

    // 3. Fixed: the commit goes through.
    write(&repo, "apps/app.yaml", CLEAN);
    must(git(&repo).args(["add", "apps/app.yaml"]));
    let passed = commit("add app");
    assert!(passed.ok, "the clean commit must pass:\n{}", passed.output);
    let head = must(git(&repo).args(["log", "--oneline"]));
    assert_eq!(head.lines().count(), 2);

    // 4. The fix variant rewrites the file, which fails the hook (the
    // change is to be reviewed and staged); run again, it passes.
    write(&repo, "apps/source.yaml", SCP_SOURCE);
    must(git(&repo).args(["add", "apps/source.yaml"]));
    let fix = || {
        run(pc(&repo)
            .arg("try-repo")
            .arg(&hooks)
            .arg("gitops-lint-fix")
            .args(["--files", "apps/source.yaml"]))
    };
    let first = fix();
    assert!(!first.ok, "a fixed file fails the hook:\n{}", first.output);
    assert!(
        first.output.contains("files were modified by this hook"),
        "{}",
        first.output
    );
    let fixed = std::fs::read_to_string(repo.join("apps/source.yaml")).unwrap();
    assert_eq!(
        fixed,
        SCP_SOURCE.replace(
            "git@github.com:example/app.git",
            "ssh://git@github.com/example/app.git"
        )
    );
    let second = fix();
    assert!(second.ok, "nothing left to fix:\n{}", second.output);

    // 5. try-repo on a clean tree passes too.
    let clean = run(pc(&repo)
        .arg("try-repo")
        .arg(&hooks)
        .arg("gitops-lint")
        .arg("--all-files"));
    assert!(clean.ok, "a clean repository passes:\n{}", clean.output);
}
