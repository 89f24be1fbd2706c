//! Embedded schemas of every Flux and Flux Operator kind, written in the
//! project's notation (`schemas/flux/`) and expanded on demand.
//!
//! The notation files are compiled into the binary so the linter needs no
//! network and no CRDs installed to validate Flux objects.

use serde_json::Value;

use super::notation;

/// One Flux kind: the API facts a linter needs besides its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FluxKind {
    pub group: &'static str,
    /// The served (and storage) version the schema describes.
    pub version: &'static str,
    pub kind: &'static str,
    /// The resource's plural name, as in the CRD's `spec.names.plural`.
    pub plural: &'static str,
    /// The notation text of the kind.
    pub notation: &'static str,
}

impl FluxKind {
    pub fn api_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }

    /// Expands the kind's notation into its `openAPIV3Schema`.
    pub fn schema(&self) -> Result<Value, String> {
        notation::expand(SHARED_TYPES, self.notation)
            .map_err(|e| format!("{}/{} {}: {e}", self.group, self.version, self.kind))
    }
}

/// An expanded embedded schema.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedCrdSchema {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub schema: Value,
}

/// Named types any kind may reference.
pub const SHARED_TYPES: &str = include_str!("../../schemas/flux/types.yaml");

macro_rules! kind {
    ($group:literal, $version:literal, $kind:literal, $plural:literal) => {
        FluxKind {
            group: $group,
            version: $version,
            kind: $kind,
            plural: $plural,
            notation: include_str!(concat!("../../schemas/flux/", $group, "/", $kind, ".yaml")),
        }
    };
}

/// Every embedded kind, at the versions served by the Flux 2.9 line and
/// Flux Operator v0.58 (the only versions those releases serve).
pub const KINDS: &[FluxKind] = &[
    kind!(
        "source.toolkit.fluxcd.io",
        "v1",
        "GitRepository",
        "gitrepositories"
    ),
    kind!(
        "source.toolkit.fluxcd.io",
        "v1",
        "OCIRepository",
        "ocirepositories"
    ),
    kind!(
        "source.toolkit.fluxcd.io",
        "v1",
        "HelmRepository",
        "helmrepositories"
    ),
    kind!("source.toolkit.fluxcd.io", "v1", "HelmChart", "helmcharts"),
    kind!("source.toolkit.fluxcd.io", "v1", "Bucket", "buckets"),
    kind!(
        "source.toolkit.fluxcd.io",
        "v1",
        "ExternalArtifact",
        "externalartifacts"
    ),
    kind!(
        "kustomize.toolkit.fluxcd.io",
        "v1",
        "Kustomization",
        "kustomizations"
    ),
    kind!(
        "helm.toolkit.fluxcd.io",
        "v2",
        "HelmRelease",
        "helmreleases"
    ),
    kind!(
        "notification.toolkit.fluxcd.io",
        "v1beta3",
        "Provider",
        "providers"
    ),
    kind!(
        "notification.toolkit.fluxcd.io",
        "v1beta3",
        "Alert",
        "alerts"
    ),
    kind!(
        "notification.toolkit.fluxcd.io",
        "v1",
        "Receiver",
        "receivers"
    ),
    kind!(
        "image.toolkit.fluxcd.io",
        "v1",
        "ImageRepository",
        "imagerepositories"
    ),
    kind!(
        "image.toolkit.fluxcd.io",
        "v1",
        "ImagePolicy",
        "imagepolicies"
    ),
    kind!(
        "image.toolkit.fluxcd.io",
        "v1",
        "ImageUpdateAutomation",
        "imageupdateautomations"
    ),
    kind!(
        "source.extensions.fluxcd.io",
        "v1beta1",
        "ArtifactGenerator",
        "artifactgenerators"
    ),
    kind!(
        "fluxcd.controlplane.io",
        "v1",
        "FluxInstance",
        "fluxinstances"
    ),
    kind!("fluxcd.controlplane.io", "v1", "FluxReport", "fluxreports"),
    kind!(
        "fluxcd.controlplane.io",
        "v1",
        "ResourceSet",
        "resourcesets"
    ),
    kind!(
        "fluxcd.controlplane.io",
        "v1",
        "ResourceSetInputProvider",
        "resourcesetinputproviders"
    ),
];

/// Looks a kind up by group and kind name.
pub fn find(group: &str, kind: &str) -> Option<&'static FluxKind> {
    KINDS.iter().find(|k| k.group == group && k.kind == kind)
}

/// Expands every embedded schema. Fails only if a notation file is broken,
/// which the unit tests below rule out for the files shipped.
pub fn embedded() -> Result<Vec<EmbeddedCrdSchema>, String> {
    KINDS
        .iter()
        .map(|k| {
            Ok(EmbeddedCrdSchema {
                group: k.group,
                version: k.version,
                kind: k.kind,
                schema: k.schema()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_expands() {
        let all = embedded().unwrap();
        assert_eq!(all.len(), 19);
        for s in &all {
            assert_eq!(s.schema["type"], "object", "{}", s.kind);
            assert!(s.schema["properties"]["spec"].is_object(), "{}", s.kind);
        }
    }

    #[test]
    fn kinds_are_unique() {
        for (i, a) in KINDS.iter().enumerate() {
            assert!(
                KINDS[i + 1..]
                    .iter()
                    .all(|b| (a.group, a.kind) != (b.group, b.kind)),
                "{} listed twice",
                a.kind
            );
        }
        assert_eq!(
            find("helm.toolkit.fluxcd.io", "HelmRelease").map(|k| k.version),
            Some("v2")
        );
    }
}
