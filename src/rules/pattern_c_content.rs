//! `pattern-c-content`: a regular workload (Deployment, StatefulSet,
//! DaemonSet, Job, CronJob, Pod, ReplicaSet) applied as a plain manifest
//! through a system registration, not rendered by a HelmRelease. Pattern C
//! is for what a chart cannot hold; a workload there means the central chart
//! is missing something. Reported at the workload's `kind`.

use crate::engine::registry::ids;
use crate::engine::{declare_rule, Rule, RunContext};
use crate::base::finding::Findings;
use crate::model::objects::is_workload;
use crate::graph::Pattern;

declare_rule!(PatternCContent, ids::PATTERN_C_CONTENT);

impl Rule for PatternCContent {
    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        let ws = cx.workspace;
        let cross = cx.graph();
        for reg in &cross.registrations {
            if reg.pattern.is_none() {
                continue;
            }
            for &o in &reg.objects {
                let occ = &cross.occurrences[o];
                let file = &ws.files[occ.file];
                let Some(meta) = file.object(occ.doc) else {
                    continue;
                };
                if occ.generated || !is_workload(meta) {
                    continue;
                }
                let Some(root) = file.doc(occ.doc).map(|d| d.root()) else {
                    continue;
                };
                let span = root.get("kind").map_or(root.span(), |k| k.span());
                let how = if reg.pattern == Some(Pattern::C) {
                    "a Pattern C registration".to_string()
                } else {
                    "a plain manifest beside its HelmRelease".to_string()
                };
                let message = format!(
                    "{} is delivered by Kustomization '{}' as {how}; run workloads through a HelmRelease on the central chart (Pattern B) or the system's own chart (Pattern A)",
                    meta.display_name(),
                    reg.name
                );
                out.push(
                    cx.finding_at(ID, occ.file, Some(occ.doc), span, message)
                    .with_help("if the central chart cannot express this workload, ask the platform team to extend it"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    const REG: &str = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: k8s-legacy, namespace: flux-system}\nspec: {ref: {branch: dev}}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: legacy, namespace: flux-system}\nspec:\n  path: ./environments/dev/flux\n  sourceRef: {kind: GitRepository, name: k8s-legacy}\n";

    #[test]
    fn reports_workloads_at_their_kind() {
        let f = run_rule(
            RULE,
            &[
                ("clusters/dev/systems/legacy.yaml", REG),
                ("environments/dev/flux/app.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\napiVersion: batch/v1\nkind:   CronJob\nmetadata: {name: nightly}\n"),
            ],
            "systemRepos:\n  k8s-legacy: .\n",
        );
        assert_eq!(positions(&f), [(ID, 6, 9)]);
        assert!(f[0].message.contains("CronJob 'nightly'"), "{}", f[0].message);
    }

    #[test]
    fn unresolved_registrations_and_unreached_workloads_are_not_judged() {
        let f = run_rule(
            RULE,
            &[
                ("clusters/dev/systems/legacy.yaml", REG),
                ("environments/dev/flux/app.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"),
            ],
            "",
        );
        assert!(f.is_empty(), "{f:?}");
    }
}
