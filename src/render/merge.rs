//! Strategic merge, as kustomize applies a patch (kyaml's `merge2`, with
//! the patch's new list elements first).
//!
//! - Mappings merge key by key; a `null` in the patch deletes the key.
//! - A list whose field has the `merge` strategy in the Kubernetes OpenAPI
//!   ([`Schema`]) merges element by element, matched by its merge keys
//!   (`name`; `containerPort` and `protocol`); a list of scalars with that
//!   strategy becomes the union. Every other list, and every list of a
//!   custom resource, is replaced.
//! - Directives: `$patch: delete` (an object, a mapping, a list element),
//!   `$patch: replace` (a mapping, or a list when an element says it),
//!   `$deleteFromPrimitiveList/<field>`; `$retainKeys` and
//!   `$setElementOrder/<field>` are read and dropped.

use super::strategy::{Field, Schema};
use super::tree::{Node, Value};

/// What became of the patched value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merged {
    Kept,
    /// The patch said `$patch: delete`.
    Deleted,
}

/// Merges `patch` into `dest`.
pub fn merge(dest: &mut Node, patch: &Node, schema: Option<Schema>) -> Merged {
    match directive(patch) {
        Some("delete") => return Merged::Deleted,
        Some("replace") => {
            *dest = clean(patch);
            return Merged::Kept;
        }
        _ => {}
    }
    if !(dest.is_map() && patch.is_map()) {
        *dest = clean(patch);
        return Merged::Kept;
    }
    for entry in patch.entries() {
        let key = entry.key.as_str();
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            delete_from_list(dest, field, &entry.value);
            continue;
        }
        if key.starts_with('$') {
            continue;
        }
        if entry.value.is_null() {
            dest.remove(key);
            continue;
        }
        let field = schema.and_then(|s| s.field(key));
        let below = schema.and_then(|s| s.child(key));
        let Some(current) = dest.get_mut(key) else {
            if directive(&entry.value) != Some("delete") {
                dest.set(key, clean(&entry.value), entry.key_origin);
            }
            continue;
        };
        if current.is_map() && entry.value.is_map() {
            if merge(current, &entry.value, below) == Merged::Deleted {
                dest.remove(key);
            }
        } else if current.is_seq() && entry.value.is_seq() && field.is_some_and(Field::merges) {
            merge_list(
                current,
                &entry.value,
                field.map_or(&[][..], |f| &f.keys),
                below,
            );
        } else if !same_scalar(current, &entry.value) {
            *current = clean(&entry.value);
        }
    }
    Merged::Kept
}

/// A patch that writes the value already there changes nothing: the value
/// keeps the place that first set it (a patch's `metadata.name` only says
/// what it patches).
fn same_scalar(a: &Node, b: &Node) -> bool {
    matches!((&a.value, &b.value), (Value::Scalar(x), Value::Scalar(y)) if x == y)
}

/// The `$patch` directive of a mapping.
fn directive(node: &Node) -> Option<&str> {
    node.get("$patch")?.as_str()
}

/// A patch value as it lands in the object: without directives.
fn clean(node: &Node) -> Node {
    let mut out = node.clone();
    strip(&mut out);
    out
}

fn strip(node: &mut Node) {
    match &mut node.value {
        Value::Map(entries) => {
            entries.retain(|e| !e.key.starts_with('$'));
            entries.iter_mut().for_each(|e| strip(&mut e.value));
        }
        Value::Seq(items) => {
            items.retain(|i| directive(i) != Some("delete"));
            items.iter_mut().for_each(strip);
        }
        Value::Scalar(_) => {}
    }
}

fn merge_list(dest: &mut Node, patch: &Node, keys: &[String], schema: Option<Schema>) {
    let patch_items = patch.items();
    if patch_items.iter().any(|i| directive(i) == Some("replace")) {
        let kept = patch_items
            .iter()
            .filter(|i| directive(i) != Some("replace"))
            .map(clean)
            .collect();
        dest.value = Value::Seq(kept);
        return;
    }
    let Value::Seq(old) = std::mem::replace(&mut dest.value, Value::Seq(Vec::new())) else {
        return;
    };
    let merged = if keys.is_empty() {
        union(old, patch_items)
    } else {
        merge_by_keys(old, patch_items, keys, schema)
    };
    dest.value = Value::Seq(merged);
}

