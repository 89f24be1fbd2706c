//! Validating one document and mapping every problem back to its YAML key
//! or value.
//!
//! The document is validated as Kubernetes reads it (`Typing::Kubernetes`:
//! `tag: 1.10` is a float). Errors are then reduced to one finding per
//! problem: a wrong-typed value hides the errors below it, an object's
//! unknown fields are reported one by one at their keys, and values the
//! repository cannot know yet are given the benefit of the doubt: Flux
//! post-build placeholders (`${VAR}`) and SOPS ciphertexts (`ENC[...]`).
//! (A value another rule reports more precisely — the scp-like Git URL of
//! `no-scp-ssh-url` — is settled by the engine's precedence, not here.)

use serde_json::Value;

use super::apis;
use super::cel::Outcome;
use super::kubernetes;
use super::postbuild::{Substitution, Variables};
use super::store::{Compiled, SchemaEntry, SchemaStore};
use super::structural::{self, Step};
use crate::base::finding::Concern;
use crate::base::source::Span;
use crate::base::suggest;
use crate::model::objects::ObjectMeta;
use crate::yaml::scalar::Typing;
use crate::yaml::to_json::{resolve_pointer, to_json_with};
use crate::yaml::{Document, NodeId, NodeRef};

/// The schema a document is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'s> {
    pub entry: &'s SchemaEntry,
    /// The document's own apiVersion is not served; this is the schema of
    /// the version that replaces it.
    pub replacement: bool,
}

/// Whether the object's schema types the value at `path` as `ty`
/// (`boolean`, `string`, …); false when there is no schema.
pub fn types_as(store: &SchemaStore, meta: &ObjectMeta, path: &[String], ty: &str) -> bool {
    resolve(store, meta)
        .and_then(|r| r.entry.compiled())
        .is_some_and(|c| structural::declares_type(&c.schema, c.defs(), path, ty))
}

/// Finds the schema for an object: its own apiVersion, else (for a removed
/// Flux or Kubernetes API) the served version of the same kind.
pub fn resolve<'s>(store: &'s SchemaStore, meta: &ObjectMeta) -> Option<Resolved<'s>> {
    if let Some(entry) = store.get(&meta.api_version, &meta.kind) {
        return Some(Resolved {
            entry,
            replacement: false,
        });
    }
    let replacement =
        if let Some(s) = apis::flux_api_status(meta.group(), meta.version(), &meta.kind) {
            store.get(&s.served.api_version(), &meta.kind)
        } else if let Some(r) = kubernetes::removed_api(&meta.api_version, &meta.kind) {
            r.replacement.and_then(|to| store.get(to, &meta.kind))
        } else {
            None
        };
    replacement.map(|entry| Resolved {
        entry,
        replacement: true,
    })
}

/// One problem, at its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The node the problem is at (a key, for a missing or unknown field).
    pub node: NodeId,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
    /// The post-build variables substituted into the value at `span`.
    pub substituted: Vec<String>,
    /// A required field not set, or the field an unknown key most likely
    /// means: for the engine's precedence between rules.
    pub concern: Option<Concern>,
}

impl Problem {
    fn new(node: NodeRef<'_>, message: String, help: Option<String>) -> Self {
        Problem {
            node: node.id,
            span: node.span(),
            message,
            help,
            substituted: Vec::new(),
            concern: None,
        }
    }

    fn with_concern(mut self, concern: Concern) -> Self {
        self.concern = Some(concern);
        self
    }
}

/// How a document is checked.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions<'v> {
    /// Do not echo values in messages (Secrets).
    pub hide_values: bool,
    /// Flux is installed by the Flux Operator: its kinds are accepted as
    /// Alert event sources and Receiver resources.
    pub flux_operator: bool,
    /// The post-build variables of the Flux Kustomization that applies the
    /// document: placeholders are checked with their values.
    pub vars: Option<&'v Variables>,
}

