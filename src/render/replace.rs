//! `replacements`: copy one field of one resource into fields of others,
//! as kustomize's replacement transformer does (v5.5).
//!
//! A source is selected exactly (group, version, kind, name, namespace,
//! each matching the current or the original identity) and must be one
//! resource; its `fieldPath` (default `metadata.name`) must hold a value.
//! Targets are selected as patch targets are (anchored regular
//! expressions, label and annotation selectors), minus those a `reject`
//! entry matches. In a target, the field keeps its type when it is a
//! scalar (a number stays a number), and a missing field is an error
//! unless `options.create` is set.
//!
//! Field paths are dot-separated: a field name, `*` (every item), an
//! index, `[field=regex]` (items whose `field` matches the unanchored
//! regular expression) or `[=regex]` (scalar items). A dot inside `[…]`
//! belongs to it, and `\.` escapes a dot.

use crate::base::ids::StepId;

use super::resource::Resource;
use super::select::Selector;
use super::tree::{Node, Origin, Scalar, Value};

/// Where a replacement fails, and why (kustomize stops the build there).
pub type Failure = (Origin, String);

const DEFAULT_FIELD_PATH: &str = "metadata.name";

/// Applies one replacement (`source` and `targets`) to `acc`. The values
/// it writes keep the source's place and are marked with `step`; fields
/// it creates are the target entry's.
pub fn apply(r: &Node, step: StepId, acc: &mut [Resource]) -> Result<(), Failure> {
    let (Some(source), Some(targets)) = (r.get("source"), r.get("targets")) else {
        let message = "a replacement needs a `source` and at least one target";
        return Err((r.origin, message.to_string()));
    };
    let mut value = source_value(source, acc)?;
    value.mark(step);
    for target in targets.items() {
        apply_target(target, &value, step, acc)?;
    }
    Ok(())
}

/// The value a `source` names, refined by its `options`.
fn source_value(source: &Node, acc: &[Resource]) -> Result<Node, Failure> {
    let chosen = select_source(source, acc)?;
    let path_node = source.get("fieldPath");
    let path = path_node
        .and_then(Node::as_str)
        .filter(|p| !p.is_empty())
        .unwrap_or(DEFAULT_FIELD_PATH);
    let at = path_node.map_or(source.origin, |p| p.origin);
    let parts = split_path(path);
    let found = lookup(&chosen.root, &parts)
        .filter(|n| !is_empty(n))
        .ok_or_else(|| {
            let message = format!(
                "`{path}` is missing in the replacement source {}",
                chosen.describe()
            );
            (at, message)
        })?;
    let mut value = found.clone();
    if let Some((delimiter, index)) = delimiter(source.get("options")) {
        let Value::Scalar(s) = &value.value else {
            let message = "the `delimiter` option can only be used with a scalar";
            return Err((at, message.to_string()));
        };
        let pieces: Vec<&str> = s.text.split(delimiter.as_str()).collect();
        let piece = usize::try_from(index)
            .ok()
            .and_then(|i| pieces.get(i))
            .ok_or_else(|| {
                let message = format!("`options.index` {index} is out of bounds for `{}`", s.text);
                (at, message)
            })?;
        let text = piece.to_string();
        value.value = Value::Scalar(Scalar {
            text: text.into(),
            plain: s.plain,
        });
    }
    Ok(value)
}

