//! `no-scp-ssh-url`: Git accepts the scp-like `user@host:path`, Flux does
//! not; it needs `ssh://user@host/path`. Git URLs live in a GitRepository's
//! `spec.url` and in a FluxInstance's `spec.sync.url` when it syncs from Git
//! (an ImageUpdateAutomation pushes through its GitRepository and has no URL
//! of its own).

use crate::model::flux::{FluxInstanceView, SourceView};
use crate::engine::registry::ids;
use crate::engine::{declare_rule, DocContext, Rule};
use crate::base::finding::{Applicability, Findings, Fix};
use crate::model::objects::{OPERATOR_GROUP, SOURCE_GROUP};
use crate::model::urls::ScpUrl;
use crate::yaml::{NodeRef, ScalarStyle};

declare_rule!(NoScpSshUrl, ids::NO_SCP_SSH_URL);

impl Rule for NoScpSshUrl {
    fn check_object(&self, cx: &DocContext<'_>, out: &mut Findings) {
        let Some(meta) = cx.object else { return };
        let root = cx.root();
        let (url, field) = if meta.is(SOURCE_GROUP, "GitRepository") {
            (SourceView::of(root).url(), "spec.url")
        } else if meta.is(OPERATOR_GROUP, "FluxInstance") {
            (FluxInstanceView::of(root).git_sync_url(), "spec.sync.url")
        } else {
            return;
        };
        let Some(url) = url else { return };
        let Some(scp) = url.as_str().and_then(ScpUrl::parse) else {
            return;
        };
        let ssh = scp.to_ssh_url();
        let mut finding = cx.finding(
            ID,
            url,
            format!(
                "{} has an scp-like Git URL in `{field}`, which Flux cannot parse; write `{ssh}`",
                meta.display_name()
            ),
        );
        if let Some(replacement) = requote(url, &ssh) {
            finding = finding.with_fix(Fix {
                description: format!("replace with `{ssh}`"),
                span: url.span(),
                replacement,
                applicability: Applicability::Safe,
            });
        }
        out.push(finding);
    }
}

/// `value` written as a scalar in the same style as `node` (whose span
/// includes its quotes); `None` for block scalars and aliases.
fn requote(node: NodeRef<'_>, value: &str) -> Option<String> {
    if node.is_alias() {
        return None;
    }
    match node.as_scalar()?.style {
        ScalarStyle::Plain => Some(value.to_string()),
        ScalarStyle::SingleQuoted => Some(format!("'{}'", value.replace('\'', "''"))),
        ScalarStyle::DoubleQuoted => Some(format!(
            "\"{}\"",
            value.replace('\\', "\\\\").replace('"', "\\\"")
        )),
        ScalarStyle::Literal | ScalarStyle::Folded => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    fn git(url: &str) -> String {
        format!("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {{name: k8s-payments}}\nspec:\n  url: {url}\n")
    }

    #[test]
    fn reports_scp_urls_with_an_ssh_fix() {
        let text = git("git@ssh.dev.azure.com:v3/org/project/repo");
        let f = run_rule(RULE, &[("a.yaml", &text)], "");
        assert_eq!(positions(&f), [(ID, 5, 8)]);
        let fix = f[0].fix.as_ref().unwrap();
        assert_eq!(fix.replacement, "ssh://git@ssh.dev.azure.com/v3/org/project/repo");
        assert_eq!(fix.span, f[0].span);
        assert_eq!(f[0].span.end.col, 8 + "git@ssh.dev.azure.com:v3/org/project/repo".len() as u32);
    }

    #[test]
    fn keeps_the_quoting_of_the_value() {
        let double = git("\"git@github.com:org/repo.git\"");
        let single = git("'git@github.com:org/repo.git'");
        let f = run_rule(RULE, &[("a.yaml", &double), ("b.yaml", &single)], "");
        assert_eq!(positions(&f), [(ID, 5, 8), (ID, 5, 8)]);
        let fixes: Vec<_> = f.iter().map(|f| f.fix.as_ref().unwrap().replacement.as_str()).collect();
        assert_eq!(
            fixes,
            ["\"ssh://git@github.com/org/repo.git\"", "'ssh://git@github.com/org/repo.git'"]
        );
    }

    #[test]
    fn checks_flux_instance_git_sync() {
        let fi = "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {name: flux}\nspec:\n  sync:\n    kind: GitRepository\n    url: git@ssh.dev.azure.com:v3/o/p/k8s-gitops\n";
        let f = run_rule(RULE, &[("clusters/dev/flux-instance.yaml", fi)], "");
        assert_eq!(positions(&f), [(ID, 7, 10)]);
        assert!(f[0].message.contains("spec.sync.url"));
    }

    #[test]
    fn leaves_ssh_https_and_non_git_urls_alone() {
        let ssh = git("ssh://git@ssh.dev.azure.com/v3/org/project/repo");
        let https = git("https://dev.azure.com/org/project/_git/repo");
        let oci = "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata: {name: o}\nspec:\n  url: oci://acr.azurecr.io/x:1\n";
        let oci_sync = "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {name: flux}\nspec:\n  sync:\n    kind: OCIRepository\n    url: acr.azurecr.io:5000/fleet\n";
        let f = run_rule(
            RULE,
            &[("a.yaml", &ssh), ("b.yaml", &https), ("c.yaml", oci), ("d.yaml", oci_sync)],
            "",
        );
        assert!(f.is_empty(), "{f:?}");
    }
}
