//! `undefined-variable`: a `${VAR}` with no value and no default in what a
//! Flux Kustomization with `spec.postBuild` applies. kustomize-controller
//! writes an empty string there (or fails the build in strict mode), so a
//! path, an image or a host name silently loses a part.
//!
//! Reported at the placeholder, in the file that wrote it, naming the
//! Kustomization that substitutes it and where its variables come from.
//! When one of its sources is not in the repositories (a ConfigMap made
//! outside Git), nothing is reported: the value may be there.

use std::collections::BTreeSet;

use crate::base::finding::Findings;
use crate::engine::registry::ids;
use crate::engine::{declare_rule, Rule, RunContext};
use crate::render::tree::Node;

declare_rule!(UndefinedVariable, ids::UNDEFINED_VARIABLE);

impl Rule for UndefinedVariable {
    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        let strict = cx
            .config
            .rule_option(ID, "strict")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let mut seen = BTreeSet::new();
        for rendering in cx.renderings().all() {
            for (u, applier) in &rendering.undefined {
                if !seen.insert((u.at.file, u.at.offset(), u.name.clone())) {
                    continue;
                }
                let ks = &rendering.objects[*applier].resource;
                let effect = if strict {
                    "fails the build of Kustomization '{ks}' (strict substitution): nothing of it is applied"
                } else {
                    "Kustomization '{ks}' substitutes it with an empty string"
                }
                .replace("{ks}", ks.name());
                let message = format!(
                    "`${{{name}}}` has no value and no default: {effect} (its variables come from {sources})",
                    name = u.name,
                    sources = sources(&ks.root),
                );
                let help = format!(
                    "define `{0}` in one of those, give it a default (`${{{0}:=value}}`), or write `$${{{0}}}` for a literal `${{{0}}}`",
                    u.name
                );
                let span = u.at.span(cx.workspace);
                let mut f = cx.finding_at(ID, u.at.file, None, span, message).with_help(help);
                if let Some(post) = ks.root.path(&["spec", "postBuild"]) {
                    let what = format!("Kustomization '{}' takes its variables from here", ks.name());
                    f = f.with_related(cx.related_origin(&post.origin, what));
                }
                out.push(f);
            }
        }
    }
}

/// `spec.postBuild.substitute` and each `substituteFrom` source, in words.
fn sources(ks: &Node) -> String {
    let post = ks.path(&["spec", "postBuild"]);
    let mut out = Vec::new();
    if post.and_then(|p| p.get("substitute")).is_some_and(|s| !s.entries().is_empty()) {
        out.push("`spec.postBuild.substitute`".to_string());
    }
    for from in post.and_then(|p| p.get("substituteFrom")).map(Node::items).unwrap_or(&[]) {
        let kind = from.str_at(&["kind"]).unwrap_or("ConfigMap");
        out.push(format!("{kind} '{}'", from.str_at(&["name"]).unwrap_or("")));
    }
    if out.is_empty() {
        return "nowhere: `spec.postBuild` defines none".to_string();
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    const SYNC: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: flux-system, namespace: flux-system}\nspec:\n  interval: 10m\n  path: ./clusters/dev\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n";

    fn apps(post: &str) -> String {
        format!("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {{name: apps, namespace: flux-system}}\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n  postBuild:\n{post}")
    }

    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: web}\ndata:\n  host: web.${DOMAIN}\n  region: ${REGION:=westeurope}\n  literal: $${KEEP}\n";

    #[test]
    fn reports_a_placeholder_without_value_at_its_place() {
        let ks = apps("    substitute: {CLUSTER: dev}\n    substituteFrom:\n      - {kind: ConfigMap, name: vars}\n");
        let files = [
            ("clusters/dev/flux-system/gotk-sync.yaml", SYNC),
            ("clusters/dev/apps.yaml", ks.as_str()),
            ("clusters/dev/vars.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: vars, namespace: flux-system}\ndata: {TEAM: a}\n"),
            ("apps/web.yaml", CM),
        ];
        let f = run_rule(RULE, &files, "");
        assert_eq!(positions(&f), [(ID, 5, 9)]);
        assert!(f[0].message.contains("`${DOMAIN}`"), "{}", f[0].message);
        assert!(f[0].message.contains("`spec.postBuild.substitute`, ConfigMap 'vars'"), "{}", f[0].message);
        assert_eq!(f[0].path, "apps/web.yaml");
        let related = &f[0].related[0];
        assert_eq!((related.path.as_str(), related.span.start.line), ("clusters/dev/apps.yaml", 10));
    }

    #[test]
    fn says_nothing_when_a_source_is_outside_git_or_nothing_substitutes() {
        let ks = apps("    substituteFrom:\n      - {kind: ConfigMap, name: made-by-terraform}\n");
        let files = [
            ("clusters/dev/flux-system/gotk-sync.yaml", SYNC),
            ("clusters/dev/apps.yaml", ks.as_str()),
            ("apps/web.yaml", CM),
        ];
        assert!(run_rule(RULE, &files, "").is_empty());
        let without = apps("    substitute: {}\n").replace("  postBuild:\n    substitute: {}\n", "");
        let files = [
            ("clusters/dev/flux-system/gotk-sync.yaml", SYNC),
            ("clusters/dev/apps.yaml", without.as_str()),
            ("apps/web.yaml", CM),
        ];
        assert!(run_rule(RULE, &files, "").is_empty());
    }

    #[test]
    fn strict_substitution_fails_the_build() {
        let ks = apps("    substitute: {CLUSTER: dev}\n");
        let files = [
            ("clusters/dev/flux-system/gotk-sync.yaml", SYNC),
            ("clusters/dev/apps.yaml", ks.as_str()),
            ("apps/web.yaml", CM),
        ];
        let f = run_rule(RULE, &files, "rules:\n  undefined-variable:\n    strict: true\n");
        assert_eq!(positions(&f), [(ID, 5, 9)]);
        assert!(
            f[0].message.contains("fails the build of Kustomization 'apps' (strict substitution)"),
            "{}",
            f[0].message
        );
        let f = run_rule(RULE, &files, "");
        assert!(f[0].message.contains("substitutes it with an empty string"), "{}", f[0].message);
    }
}
