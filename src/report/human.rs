//! `--format human`: miette diagnostics with the source snippet, the span
//! underlined, and the help text.
//!
//! miette's own `SourceCode` for `str` rescans the text from byte 0 on every
//! lookup (seconds for a thousand findings in a large file), and it panics on
//! labels past column 65,535; [`Snippet`] uses the file's line index and
//! leaves out snippets of very wide lines.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use rayon::prelude::*;

use super::{PathView, RenderOptions, Report};
use crate::base::finding::{Finding, Severity};
use crate::base::source::SourceText;

/// Lines wider than this are reported without a snippet.
const MAX_SNIPPET_LINE: usize = 1000;

pub fn render(report: &Report, opts: &RenderOptions) -> String {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false)
        .with_context_lines(CONTEXT_LINES as usize);
    let findings: Vec<&Finding> = report.active().collect();
    let sources = super::redacted_sources(report);
    let rendered: Vec<String> = findings
        .par_iter()
        .map(|f| render_one(&handler, &sources, &opts.paths, f))
        .collect();
    let mut out = rendered.concat();
    if !opts.quiet {
        out.push_str(&summary(report));
    }
    out
}

fn render_one(
    handler: &GraphicalReportHandler,
    sources: &HashMap<&str, Arc<SourceText>>,
    paths: &PathView,
    f: &Finding,
) -> String {
    let source = sources.get(f.path.as_str());
    let path = paths.show(&f.path);
    let snippet = source.filter(|s| fits(s, f)).map(|s| Snippet {
        name: &path,
        source: s,
    });
    let diag = FindingDiagnostic {
        finding: f,
        snippet,
        paths,
    };
    let mut out = String::new();
    if handler.render_report(&mut out, &diag).is_err() || out.is_empty() {
        out = plain(f);
    }
    if snippet.is_none() {
        // Without a snippet miette shows no location: add it.
        out = format!(
            "{}:{}:{}: {}",
            path, f.span.start.line, f.span.start.col, out
        );
    }
    out.push('\n');
    out
}

/// Lines of context shown around a finding.
const CONTEXT_LINES: u32 = 2;

/// Whether a snippet can be shown: every line it would print, context
/// included, is at most [`MAX_SNIPPET_LINE`] wide (a minified line beside a
/// finding would otherwise print megabytes), and the span is in the text.
fn fits(source: &SourceText, f: &Finding) -> bool {
    let first = f.span.start.line.saturating_sub(CONTEXT_LINES).max(1);
    let last = (f.span.end.line.max(f.span.start.line) + CONTEXT_LINES)
        .min(source.lines.line_count() as u32);
    f.span.end.offset <= source.text.len()
        && (first..=last).all(|l| source.line_text(l).len() <= MAX_SNIPPET_LINE)
}

fn plain(f: &Finding) -> String {
    format!("{}[{}]: {}\n", f.severity, f.rule, f.message)
}

/// "Found 1 error, 0 warnings, 0 infos in 3 files (5 documents) in 4 ms."
pub(super) fn summary(report: &Report) -> String {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let infos = report.count(Severity::Info);
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let found = if errors + warnings + infos == 0 {
        "No findings".to_string()
    } else {
        format!(
            "Found {}, {}, {}",
            plural(errors, "error"),
            plural(warnings, "warning"),
            plural(infos, "info")
        )
    };
    format!(
        "{found} in {} ({}) in {} ms.\n",
        plural(report.files, "file"),
        plural(report.documents, "document"),
        report.elapsed.as_millis()
    )
}

struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    snippet: Option<Snippet<'a>>,
    paths: &'a PathView,
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.finding)
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.finding.rule))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let f = self.finding;
        let mut text = String::new();
        if let Some(h) = &f.help {
            text.push_str(h);
            text.push('\n');
        }
        // The chain that put the value there, and where it applies.
        for r in &f.related {
            let at = r.span.start;
            text.push_str(&format!(
                "note: {}: {}:{}:{}\n",
                r.message,
                self.paths.show(&r.path),
                at.line,
                at.col
            ));
        }
        let explain = format!("gitops-lint explain {}", f.rule);
        if !text.contains(&explain) {
            text.push_str(&format!("see `{explain}`"));
        }
        let text = text.trim_end().to_string();
        Some(Box::new(text))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.snippet.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.snippet.as_ref()?;
        let f = self.finding;
        let label = f
            .fix
            .as_ref()
            .map(|x| x.description.clone())
            .or_else(|| f.object.as_ref().map(|o| o.to_string()));
        let span = SourceSpan::new(f.span.start.offset.into(), f.span.byte_len());
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            label, span,
        ))))
    }
}

/// A file's text as miette reads it, through the line index.
#[derive(Clone, Copy)]
struct Snippet<'a> {
    name: &'a str,
    source: &'a SourceText,
}

impl SourceCode for Snippet<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text = &self.source.text;
        if span.offset() + span.len() > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let start = self.source.pos_of_offset(span.offset());
        let end = self.source.pos_of_offset(span.offset() + span.len());
        let first_line = start.line.saturating_sub(before as u32).max(1);
        let last_line = (end.line + after as u32).min(self.source.lines.line_count() as u32);
        // Without context miette wants the span itself, and reads the
        // header's line:column from it.
        let (from, column) = if before == 0 {
            (span.offset(), start.col as usize - 1)
        } else {
            (self.source.lines.line_start(first_line), 0)
        };
        let to_line_start = self.source.lines.line_start(last_line);
        let to = to_line_start + self.source.line_text(last_line).len();
        let data = &text.as_bytes()[from..to.max(from)];
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            data,
            SourceSpan::new(from.into(), data.len()),
            first_line as usize - 1,
            column,
            (last_line - first_line + 1) as usize,
        )))
    }
}
