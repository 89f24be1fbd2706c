//! `flux-instance`: the FluxInstance that declares Flux itself. Its images
//! come from an allowed (private) registry, a private registry comes with
//! `variant: upstream-alpine`, the version is pinned, the components exist,
//! and `spec.sync` tracks the environment the file lives in.

use crate::engine::registry::ids;
use crate::engine::{declare_rule, DocContext, Rule};
use crate::base::finding::{Findings, Severity};
use crate::model::objects::{ObjectMeta, OPERATOR_GROUP};
use crate::model::urls::registry_matches;
use crate::yaml::NodeRef;

declare_rule!(FluxInstance, ids::FLUX_INSTANCE);

/// Where the Flux project publishes its images: anything else is a mirror.
const PUBLIC_REGISTRIES: &[&str] = &[
    "ghcr.io/fluxcd",
    "docker.io/fluxcd",
    "index.docker.io/fluxcd",
    "registry-1.docker.io/fluxcd",
    "fluxcd",
    "ghcr.io/controlplaneio-fluxcd",
];

/// The `spec.components` enum of the FluxInstance CRD (fluxcd.controlplane.io/v1).
const COMPONENTS: &[&str] = &[
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
    "image-reflector-controller",
    "image-automation-controller",
    "source-watcher",
];

const PRIVATE_VARIANT: &str = "upstream-alpine";

impl Rule for FluxInstance {
    fn check_object(&self, cx: &DocContext<'_>, out: &mut Findings) {
        let Some(meta) = cx.object else { return };
        if !meta.is(OPERATOR_GROUP, "FluxInstance") {
            return;
        }
        let Some(spec) = cx.root().get("spec") else {
            return;
        };
        if let Some((key, distribution)) = spec.get_entry("distribution") {
            check_distribution(cx, meta, key, distribution, out);
        }
        if let Some(components) = spec.get("components") {
            for item in components.items() {
                let Some(name) = item.as_str() else { continue };
                if !COMPONENTS.contains(&name) {
                    out.push(cx.finding(
                        ID,
                        item,
                        format!(
                            "{} lists the unknown component `{name}` in `spec.components`; use one of: {}",
                            meta.display_name(),
                            COMPONENTS.join(", ")
                        ),
                    ));
                }
            }
        }
        if let Some(sync) = spec.get("sync") {
            check_sync(cx, meta, sync, out);
        }
    }
}