/// A list of scalars merged as a set: the patch's values first.
fn union(old: Vec<Node>, patch: &[Node]) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::new();
    let same =
        |a: &Node, b: &Node| a.as_scalar().map(|s| &s.text) == b.as_scalar().map(|s| &s.text);
    for item in patch.iter().cloned().chain(old) {
        if !out.iter().any(|o| same(o, &item)) {
            out.push(item);
        }
    }
    out
}

/// The merge-key values of a list element (`""` where one is missing).
fn key_values<'n>(item: &'n Node, keys: &[String]) -> Vec<&'n str> {
    keys.iter()
        .map(|k| item.get(k).and_then(Node::as_str).unwrap_or(""))
        .collect()
}

/// Two elements are the same when their keys agree wherever both have one
/// (kyaml matches `containerPort: 80` with `containerPort: 80, protocol: TCP`).
fn same_element(a: &[&str], b: &[&str]) -> bool {
    let agree = a
        .iter()
        .zip(b)
        .all(|(x, y)| x == y || x.is_empty() || y.is_empty());
    agree && a.iter().zip(b).any(|(x, y)| x == y && !x.is_empty())
}

fn merge_by_keys(
    old: Vec<Node>,
    patch: &[Node],
    keys: &[String],
    schema: Option<Schema>,
) -> Vec<Node> {
    let mut old: Vec<Option<Node>> = old.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for item in patch {
        let wanted = key_values(item, keys);
        let matched = old.iter().position(|o| {
            o.as_ref()
                .is_some_and(|o| same_element(&key_values(o, keys), &wanted))
        });
        match (directive(item), matched) {
            (Some("delete"), Some(i)) => old[i] = None,
            (Some("delete"), None) => {}
            (_, Some(i)) => {
                let mut target = old[i].take().expect("matched an element still there");
                if merge(&mut target, item, schema) == Merged::Kept {
                    out.push(target);
                }
            }
            (_, None) => out.push(clean(item)),
        }
    }
    out.extend(old.into_iter().flatten());
    out
}

fn delete_from_list(dest: &mut Node, field: &str, values: &Node) {
    let Some(list) = dest.get_mut(field) else {
        return;
    };
    let Value::Seq(items) = &mut list.value else {
        return;
    };
    let doomed: Vec<&str> = values.items().iter().filter_map(Node::as_str).collect();
    items.retain(|i| !i.as_str().is_some_and(|s| doomed.contains(&s)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tree::parse_tree as tree;

    fn merged(dest: &str, patch: &str) -> serde_json::Value {
        let mut d = tree(dest);
        let schema = Schema::of_kind(
            d.str_at(&["apiVersion"]).unwrap(),
            d.str_at(&["kind"]).unwrap(),
        );
        merge(&mut d, &tree(patch), schema);
        d.to_json()
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, labels: {x: '1'}}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: app, image: a:1, env: [{name: A, value: '1'}]}\n        - {name: side, image: s:1}\n";

    #[test]
    fn merges_containers_by_name_and_new_ones_first() {
        let patch = "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - {name: new, image: n:1}\n        - {name: app, env: [{name: B, value: '2'}]}\n";
        let got = merged(DEPLOY, patch);
        let names: Vec<_> = got["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["new", "app", "side"]);
        let app = &got["spec"]["template"]["spec"]["containers"][1];
        assert_eq!(app["image"], "a:1");
        assert_eq!(app["env"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn deletes_by_null_and_directive() {
        let patch = "metadata:\n  labels: {x: null}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: side, $patch: delete}\n";
        let got = merged(DEPLOY, patch);
        assert_eq!(got["metadata"]["labels"], serde_json::json!({}));
        assert_eq!(
            got["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn custom_resources_replace_lists() {
        let dest =
            "apiVersion: x.io/v1\nkind: Thing\nspec: {list: [{name: a}, {name: b}], m: {a: 1}}\n";
        let got = merged(dest, "spec: {list: [{name: c}], m: {b: 2}}\n");
        assert_eq!(
            got["spec"],
            serde_json::json!({"list": [{"name": "c"}], "m": {"a": 1, "b": 2}})
        );
    }
}
