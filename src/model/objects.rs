//! Object identity (`apiVersion`, `kind`, name, namespace) and the shapes
//! of workloads.
//!
//! [`ObjectMeta`] is a document's Kubernetes identity, computed once per
//! document. The families (kube-linter's idea) name groups of kinds that rules
//! treat alike, so no rule lists Deployment, StatefulSet, … by hand; their
//! accessors return nodes, which carry spans.

use crate::base::finding::ObjectRef;
use crate::yaml::{Document, NodeRef};

/// The identity of a Kubernetes object document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectMeta {
    pub api_version: String,
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

impl ObjectMeta {
    /// The identity of `doc`, if it is a Kubernetes object (a mapping with
    /// string `apiVersion` and `kind`).
    pub fn of(doc: &Document) -> Option<ObjectMeta> {
        let root = doc.root();
        if !root.is_map() {
            return None;
        }
        let api_version = root.get("apiVersion")?.as_str()?.to_string();
        let kind = root.get("kind")?.as_str()?.to_string();
        let meta = root.get("metadata");
        let field = |k: &str| {
            meta.and_then(|m| m.get(k))
                .and_then(|v| v.as_str())
                .map(String::from)
        };
        Some(ObjectMeta {
            name: field("name"),
            namespace: field("namespace"),
            api_version,
            kind,
        })
    }

    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        group_of(&self.api_version)
    }

    /// The API version without its group (`v1`).
    pub fn version(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or(self.api_version.as_str(), |(_, v)| v)
    }

    pub fn to_ref(&self) -> ObjectRef {
        ObjectRef {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }

    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.kind == kind && self.group() == group
    }

    /// `Kind 'name'`, as messages name objects.
    pub fn display_name(&self) -> String {
        format!("{} '{}'", self.kind, self.name.as_deref().unwrap_or("?"))
    }
}

pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// The source every Flux installation creates for its own repository
/// (`flux bootstrap`, or a FluxInstance `spec.sync`).
/// The Secrets an object of `group`/`kind` makes in its own namespace,
/// by name: an External Secrets `ExternalSecret` (its `spec.target.name`,
/// else its own name), a Secrets Store CSI `SecretProviderClass` (each
/// `spec.secretObjects[].secretName`), a `SealedSecret` (its own name),
/// a `SopsSecret` (each `spec.secretTemplates[].name`). `object` is the
/// whole object as JSON; only these kinds are read.
pub fn secrets_made_by(group: &str, kind: &str, object: &serde_json::Value) -> Vec<String> {
    let text = |p: &str| object.pointer(p).and_then(|v| v.as_str()).map(String::from);
    let each = |list: &str, field: &str| -> Vec<String> {
        let items = object.pointer(list).and_then(|v| v.as_array());
        items
            .into_iter()
            .flatten()
            .filter_map(|i| i.get(field)?.as_str().map(String::from))
            .collect()
    };
    match (group, kind) {
        ("external-secrets.io", "ExternalSecret") => text("/spec/target/name")
            .or_else(|| text("/metadata/name"))
            .into_iter()
            .collect(),
        ("secrets-store.csi.x-k8s.io", "SecretProviderClass") => {
            each("/spec/secretObjects", "secretName")
        }
        ("bitnami.com", "SealedSecret") => text("/metadata/name").into_iter().collect(),
        ("isindir.github.com", "SopsSecret") => each("/spec/secretTemplates", "name"),
        _ => Vec::new(),
    }
}

/// Whether an object of `group`/`kind` may make Secrets
/// ([`secrets_made_by`]).
pub fn makes_secrets(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        ("external-secrets.io", "ExternalSecret")
            | ("secrets-store.csi.x-k8s.io", "SecretProviderClass")
            | ("bitnami.com", "SealedSecret")
            | ("isindir.github.com", "SopsSecret")
    )
}

pub const SELF_SOURCE: &str = "flux-system";

pub const SOURCE_GROUP: &str = "source.toolkit.fluxcd.io";
pub const KUSTOMIZE_GROUP: &str = "kustomize.toolkit.fluxcd.io";
pub const HELM_GROUP: &str = "helm.toolkit.fluxcd.io";
pub const IMAGE_GROUP: &str = "image.toolkit.fluxcd.io";
pub const OPERATOR_GROUP: &str = "fluxcd.controlplane.io";

/// Kinds whose objects run pods: they have a pod template (or are a Pod).
pub fn is_workload(meta: &ObjectMeta) -> bool {
    is_workload_kind(meta.group(), &meta.kind)
}

/// [`is_workload`], by group and kind.
pub fn is_workload_kind(group: &str, kind: &str) -> bool {
    let apps = matches!(group, "" | "apps" | "batch" | "extensions");
    apps && matches!(
        kind,
        "Pod" | "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob"
    )
}

/// The pod spec of a workload object, wherever its kind keeps it.
pub fn pod_spec<'d>(meta: &ObjectMeta, root: NodeRef<'d>) -> Option<NodeRef<'d>> {
    if !is_workload(meta) {
        return None;
    }
    match meta.kind.as_str() {
        "Pod" => root.get("spec"),
        "CronJob" => root.path(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => root.path(&["spec", "template", "spec"]),
    }
}

/// Every container of a pod spec: containers, init and ephemeral containers.
pub fn containers<'d>(pod_spec: NodeRef<'d>) -> impl Iterator<Item = NodeRef<'d>> + 'd {
    ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .filter_map(move |k| pod_spec.get(k))
        .flat_map(|list| list.items())
}

/// Flux sources: where Flux fetches artifacts from.
pub fn is_flux_source(meta: &ObjectMeta) -> bool {
    meta.group() == SOURCE_GROUP
        && matches!(
            meta.kind.as_str(),
            "GitRepository" | "OCIRepository" | "HelmRepository" | "Bucket"
        )
}

/// Flux appliers: what applies manifests to the cluster.
pub fn is_flux_applier(meta: &ObjectMeta) -> bool {
    meta.is(KUSTOMIZE_GROUP, "Kustomization") || meta.is(HELM_GROUP, "HelmRelease")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::LineIndex;

    fn doc(text: &str) -> Document {
        let mut s = crate::yaml::parse(text, &LineIndex::new(text));
        s.docs.remove(0)
    }

    #[test]
    fn reads_identity() {
        let d =
            doc("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n");
        let m = ObjectMeta::of(&d).unwrap();
        assert_eq!((m.group(), m.version()), ("apps", "v1"));
        assert_eq!(m.display_name(), "Deployment 'web'");
        assert!(is_workload(&m));
    }

    #[test]
    fn finds_every_container_of_a_cronjob() {
        let d = doc("apiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          initContainers: [{image: a}]\n          containers: [{image: b}, {image: c}]\n");
        let m = ObjectMeta::of(&d).unwrap();
        let spec = pod_spec(&m, d.root()).unwrap();
        let images: Vec<_> = containers(spec)
            .filter_map(|c| c.str_at(&["image"]))
            .collect();
        assert_eq!(images, ["a", "b", "c"]);
    }

    #[test]
    fn non_objects_have_no_identity() {
        assert!(ObjectMeta::of(&doc("image: {repository: x}\n")).is_none());
        assert!(ObjectMeta::of(&doc("- a\n")).is_none());
    }
}
