//! `gitops-lint rules` and `gitops-lint explain RULE`: the rule docs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use gitops_lint::config::Profile;
use gitops_lint::{docs, plan, Options, Plan};

use super::fail;

#[derive(Args)]
pub struct RulesArgs {
    /// Print a Markdown table (the README's rule table is this output).
    #[arg(long)]
    markdown: bool,
    /// The repository whose rules are shown (default: the current directory).
    path: Option<PathBuf>,
    /// Config file (default: the nearest .gitops-lint.yaml at or above the repository root).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// As `check --profile`.
    #[arg(long, value_parser = super::check::parse_profile, value_name = "platform|flux")]
    profile: Option<Profile>,
}

pub fn rules(args: RulesArgs) -> ExitCode {
    if args.markdown {
        print!("{}", docs::markdown_table());
        return ExitCode::SUCCESS;
    }
    let opts = Options {
        paths: args.path.into_iter().collect(),
        config: args.config,
        profile: args.profile,
        ..Options::default()
    };
    // Which rules run here needs the repository; the list does not.
    let here = match plan(&opts) {
        Ok(plan) => Some(plan),
        Err(e) => {
            eprintln!("gitops-lint: warning: cannot tell which rules run here: {e}");
            None
        }
    };
    print!("{}", table(here.as_ref()));
    ExitCode::SUCCESS
}

fn table(here: Option<&Plan>) -> String {
    let all = docs::all();
    let runs = |id: &str| {
        here.and_then(|p| p.rules.iter().find(|(r, _)| *r == id))
            .map(|(_, r)| *r)
    };
    let width = all.iter().map(|d| d.id.len()).max().unwrap_or(10);
    let mut out = format!(
        "{:<width$}  {:<8}  {:<11}  {:<7}  {:<4}  summary\n",
        "id", "severity", "category", "fixable", "runs"
    );
    for d in all {
        let column = match runs(&d.id) {
            Some(Ok(())) => "yes",
            Some(Err(_)) => "no",
            None => "?",
        };
        out.push_str(&format!(
            "{:<width$}  {:<8}  {:<11}  {:<7}  {:<4}  {}\n",
            d.id,
            d.severity.as_str(),
            d.category,
            if d.fixable { "yes" } else { "no" },
            column,
            d.summary
        ));
    }
    if let Some(plan) = here {
        out.push_str(&format!(
            "\nprofile here: {} ({})\n",
            plan.profile.profile.name(),
            plan.profile.why
        ));
        let mut not_running: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (id, runs) in &plan.rules {
            if let Err(why) = runs {
                not_running.entry(why).or_default().push(id);
            }
        }
        for (why, ids) in not_running {
            out.push_str(&format!("not run here, {why}: {}\n", ids.join(", ")));
        }
        if plan.profile.profile == Profile::Flux {
            out.push_str("a platform convention runs when selected by name (--select, or a severity under `rules:` in the config), or with `profile: platform` / --profile platform\n");
        }
    }
    out
}

pub fn explain(rule: &str) -> ExitCode {
    let Some(d) = docs::doc(rule) else {
        return fail(&docs::unknown_rule(rule));
    };
    let profile = match d.platform {
        true => ", a platform convention: runs on the platform profile or when selected",
        false => "",
    };
    println!(
        "{} ({}, {}, {}{profile})\n\n{}\n",
        d.id,
        d.severity,
        d.category,
        if d.fixable { "fixable" } else { "not fixable" },
        d.summary
    );
    print!("{}", d.body.trim_start_matches('\n'));
    ExitCode::SUCCESS
}
