//! The command-line contract of SPEC.md: exit codes, the JSON format field
//! for field, `--output`, filters, file arguments, and the `rules`,
//! `explain` and `init` commands.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gitops-lint"))
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run gitops-lint")
}

fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

const DUPLICATE: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  a: \"1\"\n  a: \"2\"\n";
const TRUTHY: &str = "enabled: yes\n";

#[test]
fn clean_repo_exits_zero() {
    let dir = repo(&[("a.yaml", "a: 1\n")]);
    let out = run_in(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("No findings"), "{text}");
    assert!(!text.contains('\u{1b}'), "colour when not on a terminal");
}

#[test]
fn errors_exit_one_warnings_zero_unless_denied() {
    let dir = repo(&[("a.yaml", DUPLICATE)]);
    assert_eq!(run_in(dir.path(), &["check"]).status.code(), Some(1));
    let dir = repo(&[("v.yaml", TRUTHY)]);
    assert_eq!(run_in(dir.path(), &["check"]).status.code(), Some(0));
    assert_eq!(
        run_in(dir.path(), &["check", "--deny-warnings"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn run_failures_exit_two() {
    let dir = repo(&[("a.yaml", "a: 1\n")]);
    let out = run_in(dir.path(), &["check", "does-not-exist"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        run_in(dir.path(), &["check", "--format", "xml"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run_in(dir.path(), &["check", "--select", "no-such-rule"])
            .status
            .code(),
        Some(2)
    );
    // A config error names the file, line and column.
    let dir = repo(&[
        (".gitops-lint.yaml", "registries:\n  allowd: []\n"),
        ("a.yaml", "a: 1\n"),
    ]);
    let out = run_in(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(".gitops-lint.yaml:2:3"), "{err}");
    assert!(err.contains("allowd"), "{err}");
}

#[test]
fn json_matches_the_spec_field_for_field() {
    let dir = repo(&[("cm.yaml", DUPLICATE)]);
    let out = run_in(dir.path(), &["check", "--format", "json"]);
    let v = json(&out);
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&v), ["findings", "summary", "tool", "version"]);
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "gitops-lint");
    let f = &v["findings"][0];
    // The contract's fields, and `related` (added only when a finding
    // concerns other places: here, the first of the two keys).
    assert_eq!(
        keys(f),
        [
            "column",
            "end_column",
            "end_line",
            "fix",
            "help",
            "line",
            "message",
            "object",
            "path",
            "related",
            "rule",
            "severity"
        ]
    );
    assert_eq!(f["related"][0]["path"], "cm.yaml");
    assert!(
        f["related"][0]["line"].as_u64().is_some_and(|l| l < 8),
        "{}",
        f["related"]
    );
    assert_eq!(f["rule"], "yaml-duplicate-key");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["path"], "cm.yaml");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(8), Some(3))
    );
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(8), Some(4))
    );
    assert_eq!(
        f["object"],
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "namespace": "shop", "name": "settings"})
    );
    assert_eq!(
        keys(&v["summary"]),
        [
            "documents",
            "elapsed_ms",
            "errors",
            "files",
            "infos",
            "warnings"
        ]
    );
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(v["summary"]["files"], 1);
}

#[test]
fn output_file_and_filters() {
    let dir = repo(&[("cm.yaml", DUPLICATE), ("v.yaml", TRUTHY)]);
    let out = run_in(
        dir.path(),
        &["check", "--format", "json", "--output", "report.json"],
    );
    assert!(out.stdout.is_empty());
    let v: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 2);

    let rules_of = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["check", "--format", "json"];
        all.extend_from_slice(args);
        json(&run_in(dir.path(), &all))["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(rules_of(&["--select", "yaml-truthy"]), ["yaml-truthy"]);
    assert_eq!(
        rules_of(&["--ignore", "yaml-truthy"]),
        ["yaml-duplicate-key"]
    );
    assert_eq!(rules_of(&["--severity", "error"]), ["yaml-duplicate-key"]);
}

#[test]
fn config_can_turn_rules_off_or_change_severity() {
    let dir = repo(&[
        (
            ".gitops-lint.yaml",
            "rules:\n  yaml-truthy: error\n  yaml-duplicate-key: off\n",
        ),
        ("cm.yaml", DUPLICATE),
        ("v.yaml", TRUTHY),
    ]);
    let out = run_in(dir.path(), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["rule"], "yaml-truthy");
    assert_eq!(f[0]["severity"], "error");
}

