//! A CRD's structural `openAPIV3Schema` turned into a strict JSON Schema
//! (draft 2020-12) for the `jsonschema` crate, plus the CEL rules
//! (`x-kubernetes-validations`) it carries, each with the place in the
//! object it applies to.
//!
//! Strict means what the API server's field validation means: an object
//! that lists `properties` accepts no other field unless the schema says so
//! (`additionalProperties`, `x-kubernetes-preserve-unknown-fields`). The
//! Kubernetes extensions become plain JSON Schema: `x-kubernetes-int-or-string`
//! an integer-or-string type, `nullable` an extra `null`, OpenAPI 3.0's
//! boolean `exclusiveMinimum` the numeric form. `metadata` at the root is
//! checked as a light ObjectMeta, so `metadata.nmae` is caught.

use serde_json::{json, Map, Value};

use crate::yaml::to_json::FreeForm;

/// Where in an object a CEL rule applies, from the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A named property.
    Prop(String),
    /// Every item of an array.
    Items,
    /// Every value of a map (`additionalProperties`).
    Values,
}

/// A CEL rule of the schema, where it applies.
#[derive(Debug, Clone, PartialEq)]
pub struct CelRuleSpec {
    pub at: Vec<Step>,
    pub rule: String,
    pub message: Option<String>,
    /// `fieldPath` (`.spec.x`), relative to where the rule applies.
    pub field_path: Option<String>,
}

/// A converted schema.
#[derive(Debug, Clone)]
pub struct Converted {
    pub schema: Value,
    pub rules: Vec<CelRuleSpec>,
}

/// Nesting deeper than this is cut off (treated as "anything"): schemas
/// come from repositories too, and conversion must not overflow the stack.
const MAX_DEPTH: usize = 96;

/// Converts a whole object's `openAPIV3Schema`.
pub fn convert(openapi: &Value) -> Converted {
    let mut rules = Vec::new();
    let mut path = Vec::new();
    let mut schema = node(openapi, &mut path, &mut rules, 0);
    if let Value::Object(root) = &mut schema {
        let props = root
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(props) = props {
            props.insert("apiVersion".into(), json!({"type": "string"}));
            props.insert("kind".into(), json!({"type": "string"}));
            props.insert("metadata".into(), object_meta());
        }
        root.insert("type".into(), json!("object"));
        if !root.contains_key("additionalProperties") {
            root.insert("additionalProperties".into(), Value::Bool(false));
        }
    }
    if let Value::Object(m) = &mut schema {
        m.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
    }
    Converted { schema, rules }
}

/// A light ObjectMeta: the fields people write, strictly typed.
pub fn object_meta() -> Value {
    let string_map = json!({"type": "object", "additionalProperties": {"type": "string"}});
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "name": {"type": "string"},
            "generateName": {"type": "string"},
            "namespace": {"type": "string"},
            "labels": string_map,
            "annotations": string_map,
            "finalizers": {"type": "array", "items": {"type": "string"}},
            "ownerReferences": {"type": "array", "items": {"type": "object"}},
            "uid": {"type": "string"},
            "resourceVersion": {"type": "string"},
            "generation": {"type": "integer"},
            "creationTimestamp": {"type": ["string", "null"]},
            "deletionTimestamp": {"type": ["string", "null"]},
            "deletionGracePeriodSeconds": {"type": "integer"},
            "managedFields": {"type": "array"},
            "selfLink": {"type": "string"}
        }
    })
}

fn node(s: &Value, path: &mut Vec<Step>, rules: &mut Vec<CelRuleSpec>, depth: usize) -> Value {
    let Value::Object(s) = s else {
        // `true`/`false` schemas and garbage: keep booleans, accept the rest.
        return if s.is_boolean() {
            s.clone()
        } else {
            Value::Bool(true)
        };
    };
    if depth > MAX_DEPTH {
        return Value::Bool(true);
    }
    let flag = |key: &str| s.get(key).and_then(Value::as_bool) == Some(true);
    let mut cx = Structural {
        s,
        out: Map::new(),
        path,
        rules,
        depth,
        preserve: flag("x-kubernetes-preserve-unknown-fields"),
        int_or_string: flag("x-kubernetes-int-or-string"),
        nullable: flag("nullable"),
    };
    cx.cel_rules();
    cx.types();
    cx.bounds();
    cx.properties();
    cx.items();
    cx.branches();
    if flag("x-kubernetes-embedded-resource") {
        cx.embedded_resource();
    }
    Value::Object(cx.out)
}

