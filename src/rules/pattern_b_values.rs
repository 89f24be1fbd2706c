//! `pattern-b-values`: a HelmRelease on the central chart (Pattern B) must
//! say which Azure AD group owns it (`aadGroupId`, which drives the team's
//! RoleBinding) and, if it picks a `sku`, one the platform offers.
//!
//! The values judged are the release's own: its `valuesFiles` then
//! `spec.values` — as the cluster applies the release, patches and
//! post-build variables included — layered as helm-controller layers them. The central
//! chart's own `values.yaml` is not counted: its defaults are no team's
//! choice.

use crate::base::finding::{Finding, Findings};
use crate::engine::registry::ids;
use crate::engine::{declare_rule, DocContext, Rule};
use crate::graph::values::{is_helm_release, layers, top_level, Layer};
use crate::model::flux::HelmReleaseView;
use crate::model::objects::ObjectMeta;
use crate::yaml::NodeRef;

declare_rule!(PatternBValues, ids::PATTERN_B_VALUES);

impl Rule for PatternBValues {
    /// A HelmRelease as a cluster applies it (values set by patches and
    /// post-build variables included), or as written when nothing renders
    /// it.
    fn check_object(&self, cx: &DocContext<'_>, out: &mut Findings) {
        let Some(meta) = cx.object.filter(|m| is_helm_release(m)) else {
            return;
        };
        let root = cx.root();
        let central = &cx.config().central_chart;
        let Some(chart) = HelmReleaseView::of(root).chart() else {
            return;
        };
        let source = chart.source_ref;
        let on_central = chart.chart.is_some_and(|c| same_chart(c, &central.chart))
            && source.is_some_and(|s| s.kind == Some("GitRepository") && s.name == Some(central.source.as_str()));
        let Some((file, doc)) = cx.written().filter(|_| on_central) else {
            return;
        };
        let run = cx.file.run;
        let written = run.workspace.file(file);
        let layers: Vec<Layer<'_>> = layers(run.workspace, run.graph(), written, doc, root)
            .into_iter()
            .filter(|l| !l.chart_defaults)
            .collect();
        let name = meta.display_name();
        match top_level(&layers, "aadGroupId") {
            None => {
                let spec = root.get_entry("spec");
                let anchor = spec
                    .and_then(|(_, s)| s.get_entry("values"))
                    .or(spec)
                    .map_or(root, |(k, _)| k);
                out.push(cx.finding(ID, anchor, format!(
                    "{name} uses the central chart but its values have no `aadGroupId`; set `spec.values.aadGroupId` to the team's Azure AD group id (it drives the team's RoleBinding)"
                )).with_help(HELP));
            }
            Some((layer, _, v)) if !is_text(v) => out.push(finding(
                cx,
                layer,
                v,
                format!(
                    "{name} has an empty or non-string `aadGroupId`; set it to the team's Azure AD group id"
                ),
            )),
            Some(_) => {}
        }
        if let Some((layer, _, v)) = top_level(&layers, "sku") {
            let sku = v.as_scalar().filter(|_| is_text(v)).map(|s| s.value.as_str());
            if !sku.is_some_and(|s| central.skus.iter().any(|k| k == s)) {
                let shown = sku.map_or_else(|| "a non-string value".to_string(), |s| format!("`{s}`"));
                out.push(finding(
                    cx,
                    layer,
                    v,
                    format!(
                        "{name} sets `sku` to {shown}, which is not a platform SKU; use one of: {}",
                        central.skus.join(", ")
                    ),
                ));
            }
        }
    }
}

const HELP: &str = "Pattern B releases supply `image`, `aadGroupId` and `sku`; see `gitops-lint explain pattern-b-values`";

/// `./platform-app-chart` and `platform-app-chart/` name the same chart.
fn same_chart(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim_start_matches("./").trim_matches('/').to_string();
    norm(a) == norm(b)
}

fn is_text(v: NodeRef<'_>) -> bool {
    use crate::yaml::scalar::{Typed, Typing};
    v.as_scalar().is_some_and(|s| {
        v.typed(Typing::Kubernetes) == Some(Typed::Str) && !s.value.trim().is_empty()
    })
}

