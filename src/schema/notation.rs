//! The project's compact schema notation, expanded into the structural
//! OpenAPI v3 form a CRD carries in `spec.versions[].schema.openAPIV3Schema`.
//!
//! Writing schemas by hand in the CRD form repeats every reference type and
//! pattern dozens of times; the notation names them once. See
//! `schemas/flux/README.md` for the user-facing description. In short:
//!
//! * A notation file is a YAML mapping. `types:` holds named types local to the
//!   file; `$rules:` holds CEL rules of the whole object; every other key is a
//!   property of the object (normally `spec` and `status`). `apiVersion`,
//!   `kind` and `metadata` are added by the expander.
//! * A property key ending in `!` is required.
//! * A property value is a *type expression* (a string), a *one-item
//!   sequence* (an array of that item), or a *mapping* (an object whose keys
//!   are its properties; `$`-keys are directives: `$type` a base to extend
//!   (a property written again replaces the base's), `$items` makes it an
//!   array of that item, `$values` gives it `additionalProperties`, `$rules`
//!   CEL validations, `$` modifiers of the schema itself).
//! * A type expression is a base followed by modifiers separated by spaces.
//!   Bases: `string`, `integer`, `number`, `boolean`, `object`, `any` (no
//!   type), a named type, `[EXPR]` (array) or `{EXPR}` (object with
//!   `additionalProperties`). Modifiers: `~PATTERN`, `enum:a|b`, `fmt:F`,
//!   `len:MIN..MAX`, `range:MIN..MAX`, `items:MIN..MAX`, `nullable`,
//!   `preserve`, `intstr`, `list:T`, `keys:a,b`, `map:T`.

use serde_json::{Map, Value};

use crate::base::source::LineIndex;
use crate::yaml::scalar::Typing;
use crate::yaml::to_json::to_json;

/// Named types nest (a type refers to another); deeper than this is a cycle
/// or a mistake, and failing beats overflowing the stack.
const MAX_DEPTH: usize = 64;

/// Parses a notation file (YAML) into JSON with the project's own loader.
pub fn parse_notation(text: &str) -> Result<Value, String> {
    let lines = LineIndex::new(text);
    let stream = crate::yaml::parse(text, &lines);
    if let Some(err) = stream.errors.first() {
        return Err(format!(
            "line {}:{}: {}",
            err.pos.line, err.pos.col, err.message
        ));
    }
    match stream.docs.as_slice() {
        [doc] => Ok(to_json(doc.root(), Typing::Core)),
        docs => Err(format!("expected one YAML document, found {}", docs.len())),
    }
}

/// Expands one kind's notation file (`kind_text`) against the shared types
/// file (`shared_text`, whose `types:` mapping any kind may reference) into
/// the whole object's `openAPIV3Schema`.
pub fn expand(shared_text: &str, kind_text: &str) -> Result<Value, String> {
    let shared = parse_notation(shared_text).map_err(|e| format!("shared types: {e}"))?;
    let kind = parse_notation(kind_text)?;
    expand_values(&shared, &kind)
}

/// As [`expand`], on already parsed notation.
pub fn expand_values(shared: &Value, kind: &Value) -> Result<Value, String> {
    let empty = Map::new();
    let types_of = |v: &Value, what: &str| -> Result<Map<String, Value>, String> {
        match v.get("types") {
            None => Ok(empty.clone()),
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(_) => Err(format!("{what}: `types` must be a mapping")),
        }
    };
    let ctx = Ctx {
        shared: types_of(shared, "shared types")?,
        local: types_of(kind, "kind")?,
    };
    let Value::Object(body) = kind else {
        return Err("a notation file must be a mapping".to_string());
    };
    // The object's own properties come first, as every CRD lists them.
    let mut root = Map::new();
    root.insert("apiVersion".into(), Value::String("string".into()));
    root.insert("kind".into(), Value::String("string".into()));
    root.insert("metadata".into(), Value::String("object".into()));
    for (k, v) in body {
        if k != "types" {
            root.insert(k.clone(), v.clone());
        }
    }
    ctx.schema(&Value::Object(root), 0, "")
}

struct Ctx {
    shared: Map<String, Value>,
    local: Map<String, Value>,
}

