//! References to renamed objects: once prefixes, suffixes and hash
//! suffixes are on, every field that names a renamed object by its
//! original name (a pod's `configMapRef`, a RoleBinding's `roleRef`…) is
//! updated to the new name, as kustomize's name-reference transformer
//! does at the end of a build.

use std::collections::HashMap;

use super::fields::{self, FieldSpec};
use super::resource::Resource;
use super::tree::Node;

/// One renamed (or moved) object a reference may name.
struct Renamed {
    original: String,
    original_namespace: Option<String>,
    name: String,
    namespace: Option<String>,
    cluster_scoped: bool,
}

/// A referrer's field spec with its path split into segments.
type SplitSpec = (FieldSpec, Vec<String>);

/// The kinds whose objects other objects refer to by name.
const TARGET_KINDS: &[&str] = &[
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "PriorityClass",
    "Service",
    "Role",
    "ClusterRole",
    "StorageClass",
    "IngressClass",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "ReplicationController",
    "ValidatingAdmissionPolicy",
];

/// Updates the references to renamed objects; `extra`: the references a
/// kustomization's `configurations` add, as (kind referred to, referrer,
/// path).
pub fn fix_references(resources: &mut [Resource], extra: &[(String, FieldSpec, String)]) {
    let mut renamed: HashMap<String, Vec<Renamed>> = HashMap::new();
    for r in resources.iter() {
        let known = TARGET_KINDS.contains(&r.kind()) || extra.iter().any(|(k, ..)| k == r.kind());
        let moved = r.name() != r.original.name || r.namespace() != r.original.namespace.as_deref();
        if known && moved {
            renamed
                .entry(r.kind().to_string())
                .or_default()
                .push(Renamed {
                    original: r.original.name.clone(),
                    original_namespace: r.original.namespace.clone(),
                    name: r.name().to_string(),
                    namespace: r.namespace().map(str::to_string),
                    cluster_scoped: r.is_cluster_scoped(),
                });
        }
    }
    if renamed.is_empty() {
        return;
    }
    let specs: Vec<(&str, Vec<SplitSpec>)> = renamed
        .keys()
        .map(|kind| {
            let configured = extra
                .iter()
                .filter(|(k, ..)| k == kind)
                .map(|(_, spec, path)| (spec.clone(), path.clone()));
            let specs = fields::name_references(kind)
                .into_iter()
                .chain(configured)
                .map(|(spec, path)| (spec, fields::segments(&path)))
                .collect();
            (kind.as_str(), specs)
        })
        .collect();
    for r in resources.iter_mut() {
        let namespace = r.namespace().map(str::to_string);
        let referrer_cluster_scoped = r.is_cluster_scoped();
        for (kind, kind_specs) in &specs {
            let candidates = &renamed[*kind];
            let pick = |name: &str, ns: Option<&str>| -> Option<String> {
                candidates
                    .iter()
                    .find(|c| {
                        c.original == name
                            && (c.cluster_scoped
                                || referrer_cluster_scoped && ns.is_none()
                                || c.namespace.as_deref().unwrap_or("default")
                                    == ns.unwrap_or("default"))
                    })
                    .map(|c| c.name.clone())
            };
            let of = super::fields::Kind::of(r);
            let selected: Vec<&Vec<String>> = kind_specs
                .iter()
                .filter(|(s, _)| s.selects(&of))
                .map(|(_, p)| p)
                .collect();
            for segments in selected {
                let origin = r.root.origin;
                fields::visit(&mut r.root, segments, false, origin, &mut |parent, key| {
                    if key == "name" && parent.get("kind").is_some_and(|k| k.as_str() != Some(kind))
                    {
                        // `roleRef: {kind: ClusterRole, name: x}` names a
                        // ClusterRole, not a Role called x.
                        return;
                    }
                    let Some(node) = parent.get_mut(key) else {
                        return;
                    };
                    rename(node, &|name| pick(name, namespace.as_deref()));
                });
            }
            if *kind == "ServiceAccount" && matches!(r.kind(), "RoleBinding" | "ClusterRoleBinding")
            {
                fix_subjects(&mut r.root, candidates);
            }
        }
    }
}

/// A name, or a list of names (`rules[].resourceNames`).
fn rename(node: &mut Node, pick: &dyn Fn(&str) -> Option<String>) {
    if node.is_seq() {
        for item in node.items_mut() {
            rename(item, pick);
        }
        return;
    }
    let Some(new) = node.as_str().and_then(pick) else {
        return;
    };
    *node = Node::string(&new, node.origin);
}

/// A binding's ServiceAccount subjects follow the account's new name and
/// namespace.
fn fix_subjects(root: &mut Node, accounts: &[Renamed]) {
    let Some(subjects) = root.get_mut("subjects") else {
        return;
    };
    for subject in subjects.items_mut() {
        if subject.str_at(&["kind"]) != Some("ServiceAccount") {
            continue;
        }
        let name = subject.str_at(&["name"]).unwrap_or("");
        let ns = subject.str_at(&["namespace"]).unwrap_or("default");
        let found = accounts.iter().find(|a| {
            a.original == name
                && (a.original_namespace.as_deref().unwrap_or("default") == ns
                    || a.namespace.as_deref().unwrap_or("default") == ns)
        });
        let Some(account) = found else { continue };
        let origin = subject.get("name").map_or(subject.origin, |n| n.origin);
        subject.set("name", Node::string(&account.name, origin), origin);
        if let Some(ns) = &account.namespace {
            let origin = subject.get("namespace").map_or(origin, |n| n.origin);
            subject.set("namespace", Node::string(ns, origin), origin);
        }
    }
}
