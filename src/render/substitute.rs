//! Flux post-build substitution, as kustomize-controller runs it on each
//! object a Kustomization built: `${VAR}` replaced by the value of `VAR`
//! from `spec.postBuild.substitute` and `substituteFrom`, `${VAR:=default}`
//! and `${VAR:-default}` falling back to their default, `$${VAR}` written
//! as a literal `${VAR}`, nothing done to an object labelled or annotated
//! `kustomize.toolkit.fluxcd.io/substitute: disabled`.
//!
//! kustomize-controller substitutes the YAML text of an object and reads
//! it again; this substitutes each scalar and types a plain scalar again
//! (`replicas: ${N}` with `N=3` is the number 3). A value that would
//! change the YAML's structure (a mapping written into a plain scalar) is
//! not re-read: a deliberate difference, listed in the conformance tests.

use std::collections::HashMap;
use std::sync::Arc;

use super::resource::Resource;
use super::tree::{Node, Origin, Scalar, Value};
use crate::base::ids::StepId;

/// The label or annotation that turns substitution off for one object.
pub const DISABLE_KEY: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// One variable: its value and where it was set; no value when the
/// repositories cannot tell it (a Secret's value, which is never read).
#[derive(Debug, Clone)]
pub struct Var {
    pub value: Option<String>,
    pub origin: Origin,
    /// What set it: `ConfigMap 'cluster-vars'`, or the `substitute` of a
    /// Kustomization.
    pub source: Arc<str>,
}

/// The variables of one Kustomization's post-build.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    pub vars: HashMap<String, Var>,
    /// Every source was found: a name not in `vars` is unset. When false,
    /// an unset name may come from the missing source.
    pub complete: bool,
}

/// A placeholder with no value and no default, in a Kustomization whose
/// sources are all known: Flux writes an empty string there (or fails, in
/// strict mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undefined {
    pub name: String,
    pub at: Origin,
}

/// The step a substituted value is marked with, given the first variable
/// it used (`None`: only defaults).
pub type StepFor<'s> = dyn FnMut(Option<&str>) -> StepId + 's;

/// Substitutes every scalar of every object; returns the undefined
/// placeholders met. `step_for` gives the step that marks a value
/// substitution wrote.
pub fn substitute(
    resources: &mut [Resource],
    vars: &Vars,
    step_for: &mut StepFor<'_>,
) -> Vec<Undefined> {
    let mut undefined = Vec::new();
    for r in resources.iter_mut().filter(|r| !is_disabled(&r.root)) {
        walk(&mut r.root, vars, step_for, &mut undefined);
    }
    undefined
}

fn is_disabled(root: &Node) -> bool {
    ["labels", "annotations"]
        .iter()
        .any(|f| root.str_at(&["metadata", f, DISABLE_KEY]) == Some("disabled"))
}

fn walk(node: &mut Node, vars: &Vars, step_for: &mut StepFor<'_>, undefined: &mut Vec<Undefined>) {
    match &mut node.value {
        Value::Scalar(s) if s.text.contains('$') => {
            let origin = node.origin;
            match expand(&s.text, vars) {
                Expanded::Text {
                    text,
                    missing,
                    used,
                } => {
                    undefined.extend(
                        missing
                            .into_iter()
                            .map(|name| Undefined { name, at: origin }),
                    );
                    if text != s.text.as_str() {
                        let plain = s.plain && !changes_structure(&text);
                        *s = Scalar {
                            text: text.into(),
                            plain,
                        };
                        let step = step_for(used.first().map(String::as_str));
                        node.origin = node.origin.by(step);
                    }
                }
                Expanded::Unknown => {}
            }
        }
        Value::Scalar(_) => {}
        Value::Seq(items) => items
            .iter_mut()
            .for_each(|i| walk(i, vars, step_for, undefined)),
        Value::Map(entries) => entries
            .iter_mut()
            .for_each(|e| walk(&mut e.value, vars, step_for, undefined)),
    }
}

/// What a placeholder-bearing text becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Expanded {
    /// The substituted text; the variables it used (each once); the
    /// names that had no value and no default (written as empty).
    Text {
        text: String,
        used: Vec<String>,
        missing: Vec<String>,
    },
    /// Some placeholder's value cannot be known here.
    Unknown,
}

/// `^[_[:alpha:]][_[:alpha:][:digit:]]*$`, as Flux requires of names.
pub fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// What a variable name stands for.
pub enum Lookup<'v> {
    Value(&'v str),
    /// Defined, but its value cannot be known (a Secret's).
    Unknown,
    Unset,
}

