//! `deprecated-api`: a Flux apiVersion current Flux no longer serves, or a
//! Kubernetes apiVersion that is deprecated or removed. Says which release
//! removed it and which apiVersion to use. The object is still checked by
//! `schema`, against the replacement version's schema.

use crate::engine::registry::ids;
use crate::engine::{declare_rule, DocContext, Rule};
use crate::base::finding::Findings;
use crate::schema::{apis, kubernetes};

declare_rule!(DeprecatedApi, ids::DEPRECATED_API);

impl Rule for DeprecatedApi {
    fn check_object(&self, cx: &DocContext<'_>, out: &mut Findings) {
        let Some(meta) = cx.object else { return };
        if !cx.file.file.file.kind.holds_manifests() {
            return;
        }
        let root = cx.root();
        let at = root
            .get("apiVersion")
            .unwrap_or(root);
        let api = &meta.api_version;
        let kind = &meta.kind;
        let message = if let Some(s) = apis::flux_api_status(meta.group(), meta.version(), kind) {
            let when = match s.removed_in {
                Some(r) => format!("was removed in Flux {r}"),
                None => format!("is not served by Flux {}", apis::CURRENT_FLUX),
            };
            format!("{kind} `{api}` {when}; use `{}`", s.served.api_version())
        } else if let Some(r) = kubernetes::removed_api(api, kind) {
            let configured = &cx.config().kubernetes_version;
            let removed = kubernetes::removed_api_in(configured, api, kind).is_some();
            let when = if removed {
                format!("was removed in Kubernetes {}", r.removed_in)
            } else {
                format!("is deprecated and removed in Kubernetes {}", r.removed_in)
            };
            match r.replacement {
                Some(to) => format!("{kind} `{api}` {when}; use `{to}`"),
                None => format!("{kind} `{api}` {when}, with no direct replacement"),
            }
        } else {
            return;
        };
        out.push(cx.finding(ID, at, message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    #[test]
    fn reports_removed_flux_and_kubernetes_apis() {
        let text = "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata: {name: h}\n---\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: i}\n---\napiVersion: notification.toolkit.fluxcd.io/v1beta2\nkind: Alert\nmetadata: {name: a}\n";
        let f = run_rule(RULE, &[("a.yaml", text)], "");
        assert_eq!(positions(&f), [(ID, 1, 13), (ID, 5, 13), (ID, 9, 13)]);
        assert_eq!(
            f[0].message,
            "HelmRelease `helm.toolkit.fluxcd.io/v2beta1` was removed in Flux 2.7; use `helm.toolkit.fluxcd.io/v2`"
        );
        assert_eq!(
            f[1].message,
            "Ingress `extensions/v1beta1` was removed in Kubernetes 1.22; use `networking.k8s.io/v1`"
        );
        assert!(f[2].message.contains("removed in Flux 2.9; use `notification.toolkit.fluxcd.io/v1beta3`"));
    }

    #[test]
    fn deprecated_but_still_served_kubernetes_api() {
        let text = "apiVersion: admissionregistration.k8s.io/v1beta1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: p}\n";
        let f = run_rule(RULE, &[("a.yaml", text)], "kubernetesVersion: \"1.33\"\n");
        assert_eq!(positions(&f), [(ID, 1, 13)]);
        assert!(f[0].message.contains("is deprecated and removed in Kubernetes 1.34"), "{}", f[0].message);
    }

    #[test]
    fn served_apis_are_fine() {
        let text = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: h}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n---\napiVersion: example.com/v1beta1\nkind: Widget\n";
        assert!(run_rule(RULE, &[("a.yaml", text)], "").is_empty());
    }
}
