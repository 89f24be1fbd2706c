//! Hostile and broken input: every case gets a finding or a clear error, the
//! run goes on with the other files, and nothing panics, hangs or exhausts
//! memory. Each test runs the real binary on a generated repository.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

fn run(dir: &Path, args: &[&str]) -> (Output, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-lint"))
        .arg("check")
        .arg(dir)
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("run gitops-lint");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "gitops-lint panicked: {stderr}"
    );
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out, json)
}

/// `(rule, path, line, column)` of every finding.
fn findings(json: &Value) -> Vec<(String, String, u64, u64)> {
    json["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["path"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["column"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn repo(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, bytes) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    dir
}

const GOOD: &[u8] = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n";

#[test]
fn each_broken_file_is_reported_and_the_rest_still_checked() {
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let mut bomb = String::from(
        "a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n",
    );
    for (prev, next) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        bomb.push_str(&format!(
            "{next}: &{next} [{}]\n",
            vec![format!("*{prev}"); 9].join(", ")
        ));
    }
    let dir = repo(&[
        ("third.yaml", b"a: 1\n---\nb: 2\n---\nc: [1,\n---\nd: yes\n"),
        ("utf8.yaml", b"a: 1\nb: \xc3\x28\n"),
        ("bom.yaml", b"\xef\xbb\xbfa: 1\nb: 2\nb: 3\n"),
        ("crlf.yaml", b"a: 1\r\nb: 2\r\na: 3\r\n"),
        ("tabs.yaml", b"a:\n\tb: 1\n"),
        ("empty.yaml", b""),
        ("comments.yaml", b"# nothing here\n# at all\n"),
        ("binary.yaml", b"\x7fELF\x02\x01\x01\x00\x00\x00"),
        ("nested.yaml", nested.as_bytes()),
        ("bomb.yaml", bomb.as_bytes()),
        ("good.yaml", GOOD),
    ]);
    let started = Instant::now();
    let (out, json) = run(dir.path(), &[]);
    assert!(started.elapsed() < Duration::from_secs(20), "too slow");
    assert_eq!(out.status.code(), Some(1));
    let f = findings(&json);
    let has = |rule: &str, path: &str, line: u64, col: u64| {
        f.iter()
            .any(|x| x.0 == rule && x.1 == path && x.2 == line && x.3 == col)
    };
    // The third document is broken (at the `---` the flow sequence runs
    // into); the fourth is still checked (its `yes`).
    assert!(has("yaml-syntax", "third.yaml", 6, 1), "{f:?}");
    assert!(has("yaml-truthy", "third.yaml", 7, 4), "{f:?}");
    // Invalid UTF-8 at the offending byte: line 2, column 4.
    assert!(has("yaml-syntax", "utf8.yaml", 2, 4), "{f:?}");
    // A BOM is not a column; CRLF line ends are not either.
    assert!(has("yaml-duplicate-key", "bom.yaml", 3, 1), "{f:?}");
    assert!(has("yaml-duplicate-key", "crlf.yaml", 3, 1), "{f:?}");
    assert!(has("yaml-syntax", "tabs.yaml", 2, 1), "{f:?}");
    assert!(
        f.iter()
            .any(|x| x.0 == "yaml-syntax" && x.1 == "binary.yaml"),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|x| x.0 == "yaml-syntax" && x.1 == "nested.yaml"),
        "{f:?}"
    );
    assert!(
        f.iter().any(|x| x.0 == "yaml-syntax" && x.1 == "bomb.yaml"),
        "{f:?}"
    );
    for quiet in ["empty.yaml", "comments.yaml", "good.yaml"] {
        assert!(!f.iter().any(|x| x.1 == quiet), "{quiet}: {f:?}");
    }
    let messages: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(messages.iter().any(|m| m.contains("invalid UTF-8")));
    assert!(messages.iter().any(|m| m.contains("binary")));
    assert!(messages.iter().any(|m| m.contains("nesting")));
    assert!(messages.iter().any(|m| m.contains("alias")));
}

