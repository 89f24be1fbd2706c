//! `--format json`: the stable, versioned format of docs/contract.md, field
//! for field.

use serde::Serialize;

use super::Report;
use crate::base::finding::{Finding, ObjectRef, Severity};

pub const FORMAT_VERSION: u32 = 1;

/// The whole document. `schemas/report.schema.json` describes it; a test
/// validates real output against that schema.
#[derive(Serialize)]
struct Document<'r> {
    version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'r>>,
    summary: Summary<'r>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'r> {
    rule: &'r str,
    severity: Severity,
    message: &'r str,
    path: &'r str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    object: Option<&'r ObjectRef>,
    help: Option<&'r str>,
    fix: Option<JsonFix<'r>>,
    /// Other places the finding concerns (the first definition of a
    /// duplicate, the patch or variable that set a rendered value, the
    /// Kustomization that applies it), only when there are some.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<JsonRelated<'r>>,
}

#[derive(Serialize)]
struct JsonRelated<'r> {
    path: &'r str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: &'r str,
}

#[derive(Serialize)]
struct JsonFix<'r> {
    description: &'r str,
    replacement: &'r str,
    applicability: crate::base::finding::Applicability,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
struct Summary<'r> {
    files: usize,
    documents: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    elapsed_ms: u64,
    /// What the run could not check, only when there is something: a
    /// complete run keeps exactly the contract's shape.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notices: &'r [String],
}

pub fn render(report: &Report) -> String {
    let doc = Document {
        version: FORMAT_VERSION,
        tool: Tool {
            name: "gitops-lint",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: report.active().map(finding).collect(),
        summary: Summary {
            files: report.files,
            documents: report.documents,
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            infos: report.count(Severity::Info),
            elapsed_ms: u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
            notices: &report.notices,
        },
    };
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

fn finding(f: &Finding) -> JsonFinding<'_> {
    JsonFinding {
        rule: f.rule,
        severity: f.severity,
        message: &f.message,
        path: &f.path,
        line: f.span.start.line,
        column: f.span.start.col,
        end_line: f.span.end.line,
        end_column: f.span.end.col,
        object: f.object.as_ref(),
        help: f.help.as_deref(),
        fix: f.fix.as_ref().map(|x| JsonFix {
            description: &x.description,
            replacement: &x.replacement,
            applicability: x.applicability,
            line: x.span.start.line,
            column: x.span.start.col,
            end_line: x.span.end.line,
            end_column: x.span.end.col,
        }),
        related: f
            .related
            .iter()
            .map(|r| JsonRelated {
                path: &r.path,
                line: r.span.start.line,
                column: r.span.start.col,
                end_line: r.span.end.line,
                end_column: r.span.end.col,
                message: &r.message,
            })
            .collect(),
    }
}
