//! `private-registry`: every image a cluster would run comes from an allowed
//! (private, mirrored, scanned) registry. Images are found by
//! [`crate::graph::images::workspace_images`]: workload containers, the effective
//! values of every HelmRelease, and Helm values files no release uses.

use crate::engine::registry::ids;
use crate::engine::{declare_rule, Rule, RunContext};
use crate::workspace::{discover, Workspace};
use crate::base::finding::{Finding, Findings, Severity};
use crate::model::images::DOCKER_HUB;
use crate::base::source::{Pos, Span};
use crate::graph::images::FoundImage;

declare_rule!(PrivateRegistry, ids::PRIVATE_REGISTRY);

impl Rule for PrivateRegistry {
    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        let images = cx.images();
        let mut unchecked: Option<&FoundImage> = None;
        for found in images {
            // `${REGISTRY}/app`: the registry is only known after Flux's
            // post-build substitution.
            if found.image.host_is_placeholder {
                continue;
            }
            let allowed = cx.config.allowed_registries(found.env.as_deref());
            if allowed.is_empty() {
                let earlier = unchecked.is_some_and(|u| position(cx.workspace, u) <= position(cx.workspace, found));
                if !earlier {
                    unchecked = Some(found);
                }
                continue;
            }
            if allowed.iter().any(|a| found.image.is_from(a)) {
                continue;
            }
            let list = allowed.join(", ");
            let message = if found.image.is_docker_hub() && found.image.host.is_none() {
                format!(
                    "{}: image `{}` names no registry, so it is pulled from Docker Hub ({DOCKER_HUB}); use an image from an allowed registry ({list})",
                    found.owner, found.text
                )
            } else {
                format!(
                    "{}: image `{}` is from `{}`, not from an allowed registry; mirror it to an allowed registry ({list}) and use it from there",
                    found.owner,
                    found.text,
                    found.image.registry()
                )
            };
            let place = found.name_at;
            out.push(
                cx.finding_at(ID, place.file, place.doc, place.span, message)
                    .with_help("allowed registries are `registries.allowed` (or `registries.environments.<env>`) in .gitops-lint.yaml; see `gitops-lint explain private-registry`"),
            );
        }
        if let Some(first) = unchecked {
            out.push(not_configured(cx, first));
        }
    }
}

fn position<'w>(ws: &'w Workspace, f: &FoundImage) -> (&'w str, u32, u32) {
    let p = &f.name_at;
    (ws.file(p.file).path(), p.span.start.line, p.span.start.col)
}

