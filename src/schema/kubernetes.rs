//! Strict JSON Schemas of the Kubernetes built-in API types, embedded in the
//! binary, plus the table of removed API versions used by `deprecated-api`.
//!
//! The data comes from `schemas/kubernetes/k8s-1.XX.json.gz`, produced by
//! `scripts/pack-kubernetes-schemas.py` from the PyPI package
//! `kubernetes-validate` (see `schemas/kubernetes/SOURCE.md`). Each file is a
//! gzip'd JSON document
//!
//! ```json
//! {"kubernetes": "1.33",
//!  "index": [["apps/v1", "Deployment", "io.k8s.api.apps.v1.Deployment"], ...],
//!  "$defs": {"io.k8s.api.apps.v1.Deployment": {...}, ...}}
//! ```
//!
//! Objects are strict (`additionalProperties: false`), `description`s are
//! stripped, and every `$ref` is local (`#/$defs/NAME`). A version is only
//! decompressed and parsed the first time [`load`] asks for it.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

/// Kubernetes minor versions whose schemas are embedded, oldest first.
pub const VERSIONS: &[&str] = &["1.31", "1.32", "1.33", "1.34", "1.35"];

/// The version used when the user does not pick one: a version every AKS
/// region offers as generally available.
pub const DEFAULT_VERSION: &str = "1.33";

/// The draft the embedded schemas are written in.
pub const SCHEMA_DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

const PACKED: [&[u8]; VERSIONS.len()] = [
    include_bytes!("../../schemas/kubernetes/k8s-1.31.json.gz"),
    include_bytes!("../../schemas/kubernetes/k8s-1.32.json.gz"),
    include_bytes!("../../schemas/kubernetes/k8s-1.33.json.gz"),
    include_bytes!("../../schemas/kubernetes/k8s-1.34.json.gz"),
    include_bytes!("../../schemas/kubernetes/k8s-1.35.json.gz"),
];

/// Hard cap on the decompressed size of one embedded file (they are ~330 KB).
const MAX_UNPACKED: u64 = 16 * 1024 * 1024;

/// Maps a user-supplied version (`1.33`, `v1.33`, `1.33.4`, `v1.33.0`) to the
/// embedded minor version, if there is one.
pub fn resolve_version(version: &str) -> Option<&'static str> {
    let v = version.trim();
    let v = v.strip_prefix('v').unwrap_or(v);
    // Drop a pre-release/build suffix such as `-aks.1` or `+build`.
    let v = v.split(['-', '+']).next().unwrap_or(v);
    let mut parts = v.split('.');
    let major = parts.next()?;
    let minor = parts.next()?;
    // Anything after the minor must be a single patch number.
    if let Some(patch) = parts.next() {
        if patch.is_empty() || !patch.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if parts.next().is_some() {
            return None;
        }
    }
    VERSIONS.iter().copied().find(|known| {
        let mut k = known.split('.');
        k.next() == Some(major) && k.next() == Some(minor)
    })
}

/// Error raised when embedded data cannot be decoded or a validator cannot be
/// built from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError(String);

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SchemaError {}

/// The built-in schemas of one Kubernetes minor version.
pub struct KubeSchemas {
    version: &'static str,
    /// `{"$schema": ..., "$defs": {...}}`
    document: Value,
    /// apiVersion -> kind -> definition name.
    index: BTreeMap<String, BTreeMap<String, String>>,
    /// Registry holding `document` under [`KubeSchemas::base_uri`], built on
    /// first use by [`KubeSchemas::validator_for`].
    registry: OnceLock<Result<jsonschema::Registry<'static>, SchemaError>>,
}

impl fmt::Debug for KubeSchemas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KubeSchemas")
            .field("version", &self.version)
            .field(
                "kinds",
                &self.index.values().map(BTreeMap::len).sum::<usize>(),
            )
            .finish_non_exhaustive()
    }
}

