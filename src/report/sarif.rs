//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning, the VS Code SARIF
//! viewer and Azure DevOps' SARIF SAST Scans tab.
//!
//! GitHub's constraints are kept here: relative, percent-encoded URIs under
//! `%SRCROOT%`; at most 25,000 results and 1,000 locations per result per
//! run (more is rejected); one tag per rule. Columns count Unicode
//! characters, as every other format does, and the run says so
//! (`columnKind: unicodeCodePoints`). Nothing in the log depends on the time
//! or the machine, so two runs over the same tree are byte-identical.
//! Snippets and fingerprints read the sources with secret spans masked, as
//! the human format does.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::{redacted_sources, Report};
use crate::base::finding::{Finding, ObjectRef, Severity};
use crate::base::source::{SourceText, Span};
use crate::engine::docs::{self, RuleDoc};

pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// The `uriBaseId` every artifact location is relative to: the root of the
/// checked repository.
pub const SRCROOT: &str = "%SRCROOT%";
/// The key of our fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "gitopsLint/v1";
/// GitHub code scanning rejects runs with more results than this.
pub const MAX_RESULTS: usize = 25_000;
/// GitHub code scanning rejects results with more locations than this.
pub const MAX_LOCATIONS: usize = 1_000;
/// Snippets of larger regions are left out.
const MAX_SNIPPET_BYTES: usize = 4096;

pub fn render(report: &Report) -> String {
    let mut out = serde_json::to_string_pretty(&log(report)).unwrap_or_default();
    out.push('\n');
    out
}

/// The SARIF log as a JSON value.
pub fn log(report: &Report) -> Value {
    let rules = Rules::new(report);
    let sources = redacted_sources(report);
    let fingerprints = fingerprints(report, &sources);
    let kept = keep_within_limit(&report.findings);
    let results: Vec<Value> = kept
        .iter()
        .map(|&i| result(&sources, &rules, &report.findings[i], &fingerprints[i]))
        .collect();
    let mut invocation = Map::new();
    invocation.insert("executionSuccessful".into(), json!(true));
    let left_out = report.findings.len() - kept.len();
    let mut notes: Vec<String> = report.notices.clone();
    if left_out > 0 {
        notes.push(format!(
            "{left_out} of {} results were left out: GitHub code scanning accepts at most {MAX_RESULTS} results per run; the most severe are kept",
            report.findings.len()
        ));
    }
    if !notes.is_empty() {
        let notes: Vec<Value> = notes
            .into_iter()
            .map(|text| json!({"level": "warning", "message": {"text": text}}))
            .collect();
        invocation.insert("toolExecutionNotifications".into(), Value::Array(notes));
    }
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gitops-lint",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/gitops-lint/gitops-lint",
                "rules": rules.descriptors,
            }},
            "originalUriBaseIds": {
                SRCROOT: {"description": {"text": "The root of the checked repository."}},
            },
            "columnKind": "unicodeCodePoints",
            "invocations": [invocation],
            "results": results,
        }],
    })
}

/// The rule descriptors of `tool.driver.rules`: every documented rule, then
/// any rule a finding names that has no documentation.
struct Rules {
    descriptors: Vec<Value>,
    index: HashMap<String, usize>,
}

impl Rules {
    fn new(report: &Report) -> Rules {
        let mut descriptors: Vec<Value> = docs::all().iter().map(descriptor).collect();
        let mut index: HashMap<String, usize> = docs::all()
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        for f in &report.findings {
            if !index.contains_key(f.rule) {
                index.insert(f.rule.to_string(), descriptors.len());
                descriptors.push(json!({
                    "id": f.rule,
                    "name": pascal_case(f.rule),
                    "shortDescription": {"text": f.rule},
                    "fullDescription": {"text": format!("Findings of the `{}` check.", f.rule)},
                    "defaultConfiguration": {"level": level(f.severity)},
                }));
            }
        }
        Rules { descriptors, index }
    }
}

