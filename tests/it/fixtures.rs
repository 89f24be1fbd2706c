//! The fixture repositories in `testdata/` carry a trailing comment
//! `# expect: <rule-id>[, <rule-id>…]` on every line where a finding must
//! start (see testdata/README.md). This test runs the real binary on them and
//! asserts, for every implemented rule, that findings and markers agree
//! exactly: each marked line gets its rules, and nothing else fires.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use serde_json::Value;

type Key = (String, u64, String);

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// Every `# expect:` marker under `dir`: (path relative to testdata, line, rule).
fn markers(dir: &Path) -> BTreeSet<Key> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // Chart templates are never read by the linter.
                if path.file_name().unwrap() != "templates" {
                    stack.push(path);
                }
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let rel = path
                .strip_prefix(testdata())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            for (i, line) in text.lines().enumerate() {
                if let Some((_, rules)) = line.split_once("# expect:") {
                    for rule in rules.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                        out.insert((rel.clone(), i as u64 + 1, rule.to_string()));
                    }
                }
            }
        }
    }
    out
}

/// Lexically normalises `a/b/../c` to `a/c`.
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Runs `check` on a fixture directory; findings as (testdata path, line, rule).
fn findings(dir: &str, extra: &[&str]) -> (BTreeSet<Key>, Value) {
    let root = testdata().join(dir);
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-lint"))
        .arg("check")
        .arg(&root)
        .args(["--format", "json", "--severity", "info"])
        .args(extra)
        .output()
        .expect("run gitops-lint");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let set = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = normalise(&Path::new(dir).join(f["path"].as_str().unwrap()));
            (
                path.to_string_lossy().replace('\\', "/"),
                f["line"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (set, json)
}

fn implemented() -> BTreeSet<String> {
    gitops_lint::internals::rules::RULES
        .iter()
        .map(|r| r.id().to_string())
        .chain(
            gitops_lint::internals::rules::ENGINE_RULES
                .iter()
                .map(|s| s.to_string()),
        )
        .collect()
}

fn compare(expected: &BTreeSet<Key>, actual: &BTreeSet<Key>) {
    let rules = implemented();
    let expected: BTreeSet<&Key> = expected.iter().filter(|k| rules.contains(&k.2)).collect();
    let actual: BTreeSet<&Key> = actual.iter().collect();
    let missing: Vec<_> = expected.difference(&actual).collect();
    let unexpected: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "missing findings (marked but not reported): {missing:#?}\nunexpected findings (reported but not marked): {unexpected:#?}"
    );
}

#[test]
fn platform_run_matches_the_markers() {
    let mut expected = markers(&testdata().join("platform"));
    expected.extend(markers(&testdata().join("systems")));
    let (actual, _) = findings("platform", &[]);
    compare(&expected, &actual);
}

#[test]
fn bad_input_run_matches_the_markers() {
    let mut expected = markers(&testdata().join("bad-input"));
    // A binary file cannot carry a comment: its finding is at the first NUL.
    let binary = std::fs::read(testdata().join("bad-input/binary.yaml")).unwrap();
    let nul = binary.iter().position(|b| *b == 0).unwrap();
    let line = binary[..nul].iter().filter(|b| **b == b'\n').count() as u64 + 1;
    expected.insert(("bad-input/binary.yaml".into(), line, "yaml-syntax".into()));
    let (actual, _) = findings("bad-input", &[]);
    compare(&expected, &actual);
}

#[test]
fn every_rule_has_a_planted_violation() {
    let mut all = markers(&testdata().join("platform"));
    all.extend(markers(&testdata().join("systems")));
    all.extend(markers(&testdata().join("bad-input")));
    let marked: BTreeSet<&str> = all.iter().map(|k| k.2.as_str()).collect();
    for rule in implemented() {
        assert!(
            marked.contains(rule.as_str()),
            "no fixture violation of `{rule}`"
        );
    }
}

#[test]
fn output_is_byte_identical_across_runs() {
    let strip = |mut v: Value| {
        v["summary"]["elapsed_ms"] = Value::Null;
        v.to_string()
    };
    let (_, a) = findings("platform", &[]);
    let (_, b) = findings("platform", &["-j", "1"]);
    assert_eq!(strip(a), strip(b));
}

/// A system team's run: `k8s-orders` checked on its own, with the platform
/// repository as context (its `.gitops-lint.yaml` names `platformRepo`).
/// It reports what its own files and the registrations of `orders` show.
#[test]
fn system_repo_run_matches_the_markers() {
    let mut expected = markers(&testdata().join("systems/k8s-orders"));
    for env in ["experimental", "dev", "prod"] {
        let registration = testdata().join(format!("platform/clusters/{env}/systems/orders.yaml"));
        let text = std::fs::read_to_string(&registration).unwrap();
        for (i, line) in text.lines().enumerate() {
            if let Some((_, rules)) = line.split_once("# expect:") {
                for rule in rules.split(',').map(str::trim) {
                    // Without the other system repositories the dev
                    // `dependsOn` may name an object one of them defines:
                    // `dangling-ref` stays silent rather than guess.
                    if rule != "dangling-ref" {
                        let rel = format!("platform/clusters/{env}/systems/orders.yaml");
                        expected.insert((rel, i as u64 + 1, rule.to_string()));
                    }
                }
            }
        }
    }
    let (actual, _) = findings("systems/k8s-orders", &[]);
    compare(&expected, &actual);
}

/// Every finding of the platform run, with its full span, severity and
/// message: a change in wording or position is a reviewed snapshot diff.
#[test]
fn platform_run_snapshot() {
    let (_, json) = findings("platform", &[]);
    let lines: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{}-{}:{} {} [{}] {}",
                f["path"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["end_line"],
                f["end_column"],
                f["severity"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

/// The JSON format is described by `docs/report.schema.json`: real runs
/// (one with notices, fixes and objects, one of broken files, one of a
/// system repository) validate against it, and a document that breaks the
/// contract does not.
#[test]
fn json_output_matches_its_schema() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    for dir in ["platform", "bad-input", "systems/k8s-orders"] {
        let (_, json) = findings(dir, &[]);
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{dir}: {errors:#?}");
    }
    let (_, mut json) = findings("platform", &[]);
    assert!(
        json["summary"]["notices"].is_array(),
        "the platform run says what it skipped"
    );
    json["findings"][0]["line"] = Value::from(0);
    assert!(
        !validator.is_valid(&json),
        "a line 0 is outside the contract"
    );
}