/// Returns the schemas of an embedded version (see [`resolve_version`] for
/// the accepted spellings), decoding them on first use and caching them for
/// the life of the process. `None` for a version that is not embedded.
pub fn load(version: &str) -> Option<Arc<KubeSchemas>> {
    try_load(version).ok().flatten()
}

/// Like [`load`], but reports a decoding failure of the embedded data (which
/// the unit tests rule out) instead of folding it into `None`.
pub fn try_load(version: &str) -> Result<Option<Arc<KubeSchemas>>, SchemaError> {
    static CACHE: [OnceLock<Result<Arc<KubeSchemas>, SchemaError>>; VERSIONS.len()] =
        [const { OnceLock::new() }; VERSIONS.len()];
    let Some(version) = resolve_version(version) else {
        return Ok(None);
    };
    let Some(slot) = VERSIONS.iter().position(|v| *v == version) else {
        return Ok(None);
    };
    let (Some(cell), Some(bytes)) = (CACHE.get(slot), PACKED.get(slot)) else {
        return Ok(None);
    };
    cell.get_or_init(|| decode(version, bytes).map(Arc::new))
        .clone()
        .map(Some)
}

fn decode(version: &'static str, packed: &[u8]) -> Result<KubeSchemas, SchemaError> {
    let mut json = Vec::with_capacity(packed.len() * 16);
    flate2::read::GzDecoder::new(packed)
        .take(MAX_UNPACKED)
        .read_to_end(&mut json)
        .map_err(|e| SchemaError(format!("kubernetes {version}: bad gzip data: {e}")))?;
    let root: Value = serde_json::from_slice(&json)
        .map_err(|e| SchemaError(format!("kubernetes {version}: bad JSON: {e}")))?;
    let Value::Object(mut root) = root else {
        return Err(SchemaError(format!(
            "kubernetes {version}: root is not an object"
        )));
    };
    if root.get("kubernetes").and_then(Value::as_str) != Some(version) {
        return Err(SchemaError(format!(
            "kubernetes {version}: packed file is for another version"
        )));
    }
    let defs = match root.remove("$defs") {
        Some(defs @ Value::Object(_)) => defs,
        _ => return Err(SchemaError(format!("kubernetes {version}: missing $defs"))),
    };
    let mut index: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let entries = match root.remove("index") {
        Some(Value::Array(entries)) => entries,
        _ => return Err(SchemaError(format!("kubernetes {version}: missing index"))),
    };
    for entry in entries {
        let triple = match &entry {
            Value::Array(items) => match items.as_slice() {
                [Value::String(a), Value::String(k), Value::String(d)] => Some((a, k, d)),
                _ => None,
            },
            _ => None,
        };
        let Some((api_version, kind, def)) = triple else {
            return Err(SchemaError(format!(
                "kubernetes {version}: bad index entry {entry}"
            )));
        };
        if defs.get(def).is_none() {
            return Err(SchemaError(format!(
                "kubernetes {version}: index names unknown definition {def}"
            )));
        }
        index
            .entry(api_version.clone())
            .or_default()
            .insert(kind.clone(), def.clone());
    }
    let mut document = Map::with_capacity(2);
    document.insert("$schema".to_owned(), Value::String(SCHEMA_DRAFT.to_owned()));
    document.insert("$defs".to_owned(), defs);
    Ok(KubeSchemas {
        version,
        document: Value::Object(document),
        index,
        registry: OnceLock::new(),
    })
}