fn descriptor(d: &RuleDoc) -> Value {
    let full = d
        .section("What it does")
        .filter(|s| !s.is_empty())
        .unwrap_or(&d.summary);
    let body = d.body.trim();
    json!({
        "id": d.id,
        "name": pascal_case(&d.id),
        "shortDescription": {"text": d.summary},
        "fullDescription": {"text": full},
        "help": {"text": body, "markdown": body},
        "helpUri": d.help_uri(),
        "defaultConfiguration": {"level": level(d.severity)},
        "properties": {"tags": [d.category]},
    })
}

/// `prune-enabled` → `PruneEnabled` (SARIF's `name` is an identifier).
fn pascal_case(id: &str) -> String {
    id.split(['-', '_'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|first| first.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Indices of the findings the log keeps, in report order: all of them, or
/// the most severe `MAX_RESULTS`.
fn keep_within_limit(findings: &[Finding]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..findings.len()).collect();
    if idx.len() > MAX_RESULTS {
        // Stable: among equal severities, report order decides.
        idx.sort_by_key(|&i| std::cmp::Reverse(findings[i].severity));
        idx.truncate(MAX_RESULTS);
        idx.sort_unstable();
    }
    idx
}

type Sources<'r> = HashMap<&'r str, Arc<SourceText>>;

fn result(sources: &Sources<'_>, rules: &Rules, f: &Finding, fingerprint: &str) -> Value {
    let source = sources.get(f.path.as_str()).map(|s| &**s);
    let mut location = json!({
        "physicalLocation": physical_location(&f.path, f.span, source),
    });
    if let Some(o) = &f.object {
        location["logicalLocations"] = json!([logical_location(o)]);
    }
    let mut text = f.message.clone();
    if let Some(help) = &f.help {
        text.push_str("\n\nhelp: ");
        text.push_str(help);
    }
    let mut r = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    });
    if let Some(&i) = rules.index.get(f.rule) {
        r["ruleIndex"] = json!(i);
    }
    if !f.related.is_empty() {
        let related: Vec<Value> = f
            .related
            .iter()
            .take(MAX_LOCATIONS)
            .enumerate()
            .map(|(i, rel)| {
                let src = sources.get(rel.path.as_str()).map(|s| &**s);
                json!({
                    "id": i,
                    "physicalLocation": physical_location(&rel.path, rel.span, src),
                    "message": {"text": rel.message},
                })
            })
            .collect();
        r["relatedLocations"] = json!(related);
    }
    if let Some(fix) = &f.fix {
        r["fixes"] = json!([{
            "description": {"text": fix.description},
            "artifactChanges": [{
                "artifactLocation": artifact_location(&f.path),
                "replacements": [{
                    "deletedRegion": region(fix.span),
                    "insertedContent": {"text": fix.replacement},
                }],
            }],
        }]);
    }
    if let Some(s) = &f.suppressed {
        r["suppressions"] = json!([{
            "kind": "inSource",
            "status": "accepted",
            "justification": s.reason,
            "properties": {"via": s.kind},
        }]);
    }
    r
}

fn artifact_location(path: &str) -> Value {
    json!({"uri": encode_uri_path(path), "uriBaseId": SRCROOT})
}

fn physical_location(path: &str, span: Span, source: Option<&SourceText>) -> Value {
    let mut region = region(span);
    let mut loc = json!({"artifactLocation": artifact_location(path)});
    if let Some(src) = source {
        if let Some(text) = span_text(src, span) {
            region["snippet"] = json!({"text": text});
        }
        if let Some((context, text)) = context_region(src, span) {
            loc["contextRegion"] = json!({
                "startLine": context.0,
                "endLine": context.1,
                "snippet": {"text": text},
            });
        }
    }
    loc["region"] = region;
    loc
}

/// A SARIF region; SARIF's `endColumn` is exclusive, like our spans.
fn region(span: Span) -> Value {
    let start_line = span.start.line.max(1);
    let start_col = span.start.col.max(1);
    let (end_line, end_col) = if (span.end.line, span.end.col) < (start_line, start_col) {
        (start_line, start_col)
    } else {
        (span.end.line, span.end.col.max(1))
    };
    json!({
        "startLine": start_line,
        "startColumn": start_col,
        "endLine": end_line,
        "endColumn": end_col,
    })
}

