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

use crate::engine::registry::ids;
use crate::engine::{declare_rule, DocContext, Rule, RunContext};
use crate::base::finding::{Applicability, Findings, Fix};
use crate::workspace::env_of_path;
use crate::model::objects::{KUSTOMIZE_GROUP, SOURCE_GROUP};
use crate::graph::GapKind;

declare_rule!(EnvConsistency, ids::ENV_CONSISTENCY);

impl Rule for EnvConsistency {
    fn check_object(&self, cx: &DocContext<'_>, out: &mut Findings) {
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
                        node,
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
                        applicability: Applicability::Unsafe,
                    });
                }
                out.push(f);
            }
        } else if meta.is(KUSTOMIZE_GROUP, "Kustomization") {
            let Some(node) = spec.get("path") else { return };
            let Some(path) = node.as_str() else { return };
            let Some(target) = crate::base::paths::normalize(path) else { return };
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
                    node,
                    format!(
                        "{} under `clusters/{env}` has `spec.path: {path}`, a path of environment `{other}`; use `./{top}/{env}/…`",
                        meta.display_name()
                    ),
                )
                .with_help(format!("point `spec.path` at `./{top}/{env}/…`")),
            );
        }
    }

    /// The cross-file half, from what the graph recorded while following
    /// registrations.
    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        for gap in &cx.graph().gaps {
            let finding = |message: String| cx.finding_at(ID, gap.file, Some(gap.doc), gap.span, message);
            match &gap.kind {
                GapKind::OtherEnvironment { entry, env, other, target } => out.push(
                    finding(format!("`{entry}` is reached from `clusters/{env}` but belongs to environment `{other}`; use `environments/{env}/…`"))
                        .with_help("a system repository path reached from an environment must be that environment's")
                        .with_related(cx.related_at(target, format!("environment `{other}`"))),
                ),
                GapKind::MixedValuesEnvironments { release, first, second } => out.push(
                    finding(format!("HelmRelease '{release}' mixes values of environments `{first}` and `{second}` in `valuesFiles`"))
                        .with_help("use one environment's values files only"),
                ),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    const REPO: &str = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: k8s-orders, namespace: flux-system}\nspec:\n  ref:\n    branch: dev\n";

    #[test]
    fn reports_another_environments_branch_with_a_fix() {
        let f = run_rule(RULE, &[("clusters/prod/systems/orders.yaml", REPO)], "");
        assert_eq!(positions(&f), [(ID, 6, 13)]);
        let fix = f[0].fix.as_ref().unwrap();
        assert_eq!(fix.replacement, "master");
        assert!(f[0].message.contains("prod tracks `master`"), "{}", f[0].message);
    }

    #[test]
    fn own_branch_unknown_branch_and_other_places_are_fine() {
        let f = run_rule(
            RULE,
            &[
                ("clusters/dev/systems/orders.yaml", REPO),
                ("clusters/prod/systems/podinfo.yaml", &REPO.replace("dev", "main")),
                ("environments/prod/flux/repo.yaml", REPO),
            ],
            "",
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn reports_a_path_into_another_environment() {
        let ks = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: orders, namespace: flux-system}\nspec:\n  path: ./environments/dev/flux\n  sourceRef: {kind: GitRepository, name: k8s-orders}\n";
        let f = run_rule(RULE, &[("clusters/prod/systems/orders.yaml", ks)], "");
        assert_eq!(positions(&f), [(ID, 5, 9)]);
        let f = run_rule(RULE, &[("clusters/dev/systems/orders.yaml", ks)], "");
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn reports_values_files_of_another_environment_across_files() {
        let config = "systemRepos:\n  k8s-orders: .\n";
        let reg = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: k8s-orders, namespace: flux-system}\nspec: {ref: {branch: dev}}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: orders, namespace: flux-system}\nspec:\n  path: ./environments/dev/flux\n  sourceRef: {kind: GitRepository, name: k8s-orders}\n";
        let hr = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: orders, namespace: flux-system}\nspec:\n  chart:\n    spec:\n      chart: ./chart\n      sourceRef: {kind: GitRepository, name: k8s-orders}\n      valuesFiles:\n        - ./environments/dev/values.yaml\n        - ./environments/prod/values.yaml\n";
        let f = run_rule(
            RULE,
            &[
                ("clusters/dev/systems/orders.yaml", reg),
                ("environments/dev/flux/hr.yaml", hr),
                ("environments/dev/values.yaml", "a: 1\n"),
                ("environments/prod/values.yaml", "a: 2\n"),
                ("chart/Chart.yaml", "name: c\n"),
            ],
            config,
        );
        assert_eq!(positions(&f), [(ID, 11, 11)]);
        assert_eq!(f[0].path, "environments/dev/flux/hr.yaml");
    }
}