/// Validates a document against a compiled schema.
pub fn check(
    compiled: &Compiled,
    doc: &Document,
    meta: &ObjectMeta,
    replaced_api_version: Option<&str>,
    opts: CheckOptions<'_>,
) -> Vec<Problem> {
    let root = doc.root();
    let mut sub = opts.vars.map(Substitution::new);
    let mut instance = to_json_with(
        root,
        Typing::Kubernetes,
        compiled.free_form.as_ref(),
        &mut |scalar, node| sub.as_mut()?.scalar(scalar, node),
    );
    if let Value::Object(m) = &mut instance {
        // SOPS keeps its metadata in a top-level `sops` key the API server
        // never sees (the controller decrypts first).
        if m.get("sops").is_some_and(Value::is_object) {
            m.remove("sops");
        }
        if let Some(v) = replaced_api_version {
            m.insert("apiVersion".into(), Value::String(v.to_string()));
        }
    }
    let allows_null = |path: &[String]| {
        structural::schema_at(&compiled.schema, compiled.defs(), path).is_none_or(allows_null)
    };
    prune_nulls(&mut instance, &mut Vec::new(), &allows_null);
    let cx = Cx {
        compiled,
        root,
        meta,
        opts,
    };
    let mut raw: Vec<Raw> = Vec::new();
    if !compiled.validator.is_valid(&instance) {
        for e in compiled.validator.iter_errors(&instance) {
            if let Some(r) = Raw::from_error(&e) {
                raw.push(r);
            }
        }
    }
    let mut raw = reduce(raw);
    let accepted = |r: &Raw| opts.flux_operator && operator_kind(meta, r);
    raw.retain(|r| !(reported_elsewhere(meta, r) || accepted(r)));
    let mut problems: Vec<Problem> = raw.iter().flat_map(|r| cx.problems(r)).collect();
    problems.extend(cx.cel(&instance, &raw));
    if let Some(sub) = &sub {
        for p in &mut problems {
            if let Some(used) = sub.used_at(p.span) {
                p.substituted = used.to_vec();
            }
        }
    }
    problems.sort_by(|a, b| (a.span.start, &a.message).cmp(&(b.span.start, &b.message)));
    problems.dedup();
    problems
}

