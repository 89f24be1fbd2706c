//! Flux post-build variable substitution, as kustomize-controller does it.
//!
//! A Flux Kustomization with `spec.postBuild` replaces `${VAR}` in the YAML
//! of every object it builds, after kustomize and before the API server
//! sees it. The schema check must see what the API server sees, so for a
//! document with placeholders we ask which Kustomizations apply its file
//! ([`crate::graph::Graph::appliers`]), collect their variables, and
//! validate the document as each of them would render it.
//!
//! What kustomize-controller does, and so what this module does:
//! - variables come from `spec.postBuild.substituteFrom` (ConfigMaps and
//!   Secrets, in order, later ones winning) and then `spec.postBuild.substitute`
//!   (winning over all; newlines removed from its values);
//! - nothing is substituted when there are no variables at all, or when the
//!   object carries `kustomize.toolkit.fluxcd.io/substitute: disabled`;
//! - only `${VAR}` is a placeholder (not `$VAR`); `${VAR:=default}` and
//!   `${VAR:-default}` fall back to the default; `$${VAR}` is the escape
//!   for a literal `${VAR}`;
//! - substitution is textual: a plain scalar is read again as YAML (so
//!   `replicas: ${REPLICAS}` with `REPLICAS: "3"` is the integer 3), a
//!   quoted one stays a string.
//!
//! Anything the repository cannot tell (a variable from a Secret, a
//! ConfigMap that is not in the repository, an unset variable without a
//! default, a placeholder form we do not evaluate) leaves the placeholder
//! opaque: it then stands for any scalar and is never an error.

use std::collections::HashMap;

use serde_json::Value;

use crate::base::finding::Related;
use crate::base::ids::{FileId, OccurrenceId};
use crate::base::source::Span;
use crate::graph::Graph;
use crate::model::objects::KUSTOMIZE_GROUP;
use crate::render::substitute::{changes_structure, expand_with, Expanded, Lookup};
use crate::workspace::Workspace;
use crate::yaml::node::{Scalar, ScalarStyle};
use crate::yaml::scalar::Typing;
use crate::yaml::to_json::scalar_to_json;
use crate::yaml::{Document, NodeRef};

/// The label or annotation that turns substitution off for one object.
pub const DISABLE_KEY: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// Where a variable's value was set.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// Index into `Workspace::files`.
    pub file: FileId,
    /// The value (or, for a whole ConfigMap, the key) that sets it.
    pub span: Span,
    /// `spec.postBuild.substitute of Kustomization 'apps'`.
    pub what: String,
}

/// One variable: its value, or `None` when the repository cannot know it
/// (a Secret's value).
#[derive(Debug, Clone, PartialEq)]
pub struct Var {
    pub value: Option<String>,
    pub origin: Origin,
}

/// The variables one Flux Kustomization substitutes.
#[derive(Debug, Clone)]
pub struct Variables {
    /// The Kustomization, as reports name it (`Kustomization 'apps'`).
    pub applier: String,
    pub vars: HashMap<String, Var>,
    /// Every source was read: a name not in `vars` is unset (so its
    /// default applies). False when a ConfigMap or Secret could not be
    /// found in the repositories.
    pub complete: bool,
}

