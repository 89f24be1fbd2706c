//! `render-error`: what kustomize or kustomize-controller would refuse to
//! build — a kustomization it cannot decode, a patch that matches nothing
//! where kustomize fails, a JSON 6902 operation on a path that is not
//! there, an invalid target selector, a manifest kustomize-controller
//! cannot read. The render stage records
//! each as a problem at the offending entry; this rule says it, once per
//! place however many renderings met it.
//!
//! A path that does not exist is `missing-path`'s, two resources with the
//! same id `duplicate-object`'s. What the renderer does not compute (Helm
//! charts, `replacements`, plugins) is reported as `info`: the run did not
//! check what it changes. Remote resources are `missing-path`'s `info`.

use std::collections::BTreeSet;

use crate::base::finding::{Findings, Severity};
use crate::engine::registry::ids;
use crate::engine::{declare_rule, Rule, RunContext};
use crate::render::kustomize::ProblemKind;

declare_rule!(RenderError, ids::RENDER_ERROR);

impl Rule for RenderError {
    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        let mut seen = BTreeSet::new();
        for rendering in cx.renderings().all() {
            for p in &rendering.problems {
                let help = match p.kind {
                    ProblemKind::Refused => "`kubectl kustomize DIR` shows the same failure; Flux reports it on the Kustomization and applies nothing from it",
                    // Said as information: the run did not check it.
                    ProblemKind::NotRendered => "what this field adds or changes is not checked by this run",
                    _ => continue,
                };
                if !seen.insert((p.file, p.span.start.offset, p.message.as_str())) {
                    continue;
                }
                let f = cx.finding_at(ID, p.file, None, p.span, &p.message).with_help(help);
                out.push(match p.kind {
                    ProblemKind::NotRendered => f.with_severity(Severity::Info),
                    _ => f,
                });
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
    fn says_what_it_did_not_render_as_information() {
        let files = [("apps/kustomization.yaml", "resources: []\nhelmCharts:\n  - {name: x, repo: https://charts.example.com}\n")];
        let f = run_rule(RULE, &files, "");
        assert_eq!(positions(&f), [(ID, 2, 1)]);
        assert_eq!(f[0].severity, Severity::Info);
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