#[derive(Debug, Clone)]
enum RawKind {
    Unknown(Vec<String>),
    Required(String),
    Type(Vec<&'static str>),
    Enum(Vec<Value>),
    Pattern(String),
    Other(String),
}

#[derive(Debug, Clone)]
struct Raw {
    path: Vec<String>,
    kind: RawKind,
    instance: Value,
}

impl Raw {
    fn from_error(e: &jsonschema::ValidationError<'_>) -> Option<Raw> {
        use jsonschema::error::{TypeKind, ValidationErrorKind as K};
        let path: Vec<String> = e
            .instance_path()
            .iter()
            .map(|s| match s {
                jsonschema::paths::LocationSegment::Property(p) => p.to_string(),
                jsonschema::paths::LocationSegment::Index(i) => i.to_string(),
            })
            .collect();
        let kind = match e.kind() {
            K::AdditionalProperties { unexpected } => RawKind::Unknown(unexpected.clone()),
            K::UnevaluatedProperties { unexpected } => RawKind::Unknown(unexpected.clone()),
            K::Required { property } => RawKind::Required(match property {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            K::Type { kind } => RawKind::Type(match kind {
                TypeKind::Single(t) => vec![t.as_str()],
                TypeKind::Multiple(ts) => ts.iter().map(|t| t.as_str()).collect(),
            }),
            K::Enum { options } => RawKind::Enum(options.as_array().cloned().unwrap_or_default()),
            K::Pattern { pattern } => RawKind::Pattern(pattern.clone()),
            // Both branches of IntOrString accept null: not a user error.
            K::OneOfMultipleValid { .. } => return None,
            K::AnyOf { context } | K::OneOfNotValid { context } => {
                let mut types: Vec<&'static str> = Vec::new();
                let only_types = context.iter().all(|branch| {
                    branch.iter().all(|be| match be.kind() {
                        K::Type { kind } if be.instance_path() == e.instance_path() => {
                            match kind {
                                TypeKind::Single(t) => types.push(t.as_str()),
                                TypeKind::Multiple(ts) => {
                                    types.extend(ts.iter().map(|t| t.as_str()))
                                }
                            }
                            true
                        }
                        _ => false,
                    })
                });
                if only_types && !types.is_empty() {
                    types.retain(|t| *t != "null");
                    types.dedup();
                    RawKind::Type(types)
                } else {
                    RawKind::Other("does not match any of the forms the schema allows".into())
                }
            }
            K::FalseSchema => RawKind::Other("is not allowed here".into()),
            _ => RawKind::Other(message_of(e)),
        };
        Some(Raw {
            path,
            kind,
            instance: e.instance().clone().into_owned(),
        })
    }
}

/// The jsonschema message without the echoed instance (`"x" is longer than
/// 3 characters` → `is longer than 3 characters`).
fn message_of(e: &jsonschema::ValidationError<'_>) -> String {
    let full = e.to_string();
    let shown = e.instance().to_string();
    match full.strip_prefix(shown.as_str()) {
        Some(rest) => rest.trim_start().to_string(),
        None => full,
    }
}

/// A value the repository cannot pin down: a Flux post-build placeholder
/// (it stands for any scalar) or a SOPS ciphertext.
fn is_opaque(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("${") || (s.starts_with("ENC[") && s.ends_with(']')),
        _ => false,
    }
}

fn contains_opaque(v: &Value, depth: usize) -> bool {
    if depth > 64 {
        return true;
    }
    match v {
        Value::Array(a) => a.iter().any(|i| contains_opaque(i, depth + 1)),
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| k.contains("${") || contains_opaque(v, depth + 1)),
        other => is_opaque(other),
    }
}

fn is_prefix(prefix: &[String], path: &[String]) -> bool {
    path.len() >= prefix.len() && path[..prefix.len()] == *prefix
}

/// Problems a dedicated rule reports better (one finding, not two): a
/// Kustomization without `spec.prune` is `prune-enabled`'s.
fn reported_elsewhere(meta: &ObjectMeta, r: &Raw) -> bool {
    matches!(&r.kind, RawKind::Required(p) if p == "prune")
        && r.path == ["spec"]
        && meta.is(crate::model::objects::KUSTOMIZE_GROUP, "Kustomization")
}

/// Kinds the Flux Operator adds to what the notification API accepts as an
/// Alert's `eventSources` and a Receiver's `resources`.
const OPERATOR_KINDS: &[&str] = &["FluxInstance", "ResourceSet", "ResourceSetInputProvider"];

/// An Alert event source or Receiver resource of a kind the Flux Operator
/// adds (the embedded schema lists Flux's own kinds only).
fn operator_kind(meta: &ObjectMeta, r: &Raw) -> bool {
    let field = match meta.kind.as_str() {
        "Alert" => "eventSources",
        "Receiver" => "resources",
        _ => return false,
    };
    let at_kind = matches!(&r.path[..], [spec, list, _, kind] if spec == "spec" && list == field && kind == "kind");
    meta.group() == "notification.toolkit.fluxcd.io"
        && matches!(r.kind, RawKind::Enum(_))
        && at_kind
        && r.instance
            .as_str()
            .is_some_and(|k| OPERATOR_KINDS.contains(&k))
}

/// The API server prunes a `null` that a custom resource's schema does not
/// allow before validating, and decodes one into a built-in kind's zero
/// value: either way `null` is "not set". A mapping entry whose value is
/// `null` is dropped unless its schema allows `null` (or is unknown: an
/// unknown field stays reported). A required field left `null` is then
/// reported as missing, at its value.
fn prune_nulls(value: &mut Value, path: &mut Vec<String>, allows: &dyn Fn(&[String]) -> bool) {
    match value {
        Value::Object(map) => {
            map.retain(|k, v| {
                if !v.is_null() {
                    return true;
                }
                path.push(k.clone());
                let keep = allows(path);
                path.pop();
                keep
            });
            for (k, v) in map.iter_mut() {
                path.push(k.clone());
                prune_nulls(v, path, allows);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                prune_nulls(v, path, allows);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Whether a schema accepts `null` (`type` naming it, `nullable: true`).
fn allows_null(schema: &Value) -> bool {
    let typed = match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        _ => false,
    };
    typed || schema.get("nullable") == Some(&Value::Bool(true))
}

/// One problem per cause.
fn reduce(raw: Vec<Raw>) -> Vec<Raw> {
    let mut kept: Vec<Raw> = raw
        .into_iter()
        .filter(|r| match &r.kind {
            RawKind::Required(_) | RawKind::Unknown(_) => true,
            _ => !is_opaque(&r.instance),
        })
        .collect();
    // A value of the wrong type hides every other complaint at or below it.
    let typed: Vec<Vec<String>> = kept
        .iter()
        .filter(|r| matches!(r.kind, RawKind::Type(_)))
        .map(|r| r.path.clone())
        .collect();
    kept.retain(|r| {
        !typed.iter().any(|t| {
            is_prefix(t, &r.path) && (r.path.len() > t.len() || !matches!(r.kind, RawKind::Type(_)))
        })
    });
    kept
}

struct Cx<'a> {
    compiled: &'a Compiled,
    root: NodeRef<'a>,
    meta: &'a ObjectMeta,
    opts: CheckOptions<'a>,
}

/// `spec.containers[0].image`
fn dotted(path: &[String]) -> String {
    let mut out = String::new();
    for seg in path {
        if seg.parse::<usize>().is_ok() {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
    }
    out
}

fn pointer(path: &[String]) -> String {
    path.iter()
        .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
        .collect()
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn article(t: &str) -> &'static str {
    match t {
        "integer" | "object" | "array" => "an",
        _ => "a",
    }
}

fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

impl<'a> Cx<'a> {
    /// `Kustomization.spec` (the object's kind, then the field).
    fn field(&self, path: &[String]) -> String {
        if path.is_empty() {
            self.meta.kind.clone()
        } else {
            format!("{}.{}", self.meta.kind, dotted(path))
        }
    }

    fn show(&self, v: &Value) -> String {
        if self.opts.hide_values {
            return json_type(v).to_string();
        }
        let text = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut short: String = text.chars().take(60).collect();
        if short.len() < text.len() {
            short.push('…');
        }
        format!("`{short}`")
    }

    /// A node, or the key of the entry holding it.
    fn node_at(&self, path: &[String], key: bool) -> NodeRef<'a> {
        if path.is_empty() {
            return self.root_node();
        }
        resolve_pointer(self.root, &pointer(path), key).0
    }

    /// The node at `path` of the document, when it is written as `null`.
    fn written_null(&self, path: &[String]) -> Option<NodeRef<'a>> {
        let mut node = self.root;
        for seg in path {
            node = if node.is_seq() {
                node.items().nth(seg.parse().ok()?)?
            } else {
                node.get(seg)?
            };
        }
        node.is_null().then_some(node)
    }

    /// For the document as a whole: its `kind` value.
    fn root_node(&self) -> NodeRef<'a> {
        self.root.get("kind").unwrap_or(self.root)
    }

    fn accepted_fields(&self, path: &[String]) -> Vec<&str> {
        let defs = self.compiled.defs();
        structural::schema_at(&self.compiled.schema, defs, path)
            .map(|s| structural::property_names(s, defs))
            .unwrap_or_default()
    }

    fn problems(&self, r: &Raw) -> Vec<Problem> {
        let at_value = |message: String| Problem::new(self.node_at(&r.path, false), message, None);
        match &r.kind {
            RawKind::Unknown(keys) => keys.iter().map(|k| self.unknown_field(r, k)).collect(),
            RawKind::Required(prop) => {
                let mut path = r.path.clone();
                path.push(prop.clone());
                // Written, but `null`: not set, as the API server reads it.
                if let Some(null) = self.written_null(&path) {
                    let message =
                        format!("`{}` is required, and `null` is no value", dotted(&path));
                    return vec![Problem::new(null, message, None)];
                }
                let holder = if r.path.is_empty() {
                    self.meta.display_name()
                } else {
                    self.field(&r.path)
                };
                vec![Problem::new(
                    self.node_at(&r.path, true),
                    format!("{holder} is missing the required field `{prop}`"),
                    None,
                )
                .with_concern(Concern::Unset(dotted(&path)))]
            }
            RawKind::Type(types) => vec![self.wrong_type(r, types)],
            RawKind::Enum(options) => {
                let opts: Vec<String> = options
                    .iter()
                    .filter(|o| !o.is_null())
                    .map(|o| match o {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect();
                vec![at_value(format!(
                    "`{}` must be one of {}; got {}",
                    dotted(&r.path),
                    opts.join(", "),
                    self.show(&r.instance)
                ))]
            }
            RawKind::Pattern(pattern) => vec![at_value(format!(
                "`{}` must match the pattern `{pattern}`; got {}",
                dotted(&r.path),
                self.show(&r.instance)
            ))],
            RawKind::Other(msg) => {
                let what = if r.path.is_empty() {
                    self.meta.kind.clone()
                } else {
                    dotted(&r.path)
                };
                vec![at_value(format!("`{what}` {msg}"))]
            }
        }
    }

    /// An unknown field, at its key, with the accepted field it most
    /// likely meant (or the short list of accepted fields).
    fn unknown_field(&self, r: &Raw, key: &str) -> Problem {
        let field = self.field(&r.path);
        let accepted = self.accepted_fields(&r.path);
        let mut p = r.path.clone();
        p.push(key.to_string());
        let mut message = format!("unknown field `{key}` in {field}");
        let mut help = None;
        let mut meant = None;
        if let Some(s) = suggest::closest(key, accepted.iter().copied()) {
            message.push_str(&format!(" — did you mean `{s}`?"));
            let mut intended = r.path.clone();
            intended.push(s.to_string());
            meant = Some(Concern::Misspelt(dotted(&intended)));
        } else if !accepted.is_empty() && accepted.len() <= 12 {
            let mut names: Vec<&str> = accepted.clone();
            names.sort_unstable();
            help = Some(format!("{field} accepts: {}", names.join(", ")));
        }
        let problem = Problem::new(self.node_at(&p, true), message, help);
        match meant {
            Some(concern) => problem.with_concern(concern),
            None => problem,
        }
    }

    /// A value of the wrong type, shown unless it is a container or hidden
    /// (a Secret's: then the type already says all there is).
    fn wrong_type(&self, r: &Raw, types: &[&str]) -> Problem {
        let expected: Vec<String> = types
            .iter()
            .filter(|t| **t != "null")
            .map(|t| format!("{} {t}", article(t)))
            .collect();
        let got = json_type(&r.instance);
        let mut message = format!(
            "`{}` must be {}; got {got}",
            dotted(&r.path),
            or_list(&expected)
        );
        let scalar = !matches!(r.instance, Value::Object(_) | Value::Array(_) | Value::Null);
        if scalar && !self.opts.hide_values {
            message.push_str(&format!(" {}", self.show(&r.instance)));
        }
        let help = (got == "number" && types.contains(&"string")).then(|| {
            "Kubernetes reads an unquoted `1.10` as the number 1.1; quote the value".to_string()
        });
        Problem::new(self.node_at(&r.path, false), message, help)
    }

    /// Evaluates the CEL rules where the schema found nothing wrong.
    fn cel(&self, instance: &Value, raw: &[Raw]) -> Vec<Problem> {
        let mut out = Vec::new();
        for (spec, program) in &self.compiled.cel {
            for (path, value) in expand(instance, &spec.at) {
                // Errors at, below or above the node: its shape is wrong, the
                // rule would only repeat them or fail for the wrong reason.
                let troubled = raw
                    .iter()
                    .any(|r| is_prefix(&path, &r.path) || is_prefix(&r.path, &path));
                if troubled || contains_opaque(value, 0) {
                    continue;
                }
                if program.eval(value) != Outcome::Fail {
                    continue;
                }
                let mut at = path.clone();
                if let Some(fp) = &spec.field_path {
                    let extra: Vec<String> = fp
                        .trim_start_matches('.')
                        .split('.')
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect();
                    let mut candidate = at.clone();
                    candidate.extend(extra);
                    if resolve_pointer(self.root, &pointer(&candidate), true).1 {
                        at = candidate;
                    }
                }
                let what = spec
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("failed rule `{}`", spec.rule));
                let field = self.field(&path);
                out.push(Problem::new(
                    self.node_at(&at, true),
                    format!("{field}: {what}"),
                    Some(format!("validation rule: {}", spec.rule)),
                ));
            }
        }
        out
    }
}

/// Every node of `v` a rule's steps reach, with its path.
fn expand<'v>(v: &'v Value, steps: &[Step]) -> Vec<(Vec<String>, &'v Value)> {
    let mut cur: Vec<(Vec<String>, &Value)> = vec![(Vec::new(), v)];
    for step in steps {
        let mut next = Vec::new();
        for (path, node) in cur {
            match (step, node) {
                (Step::Prop(name), Value::Object(m)) => {
                    if let Some(c) = m.get(name) {
                        let mut p = path.clone();
                        p.push(name.clone());
                        next.push((p, c));
                    }
                }
                (Step::Items, Value::Array(items)) => {
                    for (i, c) in items.iter().enumerate() {
                        let mut p = path.clone();
                        p.push(i.to_string());
                        next.push((p, c));
                    }
                }
                (Step::Values, Value::Object(m)) => {
                    for (k, c) in m {
                        let mut p = path.clone();
                        p.push(k.clone());
                        next.push((p, c));
                    }
                }
                _ => {}
            }
        }
        cur = next;
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_values() {
        assert!(is_opaque(&Value::String("${cluster_env:=dev}".into())));
        assert!(is_opaque(&Value::String(
            "ENC[AES256_GCM,data:abc,type:str]".into()
        )));
        assert!(!is_opaque(&Value::String("$HOME".into())));
    }

    #[test]
    fn dotted_paths() {
        let p: Vec<String> = ["spec", "containers", "0", "image"]
            .map(String::from)
            .to_vec();
        assert_eq!(dotted(&p), "spec.containers[0].image");
        assert_eq!(pointer(&p), "/spec/containers/0/image");
    }
}