/// The variables of the Flux Kustomization at occurrence `applier`, or
/// `None` when it substitutes nothing (no `spec.postBuild`, or no variable
/// at all).
pub fn variables(ws: &Workspace, graph: &Graph, applier: OccurrenceId) -> Option<Variables> {
    let occ = graph.occurrences.get(applier)?;
    if occ.kind != "Kustomization" || occ.group != KUSTOMIZE_GROUP {
        return None;
    }
    let root = ws.files.get(occ.file)?.doc(occ.doc)?.root();
    let post_build = root.path(&["spec", "postBuild"])?;
    let name = format!("Kustomization '{}'", occ.name);
    let mut vars = HashMap::new();
    let mut complete = true;
    // The references resolve in the Kustomization's own namespace.
    let ns = root
        .str_at(&["metadata", "namespace"])
        .or(occ.namespace.as_deref());
    for reference in post_build
        .get("substituteFrom")
        .into_iter()
        .flat_map(|l| l.items())
    {
        let kind = reference.str_at(&["kind"]).unwrap_or("");
        let Some(ref_name) = reference.str_at(&["name"]) else {
            complete = false;
            continue;
        };
        let found: Vec<_> = graph
            .find(occ.env.as_deref(), "", kind, ref_name, ns)
            .filter(|o| !o.generated)
            .collect();
        // One definition, read from the repository; anything else (none:
        // created in the cluster; several: we cannot tell which) is unknown.
        let [source] = found.as_slice() else {
            complete = false;
            continue;
        };
        let Some(doc) = ws.files.get(source.file).and_then(|f| f.doc(source.doc)) else {
            complete = false;
            continue;
        };
        let what = format!("{kind} '{ref_name}'");
        let secret = kind == "Secret";
        for key in ["data", "stringData"] {
            if key == "stringData" && !secret {
                continue;
            }
            for (k, v) in doc.root().get(key).into_iter().flat_map(|m| m.entries()) {
                let Some(k_text) = k.as_str() else { continue };
                // A Secret's values never take part: the repository holds
                // them encrypted, and they must not appear in any report.
                let value = if secret { None } else { scalar_text(v) };
                let origin = Origin {
                    file: source.file,
                    span: if secret { k.span() } else { v.span() },
                    what: what.clone(),
                };
                vars.insert(k_text.to_string(), Var { value, origin });
            }
        }
    }
    for (k, v) in post_build
        .get("substitute")
        .into_iter()
        .flat_map(|m| m.entries())
    {
        let Some(k_text) = k.as_str() else { continue };
        let origin = Origin {
            file: occ.file,
            span: v.span(),
            what: format!("`spec.postBuild.substitute` of {name}"),
        };
        let value = scalar_text(v).map(|t| t.replace('\n', ""));
        vars.insert(k_text.to_string(), Var { value, origin });
    }
    if vars.is_empty() && complete {
        return None;
    }
    Some(Variables {
        applier: name,
        vars,
        complete,
    })
}

/// The distinct variable sets of the Flux Kustomizations that apply file
/// `file` of the workspace, for its document `doc`: empty when the
/// document has no placeholder, opts out of substitution, or no applier
/// substitutes. Two Kustomizations that give the document's placeholders
/// the same values render it the same, so they count once.
pub fn variable_sets(
    ws: &Workspace,
    graph: &Graph,
    file: FileId,
    doc: &Document,
) -> Vec<Variables> {
    let Some(parsed) = ws.files.get(file) else {
        return Vec::new();
    };
    let text = parsed
        .source
        .text
        .get(doc.span.start.offset..doc.span.end.offset)
        .unwrap_or("");
    if !text.contains("${") || is_disabled(doc.root()) {
        return Vec::new();
    }
    let names = placeholders(text);
    let mut sets: Vec<Variables> = Vec::new();
    let mut keys = Vec::new();
    for &applier in graph.appliers.get(file).map_or(&[][..], Vec::as_slice) {
        let Some(vars) = variables(ws, graph, applier) else {
            continue;
        };
        let values: Vec<Option<String>> = names
            .iter()
            .map(|n| vars.vars.get(*n).and_then(|v| v.value.clone()))
            .collect();
        let key = (values, vars.complete);
        if !keys.contains(&key) {
            keys.push(key);
            sets.push(vars);
        }
    }
    sets
}

/// Runs `check` on a document once as written (no variable set: its
/// placeholders stand for any value), or once with each variable set, and
/// keeps each problem once (by `key`: span and message), with the set that
/// found it first.
pub fn check_each<'v, T>(
    sets: &'v [Variables],
    mut check: impl FnMut(Option<&'v Variables>) -> Vec<T>,
    key: impl Fn(&T) -> (Span, &str),
) -> Vec<(T, Option<&'v Variables>)> {
    let renderings: Vec<Option<&Variables>> = if sets.is_empty() {
        vec![None]
    } else {
        sets.iter().map(Some).collect()
    };
    let mut seen: Vec<(Span, String)> = Vec::new();
    let mut out = Vec::new();
    for vars in renderings {
        for item in check(vars) {
            let (span, message) = key(&item);
            if seen.iter().any(|(s, m)| *s == span && m == message) {
                continue;
            }
            seen.push((span, message.to_string()));
            out.push((item, vars));
        }
    }
    out
}

