//! A HelmRelease's effective values checked against its chart's
//! `values.schema.json`, as Helm does at install time.
//!
//! Where the chart was resolved to a local checkout (Pattern A's own chart,
//! Pattern B's central chart), the values are layered as Helm layers them —
//! chart `values.yaml` < each `valuesFiles` entry in order < `spec.values`,
//! maps merged key by key, a `null` deleting a key — while remembering which
//! layer set each value. A schema violation is then reported where the
//! offending value was written; a missing property at the key of the mapping
//! that should hold it, in the last layer that wrote that mapping.

use std::collections::HashMap;

use rayon::prelude::*;
use serde_json::{Map, Value};

use jsonschema::error::ValidationErrorKind;

use crate::base::ids::{DocId, FileId, RepoId};
use crate::base::source::Span;
use crate::graph::{Graph, HelmUse, Occurrence};
use crate::model::flux::HelmReleaseView;
use crate::schema::postbuild::{self, Substitution, Variables};
use crate::workspace::Workspace;
use crate::yaml::scalar::Typing;
use crate::yaml::to_json::{is_merge_key, key_string, to_json, to_json_with};
use crate::yaml::NodeRef;

/// Where a value of the effective values was written.
#[derive(Clone, Copy)]
struct Origin<'w> {
    file: FileId,
    doc: DocId,
    /// The key node, when the value is a mapping entry.
    key: Option<NodeRef<'w>>,
    value: NodeRef<'w>,
}

/// Effective values, and the layers they were merged from (latest last).
///
/// Origins are found only for the few pointers an error names, by looking
/// the pointer up in the layers from the latest back: the latest layer
/// that writes a value at a pointer is where the effective value was set
/// (a later layer that replaced or deleted an ancestor would have removed
/// the pointer from the effective values). Recording an origin for every
/// value of every release up front cost more than the validation itself.
struct Layered<'w, 's> {
    values: Value,
    layers: Vec<Origin<'w>>,
    /// What the schema constrains: the rest is not converted.
    shape: &'s Shape,
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// `a~1b` → `a/b`, `~0` → `~`.
fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

impl<'w, 's> Layered<'w, 's> {
    fn new(shape: &'s Shape) -> Self {
        Layered {
            values: Value::Object(Map::new()),
            layers: Vec::new(),
            shape,
        }
    }

    /// Layers a mapping node over the values so far (Helm's coalescing),
    /// with post-build variables substituted when `sub` is given.
    fn layer(&mut self, origin: Origin<'w>, sub: &mut Option<Substitution<'_>>) {
        if !origin.value.is_map() {
            return;
        }
        self.layers.push(origin);
        merge(&mut self.values, origin.value, self.shape, sub);
    }

    /// The origin of `pointer`, or of its nearest ancestor that has one.
    fn origin_of(&self, pointer: &str) -> Option<Origin<'w>> {
        let segments: Vec<String> = pointer.split('/').skip(1).map(unescape).collect();
        (0..=segments.len()).rev().find_map(|n| {
            self.layers
                .iter()
                .rev()
                .find_map(|layer| resolve(*layer, &segments[..n]))
        })
    }
}

/// A whole node as JSON, substituted when `sub` is given.
fn full(node: NodeRef<'_>, sub: &mut Option<Substitution<'_>>) -> Value {
    match sub {
        Some(sub) => to_json_with(node, Typing::Kubernetes, None, &mut |s, n| sub.scalar(s, n)),
        None => to_json(node, Typing::Kubernetes),
    }
}

/// Merges a mapping node into `dst`: maps key by key, a `null` deleting a
/// key, anything else replacing what was there.
fn merge(dst: &mut Value, node: NodeRef<'_>, shape: &Shape, sub: &mut Option<Substitution<'_>>) {
    let Value::Object(dst_map) = dst else {
        return;
    };
    for (k, v) in node.entries() {
        let Some(key) = k.as_str() else { continue };
        if v.is_null() {
            dst_map.remove(key);
            continue;
        }
        let below = shape.property(key);
        match dst_map.get_mut(key) {
            Some(existing @ Value::Object(_)) if v.is_map() => merge(existing, v, below, sub),
            _ => {
                dst_map.insert(key.to_string(), convert(v, below, sub));
            }
        }
    }
}