fn span_text(src: &SourceText, span: Span) -> Option<&str> {
    if span.byte_len() == 0 || span.byte_len() > MAX_SNIPPET_BYTES {
        return None;
    }
    src.text.get(span.start.offset..span.end.offset)
}

/// The whole lines the span touches, when they are small enough to show.
fn context_region(src: &SourceText, span: Span) -> Option<((u32, u32), &str)> {
    let first = span.start.line.max(1);
    let last = span.end.line.max(first);
    let start = src.lines.line_start(first);
    let last_start = src.lines.line_start(last);
    let last_len = src.line_text(last).len();
    let end = last_start + last_len;
    if end < start || end - start > MAX_SNIPPET_BYTES {
        return None;
    }
    src.text.get(start..end).map(|t| ((first, last), t))
}

/// The object a result is about. An object without a name (a document
/// that lacks `metadata.name`) has no `name`, as the JSON format says
/// `null`.
fn logical_location(o: &ObjectRef) -> Value {
    let mut fqn = format!("{}/{}", o.api_version, o.kind);
    for part in [&o.namespace, &o.name].into_iter().flatten() {
        fqn.push('/');
        fqn.push_str(part);
    }
    let mut location = json!({"fullyQualifiedName": fqn, "kind": "resource"});
    if let Some(name) = &o.name {
        location["name"] = json!(name);
    }
    location
}

/// Percent-encodes a relative `/`-separated path for a URI reference: every
/// byte but unreserved characters and `/`.
pub fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A fingerprint per finding that survives reruns and line moves: a hash of
/// the rule, the file, the object, and the text at the span (not its line
/// or column), with a counter telling identical findings apart in report
/// order. Secret text is masked before it is hashed.
fn fingerprints(report: &Report, sources: &Sources<'_>) -> Vec<String> {
    let mut seen: HashMap<u64, u32> = HashMap::new();
    report
        .findings
        .iter()
        .map(|f| {
            let text = sources
                .get(f.path.as_str())
                .and_then(|s| s.text.get(f.span.start.offset..f.span.end.offset))
                .map(normalize_ws)
                .unwrap_or_default();
            let object = f
                .object
                .as_ref()
                .map(|o| {
                    format!(
                        "{}/{}/{}/{}",
                        o.api_version,
                        o.kind,
                        o.namespace.as_deref().unwrap_or(""),
                        o.name.as_deref().unwrap_or("")
                    )
                })
                .unwrap_or_default();
            let parts = [f.rule, f.path.as_str(), object.as_str(), text.as_str()];
            let key = fnv1a(&parts, 0xcbf2_9ce4_8422_2325);
            let n = seen.entry(key).or_insert(0);
            *n += 1;
            let low = fnv1a(&parts, 0x6c62_272e_07bb_0142);
            format!("{key:016x}{low:016x}:{n}")
        })
        .collect()
}

