//! `render-error`: what kustomize or kustomize-controller would refuse to
//! build — a kustomization it cannot decode, a patch that matches nothing
//! where kustomize fails, a JSON 6902 operation on a path that is not
//! there, an invalid target selector, a manifest kustomize-controller
//! cannot read. The render stage records
//! each as a problem at the offending entry; this rule says it, once per
//! place however many renderings met it.
//!
//! A path that does not exist is `missing-path`'s, two resources with the
//! same id `duplicate-object`'s; what the renderer does not fetch (remote
//! resources, Helm charts) is not an error.

use std::collections::BTreeSet;

use crate::base::finding::Findings;
use crate::engine::registry::ids;
use crate::engine::{declare_rule, Rule, RunContext};
use crate::render::kustomize::ProblemKind;

declare_rule!(RenderError, ids::RENDER_ERROR);

impl Rule for RenderError {
    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        let mut seen = BTreeSet::new();
        for rendering in cx.renderings().all() {
            for p in rendering.problems.iter().filter(|p| p.kind == ProblemKind::Refused) {
                if seen.insert((p.file, p.span.start.offset, p.message.as_str())) {
                    let f = cx.finding_at(ID, p.file, None, p.span, &p.message);
                    out.push(f.with_help("`kubectl kustomize DIR` shows the same failure; Flux reports it on the Kustomization and applies nothing from it"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    #[test]
    fn reports_what_kustomize_refuses_at_the_entry() {
        let files = [
            ("apps/kustomization.yaml", "resources: [cm.yaml]\nimages:\n  - name: app\n    newTag: 1.26\npatches:\n  - target: {kind: ConfigMap}\n    patch: |-\n      - op: replace\n        path: /data/missing\n        value: x\n"),
            ("apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {}\n"),
        ];
        let f = run_rule(RULE, &files, "");
        assert_eq!(positions(&f), [(ID, 4, 13), (ID, 9, 15)]);
        assert!(f[0].message.contains("`images[0].newTag` must be a string"), "{}", f[0].message);
        assert!(f[1].message.contains("`/data/missing` does not exist"), "{}", f[1].message);
    }

    #[test]
    fn leaves_valid_builds_and_missing_paths_alone() {
        let files = [
            ("apps/kustomization.yaml", "resources: [cm.yaml, gone.yaml, https://github.com/x/y//z]\nimages:\n  - {name: app, newTag: '1.26'}\n"),
            ("apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"),
        ];
        assert!(run_rule(RULE, &files, "").is_empty());
    }
}