/// What a values schema constrains, so that only that is converted to JSON
/// for validation: a release's values are mostly free text (annotations,
/// environment variables, resources) that the chart's schema says nothing
/// about, and converting them cost more than validating.
///
/// A value the schema says nothing about becomes `null` (only its presence
/// can matter, to `required`). Where a schema uses a keyword whose check or
/// message needs the whole value (`enum`, `$ref`, `anyOf`, `minItems`, …),
/// or where the value's kind does not fit the schema's `type` (the message
/// shows the value), the value is converted in full.
#[derive(Debug)]
enum Shape {
    /// Converted as it is.
    Full,
    /// Unconstrained: not converted.
    Any,
    Node(Box<NodeShape>),
}

#[derive(Debug)]
struct NodeShape {
    /// The schema's `type` allows an object / an array (or says nothing).
    object: bool,
    array: bool,
    properties: HashMap<String, Shape>,
    items: Shape,
}

/// Keywords that constrain nothing.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "definitions",
    "$defs",
];

/// Keywords that constrain a scalar only (scalars are always converted).
const SCALAR_KEYWORDS: &[&str] = &[
    "format",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
];

impl Shape {
    fn of(schema: &Value, depth: usize) -> Shape {
        let m = match schema {
            Value::Bool(true) => return Shape::Any,
            Value::Object(m) if depth < 64 => m,
            _ => return Shape::Full,
        };
        let mut node = NodeShape {
            object: true,
            array: true,
            properties: HashMap::new(),
            items: Shape::Any,
        };
        let mut constrains = false;
        for (k, v) in m {
            let k = k.as_str();
            if ANNOTATIONS.contains(&k) {
                continue;
            }
            constrains = true;
            match (k, v) {
                _ if SCALAR_KEYWORDS.contains(&k) => {}
                ("required", _) | ("additionalProperties", Value::Bool(_)) => {}
                ("type", _) => {
                    let allows = |t: &str| match v {
                        Value::String(s) => s == t,
                        Value::Array(a) => a.iter().any(|x| x == t),
                        _ => true,
                    };
                    node.object = allows("object");
                    node.array = allows("array");
                }
                ("properties", Value::Object(props)) => {
                    for (name, sub) in props {
                        node.properties
                            .insert(name.clone(), Shape::of(sub, depth + 1));
                    }
                }
                ("items", sub @ (Value::Object(_) | Value::Bool(_))) => {
                    node.items = Shape::of(sub, depth + 1);
                }
                _ => return Shape::Full,
            }
        }
        if constrains {
            Shape::Node(Box::new(node))
        } else {
            Shape::Any
        }
    }

    /// The shape of a mapping's value at `key`.
    fn property(&self, key: &str) -> &Shape {
        match self {
            Shape::Node(n) => n.properties.get(key).unwrap_or(&Shape::Any),
            other => other,
        }
    }
}

/// Converts a node as far as `shape` needs it.
fn convert(node: NodeRef<'_>, shape: &Shape, sub: &mut Option<Substitution<'_>>) -> Value {
    let n = match shape {
        Shape::Any => return Value::Null,
        Shape::Full => return full(node, sub),
        Shape::Node(n) => n,
    };
    if node.is_map() && n.object && !node.entries().any(|(k, _)| is_merge_key(k)) {
        let mut map = Map::new();
        for (k, v) in node.entries() {
            let key = key_string(k, Typing::Kubernetes);
            let value = convert(v, shape.property(&key), sub);
            map.insert(key, value);
        }
        Value::Object(map)
    } else if node.is_seq() && n.array {
        Value::Array(node.items().map(|i| convert(i, &n.items, sub)).collect())
    } else {
        full(node, sub)
    }
}

