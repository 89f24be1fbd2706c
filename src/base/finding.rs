//! What a check reports: a rule, a severity, a message, and an exact place.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::base::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Kubernetes object a finding concerns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} '{}'", self.kind, self.name.as_deref().unwrap_or("?"))
    }
}

/// A machine-applicable fix: replace the text of `span` with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub description: String,
    pub span: Span,
    pub replacement: String,
    pub applicability: Applicability,
}

/// Whether `check --fix` applies a fix (ruff's distinction): a safe fix
/// keeps what the object means to everything that reads it; an unsafe one
/// changes what the cluster does (pruning turned on, another branch,
/// another way to authenticate) and needs `--unsafe-fixes`. Each rule's
/// doc says which, under "Fix safety".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    Safe,
    Unsafe,
}

/// Another place a finding concerns (the first definition of a duplicate, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    pub path: String,
    pub span: Span,
    pub message: String,
}

/// What a finding says, in a form the engine can compare: one mistake
/// reported by two rules is reported once (see `engine::precedence`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Concern {
    /// The object does not set this field (dotted, from the object's root:
    /// `spec.targetNamespace`).
    Unset(String),
    /// The key written is unknown; it most likely means this field (dotted,
    /// from the object's root).
    Misspelt(String),
}

/// How a finding was suppressed, when it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// `annotation` or `comment`.
    #[serde(deserialize_with = "suppression_kind")]
    pub kind: Static,
    pub reason: String,
}

/// Serialised for the cache of results (`crate::run`); what only the engine
/// reads while a run goes on is not kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    #[serde(deserialize_with = "interned")]
    pub rule: Static,
    pub severity: Severity,
    pub message: String,
    /// Relative to the repository root, `/`-separated.
    pub path: String,
    pub span: Span,
    pub object: Option<ObjectRef>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
    pub related: Vec<Related>,
    /// Set when a suppression matched; suppressed findings are not counted,
    /// but SARIF reports them.
    pub suppressed: Option<Suppression>,
    /// Source text that must never be shown (secret values): reporters that
    /// print source mask it, in every snippet of the file.
    pub redact: Vec<Span>,
    /// A severity the rule chose for this finding, instead of its default
    /// (config overrides still win).
    #[serde(skip)]
    pub(crate) explicit_severity: Option<Severity>,
    /// What the finding says, for the engine's precedence between rules.
    #[serde(skip)]
    pub(crate) concern: Option<Concern>,
    /// Report paths (a directory ends with `/`) whose change may cause or
    /// resolve the finding although it is not reported there: where a
    /// missing registration belongs. `--changed-since` reports the finding
    /// when one of them changed, a deletion included.
    #[serde(skip)]
    pub(crate) depends_on: Vec<String>,
    /// The object (`Kind/name`) whose absence the finding is about: a
    /// change that deletes a file defining such an object may have caused
    /// it, and `--changed-since` reports it then.
    #[serde(skip)]
    pub(crate) absent: Option<String>,
}

/// `&'static str`, named so that serde's derive does not take the field for
/// text borrowed from its input (it goes by the written type): the fields
/// of this type are read back through [`interned`] and [`suppression_kind`].
pub type Static = &'static str;

/// A suppression's kind read back: one of the two the engine writes.
fn suppression_kind<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    match String::deserialize(d)?.as_str() {
        "annotation" => Ok("annotation"),
        "comment" => Ok("comment"),
        other => Err(serde::de::Error::custom(format!(
            "unknown suppression kind `{other}`"
        ))),
    }
}

/// A rule id read back, as the `&'static str` findings carry: each
/// distinct id is allocated once per process (there are a few dozen; the
/// caller checks they name rules).
fn interned<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static IDS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let id = String::deserialize(d)?;
    let mut ids = IDS
        .get_or_init(Default::default)
        .lock()
        .map_err(|_| serde::de::Error::custom("rule id table poisoned"))?;
    if let Some(known) = ids.get(id.as_str()) {
        return Ok(known);
    }
    let leaked: &'static str = Box::leak(id.into_boxed_str());
    ids.insert(leaked);
    Ok(leaked)
}

impl Finding {
    /// A new finding; the engine fills in the severity from the rule's
    /// documentation and the configuration.
    pub fn new(rule: &'static str, path: &str, span: Span, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: Severity::Error,
            message: message.into(),
            path: path.to_string(),
            span,
            object: None,
            help: None,
            fix: None,
            related: Vec::new(),
            suppressed: None,
            redact: Vec::new(),
            explicit_severity: None,
            concern: None,
            depends_on: Vec::new(),
            absent: None,
        }
    }

    pub fn with_object(mut self, object: Option<ObjectRef>) -> Self {
        self.object = object;
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    pub fn with_related(mut self, related: Related) -> Self {
        self.related.push(related);
        self
    }

    /// Marks source text as secret: no reporter shows it.
    pub fn with_redacted(mut self, spans: impl IntoIterator<Item = Span>) -> Self {
        self.redact.extend(spans);
        self
    }

    /// Reports this finding at `severity` rather than the rule's default.
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.explicit_severity = Some(severity);
        self
    }

    /// Says that a change under `path` (a report path; a directory ends
    /// with `/`) may cause or resolve this finding.
    pub fn depends_on(mut self, path: impl Into<String>) -> Self {
        self.depends_on.push(path.into());
        self
    }

    /// Says that the finding is about a missing `kind` object named
    /// `name`, which deleting the file that defined it would cause.
    pub fn about_absent(mut self, kind: &str, name: &str) -> Self {
        self.absent = Some(absent_key(kind, name));
        self
    }

    /// Says, for the engine, that the object does not set `field`.
    pub fn unset(mut self, field: impl Into<String>) -> Self {
        self.concern = Some(Concern::Unset(field.into()));
        self
    }

    /// Says, for the engine, that the key written most likely means `field`.
    pub fn misspelt(mut self, field: impl Into<String>) -> Self {
        self.concern = Some(Concern::Misspelt(field.into()));
        self
    }

    /// The order docs/contract.md fixes: path, line, column, rule (then message, so
    /// that two runs are byte-identical).
    pub fn sort_key(&self) -> (&str, u32, u32, &str, &str) {
        (
            &self.path,
            self.span.start.line,
            self.span.start.col,
            self.rule,
            &self.message,
        )
    }
}

/// Where findings go while checks run.
#[derive(Debug, Default)]
pub struct Findings {
    items: Vec<Finding>,
}

impl Findings {
    pub fn push(&mut self, finding: Finding) {
        self.items.push(finding);
    }

    pub fn into_vec(self) -> Vec<Finding> {
        self.items
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// How [`Finding::about_absent`] names an object, and `--changed-since`
/// the objects a deleted file defined.
pub(crate) fn absent_key(kind: &str, name: &str) -> String {
    format!("{kind}/{name}")
}
