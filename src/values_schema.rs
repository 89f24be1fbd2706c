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

use serde_json::{Map, Value};

use crate::finding::Finding;
use crate::index::Workspace;
use crate::resolve::HelmUse;
use crate::source::Span;
use crate::yaml::scalar::Typing;
use crate::yaml::to_json::to_json;
use crate::yaml::NodeRef;

/// Where a value of the effective values was written.
#[derive(Clone, Copy)]
struct Origin<'w> {
    file: usize,
    doc: usize,
    /// The key node, when the value is a mapping entry.
    key: Option<NodeRef<'w>>,
    value: NodeRef<'w>,
}

/// Effective values, and the origin of every JSON Pointer in them.
struct Layered<'w> {
    values: Value,
    origins: HashMap<String, Origin<'w>>,
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl<'w> Layered<'w> {
    fn new() -> Self {
        Layered {
            values: Value::Object(Map::new()),
            origins: HashMap::new(),
        }
    }

    /// Records `node` (and everything below it) as the origin of `pointer`.
    fn record(&mut self, pointer: &str, origin: Origin<'w>, budget: &mut usize) {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        self.origins.insert(pointer.to_string(), origin);
        let node = origin.value;
        if node.is_map() {
            for (k, v) in node.entries() {
                let Some(key) = k.as_str() else { continue };
                let child = Origin {
                    key: Some(k),
                    value: v,
                    ..origin
                };
                self.record(&format!("{pointer}/{}", escape(key)), child, budget);
            }
        } else if node.is_seq() {
            for (i, item) in node.items().enumerate() {
                let child = Origin {
                    key: None,
                    value: item,
                    ..origin
                };
                self.record(&format!("{pointer}/{i}"), child, budget);
            }
        }
    }

    fn forget_below(&mut self, pointer: &str) {
        let prefix = format!("{pointer}/");
        self.origins.retain(|p, _| !p.starts_with(&prefix));
    }

    /// Layers a mapping node over the values so far (Helm's coalescing).
    fn layer(&mut self, origin: Origin<'w>) {
        if !origin.value.is_map() {
            return;
        }
        let mut budget = 100_000;
        self.origins.insert(String::new(), origin);
        let mut values = std::mem::take(&mut self.values);
        self.merge(&mut values, "", origin, &mut budget);
        self.values = values;
    }

    fn merge(&mut self, dst: &mut Value, pointer: &str, origin: Origin<'w>, budget: &mut usize) {
        let Value::Object(dst_map) = dst else {
            return;
        };
        for (k, v) in origin.value.entries() {
            let Some(key) = k.as_str() else { continue };
            let child_pointer = format!("{pointer}/{}", escape(key));
            let child = Origin {
                key: Some(k),
                value: v,
                ..origin
            };
            if v.is_null() {
                dst_map.remove(key);
                self.origins.remove(&child_pointer);
                self.forget_below(&child_pointer);
                continue;
            }
            match dst_map.get_mut(key) {
                Some(existing @ Value::Object(_)) if v.is_map() => {
                    self.origins.insert(child_pointer.clone(), child);
                    self.merge(existing, &child_pointer, child, budget);
                }
                _ => {
                    dst_map.insert(key.to_string(), to_json(v, Typing::Kubernetes));
                    self.forget_below(&child_pointer);
                    self.record(&child_pointer, child, budget);
                }
            }
        }
    }

    /// The origin of `pointer`, or of its nearest ancestor that has one.
    fn origin_of(&self, pointer: &str) -> Option<Origin<'w>> {
        let mut p = pointer;
        loop {
            if let Some(o) = self.origins.get(p) {
                return Some(*o);
            }
            p = &p[..p.rfind('/')?];
        }
    }
}

/// Schemas read from disk, by (repository, chart directory).
type SchemaCache = HashMap<(usize, String), Option<jsonschema::Validator>>;

