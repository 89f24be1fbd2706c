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

use std::collections::BTreeMap;

use serde::Serialize;

use super::{redacted_sources, Report, RepositoryBase};
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

// The SARIF 2.1.0 objects this log uses, as the specification names their
// properties (what is absent is left out, never `null`).

#[derive(Serialize)]
pub struct Log<'r> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'r>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'r> {
    tool: Tool,
    automation_details: AutomationDetails,
    original_uri_base_ids: BTreeMap<String, UriBase>,
    column_kind: &'static str,
    invocations: [Invocation; 1],
    results: Vec<SarifResult<'r>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    full_name: String,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Descriptor>,
}

/// Which automation produced the run: GitHub reads the category from the
/// `id` (up to its last `/`); GitHub Advanced Security for Azure DevOps
/// requires an `id` of its own shape and the pipeline's properties.
#[derive(Serialize)]
struct AutomationDetails {
    id: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<&'static str, serde_json::Value>,
}

#[derive(Serialize)]
struct UriBase {
    description: Text,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

fn text(s: impl Into<String>) -> Text {
    Text { text: s.into() }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Help>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    default_configuration: Configuration,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<Tags>,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Tags {
    tags: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'r> {
    rule_id: &'r str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression<'r>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation {
    id: usize,
    physical_location: PhysicalLocation,
    message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    context_region: Option<ContextRegion>,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    snippet: Option<Snippet>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContextRegion {
    start_line: u32,
    end_line: u32,
    snippet: Snippet,
}

#[derive(Serialize)]
struct Snippet {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Text,
    artifact_changes: [ArtifactChange; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: [Replacement; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: Text,
}

#[derive(Serialize)]
struct SarifSuppression<'r> {
    kind: &'static str,
    status: &'static str,
    justification: &'r str,
    properties: Via,
}

#[derive(Serialize)]
struct Via {
    via: &'static str,
}

/// The SARIF log of a report, with the automation details of the
/// environment the process runs in (an Azure Pipelines build, or none).
pub fn log(report: &Report) -> Log<'_> {
    log_in(report, &|name| std::env::var(name).ok())
}

/// The automation details: an Azure Pipelines build's, when every
/// variable GitHub Advanced Security for Azure DevOps needs is set
/// (`azuredevops/pipeline/build/<org>/<project>/<definition>/<phase>/<branch>/<build>`
/// and the four `azuredevops/pipeline/build/*` properties); else the
/// category `gitops-lint/`.
fn automation_details(env: &dyn Fn(&str) -> Option<String>) -> AutomationDetails {
    let plain = AutomationDetails {
        id: "gitops-lint/".into(),
        properties: BTreeMap::new(),
    };
    let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if var("TF_BUILD").is_none() {
        return plain;
    }
    let (Some(collection), Some(project), Some(definition), Some(definition_name)) = (
        var("SYSTEM_COLLECTIONURI"),
        var("SYSTEM_TEAMPROJECT"),
        var("SYSTEM_DEFINITIONID"),
        var("BUILD_DEFINITIONNAME"),
    ) else {
        return plain;
    };
    let (Some(phase), Some(phase_name), Some(branch), Some(build)) = (
        var("SYSTEM_PHASEID"),
        var("SYSTEM_PHASENAME"),
        var("BUILD_SOURCEBRANCH"),
        var("BUILD_BUILDID"),
    ) else {
        return plain;
    };
    // An integer, written as a string: GHAzDO's ingestion (and Microsoft's
    // validator) read every one of these properties as a JSON string.
    if definition.parse::<i64>().is_err() {
        return plain;
    }
    let org = collection
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    AutomationDetails {
        id: format!(
            "azuredevops/pipeline/build/{org}/{project}/{definition}/{phase}/{branch}/{build}"
        ),
        properties: BTreeMap::from([
            (
                "azuredevops/pipeline/build/buildDefinitionId",
                definition.into(),
            ),
            (
                "azuredevops/pipeline/build/buildDefinitionName",
                definition_name.into(),
            ),
            ("azuredevops/pipeline/build/phaseId", phase.into()),
            ("azuredevops/pipeline/build/phaseName", phase_name.into()),
        ]),
    }
}

/// [`log`] with the environment read through `env`.
pub fn log_in<'r>(report: &'r Report, env: &dyn Fn(&str) -> Option<String>) -> Log<'r> {
    let rules = Rules::new(report);
    let sources = redacted_sources(report);
    let fingerprints = fingerprints(report, &sources);
    let kept = keep_within_limit(&report.findings);
    let results: Vec<SarifResult<'_>> = kept
        .iter()
        .map(|&i| {
            let f = &report.findings[i];
            result(&sources, &rules, &report.repositories, f, &fingerprints[i])
        })
        .collect();
    let left_out = report.findings.len() - kept.len();
    let mut notes: Vec<String> = report.notices.clone();
    if left_out > 0 {
        notes.push(format!(
            "{left_out} of {} results were left out: GitHub code scanning accepts at most {MAX_RESULTS} results per run; the most severe are kept",
            report.findings.len()
        ));
    }
    let notifications = notes
        .into_iter()
        .map(|note| Notification {
            level: "warning",
            message: text(note),
        })
        .collect();
    Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "gitops-lint",
                    full_name: format!(
                        "gitops-lint {}, a policy linter for Flux CD GitOps repositories",
                        env!("CARGO_PKG_VERSION")
                    ),
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: "https://github.com/gitops-lint/gitops-lint",
                    rules: rules.descriptors,
                },
            },
            automation_details: automation_details(env),
            original_uri_base_ids: uri_bases(&report.repositories),
            column_kind: "unicodeCodePoints",
            invocations: [Invocation {
                execution_successful: true,
                tool_execution_notifications: notifications,
            }],
            results,
        }],
    }
}