/// One schema node being converted: the OpenAPI node, the JSON Schema
/// being built, and where it is.
struct Structural<'s, 'p> {
    s: &'s Map<String, Value>,
    out: Map<String, Value>,
    path: &'p mut Vec<Step>,
    rules: &'p mut Vec<CelRuleSpec>,
    depth: usize,
    preserve: bool,
    int_or_string: bool,
    nullable: bool,
}

impl Structural<'_, '_> {
    /// The node's `x-kubernetes-validations`, with where they apply.
    fn cel_rules(&mut self) {
        let Some(Value::Array(vs)) = self.s.get("x-kubernetes-validations") else {
            return;
        };
        for v in vs {
            let Some(rule) = v.get("rule").and_then(Value::as_str) else {
                continue;
            };
            let text = |k: &str| v.get(k).and_then(Value::as_str).map(String::from);
            self.rules.push(CelRuleSpec {
                at: self.path.clone(),
                rule: rule.to_string(),
                message: text("message"),
                field_path: text("fieldPath"),
            });
        }
    }

    /// `type`: int-or-string is both; `nullable` adds `null`.
    fn types(&mut self) {
        let mut types: Vec<Value> = if self.int_or_string {
            vec![json!("integer"), json!("string")]
        } else {
            match self.s.get("type") {
                Some(Value::String(t)) => vec![Value::String(t.clone())],
                Some(Value::Array(ts)) => ts.clone(),
                _ => Vec::new(),
            }
        };
        if self.nullable && !types.is_empty() && !types.contains(&json!("null")) {
            types.push(json!("null"));
        }
        match types.len() {
            0 => {}
            1 => {
                self.out.insert("type".into(), types.remove(0));
            }
            _ => {
                self.out.insert("type".into(), Value::Array(types));
            }
        }
    }

    /// Value constraints, copied; OpenAPI's boolean exclusive bounds made
    /// numeric; `enum` (with `null` when nullable) and `required`.
    fn bounds(&mut self) {
        const COPIED: &[&str] = &[
            "pattern",
            "minimum",
            "maximum",
            "minLength",
            "maxLength",
            "minItems",
            "maxItems",
            "uniqueItems",
            "minProperties",
            "maxProperties",
            "multipleOf",
            "const",
        ];
        for key in COPIED {
            if let Some(v) = self.s.get(*key) {
                self.out.insert((*key).into(), v.clone());
            }
        }
        for (key, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            match self.s.get(key) {
                Some(Value::Bool(true)) => {
                    if let Some(b) = self.out.remove(bound) {
                        self.out.insert(key.into(), b);
                    }
                }
                Some(n @ Value::Number(_)) => {
                    self.out.insert(key.into(), n.clone());
                }
                _ => {}
            }
        }
        if let Some(Value::Array(e)) = self.s.get("enum") {
            let mut e = e.clone();
            if self.nullable && !e.contains(&Value::Null) {
                e.push(Value::Null);
            }
            self.out.insert("enum".into(), Value::Array(e));
        }
        if let Some(Value::Array(r)) = self.s.get("required") {
            self.out.insert("required".into(), Value::Array(r.clone()));
        }
    }

    /// A sub-schema at `step` below this node.
    fn child(&mut self, step: Step, sub: &Value) -> Value {
        self.path.push(step);
        let v = node(sub, self.path, self.rules, self.depth + 1);
        self.path.pop();
        v
    }

    /// `properties` and `additionalProperties`: a structural schema with
    /// properties is closed unless it preserves unknown fields.
    fn properties(&mut self) {
        let mut has_props = false;
        if let Some(Value::Object(props)) = self.s.get("properties") {
            has_props = true;
            let mut converted = Map::new();
            for (name, sub) in props {
                converted.insert(name.clone(), self.child(Step::Prop(name.clone()), sub));
            }
            self.out
                .insert("properties".into(), Value::Object(converted));
        }
        let additional = match self.s.get("additionalProperties") {
            Some(Value::Bool(b)) => Some(Value::Bool(*b || self.preserve)),
            Some(sub @ Value::Object(_)) => Some(self.child(Step::Values, sub)),
            _ => (has_props && !self.preserve).then_some(Value::Bool(false)),
        };
        if let Some(v) = additional {
            self.out.insert("additionalProperties".into(), v);
        }
    }

    fn items(&mut self) {
        let Some(items) = self.s.get("items") else {
            return;
        };
        let v = match items {
            // OpenAPI's tuple form is not allowed in CRDs; take the first.
            Value::Array(a) => match a.first() {
                Some(first) => self.child(Step::Items, first),
                None => Value::Bool(true),
            },
            other => self.child(Step::Items, other),
        };
        self.out.insert("items".into(), v);
    }