/// The one resource a source selects, matched exactly.
fn select_source<'a>(source: &Node, acc: &'a [Resource]) -> Result<&'a Resource, Failure> {
    let want = |field: &str| source.str_at(&[field]).filter(|v| !v.is_empty());
    let is = |field: &str, values: &[&str]| want(field).is_none_or(|w| values.contains(&w));
    let mut matches = acc.iter().filter(|r| {
        let (group, version) = r.group_version();
        is("group", &[group])
            && is("version", &[version])
            && is("kind", &[r.kind()])
            && is("name", &[r.name(), &r.original.name])
            && is(
                "namespace",
                &[r.effective_namespace(), r.original.effective_namespace()],
            )
    });
    let describe = || {
        ["group", "version", "kind", "namespace", "name"]
            .iter()
            .filter_map(|f| want(f).map(|v| format!("{f} `{v}`")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (matches.next(), matches.next()) {
        (Some(one), None) => Ok(one),
        (None, _) => Err((
            source.origin,
            format!("the replacement source ({}) selects nothing", describe()),
        )),
        (Some(_), Some(_)) => Err((
            source.origin,
            format!(
                "the replacement source ({}) selects several resources; name one",
                describe()
            ),
        )),
    }
}

fn apply_target(
    target: &Node,
    value: &Node,
    step: StepId,
    acc: &mut [Resource],
) -> Result<(), Failure> {
    let Some(select) = target.get("select") else {
        let message = "a replacement target needs `select`";
        return Err((target.origin, message.to_string()));
    };
    let selector = read_selector(select)?;
    let rejects = target
        .get("reject")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .map(read_selector)
        .collect::<Result<Vec<_>, _>>()?;
    let options = target.get("options");
    let create = options
        .and_then(|o| o.get("create"))
        .is_some_and(|c| c.as_str() == Some("true"));
    let delimiter = delimiter(options);
    let default_path = [Node::string(DEFAULT_FIELD_PATH, target.origin)];
    let paths = match target.get("fieldPaths").map(Node::items) {
        Some(paths) if !paths.is_empty() => paths,
        _ => &default_path,
    };
    // Each path is split once, not once per resource.
    let paths: Vec<(&Node, Vec<Part>)> = paths
        .iter()
        .map(|p| (p, split_path(p.as_str().unwrap_or(""))))
        .collect();
    for r in acc.iter_mut() {
        let rejected = rejects
            .iter()
            .any(|x| (x.has_labels() && x.matches_labels(r)) || (x.has_id() && x.matches_id(r)));
        if rejected || !selector.matches(r) {
            continue;
        }
        for (path, parts) in &paths {
            let text = path.as_str().unwrap_or("");
            let at = path.origin.by(step);
            let mut set = |field: &mut Node| set_value(field, value, delimiter.as_ref());
            let found = visit(&mut r.root, parts, create, at, value, &mut set)
                .map_err(|message| (path.origin, message))?;
            if found == 0 {
                let message = if create {
                    format!(
                        "cannot find or create `{text}` in the replacement target {}",
                        r.describe()
                    )
                } else {
                    format!("`{text}` is not in the replacement target {} (set `options.create: true` to add it)", r.describe())
                };
                return Err((path.origin, message));
            }
        }
    }
    Ok(())
}

fn read_selector(node: &Node) -> Result<Selector, Failure> {
    Selector::read(node).map_err(|message| (node.origin, format!("invalid selector: {message}")))
}

/// `options.delimiter` and `options.index`, when a delimiter is given.
fn delimiter(options: Option<&Node>) -> Option<(String, i64)> {
    let options = options?;
    let delimiter = options.str_at(&["delimiter"]).filter(|d| !d.is_empty())?;
    let index = options
        .str_at(&["index"])
        .and_then(|i| i.parse().ok())
        .unwrap_or(0);
    Some((delimiter.to_string(), index))
}

/// Writes `value` into `field`. A scalar field keeps its type (kustomize
/// copies only the text): a string stays a string, a number a number.
fn set_value(
    field: &mut Node,
    value: &Node,
    delimiter: Option<&(String, i64)>,
) -> Result<(), String> {
    let new_text = match &value.value {
        Value::Scalar(s) => s.text.to_string(),
        _ => String::new(),
    };
    let Value::Scalar(old) = &field.value else {
        if delimiter.is_some() {
            return Err("the `delimiter` option can only be used with a scalar".into());
        }
        *field = value.clone();
        return Ok(());
    };
    let text = match delimiter {
        None => new_text,
        Some((d, index)) => {
            let mut pieces: Vec<&str> = old.text.split(d.as_str()).collect();
            match usize::try_from(*index) {
                Err(_) => pieces.insert(0, &new_text),
                Ok(i) if i >= pieces.len() => pieces.push(&new_text),
                Ok(i) => pieces[i] = &new_text,
            }
            pieces.join(d)
        }
    };
    // A number, a boolean or a field just created (no type of its own)
    // is typed by its new text; a string stays a string.
    let plain = old.plain && (old.text.is_empty() || !old.to_json().is_string());
    field.value = Value::Scalar(Scalar {
        text: text.into(),
        plain,
    });
    field.origin = value.origin;
    Ok(())
}

/// One part of a field path.
#[derive(Debug, PartialEq)]
enum Part {
    Field(String),
    Every,
    Index(usize),
    /// `[field=regex]`; an empty field matches scalar items.
    Item(String, String),
    /// `[…]` without `=`: kustomize refuses it.
    Bad(String),
}

/// Splits a field path as kustomize does: on dots, except escaped ones
/// and those inside `[…]`.
fn split_path(path: &str) -> Vec<Part> {
    let path = path
        .strip_prefix('.')
        .filter(|_| path.len() > 1)
        .unwrap_or(path);
    let mut raw: Vec<String> = Vec::new();
    for piece in path.split('.') {
        match raw.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(piece);
            }
            _ => raw.push(piece.to_string()),
        }
    }
    let mut parts = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let mut elem = raw[i].clone();
        if elem.starts_with('[') && !elem.ends_with(']') {
            while i + 1 < raw.len() {
                i += 1;
                elem.push('.');
                elem.push_str(&raw[i]);
                if raw[i].ends_with(']') {
                    break;
                }
            }
            if !elem.contains('=') {
                elem = elem.trim_matches(|c| c == '[' || c == ']').to_string();
            }
        }
        parts.push(part(&elem));
        i += 1;
    }
    parts
}

