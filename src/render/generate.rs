//! `configMapGenerator` and `secretGenerator`: a ConfigMap or Secret made
//! from literals, files and env files, and the content hash kustomize
//! appends to its name.
//!
//! Every value of a generated object has the generator entry as its
//! origin. A Secret's values are only ever held base64-encoded, as the
//! object carries them; reports never print values of a Secret.

use base64::Engine;
use sha2::{Digest, Sha256};

use super::tree::{Node, Origin, Scalar, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ConfigMap,
    Secret,
}

/// What to do with an object of the same name from the resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behavior {
    Create,
    Merge,
    Replace,
}

pub struct Generated {
    pub root: Node,
    pub behavior: Behavior,
    pub hash: bool,
}

/// Reads a file a generator names, relative to the kustomization.
pub type Read<'a> = dyn FnMut(&str) -> Result<Vec<u8>, String> + 'a;

/// Makes the object one generator entry describes. `global` is the
/// kustomization's `generatorOptions`.
pub fn generate(
    kind: Kind,
    entry: &Node,
    global: Option<&Node>,
    read: &mut Read<'_>,
) -> Result<Generated, String> {
    let origin = entry.origin;
    let name = entry
        .str_at(&["name"])
        .ok_or("a generator needs a `name`")?;
    let behavior = match entry.str_at(&["behavior"]).unwrap_or("create") {
        "create" | "" => Behavior::Create,
        "merge" => Behavior::Merge,
        "replace" => Behavior::Replace,
        other => {
            return Err(format!(
                "unknown behavior `{other}` (create, merge or replace)"
            ))
        }
    };
    let pairs = pairs(entry, read)?;
    let mut root = Node::map(origin);
    let text = |s: &str| Node::string(s, origin);
    root.set("apiVersion", text("v1"), origin);
    root.set("kind", text(kind_name(kind)), origin);
    let meta = root.child_map("metadata", origin);
    meta.set("name", text(name), origin);
    if let Some(ns) = entry.str_at(&["namespace"]) {
        meta.set("namespace", text(ns), origin);
    }
    let local = entry.get("options");
    for field in ["labels", "annotations"] {
        let mut merged: Vec<(String, String)> = Vec::new();
        for options in [global, local].into_iter().flatten() {
            for e in options.get(field).map(Node::entries).unwrap_or(&[]) {
                let value = e.value.as_str().unwrap_or("").to_string();
                match merged.iter_mut().find(|(k, _)| *k == e.key) {
                    Some(slot) => slot.1 = value,
                    None => merged.push((e.key.to_string(), value)),
                }
            }
        }
        merged.sort();
        if !merged.is_empty() {
            let map = root.child_map("metadata", origin).child_map(field, origin);
            for (k, v) in merged {
                map.set(&k, text(&v), origin);
            }
        }
    }
    let option = |key: &str| {
        [local, global]
            .into_iter()
            .flatten()
            .any(|o| o.str_at(&[key]) == Some("true"))
    };
    if option("immutable") {
        let yes = Node::new(
            Value::Scalar(Scalar {
                text: "true".into(),
                plain: true,
            }),
            origin,
        );
        root.set("immutable", yes, origin);
    }
    fill_data(&mut root, kind, entry, pairs, origin);
    Ok(Generated {
        root,
        behavior,
        hash: !option("disableNameSuffixHash"),
    })
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::ConfigMap => "ConfigMap",
        Kind::Secret => "Secret",
    }
}

fn fill_data(
    root: &mut Node,
    kind: Kind,
    entry: &Node,
    pairs: Vec<(String, Vec<u8>)>,
    origin: Origin,
) {
    let b64 = |v: &[u8]| base64::engine::general_purpose::STANDARD.encode(v);
    if kind == Kind::Secret {
        let ty = entry.str_at(&["type"]).unwrap_or("Opaque");
        root.set("type", Node::string(ty, origin), origin);
    }
    if pairs.is_empty() {
        return;
    }
    for (key, value) in pairs {
        let (field, text) = match (kind, String::from_utf8(value)) {
            (Kind::ConfigMap, Ok(s)) => ("data", s),
            (Kind::ConfigMap, Err(e)) => ("binaryData", b64(e.as_bytes())),
            (Kind::Secret, Ok(s)) => ("data", b64(s.as_bytes())),
            (Kind::Secret, Err(e)) => ("data", b64(e.as_bytes())),
        };
        root.child_map(field, origin)
            .set(&key, Node::string(&text, origin), origin);
    }
}

