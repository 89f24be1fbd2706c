//! Rule documentation: `rules/<id>.md`, embedded in the binary.
//!
//! Front matter (between `---` lines) holds the data (`id`, `severity`,
//! `category`, `fixable`, `summary`, optional `options` and `profile:
//! platform`); the body holds the
//! fixed sections (What it does, Why is this bad?, Example, Use instead,
//! Options, References). `explain`, `rules`, SARIF and the README all read it
//! from here, and a test runs each doc's Example and Use instead blocks.

use std::sync::OnceLock;

use crate::base::finding::Severity;
use crate::base::source::LineIndex;
use crate::base::suggest;
use crate::yaml;

#[derive(Debug, Clone)]
pub struct RuleDoc {
    pub id: String,
    pub severity: Severity,
    pub category: String,
    pub fixable: bool,
    pub summary: String,
    /// Names of the options the rule takes under `rules: {<id>: {...}}`.
    pub options: Vec<&'static str>,
    /// A convention of the platform (`profile: platform`): runs on the
    /// platform profile, elsewhere only when selected by name.
    pub platform: bool,
    /// The Markdown body after the front matter.
    pub body: &'static str,
}

/// A fenced code block of a doc section, with its `path=` attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeBlock {
    pub path: Option<String>,
    pub code: String,
}

impl RuleDoc {
    /// The text of a `## <title>` section.
    pub fn section(&self, title: &str) -> Option<&'static str> {
        let body = self.body;
        let header = format!("## {title}\n");
        let start = body.find(&header)? + header.len();
        let rest = &body[start..];
        let end = rest.find("\n## ").map_or(rest.len(), |i| i + 1);
        Some(rest[..end].trim())
    }

    /// The fenced `yaml` blocks of a section.
    pub fn code_blocks(&self, title: &str) -> Vec<CodeBlock> {
        self.section(title).map(code_blocks).unwrap_or_default()
    }

    /// The first paragraph of "What it does", for short descriptions.
    pub fn what_it_does(&self) -> &'static str {
        self.section("What it does")
            .and_then(|s| s.split("\n\n").next())
            .unwrap_or("")
    }

    pub fn help_uri(&self) -> String {
        format!(
            "https://github.com/gitops-lint/gitops-lint/blob/main/rules/{}.md",
            self.id
        )
    }
}

fn code_blocks(section: &str) -> Vec<CodeBlock> {
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let mut code = String::new();
        for l in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            code.push_str(l);
            code.push('\n');
        }
        let path = info
            .split_whitespace()
            .find_map(|w| w.strip_prefix("path="))
            .map(String::from);
        // YAML, and JSON (a chart's `values.schema.json`).
        let lang = info.split_whitespace().next().unwrap_or("");
        if lang == "yaml" || lang == "json" {
            blocks.push(CodeBlock { path, code });
        }
    }
    blocks
}

/// Every rule doc, parsed once.
pub fn all() -> &'static [RuleDoc] {
    static DOCS: OnceLock<Vec<RuleDoc>> = OnceLock::new();
    DOCS.get_or_init(|| {
        super::registry::DOCS
            .iter()
            .filter_map(|(stem, text)| parse(stem, text).ok())
            .collect()
    })
}

pub fn doc(id: &str) -> Option<&'static RuleDoc> {
    all().iter().find(|d| d.id == id)
}

/// Parses one doc; errors name what is wrong (a test checks every doc).
pub fn parse(stem: &str, text: &'static str) -> Result<RuleDoc, String> {
    let rest = text
        .strip_prefix("---\n")
        .ok_or_else(|| format!("{stem}.md: no front matter"))?;
    let end = rest
        .find("\n---\n")
        .ok_or_else(|| format!("{stem}.md: front matter not closed"))?;
    let front = &rest[..end + 1];
    let body = &rest[end + 5..];
    let stream = yaml::parse(front, &LineIndex::new(front));
    let root = stream
        .docs
        .first()
        .filter(|_| stream.errors.is_empty())
        .ok_or_else(|| format!("{stem}.md: front matter is not valid YAML"))?
        .root();
    let field = |k: &str| {
        root.get(k)
            .and_then(|v| v.as_str())
            .map(String::from)
            .ok_or_else(|| format!("{stem}.md: front matter lacks `{k}`"))
    };
    let id = field("id")?;
    if id != stem {
        return Err(format!("{stem}.md: id `{id}` does not match the file name"));
    }
    let severity = Severity::parse(&field("severity")?)
        .ok_or_else(|| format!("{stem}.md: unknown severity"))?;
    let options = root
        .get("options")
        .map(|o| {
            o.items()
                .filter_map(|i| i.as_str())
                .map(|s| &*Box::leak(s.to_string().into_boxed_str()))
                .collect()
        })
        .unwrap_or_default();
    let platform = match root.get("profile").map(|p| p.as_str()) {
        None => false,
        Some(Some("platform")) => true,
        Some(_) => return Err(format!("{stem}.md: `profile` may only be `platform`")),
    };
    Ok(RuleDoc {
        platform,
        severity,
        category: field("category")?,
        fixable: field("fixable")? == "true",
        summary: field("summary")?,
        options,
        body,
        id,
    })
}

/// The rule table as Markdown (the README embeds this output).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| id | default | category | fixable | what it catches |\n|---|---|---|---|---|\n",
    );
    for d in all() {
        out.push_str(&format!(
            "| [`{}`](rules/{}.md) | {} | {} | {} | {} |\n",
            d.id,
            d.id,
            d.severity,
            d.category,
            if d.fixable { "yes" } else { "" },
            d.summary
        ));
    }
    out
}

/// The rule catalogue the config loader checks `rules:` keys against.
pub struct Catalog;

/// "unknown rule `x`", with the id most likely meant (`yaml-truty` →
/// `yaml-truthy`, `prune` → `prune-enabled`), else where to look.
pub fn unknown_rule(id: &str) -> String {
    match nearest_rule(id) {
        Some(meant) => format!("unknown rule `{id}`; did you mean `{meant}`?"),
        None => format!("unknown rule `{id}` (see `gitops-lint rules`)"),
    }
}

/// The rule id a word that is not one most likely means.
pub fn nearest_rule(id: &str) -> Option<&'static str> {
    let ids = || all().iter().map(|d| d.id.as_str());
    suggest::closest(id, ids()).or_else(|| suggest::related(id, ids()))
}

impl crate::workspace::config::RuleCatalog for Catalog {
    fn has_rule(&self, id: &str) -> bool {
        doc(id).is_some()
    }

    fn unknown_rule(&self, id: &str) -> String {
        unknown_rule(id)
    }

    fn rule_options(&self, id: &str) -> &[&'static str] {
        doc(id).map(|d| d.options.as_slice()).unwrap_or(&[])
    }
}
