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

/// Effective values, and the layers they were merged from (latest last).
///
/// Origins are found only for the few pointers an error names, by looking
/// the pointer up in the layers from the latest back: the latest layer
/// that writes a value at a pointer is where the effective value was set
/// (a later layer that replaced or deleted an ancestor would have removed
/// the pointer from the effective values). Recording an origin for every
/// value of every release up front cost more than the validation itself.
struct Layered<'w> {
    values: Value,
    layers: Vec<Origin<'w>>,
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// `a~1b` → `a/b`, `~0` → `~`.
fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

impl<'w> Layered<'w> {
    fn new() -> Self {
        Layered {
            values: Value::Object(Map::new()),
            layers: Vec::new(),
        }
    }

    /// Layers a mapping node over the values so far (Helm's coalescing).
    fn layer(&mut self, origin: Origin<'w>) {
        if !origin.value.is_map() {
            return;
        }
        self.layers.push(origin);
        merge(&mut self.values, origin.value);
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

/// Merges a mapping node into `dst`: maps key by key, a `null` deleting a
/// key, anything else replacing what was there.
fn merge(dst: &mut Value, node: NodeRef<'_>) {
    let Value::Object(dst_map) = dst else {
        return;
    };
    for (k, v) in node.entries() {
        let Some(key) = k.as_str() else { continue };
        if v.is_null() {
            dst_map.remove(key);
            continue;
        }
        match dst_map.get_mut(key) {
            Some(existing @ Value::Object(_)) if v.is_map() => merge(existing, v),
            _ => {
                dst_map.insert(key.to_string(), to_json(v, Typing::Kubernetes));
            }
        }
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

/// `schema` findings for every HelmRelease whose local chart ships a
/// `values.schema.json`. Each chart's schema is read and compiled once;
/// releases are checked in parallel.
pub fn check(ws: &Workspace) -> Vec<Finding> {
    let cross = ws.cross();
    let mut charts: Vec<(usize, &str)> = cross
        .helm
        .iter()
        .filter_map(|h| Some((h.chart_repo, h.chart_dir.as_deref()?)))
        .collect();
    charts.sort_unstable();
    charts.dedup();
    let validators: HashMap<(usize, &str), jsonschema::Validator> = charts
        .into_par_iter()
        .filter_map(|(repo, dir)| Some(((repo, dir), load_schema(ws, repo, dir)?)))
        .collect();
    if validators.is_empty() {
        return Vec::new();
    }
    cross
        .helm
        .par_iter()
        .flat_map_iter(|h| {
            let mut out = Vec::new();
            if let Some(dir) = &h.chart_dir {
                if let Some(v) = validators.get(&(h.chart_repo, dir.as_str())) {
                    check_release(ws, h, dir, v, &mut out);
                }
            }
            out
        })
        .collect()
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
    let chart_values_file = ws.file_at(h.chart_repo, &chart_values);
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