fn check_distribution(
    cx: &DocContext<'_>,
    meta: &ObjectMeta,
    key: NodeRef<'_>,
    distribution: NodeRef<'_>,
    out: &mut Findings,
) {
    let name = meta.display_name();
    if let Some(node) = distribution.get("registry") {
        if let Some(registry) = node.as_str() {
            let allowed = cx.config().allowed_registries(cx.env());
            if !allowed.is_empty() && !allowed.iter().any(|a| registry_matches(registry, a)) {
                out.push(
                    cx.finding(
                        ID,
                        node,
                        format!(
                            "{name} pulls Flux from `{registry}`, which is not an allowed registry; mirror the images and set `spec.distribution.registry` under one of: {}",
                            allowed.join(", ")
                        ),
                    )
                    .with_help("allowed registries are configured in `registries.allowed` of .gitops-lint.yaml"),
                );
            }
            let public = PUBLIC_REGISTRIES
                .iter()
                .any(|p| registry.trim_end_matches('/').eq_ignore_ascii_case(p));
            if !public {
                match distribution.get("variant") {
                    None => out.push(cx.finding(
                        ID,
                        key,
                        format!("{name} pulls Flux from the private registry `{registry}` without `spec.distribution.variant`; set `variant: {PRIVATE_VARIANT}`"),
                    )),
                    Some(v) if v.as_str() != Some(PRIVATE_VARIANT) => out.push(cx.finding(
                        ID,
                        v,
                        format!(
                            "{name} pulls Flux from the private registry `{registry}` with `variant: {}`; mirrored upstream images need `variant: {PRIVATE_VARIANT}`",
                            v.as_str().unwrap_or("?")
                        ),
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    if let Some(node) = distribution.get("version") {
        if let Some(version) = node.as_scalar().map(|s| s.value.as_str()) {
            if !is_pinned(version) {
                out.push(
                    cx.finding(
                        ID,
                        node,
                        format!("{name} has the version range `{version}` in `spec.distribution.version`, so Flux upgrades without a commit; pin an exact version such as `2.6.4`"),
                    )
                    .with_help("with a pinned version, every Flux upgrade is a reviewed change that is promoted through the environments")
                    .with_severity(Severity::Warning),
                );
            }
        }
    }
}

/// An exact semantic version (`2.6.4`, `v2.6.4`, `2.7.0-rc.1`): anything
/// else (`2.x`, `2.6`, `>=2.3`, `*`, `~2.6`) is a range to the operator.
fn is_pinned(version: &str) -> bool {
    let v = version.trim();
    let v = v.strip_prefix('=').unwrap_or(v).trim_start();
    let v = v.strip_prefix('v').unwrap_or(v);
    let core = v.split(['-', '+']).next().unwrap_or(v);
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

fn check_sync(cx: &DocContext<'_>, meta: &ObjectMeta, sync: NodeRef<'_>, out: &mut Findings) {
    let Some(env) = cx.env() else { return };
    let name = meta.display_name();
    let expected_path = format!("clusters/{env}/systems");
    if let Some(node) = sync.get("path") {
        if let Some(path) = node.as_str() {
            let normal = path.trim_start_matches("./").trim_end_matches('/');
            if normal != expected_path {
                out.push(cx.finding(
                    ID,
                    node,
                    format!("{name} in environment `{env}` syncs `spec.sync.path: {path}`; set it to `{expected_path}`"),
                ));
            }
        }
    }
    if sync.get("kind").and_then(|k| k.as_str()) != Some("GitRepository") {
        return;
    }
    let Some(branch) = cx.config().environment(env).map(|e| e.branch.as_str()) else {
        return;
    };
    let expected_ref = format!("refs/heads/{branch}");
    if let Some(node) = sync.get("ref") {
        if let Some(r) = node.as_str() {
            if r != expected_ref {
                out.push(cx.finding(
                    ID,
                    node,
                    format!("{name} in environment `{env}` syncs `spec.sync.ref: {r}`; environment `{env}` tracks branch `{branch}`, set it to `{expected_ref}`"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    const PATH: &str = "clusters/dev/flux-instance.yaml";
    const CONFIG: &str = "registries:\n  allowed: [myacr.azurecr.io]\n";

    fn instance(distribution: &str, rest: &str) -> String {
        format!("apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {{name: flux, namespace: flux-system}}\nspec:\n  distribution:\n{distribution}{rest}")
    }

    const GOOD_DIST: &str = "    version: \"2.6.4\"\n    registry: myacr.azurecr.io/fluxcd\n    variant: upstream-alpine\n";
    const GOOD_SYNC: &str = "  sync:\n    kind: GitRepository\n    provider: azure\n    url: https://dev.azure.com/o/p/_git/k8s-gitops\n    ref: refs/heads/dev\n    path: clusters/dev/systems\n";

    #[test]
    fn accepts_the_platform_instance() {
        let text = instance(GOOD_DIST, &format!("  components: [source-controller, source-watcher]\n{GOOD_SYNC}"));
        let f = run_rule(RULE, &[(PATH, &text)], CONFIG);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn reports_a_registry_that_is_not_allowed() {
        let text = instance("    version: \"2.6.4\"\n    registry: ghcr.io/fluxcd\n", "");
        let f = run_rule(RULE, &[(PATH, &text)], CONFIG);
        assert_eq!(positions(&f), [(ID, 7, 15)]);
        assert!(f[0].message.contains("myacr.azurecr.io"));
        // Without configured registries, the registry itself is not judged.
        assert!(run_rule(RULE, &[(PATH, &text)], "").is_empty());
        let prefix = instance(GOOD_DIST, "");
        let f = run_rule(RULE, &[(PATH, &prefix)], "registries:\n  allowed: [myacr.azurecr.io/fluxcd]\n");
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn requires_upstream_alpine_on_a_private_registry() {
        let missing = instance("    version: \"2.6.4\"\n    registry: myacr.azurecr.io/fluxcd\n", "");
        let wrong = instance("    version: \"2.6.4\"\n    registry: myacr.azurecr.io/fluxcd\n    variant: enterprise-distroless\n", "");
        let f = run_rule(RULE, &[("clusters/dev/a.yaml", &missing), ("clusters/dev/b.yaml", &wrong)], CONFIG);
        assert_eq!(positions(&f), [(ID, 5, 3), (ID, 8, 14)]);
    }

    #[test]
    fn warns_about_version_ranges() {
        for range in ["2.x", "\">=2.3\"", "\"*\"", "\"2.6\"", "~2.6.0"] {
            let text = instance(&format!("    version: {range}\n    registry: ghcr.io/fluxcd\n"), "");
            let f = run_rule(RULE, &[(PATH, &text)], "");
            assert_eq!(positions(&f), [(ID, 6, 14)], "{range}");
            assert_eq!(f[0].severity, Severity::Warning);
        }
        for pinned in ["2.6.4", "v2.6.4", "\"2.7.0-rc.1\""] {
            let text = instance(&format!("    version: {pinned}\n    registry: ghcr.io/fluxcd\n"), "");
            assert!(run_rule(RULE, &[(PATH, &text)], "").is_empty(), "{pinned}");
        }
    }

    #[test]
    fn reports_unknown_components() {
        let text = instance(GOOD_DIST, "  components:\n    - source-controller\n    - image-controller\n");
        let f = run_rule(RULE, &[(PATH, &text)], "");
        assert_eq!(positions(&f), [(ID, 11, 7)]);
        assert!(f[0].message.contains("`image-controller`"));
    }

    #[test]
    fn checks_sync_against_the_environment() {
        let prod_sync = GOOD_SYNC.replace("refs/heads/dev", "refs/heads/master");
        let text = instance(GOOD_DIST, &prod_sync.replace("clusters/dev", "./clusters/prod"));
        let f = run_rule(RULE, &[(PATH, &text)], "");
        assert_eq!(positions(&f), [(ID, 13, 10), (ID, 14, 11)]);
        assert!(f[0].message.contains("refs/heads/dev"), "{}", f[0].message);
        // In prod the same file is right, and outside clusters/<env>/ nothing is judged.
        assert!(run_rule(RULE, &[("clusters/prod/flux-instance.yaml", &text)], "").is_empty());
        assert!(run_rule(RULE, &[("flux-instance.yaml", &text)], "").is_empty());
    }
}