fn part(elem: &str) -> Part {
    if elem == "*" {
        return Part::Every;
    }
    if let Ok(i) = elem.parse::<usize>() {
        return Part::Index(i);
    }
    if let Some(inner) = elem.strip_prefix('[').and_then(|e| e.strip_suffix(']')) {
        return match inner.split_once('=') {
            Some((field, value)) => Part::Item(field.to_string(), value.to_string()),
            None => Part::Bad(elem.to_string()),
        };
    }
    Part::Field(elem.to_string())
}

/// The node at `parts` (a source's field: items matched exactly).
fn lookup<'a>(node: &'a Node, parts: &[Part]) -> Option<&'a Node> {
    let Some((first, rest)) = parts.split_first() else {
        return Some(node);
    };
    let next = match first {
        Part::Field(f) => node.get(f),
        Part::Index(i) => node.items().get(*i),
        Part::Item(field, want) if field.is_empty() => {
            node.items().iter().find(|n| n.as_str() == Some(want))
        }
        Part::Item(field, want) => node
            .items()
            .iter()
            .find(|n| n.str_at(&[field]) == Some(want)),
        Part::Every | Part::Bad(_) => None,
    };
    lookup(next?, rest)
}

/// kustomize takes a null, an empty mapping or an empty list as missing.
fn is_empty(node: &Node) -> bool {
    match &node.value {
        Value::Scalar(s) => s.is_null(),
        Value::Seq(items) => items.is_empty(),
        Value::Map(entries) => entries.is_empty(),
    }
}

type Setter<'s> = dyn FnMut(&mut Node) -> Result<(), String> + 's;