/// Variables being substituted into a document's scalars as it is
/// converted to JSON, remembering which values were substituted and with
/// what: the hook of [`crate::yaml::to_json::to_json_with`].
pub struct Substitution<'v> {
    vars: &'v Variables,
    used: Vec<(Span, Vec<String>)>,
}

impl<'v> Substitution<'v> {
    pub fn new(vars: &'v Variables) -> Self {
        Substitution {
            vars,
            used: Vec::new(),
        }
    }

    pub fn vars(&self) -> &'v Variables {
        self.vars
    }

    /// The value of a scalar with placeholders, or `None` to type it as is.
    pub fn scalar(&mut self, scalar: &Scalar, node: NodeRef<'_>) -> Option<Value> {
        if !scalar.value.contains("${") {
            return None;
        }
        let (value, used) = substitute_scalar(scalar, node.tag(), self.vars, Typing::Kubernetes)?;
        self.used.push((node.span(), used));
        Some(value)
    }

    /// The variables substituted into the value written at `span`.
    pub fn used_at(&self, span: Span) -> Option<&[String]> {
        self.used
            .iter()
            .find(|(at, _)| *at == span)
            .map(|(_, used)| used.as_slice())
    }
}

/// What a finding's message adds when its value was substituted.
pub fn after(vars: &Variables) -> String {
    format!(", after post-build substitution by {}", vars.applier)
}

/// A finding's help and related locations for the variables substituted
/// into its value: each one's value and where it was set.
pub fn explain(ws: &Workspace, vars: &Variables, used: &[String]) -> (String, Vec<Related>) {
    let mut told = Vec::new();
    let mut related = Vec::new();
    for name in used {
        let Some(var) = vars.vars.get(name) else {
            continue;
        };
        let Some(f) = ws.files.get(var.origin.file) else {
            continue;
        };
        let value = var.value.as_deref().unwrap_or("");
        let at = var.origin.span.start;
        told.push(format!(
            "`${{{name}}}` is `{value}`, set at {}:{}:{} ({})",
            f.path(),
            at.line,
            at.col,
            var.origin.what
        ));
        related.push(Related {
            path: f.path().to_string(),
            span: var.origin.span,
            message: format!("`{name}` is set here"),
        });
    }
    (told.join("; "), related)
}

/// A scalar's text as a string map value (`3`, `true`, `dev`).
fn scalar_text(node: NodeRef<'_>) -> Option<String> {
    let s = node.as_scalar()?;
    if s.style.is_plain() && crate::yaml::scalar::is_null(&s.value) {
        return Some(String::new());
    }
    Some(s.value.to_string())
}

/// Whether an object opts out of substitution.
pub fn is_disabled(root: NodeRef<'_>) -> bool {
    ["labels", "annotations"].iter().any(|k| {
        root.path(&["metadata", k, DISABLE_KEY])
            .and_then(|v| v.as_str())
            == Some("disabled")
    })
}

/// What a placeholder-bearing text becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Expansion {
    /// The substituted text, and the variables it used (each once).
    Text(String, Vec<String>),
    /// Some placeholder's value cannot be known here.
    Unknown,
}

/// Substitutes every `${…}` of `text` with `vars` (the rules of
/// [`crate::render::substitute`]); a placeholder without a value or a
/// default leaves the text unknown.
pub fn expand(text: &str, vars: &Variables) -> Expansion {
    let lookup = |name: &str| match vars.vars.get(name) {
        Some(Var { value: Some(v), .. }) => Lookup::Value(v.as_str()),
        Some(_) => Lookup::Unknown,
        None => Lookup::Unset,
    };
    match expand_with(text, &lookup, vars.complete) {
        Expanded::Text {
            text,
            used,
            missing,
        } if missing.is_empty() => Expansion::Text(text, used),
        _ => Expansion::Unknown,
    }
}

/// The JSON value a scalar holding placeholders takes once `vars` are
/// substituted, and the variables used; `None` when it stays opaque.
pub fn substitute_scalar(
    scalar: &Scalar,
    tag: Option<&str>,
    vars: &Variables,
    typing: Typing,
) -> Option<(Value, Vec<String>)> {
    let Expansion::Text(text, used) = expand(&scalar.value, vars) else {
        return None;
    };
    if scalar.style != ScalarStyle::Plain {
        return Some((Value::String(text), used));
    }
    if changes_structure(&text) {
        return None;
    }
    let retyped = Scalar {
        value: text.into(),
        style: ScalarStyle::Plain,
    };
    Some((scalar_to_json(&retyped, tag, typing), used))
}