/// A finding at `node` of the layer that set it: the release's own values
/// (as rendered or written), or a values file.
fn finding(cx: &DocContext<'_>, layer: Layer<'_>, node: NodeRef<'_>, message: String) -> Finding {
    let f = match layer.doc {
        Some(_) => cx.finding(ID, node, message),
        None => Finding::new(ID, layer.file.path(), node.span(), message)
            .with_object(cx.object.map(ObjectMeta::to_ref)),
    };
    f.with_help(HELP)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    fn hr(values: &str) -> String {
        format!("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {{name: orders, namespace: flux-system}}\nspec:\n  chart:\n    spec:\n      chart: ./platform-app-chart\n      sourceRef: {{kind: GitRepository, name: k8s-platform-charts}}\n      valuesFiles: [./environments/dev/values.yaml]\n{values}")
    }

    #[test]
    fn missing_group_is_reported_at_values() {
        let f = run_rule(RULE, &[("hr.yaml", &hr("  values:\n    sku: sku-small\n"))], "");
        assert_eq!(positions(&f), [(ID, 10, 3)]);
        assert!(f[0].message.contains("`aadGroupId`"));
        let f = run_rule(RULE, &[("hr.yaml", &hr(""))], "");
        assert_eq!(positions(&f), [(ID, 4, 1)]);
    }

    #[test]
    fn bad_sku_is_reported_at_its_value() {
        let f = run_rule(
            RULE,
            &[("hr.yaml", &hr("  values:\n    aadGroupId: \"0000-1111\"\n    sku: sku-huge\n"))],
            "",
        );
        assert_eq!(positions(&f), [(ID, 12, 10)]);
        assert!(f[0].message.contains("`sku-huge`"));
        let f = run_rule(
            RULE,
            &[("hr.yaml", &hr("  values:\n    aadGroupId: \"\"\n    sku: 3\n"))],
            "",
        );
        assert_eq!(positions(&f), [(ID, 11, 17), (ID, 12, 10)]);
    }

    #[test]
    fn values_files_of_the_source_repo_count() {
        let release = hr("  values:\n    replicaCount: 2\n");
        let files = [
            ("platform-app-chart/values.yaml", "aadGroupId: default\nsku: nonsense\n"),
            ("environments/dev/values.yaml", "aadGroupId: team-group\nsku: sku-nano\n"),
            ("environments/dev/flux/hr.yaml", &release as &str),
        ];
        // The chart's defaults do not count; the values file does, and its
        // bad sku is reported where it is set.
        let f = run_rule(RULE, &files, "");
        assert_eq!(positions(&f), [(ID, 2, 6)]);
        assert_eq!(f[0].path, "environments/dev/values.yaml");
        assert_eq!(f[0].object.as_ref().unwrap().kind, "HelmRelease");
        // spec.values wins over the values file.
        let release = hr("  values:\n    sku: sku-large\n");
        let f = run_rule(RULE, &[files[0], files[1], ("environments/dev/flux/hr.yaml", &release)], "");
        assert!(f.is_empty(), "{f:?}");
        // Without the source repository, only spec.values is known.
        let f = run_rule(RULE, &[files[1], ("environments/dev/flux/hr.yaml", &release)], "");
        assert_eq!(positions(&f), [(ID, 10, 3)]);
    }

    #[test]
    fn look_alikes() {
        let good = hr("  values:\n    aadGroupId: team-group\n    sku: sku-medium\n");
        let other_source = hr("  values: {}\n").replace("k8s-platform-charts", "k8s-orders");
        let other_chart = hr("  values: {}\n").replace("./platform-app-chart", "./orders-chart");
        let f = run_rule(
            RULE,
            &[("a.yaml", &good), ("b.yaml", &other_source), ("c.yaml", &other_chart)],
            "",
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn configured_skus_are_used() {
        let f = run_rule(
            RULE,
            &[("hr.yaml", &hr("  values:\n    aadGroupId: g\n    sku: sku-xl\n"))],
            "centralChart:\n  skus: [sku-xl]\n",
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn the_release_is_judged_as_the_cluster_applies_it() {
        let sync = |sku: &str| format!("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {{name: flux-system, namespace: flux-system}}\nspec:\n  interval: 10m\n  path: ./clusters/dev\n  prune: true\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {{name: orders, namespace: flux-system}}\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n  postBuild:\n    substitute: {{SKU: {sku}, GROUP: team-group}}\n");
        let release = hr("  values:\n    aadGroupId: ${GROUP}\n    sku: ${SKU}\n").replace("      valuesFiles: [./environments/dev/values.yaml]\n", "");
        let files = |sync: &str| -> Vec<(String, String)> {
            vec![
                ("clusters/dev/flux-system.yaml".into(), sync.to_string()),
                ("apps/orders.yaml".into(), release.clone()),
            ]
        };
        let run = |sku: &str| {
            let owned = files(&sync(sku));
            let refs: Vec<(&str, &str)> = owned.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
            run_rule(RULE, &refs, "")
        };
        // The variables give a platform SKU and a group: nothing to say.
        assert!(run("sku-small").is_empty(), "{:?}", run("sku-small"));
        // A SKU the platform does not offer, at the placeholder, naming
        // the variable.
        let f = run("sku-huge");
        assert_eq!(positions(&f), [(ID, 11, 10)]);
        assert_eq!(f[0].path, "apps/orders.yaml");
        assert!(f[0].message.contains("`sku-huge`"), "{}", f[0].message);
        assert!(
            f[0].message.ends_with("after post-build substitution by Kustomization 'orders'"),
            "{}",
            f[0].message
        );
    }
}
