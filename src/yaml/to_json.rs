//! YAML nodes to JSON values, typed as a chosen reader would type them, and
//! back again: a JSON Pointer (what a schema validator reports) to the node it
//! names, so every schema error lands on its exact key or value.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use super::node::{NodeKind, NodeRef, Scalar};
use super::scalar::{Typed, Typing};

/// Converts a node to JSON. Aliases are expanded (the loader has already
/// bounded their total size) and `<<` merge keys are applied, as Go's YAML
/// readers do.
pub fn to_json(node: NodeRef<'_>, typing: Typing) -> Value {
    convert(node, typing, None, &mut |_, _| None)
}

/// Mapping keys below which content does not matter, only the JSON type
/// does: a schema's free-form fields (a HelmRelease's `spec.values`).
/// Validation converts such a value to an empty object or array.
#[derive(Debug, Default, Clone)]
pub struct FreeForm {
    /// This value's content is skipped.
    pub here: bool,
    pub children: HashMap<String, FreeForm>,
}

/// [`to_json`], leaving out the content of what `free_form` marks and giving `scalar` the
/// first say on every scalar value (mapping keys excepted): it returns the
/// value to use instead, or `None` for the usual typing.
pub fn to_json_with<'d>(
    node: NodeRef<'d>,
    typing: Typing,
    free_form: Option<&FreeForm>,
    scalar: &mut dyn FnMut(&Scalar, NodeRef<'d>) -> Option<Value>,
) -> Value {
    convert(node, typing, free_form, scalar)
}

fn convert<'d, F>(
    node: NodeRef<'d>,
    typing: Typing,
    free_form: Option<&FreeForm>,
    scalar: &mut F,
) -> Value
where
    F: FnMut(&Scalar, NodeRef<'d>) -> Option<Value> + ?Sized,
{
    let here = free_form.is_some_and(|s| s.here);
    match &node.node().kind {
        NodeKind::Scalar(s) => {
            scalar(s, node).unwrap_or_else(|| scalar_to_json(s, node.tag(), typing))
        }
        NodeKind::Seq(_) if here => Value::Array(Vec::new()),
        NodeKind::Seq(_) => Value::Array(
            node.items()
                .map(|i| convert(i, typing, None, scalar))
                .collect(),
        ),
        NodeKind::Map(_) if here => Value::Object(Map::new()),
        NodeKind::Map(_) => {
            let mut map = Map::new();
            merge_into(node, typing, free_form, scalar, &mut map, 0);
            Value::Object(map)
        }
        NodeKind::Alias(_) => Value::Null,
    }
}

/// A scalar as JSON, given its explicit tag.
pub fn scalar_to_json(s: &Scalar, tag: Option<&str>, typing: Typing) -> Value {
    match s.typed(tag, typing) {
        Typed::Null => Value::Null,
        Typed::Bool(b) => Value::Bool(b),
        Typed::Int(i) => Value::Number(i.into()),
        Typed::UInt(u) => Value::Number(u.into()),
        Typed::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        Typed::Str => Value::String(s.value.to_string()),
    }
}

/// Inserts a mapping's entries; explicit keys override merged ones.
fn merge_into<'d, F>(
    node: NodeRef<'d>,
    typing: Typing,
    free_form: Option<&FreeForm>,
    scalar: &mut F,
    map: &mut Map<String, Value>,
    depth: u32,
) where
    F: FnMut(&Scalar, NodeRef<'d>) -> Option<Value> + ?Sized,
{
    let mut merges = Vec::new();
    for (k, v) in node.entries() {
        if is_merge_key(k) {
            merges.push(v);
            continue;
        }
        let key = key_string(k, typing);
        let below = free_form.and_then(|s| s.children.get(&key));
        let value = convert(v, typing, below, scalar);
        map.insert(key, value);
    }
    if depth > 8 {
        return;
    }
    for src in merges {
        let sources: Vec<NodeRef<'_>> = if src.is_seq() {
            src.items().collect()
        } else {
            vec![src]
        };
        for s in sources {
            let mut merged = Map::new();
            merge_into(s, typing, free_form, scalar, &mut merged, depth + 1);
            for (k, v) in merged {
                map.entry(k).or_insert(v);
            }
        }
    }
}

