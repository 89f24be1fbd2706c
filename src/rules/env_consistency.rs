//! `env-consistency`: what a file deploys must belong to the environment it
//! is deployed to.
//!
//! In one file: under `clusters/<env>/`, a GitRepository `ref.branch` (or
//! `ref.name: refs/heads/…`) that is another environment's branch, or a
//! Kustomization `spec.path` into another environment's `environments/` or
//! `clusters/` directory. (A FluxInstance's sync is `flux-instance`'s.)
//!
//! Across files: a system repository path reached from `clusters/<env>`
//! (a nested Kustomization path, a kustomize resource, a HelmRelease
//! `valuesFiles` entry) that lies under another environment's
//! `environments/<other>/`; and `valuesFiles` mixing environments.

use crate::check::{DocContext, Rule, RunContext};
use crate::finding::{Findings, Fix};
use crate::index::env_of_path;
use crate::objects::{KUSTOMIZE_GROUP, SOURCE_GROUP};
use crate::resolve::{join_rel, report_issues};

pub(crate) static RULE: &dyn Rule = &EnvConsistency;

struct EnvConsistency;

const ID: &str = "env-consistency";

impl Rule for EnvConsistency {
    fn id(&self) -> &'static str {
        ID
    }

    fn check_document(&self, cx: &DocContext<'_>, out: &mut Findings) {
        let Some(meta) = cx.object else { return };
        let rel = cx.file.file.file.rel.as_str();
        if !rel.starts_with("clusters/") {
            return;
        }
        let config = cx.config();
        let Some(env) = env_of_path(config, rel) else {
            return;
        };
        let Some(spec) = cx.root().get("spec") else {
            return;
        };
        let own_branch = config.environment(env).map(|e| e.branch.as_str());
        if meta.is(SOURCE_GROUP, "GitRepository") {
            for (field, node) in [("ref.branch", spec.path(&["ref", "branch"])), ("ref.name", spec.path(&["ref", "name"]))] {
                let Some(node) = node else { continue };
                let Some(value) = node.as_str() else { continue };
                let branch = value.strip_prefix("refs/heads/").unwrap_or(value);
                if field == "ref.name" && branch == value {
                    continue; // a tag or other ref, not a branch
                }
                let Some(other) = config.environment_of_branch(branch) else {
                    continue;
                };
                if other == env {
                    continue;
                }
                let own = own_branch.unwrap_or(env);
                let mut f = cx
                    .finding(
                        ID,
                        node.span(),
                        format!(
                            "{} under `clusters/{env}` tracks branch `{branch}` (environment `{other}`) in `spec.{field}`; {env} tracks `{own}`",
                            meta.display_name()
                        ),
                    )
                    .with_help(format!("set `spec.{field}: {}`", if field == "ref.name" { format!("refs/heads/{own}") } else { own.to_string() }));
                if let Some(own) = own_branch {
                    let replacement = if field == "ref.name" { format!("refs/heads/{own}") } else { own.to_string() };
                    f = f.with_fix(Fix {
                        description: format!("track `{replacement}`"),
                        span: node.span(),
                        replacement,
                    });
                }
                out.push(f);
            }
        } else if meta.is(KUSTOMIZE_GROUP, "Kustomization") {
            let Some(node) = spec.get("path") else { return };
            let Some(path) = node.as_str() else { return };
            let Some(target) = join_rel("", path) else { return };
            if !(target.starts_with("environments/") || target.starts_with("clusters/")) {
                return;
            }
            let Some(other) = env_of_path(config, &format!("{target}/")) else {
                return;
            };
            if other == env {
                return;
            }
            let top = target.split('/').next().unwrap_or("environments");
            out.push(
                cx.finding(
                    ID,
                    node.span(),
                    format!(
                        "{} under `clusters/{env}` has `spec.path: {path}`, a path of environment `{other}`; use `./{top}/{env}/…`",
                        meta.display_name()
                    ),
                )
                .with_help(format!("point `spec.path` at `./{top}/{env}/…`")),
            );
        }
    }

    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        report_issues(cx.workspace, ID, out);
    }
}
