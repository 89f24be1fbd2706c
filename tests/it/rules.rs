//! One fixture per rule: `testdata/rules/<rule-id>/fires/` is a small
//! repository where the rule must fire — exactly on the lines that carry a
//! `# expect: <rule-id>` marker — and `passes/` one where it must stay
//! silent (the fixed version, and look-alikes). The rendered `human` and
//! JSON output of each `fires/` run is an insta snapshot
//! (`tests/snapshots/rules__<rule-id>_{human,json}.snap`), so a change of
//! wording or position is a reviewed diff.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gitops_lint::{
    docs, lint, render, Format, Options, RenderOptions, Report, Selection, Severity,
};

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/rules")
}

/// `(path, line)` of every `# expect: <rule>` marker under `dir`.
fn markers(dir: &Path, rule: &str) -> BTreeSet<(String, u32)> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            for (i, line) in text.lines().enumerate() {
                let Some((_, rules)) = line.split_once("# expect:") else {
                    continue;
                };
                if rules.split(',').map(str::trim).any(|r| r == rule) {
                    out.insert((rel.clone(), i as u32 + 1));
                }
            }
        }
    }
    out
}

/// The rule's findings (of every severity) on a fixture repository.
fn check(dir: &Path, rule: &str) -> Report {
    let opts = Options {
        paths: vec![dir.to_path_buf()],
        selection: Selection {
            select: vec![rule.to_string()],
            ignore: Vec::new(),
            min_severity: Some(Severity::Info),
        },
        ..Options::default()
    };
    let mut report = lint(&opts).unwrap_or_else(|e| panic!("{rule}: {e}"));
    // Snapshots must not depend on the machine's speed.
    report.elapsed = Duration::ZERO;
    report
}

fn found(report: &Report, rule: &str) -> BTreeSet<(String, u32)> {
    report
        .findings
        .iter()
        .filter(|f| f.rule == rule && f.suppressed.is_none())
        .map(|f| (f.path.clone(), f.span.start.line))
        .collect()
}

fn every_rule() -> Vec<String> {
    docs::all().iter().map(|d| d.id.clone()).collect()
}

#[test]
fn every_rule_has_a_fixture_that_fires_and_one_that_passes() {
    let missing: Vec<String> = every_rule()
        .into_iter()
        .flat_map(|id| ["fires", "passes"].map(|k| format!("{id}/{k}")))
        .filter(|p| !rules_dir().join(p).is_dir())
        .collect();
    assert!(
        missing.is_empty(),
        "missing fixtures under testdata/rules: {missing:#?}"
    );
}

#[test]
fn each_rule_fires_exactly_on_its_markers() {
    let mut failures = Vec::new();
    for id in every_rule() {
        let dir = rules_dir().join(&id).join("fires");
        let expected = markers(&dir, &id);
        if expected.is_empty() {
            failures.push(format!("{id}: fires/ has no `# expect: {id}` marker"));
            continue;
        }
        let actual = found(&check(&dir, &id), &id);
        if actual != expected {
            let missing: Vec<_> = expected.difference(&actual).collect();
            let unexpected: Vec<_> = actual.difference(&expected).collect();
            failures.push(format!(
                "{id}: marked but not reported {missing:?}; reported but not marked {unexpected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn each_rule_stays_silent_on_what_passes() {
    let mut failures = Vec::new();
    for id in every_rule() {
        let dir = rules_dir().join(&id).join("passes");
        let actual = found(&check(&dir, &id), &id);
        if !actual.is_empty() {
            failures.push(format!("{id}: {actual:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn rendered_findings_of_each_rule() {
    let opts = RenderOptions::default();
    for id in every_rule() {
        let report = check(&rules_dir().join(&id).join("fires"), &id);
        insta::assert_snapshot!(format!("{id}_human"), render(&report, Format::Human, &opts));
        // The tool's version is not the rule's business.
        let json = render(&report, Format::Json, &opts).replace(
            &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
            "\"version\": \"[version]\"",
        );
        insta::assert_snapshot!(format!("{id}_json"), json);
    }
}
