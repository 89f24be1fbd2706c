//! `missing-path`: a Kustomization `spec.path`, a HelmRelease chart
//! directory (with its `Chart.yaml`), a `valuesFiles` entry, or a kustomize
//! resource/patch that does not exist in the repository it resolves to.
//! Only resolved repositories are judged: a registration whose repository has
//! no local checkout is one `info` finding, not a cascade of errors.

use crate::check::{Rule, RunContext};
use crate::finding::Findings;
use crate::resolve::report_issues;

pub(crate) static RULE: &dyn Rule = &MissingPath;

struct MissingPath;

const ID: &str = "missing-path";

impl Rule for MissingPath {
    fn id(&self) -> &'static str {
        ID
    }

    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        report_issues(cx.workspace, ID, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::{positions, run_rule};

    const GIT: &str = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: flux-system, namespace: flux-system}\nspec: {url: https://example.com/x, ref: {branch: dev}}\n";

    fn ks(path: &str) -> String {
        format!("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: {path}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n")
    }

    #[test]
    fn reports_a_kustomization_path_that_is_not_there() {
        let text = ks("./apps/dev");
        let f = run_rule(
            RULE,
            &[("clusters/dev/sync.yaml", GIT), ("clusters/dev/apps.yaml", &text)],
            "",
        );
        assert_eq!(positions(&f), [(ID, 7, 9)]);
        assert!(f[0].message.contains("./apps/dev"), "{}", f[0].message);
        assert_eq!(f[0].related[0].path, "apps/dev");
    }

    #[test]
    fn an_existing_path_is_fine() {
        let text = ks("./apps/dev");
        let f = run_rule(
            RULE,
            &[
                ("clusters/dev/apps.yaml", &text),
                ("apps/dev/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"),
            ],
            "",
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn follows_overlays_and_reports_missing_resources_and_patches() {
        let text = ks("./apps");
        let f = run_rule(
            RULE,
            &[
                ("clusters/dev/apps.yaml", &text),
                (
                    "apps/kustomization.yaml",
                    "resources:\n  - base\n  - gone.yaml\n  - https://github.com/x/y//z?ref=v1\npatches:\n  - path: patch.yaml\n",
                ),
                ("apps/base/kustomization.yaml", "resources: [cm.yaml]\n"),
                ("apps/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"),
            ],
            "",
        );
        let p: Vec<_> = f.iter().map(|f| (f.path.as_str(), f.span.start.line, f.severity)).collect();
        use crate::finding::Severity::*;
        assert_eq!(
            p,
            [
                ("apps/kustomization.yaml", 3, Error),
                ("apps/kustomization.yaml", 4, Info),
                ("apps/kustomization.yaml", 6, Error),
            ]
        );
    }

    #[test]
    fn an_unresolved_system_repo_is_one_info() {
        let text = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: k8s-x, namespace: flux-system}\nspec: {url: https://example.com/x}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: x, namespace: flux-system}\nspec:\n  path: ./environments/dev/flux\n  sourceRef: {kind: GitRepository, name: k8s-x}\n";
        let f = run_rule(RULE, &[("clusters/dev/systems/x.yaml", text)], "");
        assert_eq!(positions(&f), [(ID, 11, 42)]);
        assert_eq!(f[0].severity, crate::finding::Severity::Info);
    }
}
