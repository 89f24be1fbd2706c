//! One rendered resource: its tree, the identity it was first read with,
//! and what the build still owes it (a generator's hash suffix).

use crate::base::ids::FileId;

use super::tree::Node;

/// A name and namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Id {
    pub name: String,
    pub namespace: Option<String>,
}

impl Id {
    /// The namespace as kustomize compares it: `default` when unset.
    pub fn effective_namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or("default")
    }
}

/// What a generator asks of the end of the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    /// Append the content hash to the name (unless
    /// `disableNameSuffixHash`).
    pub hash: bool,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub root: Node,
    /// Name and namespace as first read, before prefixes, suffixes,
    /// namespaces and hashes: what references to it name.
    pub original: Id,
    /// Set for a ConfigMap or Secret a generator made.
    pub generated: Option<Generated>,
    /// The file the resource was read from (the kustomization, for a
    /// generated one).
    pub file: FileId,
}

impl Resource {
    pub fn new(root: Node, file: FileId) -> Self {
        let original = Id {
            name: root.str_at(&["metadata", "name"]).unwrap_or("").to_string(),
            namespace: root
                .str_at(&["metadata", "namespace"])
                .filter(|n| !n.is_empty())
                .map(str::to_string),
        };
        Resource {
            root,
            original,
            generated: None,
            file,
        }
    }

    pub fn api_version(&self) -> &str {
        self.root.str_at(&["apiVersion"]).unwrap_or("")
    }

    pub fn kind(&self) -> &str {
        self.root.str_at(&["kind"]).unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.root.str_at(&["metadata", "name"]).unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.root
            .str_at(&["metadata", "namespace"])
            .filter(|n| !n.is_empty())
    }

    pub fn effective_namespace(&self) -> &str {
        self.namespace().unwrap_or("default")
    }

    /// (`apps`, `v1`) for `apps/v1`; (``, `v1`) for the core group.
    pub fn group_version(&self) -> (&str, &str) {
        split_api_version(self.api_version())
    }

    pub fn group(&self) -> &str {
        self.group_version().0
    }

    pub fn id(&self) -> Id {
        Id {
            name: self.name().to_string(),
            namespace: self.namespace().map(str::to_string),
        }
    }

    /// Whether the API server keeps this kind outside namespaces. Unknown
    /// kinds (custom resources) are namespaced, as kustomize assumes.
    pub fn is_cluster_scoped(&self) -> bool {
        is_cluster_scoped(self.group(), self.kind())
    }

    /// `Deployment apps/v1 team/web`, as errors name a resource.
    pub fn describe(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{} '{}/{}'", self.kind(), ns, self.name()),
            None => format!("{} '{}'", self.kind(), self.name()),
        }
    }
}

pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// The built-in cluster-scoped kinds, by group.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("storage.k8s.io", "VolumeAttributesClass"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("node.k8s.io", "RuntimeClass"),
    ("policy", "PodSecurityPolicy"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicyBinding",
    ),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("resource.k8s.io", "DeviceClass"),
    ("resource.k8s.io", "ResourceSlice"),
    ("authentication.k8s.io", "TokenReview"),
    ("authorization.k8s.io", "SelfSubjectAccessReview"),
    ("authorization.k8s.io", "SelfSubjectRulesReview"),
    ("authorization.k8s.io", "SubjectAccessReview"),
];

pub fn is_cluster_scoped(group: &str, kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&(group, kind))
}
