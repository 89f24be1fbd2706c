//! Every rule doc is data a test can run: it parses, it belongs to a rule,
//! its Example fires the rule and its Use instead does not.

use gitops_lint::docs::{self, CodeBlock};
use gitops_lint::internals::engine::testing::{run_rules, workspace};
use gitops_lint::internals::engine::Rule;
use gitops_lint::internals::rules::{DOCS, ENGINE_RULES, RULES};

const CONFIG_PATH: &str = ".gitops-lint.yaml";

fn rule(id: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.id() == id)
}

/// Runs one section's blocks as a mini repository; returns the findings'
/// rendering for assertion messages, or an error for a malformed section.
fn run_section(rule: &dyn Rule, blocks: &[CodeBlock]) -> Vec<String> {
    let config = blocks
        .iter()
        .find(|b| b.path.as_deref() == Some(CONFIG_PATH))
        .map_or("", |b| b.code.as_str());
    let files: Vec<(&str, &str)> = blocks
        .iter()
        .filter(|b| b.path.as_deref() != Some(CONFIG_PATH))
        .map(|b| (b.path.as_deref().unwrap_or("example.yaml"), b.code.as_str()))
        .collect();
    let ws = workspace(&files, config);
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
        let Some(rule) = rule(&d.id) else { continue };
        let example = d.code_blocks("Example");
        let use_instead = d.code_blocks("Use instead");
        if example.is_empty() || use_instead.is_empty() {
            failures.push(format!(
                "{}: Example and Use instead need ```yaml blocks",
                d.id
            ));
            continue;
        }
        if run_section(rule, &example).is_empty() {
            failures.push(format!("{}: the Example does not fire the rule", d.id));
        }
        let fixed = run_section(rule, &use_instead);
        if !fixed.is_empty() {
            failures.push(format!("{}: Use instead fires the rule: {fixed:#?}", d.id));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Two implementations may share an id (`schema`: manifests and
    // HelmRelease values); each id has one doc.
    let ids: std::collections::BTreeSet<&str> = RULES.iter().map(|r| r.id()).collect();
    assert!(checked >= ids.len(), "only {checked} docs checked");
}
