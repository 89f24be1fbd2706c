//! Where kustomize's transformers write: its field specs (the kinds and
//! paths each built-in transformer touches), and a walk that reaches them.
//!
//! A path is `/`-separated; `name[]` and any list met on the way are walked
//! element by element; `\/` is a `/` inside one key (an annotation name).

use std::borrow::Cow;

use super::resource::Resource;
use super::tree::{Node, Origin};

/// One place a transformer writes. Empty group, version or kind match any.
///
/// The built-in specs are static; a kustomization's `configurations` add
/// specs read from a file.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub group: Cow<'static, str>,
    pub version: Cow<'static, str>,
    pub kind: Cow<'static, str>,
    pub path: Cow<'static, str>,
    /// Create the path when it is missing.
    pub create: bool,
}

const fn spec(
    group: &'static str,
    kind: &'static str,
    path: &'static str,
    create: bool,
) -> FieldSpec {
    FieldSpec {
        group: Cow::Borrowed(group),
        version: Cow::Borrowed(""),
        kind: Cow::Borrowed(kind),
        path: Cow::Borrowed(path),
        create,
    }
}

impl FieldSpec {
    pub fn selects(&self, r: &Kind<'_>) -> bool {
        (self.group.is_empty() || self.group == r.group)
            && (self.version.is_empty() || self.version == r.version)
            && (self.kind.is_empty() || self.kind == r.kind)
    }
}

/// A resource's group, version and kind, read once for all the field
/// specs matched against it (reading them for each spec was 2.4% of a
/// run's instructions, callgrind).
pub struct Kind<'r> {
    pub group: &'r str,
    pub version: &'r str,
    pub kind: &'r str,
}

impl<'r> Kind<'r> {
    pub fn of(r: &'r Resource) -> Self {
        let (group, version) = r.group_version();
        Kind {
            group,
            version,
            kind: r.kind(),
        }
    }
}

/// The workload kinds whose pod template carries labels and annotations.
const TEMPLATES: &[(&str, &str, &str)] = &[
    ("", "ReplicationController", "spec/template/metadata"),
    ("", "Deployment", "spec/template/metadata"),
    ("", "ReplicaSet", "spec/template/metadata"),
    ("", "DaemonSet", "spec/template/metadata"),
    ("apps", "StatefulSet", "spec/template/metadata"),
    ("batch", "Job", "spec/template/metadata"),
    ("batch", "CronJob", "spec/jobTemplate/metadata"),
    (
        "batch",
        "CronJob",
        "spec/jobTemplate/spec/template/metadata",
    ),
];

/// Where `commonAnnotations` go: the object and its templates, as (which
/// resources, path) pairs.
pub fn annotation_specs() -> Vec<(FieldSpec, String)> {
    let mut out = vec![(spec("", "", "", true), "metadata/annotations".to_string())];
    for (group, kind, meta) in TEMPLATES {
        out.push((spec(group, kind, "", true), format!("{meta}/annotations")));
    }
    out
}

/// Where labels go: the object; its templates (`includeTemplates`); its
/// volume claim templates (`includeVolumeClaimTemplates`); all of these
/// and the selectors (`commonLabels`, `includeSelectors`).
pub fn label_specs(templates: bool, selectors: bool, claims: bool) -> Vec<(FieldSpec, String)> {
    let mut out = vec![(spec("", "", "", true), "metadata/labels".to_string())];
    if templates || selectors {
        for (group, kind, meta) in TEMPLATES {
            out.push((spec(group, kind, "", true), format!("{meta}/labels")));
        }
    }
    if claims || selectors {
        let path = "spec/volumeClaimTemplates[]/metadata/labels";
        out.push((spec("apps", "StatefulSet", path, true), path.to_string()));
    }
    if selectors {
        out.extend(
            SELECTOR_SPECS
                .iter()
                .map(|s| (s.clone(), s.path.to_string())),
        );
        for kind in ["Deployment", "StatefulSet"] {
            for affinity in AFFINITY_SELECTORS {
                out.push((spec("apps", kind, affinity, false), affinity.to_string()));
            }
        }
    }
    out
}