    /// `allOf`/`anyOf`/`oneOf`/`not`. Rules inside a branch apply
    /// unconditionally only under `allOf`. A CRD's `anyOf: [{type:
    /// integer}, {type: string}]` beside x-kubernetes-int-or-string is
    /// what the type now says.
    fn branches(&mut self) {
        for key in ["allOf", "anyOf", "oneOf"] {
            if self.int_or_string && key == "anyOf" {
                continue;
            }
            let Some(Value::Array(subs)) = self.s.get(key) else {
                continue;
            };
            let mut branch_rules = Vec::new();
            let subs: Vec<Value> = subs
                .iter()
                .map(|b| node(b, self.path, &mut branch_rules, self.depth + 1))
                .collect();
            if key == "allOf" {
                self.rules.extend(branch_rules);
            }
            self.out.insert(key.into(), Value::Array(subs));
        }
        if let Some(not) = self.s.get("not") {
            let mut ignored = Vec::new();
            let v = node(not, self.path, &mut ignored, self.depth + 1);
            self.out.insert("not".into(), v);
        }
    }

    /// An embedded resource has its object fields even when the schema
    /// does not list them.
    fn embedded_resource(&mut self) {
        if let Some(Value::Object(props)) = self.out.get_mut("properties") {
            for (field, ty) in [
                ("apiVersion", "string"),
                ("kind", "string"),
                ("metadata", "object"),
            ] {
                props.entry(field).or_insert_with(|| json!({"type": ty}));
            }
        }
    }
}

/// The schema that applies at `path` (JSON Pointer segments) below `schema`,
/// following `properties`, `items`, `additionalProperties`, local `$ref`s
/// into `defs` and the first branch of `allOf`/`anyOf`/`oneOf` that has
/// The free-form fields of a converted schema, reached through
/// `properties` (a HelmRelease's `spec.values`): any value of the right
/// JSON type passes there, so validation may skip their content. A field a
/// CEL rule may read (a rule at or below it, or a rule above it that names
/// it) is not skipped. `None` when the schema has no such field.
pub fn free_form(schema: &Value, rules: &[CelRuleSpec]) -> Option<FreeForm> {
    free_form_at(schema, &mut Vec::new(), rules, 0)
}

fn free_form_at(
    schema: &Value,
    path: &mut Vec<Step>,
    rules: &[CelRuleSpec],
    depth: usize,
) -> Option<FreeForm> {
    if depth > MAX_DEPTH {
        return None;
    }
    let props = schema.get("properties")?.as_object()?;
    let mut out = FreeForm::default();
    for (name, sub) in props {
        path.push(Step::Prop(name.clone()));
        let child = if is_free_form(sub) {
            (!read_by_cel(path, rules)).then(|| FreeForm {
                here: true,
                children: Default::default(),
            })
        } else {
            free_form_at(sub, path, rules, depth + 1)
        };
        path.pop();
        if let Some(c) = child {
            out.children.insert(name.clone(), c);
        }
    }
    (!out.children.is_empty()).then_some(out)
}

/// A schema that accepts any content: no keyword but an object (or no)
/// type and an open `additionalProperties`.
fn is_free_form(s: &Value) -> bool {
    match s {
        Value::Bool(b) => *b,
        Value::Object(m) => m.iter().all(|(k, v)| match k.as_str() {
            "type" => v == "object",
            "additionalProperties" => v == &Value::Bool(true),
            _ => false,
        }),
        _ => false,
    }
}

fn read_by_cel(path: &[Step], rules: &[CelRuleSpec]) -> bool {
    rules.iter().any(|r| {
        if r.at.starts_with(path) {
            return true; // at or below the field
        }
        match (path.starts_with(&r.at), path.get(r.at.len())) {
            (true, Some(Step::Prop(name))) => r.rule.contains(name.as_str()),
            _ => false,
        }
    })
}

/// properties. Used to name the fields an object accepts.
pub fn schema_at<'s>(
    schema: &'s Value,
    defs: Option<&'s Value>,
    path: &[String],
) -> Option<&'s Value> {
    let mut cur = deref(schema, defs)?;
    for seg in path {
        cur = deref(cur, defs)?;
        let next = cur
            .get("properties")
            .and_then(|p| p.get(seg.as_str()))
            .or_else(|| {
                if seg.parse::<usize>().is_ok() {
                    cur.get("items")
                } else {
                    None
                }
            })
            .or_else(|| cur.get("additionalProperties").filter(|a| a.is_object()));
        cur = match next {
            Some(n) => n,
            None => branches(cur).find_map(|b| {
                let b = deref(b, defs)?;
                b.get("properties").and_then(|p| p.get(seg.as_str()))
            })?,
        };
    }
    deref(cur, defs)
}