impl Ctx {
    fn schema(&self, v: &Value, depth: usize, path: &str) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(format!("{path}: types nest deeper than {MAX_DEPTH} levels"));
        }
        match v {
            Value::String(s) => self.expr(s, depth, path),
            Value::Array(items) => match items.as_slice() {
                [item] => Ok(Value::Object(array(self.schema(
                    item,
                    depth + 1,
                    &format!("{path}[]"),
                )?))),
                _ => Err(format!(
                    "{path}: an array type is a sequence of exactly one item type"
                )),
            },
            Value::Object(m) => self.object(m, depth, path),
            other => Err(format!("{path}: expected a type, found {other}")),
        }
    }

    fn object(&self, m: &Map<String, Value>, depth: usize, path: &str) -> Result<Value, String> {
        let mut out = if let Some(items) = m.get("$items") {
            if let Some(k) = m.keys().find(|k| !k.starts_with('$')) {
                return Err(format!(
                    "{path}: `$items` mapping cannot have property `{k}`"
                ));
            }
            array(self.schema(items, depth + 1, &format!("{path}[]"))?)
        } else if let Some(base) = m.get("$type") {
            match self.schema(base, depth + 1, path)? {
                Value::Object(o) => o,
                _ => return Err(format!("{path}: `$type` must expand to a schema object")),
            }
        } else {
            let mut o = Map::new();
            o.insert("type".into(), "object".into());
            o
        };
        if let Some(values) = m.get("$values") {
            let sub = format!("{path}{{}}");
            let values = self.schema(values, depth + 1, &sub)?;
            out.insert("additionalProperties".into(), values);
        }
        let mut props = match out.remove("properties") {
            Some(Value::Object(p)) => p,
            _ => Map::new(),
        };
        let mut required: Vec<String> = match out.remove("required") {
            Some(Value::Array(r)) => r
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        for (key, value) in m {
            match key.as_str() {
                "$items" | "$type" | "$values" => {}
                "$rules" => {
                    let rules = rules(value, path)?;
                    out.insert("x-kubernetes-validations".into(), rules);
                }
                "$" => {
                    let s = value
                        .as_str()
                        .ok_or_else(|| format!("{path}: `$` takes a modifier string"))?;
                    for tok in s.split_whitespace() {
                        modifier(&mut out, tok, path)?;
                    }
                }
                k if k.starts_with('$') => {
                    return Err(format!("{path}: unknown directive `{k}`"));
                }
                k => {
                    let (name, req) = match k.strip_suffix('!') {
                        Some(n) => (n, true),
                        None => (k, false),
                    };
                    let sub = format!("{path}/{name}");
                    props.insert(name.to_string(), self.schema(value, depth + 1, &sub)?);
                    if req && !required.iter().any(|r| r == name) {
                        required.push(name.to_string());
                    }
                }
            }
        }
        if !props.is_empty() {
            out.insert("properties".into(), Value::Object(props));
        }
        if !required.is_empty() {
            // controller-gen lists required fields sorted; so do we.
            required.sort();
            out.insert(
                "required".into(),
                Value::Array(required.into_iter().map(Value::String).collect()),
            );
        }
        Ok(Value::Object(out))
    }

    fn expr(&self, s: &str, depth: usize, path: &str) -> Result<Value, String> {
        let s = s.trim();
        // The item (or value) expression runs to the last closing bracket:
        // patterns inside it may hold unbalanced brackets, modifiers after it
        // never hold any.
        let (mut out, rest) = if let Some(inner) = s.strip_prefix('[') {
            let end = inner
                .rfind(']')
                .ok_or_else(|| format!("{path}: `[` without `]` in `{s}`"))?;
            let item = self.expr(&inner[..end], depth + 1, &format!("{path}[]"))?;
            (array(item), &inner[end + 1..])
        } else if let Some(inner) = s.strip_prefix('{') {
            let end = inner
                .rfind('}')
                .ok_or_else(|| format!("{path}: `{{` without `}}` in `{s}`"))?;
            let value = self.expr(&inner[..end], depth + 1, &format!("{path}{{}}"))?;
            let mut o = Map::new();
            o.insert("type".into(), "object".into());
            o.insert("additionalProperties".into(), value);
            (o, &inner[end + 1..])
        } else {
            let (base, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
            (self.base(base, depth, path)?, rest)
        };
        for tok in rest.split_whitespace() {
            modifier(&mut out, tok, path)?;
        }
        Ok(Value::Object(out))
    }

    fn base(&self, name: &str, depth: usize, path: &str) -> Result<Map<String, Value>, String> {
        let mut o = Map::new();
        match name {
            "string" | "integer" | "number" | "boolean" | "object" => {
                o.insert("type".into(), name.into());
            }
            "any" => {}
            _ => {
                let def = self
                    .local
                    .get(name)
                    .or_else(|| self.shared.get(name))
                    .ok_or_else(|| format!("{path}: unknown type `{name}`"))?;
                match self.schema(def, depth + 1, path)? {
                    Value::Object(m) => o = m,
                    _ => return Err(format!("{path}: type `{name}` is not a schema object")),
                }
            }
        }
        Ok(o)
    }
}

fn array(item: Value) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("type".into(), "array".into());
    o.insert("items".into(), item);
    o
}

