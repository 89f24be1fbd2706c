//! `check --show-settings`: the settings a run would use, resolved, with
//! where each came from (a default, a config file's line, an option),
//! written as YAML a config file could hold. Nothing is checked.

use std::process::ExitCode;

use gitops_lint::{plan, Options};

use super::fail;

pub fn show(opts: &Options) -> ExitCode {
    let plan = match plan(opts) {
        Ok(plan) => plan,
        Err(e) => return fail(&e.to_string()),
    };
    print!("{}", render(opts, &plan));
    ExitCode::SUCCESS
}

fn render(opts: &Options, plan: &gitops_lint::Plan) -> String {
    let config = &plan.config;
    let mut out = format!(
        "# gitops-lint {}: the settings of `check` here (nothing was checked)\n",
        env!("CARGO_PKG_VERSION")
    );
    out.push_str(&format!("# repository root: {}\n", plan.root.display()));
    let file = config
        .source
        .as_ref()
        .map_or("none (defaults)".to_string(), |p| p.display().to_string());
    out.push_str(&format!("# config file: {file}\n"));
    out.push_str(&format!(
        "# profile: {}: {}\n",
        plan.profile.profile.name(),
        plan.profile.why
    ));
    let mut rules_header = false;
    for (key, value) in config.settings() {
        let origin = config.origins.get(&key).map_or("default", String::as_str);
        let value = serde_json::to_string(&value).expect("settings serialize");
        match key.strip_prefix("rules.") {
            Some(id) => {
                if !rules_header {
                    out.push_str("rules:\n");
                    rules_header = true;
                }
                out.push_str(&format!("  {id}: {value}  # {origin}\n"));
            }
            None => out.push_str(&format!("{key}: {value}  # {origin}\n")),
        }
    }
    if !rules_header {
        out.push_str("rules: {}  # default: every rule at its documented severity\n");
    }
    let selection = &opts.selection;
    if !selection.select.is_empty() {
        out.push_str(&format!("# --select {}\n", selection.select.join(",")));
    }
    if !selection.ignore.is_empty() {
        out.push_str(&format!("# --ignore {}\n", selection.ignore.join(",")));
    }
    if let Some(s) = selection.min_severity {
        out.push_str(&format!("# --severity {s}\n"));
    }
    let mut not_run: Vec<&str> = plan
        .rules
        .iter()
        .filter(|(_, runs)| runs.is_err())
        .map(|(id, _)| *id)
        .collect();
    not_run.dedup();
    if !not_run.is_empty() {
        out.push_str(&format!(
            "# rules that do not run here: {} (see `gitops-lint rules`)\n",
            not_run.join(", ")
        ));
    }
    out
}