/// Calls `set` on every node `parts` reaches under `node`, creating what
/// is missing when `create` is set; returns how many it reached.
fn visit(
    node: &mut Node,
    parts: &[Part],
    create: bool,
    at: Origin,
    value: &Node,
    set: &mut Setter<'_>,
) -> Result<usize, String> {
    let Some((first, rest)) = parts.split_first() else {
        set(node)?;
        return Ok(1);
    };
    match first {
        Part::Bad(elem) => Err(format!(
            "`{elem}`: a list item is selected as `[field=value]`"
        )),
        Part::Field(f) => {
            if !node.is_map() && !node.is_null() {
                return Ok(0);
            }
            if node.get(f).is_none() {
                if !create {
                    return Ok(0);
                }
                node.set(f, fresh(rest.first(), value, at), at);
            }
            let child = node.get_mut(f).expect("present or created above");
            visit(child, rest, create, at, value, set)
        }
        Part::Every => {
            if !node.is_seq() {
                return Err("`*` selects the items of a list".into());
            }
            let mut n = 0;
            for item in node.items_mut() {
                n += visit(item, rest, create, at, value, set)?;
            }
            Ok(n)
        }
        Part::Index(i) => {
            if !node.is_seq() {
                return Err(format!("`{i}` indexes a list"));
            }
            let len = node.items().len();
            if *i == len && create {
                if let Value::Seq(items) = &mut node.value {
                    items.push(fresh(rest.first(), value, at));
                }
            }
            match node.items_mut().get_mut(*i) {
                Some(item) => visit(item, rest, create, at, value, set),
                None => Err(format!("index {i} is past the end of a list of {len}")),
            }
        }
        Part::Item(field, pattern) => {
            let re = super::pattern::regex(pattern)
                .map_err(|e| format!("`{pattern}` is not a valid regular expression: {e}"))?;
            if !node.is_seq() {
                return Ok(0);
            }
            let hit = |n: &Node| match field.is_empty() {
                true => n.as_str().is_some_and(|s| re.is_match(s.trim())),
                false => n.str_at(&[field]).is_some_and(|s| re.is_match(s.trim())),
            };
            let mut n = 0;
            for item in node.items_mut().iter_mut().filter(|n| hit(n)) {
                n += visit(item, rest, create, at, value, set)?;
            }
            if n > 0 || !create {
                return Ok(n);
            }
            let item = if field.is_empty() {
                Node::new(
                    Value::Scalar(Scalar {
                        text: pattern.into(),
                        plain: true,
                    }),
                    at,
                )
            } else {
                let mut item = Node::map(at);
                item.set(
                    field,
                    Node::new(
                        Value::Scalar(Scalar {
                            text: pattern.into(),
                            plain: true,
                        }),
                        at,
                    ),
                    at,
                );
                item
            };
            if let Value::Seq(items) = &mut node.value {
                items.push(item);
                let last = items.last_mut().expect("pushed above");
                return visit(last, rest, create, at, value, set);
            }
            Ok(0)
        }
    }
}

/// A node created on the way to a field: a list before an index or an
/// item selector, a mapping before a field, and at the end an empty value
/// of the kind being written.
fn fresh(next: Option<&Part>, value: &Node, at: Origin) -> Node {
    let kind = match next {
        Some(Part::Index(_) | Part::Item(..)) => Value::Seq(Vec::new()),
        Some(_) => Value::Map(Vec::new()),
        None => match value.value {
            Value::Scalar(_) => Value::Scalar(Scalar {
                text: "".into(),
                plain: true,
            }),
            Value::Seq(_) => Value::Seq(Vec::new()),
            Value::Map(_) => Value::Map(Vec::new()),
        },
    };
    Node::new(kind, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_paths_as_kustomize() {
        let f = |s: &str| Part::Field(s.to_string());
        assert_eq!(
            split_path("spec.template.spec.containers.[name=app].image"),
            [
                f("spec"),
                f("template"),
                f("spec"),
                f("containers"),
                Part::Item("name".into(), "app".into()),
                f("image")
            ]
        );
        assert_eq!(
            split_path("metadata.annotations.[a.b/c].x"),
            [f("metadata"), f("annotations"), f("a.b/c"), f("x")]
        );
        assert_eq!(
            split_path("data.a\\.b.*.0"),
            [f("data"), f("a.b"), Part::Every, Part::Index(0)]
        );
        assert_eq!(
            split_path("spec.[x.y=1.2]"),
            [f("spec"), Part::Item("x.y".into(), "1.2".into())]
        );
    }
}
