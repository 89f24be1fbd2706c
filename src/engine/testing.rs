//! Running rules over in-memory repositories, for tests (unit tests in rule
//! files, and the test that runs every rule doc's examples).

use crate::base::finding::Finding;
use std::path::Path;

use crate::workspace::config::{self, Config};
use crate::workspace::Workspace;

use super::{docs::Catalog, run, Rule, RunContext, Selection};

/// Builds a one-repository workspace from `(path, text)` pairs and a config
/// (YAML text, may be empty).
pub fn workspace(files: &[(&str, &str)], config_yaml: &str) -> Workspace {
    workspace_at(Path::new("/repo"), files, config_yaml)
}

/// [`workspace`] rooted at `root`: files that are not YAML may be there on
/// disk.
pub fn workspace_at(root: &Path, files: &[(&str, &str)], config_yaml: &str) -> Workspace {
    let config = if config_yaml.trim().is_empty() {
        Config::default()
    } else {
        config::parse(config_yaml, root, Path::new(config::FILE_NAME), &Catalog)
            .unwrap_or_else(|e| panic!("test config: {e}"))
    };
    Workspace::in_memory_at(root.to_path_buf(), files, config)
}

/// Runs one rule over in-memory files; returns its findings (suppressed
/// ones excluded), sorted.
pub fn run_rule(rule: &dyn Rule, files: &[(&str, &str)], config_yaml: &str) -> Vec<Finding> {
    let ws = workspace(files, config_yaml);
    run_rules(&[rule], &ws)
}

/// Runs rules over a workspace; returns unsuppressed findings of those rules.
pub fn run_rules(rules: &[&dyn Rule], ws: &Workspace) -> Vec<Finding> {
    let cx = RunContext::new(ws);
    let ids: Vec<&str> = rules.iter().map(|r| r.id()).collect();
    run(&cx, rules, &Selection::default())
        .into_iter()
        .filter(|f| f.suppressed.is_none() && ids.contains(&f.rule))
        .collect()
}

/// `(rule, line, column)` of each finding, for compact assertions.
pub fn positions(findings: &[Finding]) -> Vec<(&'static str, u32, u32)> {
    findings
        .iter()
        .map(|f| (f.rule, f.span.start.line, f.span.start.col))
        .collect()
}