/// The key-value pairs of a generator: env files, then literals, then
/// files (kustomize's order); a key given twice is an error.
fn pairs(entry: &Node, read: &mut Read<'_>) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let list = |key: &str| {
        entry.get(key).map(|l| {
            l.items()
                .iter()
                .filter_map(Node::as_str)
                .collect::<Vec<_>>()
        })
    };
    let mut envs = list("envs").unwrap_or_default();
    if let Some(env) = entry.str_at(&["env"]) {
        envs.push(env);
    }
    for path in envs {
        let text = String::from_utf8(read(path)?).map_err(|_| format!("`{path}` is not UTF-8"))?;
        out.extend(
            env_pairs(&text)?
                .into_iter()
                .map(|(k, v)| (k, v.into_bytes())),
        );
    }
    for literal in list("literals").unwrap_or_default() {
        let (k, v) = literal
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or(format!("invalid literal `{literal}`, expected key=value"))?;
        out.push((k.to_string(), remove_quotes(v).as_bytes().to_vec()));
    }
    for source in list("files").unwrap_or_default() {
        let (key, path) = file_source(source)?;
        out.push((key, read(path)?));
    }
    let mut seen = std::collections::HashSet::new();
    for (key, _) in &out {
        if !is_valid_key(key) {
            return Err(format!(
                "`{key}` is not a valid key (letters, digits, `-`, `_`, `.`)"
            ));
        }
        if !seen.insert(key.as_str()) {
            return Err(format!("the key `{key}` is given twice"));
        }
    }
    Ok(out)
}

fn remove_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b[b.len() - 1] && matches!(b[0], b'"' | b'\'') {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// `[key=]path`; the key defaults to the file's name.
fn file_source(source: &str) -> Result<(String, &str), String> {
    match source.matches('=').count() {
        0 => Ok((crate::base::paths::file_name(source).to_string(), source)),
        1 => match source.split_once('=') {
            Some((k, p)) if !k.is_empty() && !p.is_empty() => Ok((k.to_string(), p)),
            _ => Err(format!("`{source}` needs both a key and a path")),
        },
        _ => Err(format!("`{source}`: the key or the path contains `=`")),
    }
}

/// `KEY=value` lines; blank lines and `#` comments skipped.
fn env_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = if i == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        if !is_env_name(key) {
            return Err(format!("`{key}` is not a valid environment variable name"));
        }
        out.push((key.to_string(), value.to_string()));
    }
    Ok(out)
}

fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn is_valid_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The suffix kustomize appends to a generated object's name: the first
/// ten hex digits of the SHA-256 of its kind and data (as Go's JSON
/// encoder writes them), with the digits that could spell words replaced.
///
/// kustomize means to hash the name too, but looks it up as one field
/// called `metadata/name`, which is never there: the name it hashes is
/// always empty, and so is ours.
pub fn name_hash(root: &Node) -> String {
    let field = |key: &str| root.get(key).filter(|n| n.is_map());
    let mut fields: Vec<(&str, String)> = vec![
        ("kind", go_json_string(root.str_at(&["kind"]).unwrap_or(""))),
        ("name", go_json_string("")),
    ];
    let map_or_empty = |n: Option<&Node>| n.map_or_else(|| "\"\"".to_string(), go_json_map);
    fields.push(("data", map_or_empty(field("data"))));
    if root.str_at(&["kind"]) == Some("Secret") {
        fields.push(("type", go_json_string(root.str_at(&["type"]).unwrap_or(""))));
        if let Some(s) = field("stringData") {
            fields.push(("stringData", go_json_map(s)));
        }
    } else if let Some(b) = field("binaryData") {
        fields.push(("binaryData", go_json_map(b)));
    }
    fields.sort_by(|a, b| a.0.cmp(b.0));
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", go_json_string(k)))
        .collect();
    let json = format!("{{{}}}", body.join(","));
    let digest = Sha256::digest(json.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    hex.chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

fn go_json_map(map: &Node) -> String {
    let mut entries: Vec<(&str, String)> = map
        .entries()
        .iter()
        .map(|e| {
            let value = match &e.value.value {
                Value::Scalar(s) if s.is_null() => "null".to_string(),
                Value::Scalar(s) => go_json_string(&s.text),
                _ => e.value.to_json().to_string(),
            };
            (e.key.as_str(), value)
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let body: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}:{v}", go_json_string(k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// A string as Go's `encoding/json` writes it (HTML characters escaped).
fn go_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::render::tree::parse_tree as tree;

    #[test]
    fn hashes_as_kustomize_does() {
        // `kubectl kustomize` (v5.5.0) names this ConfigMap
        // `app-config-m5c6c52646`.
        let entry = tree("name: app-config\nliterals: [A=1, B=two, 'C=\"quoted\"', 'D=<&>']\n");
        let made = generate(Kind::ConfigMap, &entry, None, &mut |_| {
            Err("no files".into())
        })
        .unwrap();
        assert_eq!(name_hash(&made.root), "m5c6c52646");
        assert!(made.hash);
        let data = serde_json::json!({"A": "1", "B": "two", "C": "quoted", "D": "<&>"});
        assert_eq!(made.root.to_json()["data"], data);
    }

    #[test]
    fn reads_env_files_and_refuses_repeated_keys() {
        let entry = tree("name: s\nenvs: [a.env]\nliterals: [A=2]\n");
        let mut read = |_: &str| Ok(b"# c\nA=1\n".to_vec());
        let err = generate(Kind::Secret, &entry, None, &mut read)
            .err()
            .unwrap();
        assert!(err.contains("`A` is given twice"), "{err}");
    }

    #[test]
    fn escapes_like_go() {
        assert_eq!(
            go_json_string("a<b>&\"\n\u{1}"),
            "\"a\\u003cb\\u003e\\u0026\\\"\\n\\u0001\""
        );
    }
}