fn normalize_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// FNV-1a over the parts, each followed by a NUL; stable across platforms
/// and releases (unlike `std`'s hasher).
fn fnv1a(parts: &[&str], basis: u64) -> u64 {
    let mut h = basis;
    for p in parts {
        for b in p.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::finding::Suppression;
    use crate::base::source::{Pos, SourceText};
    use std::time::Duration;

    fn pos(src: &SourceText, line: u32, col: u32) -> Pos {
        let offset = src.lines.offset_of(&src.text, line, col - 1);
        Pos { line, col, offset }
    }

    fn report(text: &str, findings: Vec<Finding>) -> Report {
        // As `lint` hands reporters their sources: redacted spans masked.
        let spans: Vec<Span> = findings.iter().flat_map(|f| f.redact.clone()).collect();
        let src = crate::workspace::redact::mask(&SourceText::new(text.to_string()), &spans);
        let mut sources = HashMap::new();
        sources.insert("a b/x.yaml".to_string(), Arc::clone(&src));
        Report {
            findings,
            files: 1,
            documents: 1,
            elapsed: Duration::from_millis(7),
            sources,
            notices: Vec::new(),
        }
    }

    fn finding(src: &SourceText, line: u32, col: u32, end: u32) -> Finding {
        Finding::new(
            "yaml-truthy",
            "a b/x.yaml",
            Span::new(pos(src, line, col), pos(src, line, end)),
            "value `yes` is a string",
        )
    }

    #[test]
    fn uris_are_relative_and_percent_encoded() {
        assert_eq!(encode_uri_path("a b/ü#?.yaml"), "a%20b/%C3%BC%23%3F.yaml");
        assert_eq!(encode_uri_path("../sys/x.yaml"), "../sys/x.yaml");
    }

    #[test]
    fn pascal_case_names() {
        assert_eq!(pascal_case("yaml-duplicate-key"), "YamlDuplicateKey");
    }

    #[test]
    fn result_has_region_snippet_and_suppression() {
        let text = "a: 1\nb: yes\n";
        let src = SourceText::new(text.into());
        let mut f = finding(&src, 2, 4, 7);
        f.suppressed = Some(Suppression {
            kind: "comment",
            reason: "legacy; 50% done".into(),
        });
        let log = log(&report(text, vec![f]));
        let r = &log["runs"][0]["results"][0];
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "a%20b/x.yaml");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(loc["region"]["startLine"], 2);
        assert_eq!(loc["region"]["startColumn"], 4);
        assert_eq!(loc["region"]["endColumn"], 7);
        assert_eq!(loc["region"]["snippet"]["text"], "yes");
        assert_eq!(loc["contextRegion"]["snippet"]["text"], "b: yes");
        assert_eq!(r["suppressions"][0]["kind"], "inSource");
        assert_eq!(r["suppressions"][0]["justification"], "legacy; 50% done");
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"][idx]["id"],
            "yaml-truthy"
        );
    }

    #[test]
    fn secrets_never_reach_the_log() {
        let text = "b: yes\npassword: hunter2-s3cret\n";
        let src = SourceText::new(text.into());
        let secret = Span::new(pos(&src, 2, 11), pos(&src, 2, 25));
        let f =
            Finding::new("x", "a b/x.yaml", secret, "a plaintext secret").with_redacted([secret]);
        let other = finding(&src, 1, 4, 7);
        let rendered = render(&report(text, vec![other, f]));
        assert!(!rendered.contains("hunter2"), "{rendered}");
        assert!(rendered.contains("password: **************"), "{rendered}");
        assert!(rendered.contains("\"text\": \"yes\""));
    }

    #[test]
    fn fingerprints_survive_line_moves_and_tell_twins_apart() {
        let a = "b: yes\n";
        let b = "# moved\n\nb: yes\nc: yes\n";
        let sa = SourceText::new(a.into());
        let sb = SourceText::new(b.into());
        let ra = report(a, vec![finding(&sa, 1, 4, 7)]);
        let fa = fingerprints(&ra, &redacted_sources(&ra));
        let rb = report(b, vec![finding(&sb, 3, 4, 7), finding(&sb, 4, 4, 7)]);
        let fb = fingerprints(&rb, &redacted_sources(&rb));
        assert_eq!(fa[0], fb[0]);
        assert_ne!(fb[0], fb[1]);
        assert!(fb[1].ends_with(":2"));
    }

    #[test]
    fn results_over_the_limit_keep_the_most_severe() {
        let text = "b: yes\n";
        let src = SourceText::new(text.into());
        let mut findings: Vec<Finding> = (0..MAX_RESULTS + 2)
            .map(|_| finding(&src, 1, 4, 7).with_severity(Severity::Warning))
            .collect();
        for f in &mut findings {
            f.severity = Severity::Warning;
        }
        findings[MAX_RESULTS + 1].severity = Severity::Error;
        let kept = keep_within_limit(&findings);
        assert_eq!(kept.len(), MAX_RESULTS);
        assert_eq!(*kept.last().unwrap(), MAX_RESULTS + 1);
        let log = log(&report(text, findings));
        let notes = &log["runs"][0]["invocations"][0]["toolExecutionNotifications"];
        assert!(notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("2 of"));
    }
}
