//! `helmrelease-layout`: HelmReleases live in `flux-system` and install into
//! their system's namespace (`spec.targetNamespace`), and follow the Pattern
//! A conventions: `install.createNamespace`, `upgrade.cleanupOnFail`, and
//! `reconcileStrategy: Revision` for charts from Git. Each convention can be
//! turned off with a rule option.

use crate::model::flux::HelmReleaseView;
use crate::engine::registry::ids;
use crate::engine::{declare_rule, DocContext, Rule};
use crate::base::finding::Findings;
use crate::model::objects::{ObjectMeta, HELM_GROUP};
use crate::yaml::scalar::{Typed, Typing};
use crate::yaml::NodeRef;

declare_rule!(HelmReleaseLayout, ids::HELMRELEASE_LAYOUT);
const NAMESPACE: &str = "flux-system";

impl Rule for HelmReleaseLayout {
    fn check_object(&self, cx: &DocContext<'_>, out: &mut Findings) {
        let Some(meta) = cx.object else { return };
        if !meta.is(HELM_GROUP, "HelmRelease") {
            return;
        }
        self.check(cx, meta, out);
    }
}

impl HelmReleaseLayout {
    fn check(&self, cx: &DocContext<'_>, meta: &ObjectMeta, out: &mut Findings) {
        let root = cx.root();
        let name = meta.display_name();
        let Some((metadata_key, metadata)) = root.get_entry("metadata") else {
            return;
        };
        match metadata.get("namespace") {
            Some(ns) if ns.as_str() != Some(NAMESPACE) => out.push(cx.finding(
                ID,
                ns,
                format!("{name} is in namespace `{}`; HelmReleases live in `{NAMESPACE}` and install into their system's namespace with `spec.targetNamespace`", ns.as_str().unwrap_or("?")),
            )),
            Some(_) => {}
            None => out.push(cx.finding(
                ID,
                metadata_key,
                format!("{name} does not set `metadata.namespace`; set `namespace: {NAMESPACE}`"),
            ).unset("metadata.namespace")),
        }
        let Some((spec_key, spec)) = root.get_entry("spec") else {
            return;
        };
        if spec.get("targetNamespace").is_none() {
            out.push(cx.finding(
                ID,
                spec_key,
                format!("{name} does not set `spec.targetNamespace`; set it to the system's namespace"),
            ).unset("spec.targetNamespace"));
        }
        // The conventions are Pattern A's (a system's own chart); a Pattern
        // B release on the central chart follows the central chart's rules.
        if on_central_chart(cx, root) {
            return;
        }
        let cx = Conventions { cx, meta, spec_key, spec };
        if cx.option("requireCreateNamespace") {
            cx.require_true("install", "createNamespace", out);
        }
        if cx.option("requireCleanupOnFail") {
            cx.require_true("upgrade", "cleanupOnFail", out);
        }
        if cx.option("requireRevisionStrategy") {
            cx.require_revision_strategy(out);
        }
    }
}

struct Conventions<'a, 'd> {
    cx: &'a DocContext<'d>,
    meta: &'a ObjectMeta,
    spec_key: NodeRef<'d>,
    spec: NodeRef<'d>,
}

impl Conventions<'_, '_> {
    /// A boolean option of this rule; every convention is on by default.
    fn option(&self, name: &str) -> bool {
        self.cx
            .config()
            .rule_option(ID, name)
            .and_then(|v| v.as_bool())
            .unwrap_or(true)
    }

    /// `spec.<section>.<field>: true`: missing is reported at the innermost
    /// key that exists, anything else at the value.
    fn require_true(&self, section: &str, field: &str, out: &mut Findings) {
        let name = self.meta.display_name();
        let (at, what) = match self.spec.get_entry(section) {
            None => (self.spec_key, "does not set"),
            Some((key, value)) => match value.get(field) {
                None => (key, "does not set"),
                Some(v) if bool_of(v) == Some(true) => return,
                Some(v) => (v, "does not enable"),
            },
        };
        let finding = self.cx.finding(
            ID,
            at,
            format!("{name} {what} `spec.{section}.{field}`; set `{field}: true` under `spec.{section}`"),
        );
        out.push(match what {
            "does not set" => finding.unset(format!("spec.{section}.{field}")),
            _ => finding,
        });
    }

    /// A chart built from a GitRepository is rebuilt on every new revision
    /// only with `reconcileStrategy: Revision`.
    fn require_revision_strategy(&self, out: &mut Findings) {
        let Some((chart_spec_key, chart_spec)) = self
            .spec
            .get("chart")
            .and_then(|c| c.get_entry("spec"))
        else {
            return;
        };
        if chart_spec.str_at(&["sourceRef", "kind"]) != Some("GitRepository") {
            return;
        }
        let name = self.meta.display_name();
        let (at, what) = match chart_spec.get("reconcileStrategy") {
            Some(s) if s.as_str() == Some("Revision") => return,
            Some(s) => (s, "sets another"),
            None => (chart_spec_key, "does not set"),
        };
        out.push(self.cx.finding(
            ID,
            at,
            format!("{name} takes its chart from a GitRepository but {what} `spec.chart.spec.reconcileStrategy`; set `reconcileStrategy: Revision` so chart changes without a version bump are released"),
        ));
    }
}