/// Substitutes every `${…}` of `text` with `vars`.
pub fn expand(text: &str, vars: &Vars) -> Expanded {
    let lookup = |name: &str| match vars.vars.get(name) {
        Some(Var { value: Some(v), .. }) => Lookup::Value(v.as_str()),
        Some(_) => Lookup::Unknown,
        None => Lookup::Unset,
    };
    expand_with(text, &lookup, vars.complete)
}

/// Substitutes every `${…}` of `text`, looking names up with `lookup`;
/// `complete`: an unset name is really unset (not from a source that could
/// not be read).
pub fn expand_with<'v>(
    text: &str,
    lookup: &dyn Fn(&str) -> Lookup<'v>,
    complete: bool,
) -> Expanded {
    let mut out = String::with_capacity(text.len());
    let mut used: Vec<String> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("$$") {
            out.push('$');
            rest = after;
            continue;
        }
        let Some(body_start) = tail.strip_prefix("${") else {
            out.push('$');
            rest = &tail[1..];
            continue;
        };
        let Some(close) = body_start.find('}') else {
            return Expanded::Unknown;
        };
        let body = &body_start[..close];
        rest = &body_start[close + 1..];
        let Some((name, default)) = split_placeholder(body) else {
            return Expanded::Unknown;
        };
        match (lookup(name), default) {
            (Lookup::Value(v), _) => {
                if !used.iter().any(|u| u == name) {
                    used.push(name.to_string());
                }
                out.push_str(v);
            }
            (Lookup::Unknown, _) => return Expanded::Unknown,
            (Lookup::Unset, _) if !complete => return Expanded::Unknown,
            (Lookup::Unset, Some(d)) => out.push_str(d),
            (Lookup::Unset, None) => {
                if !missing.iter().any(|m| m == name) {
                    missing.push(name.to_string());
                }
            }
        }
    }
    out.push_str(rest);
    Expanded::Text {
        text: out,
        used,
        missing,
    }
}

/// `NAME`, `NAME:=default`, `NAME:-default`, `NAME=default`,
/// `NAME-default`; `None` for forms not evaluated (`${#V}`, `${V/a/b}`).
fn split_placeholder(body: &str) -> Option<(&str, Option<&str>)> {
    let (name, default) = match body.find(|c: char| !(c == '_' || c.is_ascii_alphanumeric())) {
        None => (body, None),
        Some(i) => {
            let (name, op) = body.split_at(i);
            let default = [":=", ":-", "=", "-"]
                .iter()
                .find_map(|p| op.strip_prefix(p))?;
            if default.contains('$') {
                return None;
            }
            (name, Some(default))
        }
    };
    is_var_name(name).then_some((name, default))
}

/// A plain scalar whose substituted text would read as more than one
/// scalar (a mapping, a flow collection, a comment): kept as a string.
pub fn changes_structure(text: &str) -> bool {
    text.contains(": ")
        || text.contains(" #")
        || text.contains('\n')
        || text.ends_with(':')
        || text.starts_with([
            '[', '{', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '#', '-', '?',
        ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::ids::FileId;
    use crate::base::source::{Pos, Span};

    fn vars(pairs: &[(&str, Option<&str>)], complete: bool) -> Vars {
        let origin = Origin::new(FileId::new(0), Span::point(Pos::START));
        let vars = pairs
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    Var {
                        value: v.map(str::to_string),
                        origin,
                        source: Arc::from("test"),
                    },
                )
            })
            .collect();
        Vars { vars, complete }
    }

    fn text(e: Expanded) -> (String, Vec<String>) {
        match e {
            Expanded::Text { text, missing, .. } => (text, missing),
            Expanded::Unknown => panic!("unknown"),
        }
    }

    #[test]
    fn expands_values_defaults_and_escapes() {
        let v = vars(&[("CLUSTER", Some("prod"))], true);
        assert_eq!(
            text(expand("./clusters/${CLUSTER}/apps", &v)).0,
            "./clusters/prod/apps"
        );
        assert_eq!(text(expand("${REGION:=westeurope}", &v)).0, "westeurope");
        assert_eq!(
            text(expand("${REGION:-x}-$${CLUSTER}", &v)).0,
            "x-${CLUSTER}"
        );
        assert_eq!(
            text(expand("a-${NOPE}", &v)),
            ("a-".to_string(), vec!["NOPE".to_string()])
        );
    }

    #[test]
    fn leaves_what_cannot_be_known_opaque() {
        let secret = vars(&[("TOKEN", None)], true);
        assert_eq!(expand("${TOKEN}", &secret), Expanded::Unknown);
        let incomplete = vars(&[], false);
        assert_eq!(expand("${ANY}", &incomplete), Expanded::Unknown);
        assert_eq!(expand("${#LEN}", &incomplete), Expanded::Unknown);
    }
}