#[test]
fn a_50_mb_file_is_read_in_bounded_time() {
    let mut big = String::with_capacity(50 * 1024 * 1024 + 100);
    let mut i = 0;
    while big.len() < 50 * 1024 * 1024 {
        big.push_str(&format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  key: value-{i}\n"));
        i += 1;
    }
    big.push_str("---\nbroken: [\n");
    let dir = repo(&[("big.yaml", big.as_bytes()), ("good.yaml", GOOD)]);
    let started = Instant::now();
    let (_, json) = run(dir.path(), &[]);
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "50 MB took {:?}",
        started.elapsed()
    );
    let f = findings(&json);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "yaml-syntax");
    assert!(json["summary"]["documents"].as_u64().unwrap() > 300_000);
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_and_loops_do_not_hang() {
    use std::os::unix::fs::symlink;
    let outside = repo(&[("secret.yaml", b"a: 1\na: 2\n")]);
    let dir = repo(&[("good.yaml", GOOD)]);
    symlink(dir.path(), dir.path().join("loop")).unwrap();
    symlink(outside.path(), dir.path().join("out")).unwrap();
    symlink(
        outside.path().join("secret.yaml"),
        dir.path().join("linked.yaml"),
    )
    .unwrap();
    let (out, json) = run(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{json}");
    // Only good.yaml: the outside file's duplicate key is never read.
    assert_eq!(json["summary"]["files"], 1);
    assert!(findings(&json).is_empty());
}

/// Runs as an unprivileged user where the tests run as root (root reads
/// every file whatever its mode).
#[cfg(unix)]
#[test]
fn an_unreadable_file_is_reported_and_the_run_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let dir = repo(&[("locked.yaml", b"a: 1\n"), ("good.yaml", b"a: yes\n")]);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        dir.path().join("locked.yaml"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let Some(mut cmd) = unprivileged() else {
        return;
    };
    let out = cmd
        .arg("check")
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("stderr: {}", String::from_utf8_lossy(&out.stderr)));
    let f = findings(&json);
    assert!(
        f.iter()
            .any(|x| x.0 == "yaml-syntax" && x.1 == "locked.yaml" && x.2 == 1),
        "{f:?}"
    );
    assert!(
        f.iter().any(|x| x.0 == "yaml-truthy" && x.1 == "good.yaml"),
        "{f:?}"
    );
    let locked = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "locked.yaml")
        .unwrap();
    let msg = locked["message"].as_str().unwrap_or_default();
    assert!(msg.contains("cannot read"), "{msg}");
}

/// A command that runs `gitops-lint` as an unprivileged user where the
/// tests run as root (root reads every file whatever its mode), or `None`
/// with a visible skip when that cannot be done.
#[cfg(unix)]
fn unprivileged() -> Option<Command> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    if !is_root {
        return Some(Command::new(env!("CARGO_BIN_EXE_gitops-lint")));
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipping: running as root and setpriv is not installed");
        return None;
    }
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_gitops-lint"));
    Some(c)
}