/// A `<<` merge key.
pub fn is_merge_key(k: NodeRef<'_>) -> bool {
    k.as_scalar()
        .is_some_and(|s| s.value == "<<" && s.style.is_plain() && k.tag().is_none())
}

/// A mapping key as the JSON object key it becomes.
pub fn key_string(k: NodeRef<'_>, typing: Typing) -> String {
    match &k.node().kind {
        // Go keeps a plain key's text when converting to JSON, whatever it
        // reads as (`yes`, `1`, `null`): no need to type it.
        NodeKind::Scalar(s) if s.style.is_plain() && typing == Typing::Kubernetes => {
            s.value.to_string()
        }
        NodeKind::Scalar(s) => match scalar_to_json(s, k.tag(), typing) {
            Value::String(s) => s,
            Value::Null if typing == Typing::Core => String::new(),
            other => other.to_string(),
        },
        // Complex keys are rare in manifests; JSON has no form for them.
        _ => serde_json::to_string(&to_json(k, typing)).unwrap_or_default(),
    }
}

/// Follows a JSON Pointer (`/spec/containers/0/image`) through the YAML
/// tree. Returns the deepest node reached and whether the whole path was
/// found; `key_of_last` asks for the key node of the final mapping entry
/// instead of its value.
pub fn resolve_pointer<'d>(
    root: NodeRef<'d>,
    pointer: &str,
    key_of_last: bool,
) -> (NodeRef<'d>, bool) {
    let mut cur = root;
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if cur.is_seq() {
            match seg.parse::<usize>().ok().and_then(|n| cur.items().nth(n)) {
                Some(item) => cur = item,
                None => return (cur, false),
            }
        } else {
            match cur.get_entry(seg) {
                Some((k, v)) => cur = if last && key_of_last { k } else { v },
                None => return (cur, false),
            }
        }
    }
    (cur, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::LineIndex;
    use crate::yaml::parse;

    #[test]
    fn keys_become_the_strings_go_and_yaml_1_2_make_of_them() {
        let text = "yes: a\n1: b\nnull: c\n~: d\n'true': e\n!!int \"7\": f\n!!str 8: g\n0x10: h\n1.50: i\nname: j\n";
        let s = parse(text, &LineIndex::new(text));
        let keys = |typing| -> Vec<String> {
            s.docs[0]
                .root()
                .entries()
                .map(|(k, _)| key_string(k, typing))
                .collect()
        };
        // Go keeps a plain key's text; a tag types a quoted one.
        assert_eq!(
            keys(Typing::Kubernetes),
            ["yes", "1", "null", "~", "true", "7", "8", "0x10", "1.50", "name"]
        );
        // YAML 1.2: the JSON form of the typed key.
        assert_eq!(
            keys(Typing::Core),
            ["yes", "1", "", "", "true", "7", "8", "16", "1.5", "name"]
        );
    }

    #[test]
    fn merge_keys_and_aliases_expand() {
        let text = "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n";
        let s = parse(text, &LineIndex::new(text));
        let json = to_json(s.docs[0].root(), Typing::Kubernetes);
        assert_eq!(json["derived"], serde_json::json!({"y": 3, "x": 1}));
    }

    #[test]
    fn pointer_resolves_to_value_or_key() {
        let text = "spec:\n  containers:\n  - name: a\n    image: nginx\n";
        let s = parse(text, &LineIndex::new(text));
        let root = s.docs[0].root();
        let (v, found) = resolve_pointer(root, "/spec/containers/0/image", false);
        assert!(found);
        assert_eq!((v.span().start.line, v.span().start.col), (4, 12));
        let (k, _) = resolve_pointer(root, "/spec/containers/0/image", true);
        assert_eq!(k.span().start.col, 5);
        let (deepest, found) = resolve_pointer(root, "/spec/missing/x", false);
        assert!(!found);
        assert!(deepest.is_map());
    }
}