#[test]
fn file_arguments_report_only_those_files() {
    let dir = repo(&[
        (".gitops-lint.yaml", ""),
        ("a/cm.yaml", DUPLICATE),
        ("b/v.yaml", TRUTHY),
    ]);
    let v = json(&run_in(
        dir.path(),
        &["check", "--format", "json", "b/v.yaml"],
    ));
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["path"], "b/v.yaml");
    // The whole repository was loaded as context, and one file checked:
    // the summary counts what was checked ("in 1 file").
    assert_eq!(v["summary"]["files"], 1);
    let human = run_in(dir.path(), &["check", "a/cm.yaml", "b/v.yaml"]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains(" in 2 files "), "{text}");
    // A directory argument below the root limits the report the same way.
    let v = json(&run_in(dir.path(), &["check", "--format", "json", "a"]));
    assert_eq!(v["findings"][0]["path"], "a/cm.yaml");
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn exclude_globs_and_templates_are_not_read() {
    let dir = repo(&[
        (".gitops-lint.yaml", "exclude: [\"vendor/**\"]\n"),
        ("vendor/cm.yaml", DUPLICATE),
        (
            "chart/Chart.yaml",
            "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        ),
        (
            "chart/templates/d.yaml",
            "{{- if .Values.x }}\nkind: {{ .Values.kind }}\n{{- end }}\n",
        ),
        (".gitignore", "ignored/\n"),
        ("ignored/cm.yaml", DUPLICATE),
    ]);
    let out = run_in(dir.path(), &["check", "--format", "json"]);
    let v = json(&out);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(v["summary"]["files"], 1);
}

#[test]
fn human_output_shows_snippet_location_and_help() {
    let dir = repo(&[("cm.yaml", DUPLICATE)]);
    let out = run_in(dir.path(), &["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("cm.yaml:8:3"), "{text}");
    assert!(text.contains("yaml-duplicate-key"), "{text}");
    assert!(
        text.contains("gitops-lint explain yaml-duplicate-key"),
        "{text}"
    );
    assert!(text.contains("Found 1 error"), "{text}");
}

#[test]
fn rules_and_explain() {
    let dir = repo(&[]);
    let out = run_in(dir.path(), &["rules"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for doc in gitops_lint::docs::all() {
        assert!(text.contains(&doc.id), "{} missing from `rules`", doc.id);
    }
    let out = run_in(dir.path(), &["explain", "yaml-truthy"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("## Why is this bad?"), "{text}");
    let out = run_in(dir.path(), &["explain", "truthy"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `yaml-truthy`?"));
    // The same for --select, --ignore and the config's rules.
    let out = run_in(dir.path(), &["check", "--select", "yaml-truty", "."]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown rule `yaml-truty`; did you mean `yaml-truthy`?"),
        "{err}"
    );
    let out = run_in(dir.path(), &["check", "--ignore", "prune", "."]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean `prune-enabled`?"), "{err}");
    std::fs::write(
        dir.path().join(".gitops-lint.yaml"),
        "rules:\n  privat-registry: off\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["check", "."]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean `private-registry`?"), "{err}");
}

#[test]
fn init_writes_a_config_check_accepts() {
    let dir = repo(&[("a.yaml", "a: 1\n")]);
    assert_eq!(run_in(dir.path(), &["init"]).status.code(), Some(0));
    assert!(dir.path().join(".gitops-lint.yaml").is_file());
    assert_eq!(run_in(dir.path(), &["init"]).status.code(), Some(2));
    assert_eq!(run_in(dir.path(), &["check"]).status.code(), Some(0));
}

#[test]
fn secret_values_never_appear_in_any_format_whatever_rules_run() {
    let dir = repo(&[(
        "app.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nimmutable: yes\nstringData:\n  password: hunter2-secret\n  user: admin\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: r\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://bob:tok3n-value@dev.azure.com/org/p/_git/r\n  ref: {branch: main}\n  provider: azure\n  unknownField: yes\n",
    )]);
    let formats = ["human", "json"];
    for ignore in ["", "plaintext-secret,static-credentials"] {
        for format in formats {
            let mut args = vec!["check", "--format", format];
            if !ignore.is_empty() {
                args.extend(["--ignore", ignore]);
            }
            let out = run_in(dir.path(), &args);
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("yaml-truthy"), "{format}: {text}");
            for secret in ["hunter2-secret", "tok3n-value"] {
                assert!(
                    !text.contains(secret),
                    "{format} (ignoring {ignore}) shows {secret}:\n{text}"
                );
            }
        }
    }
}

const WIDGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, minimum: 1}
                colour: {type: string, enum: [red, blue]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-crd}
";

#[test]
fn schemas_import_from_stdin_then_check_uses_them() {
    use std::io::Write as _;
    let dir = repo(&[
        (".gitops-lint.yaml", ""),
        (
            "widget.yaml",
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  size: 0\n  colour: green\n  shape: round\n",
        ),
    ]);
    let mut child = bin()
        .current_dir(dir.path())
        .args(["schemas", "import", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(WIDGET_CRD.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = run_in(dir.path(), &["schemas", "list"]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("example.com/v1"));

    let v = json(&run_in(dir.path(), &["check", "--format", "json"]));
    let mut got: Vec<(String, u64, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    // size below the minimum, colour outside the enum, an unknown field.
    assert_eq!(
        got,
        [
            ("schema".to_string(), 5, 9),
            ("schema".to_string(), 6, 11),
            ("schema".to_string(), 7, 3)
        ]
    );
}

/// A registration whose system repository has no local checkout: one
/// finding per repository, one line on stderr in every format, and the
/// same said in each format's own way; `--require-system-repos` makes it
/// an error.
#[test]
fn unchecked_system_repositories_are_said_in_every_format() {
    let platform = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/platform");
    let dir = platform.to_str().unwrap();
    let notice = "1 of 6 system repositories were not checked: podinfo; pass --system-repo NAME=DIR or set systemRepos";
    for (format, said) in [
        ("human", None),
        ("json", Some(format!("\"notices\": [\n      \"{notice}\""))),
        ("sarif", Some("\"toolExecutionNotifications\"".to_string())),
        (
            "github",
            Some(format!("::warning title=gitops-lint::{notice}")),
        ),
        (
            "azure",
            Some(format!(
                "##vso[task.logissue type=warning;code=gitops-lint]{notice}"
            )),
        ),
        ("junit", Some(format!("<skipped message=\"{notice}\"/>"))),
    ] {
        let out = run_in(Path::new("."), &["check", dir, "--format", format]);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(
            stderr.contains(&format!("gitops-lint: warning: {notice}")),
            "{format}: {stderr}"
        );
        if let Some(said) = said {
            assert!(stdout.contains(&said), "{format}: {stdout}");
        }
    }
    let report = |args: &[&str]| -> Value { json(&run_in(Path::new("."), args)) };
    let unresolved = |v: &Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["message"].as_str().unwrap().contains("no local checkout"))
            .map(|f| f["severity"].as_str().unwrap().to_string())
            .collect()
    };
    let v = report(&["check", dir, "--format", "json", "--severity", "info"]);
    assert_eq!(unresolved(&v), ["info"], "one finding for the repository");
    let out = run_in(
        Path::new("."),
        &["check", dir, "--format", "json", "--require-system-repos"],
    );
    assert_eq!(unresolved(&json(&out)), ["error"]);
    assert_eq!(out.status.code(), Some(1));
}

/// Findings beside a 2 MB line print their location and message, not the
/// line: context lines are held to the snippet width too.
#[test]
fn human_output_never_prints_a_huge_context_line() {
    let wide = "x".repeat(2 * 1024 * 1024);
    let text = format!("a: yes\nwide: {wide}\nb: yes\n");
    let dir = repo(&[("f.yaml", &text)]);
    let out = run_in(dir.path(), &["check", "--format", "human"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.len() < 10_000, "{} bytes of output", stdout.len());
    assert!(stdout.contains("f.yaml:1:4"), "{stdout}");
    assert!(stdout.contains("f.yaml:3:4"), "{stdout}");
}

/// A directory inside a larger repository is checked with that repository
/// as the root, and stderr says so; `--root` makes the directory its own
/// root.
#[test]
fn a_directory_inside_a_repository_and_root() {
    let dir = repo(&[
        (".git/HEAD", "ref: refs/heads/main\n"),
        ("platform/sub/v.yaml", TRUTHY),
    ]);
    let out = run_in(dir.path(), &["check", "--format", "json", "platform/sub"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("repository root: ../..; pass --root platform/sub to check platform/sub as its own root"),
        "{err}"
    );
    assert_eq!(json(&out)["findings"][0]["path"], "platform/sub/v.yaml");

    let out = run_in(
        dir.path(),
        &["check", "--format", "json", "--root", "platform/sub"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("repository root"), "{err}");
    assert_eq!(json(&out)["findings"][0]["path"], "v.yaml");

    // At the root itself, nothing is said.
    let out = run_in(dir.path(), &["check", "--format", "json", "."]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("repository root"));

    // A path outside the given root is a usage error.
    let out = run_in(dir.path(), &["check", "--root", "platform/sub", "platform"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is outside the root platform/sub given with --root"),
        "{err}"
    );
}

/// A HelmRelease outside `flux-system`: a `helmrelease-layout` finding on
/// the platform, nothing elsewhere.
const RELEASE: &str = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web, namespace: web}\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: web\n      sourceRef: {kind: HelmRepository, name: charts}\n";

fn rule_ids(out: &Output) -> Vec<String> {
    let mut ids: Vec<String> = json(out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    ids.dedup();
    ids
}

/// The platform's conventions run where the platform is: its layout, its
/// settings in the config, or the profile named; elsewhere only by name.
#[test]
fn platform_rules_run_where_the_platform_is() {
    let flux = repo(&[(".git/HEAD", "x\n"), ("apps/web.yaml", RELEASE)]);
    let check = |dir: &Path, extra: &[&str]| {
        let mut args = vec!["check", "--format", "json", "--ignore", "dangling-ref"];
        args.extend_from_slice(extra);
        run_in(dir, &args)
    };
    assert!(!rule_ids(&check(flux.path(), &[])).contains(&"helmrelease-layout".to_string()));
    for extra in [
        &["--profile", "platform"][..],
        &["--select", "helmrelease-layout"],
    ] {
        let ids = rule_ids(&check(flux.path(), extra));
        assert!(
            ids.contains(&"helmrelease-layout".to_string()),
            "{extra:?}: {ids:?}"
        );
    }
    // A severity in the config names the rule too.
    std::fs::write(
        flux.path().join(".gitops-lint.yaml"),
        "rules: {helmrelease-layout: error}\n",
    )
    .unwrap();
    assert!(rule_ids(&check(flux.path(), &[])).contains(&"helmrelease-layout".to_string()));
    // The platform's settings make it the platform, `profile: flux` undoes that.
    std::fs::write(
        flux.path().join(".gitops-lint.yaml"),
        "registries: {allowed: [myacr.azurecr.io]}\n",
    )
    .unwrap();
    assert!(rule_ids(&check(flux.path(), &[])).contains(&"helmrelease-layout".to_string()));
    std::fs::write(
        flux.path().join(".gitops-lint.yaml"),
        "registries: {allowed: [myacr.azurecr.io]}\nprofile: flux\n",
    )
    .unwrap();
    assert!(!rule_ids(&check(flux.path(), &[])).contains(&"helmrelease-layout".to_string()));

    // The layout: `clusters/<env>/systems/`.
    let platform = repo(&[
        (".git/HEAD", "x\n"),
        ("apps/web.yaml", RELEASE),
        ("clusters/dev/systems/README.yaml", "a: 1\n"),
    ]);
    assert!(rule_ids(&check(platform.path(), &[])).contains(&"helmrelease-layout".to_string()));
    assert!(!rule_ids(&check(platform.path(), &["--profile", "flux"]))
        .contains(&"helmrelease-layout".to_string()));

    // `rules` says which run here, and why.
    let out = run_in(flux.path(), &["rules"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("profile here: flux (set by `profile:` in the config)"),
        "{text}"
    );
    assert!(
        text.contains("not run here, a platform convention, and this is not the platform: env-consistency, env-parity, helmrelease-layout"),
        "{text}"
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("prune-enabled "))
        .unwrap();
    assert!(line.contains(" yes "), "{line}");
    let out = run_in(platform.path(), &["rules"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("profile here: platform (the repository is laid out as the platform (clusters/dev/systems/))"),
        "{text}"
    );
    assert!(!text.contains("not run here"), "{text}");
}

/// Each finding says "see `gitops-lint explain …`" once, whatever help its
/// rule writes (`private-registry` and `pattern-b-values` once said it twice).
#[test]
fn each_finding_points_to_explain_once() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/platform");
    let out = run_in(
        &repo,
        &["check", "--select", "private-registry,pattern-b-values"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // Each finding starts with its rule's id on a line of its own; the help
    // may wrap, so the pointer is counted up to the rule's name.
    let ids = [
        "private-registry",
        "pattern-b-values",
        "invalid-suppression",
    ];
    let findings = text.lines().filter(|l| ids.contains(&l.trim())).count();
    let pointers = text.matches("see `gitops-lint explain").count();
    assert!(findings >= 2, "the fixture has findings\n{text}");
    assert_eq!(pointers, findings, "{text}");
}

/// `--format` repeatable: every report from one run, each to its place,
/// the exit code decided once.
#[test]
fn several_reports_from_one_run() {
    let dir = repo(&[("cm.yaml", DUPLICATE), ("v.yaml", TRUTHY)]);
    let out = run_in(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "--format",
            "sarif=out.sarif",
            "--format",
            "junit=out.xml",
            ".",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let findings = json(&out)["findings"].as_array().unwrap().len();
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out.sarif")).unwrap()).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        findings
    );
    let junit = std::fs::read_to_string(dir.path().join("out.xml")).unwrap();
    assert!(junit.contains("<failure"), "{junit}");

    // `--output` takes the one report without a file of its own.
    let out = run_in(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "--output",
            "r.json",
            "--format",
            "github=gh.txt",
            ".",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(std::fs::read_to_string(dir.path().join("gh.txt"))
        .unwrap()
        .contains("::error"));
    assert!(std::fs::read_to_string(dir.path().join("r.json"))
        .unwrap()
        .contains("\"findings\""));

    // Two reports cannot share stdout.
    let out = run_in(
        dir.path(),
        &["check", "--format", "json", "--format", "sarif", "."],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only one report can go to stdout"));
}

/// `--exit-zero`: the findings are reported, the exit code is 0; a run
/// that fails is still 2.
#[test]
fn exit_zero_reports_and_succeeds() {
    let dir = repo(&[("cm.yaml", DUPLICATE)]);
    let out = run_in(
        dir.path(),
        &["check", "--format", "json", "--exit-zero", "."],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["summary"]["errors"], 1);
    let out = run_in(dir.path(), &["check", "--exit-zero", "no-such-dir"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn concise_lines_are_relative_to_where_the_user_stands() {
    let dir = repo(&[
        (".git/HEAD", "ref: refs/heads/main\n"),
        ("clusters/dev/a.yaml", DUPLICATE),
        ("apps/v.yaml", TRUTHY),
    ]);
    let at_root = run_in(dir.path(), &["check", "--format", "concise"]);
    let text = String::from_utf8_lossy(&at_root.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "apps/v.yaml:1:10: warning[yaml-truthy] `yes` is the boolean true to Kubernetes (YAML 1.1) but a string to YAML 1.2 readers; write `true`, or quote it if you mean the string",
            "clusters/dev/a.yaml:8:3: error[yaml-duplicate-key] duplicate key `a` (first defined at line 7); Kubernetes keeps the last value, other tools the first",
        ],
        "{text}"
    );
    assert!(
        lines[2].starts_with("Found 1 error, 1 warning, 0 infos in 2 files"),
        "{text}"
    );
    assert_eq!(at_root.status.code(), Some(1));

    // From a subdirectory, the paths people click work from there; JSON
    // written at the same time keeps them relative to the root.
    let inside = dir.path().join("clusters/dev");
    let out = run_in(
        &inside,
        &[
            "check",
            "--format",
            "concise",
            "--format",
            "json=r.json",
            "../..",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("../../apps/v.yaml:1:10: warning[yaml-truthy]"),
        "{text}"
    );
    assert!(
        text.contains("\na.yaml:8:3: error[yaml-duplicate-key]"),
        "{text}"
    );
    let written: Value =
        serde_json::from_slice(&std::fs::read(inside.join("r.json")).unwrap()).unwrap();
    assert_eq!(written["findings"][1]["path"], "clusters/dev/a.yaml");
    let human = run_in(&inside, &["check", "../.."]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("[a.yaml:8:3]"), "{text}");
}

#[test]
fn quiet_statistics_and_color() {
    let dir = repo(&[
        ("a.yaml", DUPLICATE),
        ("v.yaml", TRUTHY),
        ("w.yaml", "other: on\n"),
    ]);
    let quiet = run_in(dir.path(), &["check", "--format", "concise", "-q"]);
    let text = String::from_utf8_lossy(&quiet.stdout);
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(!text.contains("Found"), "{text}");
    assert_eq!(quiet.status.code(), Some(1));
    let clean = repo(&[("a.yaml", "a: 1\n")]);
    let out = run_in(clean.path(), &["check", "--quiet"]);
    assert!(out.stdout.is_empty() && out.status.success());

    let stats = run_in(dir.path(), &["check", "--statistics"]);
    assert_eq!(
        String::from_utf8_lossy(&stats.stdout),
        "2  yaml-truthy         warning [*]\n1  yaml-duplicate-key  error\n"
    );
    assert_eq!(stats.status.code(), Some(1), "the exit code is the run's");
    let stats = json(&run_in(
        dir.path(),
        &["check", "--statistics", "--format", "json"],
    ));
    assert_eq!(stats[0]["rule"], "yaml-truthy");
    assert_eq!(stats[0]["count"], 2);
    let sarif = run_in(dir.path(), &["check", "--statistics", "--format", "sarif"]);
    assert_eq!(sarif.status.code(), Some(2));

    let always = run_in(
        dir.path(),
        &["check", "--format", "concise", "--color", "always"],
    );
    assert!(String::from_utf8_lossy(&always.stdout).contains("\u{1b}[1;31merror\u{1b}[0m"));
    let human = run_in(dir.path(), &["check", "--color", "always"]);
    assert!(human.stdout.contains(&0x1b));
    let json_out = run_in(
        dir.path(),
        &["check", "--color", "always", "--format", "json"],
    );
    assert!(
        !json_out.stdout.contains(&0x1b),
        "machine formats never colour"
    );
    let never = run_in(dir.path(), &["check", "--color", "never"]);
    assert!(!never.stdout.contains(&0x1b));
}

/// Every file under `dir` by relative path, with its bytes.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn lint_rules(dir: &Path, rules: &[&str]) -> gitops_lint::Report {
    gitops_lint::lint(&gitops_lint::Options {
        paths: vec![dir.to_path_buf()],
        selection: gitops_lint::Selection {
            select: rules.iter().map(|r| r.to_string()).collect(),
            ignore: Vec::new(),
            min_severity: Some(gitops_lint::Severity::Info),
        },
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn fix_changes_only_the_fixed_spans_of_every_fixable_rule() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/rules");
    let fixable: Vec<String> = gitops_lint::docs::all()
        .iter()
        .filter(|d| d.fixable)
        .map(|d| d.id.clone())
        .collect();
    assert!(fixable.len() >= 5, "{fixable:?}");
    for id in &fixable {
        let work = tempfile::tempdir().unwrap();
        let dir = work.path().join("repo");
        crate::common::copy_tree(&rules.join(id).join("fires"), &dir);
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        let before = snapshot(&dir);

        // The edits each file should get, computed here from the findings.
        let report = lint_rules(&dir, &[id]);
        let mut edits: std::collections::BTreeMap<String, Vec<(usize, usize, String)>> =
            Default::default();
        for f in report.findings.iter().filter(|f| f.suppressed.is_none()) {
            if let Some(fix) = &f.fix {
                let e = (
                    fix.span.start.offset,
                    fix.span.end.offset,
                    fix.replacement.clone(),
                );
                let file = edits.entry(f.path.clone()).or_default();
                if !file.contains(&e) {
                    file.push(e);
                }
            }
        }
        assert!(!edits.is_empty(), "{id}: the fixture has nothing to fix");

        let diff = run_in(&dir, &["check", "--diff", "--unsafe-fixes", "--select", id]);
        assert_eq!(
            diff.status.code(),
            Some(1),
            "{id}: --diff with fixes exits 1"
        );
        let diff_text = String::from_utf8_lossy(&diff.stdout);
        for path in edits.keys() {
            assert!(
                diff_text.contains(&format!("--- {path}\n+++ {path}\n")),
                "{id}:\n{diff_text}"
            );
        }
        assert_eq!(snapshot(&dir), before, "{id}: --diff changes nothing");

        let fixed = run_in(&dir, &["check", "--fix", "--unsafe-fixes", "--select", id]);
        assert!(
            String::from_utf8_lossy(&fixed.stderr).contains("fixed "),
            "{id}: {}",
            String::from_utf8_lossy(&fixed.stderr)
        );
        let after = snapshot(&dir);
        let mut fixed_at: Vec<(String, usize)> = Vec::new();
        for (path, bytes) in &before {
            let Some(file_edits) = edits.get_mut(path) else {
                assert_eq!(&after[path], bytes, "{id}: {path} has no fix but changed");
                continue;
            };
            file_edits.sort();
            // Every byte outside the fixed spans is the same.
            let mut expected = Vec::new();
            let mut at = 0;
            for (start, end, replacement) in file_edits.iter() {
                expected.extend_from_slice(&bytes[at..*start]);
                fixed_at.push((path.clone(), expected.len()));
                expected.extend_from_slice(replacement.as_bytes());
                at = *end;
            }
            expected.extend_from_slice(&bytes[at..]);
            assert_eq!(
                String::from_utf8_lossy(&after[path]),
                String::from_utf8_lossy(&expected),
                "{id}: {path}"
            );
        }

        // The rule reports nothing where it was fixed, and the files parse.
        let again = lint_rules(&dir, &[id, "yaml-syntax"]);
        for f in &again.findings {
            assert!(
                !(f.rule == "yaml-syntax" && edits.contains_key(&f.path)),
                "{id}: {}:{} no longer parses: {}",
                f.path,
                f.span.start.line,
                f.message
            );
            assert!(
                !fixed_at.contains(&(f.path.clone(), f.span.start.offset)),
                "{id}: still reported after --fix at {}:{}: {}",
                f.path,
                f.span.start.line,
                f.message
            );
        }
        // Idempotent: a second --fix changes nothing, and --diff is empty.
        run_in(&dir, &["check", "--fix", "--unsafe-fixes", "--select", id]);
        assert_eq!(snapshot(&dir), after, "{id}: a second --fix changed files");
        let diff = run_in(&dir, &["check", "--diff", "--unsafe-fixes", "--select", id]);
        assert!(
            diff.stdout.is_empty(),
            "{id}: {}",
            String::from_utf8_lossy(&diff.stdout)
        );
        assert_eq!(diff.status.code(), Some(0));
    }
}

#[test]
fn fix_applies_safe_fixes_unless_unsafe_ones_are_asked_for() {
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\n  namespace: apps\n  annotations:\n    # keep this comment\n    example.com/mode: on\ndata:\n  a: 'x'   # and this one\n";
    let values = "replicaCount: 2\nfeature: yes\n";
    let dir = repo(&[
        (".git/HEAD", ""),
        ("apps/cm.yaml", cm),
        ("apps/values.yaml", values),
    ]);
    let out = run_in(dir.path(), &["check", "--fix", "--format", "concise"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("fixed 1 finding in 1 file (1 unsafe fix not applied: add --unsafe-fixes;"),
        "{stderr}"
    );
    let fixed = std::fs::read_to_string(dir.path().join("apps/cm.yaml")).unwrap();
    assert_eq!(fixed, cm.replace("mode: on", "mode: \"on\""));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("apps/values.yaml")).unwrap(),
        values
    );
    // What remains is reported, and decides the exit code.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("apps/values.yaml:2:10: warning[yaml-truthy]"),
        "{text}"
    );
    assert!(!text.contains("cm.yaml"), "{text}");

    let out = run_in(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("apps/values.yaml")).unwrap(),
        "replicaCount: 2\nfeature: \"yes\"\n"
    );
}

#[test]
fn diff_never_shows_a_secret_beside_a_fix() {
    let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: apps\n  annotations:\n    example.com/rotate: on\nstringData:\n  password: hunter2-very-secret\n";
    let dir = repo(&[(".git/HEAD", ""), ("apps/secret.yaml", text)]);
    let out = run_in(dir.path(), &["check", "--diff", "--select", "yaml-truthy"]);
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(diff.contains("+    example.com/rotate: \"on\"\n"), "{diff}");
    assert!(!diff.contains("hunter2"), "{diff}");
    assert!(diff.contains("   password: ***"), "{diff}");
    // The file written is the real one.
    run_in(dir.path(), &["check", "--fix", "--select", "yaml-truthy"]);
    let fixed = std::fs::read_to_string(dir.path().join("apps/secret.yaml")).unwrap();
    assert_eq!(fixed, text.replace("rotate: on", "rotate: \"on\""));
}

#[test]
fn show_settings_says_where_each_value_came_from() {
    let dir = repo(&[
        (".git/HEAD", ""),
        (
            ".gitops-lint.yaml",
            "registries:\n  allowed: [contosoacr.azurecr.io]\nrules:\n  image-tag-pinned: error\n",
        ),
        ("a.yaml", DUPLICATE),
    ]);
    let out = run_in(
        dir.path(),
        &["check", "--show-settings", "--kubernetes-version", "1.32"],
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let file = std::fs::canonicalize(dir.path())
        .unwrap()
        .join(".gitops-lint.yaml")
        .display()
        .to_string();
    for line in [
        format!("registries: {{\"allowed\":[\"contosoacr.azurecr.io\"],\"environments\":{{}}}}  # {file}:1:1"),
        "kubernetesVersion: \"1.32\"  # --kubernetes-version".to_string(),
        "exclude: []  # default".to_string(),
        format!("rules:\n  image-tag-pinned: {{\"severity\":\"error\"}}  # {file}:4:3"),
        format!("# config file: {file}"),
    ] {
        assert!(text.contains(&line), "no `{line}` in:\n{text}");
    }
    assert!(
        !text.contains("yaml-duplicate-key"),
        "nothing is checked:\n{text}"
    );
}

#[test]
fn a_system_teams_run_uses_the_platforms_config_under_its_own() {
    let work = repo(&[
        ("platform/.git/HEAD", ""),
        (
            "platform/.gitops-lint.yaml",
            "registries:\n  allowed: [contosoacr.azurecr.io]\nrules:\n  image-tag-pinned: off\n  yaml-truthy: error\nsystemRepos:\n  elsewhere: ../../not-here\n",
        ),
        ("platform/clusters/dev/systems/.keep.yaml", "{}\n"),
        ("k8s-shop/.git/HEAD", ""),
        ("k8s-shop/.gitops-lint.yaml", "rules:\n  yaml-truthy: warning\n"),
        (
            "k8s-shop/deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\n  namespace: shop\n  labels: {on-call: yes}\nspec:\n  selector: {matchLabels: {app: shop}}\n  template:\n    metadata: {labels: {app: shop}}\n    spec:\n      containers:\n        - name: shop\n          image: docker.io/library/nginx:latest\n",
        ),
    ]);
    let shop = work.path().join("k8s-shop");
    let out = run_in(
        &shop,
        &[
            "check",
            "--platform-repo",
            "../platform",
            "--format",
            "json",
            "deploy.yaml",
        ],
    );
    let report = json(&out);
    let rules: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    // The platform's registries hold here; its `rules:` too, except where
    // the system repository's own file says otherwise.
    assert!(rules.contains(&("private-registry", "error")), "{rules:?}");
    assert!(rules.contains(&("yaml-truthy", "warning")), "{rules:?}");
    assert!(
        !rules.iter().any(|(r, _)| *r == "image-tag-pinned"),
        "{rules:?}"
    );

    let settings = run_in(
        &shop,
        &["check", "--platform-repo", "../platform", "--show-settings"],
    );
    let text = String::from_utf8_lossy(&settings.stdout);
    let platform = std::fs::canonicalize(work.path().join("platform")).unwrap();
    let platform_file = platform.join(".gitops-lint.yaml").display().to_string();
    assert!(
        text.contains(&format!("  # {platform_file}:1:1\n")),
        "{text}"
    );
    assert!(text.contains("platformRepo: "), "{text}");
    assert!(
        text.contains("  yaml-truthy: {\"severity\":\"warning\"}  # "),
        "{text}"
    );
    assert!(
        text.contains("systemRepos: {}  # default"),
        "the platform's checkouts are its own:\n{text}"
    );
}

#[test]
fn completions_complete_subcommand_options_in_bash() {
    let script = run_in(Path::new("."), &["completions", "bash"]);
    assert!(script.status.success());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gitops-lint.bash");
    std::fs::write(&file, &script.stdout).unwrap();
    // As bash calls a completion function: the command, the word, the one
    // before it.
    let complete = |words: &[&str]| -> String {
        let cword = words.len() - 1;
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let program = format!(
            "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _gitops__lint gitops-lint '{}' '{}'; echo \"${{COMPREPLY[*]}}\"",
            file.display(),
            quoted.join(" "),
            words[cword],
            words[cword - 1],
        );
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-c", &program])
            .output()
            .expect("bash");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(complete(&["gitops-lint", "ex"]), "explain");
    assert_eq!(complete(&["gitops-lint", "check", "--for"]), "--format");
    assert_eq!(
        complete(&["gitops-lint", "check", "--color", ""]),
        "auto always never"
    );
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = run_in(Path::new("."), &["completions", shell]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("unsafe-fixes"),
            "{shell}:\n{text}"
        );
    }
    assert_eq!(
        run_in(Path::new("."), &["completions", "tcsh"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn config_schema_is_printed_and_committed() {
    let out = run_in(Path::new("."), &["config-schema"]);
    assert!(out.status.success());
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["title"], ".gitops-lint.yaml");
    assert!(schema["properties"]["rules"]["properties"]["prune-enabled"].is_object());
}

/// Runs gitops-lint in `dir` with `input` on stdin.
fn run_with_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = bin()
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run gitops-lint");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn stdin_stands_for_the_file_named() {
    // The repository on disk holds the ConfigMap the buffer refers to, and
    // an old version of the buffer's file with another mistake.
    let dir = repo(&[
        (".git/HEAD", ""),
        (
            "apps/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: apps}\n",
        ),
        ("apps/flags.yaml", DUPLICATE),
    ]);
    let buffer = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\n  namespace: apps\n  annotations: {example.com/on: yes}\n";
    let out = run_with_stdin(
        dir.path(),
        &[
            "check",
            "-",
            "--stdin-filename",
            "apps/flags.yaml",
            "--format",
            "concise",
        ],
        buffer,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("apps/flags.yaml:6:33: warning[yaml-truthy]"),
        "{text}"
    );
    assert!(
        !text.contains("yaml-duplicate-key"),
        "the file on disk is not read:\n{text}"
    );
    assert!(text.contains("in 1 file"), "{text}");

    // An unsaved buffer: the file need not exist; from a subdirectory.
    let out = run_with_stdin(
        &dir.path().join("apps"),
        &[
            "check",
            "-",
            "--stdin-filename",
            "new.yaml",
            "--format",
            "json",
        ],
        "a: 1\na: 2\n",
    );
    let report = json(&out);
    assert_eq!(report["findings"][0]["path"], "apps/new.yaml");
    assert_eq!(report["findings"][0]["rule"], "yaml-duplicate-key");
    assert_eq!(out.status.code(), Some(1));

    // --fix: the fixed text on stdout, nothing written.
    let out = run_with_stdin(
        dir.path(),
        &["check", "-", "--stdin-filename", "apps/flags.yaml", "--fix"],
        buffer,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        buffer.replace("on: yes", "on: \"yes\"")
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("apps/flags.yaml")).unwrap(),
        DUPLICATE
    );

    // Without a name: stdin.yaml here. With other paths: refused.
    let out = run_with_stdin(
        dir.path(),
        &["check", "-", "--format", "concise"],
        "a: 1\na: 2\n",
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("stdin.yaml:2:1:"));
    let out = run_with_stdin(dir.path(), &["check", "-", "apps"], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_bundled_example_has_its_planted_mistakes() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let out = run_in(&examples.join("platform"), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let found: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        (
            "schema",
            "../k8s-billing/environments/dev/flux/namespace.yaml",
            7,
        ),
        (
            "yaml-truthy",
            "../k8s-billing/environments/dev/flux/namespace.yaml",
            7,
        ),
        (
            "private-registry",
            "../k8s-shop/environments/dev/values.yaml",
            4,
        ),
        ("prune-enabled", "clusters/dev/systems/shop.yaml", 23),
        ("no-scp-ssh-url", "clusters/prod/systems/shop.yaml", 10),
    ]
    .map(|(r, p, l)| (r.to_string(), p.to_string(), l));
    assert_eq!(found, expected);
    assert!(
        report["notices"].as_array().is_none_or(|n| n.is_empty()),
        "{report}"
    );

    // Fixed, the fixable ones are gone and the rest stay.
    let work = tempfile::tempdir().unwrap();
    crate::common::copy_tree(&examples, work.path());
    let fixed = run_in(
        &work.path().join("platform"),
        &[
            "check",
            "--fix",
            "--unsafe-fixes",
            "--format",
            "concise",
            "-q",
        ],
    );
    let text = String::from_utf8_lossy(&fixed.stdout);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("error[private-registry]"), "{text}");
}

fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn rules_and_paths(out: &Output) -> Vec<(String, String)> {
    json(out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn changed_since_reports_what_a_deletion_or_an_uncommitted_system_change_causes() {
    let work = tempfile::tempdir().unwrap();
    crate::common::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"),
        work.path(),
    );
    let platform = work.path().join("platform");
    // An experimental environment registering both systems.
    let config = std::fs::read_to_string(platform.join(".gitops-lint.yaml"))
        .unwrap()
        .replace(
            "  dev: {branch: dev}",
            "  experimental: {branch: experimental}\n  dev: {branch: dev}",
        )
        .replace(
            "promotion: [dev, prod]",
            "promotion: [experimental, dev, prod]",
        );
    std::fs::write(platform.join(".gitops-lint.yaml"), config).unwrap();
    let experimental = platform.join("clusters/experimental/systems");
    std::fs::create_dir_all(&experimental).unwrap();
    for system in ["shop", "billing"] {
        let dev =
            std::fs::read_to_string(platform.join(format!("clusters/dev/systems/{system}.yaml")))
                .unwrap();
        std::fs::write(
            experimental.join(format!("{system}.yaml")),
            dev.replace("dev", "experimental"),
        )
        .unwrap();
    }
    for repo in ["platform", "k8s-shop", "k8s-billing"] {
        let dir = work.path().join(repo);
        git_in(&dir, &["init", "-q", "-b", "main"]);
        git_in(&dir, &["add", "-A"]);
        git_in(&dir, &["commit", "-qm", "init"]);
    }
    let base = git_in(&platform, &["rev-parse", "HEAD"]);
    let check = || {
        run_in(
            &platform,
            &[
                "check",
                "--format",
                "json",
                "--select",
                "env-parity,private-registry",
                "--changed-since",
                &base,
            ],
        )
    };
    assert_eq!(rules_and_paths(&check()), [], "nothing changed");

    // Removing a registration: the ones it leaves alone are reported.
    git_in(
        &platform,
        &["rm", "-q", "clusters/experimental/systems/billing.yaml"],
    );
    assert_eq!(
        rules_and_paths(&check()),
        [
            (
                "env-parity".to_string(),
                "clusters/dev/systems/billing.yaml".to_string()
            ),
            (
                "env-parity".to_string(),
                "clusters/prod/systems/billing.yaml".to_string()
            ),
        ]
    );

    // A system repository that does not know the platform's revision:
    // what is not committed there counts.
    let values = work.path().join("k8s-shop/environments/prod/values.yaml");
    std::fs::write(
        &values,
        "replicaCount: 3\nimage:\n  repository: docker.io/library/nginx\n  tag: \"1.27\"\n",
    )
    .unwrap();
    let found = rules_and_paths(&check());
    assert!(
        found.contains(&(
            "private-registry".to_string(),
            "../k8s-shop/environments/prod/values.yaml".to_string()
        )),
        "{found:?}"
    );
    // The unchanged dev values keep their finding out of the report.
    assert!(
        !found.iter().any(|(_, p)| p.ends_with("dev/values.yaml")),
        "{found:?}"
    );
}

/// Deleting the file that defines an object makes every reference to it
/// dangle, in files the change did not touch: `--changed-since` reports
/// them (a deletion may cause any finding about something missing).
#[test]
fn changed_since_reports_references_a_deletion_leaves_dangling() {
    let work = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/rules/dangling-ref/passes");
    crate::common::copy_tree(&fixture, work.path());
    let dir = work.path();
    let both = std::fs::read_to_string(dir.join("clusters/dev/apps.yaml")).unwrap();
    let (infra, apps) = both.split_once("---\n").unwrap();
    std::fs::write(dir.join("clusters/dev/infra.yaml"), infra).unwrap();
    std::fs::write(dir.join("clusters/dev/apps.yaml"), apps).unwrap();
    // A reference that already dangles, and a file that defines nothing
    // anything references.
    let ghost = apps
        .replace("name: apps", "name: extra")
        .replace("name: infra", "name: ghost");
    std::fs::write(dir.join("clusters/dev/extra.yaml"), ghost).unwrap();
    std::fs::write(
        dir.join("apps/unused.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unused\n",
    )
    .unwrap();
    git_in(dir, &["init", "-q", "-b", "main"]);
    git_in(dir, &["add", "-A"]);
    git_in(dir, &["commit", "-qm", "init"]);
    let check = || {
        let args = [
            "check",
            "--format",
            "json",
            "--select",
            "dangling-ref",
            "--changed-since",
            "HEAD",
        ];
        rules_and_paths(&run_in(dir, &args))
    };
    assert_eq!(check(), [], "nothing changed");
    let all = rules_and_paths(&run_in(
        dir,
        &["check", "--format", "json", "--select", "dangling-ref"],
    ));
    let extra = (
        "dangling-ref".to_string(),
        "clusters/dev/extra.yaml".to_string(),
    );
    assert!(all.contains(&extra), "{all:?}");
    // Deleting a file no reference needs: the old dangling reference is
    // not the change's doing.
    git_in(dir, &["rm", "-q", "apps/unused.yaml"]);
    assert_eq!(check(), []);
    // Deleting `infra`: the untouched apps.yaml now depends on nothing.
    git_in(dir, &["rm", "-q", "clusters/dev/infra.yaml"]);
    assert_eq!(
        check(),
        [(
            "dangling-ref".to_string(),
            "clusters/dev/apps.yaml".to_string()
        )]
    );
}

/// Deleting a file a kustomization lists makes the untouched
/// kustomization fail: `--changed-since` reports it; an old gap elsewhere
/// stays out.
#[test]
fn changed_since_reports_resources_a_deletion_leaves_missing() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let kustomization = |resources: &str| {
        format!("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n{resources}")
    };
    let files = [
        ("apps/kustomization.yaml", kustomization("  - cm.yaml\n")),
        (
            "apps/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n".to_string(),
        ),
        ("old/kustomization.yaml", kustomization("  - ghost.yaml\n")),
        ("notes/readme.yaml", "note: unrelated\n".to_string()),
    ];
    for (path, text) in &files {
        std::fs::create_dir_all(dir.join(path).parent().unwrap()).unwrap();
        std::fs::write(dir.join(path), text).unwrap();
    }
    git_in(dir, &["init", "-q", "-b", "main"]);
    git_in(dir, &["add", "-A"]);
    git_in(dir, &["commit", "-qm", "init"]);
    let check = |since: bool| {
        let mut args = vec!["check", "--format", "json", "--select", "missing-path"];
        if since {
            args.extend(["--changed-since", "HEAD"]);
        }
        rules_and_paths(&run_in(dir, &args))
    };
    let old = (
        "missing-path".to_string(),
        "old/kustomization.yaml".to_string(),
    );
    assert_eq!(check(false), [old]);
    assert_eq!(check(true), [], "nothing changed");
    git_in(dir, &["rm", "-q", "notes/readme.yaml"]);
    assert_eq!(check(true), [], "an unrelated deletion");
    git_in(dir, &["rm", "-q", "apps/cm.yaml"]);
    assert_eq!(
        check(true),
        [(
            "missing-path".to_string(),
            "apps/kustomization.yaml".to_string()
        )]
    );
}

#[test]
fn the_man_page_generates_and_renders() {
    let out = run_in(Path::new("."), &["man"]);
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains(".TH gitops-lint 1"), "{page}");
    for needle in ["GITOPS-LINT CHECK", "unsafe\\-fixes", "GITOPS-LINT EXPLAIN"] {
        assert!(page.contains(needle), "no {needle} in the page");
    }
    // Rendered as man renders it, where groff is installed.
    let Ok(rendered) = Command::new("nroff")
        .args(["-man", "-Tutf8"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(&out.stdout)?;
            child.wait_with_output()
        })
    else {
        eprintln!("skipped rendering: nroff is absent");
        return;
    };
    let text = String::from_utf8_lossy(&rendered.stdout);
    assert!(rendered.status.success());
    assert!(text.contains("--stdin-filename"), "{text}");
}
