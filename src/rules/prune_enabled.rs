//! `prune-enabled`: every Flux Kustomization sets `spec.prune: true`, so
//! that what is removed from Git is removed from the cluster.
//!
//! A FluxInstance's `spec.sync` has no prune field: the Kustomization the
//! Flux Operator generates from it always prunes. The one way to turn that
//! off is a `spec.kustomize.patches` entry that patches the Kustomization,
//! and that is what is checked there.

use crate::model::flux::FluxInstanceView;
use crate::engine::registry::ids;
use crate::engine::{declare_rule, DocContext, Rule};
use crate::base::finding::{Applicability, Findings, Fix};
use crate::model::objects::{KUSTOMIZE_GROUP, OPERATOR_GROUP};
use crate::base::source::LineIndex;
use crate::yaml::scalar::{Typed, Typing};
use crate::yaml::{self, NodeRef};

declare_rule!(PruneEnabled, ids::PRUNE_ENABLED);

impl Rule for PruneEnabled {
    fn check_object(&self, cx: &DocContext<'_>, out: &mut Findings) {
        let Some(meta) = cx.object else { return };
        if meta.is(KUSTOMIZE_GROUP, "Kustomization") {
            check_kustomization(cx, out);
        } else if meta.is(OPERATOR_GROUP, "FluxInstance") {
            check_instance_patches(cx, out);
        }
    }
}

fn check_kustomization(cx: &DocContext<'_>, out: &mut Findings) {
    let Some(meta) = cx.object else { return };
    let Some((spec_key, spec)) = cx.root().get_entry("spec") else {
        return;
    };
    let name = meta.display_name();
    match spec.get("prune") {
        None => out.push(
            cx.finding(
                ID,
                spec_key,
                format!("{name} does not set `spec.prune`, so objects removed from Git stay in the cluster; set `spec.prune: true`"),
            )
            .with_help("add `prune: true` under `spec`")
            .unset("spec.prune"),
        ),
        Some(prune) if bool_of(prune) != Some(true) => {
            let what = match bool_of(prune) {
                Some(false) => "`spec.prune: false`".to_string(),
                _ => "a `spec.prune` that is not the boolean `true`".to_string(),
            };
            let finding = cx.finding(
                ID,
                prune,
                format!("{name} has {what}, so objects removed from Git stay in the cluster; set `spec.prune: true`"),
            );
            let finding = if prune.as_scalar().is_some() && !prune.is_alias() {
                finding.with_fix(Fix {
                    description: "set `prune: true`".into(),
                    span: prune.span(),
                    replacement: "true".into(),
                    applicability: Applicability::Unsafe,
                })
            } else {
                finding
            };
            out.push(finding);
        }
        Some(_) => {}
    }
}

fn bool_of(node: NodeRef<'_>) -> Option<bool> {
    match node.typed(Typing::Kubernetes)? {
        Typed::Bool(b) => Some(b),
        _ => None,
    }
}

/// FluxInstance `spec.kustomize.patches[*].patch` that sets `spec.prune`
/// to false on a Kustomization, as a strategic merge patch or a JSON 6902
/// operation list.
fn check_instance_patches(cx: &DocContext<'_>, out: &mut Findings) {
    let Some(meta) = cx.object else { return };
    for entry in FluxInstanceView::of(cx.root()).patches() {
        let Some((patch_key, patch)) = entry.get_entry("patch") else {
            continue;
        };
        let Some(text) = patch.as_str() else { continue };
        let target_kind = entry.str_at(&["target", "kind"]);
        if target_kind.is_some_and(|k| k != "Kustomization") {
            continue;
        }
        if patch_disables_prune(text, target_kind.is_some()) {
            out.push(
                cx.finding(
                    ID,
                    patch_key,
                    format!(
                        "{} patches its sync Kustomization to `spec.prune: false`, so objects removed from Git stay in the cluster; remove the prune override from the patch",
                        meta.display_name()
                    ),
                )
                .with_help("the Kustomization generated from `spec.sync` prunes by default; leave it that way"),
            );
        }
    }
}