impl KubeSchemas {
    /// The Kubernetes minor version, e.g. `"1.33"`.
    pub fn version(&self) -> &'static str {
        self.version
    }

    /// The whole schema document: `{"$schema": <2020-12>, "$defs": {NAME: schema}}`,
    /// with every `$ref` in the local form `#/$defs/NAME`.
    pub fn definitions(&self) -> &Value {
        &self.document
    }

    /// One definition's schema by name, e.g. `io.k8s.api.core.v1.Container`.
    pub fn definition(&self, name: &str) -> Option<&Value> {
        self.document.get("$defs")?.get(name)
    }

    /// The definition name for a manifest's `apiVersion` and `kind`, e.g.
    /// `("apps/v1", "Deployment")` -> `io.k8s.api.apps.v1.Deployment`. The core
    /// group is spelled `v1`.
    pub fn definition_for(&self, api_version: &str, kind: &str) -> Option<&str> {
        self.index.get(api_version)?.get(kind).map(String::as_str)
    }

    /// Every `(apiVersion, kind)` this version knows, sorted. Includes
    /// non-manifest kinds such as `Status` or `TokenReview`, and `...List`s.
    pub fn kinds(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.index.iter().flat_map(|(api_version, kinds)| {
            kinds
                .keys()
                .map(move |kind| (api_version.as_str(), kind.as_str()))
        })
    }

    /// Whether any built-in kind is served under this `apiVersion`.
    pub fn has_api_version(&self, api_version: &str) -> bool {
        self.index.contains_key(api_version)
    }

    /// The URI under which [`KubeSchemas::registry`] holds the document, e.g.
    /// `urn:gitops-lint:kubernetes:1.33`.
    pub fn base_uri(&self) -> String {
        format!("urn:gitops-lint:kubernetes:{}", self.version)
    }

    /// A `$ref` to a definition that resolves through [`KubeSchemas::registry`].
    pub fn ref_uri(&self, definition: &str) -> String {
        format!("{}#/$defs/{}", self.base_uri(), definition)
    }

    /// A prepared `jsonschema` registry holding [`KubeSchemas::definitions`]
    /// under [`KubeSchemas::base_uri`]; built once, on first use.
    pub fn registry(&self) -> Result<&jsonschema::Registry<'static>, SchemaError> {
        self.registry
            .get_or_init(|| {
                jsonschema::Registry::new()
                    .add(self.base_uri(), self.document.clone())
                    .and_then(jsonschema::RegistryBuilder::prepare)
                    .map_err(|e| SchemaError(format!("kubernetes {}: registry: {e}", self.version)))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Builds a strict validator for a definition name (see
    /// [`KubeSchemas::definition_for`]).
    pub fn validator_for_definition(
        &self,
        definition: &str,
    ) -> Result<jsonschema::Validator, SchemaError> {
        if self.definition(definition).is_none() {
            return Err(SchemaError(format!(
                "kubernetes {}: no definition {definition}",
                self.version
            )));
        }
        let registry = self.registry()?;
        let root = serde_json::json!({
            "$schema": SCHEMA_DRAFT,
            "$ref": self.ref_uri(definition),
        });
        jsonschema::options()
            .with_registry(registry)
            .build(&root)
            .map_err(|e| {
                SchemaError(format!(
                    "kubernetes {}: validator for {definition}: {e}",
                    self.version
                ))
            })
    }

    /// Builds a strict validator for a manifest's `apiVersion`/`kind`;
    /// `None` when this version has no such built-in kind. Validators are not
    /// cached here: callers that validate many manifests should keep them.
    pub fn validator_for(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Option<Result<jsonschema::Validator, SchemaError>> {
        let definition = self.definition_for(api_version, kind)?;
        Some(self.validator_for_definition(definition))
    }
}

/// A built-in `apiVersion`/`kind` that Kubernetes stopped serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemovedApi {
    pub api_version: &'static str,
    pub kind: &'static str,
    /// The first Kubernetes minor version that no longer serves it.
    pub removed_in: &'static str,
    /// The `apiVersion` to migrate to today (same `kind`; served by the newest
    /// embedded release), or `None` when there is no direct replacement (e.g. PodSecurityPolicy, renamed alpha kinds).
    pub replacement: Option<&'static str>,
}

const fn gone(
    api_version: &'static str,
    kind: &'static str,
    removed_in: &'static str,
    replacement: Option<&'static str>,
) -> RemovedApi {
    RemovedApi {
        api_version,
        kind,
        removed_in,
        replacement,
    }
}

const APPS: Option<&str> = Some("apps/v1");
const RBAC: Option<&str> = Some("rbac.authorization.k8s.io/v1");
const AUTHZ: Option<&str> = Some("authorization.k8s.io/v1");
const STORAGE: Option<&str> = Some("storage.k8s.io/v1");
const FLOW: Option<&str> = Some("flowcontrol.apiserver.k8s.io/v1");
const RESOURCE: Option<&str> = Some("resource.k8s.io/v1");

/// Built-in APIs removed from Kubernetes up to 1.35, from the Kubernetes
/// deprecated API migration guide (1.16, 1.22, 1.25, 1.26, 1.27, 1.29, 1.32)
/// and, for the rest, from diffing the OpenAPI definitions of consecutive
/// releases (the 1.26+ entries are all confirmed that way). `...List` kinds
/// are covered by [`removed_api`]. Sorted by `removed_in`.
#[rustfmt::skip]
pub const REMOVED_APIS: &[RemovedApi] = &[
    // 1.16: extensions/v1beta1 workloads, apps/v1beta1, apps/v1beta2.
    gone("extensions/v1beta1", "DaemonSet", "1.16", APPS),
    gone("extensions/v1beta1", "Deployment", "1.16", APPS),
    gone("extensions/v1beta1", "ReplicaSet", "1.16", APPS),
    gone("extensions/v1beta1", "NetworkPolicy", "1.16", Some("networking.k8s.io/v1")),
    gone("extensions/v1beta1", "PodSecurityPolicy", "1.16", None),
    gone("apps/v1beta1", "Deployment", "1.16", APPS),
    gone("apps/v1beta1", "StatefulSet", "1.16", APPS),
    gone("apps/v1beta1", "ReplicaSet", "1.16", APPS),
    gone("apps/v1beta1", "ControllerRevision", "1.16", APPS),
    gone("apps/v1beta2", "DaemonSet", "1.16", APPS),
    gone("apps/v1beta2", "Deployment", "1.16", APPS),
    gone("apps/v1beta2", "StatefulSet", "1.16", APPS),
    gone("apps/v1beta2", "ReplicaSet", "1.16", APPS),
    gone("apps/v1beta2", "ControllerRevision", "1.16", APPS),
    // 1.22: the big v1beta1 clean-up.
    gone("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration", "1.22", Some("admissionregistration.k8s.io/v1")),
    gone("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration", "1.22", Some("admissionregistration.k8s.io/v1")),
    gone("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "1.22", Some("apiextensions.k8s.io/v1")),
    gone("apiregistration.k8s.io/v1beta1", "APIService", "1.22", Some("apiregistration.k8s.io/v1")),
    gone("authentication.k8s.io/v1beta1", "TokenReview", "1.22", Some("authentication.k8s.io/v1")),
    gone("authorization.k8s.io/v1beta1", "LocalSubjectAccessReview", "1.22", AUTHZ),
    gone("authorization.k8s.io/v1beta1", "SelfSubjectAccessReview", "1.22", AUTHZ),
    gone("authorization.k8s.io/v1beta1", "SelfSubjectRulesReview", "1.22", AUTHZ),
    gone("authorization.k8s.io/v1beta1", "SubjectAccessReview", "1.22", AUTHZ),
    gone("certificates.k8s.io/v1beta1", "CertificateSigningRequest", "1.22", Some("certificates.k8s.io/v1")),
    gone("coordination.k8s.io/v1beta1", "Lease", "1.22", Some("coordination.k8s.io/v1")),
    gone("extensions/v1beta1", "Ingress", "1.22", Some("networking.k8s.io/v1")),
    gone("networking.k8s.io/v1beta1", "Ingress", "1.22", Some("networking.k8s.io/v1")),
    gone("networking.k8s.io/v1beta1", "IngressClass", "1.22", Some("networking.k8s.io/v1")),
    gone("rbac.authorization.k8s.io/v1beta1", "ClusterRole", "1.22", RBAC),
    gone("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding", "1.22", RBAC),
    gone("rbac.authorization.k8s.io/v1beta1", "Role", "1.22", RBAC),
    gone("rbac.authorization.k8s.io/v1beta1", "RoleBinding", "1.22", RBAC),
    gone("scheduling.k8s.io/v1beta1", "PriorityClass", "1.22", Some("scheduling.k8s.io/v1")),
    gone("storage.k8s.io/v1beta1", "CSIDriver", "1.22", STORAGE),
    gone("storage.k8s.io/v1beta1", "CSINode", "1.22", STORAGE),
    gone("storage.k8s.io/v1beta1", "StorageClass", "1.22", STORAGE),
    gone("storage.k8s.io/v1beta1", "VolumeAttachment", "1.22", STORAGE),
    // 1.25
    gone("batch/v1beta1", "CronJob", "1.25", Some("batch/v1")),
    gone("discovery.k8s.io/v1beta1", "EndpointSlice", "1.25", Some("discovery.k8s.io/v1")),
    gone("events.k8s.io/v1beta1", "Event", "1.25", Some("events.k8s.io/v1")),
    gone("autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.25", Some("autoscaling/v2")),
    gone("policy/v1beta1", "PodDisruptionBudget", "1.25", Some("policy/v1")),
    gone("policy/v1beta1", "PodSecurityPolicy", "1.25", None),
    gone("node.k8s.io/v1beta1", "RuntimeClass", "1.25", Some("node.k8s.io/v1")),
    // 1.26
    gone("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.26", Some("autoscaling/v2")),
    gone("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", "1.26", FLOW),
    gone("flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration", "1.26", FLOW),
    // 1.27
    gone("storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.27", STORAGE),
    gone("resource.k8s.io/v1alpha1", "ResourceClaim", "1.27", RESOURCE),
    gone("resource.k8s.io/v1alpha1", "ResourceClaimTemplate", "1.27", RESOURCE),
    gone("resource.k8s.io/v1alpha1", "ResourceClass", "1.27", None),
    gone("resource.k8s.io/v1alpha1", "PodScheduling", "1.27", None),
    // 1.29
    gone("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", "1.29", FLOW),
    gone("flowcontrol.apiserver.k8s.io/v1beta2", "PriorityLevelConfiguration", "1.29", FLOW),
    gone("networking.k8s.io/v1alpha1", "ClusterCIDR", "1.29", None),
    // 1.31
    gone("networking.k8s.io/v1alpha1", "IPAddress", "1.31", Some("networking.k8s.io/v1")),
    gone("networking.k8s.io/v1alpha1", "ServiceCIDR", "1.31", Some("networking.k8s.io/v1")),
    gone("resource.k8s.io/v1alpha2", "ResourceClaim", "1.31", RESOURCE),
    gone("resource.k8s.io/v1alpha2", "ResourceClaimTemplate", "1.31", RESOURCE),
    gone("resource.k8s.io/v1alpha2", "ResourceSlice", "1.31", RESOURCE),
    gone("resource.k8s.io/v1alpha2", "ResourceClass", "1.31", None),
    gone("resource.k8s.io/v1alpha2", "ResourceClaimParameters", "1.31", None),
    gone("resource.k8s.io/v1alpha2", "ResourceClassParameters", "1.31", None),
    gone("resource.k8s.io/v1alpha2", "PodSchedulingContext", "1.31", None),
    // 1.32
    gone("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "1.32", FLOW),
    gone("flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration", "1.32", FLOW),
    gone("admissionregistration.k8s.io/v1alpha1", "ValidatingAdmissionPolicy", "1.32", Some("admissionregistration.k8s.io/v1")),
    gone("admissionregistration.k8s.io/v1alpha1", "ValidatingAdmissionPolicyBinding", "1.32", Some("admissionregistration.k8s.io/v1")),
    gone("authentication.k8s.io/v1alpha1", "SelfSubjectReview", "1.32", Some("authentication.k8s.io/v1")),
    gone("coordination.k8s.io/v1alpha1", "LeaseCandidate", "1.32", Some("coordination.k8s.io/v1beta1")),
    gone("resource.k8s.io/v1alpha3", "PodSchedulingContext", "1.32", None),
    // 1.33
    gone("authentication.k8s.io/v1beta1", "SelfSubjectReview", "1.33", Some("authentication.k8s.io/v1")),
    // 1.34
    gone("admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicy", "1.34", Some("admissionregistration.k8s.io/v1")),
    gone("admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicyBinding", "1.34", Some("admissionregistration.k8s.io/v1")),
    gone("resource.k8s.io/v1alpha3", "DeviceClass", "1.34", RESOURCE),
    gone("resource.k8s.io/v1alpha3", "ResourceClaim", "1.34", RESOURCE),
    gone("resource.k8s.io/v1alpha3", "ResourceClaimTemplate", "1.34", RESOURCE),
    gone("resource.k8s.io/v1alpha3", "ResourceSlice", "1.34", RESOURCE),
    // 1.35
    gone("certificates.k8s.io/v1alpha1", "PodCertificateRequest", "1.35", Some("certificates.k8s.io/v1beta1")),
    gone("storage.k8s.io/v1alpha1", "VolumeAttributesClass", "1.35", STORAGE),
    gone("storagemigration.k8s.io/v1alpha1", "StorageVersionMigration", "1.35", Some("storagemigration.k8s.io/v1beta1")),
];

/// Looks up a removed built-in API. `FooList` kinds match the entry of `Foo`.
/// The result does not depend on a target version: compare `removed_in`
/// yourself, or use [`removed_api_in`].
pub fn removed_api(api_version: &str, kind: &str) -> Option<&'static RemovedApi> {
    let find = |kind: &str| {
        REMOVED_APIS
            .iter()
            .find(|r| r.api_version == api_version && r.kind == kind)
    };
    find(kind).or_else(|| find(kind.strip_suffix("List")?))
}

/// Like [`removed_api`], but only when the API is already removed in
/// `version` (any spelling [`resolve_version`]-style: `1.29`, `v1.29.3`).
/// Returns `None` for a version it cannot parse.
pub fn removed_api_in(version: &str, api_version: &str, kind: &str) -> Option<&'static RemovedApi> {
    let target = minor_of(version)?;
    removed_api(api_version, kind).filter(|r| minor_of(r.removed_in).is_some_and(|m| m <= target))
}

/// `"v1.29.3"` -> `(1, 29)`.
fn minor_of(version: &str) -> Option<(u32, u32)> {
    let v = version.trim();
    let v = v.strip_prefix('v').unwrap_or(v);
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.split(['-', '+']).next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Instant;

    fn all() -> Vec<Arc<KubeSchemas>> {
        VERSIONS
            .iter()
            .map(|v| match try_load(v) {
                Ok(Some(s)) => s,
                other => panic!("{v}: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn every_version_loads_and_is_cached() {
        assert_eq!(VERSIONS.len(), PACKED.len());
        assert!(VERSIONS.contains(&DEFAULT_VERSION));
        for s in all() {
            let again = load(&format!("v{}.0", s.version())).expect("cached");
            assert!(Arc::ptr_eq(&s, &again));
            assert!(s.kinds().count() > 150, "{}", s.version());
        }
        assert!(load("1.30").is_none());
        assert!(load("banana").is_none());
        assert!(load("1.3").is_none());
    }

    #[test]
    fn shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<KubeSchemas>();
        assert_send_sync::<RemovedApi>();
        let handles: Vec<_> = (0..2)
            .map(|_| std::thread::spawn(|| load("1.32").map(|s| Arc::as_ptr(&s) as usize)))
            .collect();
        let ptrs: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect();
        assert!(ptrs[0].is_some() && ptrs[0] == ptrs[1]);
    }

    #[test]
    fn resolves_version_spellings() {
        assert_eq!(resolve_version("1.33"), Some("1.33"));
        assert_eq!(resolve_version(" v1.33 "), Some("1.33"));
        assert_eq!(resolve_version("1.33.4"), Some("1.33"));
        assert_eq!(resolve_version("v1.34.0-aks.1"), Some("1.34"));
        assert_eq!(resolve_version("1.33.x"), None);
        assert_eq!(resolve_version("1.33.1.2"), None);
        assert_eq!(resolve_version("1.330"), None);
        assert_eq!(resolve_version(""), None);
    }

    #[test]
    fn deployment_apps_v1_everywhere_extensions_nowhere() {
        for s in all() {
            let v = s.version();
            assert_eq!(
                s.definition_for("apps/v1", "Deployment"),
                Some("io.k8s.api.apps.v1.Deployment"),
                "{v}"
            );
            assert!(s.definition("io.k8s.api.apps.v1.Deployment").is_some());
            assert_eq!(s.definition_for("extensions/v1beta1", "Deployment"), None);
            assert!(!s.has_api_version("extensions/v1beta1"), "{v}");
            assert_eq!(
                s.definition_for("v1", "ConfigMap"),
                Some("io.k8s.api.core.v1.ConfigMap")
            );
            assert!(s.has_api_version("v1"));
            assert!(s.has_api_version("networking.k8s.io/v1"));
            // DeleteOptions/WatchEvent are listed under every group upstream
            // and deliberately left out of the index.
            assert_eq!(s.definition_for("apps/v1", "WatchEvent"), None);
            assert!(s.kinds().any(|k| k == ("batch/v1", "CronJob")));
        }
    }

    #[test]
    fn document_is_stripped_and_local() {
        let s = load(DEFAULT_VERSION).expect("default version");
        let doc = s.definitions();
        assert_eq!(doc["$schema"], SCHEMA_DRAFT);
        let text = doc.to_string();
        assert!(!text.contains("\"description\":\"")); // stripped...
                                                       // ...but PriorityClass keeps its field named "description".
        assert!(s
            .definition("io.k8s.api.scheduling.v1.PriorityClass")
            .and_then(|d| d["properties"].get("description"))
            .is_some());
        assert!(!text.contains("\"$ref\":\"/api/"));
        assert_eq!(
            s.definition("io.k8s.api.core.v1.Container")
                .map(|c| c["additionalProperties"].clone()),
            Some(json!(false))
        );
    }

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "apps", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [{
                            "name": "web",
                            "image": "nginx:1.27",
                            "ports": [{"containerPort": 80}],
                            "resources": {"limits": {"cpu": "500m", "memory": 128}}
                        }]
                    }
                }
            }
        })
    }

    #[test]
    fn validates_a_deployment_strictly() {
        for s in all() {
            let v = s.version();
            let validator = match s.validator_for("apps/v1", "Deployment") {
                Some(Ok(validator)) => validator,
                other => panic!("{v}: {:?}", other.map(|r| r.err())),
            };
            let good = deployment();
            let errors: Vec<String> = validator
                .iter_errors(&good)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{v}: {errors:?}");

            let mut bad = deployment();
            bad["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = json!("Always");
            let errors: Vec<_> = validator.iter_errors(&bad).collect();
            assert_eq!(errors.len(), 1, "{v}: {errors:?}");
            let err = &errors[0];
            assert_eq!(
                err.instance_path().to_string(),
                "/spec/template/spec/containers/0",
                "{v}"
            );
            assert!(err.to_string().contains("imagePullPolicyy"), "{v}: {err}");

            let mut wrong_type = deployment();
            wrong_type["spec"]["replicas"] = json!("two");
            let errors: Vec<_> = validator.iter_errors(&wrong_type).collect();
            assert!(
                errors
                    .iter()
                    .any(|e| e.instance_path().to_string() == "/spec/replicas"),
                "{v}: {errors:?}"
            );
        }
        let s = load(DEFAULT_VERSION).expect("default version");
        assert!(s
            .validator_for("extensions/v1beta1", "Deployment")
            .is_none());
        assert!(s.validator_for_definition("no.such.Thing").is_err());
    }

    #[test]
    fn removed_apis_agree_with_the_embedded_schemas() {
        let loaded = all();
        let mut seen = std::collections::HashSet::new();
        for r in REMOVED_APIS {
            assert!(seen.insert((r.api_version, r.kind)), "duplicate {r:?}");
            let removed = minor_of(r.removed_in).expect("removed_in parses");
            for s in &loaded {
                let here = minor_of(s.version()).expect("version parses");
                let present = s.definition_for(r.api_version, r.kind).is_some();
                if here >= removed {
                    assert!(!present, "{r:?} still served in {}", s.version());
                } else if here.1 + 1 == removed.1 {
                    assert!(present, "{r:?} should exist in {}", s.version());
                }
            }
        }
        // The replacement is the API to use today: served by the newest
        // embedded release (alpha successors may postdate the removal).
        let newest = loaded.last().expect("at least one version");
        for r in REMOVED_APIS {
            if let Some(to) = r.replacement {
                assert!(newest.definition_for(to, r.kind).is_some(), "{r:?}");
            }
        }
        assert!(REMOVED_APIS
            .windows(2)
            .all(|w| minor_of(w[0].removed_in) <= minor_of(w[1].removed_in)));
    }

    #[test]
    fn removed_api_lookup() {
        let r = removed_api("extensions/v1beta1", "Ingress").expect("known");
        assert_eq!(
            (r.removed_in, r.replacement),
            ("1.22", Some("networking.k8s.io/v1"))
        );
        let r = removed_api("policy/v1beta1", "PodSecurityPolicy").expect("known");
        assert_eq!((r.removed_in, r.replacement), ("1.25", None));
        assert_eq!(
            removed_api("batch/v1beta1", "CronJobList").map(|r| r.replacement),
            Some(Some("batch/v1"))
        );
        assert!(removed_api("apps/v1", "Deployment").is_none());
        assert!(removed_api("batch/v1beta1", "List").is_none());
        let vap = (
            "admissionregistration.k8s.io/v1beta1",
            "ValidatingAdmissionPolicy",
        );
        assert!(removed_api_in("1.33", vap.0, vap.1).is_none());
        assert!(removed_api_in("v1.34.2", vap.0, vap.1).is_some());
        assert!(removed_api_in("nope", vap.0, vap.1).is_none());
    }

    /// Timing numbers for SOURCE.md:
    /// `cargo test --release --lib schema::kubernetes -- --ignored --nocapture`
    #[test]
    #[ignore = "measurement, not a check"]
    fn measure() {
        for (v, packed) in VERSIONS.iter().zip(PACKED) {
            let t = Instant::now();
            let s = decode(v, packed).expect("decodes");
            let decoded = t.elapsed();
            let t = Instant::now();
            s.registry().expect("registry");
            let registry = t.elapsed();
            let t = Instant::now();
            let validator = s
                .validator_for("apps/v1", "Deployment")
                .expect("known")
                .expect("builds");
            let build = t.elapsed();
            let doc = deployment();
            let t = Instant::now();
            for _ in 0..1000 {
                assert!(validator.is_valid(&doc));
            }
            let check = t.elapsed() / 1000;
            println!(
                "{v}: gz {} B, decompress+parse {decoded:?}, registry {registry:?}, \
                 Deployment validator {build:?}, validate {check:?}",
                packed.len()
            );
        }
    }
}