/// The rule descriptors of `tool.driver.rules`: every documented rule, then
/// any rule a finding names that has no documentation.
struct Rules {
    descriptors: Vec<Descriptor>,
    index: HashMap<String, usize>,
}

impl Rules {
    fn new(report: &Report) -> Rules {
        let mut descriptors: Vec<Descriptor> = docs::all().iter().map(descriptor).collect();
        let mut index: HashMap<String, usize> = docs::all()
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        for f in &report.findings {
            if !index.contains_key(f.rule) {
                index.insert(f.rule.to_string(), descriptors.len());
                descriptors.push(Descriptor {
                    id: f.rule.to_string(),
                    name: friendly_name(f.rule),
                    short_description: text(f.rule),
                    full_description: text(format!("Findings of the `{}` check.", f.rule)),
                    help: None,
                    help_uri: None,
                    default_configuration: Configuration {
                        level: level(f.severity),
                    },
                    properties: None,
                });
            }
        }
        Rules { descriptors, index }
    }
}

fn descriptor(d: &RuleDoc) -> Descriptor {
    let full = d
        .section("What it does")
        .filter(|s| !s.is_empty())
        .unwrap_or(&d.summary);
    let body = d.body.trim();
    Descriptor {
        id: d.id.clone(),
        name: friendly_name(&d.id),
        short_description: text(d.summary.as_str()),
        full_description: text(full),
        help: Some(Help {
            text: body.to_string(),
            markdown: body.to_string(),
        }),
        help_uri: Some(d.help_uri()),
        default_configuration: Configuration {
            level: level(d.severity),
        },
        properties: Some(Tags {
            tags: vec![d.category.clone()],
        }),
    }
}