fn patch_disables_prune(text: &str, targets_kustomization: bool) -> bool {
    let lines = LineIndex::new(text);
    let stream = yaml::parse(text, &lines);
    stream.docs.iter().any(|doc| {
        let root = doc.root();
        if root.is_seq() {
            // JSON 6902: [{op: replace, path: /spec/prune, value: false}]
            return targets_kustomization
                && root.items().any(|op| {
                    matches!(op.str_at(&["op"]), Some("add" | "replace"))
                        && op.str_at(&["path"]) == Some("/spec/prune")
                        && op.get("value").and_then(bool_of) == Some(false)
                });
        }
        let is_kustomization = match root.get("kind").and_then(|k| k.as_str()) {
            Some(kind) => kind == "Kustomization",
            None => targets_kustomization,
        };
        is_kustomization && root.path(&["spec", "prune"]).and_then(bool_of) == Some(false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    const KS: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: payments, namespace: flux-system}\n";

    #[test]
    fn reports_missing_prune_at_the_spec_key() {
        let text = format!("{KS}spec:\n  interval: 5m\n  path: ./x\n");
        let f = run_rule(RULE, &[("clusters/dev/systems/p.yaml", &text)], "");
        assert_eq!(positions(&f), [(ID, 4, 1)]);
        assert!(f[0].message.contains("Kustomization 'payments'"));
        assert!(f[0].fix.is_none());
    }

    #[test]
    fn reports_false_at_the_value_with_a_fix() {
        let text = format!("{KS}spec:\n  interval: 5m\n  prune: false\n");
        let f = run_rule(RULE, &[("k.yaml", &text)], "");
        assert_eq!(positions(&f), [(ID, 6, 10)]);
        let fix = f[0].fix.as_ref().unwrap();
        assert_eq!((fix.replacement.as_str(), fix.span), ("true", f[0].span));
        let any_version = text.replace("/v1\n", "/v1beta2\n").replace("false", "\"true\"");
        let f = run_rule(RULE, &[("k.yaml", &any_version)], "");
        assert_eq!(positions(&f), [(ID, 6, 10)]);
    }

    #[test]
    fn leaves_pruning_kustomizations_and_lookalikes_alone() {
        let files = [
            ("a.yaml", format!("{KS}spec:\n  prune: true\n")),
            // kustomize's own Kustomization has no prune.
            (
                "kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n".into(),
            ),
            (
                "fi.yaml",
                "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nspec:\n  sync: {kind: GitRepository, url: x, ref: y, path: z}\n  kustomize:\n    patches:\n      - target: {kind: Deployment}\n        patch: |\n          - op: replace\n            path: /spec/prune\n            value: false\n".into(),
            ),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let f = run_rule(RULE, &files, "");
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn reports_a_flux_instance_patch_that_disables_pruning() {
        let text = "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {name: flux}\nspec:\n  kustomize:\n    patches:\n      - target: {kind: Kustomization}\n        patch: |\n          - op: replace\n            path: /spec/prune\n            value: false\n      - patch: |\n          apiVersion: kustomize.toolkit.fluxcd.io/v1\n          kind: Kustomization\n          metadata: {name: flux-system}\n          spec:\n            prune: false\n";
        let f = run_rule(RULE, &[("clusters/dev/flux-instance.yaml", text)], "");
        assert_eq!(positions(&f), [(ID, 8, 9), (ID, 12, 9)]);
    }

    #[test]
    fn a_patch_is_judged_as_part_of_what_it_patches() {
        let patch = format!("{KS}spec:\n  path: ./tenants/prod\n");
        let base = format!("{KS}spec:\n  interval: 5m\n  path: ./tenants/base\n  prune: true\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n");
        let files = [
            ("tenants/prod/kustomization.yaml", "resources: [../base]\npatchesStrategicMerge:\n  - dev-team-patch.yaml\n"),
            ("tenants/prod/dev-team-patch.yaml", patch.as_str()),
            ("tenants/base/kustomization.yaml", "resources: [ks.yaml]\n"),
            ("tenants/base/ks.yaml", base.as_str()),
        ];
        // The patch has no `prune`: its base's `prune: true` stays.
        assert!(run_rule(RULE, &files, "").is_empty());
        // A patch that turns pruning off is reported at its value.
        let disabling = format!("{KS}spec:\n  prune: false\n");
        let files = [files[0], ("tenants/prod/dev-team-patch.yaml", disabling.as_str()), files[2], files[3]];
        let f = run_rule(RULE, &files, "");
        assert_eq!(positions(&f), [(ID, 5, 10)]);
        assert_eq!(f[0].path, "tenants/prod/dev-team-patch.yaml");
    }
}