/// The node a layer writes at `segments`, if it writes one (not null).
fn resolve<'w>(layer: Origin<'w>, segments: &[String]) -> Option<Origin<'w>> {
    let mut at = layer;
    for seg in segments {
        let (key, value) = if at.value.is_seq() {
            (None, at.value.items().nth(seg.parse().ok()?)?)
        } else {
            let (k, v) = at.value.get_entry(seg)?;
            (Some(k), v)
        };
        at = Origin { key, value, ..at };
    }
    (!at.value.is_null()).then_some(at)
}

/// A value of a HelmRelease's effective values that its chart's
/// `values.schema.json` rejects, at the place that set it.
#[derive(Debug, Clone)]
pub struct ValuesViolation {
    pub file: FileId,
    pub doc: DocId,
    pub span: Span,
    /// The HelmRelease's name.
    pub release: String,
    /// `spec.chart.spec.chart` as written (the chart directory if unset).
    pub chart: String,
    /// The chart directory, repository-relative.
    pub chart_dir: String,
    /// The JSON pointer of the rejected value (`""`: the values as a whole).
    pub pointer: String,
    /// What the schema says is wrong.
    pub error: String,
    /// The post-build variables (one Kustomization's set) substituted
    /// into the rejected value, and which of them were used. Cloned: a
    /// violation is rare, and the sets live only while a release is checked.
    pub substituted: Option<(Variables, Vec<String>)>,
}

/// The compiled `values.schema.json` of every local chart a release uses,
/// each read and compiled once per run.
#[derive(Default)]
pub struct ChartSchemas {
    by_chart: HashMap<(RepoId, String), (jsonschema::Validator, Shape)>,
}

impl ChartSchemas {
    pub fn build(ws: &Workspace, graph: &Graph) -> Self {
        let mut charts: Vec<(RepoId, &str)> = graph
            .helm
            .iter()
            .filter_map(|h| Some((h.chart_repo, h.chart_dir.as_deref()?)))
            .collect();
        charts.sort_unstable();
        charts.dedup();
        let by_chart = charts
            .into_par_iter()
            .filter_map(|(repo, dir)| Some(((repo, dir.to_string()), load_schema(ws, repo, dir)?)))
            .collect();
        ChartSchemas { by_chart }
    }

    fn of<'h>(&self, h: &'h HelmUse) -> Option<(&'h str, &(jsonschema::Validator, Shape))> {
        let dir = h.chart_dir.as_deref()?;
        let key = (h.chart_repo, dir.to_string());
        Some((dir, self.by_chart.get(&key)?))
    }
}

/// The violations of one HelmRelease whose local chart ships a
/// `values.schema.json`. `root` is the release as a cluster applies it
/// (post-build variables already substituted), or as written when no
/// rendering covers it (then substituted with each variable set of the
/// Kustomizations the graph finds applying it).
pub fn check(
    ws: &Workspace,
    graph: &Graph,
    schemas: &ChartSchemas,
    h: &HelmUse,
    root: NodeRef<'_>,
    rendered: bool,
) -> Vec<ValuesViolation> {
    let Some((dir, (validator, shape))) = schemas.of(h) else {
        return Vec::new();
    };
    let occ = &graph.occurrences[h.occurrence];
    let release = Release {
        ws,
        h,
        occ,
        dir,
        root,
    };
    if rendered {
        let found = release.violations(validator, shape, None);
        return found.into_iter().map(|k| k.violation).collect();
    }
    let Some(hr_doc) = ws.file(occ.file).doc(occ.doc) else {
        return Vec::new();
    };
    let sets = postbuild::variable_sets(ws, graph, occ.file, hr_doc);
    let found = postbuild::check_each(
        &sets,
        |vars| release.violations(validator, shape, vars),
        |v| (v.span, v.key.as_str()),
    );
    found.into_iter().map(|(v, _)| v.violation).collect()
}

