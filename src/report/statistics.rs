//! `check --statistics`: how many findings each rule reported, instead of
//! the findings (ruff's `--statistics`). A table for people, or JSON.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Report;
use crate::base::finding::Severity;

/// One row: a rule at one severity (a config may report some of a rule's
/// findings at another severity than the rest).
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    pub rule: &'static str,
    pub severity: Severity,
    pub count: usize,
    /// How many of them `--fix` (or `--fix --unsafe-fixes`) can fix.
    pub fixable: usize,
}

/// The counts, most frequent first (then by rule id).
pub fn counts(report: &Report) -> Vec<RuleCount> {
    let mut by_rule: BTreeMap<(&'static str, Severity), (usize, usize)> = BTreeMap::new();
    for f in report.active() {
        let entry = by_rule.entry((f.rule, f.severity)).or_default();
        entry.0 += 1;
        entry.1 += usize::from(f.fix.is_some());
    }
    let mut rows: Vec<RuleCount> = by_rule
        .into_iter()
        .map(|((rule, severity), (count, fixable))| RuleCount {
            rule,
            severity,
            count,
            fixable,
        })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule.cmp(b.rule)));
    rows
}

/// The table: count, rule, severity, and `[*]` when some are fixable.
pub fn text(report: &Report) -> String {
    let rows = counts(report);
    let count_width = rows
        .iter()
        .map(|r| r.count.to_string().len())
        .max()
        .unwrap_or(1);
    let rule_width = rows.iter().map(|r| r.rule.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in &rows {
        let fixable = if r.fixable > 0 { " [*]" } else { "" };
        let line = format!(
            "{:>count_width$}  {:<rule_width$}  {:<7}{fixable}",
            r.count,
            r.rule,
            r.severity.as_str()
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The same as a JSON array of `{rule, severity, count, fixable}`.
pub fn json(report: &Report) -> String {
    let mut out = serde_json::to_string_pretty(&counts(report)).expect("counts serialize as JSON");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::finding::{Finding, Fix};
    use crate::base::source::Span;

    fn finding(rule: &'static str, severity: Severity, fixable: bool) -> Finding {
        let mut f = Finding::new(rule, "a.yaml", Span::default(), "m");
        f.severity = severity;
        if fixable {
            f = f.with_fix(Fix {
                description: "d".into(),
                span: Span::default(),
                replacement: "r".into(),
                applicability: crate::base::finding::Applicability::Safe,
            });
        }
        f
    }

    #[test]
    fn counts_by_rule_most_frequent_first() {
        let mut suppressed = finding("schema", Severity::Error, false);
        suppressed.suppressed = Some(crate::base::finding::Suppression {
            kind: "comment",
            reason: "r".into(),
        });
        let report = Report {
            root: "/repo".into(),
            findings: vec![
                finding("schema", Severity::Error, false),
                finding("yaml-truthy", Severity::Warning, true),
                finding("yaml-truthy", Severity::Warning, false),
                suppressed,
            ],
            files: 1,
            documents: 1,
            elapsed: Default::default(),
            sources: Default::default(),
            notices: Vec::new(),
            repositories: Vec::new(),
        };
        assert_eq!(
            text(&report),
            "2  yaml-truthy  warning [*]\n1  schema       error\n"
        );
        let json: serde_json::Value = serde_json::from_str(&json(&report)).unwrap();
        assert_eq!(json[0]["rule"], "yaml-truthy");
        assert_eq!(json[0]["count"], 2);
        assert_eq!(json[0]["fixable"], 1);
        assert_eq!(json[1]["severity"], "error");
    }
}
