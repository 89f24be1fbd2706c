//! `pattern-c-approval`: a registration that delivers Pattern C (plain
//! manifests or a kustomize overlay, no HelmRelease on the system's own chart
//! or the central chart) without platform approval: the system is neither
//! in `patternC.approved` nor is its Kustomization annotated with
//! `patternC.approvalAnnotation`. Reported at the Kustomization's
//! `spec.path`.

use crate::engine::registry::ids;
use crate::engine::{declare_rule, Rule, RunContext};
use crate::workspace::config::Config;
use crate::base::finding::Findings;
use crate::graph::{Pattern, Registration};
use crate::yaml::NodeRef;

declare_rule!(PatternCApproval, ids::PATTERN_C_APPROVAL);

impl Rule for PatternCApproval {
    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        let ws = cx.workspace;
        for reg in &cx.graph().registrations {
            if reg.pattern != Some(Pattern::C) {
                continue;
            }
            let file = &ws.files[reg.file];
            let Some(root) = file.doc(reg.doc).map(|d| d.root()) else {
                continue;
            };
            if is_approved(cx.config, reg, root) {
                continue;
            }
            let span = root
                .path(&["spec", "path"])
                .or_else(|| root.get_entry("spec").map(|(k, _)| k))
                .map_or(root.span(), |n| n.span());
            let annotation = &cx.config.pattern_c.approval_annotation;
            let message = format!(
                "Kustomization '{}' delivers Pattern C (plain manifests, no HelmRelease on its own or the central chart) without platform approval; add '{}' to `patternC.approved` or annotate the Kustomization with `{annotation}`",
                reg.name, reg.name
            );
            out.push(
                cx.finding_at(ID, reg.file, Some(reg.doc), span, message)
                .with_help("Pattern C is for what a chart cannot hold (CRDs, cluster roles); move workloads to the central chart (Pattern B)"),
            );
        }
    }
}

/// Approved by configuration (the system's Kustomization name, its
/// GitRepository name, or that name without `k8s-`), or by annotation.
pub(crate) fn is_approved(config: &Config, reg: &Registration, root: NodeRef<'_>) -> bool {
    let approved = &config.pattern_c.approved;
    let mut names = vec![reg.name.as_str()];
    if let Some(s) = &reg.source {
        names.push(s.as_str());
        names.push(s.strip_prefix("k8s-").unwrap_or(s));
    }
    if names.iter().any(|n| approved.iter().any(|a| a == n)) {
        return true;
    }
    root.path(&["metadata", "annotations"])
        .and_then(|a| a.get(&config.pattern_c.approval_annotation))
        .and_then(|v| v.as_str())
        .is_some_and(|v| !matches!(v.trim(), "" | "false" | "False" | "no"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    const REG: &str = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: k8s-legacy, namespace: flux-system}\nspec: {ref: {branch: dev}}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: legacy\n  namespace: flux-system\nspec:\n  path: ./environments/dev/flux\n  sourceRef: {kind: GitRepository, name: k8s-legacy}\n";
    const ROLE: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\n";
    const CONFIG: &str = "systemRepos:\n  k8s-legacy: .\n";

    #[test]
    fn reports_unapproved_pattern_c_at_the_path() {
        let f = run_rule(
            RULE,
            &[("clusters/dev/systems/legacy.yaml", REG), ("environments/dev/flux/role.yaml", ROLE)],
            CONFIG,
        );
        assert_eq!(positions(&f), [(ID, 12, 9)]);
    }

    #[test]
    fn approval_by_config_or_annotation() {
        for config in [
            format!("{CONFIG}patternC:\n  approved: [legacy]\n"),
            format!("{CONFIG}patternC:\n  approved: [k8s-legacy]\n"),
        ] {
            let f = run_rule(
                RULE,
                &[("clusters/dev/systems/legacy.yaml", REG), ("environments/dev/flux/role.yaml", ROLE)],
                &config,
            );
            assert!(f.is_empty(), "{f:?}");
        }
        let annotated = REG.replace(
            "  namespace: flux-system\nspec:",
            "  namespace: flux-system\n  annotations:\n    gitops-lint.io/pattern-c-approval: PLAT-1\nspec:",
        );
        let f = run_rule(
            RULE,
            &[("clusters/dev/systems/legacy.yaml", &annotated), ("environments/dev/flux/role.yaml", ROLE)],
            CONFIG,
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn helm_releases_on_own_or_central_chart_are_not_pattern_c() {
        let hr = |chart: &str, source: &str| {
            format!("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {{name: app, namespace: flux-system}}\nspec:\n  chart:\n    spec:\n      chart: {chart}\n      sourceRef: {{kind: GitRepository, name: {source}}}\n")
        };
        let charts = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: k8s-platform-charts, namespace: flux-system}\nspec: {ref: {branch: dev}}\n";
        let config = format!("{CONFIG}  k8s-platform-charts: .\n");
        for (chart, source, fires) in [
            ("./own", "k8s-legacy", false),
            ("./platform-app-chart", "k8s-platform-charts", false),
            ("./other-chart", "k8s-platform-charts", true),
        ] {
            let text = hr(chart, source);
            let f = run_rule(
                RULE,
                &[
                    ("clusters/dev/systems/legacy.yaml", REG),
                    ("clusters/dev/systems/charts.yaml", charts),
                    ("environments/dev/flux/hr.yaml", &text),
                    ("own/Chart.yaml", "name: own\n"),
                    ("platform-app-chart/Chart.yaml", "name: p\n"),
                    ("other-chart/Chart.yaml", "name: o\n"),
                ],
                &config,
            );
            assert_eq!(!f.is_empty(), fires, "{chart}: {f:?}");
        }
    }
}
