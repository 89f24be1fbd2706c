//! `static-credentials`: stored credentials where workload identity would
//! do — a `secretRef` (FluxInstance: `pullSecret`) on a source that pulls
//! from Azure DevOps or ACR — and credentials written into a source URL.
//! Messages name a URL only with its credentials masked, and the finding
//! redacts the URL, so no reporter prints it in a snippet.

use crate::model::flux::{FluxInstanceView, SourceView};
use crate::engine::registry::ids;
use crate::model::azure::azure_source;
use crate::engine::{declare_rule, DocContext, Rule};
use crate::base::finding::Findings;
use crate::model::objects::{is_flux_source, OPERATOR_GROUP};
use crate::model::urls::{mask_credentials, Url};

declare_rule!(StaticCredentials, ids::STATIC_CREDENTIALS);

impl Rule for StaticCredentials {
    fn check_object(&self, cx: &DocContext<'_>, out: &mut Findings) {
        let Some(meta) = cx.object else { return };
        let root = cx.root();
        let name = meta.display_name();
        if let Some(source) = azure_source(meta, root) {
            if let Some((key, _)) = source.holder.get_entry(source.credential_field) {
                out.push(
                    cx.finding(
                        ID,
                        key,
                        format!(
                            "{name} authenticates to {} with a stored credential (`{}.{}`); use workload identity: set `provider: azure` and remove `{}`",
                            source.service, source.holder_path, source.credential_field, source.credential_field
                        ),
                    )
                    .with_help("a token in a Secret expires, must be rotated, and can leak; a federated managed identity needs none"),
                );
            }
        }
        let url = if is_flux_source(meta) {
            SourceView::of(root).url().map(|u| (u, "spec.url"))
        } else if meta.is(OPERATOR_GROUP, "FluxInstance") {
            FluxInstanceView::of(root).sync().and_then(|s| s.get("url")).map(|u| (u, "spec.sync.url"))
        } else {
            None
        };
        let Some((url_node, field)) = url else { return };
        let Some(text) = url_node.as_str() else { return };
        if Url::parse(text).is_some_and(|u| u.has_credentials()) {
            out.push(
                cx.finding(
                    ID,
                    url_node,
                    format!(
                        "{name} has credentials written into `{field}` (`{}`); remove them from the URL and authenticate with workload identity or a Secret",
                        mask_credentials(text)
                    ),
                )
                .with_help("anyone who can read the repository can read a credential in a URL; revoke it")
                .with_redacted([url_node.span()]),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};
    use crate::report::{self, Report};
    use std::collections::HashMap;
    use std::time::Duration;

    fn git(url: &str, extra: &str) -> String {
        format!("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {{name: k8s-payments, namespace: flux-system}}\nspec:\n  interval: 1m\n  url: {url}\n{extra}")
    }

    #[test]
    fn reports_a_secret_ref_on_an_azure_source() {
        let text = git(
            "https://dev.azure.com/org/proj/_git/r",
            "  secretRef:\n    name: azdo-pat\n",
        );
        let f = run_rule(RULE, &[("a.yaml", &text)], "");
        assert_eq!(positions(&f), [(ID, 7, 3)]);
        assert!(f[0].message.contains("`spec.secretRef`"));
        let fi = "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {name: flux}\nspec:\n  sync:\n    kind: OCIRepository\n    url: oci://acr.azurecr.io/fleet\n    pullSecret: acr-creds\n";
        let f = run_rule(RULE, &[("fi.yaml", fi)], "");
        assert_eq!(positions(&f), [(ID, 8, 5)]);
    }

    #[test]
    fn reports_credentials_in_urls_without_echoing_them() {
        let with_token = git("https://user:s3cr3t-t0ken@dev.azure.com/org/proj/_git/r", "  provider: azure\n");
        let org_user = git("'https://org@dev.azure.com/org/proj/_git/r'", "");
        let helm = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: h}\nspec:\n  url: https://ghp_abc123@charts.example.org\n";
        let files = [("a.yaml", with_token.as_str()), ("b.yaml", &org_user), ("c.yaml", helm)];
        let f = run_rule(RULE, &files, "");
        assert_eq!(positions(&f), [(ID, 6, 8), (ID, 6, 8), (ID, 5, 8)]);
        assert!(f.iter().all(|f| f.redact == [f.span]));
        assert!(f[0].message.contains("https://***@dev.azure.com/org/proj/_git/r"));

        let ws = crate::engine::testing::workspace(&files, "");
        let sources = ws
            .files
            .iter()
            .map(|p| (p.file.display.clone(), crate::workspace::redact::shown_source(p, &f)))
            .collect::<HashMap<_, _>>();
        let report = Report {
            findings: f,
            files: ws.files.len(),
            documents: ws.documents(),
            elapsed: Duration::ZERO,
            sources,
            notices: Vec::new(),
            repositories: Vec::new(),
            root: "/repo".into(),
        };
        let opts = report::RenderOptions::default();
        for format in [report::Format::Human, report::Format::Json] {
            let out = report::render(&report, format, &opts);
            for secret in ["s3cr3t-t0ken", "ghp_abc123"] {
                assert!(!out.contains(secret), "{format:?} output shows {secret}:\n{out}");
            }
        }
    }

    #[test]
    fn leaves_ssh_users_workload_identity_and_other_hosts_alone() {
        let ssh = git("ssh://git@ssh.dev.azure.com/v3/org/proj/repo", "  secretRef: {name: ssh-key}\n");
        let wi = git("https://dev.azure.com/org/proj/_git/r", "  provider: azure\n");
        let github = git("https://github.com/org/repo", "  secretRef: {name: gh}\n");
        let f = run_rule(RULE, &[("a.yaml", &ssh), ("b.yaml", &wi), ("c.yaml", &github)], "");
        assert!(f.is_empty(), "{f:?}");
    }
}
