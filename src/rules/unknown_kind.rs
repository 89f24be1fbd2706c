//! `unknown-kind`: a document whose apiVersion/kind has no schema — not a
//! Kubernetes built-in of the configured version, not a Flux kind, not in an
//! imported schema or a CRD of the workspace — so its fields go unchecked.

use crate::engine::registry::ids;
use crate::base::suggest;
use crate::engine::{declare_rule, DocContext, Rule};
use crate::base::finding::Findings;
use crate::schema::{apis, kubernetes, validate};

declare_rule!(UnknownKind, ids::UNKNOWN_KIND);

impl Rule for UnknownKind {
    fn check_object(&self, cx: &DocContext<'_>, out: &mut Findings) {
        let Some(meta) = cx.object else { return };
        if !cx.file.file.file.kind.holds_manifests() {
            return;
        }
        let store = cx.file.run.schemas();
        if validate::resolve(store, meta).is_some() {
            return;
        }
        // A removed API is `deprecated-api`'s finding, not a second one here.
        if apis::flux_api_status(meta.group(), meta.version(), &meta.kind).is_some()
            || kubernetes::removed_api(&meta.api_version, &meta.kind).is_some()
        {
            return;
        }
        let root = cx.root();
        let at = root.get("kind").unwrap_or(root);
        let same_version: Vec<&str> = store
            .entries()
            .into_iter()
            .filter(|e| e.api_version == meta.api_version)
            .map(|e| e.kind.as_str())
            .collect();
        let mut message = format!(
            "no schema for {} `{}`: its fields are not checked",
            meta.kind, meta.api_version
        );
        if let Some(s) = suggest::closest(&meta.kind, same_version.iter().copied()) {
            message.push_str(&format!(" — did you mean kind `{s}`?"));
        }
        out.push(cx.finding(ID, at, message).with_help(
            "add the kind's CustomResourceDefinition to the repository, or import it: `gitops-lint schemas import crd.yaml`",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    #[test]
    fn reports_kinds_without_a_schema() {
        let f = run_rule(
            RULE,
            &[(
                "a.yaml",
                "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: d}\n",
            )],
            "",
        );
        assert_eq!(positions(&f), [(ID, 2, 7), (ID, 6, 7)]);
        assert!(f[1].message.contains("did you mean kind `Deployment`?"), "{}", f[1].message);
    }

    #[test]
    fn known_discovered_and_removed_kinds_are_not_unknown() {
        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema: {type: object}\n";
        let docs = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: p}\n---\napiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata: {name: h}\n";
        let f = run_rule(RULE, &[("crd.yaml", crd), ("a.yaml", docs)], "");
        assert!(f.is_empty(), "{f:?}");
    }
}