/// `$rules` is a sequence of `{rule, message}` mappings.
fn rules(v: &Value, path: &str) -> Result<Value, String> {
    let items = v
        .as_array()
        .ok_or_else(|| format!("{path}: `$rules` must be a sequence"))?;
    let mut out = Vec::new();
    for item in items {
        let rule = item.get("rule").and_then(Value::as_str);
        let message = item.get("message").and_then(Value::as_str);
        let (Some(rule), Some(message)) = (rule, message) else {
            return Err(format!(
                "{path}: each rule needs `rule` and `message` strings"
            ));
        };
        if let Some(extra) = item
            .as_object()
            .and_then(|o| o.keys().find(|k| *k != "rule" && *k != "message"))
        {
            return Err(format!("{path}: unknown rule key `{extra}`"));
        }
        let mut o = Map::new();
        o.insert("message".into(), message.into());
        o.insert("rule".into(), rule.into());
        out.push(Value::Object(o));
    }
    Ok(Value::Array(out))
}

/// A bound of `MIN..MAX`, either side optional.
fn bounds(spec: &str, path: &str) -> Result<(Option<i64>, Option<i64>), String> {
    let (lo, hi) = spec
        .split_once("..")
        .ok_or_else(|| format!("{path}: expected MIN..MAX, found `{spec}`"))?;
    let num = |s: &str| -> Result<Option<i64>, String> {
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse()
                .map(Some)
                .map_err(|_| format!("{path}: `{s}` is not an integer"))
        }
    };
    Ok((num(lo)?, num(hi)?))
}

fn set_bounds(
    out: &mut Map<String, Value>,
    spec: &str,
    keys: (&str, &str),
    path: &str,
) -> Result<(), String> {
    let (lo, hi) = bounds(spec, path)?;
    if let Some(lo) = lo {
        out.insert(keys.0.into(), lo.into());
    }
    if let Some(hi) = hi {
        out.insert(keys.1.into(), hi.into());
    }
    Ok(())
}