const SELECTOR_SPECS: &[FieldSpec] = &[
    FieldSpec {
        group: Cow::Borrowed(""),
        version: Cow::Borrowed("v1"),
        kind: Cow::Borrowed("Service"),
        path: Cow::Borrowed("spec/selector"),
        create: true,
    },
    FieldSpec {
        group: Cow::Borrowed(""),
        version: Cow::Borrowed("v1"),
        kind: Cow::Borrowed("ReplicationController"),
        path: Cow::Borrowed("spec/selector"),
        create: true,
    },
    spec("", "Deployment", "spec/selector/matchLabels", true),
    spec("", "ReplicaSet", "spec/selector/matchLabels", true),
    spec("", "DaemonSet", "spec/selector/matchLabels", true),
    spec("apps", "StatefulSet", "spec/selector/matchLabels", true),
    spec("batch", "Job", "spec/selector/matchLabels", false),
    spec(
        "batch",
        "CronJob",
        "spec/jobTemplate/spec/selector/matchLabels",
        false,
    ),
    spec(
        "policy",
        "PodDisruptionBudget",
        "spec/selector/matchLabels",
        false,
    ),
    spec(
        "networking.k8s.io",
        "NetworkPolicy",
        "spec/podSelector/matchLabels",
        false,
    ),
    spec(
        "networking.k8s.io",
        "NetworkPolicy",
        "spec/ingress/from/podSelector/matchLabels",
        false,
    ),
    spec(
        "networking.k8s.io",
        "NetworkPolicy",
        "spec/egress/to/podSelector/matchLabels",
        false,
    ),
];

const AFFINITY_SELECTORS: &[&str] = &[
    "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
];

/// Where `images` look, besides every `containers` and `initContainers`
/// list anywhere in the object.
pub const IMAGE_PATHS: &[&str] = &[
    "spec/volumes[]/image/reference",
    "spec/template/spec/volumes[]/image/reference",
];

/// The kinds `replicas` sets `spec/replicas` on.
pub const REPLICA_KINDS: &[&str] = &[
    "Deployment",
    "ReplicationController",
    "ReplicaSet",
    "StatefulSet",
];

/// The pod specs of the workload kinds, for the references inside them.
const POD_SPECS: &[(&str, &str, &str)] = &[
    ("", "Pod", "spec"),
    ("", "PodTemplate", "template/spec"),
    ("", "Deployment", "spec/template/spec"),
    ("", "ReplicaSet", "spec/template/spec"),
    ("", "DaemonSet", "spec/template/spec"),
    ("", "StatefulSet", "spec/template/spec"),
    ("", "Job", "spec/template/spec"),
    ("", "CronJob", "spec/jobTemplate/spec/template/spec"),
];

const CONFIGMAP_IN_POD: &[&str] = &[
    "volumes/configMap/name",
    "containers/env/valueFrom/configMapKeyRef/name",
    "initContainers/env/valueFrom/configMapKeyRef/name",
    "containers/envFrom/configMapRef/name",
    "initContainers/envFrom/configMapRef/name",
    "volumes/projected/sources/configMap/name",
];

const SECRET_IN_POD: &[&str] = &[
    "volumes/secret/secretName",
    "containers/env/valueFrom/secretKeyRef/name",
    "initContainers/env/valueFrom/secretKeyRef/name",
    "containers/envFrom/secretRef/name",
    "initContainers/envFrom/secretRef/name",
    "imagePullSecrets/name",
    "volumes/projected/sources/secret/name",
];

/// Paths inside a pod spec that name an object of `target`, and whether
/// ReplicationController's pod template counts (it does for some).
const POD_REFS: &[(&str, &[&str], bool)] = &[
    ("ConfigMap", CONFIGMAP_IN_POD, false),
    ("Secret", SECRET_IN_POD, false),
    ("ServiceAccount", &["serviceAccountName"], true),
    (
        "PersistentVolumeClaim",
        &["volumes/persistentVolumeClaim/claimName"],
        true,
    ),
    ("PriorityClass", &["priorityClassName"], true),
];

