//! How strategic merge treats each list of a built-in kind: the patch
//! strategies and merge keys of the Kubernetes OpenAPI.
//!
//! `schemas/kubernetes/patch-strategies.json` is written by
//! `scripts/pack-kubernetes-schemas.py` from the same package as the
//! embedded schemas (the newest release's definitions; kustomize embeds one
//! release's too). It keeps, per definition, only the fields that carry a
//! strategy or lead to a definition that does. Custom resources have no
//! strategies: kustomize replaces their lists and merges their maps.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Table {
    kinds: HashMap<String, String>,
    defs: HashMap<String, HashMap<String, Field>>,
}

/// What strategic merge knows about one field.
#[derive(Debug, Deserialize)]
pub struct Field {
    /// `merge`, `retainKeys`, `merge,retainKeys`, `replace`.
    #[serde(default)]
    pub strategy: Option<String>,
    /// The keys that identify a list element (`name`; `containerPort`,
    /// `protocol`); empty for a list of scalars merged as a set.
    #[serde(default)]
    pub keys: Vec<String>,
    /// The definition of the field's value (of each element, for a list).
    #[serde(default, rename = "ref")]
    pub def: Option<String>,
}

impl Field {
    /// Whether lists under this field are merged element by element.
    pub fn merges(&self) -> bool {
        self.strategy
            .as_deref()
            .is_some_and(|s| s.split(',').any(|p| p == "merge"))
    }
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        serde_json::from_str(include_str!(
            "../../schemas/kubernetes/patch-strategies.json"
        ))
        .expect("the embedded patch strategies are valid (tested)")
    })
}

/// A place in a built-in kind's schema: a definition name.
#[derive(Debug, Clone, Copy)]
pub struct Schema(&'static str);

impl Schema {
    /// The root schema of a kind, if it is a built-in one with strategies.
    pub fn of_kind(api_version: &str, kind: &str) -> Option<Schema> {
        let t = table();
        t.kinds
            .get(&format!("{api_version} {kind}"))
            .map(|d| Schema(d.as_str()))
    }

    pub fn field(self, name: &str) -> Option<&'static Field> {
        table().defs.get(self.0)?.get(name)
    }

    /// The schema under field `name`.
    pub fn child(self, name: &str) -> Option<Schema> {
        let def = self.field(name)?.def.as_deref()?;
        Some(Schema(def))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_merge_keys_of_a_pod_template() {
        let deploy = Schema::of_kind("apps/v1", "Deployment").unwrap();
        let pod = deploy
            .child("spec")
            .and_then(|s| s.child("template"))
            .and_then(|s| s.child("spec"))
            .unwrap();
        let containers = pod.field("containers").unwrap();
        assert!(containers.merges());
        assert_eq!(containers.keys, ["name"]);
        let container = pod.child("containers").unwrap();
        assert_eq!(
            container.field("ports").unwrap().keys,
            ["containerPort", "protocol"]
        );
        let finalizers = deploy
            .child("metadata")
            .unwrap()
            .field("finalizers")
            .unwrap();
        assert!(finalizers.merges() && finalizers.keys.is_empty());
    }

    #[test]
    fn custom_resources_have_no_strategies() {
        assert!(Schema::of_kind("helm.toolkit.fluxcd.io/v2", "HelmRelease").is_none());
    }
}
