//! `gitops-lint rules` and `gitops-lint explain RULE`: the rule docs.

use std::process::ExitCode;

use gitops_lint::docs;

use super::fail;

pub fn rules(markdown: bool) -> ExitCode {
    if markdown {
        print!("{}", docs::markdown_table());
        return ExitCode::SUCCESS;
    }
    let all = docs::all();
    let width = all.iter().map(|d| d.id.len()).max().unwrap_or(10);
    let mut out = format!(
        "{:<width$}  {:<8}  {:<11}  {:<7}  summary\n",
        "id", "severity", "category", "fixable"
    );
    for d in all {
        out.push_str(&format!(
            "{:<width$}  {:<8}  {:<11}  {:<7}  {}\n",
            d.id,
            d.severity.as_str(),
            d.category,
            if d.fixable { "yes" } else { "no" },
            d.summary
        ));
    }
    print!("{out}");
    ExitCode::SUCCESS
}

pub fn explain(rule: &str) -> ExitCode {
    let Some(d) = docs::doc(rule) else {
        return fail(&docs::unknown_rule(rule));
    };
    println!(
        "{} ({}, {}, {})\n\n{}\n",
        d.id,
        d.severity,
        d.category,
        if d.fixable { "fixable" } else { "not fixable" },
        d.summary
    );
    print!("{}", d.body.trim_start_matches('\n'));
    ExitCode::SUCCESS
}