fn load_schema(ws: &Workspace, repo: RepoId, dir: &str) -> Option<(jsonschema::Validator, Shape)> {
    let path = ws
        .repos
        .get(repo)?
        .root
        .join(dir)
        .join("values.schema.json");
    ws.disk.note(&path);
    let text = std::fs::read_to_string(path).ok()?;
    let schema: Value = serde_json::from_str(&text).ok()?;
    let validator = jsonschema::validator_for(&schema).ok()?;
    Some((validator, Shape::of(&schema, 0)))
}

/// One release being checked.
struct Release<'w, 'r> {
    ws: &'w Workspace,
    h: &'w HelmUse,
    occ: &'w Occurrence,
    dir: &'w str,
    root: NodeRef<'r>,
}

/// A violation, and what makes it the same as another's (its place and
/// what is said about it).
struct Keyed {
    span: Span,
    key: String,
    violation: ValuesViolation,
}

impl<'w: 'r, 'r> Release<'w, 'r> {
    /// The release's values layered as Helm layers them, `spec.values`
    /// substituted with `sub`.
    fn layered<'s>(&self, shape: &'s Shape, sub: &mut Option<Substitution<'_>>) -> Layered<'r, 's> {
        let mut layered = Layered::new(shape);
        let chart_values = format!("{}/values.yaml", self.dir);
        let chart_values_file = self.ws.file_at(self.h.chart_repo, &chart_values);
        for file in chart_values_file
            .into_iter()
            .chain(self.h.values_files.iter().copied())
        {
            if let Some(doc) = self.ws.file(file).stream.docs.first() {
                let origin = Origin {
                    file,
                    doc: DocId::FIRST,
                    key: None,
                    value: doc.root(),
                };
                layered.layer(origin, &mut None);
            }
        }
        if let Some((key, values)) = self.root.get("spec").and_then(|s| s.get_entry("values")) {
            let origin = Origin {
                file: self.occ.file,
                doc: self.occ.doc,
                key: Some(key),
                value: values,
            };
            layered.layer(origin, sub);
        }
        layered
    }

    /// The violations of the release with one set of post-build variables.
    fn violations(
        &self,
        validator: &jsonschema::Validator,
        shape: &Shape,
        vars: Option<&Variables>,
    ) -> Vec<Keyed> {
        let mut sub = vars.map(Substitution::new);
        let layered = self.layered(shape, &mut sub);
        let chart = HelmReleaseView::of(self.root)
            .chart()
            .and_then(|c| c.chart)
            .unwrap_or(self.dir);
        let mut out = Vec::new();
        for error in validator.iter_errors(&layered.values) {
            // A placeholder no Kustomization gives a value (or one set by
            // the pipeline): the value Helm sees is not this text.
            if matches!(error.instance().as_ref(), Value::String(s) if s.contains("${")) {
                continue;
            }
            let pointer = error.instance_path().as_str().to_string();
            let (target, at_key) = match error.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    match unexpected.first() {
                        Some(u) => (format!("{pointer}/{}", escape(u)), true),
                        None => (pointer.clone(), false),
                    }
                }
                ValidationErrorKind::Required { .. } => (pointer.clone(), true),
                _ => (pointer.clone(), false),
            };
            let Some(origin) = layered.origin_of(&target) else {
                continue;
            };
            // Missing and unexpected properties point at keys; wrong
            // values at the value itself. A rendered node says which file
            // wrote it (a parent's patch, a variable's source).
            let node = match (at_key, origin.key) {
                (true, Some(k)) if k.span().start.line != 0 => k,
                _ => origin.value,
            };
            let span = node.span();
            let file = node.source().map_or(origin.file, |s| s.file);
            let substituted = sub
                .as_ref()
                .and_then(|s| Some((s.vars().clone(), s.used_at(span)?.to_vec())));
            let error = error.to_string();
            let applier = substituted.as_ref().map_or("", |(v, _)| v.applier.as_str());
            out.push(Keyed {
                span,
                key: format!("{pointer}\0{error}\0{applier}"),
                violation: ValuesViolation {
                    file,
                    doc: origin.doc,
                    span,
                    release: self.occ.name.clone(),
                    chart: chart.to_string(),
                    chart_dir: self.dir.to_string(),
                    pointer,
                    error,
                    substituted,
                },
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::LineIndex;
    use crate::yaml::parse;
    use serde_json::json;

    /// (instance path, message) of every error.
    type Errors = Vec<(String, String)>;

    /// The errors for values converted as the schema's shape needs them,
    /// and for values converted in full.
    fn errors(schema: &Value, values: &str) -> (Errors, Errors) {
        let stream = parse(values, &LineIndex::new(values));
        let root = stream.docs[0].root();
        let validator = jsonschema::validator_for(schema).unwrap();
        let run = |instance: Value| -> Errors {
            let mut e: Errors = validator
                .iter_errors(&instance)
                .map(|e| (e.instance_path().as_str().to_string(), e.to_string()))
                .collect();
            e.sort();
            e
        };
        let shape = Shape::of(schema, 0);
        let mut guided = Value::Object(Map::new());
        merge(&mut guided, root, &shape, &mut None);
        let mut full = Value::Object(Map::new());
        merge(&mut full, root, &Shape::Full, &mut None);
        (run(guided), run(full))
    }

    #[test]
    fn values_converted_as_the_schema_needs_give_the_same_errors() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "required": ["image", "sku"],
            "properties": {
                "replicaCount": {"type": "integer", "minimum": 1},
                "image": {"type": "object", "required": ["repository"],
                    "properties": {"repository": {"type": "string"}, "tag": {"type": "string"}}},
                "sku": {"enum": ["small", "large"]},
                "env": {"type": "array", "items": {"type": "object", "required": ["name"]}},
                "ports": {"type": "array", "minItems": 1},
                "labels": {"type": "object", "additionalProperties": false,
                    "properties": {"team": {"type": "string"}}},
                "config": {"type": "object"},
                "name": {"type": "string", "maxLength": 5}
            }
        });
        let cases = [
            // Valid, with plenty the schema says nothing about.
            "image: {repository: r, tag: '1'}\nsku: small\nenv: [{name: a, value: x}]\nannotations: {a: b}\nconfig: {deep: {x: [1, 2]}}\n",
            // Wrong types at every level, and values where a scalar belongs.
            "replicaCount: two\nimage: {repository: [a, b], tag: 1.10}\nsku: medium\nenv: {name: a}\n",
            "image: nginx\nsku: {size: small}\nname: {first: a}\nconfig: [1]\n",
            // Missing required fields, a list too short, an unexpected key.
            "image: {tag: x}\nenv: [{value: x}, 3]\nports: []\nlabels: {team: a, owner: b}\n",
            "replicaCount: 0\nname: toolong\n",
            "{}\n",
        ];
        for values in cases {
            let (guided, full) = errors(&schema, values);
            assert_eq!(guided, full, "{values}");
        }
    }

    #[test]
    fn shapes_convert_only_what_the_schema_constrains() {
        let schema =
            json!({"type": "object", "properties": {"a": {"type": "object", "required": ["b"]}}});
        let values = "a: {b: {deep: 1}, c: 2}\nother: [1, 2, 3]\n";
        let stream = parse(values, &LineIndex::new(values));
        let root = stream.docs[0].root();
        let guided = |schema: &Value| {
            let mut v = Value::Object(Map::new());
            merge(&mut v, root, &Shape::of(schema, 0), &mut None);
            v
        };
        assert_eq!(
            guided(&schema),
            json!({"a": {"b": null, "c": null}, "other": null})
        );
        // Keywords that need whole values keep them whole.
        for keyword in [
            json!({"enum": [{"x": 1}]}),
            json!({"$ref": "#/definitions/x"}),
            json!({"anyOf": [{"type": "object"}]}),
            json!({"type": "object", "minProperties": 1}),
        ] {
            let schema = json!({"type": "object", "properties": {"a": keyword}});
            assert_eq!(guided(&schema)["a"], json!({"b": {"deep": 1}, "c": 2}));
        }
    }
}
