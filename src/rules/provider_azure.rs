//! `provider-azure`: a source on Azure DevOps (HTTPS) or ACR, and a
//! FluxInstance sync on them, authenticates with workload identity:
//! `provider: azure`. Which objects count is [`crate::model::azure::azure_source`].

use crate::engine::registry::ids;
use crate::model::azure::azure_source;
use crate::engine::{declare_rule, DocContext, Rule};
use crate::base::finding::{Applicability, Findings, Fix};

declare_rule!(ProviderAzure, ids::PROVIDER_AZURE);

impl Rule for ProviderAzure {
    fn check_object(&self, cx: &DocContext<'_>, out: &mut Findings) {
        let Some(meta) = cx.object else { return };
        let Some(source) = azure_source(meta, cx.root()) else {
            return;
        };
        let name = meta.display_name();
        let field = format!("{}.provider", source.holder_path);
        match source.holder.get("provider") {
            None => out.push(
                cx.finding(
                    ID,
                    source.holder_key,
                    format!(
                        "{name} pulls from {} without `{field}`; set `provider: azure` to authenticate with workload identity",
                        source.service
                    ),
                )
                .with_help(format!("add `provider: azure` under `{}`", source.holder_path))
                .unset(field.clone()),
            ),
            Some(provider) if provider.as_str() != Some("azure") => {
                let written = provider.as_str().unwrap_or("a non-string value");
                let mut finding = cx.finding(
                    ID,
                    provider,
                    format!(
                        "{name} pulls from {} with `{field}: {written}`; set `provider: azure` to authenticate with workload identity",
                        source.service
                    ),
                );
                if provider.as_scalar().is_some() && !provider.is_alias() {
                    finding = finding.with_fix(Fix {
                        description: "set `provider: azure`".into(),
                        span: provider.span(),
                        replacement: "azure".into(),
                        applicability: Applicability::Unsafe,
                    });
                }
                out.push(finding);
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    fn git(url: &str, extra: &str) -> String {
        format!("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {{name: k8s-payments, namespace: flux-system}}\nspec:\n  interval: 1m\n  url: {url}\n{extra}")
    }

    #[test]
    fn reports_missing_provider_at_the_spec_key() {
        let text = git("https://dev.azure.com/org/proj/_git/k8s-payments", "");
        let f = run_rule(RULE, &[("clusters/dev/systems/p.yaml", &text)], "");
        assert_eq!(positions(&f), [(ID, 4, 1)]);
        assert!(f[0].message.contains("GitRepository 'k8s-payments'"), "{}", f[0].message);
        let vs = git("https://org.visualstudio.com/proj/_git/r", "");
        assert_eq!(positions(&run_rule(RULE, &[("a.yaml", &vs)], "")), [(ID, 4, 1)]);
    }

    #[test]
    fn reports_a_wrong_provider_at_the_value() {
        let text = git("https://dev.azure.com/org/proj/_git/r", "  provider: generic\n");
        let f = run_rule(RULE, &[("a.yaml", &text)], "");
        assert_eq!(positions(&f), [(ID, 7, 13)]);
        assert_eq!(f[0].fix.as_ref().unwrap().replacement, "azure");
    }

    #[test]
    fn checks_acr_sources_and_flux_instance_sync() {
        let oci = "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata: {name: m}\nspec:\n  url: oci://myacr.azurecr.io/manifests\n";
        let helm = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: h}\nspec:\n  type: oci\n  url: oci://myacr.azurecr.io/charts\n";
        let image = "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\nmetadata: {name: i}\nspec:\n  image: myacr.azurecr.io/payments\n  provider: aws\n";
        let fi = "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {name: flux}\nspec:\n  sync:\n    kind: GitRepository\n    url: https://dev.azure.com/o/p/_git/k8s-gitops\n";
        let f = run_rule(
            RULE,
            &[("a.yaml", oci), ("b.yaml", helm), ("c.yaml", image), ("d.yaml", fi)],
            "",
        );
        assert_eq!(
            positions(&f),
            [(ID, 4, 1), (ID, 4, 1), (ID, 6, 13), (ID, 5, 3)]
        );
        assert!(f[3].message.contains("spec.sync.provider"));
    }

    #[test]
    fn leaves_other_hosts_ssh_and_correct_sources_alone() {
        let github = git("https://github.com/org/repo", "");
        let ssh = git("ssh://git@ssh.dev.azure.com/v3/org/proj/repo", "");
        let good = git("https://dev.azure.com/org/proj/_git/r", "  provider: azure\n");
        let lookalike = git("https://dev.azure.com.example.org/x", "");
        let helm_https = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: h}\nspec:\n  url: https://charts.example.org\n";
        let f = run_rule(
            RULE,
            &[
                ("a.yaml", &github),
                ("b.yaml", &ssh),
                ("c.yaml", &good),
                ("d.yaml", &lookalike),
                ("e.yaml", helm_https),
            ],
            "",
        );
        assert!(f.is_empty(), "{f:?}");
    }
}
