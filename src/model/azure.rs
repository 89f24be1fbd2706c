//! Which Flux objects fetch from Azure (Azure DevOps Git over HTTPS, Azure
//! Container Registry) and so can authenticate with workload identity
//! (`provider: azure`) instead of a stored credential.

use crate::model::objects::{ObjectMeta, IMAGE_GROUP, OPERATOR_GROUP, SOURCE_GROUP};
use crate::model::urls::{is_acr_host, is_azure_devops_https, registry_host};
use crate::yaml::NodeRef;

/// An object (or FluxInstance sync) that pulls from an Azure service.
#[derive(Debug, Clone, Copy)]
pub struct AzureSource<'d> {
    /// The key of the mapping that holds `provider` (`spec`, or `sync` of a
    /// FluxInstance): where a missing `provider` is reported.
    pub holder_key: NodeRef<'d>,
    pub holder: NodeRef<'d>,
    /// The mapping's path as messages name it (`spec`, `spec.sync`).
    pub holder_path: &'static str,
    /// The field naming a credential Secret (`secretRef`, `pullSecret`).
    pub credential_field: &'static str,
    /// The Azure service, as messages name it.
    pub service: &'static str,
}

const DEVOPS: &str = "Azure DevOps";
const ACR: &str = "Azure Container Registry";

/// The Azure source `root` describes, if any. Azure DevOps over SSH is not
/// one: `provider: azure` on a GitRepository requires an HTTPS URL.
pub fn azure_source<'d>(meta: &ObjectMeta, root: NodeRef<'d>) -> Option<AzureSource<'d>> {
    let (holder_key, holder) = root.get_entry("spec")?;
    let spec_str = |k: &str| holder.get(k).and_then(|v| v.as_str());
    let on_acr = |r: &&str| is_acr_host(registry_host(r));
    let spec_source = |service| {
        Some(AzureSource {
            holder_key,
            holder,
            holder_path: "spec",
            credential_field: "secretRef",
            service,
        })
    };
    match (meta.group(), meta.kind.as_str()) {
        (SOURCE_GROUP, "GitRepository") => spec_str("url")
            .filter(|u| is_azure_devops_https(u))
            .and_then(|_| spec_source(DEVOPS)),
        (SOURCE_GROUP, "OCIRepository") => spec_str("url")
            .filter(on_acr)
            .and_then(|_| spec_source(ACR)),
        (SOURCE_GROUP, "HelmRepository") => spec_str("url")
            .filter(|u| spec_str("type") == Some("oci") || u.starts_with("oci://"))
            .filter(on_acr)
            .and_then(|_| spec_source(ACR)),
        (IMAGE_GROUP, "ImageRepository") => spec_str("image")
            .filter(on_acr)
            .and_then(|_| spec_source(ACR)),
        (OPERATOR_GROUP, "FluxInstance") => {
            let (sync_key, sync) = holder.get_entry("sync")?;
            let url = sync.get("url")?.as_str()?;
            let service = match sync.get("kind")?.as_str()? {
                "GitRepository" if is_azure_devops_https(url) => DEVOPS,
                "OCIRepository" if on_acr(&url) => ACR,
                _ => return None,
            };
            Some(AzureSource {
                holder_key: sync_key,
                holder: sync,
                holder_path: "spec.sync",
                credential_field: "pullSecret",
                service,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::LineIndex;

    fn source_of(text: &str) -> Option<(&'static str,)> {
        let stream = crate::yaml::parse(text, &LineIndex::new(text));
        let doc = stream.docs.into_iter().next()?;
        let doc: &'static crate::yaml::Document = Box::leak(Box::new(doc));
        let meta = ObjectMeta::of(doc)?;
        azure_source(&meta, doc.root()).map(|s| (s.service,))
    }

    #[test]
    fn recognises_each_kind() {
        let git = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nspec:\n  url: https://dev.azure.com/o/p/_git/r\n";
        assert_eq!(source_of(git).unwrap().0, DEVOPS);
        let oci = "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nspec:\n  url: oci://acr.azurecr.io/manifests\n";
        assert_eq!(source_of(oci).unwrap().0, ACR);
        let helm = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nspec:\n  type: oci\n  url: oci://acr.azurecr.io/charts\n";
        assert_eq!(source_of(helm).unwrap().0, ACR);
        let image = "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\nspec:\n  image: acr.azurecr.io/app\n";
        assert_eq!(source_of(image).unwrap().0, ACR);
        let fi = "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nspec:\n  sync:\n    kind: GitRepository\n    url: https://dev.azure.com/o/p/_git/r\n";
        assert_eq!(source_of(fi).unwrap().0, DEVOPS);
    }

    #[test]
    fn leaves_other_hosts_and_ssh_alone() {
        for text in [
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nspec:\n  url: https://github.com/o/r\n",
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nspec:\n  url: ssh://git@ssh.dev.azure.com/v3/o/p/r\n",
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nspec:\n  url: https://acr.azurecr.io/helm/v1/repo\n",
            "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nspec:\n  sync:\n    kind: OCIRepository\n    url: oci://ghcr.io/o/r\n",
        ] {
            assert!(source_of(text).is_none(), "{text}");
        }
    }
}