/// `schema` findings for every HelmRelease whose local chart ships a
/// `values.schema.json`.
pub fn check(ws: &Workspace) -> Vec<Finding> {
    let cross = ws.cross();
    let mut cache: SchemaCache = HashMap::new();
    let mut out = Vec::new();
    for h in &cross.helm {
        let Some(dir) = &h.chart_dir else { continue };
        let validator = cache
            .entry((h.chart_repo, dir.clone()))
            .or_insert_with(|| load_schema(ws, h.chart_repo, dir));
        if let Some(v) = validator {
            check_release(ws, h, dir, v, &mut out);
        }
    }
    out
}

fn load_schema(ws: &Workspace, repo: usize, dir: &str) -> Option<jsonschema::Validator> {
    let path = ws
        .repos
        .get(repo)?
        .root
        .join(dir)
        .join("values.schema.json");
    let text = std::fs::read_to_string(path).ok()?;
    let schema: Value = serde_json::from_str(&text).ok()?;
    jsonschema::validator_for(&schema).ok()
}

fn check_release(
    ws: &Workspace,
    h: &HelmUse,
    dir: &str,
    validator: &jsonschema::Validator,
    out: &mut Vec<Finding>,
) {
    let cross = ws.cross();
    let occ = &cross.occurrences[h.occurrence];
    let Some(hr_root) = ws.files[occ.file]
        .stream
        .docs
        .get(occ.doc)
        .map(|d| d.root())
    else {
        return;
    };
    let hr_name = occ.name.as_str();
    let mut layered = Layered::new();
    let chart_values = format!("{dir}/values.yaml");
    let chart_values_file = ws
        .files
        .iter()
        .position(|f| f.file.repo == h.chart_repo && f.file.rel == chart_values);
    for file in chart_values_file
        .into_iter()
        .chain(h.values_files.iter().copied())
    {
        if let Some(doc) = ws.files[file].stream.docs.first() {
            layered.layer(Origin {
                file,
                doc: 0,
                key: None,
                value: doc.root(),
            });
        }
    }
    if let Some((key, values)) = hr_root.get("spec").and_then(|s| s.get_entry("values")) {
        layered.layer(Origin {
            file: occ.file,
            doc: occ.doc,
            key: Some(key),
            value: values,
        });
    }
    let chart = hr_root
        .str_at(&["spec", "chart", "spec", "chart"])
        .unwrap_or(dir);
    for error in validator.iter_errors(&layered.values) {
        // `${VAR}` is substituted by Flux post-build or by the pipeline:
        // the value Helm sees is not this text.
        if matches!(error.instance().as_ref(), Value::String(s) if s.contains("${")) {
            continue;
        }
        let pointer = error.instance_path().as_str().to_string();
        let (target, at_key) = match error.kind() {
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                match unexpected.first() {
                    Some(u) => (format!("{pointer}/{}", escape(u)), true),
                    None => (pointer.clone(), false),
                }
            }
            jsonschema::error::ValidationErrorKind::Required { .. } => (pointer.clone(), true),
            _ => (pointer.clone(), false),
        };
        let Some(origin) = layered.origin_of(&target) else {
            continue;
        };
        // Missing and unexpected properties point at keys; wrong values
        // at the value itself.
        let span: Span = match (at_key, origin.key) {
            (true, Some(k)) => k.span(),
            _ => origin.value.span(),
        };
        let span = if span.start.line == 0 {
            origin.value.span()
        } else {
            span
        };
        let field = if pointer.is_empty() {
            "values".to_string()
        } else {
            format!("`{}`", pointer.trim_start_matches('/').replace('/', "."))
        };
        let message = format!(
            "HelmRelease '{hr_name}' values {field}: {error}; chart `{chart}` rejects it (values.schema.json)"
        );
        let file = &ws.files[origin.file];
        let object = file
            .objects
            .get(origin.doc)
            .and_then(|o| o.as_ref())
            .map(|m| m.to_ref());
        out.push(
            Finding::new("schema", file.path(), span, message)
                .with_object(object)
                .with_help(format!(
                    "Helm validates the merged values (chart values.yaml, valuesFiles, spec.values) against {dir}/values.schema.json at install time"
                )),
        );
    }
}