fn on_central_chart(cx: &DocContext<'_>, root: NodeRef<'_>) -> bool {
    let central = &cx.config().central_chart;
    let chart_spec = HelmReleaseView::of(root).chart();
    let chart = chart_spec.and_then(|c| c.chart);
    let source = chart_spec.and_then(|c| c.source_ref?.name);
    let same_path = |a: &str, b: &str| a.trim_start_matches("./") == b.trim_start_matches("./");
    chart.is_some_and(|c| same_path(c, &central.chart)) && source == Some(central.source.as_str())
}

fn bool_of(node: NodeRef<'_>) -> Option<bool> {
    match node.typed(Typing::Kubernetes)? {
        Typed::Bool(b) => Some(b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    const PATH: &str = "environments/dev/flux/helmrelease.yaml";

    fn release(namespace: &str, spec: &str) -> String {
        format!("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: payments\n{namespace}spec:\n{spec}")
    }

    const GOOD: &str = "  targetNamespace: payments\n  install:\n    createNamespace: true\n  upgrade:\n    cleanupOnFail: true\n  chart:\n    spec:\n      chart: ./chart\n      reconcileStrategy: Revision\n      sourceRef:\n        kind: GitRepository\n        name: k8s-payments\n";

    #[test]
    fn accepts_pattern_a() {
        let text = release("  namespace: flux-system\n", GOOD);
        let f = run_rule(RULE, &[(PATH, &text)], "");
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn reports_namespace_and_target_namespace() {
        let text = release("  namespace: payments\n", &GOOD.replace("  targetNamespace: payments\n", ""));
        let f = run_rule(RULE, &[(PATH, &text)], "");
        assert_eq!(positions(&f), [(ID, 5, 14), (ID, 6, 1)]);
        assert!(f[1].message.contains("spec.targetNamespace"));
        let no_ns = release("", GOOD);
        let f = run_rule(RULE, &[(PATH, &no_ns)], "");
        assert_eq!(positions(&f), [(ID, 3, 1)]);
    }

    #[test]
    fn reports_pattern_a_conventions() {
        let spec = "  targetNamespace: payments\n  install:\n    remediation: {retries: 3}\n  upgrade:\n    cleanupOnFail: false\n  chart:\n    spec:\n      chart: ./chart\n      sourceRef:\n        kind: GitRepository\n        name: k8s-payments\n";
        let text = release("  namespace: flux-system\n", spec);
        let f = run_rule(RULE, &[(PATH, &text)], "");
        assert_eq!(positions(&f), [(ID, 8, 3), (ID, 11, 20), (ID, 13, 5)]);
        let bare = release("  namespace: flux-system\n", "  targetNamespace: payments\n");
        let f = run_rule(RULE, &[(PATH, &bare)], "");
        assert_eq!(positions(&f), [(ID, 6, 1), (ID, 6, 1)]);
    }

    #[test]
    fn pattern_a_conventions_do_not_apply_to_the_central_chart() {
        let spec = "  targetNamespace: payments\n  chart:\n    spec:\n      chart: ./platform-app-chart\n      sourceRef:\n        kind: GitRepository\n        name: k8s-platform-charts\n";
        let f = run_rule(RULE, &[("hr.yaml", &release("  namespace: flux-system\n", spec))], "");
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn options_turn_conventions_off() {
        let text = release("  namespace: flux-system\n", "  targetNamespace: payments\n  chart:\n    spec:\n      chart: ./chart\n      sourceRef: {kind: GitRepository, name: k}\n");
        let config = "rules:\n  helmrelease-layout:\n    requireCreateNamespace: false\n    requireCleanupOnFail: false\n    requireRevisionStrategy: false\n";
        let f = run_rule(RULE, &[(PATH, &text)], config);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn leaves_charts_from_helm_repositories_alone() {
        let spec = GOOD
            .replace("      reconcileStrategy: Revision\n", "")
            .replace("GitRepository", "HelmRepository");
        let text = release("  namespace: flux-system\n", &spec);
        let f = run_rule(RULE, &[(PATH, &text)], "");
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn a_patch_is_judged_as_part_of_what_it_patches() {
        let base = release("  namespace: flux-system\n", GOOD);
        let patch = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: payments\n  namespace: flux-system\nspec:\n  values:\n    replicas: 2\n  upgrade:\n    cleanupOnFail: false\n";
        let files = [
            ("apps/prod/kustomization.yaml", "resources: [../base]\npatches:\n  - path: values.yaml\n"),
            ("apps/prod/values.yaml", patch),
            ("apps/base/kustomization.yaml", "resources: [release.yaml]\n"),
            ("apps/base/release.yaml", base.as_str()),
        ];
        // The patch alone lacks most fields: not judged as a whole. What
        // it sets is: `cleanupOnFail: false`, at its line in the patch.
        let f = run_rule(RULE, &files, "");
        assert_eq!(positions(&f), [(ID, 10, 20)]);
        assert_eq!(f[0].path, "apps/prod/values.yaml");
    }
}
