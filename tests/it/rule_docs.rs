//! Every rule doc is data a test can run: it parses, it belongs to a rule,
//! its Example fires the rule and its Use instead does not.

use gitops_lint::docs::{self, CodeBlock};
use gitops_lint::internals::engine::testing::{run_rules, workspace_at};
use gitops_lint::internals::engine::Rule;
use gitops_lint::internals::rules::{DOCS, ENGINE_RULES, RULES};

const CONFIG_PATH: &str = ".gitops-lint.yaml";

fn rule(id: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.id() == id)
}

/// Every implementation of a rule id (`schema` has two: manifests, and
/// HelmRelease values against a chart's `values.schema.json`).
fn implementations(id: &str) -> Vec<&'static dyn Rule> {
    RULES.iter().copied().filter(|r| r.id() == id).collect()
}

/// Runs one section's blocks as a mini repository on disk (YAML blocks are
/// its files, a JSON block a file the linter reads from disk, such as a
/// chart's `values.schema.json`); returns the findings' rendering.
fn run_section(rule: &dyn Rule, blocks: &[CodeBlock]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    for b in blocks {
        let path = dir.path().join(b.path.as_deref().unwrap_or("example.yaml"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &b.code).unwrap();
    }
    let config = blocks
        .iter()
        .find(|b| b.path.as_deref() == Some(CONFIG_PATH))
        .map_or("", |b| b.code.as_str());
    let files: Vec<(&str, &str)> = blocks
        .iter()
        .map(|b| (b.path.as_deref().unwrap_or("example.yaml"), b.code.as_str()))
        .filter(|(path, _)| *path != CONFIG_PATH && !path.ends_with(".json"))
        .collect();
    let ws = workspace_at(dir.path(), &files, config);
    run_rules(&[rule], &ws)
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{}: {}",
                f.path, f.span.start.line, f.span.start.col, f.message
            )
        })
        .collect()
}

#[test]
fn every_doc_parses() {
    let errors: Vec<String> = DOCS
        .iter()
        .filter_map(|(stem, text)| docs::parse(stem, text).err())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(docs::all().len(), DOCS.len());
}

#[test]
fn every_rule_has_a_doc_and_every_doc_a_rule() {
    for r in RULES {
        assert!(
            docs::doc(r.id()).is_some(),
            "rule `{}` has no rules/{0}.md",
            r.id()
        );
    }
    for d in docs::all() {
        assert!(
            rule(&d.id).is_some() || ENGINE_RULES.contains(&d.id.as_str()),
            "rules/{}.md documents no implemented rule",
            d.id
        );
    }
}

#[test]
fn examples_fire_and_fixed_versions_do_not() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for d in docs::all() {
        if rule(&d.id).is_none() {
            continue;
        }
        let example = d.code_blocks("Example");
        let use_instead = d.code_blocks("Use instead");
        if example.is_empty() || use_instead.is_empty() {
            failures.push(format!(
                "{}: Example and Use instead need ```yaml blocks",
                d.id
            ));
            continue;
        }
        // Each implementation of the id fires on the Example; none on Use
        // instead.
        for (i, rule) in implementations(&d.id).into_iter().enumerate() {
            if run_section(rule, &example).is_empty() {
                failures.push(format!(
                    "{} (implementation {i}): the Example does not fire the rule",
                    d.id
                ));
            }
            let fixed = run_section(rule, &use_instead);
            if !fixed.is_empty() {
                failures.push(format!(
                    "{} (implementation {i}): Use instead fires the rule: {fixed:#?}",
                    d.id
                ));
            }
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Two implementations may share an id (`schema`: manifests and
    // HelmRelease values); each id has one doc.
    let ids: std::collections::BTreeSet<&str> = RULES.iter().map(|r| r.id()).collect();
    assert!(checked >= ids.len(), "only {checked} docs checked");
}