/// The property names an object schema accepts.
/// Whether the schema declares `type` (alone, or beside `null`) for the
/// value at `path`.
pub fn declares_type(schema: &Value, defs: Option<&Value>, path: &[String], ty: &str) -> bool {
    let Some(at) = schema_at(schema, defs, path).and_then(|s| deref(s, defs)) else {
        return false;
    };
    match at.get("type") {
        Some(Value::String(t)) => t == ty,
        Some(Value::Array(types)) => types.iter().any(|t| t == ty),
        _ => false,
    }
}

pub fn property_names<'s>(schema: &'s Value, defs: Option<&'s Value>) -> Vec<&'s str> {
    let mut names: Vec<&str> = Vec::new();
    let mut add = |s: &'s Value| {
        if let Some(Value::Object(p)) = s.get("properties") {
            names.extend(p.keys().map(String::as_str));
        }
    };
    add(schema);
    for b in branches(schema) {
        if let Some(b) = deref(b, defs) {
            add(b);
        }
    }
    names
}

fn branches(s: &Value) -> impl Iterator<Item = &Value> {
    ["allOf", "anyOf", "oneOf"]
        .into_iter()
        .filter_map(move |k| s.get(k).and_then(Value::as_array))
        .flatten()
}

fn deref<'s>(mut s: &'s Value, defs: Option<&'s Value>) -> Option<&'s Value> {
    for _ in 0..16 {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.rsplit_once("#/$defs/").map(|(_, n)| n)?;
                s = defs?.get(name)?;
            }
            None => return Some(s),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_with_properties_become_strict() {
        let c = convert(&json!({
            "type": "object",
            "properties": {
                "spec": {"type": "object", "properties": {"a": {"type": "string"}}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                         "properties": {"b": {"type": "string"}}},
                "map": {"type": "object", "additionalProperties": {"type": "string"}}
            }
        }));
        let s = &c.schema;
        assert_eq!(
            s["properties"]["spec"]["additionalProperties"],
            json!(false)
        );
        assert!(s["properties"]["free"]
            .get("additionalProperties")
            .is_none());
        assert_eq!(
            s["properties"]["map"]["additionalProperties"],
            json!({"type": "string"})
        );
        assert_eq!(s["additionalProperties"], json!(false));
        assert_eq!(
            s["properties"]["metadata"]["additionalProperties"],
            json!(false)
        );
    }

    #[test]
    fn kubernetes_extensions_become_json_schema() {
        let c = convert(&json!({
            "type": "object",
            "properties": {
                "port": {"x-kubernetes-int-or-string": true,
                         "anyOf": [{"type": "integer"}, {"type": "string"}]},
                "opt": {"type": "string", "nullable": true, "enum": ["a", "b"]},
                "n": {"type": "integer", "minimum": 1, "exclusiveMinimum": true}
            }
        }));
        let p = &c.schema["properties"];
        assert_eq!(p["port"], json!({"type": ["integer", "string"]}));
        assert_eq!(p["opt"]["type"], json!(["string", "null"]));
        assert_eq!(p["opt"]["enum"], json!(["a", "b", null]));
        assert_eq!(p["n"], json!({"type": "integer", "exclusiveMinimum": 1}));
    }

    #[test]
    fn cel_rules_are_collected_with_their_place() {
        let c = convert(&json!({
            "type": "object",
            "properties": {"spec": {"type": "object",
                "x-kubernetes-validations": [{"rule": "has(self.a)", "message": "a is required"}],
                "properties": {"items": {"type": "array", "items": {"type": "object",
                    "x-kubernetes-validations": [{"rule": "self.x > 0"}]}}}}}
        }));
        assert_eq!(c.rules.len(), 2);
        assert_eq!(c.rules[0].at, vec![Step::Prop("spec".into())]);
        assert_eq!(c.rules[0].message.as_deref(), Some("a is required"));
        assert_eq!(
            c.rules[1].at,
            vec![
                Step::Prop("spec".into()),
                Step::Prop("items".into()),
                Step::Items
            ]
        );
    }

    #[test]
    fn finds_the_schema_at_a_path() {
        let c = convert(
            &json!({"type": "object", "properties": {"spec": {"type": "object",
            "properties": {"list": {"type": "array", "items": {"type": "object",
                "properties": {"name": {"type": "string"}, "value": {"type": "string"}}}}}}}}),
        );
        let at = schema_at(&c.schema, None, &["spec".into(), "list".into(), "0".into()]).unwrap();
        let mut names = property_names(at, None);
        names.sort();
        assert_eq!(names, ["name", "value"]);
    }
}