/// The names of the `${NAME…}` placeholders in `text`, each once, in order.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        let escaped = at > 0 && rest.as_bytes()[at - 1] == b'$';
        let body = &rest[at + 2..];
        let end = body
            .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
            .unwrap_or(body.len());
        if !escaped && end > 0 && !names.contains(&&body[..end]) {
            names.push(&body[..end]);
        }
        rest = &body[end..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::Pos;

    fn vars(pairs: &[(&str, Option<&str>)], complete: bool) -> Variables {
        let origin = Origin {
            file: FileId::new(0),
            span: Span::point(Pos::START),
            what: "test".into(),
        };
        Variables {
            applier: "Kustomization 'apps'".into(),
            vars: pairs
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        Var {
                            value: v.map(String::from),
                            origin: origin.clone(),
                        },
                    )
                })
                .collect(),
            complete,
        }
    }

    fn text(s: &str, used: &[&str]) -> Expansion {
        Expansion::Text(s.into(), used.iter().map(|u| u.to_string()).collect())
    }

    #[test]
    fn placeholders_take_values_and_defaults() {
        let v = vars(&[("env", Some("dev")), ("n", Some("3"))], true);
        assert_eq!(expand("app-${env}", &v), text("app-dev", &["env"]));
        assert_eq!(expand("${n}${n}", &v), text("33", &["n"]));
        assert_eq!(expand("${region:=westeurope}", &v), text("westeurope", &[]));
        assert_eq!(
            expand("${region:-weu}/${env}", &v),
            text("weu/dev", &["env"])
        );
        // A set variable wins over the default.
        assert_eq!(expand("${env:=prod}", &v), text("dev", &["env"]));
    }

    #[test]
    fn only_braced_placeholders_are_substituted_and_dollars_escape() {
        let v = vars(&[("HOME", Some("/root"))], true);
        assert_eq!(expand("$HOME and $1", &v), text("$HOME and $1", &[]));
        assert_eq!(expand("$${HOME}", &v), text("${HOME}", &[]));
        assert_eq!(expand("cost: $$5", &v), text("cost: $5", &[]));
    }

    #[test]
    fn what_cannot_be_known_stays_unknown() {
        let v = vars(&[("token", None)], true);
        assert_eq!(expand("${token}", &v), Expansion::Unknown);
        // Unset without a default: Flux would substitute "" (or fail in
        // strict mode); we do not guess.
        assert_eq!(expand("${unset}", &v), Expansion::Unknown);
        // A default when some source could not be read: the variable may
        // be set there.
        let incomplete = vars(&[], false);
        assert_eq!(expand("${x:=1}", &incomplete), Expansion::Unknown);
        for form in [
            "${#x}",
            "${x/a/b}",
            "${x^^}",
            "${x:=${y}}",
            "${not closed",
            "${1x}",
        ] {
            assert_eq!(expand(form, &v), Expansion::Unknown, "{form}");
        }
    }

    #[test]
    fn plain_scalars_are_read_again_quoted_ones_stay_strings() {
        let v = vars(
            &[("n", Some("3")), ("on", Some("yes")), ("m", Some("a: b"))],
            true,
        );
        let plain = |s: &str| Scalar {
            value: s.into(),
            style: ScalarStyle::Plain,
        };
        let quoted = Scalar {
            value: "${n}".into(),
            style: ScalarStyle::DoubleQuoted,
        };
        let k = Typing::Kubernetes;
        assert_eq!(
            substitute_scalar(&plain("${n}"), None, &v, k),
            Some((Value::from(3), vec!["n".to_string()]))
        );
        assert_eq!(
            substitute_scalar(&quoted, None, &v, k),
            Some((Value::from("3"), vec!["n".to_string()]))
        );
        assert_eq!(
            substitute_scalar(&plain("${on}"), None, &v, k).map(|(v, _)| v),
            Some(Value::Bool(true))
        );
        assert_eq!(substitute_scalar(&plain("${m}"), None, &v, k), None);
    }

    #[test]
    fn placeholder_names() {
        assert_eq!(placeholders("${a}-${b:=1}-$${c}-${a}"), vec!["a", "b"]);
        assert!(placeholders("no placeholders, $HOME").is_empty());
    }
}
