//! `--format json`: the stable, versioned format of docs/contract.md, field
//! for field.

use serde_json::{json, Value};

use super::Report;
use crate::base::finding::{Finding, Severity};

pub const FORMAT_VERSION: u32 = 1;

pub fn render(report: &Report) -> String {
    let findings: Vec<Value> = report.active().map(finding).collect();
    let mut doc = json!({
        "version": FORMAT_VERSION,
        "tool": {"name": "gitops-lint", "version": env!("CARGO_PKG_VERSION")},
        "findings": findings,
        "summary": {
            "files": report.files,
            "documents": report.documents,
            "errors": report.count(Severity::Error),
            "warnings": report.count(Severity::Warning),
            "infos": report.count(Severity::Info),
            "elapsed_ms": report.elapsed.as_millis() as u64,
        }
    });
    // What the run could not check, only when there is something: a
    // complete run keeps exactly the contract's shape.
    if !report.notices.is_empty() {
        if let Some(summary) = doc.get_mut("summary").and_then(Value::as_object_mut) {
            summary.insert("notices".into(), json!(report.notices));
        }
    }
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

fn finding(f: &Finding) -> Value {
    let object = f.object.as_ref().map(|o| {
        json!({"apiVersion": o.api_version, "kind": o.kind, "namespace": o.namespace, "name": o.name})
    });
    let fix = f.fix.as_ref().map(|x| {
        json!({
            "description": x.description,
            "replacement": x.replacement,
            "line": x.span.start.line, "column": x.span.start.col,
            "end_line": x.span.end.line, "end_column": x.span.end.col,
        })
    });
    json!({
        "rule": f.rule,
        "severity": f.severity,
        "message": f.message,
        "path": f.path,
        "line": f.span.start.line,
        "column": f.span.start.col,
        "end_line": f.span.end.line,
        "end_column": f.span.end.col,
        "object": object,
        "help": f.help,
        "fix": fix,
    })
}