/// References outside pod specs: (target kind, referrer group, referrer
/// kind, path).
const OTHER_REFS: &[(&str, &str, &str, &str)] = &[
    (
        "Deployment",
        "",
        "HorizontalPodAutoscaler",
        "spec/scaleTargetRef/name",
    ),
    (
        "ReplicaSet",
        "",
        "HorizontalPodAutoscaler",
        "spec/scaleTargetRef/name",
    ),
    (
        "StatefulSet",
        "",
        "HorizontalPodAutoscaler",
        "spec/scaleTargetRef/name",
    ),
    (
        "ReplicationController",
        "",
        "HorizontalPodAutoscaler",
        "spec/scaleTargetRef/name",
    ),
    ("ConfigMap", "", "Role", "rules/resourceNames"),
    ("ConfigMap", "", "ClusterRole", "rules/resourceNames"),
    ("Secret", "", "Ingress", "spec/tls/secretName"),
    ("Secret", "", "ServiceAccount", "imagePullSecrets/name"),
    ("Secret", "", "Role", "rules/resourceNames"),
    ("Secret", "", "ClusterRole", "rules/resourceNames"),
    ("Secret", "", "StorageClass", "parameters/secretName"),
    (
        "Secret",
        "",
        "PersistentVolume",
        "spec/azureFile/secretName",
    ),
    ("Service", "apps", "StatefulSet", "spec/serviceName"),
    (
        "Service",
        "",
        "Ingress",
        "spec/rules/http/paths/backend/serviceName",
    ),
    ("Service", "", "Ingress", "spec/backend/serviceName"),
    (
        "Service",
        "",
        "Ingress",
        "spec/rules/http/paths/backend/service/name",
    ),
    ("Service", "", "Ingress", "spec/defaultBackend/service/name"),
    (
        "Service",
        "apiregistration.k8s.io",
        "APIService",
        "spec/service/name",
    ),
    (
        "Role",
        "rbac.authorization.k8s.io",
        "RoleBinding",
        "roleRef/name",
    ),
    (
        "ClusterRole",
        "rbac.authorization.k8s.io",
        "RoleBinding",
        "roleRef/name",
    ),
    (
        "ClusterRole",
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        "roleRef/name",
    ),
    (
        "PersistentVolume",
        "",
        "PersistentVolumeClaim",
        "spec/volumeName",
    ),
    (
        "StorageClass",
        "",
        "PersistentVolume",
        "spec/storageClassName",
    ),
    (
        "StorageClass",
        "",
        "PersistentVolumeClaim",
        "spec/storageClassName",
    ),
    (
        "StorageClass",
        "",
        "StatefulSet",
        "spec/volumeClaimTemplates/spec/storageClassName",
    ),
    ("IngressClass", "", "Ingress", "spec/ingressClassName"),
    (
        "ValidatingAdmissionPolicy",
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
        "spec/policyName",
    ),
];

/// Every place that names an object of kind `target`, as (referrer spec,
/// full path) pairs.
pub fn name_references(target: &str) -> Vec<(FieldSpec, String)> {
    let mut out = Vec::new();
    for (kind, paths, with_rc) in POD_REFS.iter().filter(|(k, ..)| *k == target) {
        let _ = kind;
        let pods = POD_SPECS.iter().copied().chain(with_rc.then_some((
            "",
            "ReplicationController",
            "spec/template/spec",
        )));
        for (group, workload, prefix) in pods {
            if *with_rc && matches!(workload, "ReplicaSet" | "PodTemplate") {
                continue;
            }
            for path in *paths {
                out.push((spec(group, workload, "", false), format!("{prefix}/{path}")));
            }
        }
    }
    for (_, group, kind, path) in OTHER_REFS.iter().filter(|(t, ..)| *t == target) {
        out.push((spec(group, kind, "", false), path.to_string()));
    }
    out
}

/// The segments of a field-spec path (`a/b\/c` → `a`, `b/c`).
pub fn segments(path: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'/') => {
                chars.next();
                out.last_mut().expect("never empty").push('/');
            }
            '/' => out.push(String::new()),
            c => out.last_mut().expect("never empty").push(c),
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Calls `f` with the mapping holding the last segment of `path` and that
/// segment, for every match (lists are walked). With `create`, missing
/// mappings on the way are made (with `origin`).
pub fn visit(
    node: &mut Node,
    path: &[String],
    create: bool,
    origin: Origin,
    f: &mut dyn FnMut(&mut Node, &str),
) {
    if node.is_seq() {
        for item in node.items_mut() {
            visit(item, path, create, origin, f);
        }
        return;
    }
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let (key, each) = match first.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (first.as_str(), false),
    };
    if rest.is_empty() && !each {
        if node.is_map() || (create && node.is_null()) {
            f(node, key);
        }
        return;
    }
    if !node.is_map() {
        if !(create && node.is_null()) {
            return;
        }
        *node = Node::map(origin);
    }
    let child = match node.get_mut(key) {
        Some(child) if !child.is_null() => child,
        _ if create && !each => node.child_map(key, origin),
        _ => return,
    };
    visit(child, rest, create, origin, f);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_escaped_slashes() {
        assert_eq!(
            segments("metadata/annotations/a.io\\/b"),
            ["metadata", "annotations", "a.io/b"]
        );
    }

    #[test]
    fn lists_the_references_to_a_config_map() {
        let refs = name_references("ConfigMap");
        assert!(refs.iter().any(|(s, p)| s.kind == "CronJob"
            && p == "spec/jobTemplate/spec/template/spec/containers/envFrom/configMapRef/name"));
        let sa = name_references("ServiceAccount");
        assert!(sa.iter().any(|(s, _)| s.kind == "ReplicationController"));
        assert!(!sa.iter().any(|(s, _)| s.kind == "ReplicaSet"));
    }
}
