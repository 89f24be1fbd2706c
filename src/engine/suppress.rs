//! Suppressions (docs/contract.md): an object annotation
//! `gitops-lint.io/ignore: "rule-a,rule-b -- reason"`, or a line comment
//! `# gitops-lint-ignore rule-a -- reason` on the finding's line or the line
//! above. A suppression without a reason, naming an unknown rule, or
//! suppressing nothing is itself reported as `invalid-suppression`.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::base::finding::{Finding, Severity, Suppression};
use crate::base::source::Span;
use crate::workspace::load::ParsedFile;

use super::RunContext;

pub const ANNOTATION: &str = "gitops-lint.io/ignore";
pub const COMMENT: &str = "gitops-lint-ignore";
pub const RULE_ID: &str = super::registry::ids::INVALID_SUPPRESSION;

#[derive(Debug)]
struct Directive {
    kind: &'static str,
    rules: Vec<String>,
    reason: Option<String>,
    /// Where the directive is written.
    span: Span,
    /// The lines it covers (inclusive).
    lines: (u32, u32),
    used: bool,
}

/// `rule-a, rule-b -- reason` → (rules, reason).
fn parse_spec(spec: &str) -> (Vec<String>, Option<String>) {
    let (rules, reason) = match spec.split_once("--") {
        Some((r, why)) => (r, Some(why.trim().to_string()).filter(|w| !w.is_empty())),
        None => (spec, None),
    };
    let rules = rules
        .split([',', ' '])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(String::from)
        .collect();
    (rules, reason)
}

fn comment_directives(file: &ParsedFile) -> Vec<Directive> {
    let text = &file.source.text;
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(COMMENT) {
        let at = from + i;
        from = at + COMMENT.len();
        let line_start = text[..at].rfind(['\n', '\r']).map_or(0, |n| n + 1);
        let before = &text[line_start..at];
        // Only a YAML comment counts: `#`, then spaces, then the marker.
        let Some(hash) = before.rfind('#') else {
            continue;
        };
        if !before[hash + 1..].trim().is_empty() {
            continue;
        }
        let line_end = text[at..].find(['\n', '\r']).map_or(text.len(), |n| at + n);
        let spec = &text[from..line_end];
        if !spec.is_empty() && !spec.starts_with([' ', '\t']) {
            continue;
        }
        let (rules, reason) = parse_spec(spec);
        let start = file.source.pos_of_offset(line_start + hash);
        let end = file.source.pos_of_offset(line_end);
        out.push(Directive {
            kind: "comment",
            rules,
            reason,
            span: Span::new(start, end),
            lines: (start.line, start.line + 1),
            used: false,
        });
    }
    out
}

fn annotation_directives(file: &ParsedFile) -> Vec<Directive> {
    let mut out = Vec::new();
    for (doc, meta) in file.stream.docs.iter().zip(&file.objects) {
        if meta.is_none() {
            continue;
        }
        let Some(value) = doc.root().path(&["metadata", "annotations", ANNOTATION]) else {
            continue;
        };
        let (rules, reason) = parse_spec(value.as_str().unwrap_or_default());
        out.push(Directive {
            kind: "annotation",
            rules,
            reason,
            span: value.span(),
            lines: (doc.span.start.line, doc.span.end.line),
            used: false,
        });
    }
    out
}

/// Marks suppressed findings and reports bad or unused suppressions. A
/// suppression is only "unused" if every rule it names ran (`ran`).
pub fn apply(cx: &RunContext<'_>, findings: &mut Vec<Finding>, ran: &[&str]) {
    let enabled = !matches!(
        cx.config.rules.get(RULE_ID).and_then(|s| s.severity),
        Some(None)
    );
    let mut by_path: HashMap<&str, Vec<Directive>> = cx
        .workspace
        .files
        .par_iter()
        .filter_map(|file| {
            let mut d = comment_directives(file);
            d.extend(annotation_directives(file));
            (!d.is_empty()).then(|| (file.path(), d))
        })
        .collect();
    for f in findings.iter_mut() {
        if f.rule == RULE_ID {
            continue;
        }
        let Some(directives) = by_path.get_mut(f.path.as_str()) else {
            continue;
        };
        let line = f.span.start.line;
        // A line comment is more specific than an object annotation.
        let hit = directives
            .iter_mut()
            .filter(|d| d.lines.0 <= line && line <= d.lines.1)
            .filter(|d| d.rules.iter().any(|r| r == f.rule))
            .min_by_key(|d| d.kind != "comment");
        if let Some(d) = hit {
            d.used = true;
            f.suppressed = Some(Suppression {
                kind: d.kind,
                reason: d.reason.clone().unwrap_or_default(),
            });
        }
    }
    if !enabled {
        return;
    }
    let mut paths: Vec<&&str> = by_path.keys().collect();
    paths.sort();
    let mut extra = Vec::new();
    for path in paths {
        for d in &by_path[*path] {
            for problem in problems(d, ran) {
                let mut f = Finding::new(RULE_ID, path, d.span, problem)
                    .with_help("write `rule-id[,rule-id] -- reason`; see `gitops-lint explain invalid-suppression`");
                f.severity = severity(cx);
                extra.push(f);
            }
        }
    }
    findings.extend(extra);
}

fn problems(d: &Directive, ran: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    if d.rules.is_empty() {
        out.push(format!("suppression {} names no rule", d.kind));
        return out;
    }
    for r in &d.rules {
        if super::docs::doc(r).is_none() {
            let hint = super::docs::nearest_rule(r)
                .map(|meant| format!("; did you mean `{meant}`?"))
                .unwrap_or_default();
            out.push(format!("suppression names unknown rule `{r}`{hint}"));
        }
    }
    if d.reason.is_none() {
        out.push(format!(
            "suppression of `{}` has no reason; add ` -- <why>`",
            d.rules.join(",")
        ));
    }
    if !d.used && d.rules.iter().all(|r| ran.contains(&r.as_str())) {
        out.push(format!(
            "suppression of `{}` suppresses nothing; remove it",
            d.rules.join(",")
        ));
    }
    out
}

fn severity(cx: &RunContext<'_>) -> Severity {
    match cx.config.rules.get(RULE_ID).and_then(|s| s.severity) {
        Some(Some(s)) => s,
        _ => super::docs::doc(RULE_ID).map_or(Severity::Warning, |d| d.severity),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules_and_reason() {
        let (rules, reason) = parse_spec(" prune-enabled,schema -- migrating next sprint");
        assert_eq!(rules, ["prune-enabled", "schema"]);
        assert_eq!(reason.as_deref(), Some("migrating next sprint"));
        let (rules, reason) = parse_spec(" prune-enabled");
        assert_eq!(rules, ["prune-enabled"]);
        assert!(reason.is_none());
    }
}
