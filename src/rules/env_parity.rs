//! `env-parity`: a system registered in a later environment of the
//! `promotion` order but missing from an earlier one (registered in prod,
//! never in dev). Changes are promoted experimental → dev → prod; a system
//! that skips a stage was never tested there. Reported at the later
//! environment's Kustomization `metadata.name`.

use std::collections::BTreeSet;

use crate::engine::registry::ids;
use crate::engine::{declare_rule, Rule, RunContext};
use crate::base::finding::Findings;

declare_rule!(EnvParity, ids::ENV_PARITY);

impl Rule for EnvParity {
    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        let ws = cx.workspace;
        let cross = cx.graph();
        let promotion = &cx.config.promotion;
        let names_in = |env: &str| -> BTreeSet<&str> {
            cross
                .registrations
                .iter()
                .filter(|r| r.env == env)
                .map(|r| r.name.as_str())
                .collect()
        };
        let per_env: Vec<BTreeSet<&str>> = promotion.iter().map(|e| names_in(e)).collect();
        for reg in &cross.registrations {
            let Some(at) = promotion.iter().position(|e| *e == reg.env) else {
                continue;
            };
            // Earlier environments that exist in the repository at all.
            let missing: Vec<&str> = (0..at)
                .filter(|&i| !per_env[i].is_empty() && !per_env[i].contains(reg.name.as_str()))
                .map(|i| promotion[i].as_str())
                .collect();
            if missing.is_empty() {
                continue;
            }
            let file = &ws.files[reg.file];
            let Some(root) = file.doc(reg.doc).map(|d| d.root()) else {
                continue;
            };
            let span = root
                .path(&["metadata", "name"])
                .map_or(root.span(), |n| n.span());
            let list = missing
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let message = format!(
                "Kustomization '{}' is registered in `{}` but not in {list}, which come earlier in the promotion order; register it in `clusters/{}/` first",
                reg.name, reg.env, missing[0]
            );
            // Where the missing registrations belong: a change there (a
            // deletion included) is what causes this finding.
            let display = &file.file.display;
            let cluster = format!("clusters/{}/", reg.env);
            let base = display.find(&cluster).map_or("", |i| &display[..i]);
            let mut finding = cx
                .finding_at(ID, reg.file, Some(reg.doc), span, message)
                .with_help(format!("promotion order: {}", promotion.join(" → ")));
            for env in &missing {
                finding = finding.depends_on(format!("{base}clusters/{env}/"));
            }
            out.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    fn ks(name: &str) -> String {
        format!("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  path: ./x\n  sourceRef: {{kind: GitRepository, name: k8s-{name}}}\n")
    }

    #[test]
    fn reports_the_later_environment() {
        let (a, b) = (ks("orders"), ks("inventory"));
        let f = run_rule(
            RULE,
            &[
                ("clusters/experimental/systems/inventory.yaml", &b),
                ("clusters/experimental/systems/orders.yaml", &a),
                ("clusters/dev/systems/orders.yaml", &a),
                ("clusters/prod/systems/inventory.yaml", &b),
                ("clusters/prod/systems/orders.yaml", &a),
            ],
            "",
        );
        assert_eq!(positions(&f), [(ID, 4, 9)]);
        assert_eq!(f[0].path, "clusters/prod/systems/inventory.yaml");
        assert!(f[0].message.contains("not in `dev`"), "{}", f[0].message);
    }

    #[test]
    fn an_environment_without_registrations_is_not_compared() {
        let a = ks("orders");
        let f = run_rule(RULE, &[("clusters/prod/systems/orders.yaml", &a)], "");
        assert!(f.is_empty(), "{f:?}");
    }
}
