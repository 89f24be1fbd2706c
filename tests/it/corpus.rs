//! Runs the linter over real Flux repositories (`../shared/corpus/`) and
//! checks the schema engine raises no false alarm on their valid manifests.

use crate::common;

use std::path::{Path, PathBuf};

use gitops_lint::Selection;
use gitops_lint::{lint, Finding, Options};

fn corpus() -> Option<Vec<PathBuf>> {
    let dir = common::shared("corpus")?;
    let entries = std::fs::read_dir(&dir).ok()?;
    let mut repos: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    repos.sort();
    Some(repos)
}

fn run(repo: &Path, rules: &[&str]) -> Vec<Finding> {
    let opts = Options {
        paths: vec![repo.to_path_buf()],
        selection: Selection {
            select: rules.iter().map(|s| s.to_string()).collect(),
            ..Selection::default()
        },
        jobs: Some(2),
        ..Options::default()
    };
    let report = lint(&opts).unwrap_or_else(|e| panic!("{}: {e}", repo.display()));
    report
        .findings
        .into_iter()
        .filter(|f| f.suppressed.is_none())
        .collect()
}

#[test]
fn corpus_repositories_have_no_schema_or_syntax_findings() {
    let Some(repos) = corpus() else { return };
    assert!(repos.len() >= 3, "{repos:?}");
    for repo in repos {
        let findings = run(&repo, &["schema", "yaml-syntax"]);
        let shown: Vec<String> = findings
            .iter()
            .map(|f| {
                format!(
                    "{}:{}:{} {} {}",
                    f.path, f.span.start.line, f.span.start.col, f.rule, f.message
                )
            })
            .collect();
        assert!(
            shown.is_empty(),
            "{}:\n{}",
            repo.display(),
            shown.join("\n")
        );
    }
}

#[test]
fn corpus_unknown_kinds_and_removed_apis_are_the_expected_ones() {
    let Some(repos) = corpus() else { return };
    let mut seen: Vec<String> = Vec::new();
    for repo in &repos {
        for f in run(repo, &["unknown-kind", "deprecated-api"]) {
            let o = f
                .object
                .as_ref()
                .map(|o| format!("{} {}", o.api_version, o.kind))
                .unwrap_or_default();
            seen.push(format!("{} {o}", f.rule));
        }
    }
    seen.sort();
    seen.dedup();
    // Third-party CRDs the corpus uses without shipping their definitions,
    // and the one OCIRepository still at v1beta2 (removed in Flux 2.8).
    for s in &seen {
        assert!(
            s.starts_with("unknown-kind ")
                && [
                    "kyverno.io/",
                    "cert-manager.io/",
                    "schema.plugin.fluxcd.io/",
                    "gateway.networking.k8s.io/"
                ]
                .iter()
                .any(|g| s.contains(g))
                || s == "deprecated-api source.toolkit.fluxcd.io/v1beta2 OCIRepository",
            "unexpected: {s}\nall: {seen:#?}"
        );
    }
    assert!(
        seen.contains(&"deprecated-api source.toolkit.fluxcd.io/v1beta2 OCIRepository".to_string()),
        "{seen:#?}"
    );
}

/// Every rule, every corpus repository: no error finding at all. These repos
/// are not on Azure and use their own layouts; what remains are warnings
/// that are true for them under our platform's rules — HelmReleases outside
/// `flux-system` (`helmrelease-layout`), no registry configured
/// (`private-registry`, once per run) — and the kinds above.
#[test]
fn corpus_repositories_have_no_error_findings() {
    let Some(repos) = corpus() else { return };
    for repo in repos {
        let all: Vec<&str> = gitops_lint::internals::rules::RULES
            .iter()
            .map(|r| r.id())
            .collect();
        let errors: Vec<String> = run(&repo, &all)
            .iter()
            .filter(|f| f.severity == gitops_lint::Severity::Error)
            .map(|f| format!("{}:{} {} {}", f.path, f.span.start.line, f.rule, f.message))
            .collect();
        assert!(
            errors.is_empty(),
            "{}:\n{}",
            repo.display(),
            errors.join("\n")
        );
        let warnings: Vec<&str> = run(&repo, &all)
            .iter()
            .filter(|f| f.severity == gitops_lint::Severity::Warning)
            .map(|f| f.rule)
            .filter(|r| !["helmrelease-layout", "private-registry", "deprecated-api"].contains(r))
            .collect();
        assert!(warnings.is_empty(), "{}: {warnings:?}", repo.display());
    }
}
