//! Patch targets: which resources a `target:` selects, as kustomize
//! matches them — group, version, kind, name and namespace as anchored
//! regular expressions (name and namespace against the original or the
//! current value), and Kubernetes label and annotation selectors.

use super::pattern::{anchored, Pattern};
use super::resource::Resource;
use super::tree::Node;

#[derive(Debug)]
pub struct Selector {
    group: Option<Pattern>,
    version: Option<Pattern>,
    kind: Option<Pattern>,
    name: Option<Pattern>,
    namespace: Option<Pattern>,
    labels: Vec<Requirement>,
    annotations: Vec<Requirement>,
}

#[derive(Debug, PartialEq)]
enum Op {
    Exists,
    NotExists,
    In(Vec<String>),
    NotIn(Vec<String>),
}

#[derive(Debug, PartialEq)]
struct Requirement {
    key: String,
    op: Op,
}

impl Selector {
    /// Reads a `target:` mapping; an error names the field that is wrong.
    pub fn read(target: &Node) -> Result<Selector, String> {
        let pattern = |field: &str| -> Result<Option<Pattern>, String> {
            match target.str_at(&[field]).filter(|p| !p.is_empty()) {
                None => Ok(None),
                Some(p) => anchored(p)
                    .map(Some)
                    .map_err(|e| format!("`{field}` is not a valid regular expression: {e}")),
            }
        };
        let requirements = |field: &str| -> Result<Vec<Requirement>, String> {
            match target.str_at(&[field]) {
                None => Ok(Vec::new()),
                Some(text) => parse_selector(text).map_err(|e| format!("`{field}`: {e}")),
            }
        };
        Ok(Selector {
            group: pattern("group")?,
            version: pattern("version")?,
            kind: pattern("kind")?,
            name: pattern("name")?,
            namespace: pattern("namespace")?,
            labels: requirements("labelSelector")?,
            annotations: requirements("annotationSelector")?,
        })
    }

    pub fn matches(&self, r: &Resource) -> bool {
        self.matches_id(r) && self.matches_labels(r)
    }

    /// Whether group, version, kind, name and namespace match (each one
    /// not given matches anything).
    pub fn matches_id(&self, r: &Resource) -> bool {
        let is =
            |re: &Option<Pattern>, value: &str| re.as_ref().is_none_or(|re| re.is_match(value));
        let (group, version) = r.group_version();
        is(&self.group, group)
            && is(&self.version, version)
            && is(&self.kind, r.kind())
            && (is(&self.name, &r.original.name) || is(&self.name, r.name()))
            && (is(&self.namespace, r.original.effective_namespace())
                || is(&self.namespace, r.effective_namespace()))
    }

    /// Whether the label and annotation selectors match.
    pub fn matches_labels(&self, r: &Resource) -> bool {
        satisfied(&self.labels, r.root.path(&["metadata", "labels"]))
            && satisfied(&self.annotations, r.root.path(&["metadata", "annotations"]))
    }

    /// Whether any of group, version, kind, name or namespace is given.
    pub fn has_id(&self) -> bool {
        [
            &self.group,
            &self.version,
            &self.kind,
            &self.name,
            &self.namespace,
        ]
        .iter()
        .any(|p| p.is_some())
    }

    /// Whether a label or annotation selector is given.
    pub fn has_labels(&self) -> bool {
        !self.labels.is_empty() || !self.annotations.is_empty()
    }
}

fn satisfied(requirements: &[Requirement], map: Option<&Node>) -> bool {
    requirements.iter().all(|req| {
        let value = map
            .and_then(|m| m.get(&req.key))
            .and_then(|v| v.as_scalar());
        let value = value.map(|s| s.text.as_str());
        match &req.op {
            Op::Exists => value.is_some(),
            Op::NotExists => value.is_none(),
            Op::In(values) => value.is_some_and(|v| values.iter().any(|x| x == v)),
            Op::NotIn(values) => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        }
    })
}

/// Parses a Kubernetes label selector: `a=b`, `a==b`, `a!=b`, `a`, `!a`,
/// `a in (x, y)`, `a notin (x)`, separated by commas.
fn parse_selector(text: &str) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (req, after) = parse_requirement(rest)?;
        out.push(req);
        rest = after.trim_start();
        if let Some(after_comma) = rest.strip_prefix(',') {
            rest = after_comma.trim_start();
        } else if !rest.is_empty() {
            return Err(format!("unexpected `{rest}`"));
        }
    }
    Ok(out)
}

fn parse_requirement(text: &str) -> Result<(Requirement, &str), String> {
    if let Some(rest) = text.strip_prefix('!') {
        let (key, after) = take_key(rest.trim_start())?;
        let op = Op::NotExists;
        return Ok((Requirement { key, op }, after));
    }
    let (key, after) = take_key(text)?;
    let after = after.trim_start();
    for (sym, negated) in [("==", false), ("!=", true), ("=", false)] {
        if let Some(rest) = after.strip_prefix(sym) {
            let rest = rest.trim_start();
            let end = rest
                .find(|c: char| c == ',' || c.is_whitespace())
                .unwrap_or(rest.len());
            let value = vec![rest[..end].to_string()];
            let op = if negated {
                Op::NotIn(value)
            } else {
                Op::In(value)
            };
            return Ok((Requirement { key, op }, &rest[end..]));
        }
    }
    for (word, negated) in [("notin", true), ("in", false)] {
        if let Some(rest) = after.strip_prefix(word) {
            let rest = rest.trim_start();
            let inner = rest
                .strip_prefix('(')
                .ok_or(format!("`{word}` needs a `(` list"))?;
            let close = inner.find(')').ok_or("unclosed `(`")?;
            let values = inner[..close]
                .split(',')
                .map(|v| v.trim().to_string())
                .collect();
            let op = if negated {
                Op::NotIn(values)
            } else {
                Op::In(values)
            };
            return Ok((Requirement { key, op }, &inner[close + 1..]));
        }
    }
    Ok((
        Requirement {
            key,
            op: Op::Exists,
        },
        after,
    ))
}

fn take_key(text: &str) -> Result<(String, &str), String> {
    let end = text
        .find(|c: char| matches!(c, '=' | '!' | ',' | '(' | ')') || c.is_whitespace())
        .unwrap_or(text.len());
    if end == 0 {
        return Err(format!("expected a key at `{text}`"));
    }
    Ok((text[..end].to_string(), &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_requirement_form() {
        let reqs = parse_selector("a=1, b==2,c!=3, d, !e, f in (x, y), g notin (z)").unwrap();
        let ops: Vec<_> = reqs.iter().map(|r| (&r.key[..], &r.op)).collect();
        assert_eq!(ops[0], ("a", &Op::In(vec!["1".into()])));
        assert_eq!(ops[2], ("c", &Op::NotIn(vec!["3".into()])));
        assert_eq!(ops[3], ("d", &Op::Exists));
        assert_eq!(ops[4], ("e", &Op::NotExists));
        assert_eq!(ops[5], ("f", &Op::In(vec!["x".into(), "y".into()])));
        assert_eq!(ops[6], ("g", &Op::NotIn(vec!["z".into()])));
        assert!(parse_selector("a in x").is_err());
    }
}