/// SARIF's friendly `name`: the id in Pascal case, and never the id
/// itself — the specification asks a `name` equal to the `id` to be left
/// out, and GitHub Advanced Security for Azure DevOps requires a `name`
/// (`schema` → `SchemaCheck`).
fn friendly_name(id: &str) -> String {
    let name = pascal_case(id);
    match name.eq_ignore_ascii_case(id) {
        true => format!("{name}Check"),
        false => name,
    }
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

fn result<'r>(
    sources: &Sources<'_>,
    rules: &Rules,
    bases: &[RepositoryBase],
    f: &'r Finding,
    fingerprint: &str,
) -> SarifResult<'r> {
    let source = sources.get(f.path.as_str()).map(|s| &**s);
    let mut message = f.message.clone();
    if let Some(help) = &f.help {
        message.push_str("\n\nhelp: ");
        message.push_str(help);
    }
    let related_locations = f
        .related
        .iter()
        .take(MAX_LOCATIONS)
        .enumerate()
        .map(|(id, rel)| RelatedLocation {
            id,
            physical_location: physical_location(
                bases,
                &rel.path,
                rel.span,
                sources.get(rel.path.as_str()).map(|s| &**s),
            ),
            message: text(rel.message.as_str()),
        })
        .collect();
    let fixes = f
        .fix
        .iter()
        .map(|fix| SarifFix {
            description: text(fix.description.as_str()),
            artifact_changes: [ArtifactChange {
                artifact_location: artifact_location(bases, &f.path),
                replacements: [Replacement {
                    deleted_region: region(fix.span),
                    inserted_content: text(fix.replacement.as_str()),
                }],
            }],
        })
        .collect();
    let suppressions = f
        .suppressed
        .iter()
        .map(|s| SarifSuppression {
            kind: "inSource",
            status: "accepted",
            justification: &s.reason,
            properties: Via { via: s.kind },
        })
        .collect();
    SarifResult {
        rule_id: f.rule,
        rule_index: rules.index.get(f.rule).copied(),
        level: level(f.severity),
        message: text(message),
        locations: [Location {
            physical_location: physical_location(bases, &f.path, f.span, source),
            logical_locations: f.object.iter().map(logical_location).collect(),
        }],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint.to_string())]),
        related_locations,
        fixes,
        suppressions,
    }
}

/// A report path as a URI under the base of its repository: `%SRCROOT%`
/// for the checked one, `SYSTEMREPO_<name>` for another, so no URI climbs
/// out of its base with `..`.
fn artifact_location(bases: &[RepositoryBase], path: &str) -> ArtifactLocation {
    let own = bases.iter().find_map(|b| {
        path.strip_prefix(b.prefix.as_str())
            .map(|rest| (base_id(b), rest))
    });
    let (uri_base_id, rel) = own.unwrap_or_else(|| (SRCROOT.to_string(), path));
    ArtifactLocation {
        uri: encode_uri_path(rel),
        uri_base_id,
    }
}

fn base_id(base: &RepositoryBase) -> String {
    format!("SYSTEMREPO_{}", base.name)
}

/// `%SRCROOT%`, and each other repository's root relative to it.
fn uri_bases(bases: &[RepositoryBase]) -> BTreeMap<String, UriBase> {
    let mut out = BTreeMap::from([(
        SRCROOT.to_string(),
        UriBase {
            description: text("The root of the checked repository."),
        },
    )]);
    for b in bases {
        out.insert(
            base_id(b),
            // No `uri`: relative to `%SRCROOT%` it would need `..`, which
            // links may resolve differently where the log is read; like
            // `%SRCROOT%`, the consumer maps it (the description says where
            // it was).
            UriBase {
                description: text(format!(
                    "The root of the repository `{}` (`{}` from the checked repository's root).",
                    b.name, b.prefix
                )),
            },
        );
    }
    out
}