/// A directory that cannot be read is a finding (exit 1), never a quiet
/// "No findings".
#[cfg(unix)]
#[test]
fn an_unreadable_directory_is_reported_not_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let dir = repo(&[("good.yaml", b"a: 1\n"), ("locked/hidden.yaml", b"a: 1\n")]);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        dir.path().join("locked"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let Some(mut cmd) = unprivileged() else {
        return;
    };
    let out = cmd
        .arg("check")
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    std::fs::set_permissions(
        dir.path().join("locked"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = findings(&json);
    assert_eq!(
        f,
        [("yaml-syntax".to_string(), "locked".to_string(), 1, 1)],
        "{json}"
    );
    let message = json["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("cannot read directory"), "{message}");
}

/// A PATH that is a link out of the repository is refused; the root is
/// never the current directory because of a link.
#[cfg(unix)]
#[test]
fn path_arguments_through_links_out_of_the_repository_are_refused() {
    use std::os::unix::fs::symlink;
    let outside = repo(&[("secret.yaml", b"a: 1\na: 2\n"), ("sub/x.yaml", b"a: 1\n")]);
    let dir = repo(&[("good.yaml", GOOD), ("inner/y.yaml", b"b: 1\n")]);
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    symlink(outside.path(), dir.path().join("linkdir")).unwrap();
    symlink(
        outside.path().join("secret.yaml"),
        dir.path().join("link.yaml"),
    )
    .unwrap();
    symlink(dir.path().join("inner"), dir.path().join("inside")).unwrap();
    let gl = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gitops-lint"))
            .arg("check")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    for path in ["linkdir", "link.yaml", "linkdir/sub"] {
        let out = gl(&[path]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path}: {stderr}");
        assert!(
            stderr.contains("outside the repository root"),
            "{path}: {stderr}"
        );
    }
    // Without a repository marker, a link to an outside file does not make
    // the current directory the root of a walk over the outside.
    std::fs::remove_dir(dir.path().join(".git")).unwrap();
    let out = gl(&["link.yaml"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A link that stays inside the repository reads the real path.
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let out = gl(&["inside", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Outside any repository, a link to a repository (`~/repos` linked to
    // `/data/repos`) checks that repository.
    let home = repo(&[]);
    symlink(dir.path(), home.path().join("repos")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-lint"))
        .args(["check", "repos", "--format", "json"])
        .current_dir(home.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["files"], 2, "{json}");
}

#[test]
fn upper_case_extensions_are_read() {
    let dir = repo(&[("a.YAML", b"a: 1\na: 2\n"), ("b.Yml", b"b: yes\n")]);
    let (out, json) = run(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let f = findings(&json);
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!((f[0].1.as_str(), f[1].1.as_str()), ("a.YAML", "b.Yml"));
}

/// A system repository that does not exist is a usage error naming the
/// entry, from the command line or the config (with its line and column).
#[test]
fn a_system_repository_that_does_not_exist_is_a_usage_error() {
    let dir = repo(&[
        (
            ".gitops-lint.yaml",
            b"systemRepos:\n  k8s-a: ../nowhere-at-all\n",
        ),
        ("good.yaml", GOOD),
    ]);
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-lint"))
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(".gitops-lint.yaml:2:10: systemRepos: system repository `k8s-a`"),
        "{stderr}"
    );
    let plain = repo(&[("good.yaml", GOOD)]);
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-lint"))
        .arg("check")
        .arg(plain.path())
        .args(["--system-repo", "k8s-b=/no/such/dir"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--system-repo k8s-b"), "{stderr}");
}

/// `-j` above its bound is a usage error, not thousands of threads.
#[test]
fn too_many_jobs_is_a_usage_error() {
    let dir = repo(&[("good.yaml", GOOD)]);
    for j in ["100000", "0", "257"] {
        let out = Command::new(env!("CARGO_BIN_EXE_gitops-lint"))
            .args(["check", "-j", j])
            .arg(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "-j {j}: {stderr}");
        assert!(stderr.contains("from 1 to 256"), "{stderr}");
    }
    let (out, _) = run(dir.path(), &["-j", "256"]);
    assert_eq!(out.status.code(), Some(0));
}

/// A CRD whose CEL rule is 10,000 or 100,000 terms long: a finding at the
/// rule, never a stack overflow that kills the run for every other file.
#[test]
fn an_enormous_cel_rule_is_a_finding_not_a_crash() {
    for terms in [10_000, 100_000] {
        let rule = vec!["1"; terms].join("+") + " > 0";
        let crd = format!(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {{kind: Widget, plural: widgets}}\n  scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          x-kubernetes-validations:\n            - rule: \"{rule}\"\n          properties:\n            spec: {{type: object}}\n"
        );
        let widget = b"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {}\n";
        let dir = repo(&[
            ("crd.yaml", crd.as_bytes()),
            ("widget.yaml", widget),
            ("good.yaml", b"a: yes\n"),
        ]);
        let (out, json) = run(dir.path(), &[]);
        assert_eq!(out.status.code(), Some(0), "{terms}: {json}");
        let f = findings(&json);
        assert!(
            f.contains(&("schema".into(), "crd.yaml".into(), 17, 21)),
            "{terms}: {f:?}"
        );
        assert!(
            f.iter().any(|x| x.0 == "yaml-truthy"),
            "{terms}: the run went on: {f:?}"
        );
        let message = json["findings"][0]["message"].as_str().unwrap();
        assert!(message.contains("too complex to evaluate"), "{message}");
    }
}

/// Peak resident memory of a run, in bytes (the kernel's high-water mark,
/// polled until the process ends), with its output.
#[cfg(target_os = "linux")]
fn peak_memory(cmd: &mut Command) -> (u64, Output) {
    use std::process::Stdio;
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let status = std::fs::read_to_string(&status_file).unwrap_or_default();
                let kib = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
                if let Some(kib) = kib {
                    peak.fetch_max(kib * 1024, std::sync::atomic::Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let out = child.wait_with_output().unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    watcher.join().unwrap();
    (peak.load(std::sync::atomic::Ordering::Relaxed), out)
}

/// The documented bound: a run's memory stays under 30 times the size of
/// the input, whatever the input. A 100 MB flow sequence or mapping (the
/// parser buffers a flow collection whole) is one finding, in bounded
/// memory and time.
#[cfg(target_os = "linux")]
#[test]
fn a_100_mb_flow_collection_stays_within_the_memory_bound() {
    const SIZE: usize = 100 * 1024 * 1024;
    let sequence = {
        let mut s = String::with_capacity(SIZE + 8);
        s.push('[');
        while s.len() < SIZE {
            s.push_str("ab,");
        }
        s.push_str("z]\n");
        s
    };
    let mapping = {
        let mut s = String::with_capacity(SIZE + 16);
        s.push('{');
        let mut i = 0u64;
        while s.len() < SIZE {
            s.push_str(&format!("k{i}: 1,"));
            i += 1;
        }
        s.push_str("z: 1}\n");
        s
    };
    for (name, text) in [("sequence.yaml", sequence), ("mapping.yaml", mapping)] {
        let dir = repo(&[(name, text.as_bytes()), ("good.yaml", b"a: yes\n")]);
        drop(text);
        let started = Instant::now();
        let (peak, out) = peak_memory(
            Command::new(env!("CARGO_BIN_EXE_gitops-lint"))
                .arg("check")
                .arg(dir.path())
                .args(["--format", "json"]),
        );
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        let f = findings(&json);
        assert_eq!(f[1], ("yaml-syntax".into(), name.into(), 1, 1), "{f:?}");
        let message = json["findings"][1]["message"].as_str().unwrap();
        assert!(
            message.contains("flow collection with more than 100000 entries"),
            "{message}"
        );
        assert!(
            f.iter().any(|x| x.1 == "good.yaml"),
            "the run went on: {f:?}"
        );
        assert!(
            peak < 30 * SIZE as u64,
            "{name}: {} MB peak for a 100 MB file",
            peak >> 20
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{name}: {:?}",
            started.elapsed()
        );
        eprintln!("{name}: {} MB peak, {:?}", peak >> 20, started.elapsed());
    }
}