fn modifier(out: &mut Map<String, Value>, tok: &str, path: &str) -> Result<(), String> {
    if let Some(p) = tok.strip_prefix('~') {
        out.insert("pattern".into(), p.into());
        return Ok(());
    }
    let flag = |out: &mut Map<String, Value>, key: &str| {
        out.insert(key.into(), Value::Bool(true));
    };
    match tok {
        "nullable" => flag(out, "nullable"),
        "preserve" => flag(out, "x-kubernetes-preserve-unknown-fields"),
        "intstr" => flag(out, "x-kubernetes-int-or-string"),
        _ => {
            let (key, arg) = tok
                .split_once(':')
                .ok_or_else(|| format!("{path}: unknown modifier `{tok}`"))?;
            match key {
                "enum" => {
                    let values = arg.split('|').map(|s| Value::String(s.into())).collect();
                    out.insert("enum".into(), Value::Array(values));
                }
                "fmt" => {
                    out.insert("format".into(), arg.into());
                }
                "len" => set_bounds(out, arg, ("minLength", "maxLength"), path)?,
                "range" => set_bounds(out, arg, ("minimum", "maximum"), path)?,
                "items" => set_bounds(out, arg, ("minItems", "maxItems"), path)?,
                "list" => {
                    out.insert("x-kubernetes-list-type".into(), arg.into());
                }
                "map" => {
                    out.insert("x-kubernetes-map-type".into(), arg.into());
                }
                "keys" => {
                    let keys = arg.split(',').map(|s| Value::String(s.into())).collect();
                    out.insert("x-kubernetes-list-map-keys".into(), Value::Array(keys));
                }
                _ => return Err(format!("{path}: unknown modifier `{tok}`")),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SHARED: &str = "types:\n  duration: string ~^[0-9]+s$\n  Ref:\n    name!: string\n";

    fn spec(kind: &str) -> Value {
        let v = expand(SHARED, kind).unwrap();
        v["properties"]["spec"].clone()
    }

    #[test]
    fn root_has_the_standard_properties() {
        let v = expand(SHARED, "spec: object\n").unwrap();
        assert_eq!(v["type"], "object");
        assert_eq!(v["properties"]["apiVersion"], json!({"type": "string"}));
        assert_eq!(v["properties"]["kind"], json!({"type": "string"}));
        assert_eq!(v["properties"]["metadata"], json!({"type": "object"}));
        assert_eq!(v["properties"]["spec"], json!({"type": "object"}));
    }

    #[test]
    fn required_marker_and_named_types() {
        let s = spec("spec:\n  interval!: duration\n  secretRef: Ref\n  a!: string\n");
        assert_eq!(s["required"], json!(["a", "interval"]));
        assert_eq!(
            s["properties"]["interval"],
            json!({"type": "string", "pattern": "^[0-9]+s$"})
        );
        assert_eq!(
            s["properties"]["secretRef"],
            json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]})
        );
    }

    #[test]
    fn arrays_maps_and_modifiers() {
        let s = spec(concat!(
            "spec:\n",
            "  a: '[string len:1..10] items:1..'\n",
            "  b: '{any preserve}'\n",
            "  c: string enum:x|y nullable\n",
            "  d: integer fmt:int64 range:0..\n",
            "  e:\n    - x: boolean\n",
            "  f:\n    $: list:map keys:k\n    $items:\n      k!: string\n",
            "  g: any intstr\n",
        ));
        let p = &s["properties"];
        assert_eq!(
            p["a"],
            json!({"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 10}, "minItems": 1})
        );
        assert_eq!(
            p["b"],
            json!({"type": "object", "additionalProperties": {"x-kubernetes-preserve-unknown-fields": true}})
        );
        assert_eq!(
            p["c"],
            json!({"type": "string", "enum": ["x", "y"], "nullable": true})
        );
        assert_eq!(
            p["d"],
            json!({"type": "integer", "format": "int64", "minimum": 0})
        );
        assert_eq!(
            p["e"],
            json!({"type": "array", "items": {"type": "object", "properties": {"x": {"type": "boolean"}}}})
        );
        assert_eq!(p["f"]["x-kubernetes-list-map-keys"], json!(["k"]));
        assert_eq!(p["f"]["items"]["required"], json!(["k"]));
        assert_eq!(p["g"], json!({"x-kubernetes-int-or-string": true}));
    }

    #[test]
    fn extends_and_rules() {
        let s = spec(concat!(
            "spec:\n",
            "  $rules:\n    - rule: has(self.x)\n      message: x is required\n",
            "  r:\n    $type: Ref\n    namespace: string\n",
        ));
        assert_eq!(
            s["x-kubernetes-validations"],
            json!([{"message": "x is required", "rule": "has(self.x)"}])
        );
        assert_eq!(s["properties"]["r"]["required"], json!(["name"]));
        assert!(s["properties"]["r"]["properties"]["namespace"].is_object());
    }

    #[test]
    fn errors_are_reported_not_panicked() {
        assert!(expand(SHARED, "spec: Nope\n")
            .unwrap_err()
            .contains("unknown type `Nope`"));
        assert!(expand(SHARED, "spec: string bogus\n").is_err());
        assert!(expand(SHARED, "spec: '[string'\n").is_err());
        assert!(expand(SHARED, "spec:\n  - a\n  - b\n").is_err());
        assert!(expand(SHARED, "spec: string len:x..\n").is_err());
        let cyclic = "types:\n  A: B\n  B: A\nspec: A\n";
        assert!(expand(SHARED, cyclic).unwrap_err().contains("deeper"));
    }
}