fn physical_location(
    bases: &[RepositoryBase],
    path: &str,
    span: Span,
    source: Option<&SourceText>,
) -> PhysicalLocation {
    let mut region = region(span);
    let mut context_region = None;
    if let Some(src) = source {
        region.snippet = span_text(src, span).map(|text| Snippet {
            text: text.to_string(),
        });
        context_region =
            context_region_of(src, span).map(|((start_line, end_line), text)| ContextRegion {
                start_line,
                end_line,
                snippet: Snippet {
                    text: text.to_string(),
                },
            });
    }
    PhysicalLocation {
        artifact_location: artifact_location(bases, path),
        context_region,
        region,
    }
}

/// A SARIF region; SARIF's `endColumn` is exclusive, like our spans.
fn region(span: Span) -> Region {
    let start_line = span.start.line.max(1);
    let start_col = span.start.col.max(1);
    let (end_line, end_col) = if (span.end.line, span.end.col) < (start_line, start_col) {
        (start_line, start_col)
    } else {
        (span.end.line, span.end.col.max(1))
    };
    Region {
        start_line,
        start_column: start_col,
        end_line,
        end_column: end_col,
        snippet: None,
    }
}

fn span_text(src: &SourceText, span: Span) -> Option<&str> {
    if span.byte_len() == 0 || span.byte_len() > MAX_SNIPPET_BYTES {
        return None;
    }
    src.text.get(span.start.offset..span.end.offset)
}

/// The whole lines the span touches, when they are small enough to show.
fn context_region_of(src: &SourceText, span: Span) -> Option<((u32, u32), &str)> {
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
fn logical_location(o: &ObjectRef) -> LogicalLocation {
    let mut fqn = format!("{}/{}", o.api_version, o.kind);
    for part in [&o.namespace, &o.name].into_iter().flatten() {
        fqn.push('/');
        fqn.push_str(part);
    }
    LogicalLocation {
        name: o.name.clone(),
        fully_qualified_name: fqn,
        kind: "resource",
    }
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

    /// The variables of an Azure Pipelines build.
    const AZURE_PIPELINE: [(&str, &str); 9] = [
        ("TF_BUILD", "True"),
        ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/contoso/"),
        ("SYSTEM_TEAMPROJECT", "platform"),
        ("SYSTEM_DEFINITIONID", "42"),
        ("BUILD_DEFINITIONNAME", "platform-pr"),
        ("SYSTEM_PHASEID", "3b1f1a5e-9f3c-5d8e-8a50-4f0c6a2a9b11"),
        ("SYSTEM_PHASENAME", "GitopsLint"),
        ("BUILD_SOURCEBRANCH", "refs/pull/7/merge"),
        ("BUILD_BUILDID", "1234"),
    ];

    #[test]
    fn automation_details_of_an_azure_pipeline_or_none() {
        let none = automation_details(&|_| None);
        assert_eq!(none.id, "gitops-lint/");
        assert!(none.properties.is_empty());
        let env = |name: &str| {
            AZURE_PIPELINE
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let azure = automation_details(&env);
        assert_eq!(
            azure.id,
            "azuredevops/pipeline/build/contoso/platform/42/3b1f1a5e-9f3c-5d8e-8a50-4f0c6a2a9b11/refs/pull/7/merge/1234"
        );
        assert_eq!(
            azure.properties["azuredevops/pipeline/build/buildDefinitionId"],
            "42"
        );
        assert_eq!(
            azure.properties["azuredevops/pipeline/build/phaseName"],
            "GitopsLint"
        );
        // One variable missing: not a build GHAzDO can file the run under.
        let partial =
            automation_details(&|name| (name != "SYSTEM_PHASEID").then(|| env(name)).flatten());
        assert_eq!(partial.id, "gitops-lint/");
    }

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
            repositories: Vec::new(),
            root: "/repo".into(),
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
        let log = serde_json::to_value(log(&report(text, vec![f]))).unwrap();
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
        let log = serde_json::to_value(log(&report(text, findings))).unwrap();
        let notes = &log["runs"][0]["invocations"][0]["toolExecutionNotifications"];
        assert!(notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("2 of"));
    }
}
