//! The README is part of the contract: its rule table is generated from
//! `rules/` and its example configuration is one the loader accepts.

use std::path::Path;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

#[test]
fn rule_table_matches_the_rule_docs() {
    let text = readme();
    let start = text
        .find("<!-- rules:start -->\n")
        .expect("rules:start marker")
        + 21;
    let end = text.find("<!-- rules:end -->").expect("rules:end marker");
    assert_eq!(
        &text[start..end],
        gitops_lint::docs::markdown_table(),
        "README rule table is stale: paste `gitops-lint rules --markdown` between the markers"
    );
}

#[test]
fn example_configuration_is_accepted() {
    let text = readme();
    let section = &text[text.find("## Configuration").unwrap()..];
    let start = section.find("```yaml\n").unwrap() + 8;
    let end = start + section[start..].find("```").unwrap();
    let config = gitops_lint::config::parse(
        &section[start..end],
        Path::new("/repo"),
        Path::new(".gitops-lint.yaml"),
        &gitops_lint::docs::Catalog,
    )
    .unwrap_or_else(|e| panic!("README config rejected: {e}"));
    assert_eq!(config.registries.allowed, ["myacr.azurecr.io"]);
    assert_eq!(config.pattern_c.approved, ["cert-manager-crds"]);
}
