//! Which Flux API versions today's Flux serves, and which release stopped
//! serving the older ones (from the controllers' release tags; see
//! /work/shared/crds/SOURCES.md "Served versions by release").

use super::flux;

/// The Flux release whose API versions the embedded schemas describe.
pub const CURRENT_FLUX: &str = "2.9";

/// An API version of a Flux group that current Flux no longer serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemovedFluxApi {
    pub group: &'static str,
    pub version: &'static str,
    /// The first Flux minor release that no longer serves it.
    pub removed_in: &'static str,
}

const fn gone(
    group: &'static str,
    version: &'static str,
    removed_in: &'static str,
) -> RemovedFluxApi {
    RemovedFluxApi {
        group,
        version,
        removed_in,
    }
}

/// Flux 2.5 served every version below (most as deprecated); these are the
/// releases that dropped them.
#[rustfmt::skip]
pub const REMOVED_FLUX_APIS: &[RemovedFluxApi] = &[
    gone("source.toolkit.fluxcd.io", "v1beta1", "2.7"),
    gone("source.toolkit.fluxcd.io", "v1beta2", "2.8"),
    gone("kustomize.toolkit.fluxcd.io", "v1beta1", "2.7"),
    gone("kustomize.toolkit.fluxcd.io", "v1beta2", "2.8"),
    gone("helm.toolkit.fluxcd.io", "v2beta1", "2.7"),
    gone("helm.toolkit.fluxcd.io", "v2beta2", "2.8"),
    gone("notification.toolkit.fluxcd.io", "v1beta1", "2.7"),
    gone("notification.toolkit.fluxcd.io", "v1beta2", "2.9"),
    gone("image.toolkit.fluxcd.io", "v1beta1", "2.7"),
    gone("image.toolkit.fluxcd.io", "v1beta2", "2.9"),
];

/// What `deprecated-api` knows about a Flux object's apiVersion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FluxApiStatus {
    /// The apiVersion current Flux serves for this kind.
    pub served: &'static flux::FluxKind,
    /// The release that removed the written version, when the table knows.
    pub removed_in: Option<&'static str>,
}

/// For an object of a Flux kind written at a version current Flux does not
/// serve: the served version and when the written one was removed. `None`
/// for served versions and for kinds that are not Flux's.
pub fn flux_api_status(group: &str, version: &str, kind: &str) -> Option<FluxApiStatus> {
    let served = flux::find(group, kind)?;
    if served.version == version {
        return None;
    }
    let removed_in = REMOVED_FLUX_APIS
        .iter()
        .find(|r| r.group == group && r.version == version)
        .map(|r| r.removed_in);
    Some(FluxApiStatus { served, removed_in })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_removed_and_served_versions() {
        let s = flux_api_status("helm.toolkit.fluxcd.io", "v2beta1", "HelmRelease").unwrap();
        assert_eq!((s.served.version, s.removed_in), ("v2", Some("2.7")));
        let s = flux_api_status("notification.toolkit.fluxcd.io", "v1beta2", "Alert").unwrap();
        assert_eq!((s.served.version, s.removed_in), ("v1beta3", Some("2.9")));
        let s = flux_api_status("source.toolkit.fluxcd.io", "v1alpha1", "GitRepository").unwrap();
        assert_eq!(s.removed_in, None);
        assert!(flux_api_status("source.toolkit.fluxcd.io", "v1", "GitRepository").is_none());
        assert!(flux_api_status("apps", "v1beta1", "Deployment").is_none());
    }

    #[test]
    fn removed_versions_are_not_served_ones() {
        for r in REMOVED_FLUX_APIS {
            assert!(
                flux::KINDS
                    .iter()
                    .all(|k| (k.group, k.version) != (r.group, r.version)),
                "{r:?}"
            );
        }
    }
}