/// The one warning of a run whose images have no registry list to be
/// checked against: at the config file if there is one, else at the first
/// such image.
fn not_configured(cx: &RunContext<'_>, first: &FoundImage) -> Finding {
    let registries = &cx.config.registries;
    let message = if registries.allowed.is_empty() && registries.environments.is_empty() {
        "no allowed registries are configured, so images are not checked; list them in `registries.allowed` in .gitops-lint.yaml (e.g. [myacr.azurecr.io])".to_string()
    } else {
        format!(
            "`registries.allowed` is empty and environment `{}` has no list in `registries.environments`, so images there are not checked; add its registries",
            first.env.as_deref().unwrap_or("(none)")
        )
    };
    let config_file = cx.config.source.as_deref().and_then(|src| {
        let root = &cx.workspace.repos.first()?.root;
        discover::relative(root, src)
    });
    let finding = match config_file {
        Some(path) => Finding::new(ID, &path, Span::point(Pos::START), message),
        None => {
            let at = first.name_at;
            Finding::new(ID, cx.workspace.file(at.file).path(), at.span, message)
        }
    };
    finding.with_severity(Severity::Warning)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    const ALLOWED: &str = "registries:\n  allowed: [myacr.azurecr.io, partner.azurecr.io/team]\n";

    fn deployment(images: &[&str]) -> String {
        let mut s = String::from("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n");
        for (i, img) in images.iter().enumerate() {
            s.push_str(&format!("        - name: c{i}\n          image: {img}\n"));
        }
        s
    }

    #[test]
    fn flags_public_images_in_containers() {
        let d = deployment(&["nginx:1.25", "ghcr.io/org/app:1", "myacr.azurecr.io/app:1"]);
        let f = run_rule(RULE, &[("apps/web.yaml", &d)], ALLOWED);
        assert_eq!(positions(&f), [(ID, 9, 18), (ID, 11, 18)]);
        assert!(f[0].message.contains("Docker Hub"), "{}", f[0].message);
        assert!(f[0].message.starts_with("Deployment 'web' container 'c0'"));
        assert!(f[1].message.contains("`ghcr.io`"));
        assert_eq!(f[0].object.as_ref().unwrap().kind, "Deployment");
    }

    #[test]
    fn look_alikes() {
        let d = deployment(&[
            "myacr.azurecr.io.evil.com/x:1",
            "partner.azurecr.io/team/app:1",
            "partner.azurecr.io/other/app:1",
            "partner.azurecr.io/teamx/app:1",
            "\"${REGISTRY}/app:1\"",
            "myacr.azurecr.io/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ]);
        let f = run_rule(RULE, &[("apps/web.yaml", &d)], ALLOWED);
        assert_eq!(positions(&f), [(ID, 9, 18), (ID, 13, 18), (ID, 15, 18)]);
    }

    #[test]
    fn per_environment_lists() {
        let config = "registries:\n  allowed: [myacr.azurecr.io]\n  environments:\n    prod: [prodacr.azurecr.io]\n";
        let d = deployment(&["myacr.azurecr.io/app:1"]);
        let f = run_rule(
            RULE,
            &[("clusters/prod/web.yaml", &d), ("clusters/dev/web.yaml", &d)],
            config,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].path, "clusters/prod/web.yaml");
    }

    #[test]
    fn judges_effective_helm_values_where_last_set() {
        let hr = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: shop}\nspec:\n  chart:\n    spec:\n      chart: ./chart\n      sourceRef: {kind: GitRepository, name: k8s-shop}\n      valuesFiles: [./environments/dev/values.yaml]\n  values:\n    worker:\n      image:\n        registry: docker.io\n";
        let files = [
            // Overridden by the release: not reported here.
            ("chart/values.yaml", "image: {repository: nginx, tag: '1'}\nworker:\n  image: {registry: myacr.azurecr.io, repository: w}\n"),
            ("environments/dev/values.yaml", "image:\n  repository: myacr.azurecr.io/shop\n"),
            ("environments/dev/flux/helmrelease.yaml", hr),
            ("clusters/dev/flux-operator-values.yaml", "image:\n  repository: ghcr.io/controlplaneio-fluxcd/flux-operator\n"),
        ];
        let f = run_rule(RULE, &files, ALLOWED);
        assert_eq!(
            positions(&f),
            [(ID, 2, 15), (ID, 13, 19)],
            "{f:#?}"
        );
        assert_eq!(f[0].path, "clusters/dev/flux-operator-values.yaml");
        assert!(f[1].message.starts_with("HelmRelease 'shop' value `worker.image`"), "{}", f[1].message);
    }

    #[test]
    fn image_keys_that_are_not_images() {
        let f = run_rule(
            RULE,
            &[("values.yaml", "image: {pullPolicy: Always}\nx: {image: true}\ny: {image: 3}\n")],
            ALLOWED,
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn no_registry_configured_warns_once() {
        let d = deployment(&["nginx:1", "redis:7"]);
        let f = run_rule(
            RULE,
            &[("b.yaml", &d), ("a/values.yaml", "image: {repository: x}\n")],
            "",
        );
        assert_eq!(positions(&f), [(ID, 1, 21)]);
        assert_eq!(f[0].path, "a/values.yaml");
        assert_eq!(f[0].explicit_severity, Some(Severity::Warning));
        assert!(f[0].message.contains("no allowed registries are configured"));
    }

    #[test]
    fn judges_the_values_of_the_release_a_cluster_applies() {
        let sync = |registry: &str| format!("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {{name: flux-system, namespace: flux-system}}\nspec:\n  interval: 10m\n  path: ./clusters/dev\n  prune: true\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {{name: shop, namespace: flux-system}}\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n  postBuild:\n    substitute: {{REGISTRY: {registry}}}\n");
        let hr = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: shop, namespace: flux-system}\nspec:\n  chart:\n    spec: {chart: shop, sourceRef: {kind: HelmRepository, name: charts}}\n  values:\n    image:\n      repository: ${REGISTRY}/shop\n      tag: '1.0'\n";
        let run = |registry: &str| {
            let sync = sync(registry);
            run_rule(RULE, &[("clusters/dev/sync.yaml", sync.as_str()), ("apps/shop.yaml", hr)], ALLOWED)
        };
        // The variable gives the private registry: nothing to say.
        assert!(run("myacr.azurecr.io").is_empty(), "{:?}", run("myacr.azurecr.io"));
        // A public one: at the placeholder.
        let f = run("docker.io");
        assert_eq!(positions(&f), [(ID, 9, 19)], "{f:?}");
        assert_eq!(f[0].path, "apps/shop.yaml");
        assert!(f[0].message.contains("`docker.io/shop:1.0`"), "{}", f[0].message);
    }
}
