//! Secret values never appear in any output. Reports show source snippets
//! (human, SARIF), so before any reporter sees a file's text, every
//! sensitive span is overwritten with `*`, byte for byte (offsets, lines and
//! UTF-8 validity hold): the values of every Secret's `data` and
//! `stringData`, and the user-info part of every URL (`https://user:token@…`)
//! — whatever rules ran, and whether or not they found anything.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::finding::Finding;
use crate::load::ParsedFile;
use crate::source::{SourceText, Span};
use crate::yaml::NodeKind;

/// A file's text as reporters may show it: its sensitive spans masked,
/// plus any span a finding in it asked to hide ([`Finding::redact`]).
pub fn shown_source(file: &ParsedFile, findings: &[Finding]) -> Arc<SourceText> {
    let asked: Vec<Span> = findings
        .iter()
        .filter(|f| f.path == file.file.display)
        .flat_map(|f| f.redact.iter().copied())
        .collect();
    shown_source_with(file, &asked)
}

/// The sources a report carries, by display path: every file of `files`,
/// with the text (masked as [`shown_source`] masks it) of each that a
/// finding or a related location names, and an empty text for the others
/// (no reporter shows them; JUnit only lists them). Masked in parallel.
pub fn shown_sources<'f>(
    files: impl IntoParallelIterator<Item = &'f ParsedFile>,
    findings: &[Finding],
) -> HashMap<String, Arc<SourceText>> {
    let mut asked: HashMap<&str, Vec<Span>> = HashMap::new();
    for f in findings {
        asked.entry(&f.path).or_default().extend(&f.redact);
        for r in &f.related {
            asked.entry(&r.path).or_default();
        }
    }
    let empty = SourceText::new(String::new());
    files
        .into_par_iter()
        .map(|file| {
            let shown = match asked.get(file.file.display.as_str()) {
                Some(spans) => shown_source_with(file, spans),
                None => Arc::clone(&empty),
            };
            (file.file.display.clone(), shown)
        })
        .collect()
}

fn shown_source_with(file: &ParsedFile, asked: &[Span]) -> Arc<SourceText> {
    let mut spans = sensitive_spans(file);
    spans.extend_from_slice(asked);
    mask(&file.source, &spans)
}

/// The spans of `file` that must never be shown.
pub fn sensitive_spans(file: &ParsedFile) -> Vec<Span> {
    let mut spans = Vec::new();
    for (doc, meta) in file.stream.docs.iter().zip(&file.objects) {
        if meta.as_ref().is_some_and(|m| m.is("", "Secret")) {
            for key in ["data", "stringData"] {
                if let Some(values) = doc.root().get(key) {
                    spans.extend(values.entries().map(|(_, v)| v.span()));
                }
            }
        }
        for node in &doc.nodes {
            if let NodeKind::Scalar(s) = &node.kind {
                if s.value.contains("://") && s.value.contains('@') {
                    spans.extend(url_userinfo(&file.source.text, node.span()));
                }
            }
        }
    }
    spans
}

/// The user-info of a URL written at `span` (`user:token` in
/// `https://user:token@host/…`), found in the source text itself.
fn url_userinfo(text: &str, span: Span) -> Option<Span> {
    let raw = text.get(span.start.offset..span.end.offset)?;
    let scheme_end = raw.find("://")? + 3;
    let rest = &raw[scheme_end..];
    let authority_end = rest
        .find(['/', '?', '#', '"', '\'', ' ', '\n'])
        .unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    let start = span.start.offset + scheme_end;
    let mut s = span;
    s.start.offset = start;
    s.end.offset = start + at;
    Some(s)
}

/// `source` with `spans` overwritten by `*` (line breaks kept).
pub fn mask(source: &Arc<SourceText>, spans: &[Span]) -> Arc<SourceText> {
    if spans.is_empty() {
        return source.clone();
    }
    let mut bytes = source.text.as_bytes().to_vec();
    for span in spans {
        let end = span.end.offset.min(bytes.len());
        let start = span.start.offset.min(end);
        for b in &mut bytes[start..end] {
            if *b != b'\n' && *b != b'\r' {
                *b = b'*';
            }
        }
    }
    // Spans start and end on character boundaries, so every multi-byte
    // character is replaced whole and the text stays valid UTF-8.
    SourceText::new(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::workspace;

    fn masked(text: &str) -> String {
        let ws = workspace(&[("f.yaml", text)], "");
        let file = &ws.files[0];
        mask(&file.source, &sensitive_spans(file)).text.clone()
    }

    #[test]
    fn masks_secret_values_and_url_credentials() {
        let out = masked(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: hunter2\n  token: \"abc\"\n---\nurl: https://bob:s3cret@dev.azure.com/org/_git/r\n",
        );
        assert!(!out.contains("hunter2"), "{out}");
        assert!(!out.contains("abc"), "{out}");
        assert!(!out.contains("s3cret"), "{out}");
        assert!(out.contains("password: *******\n"), "{out}");
        assert!(out.contains("https://**********@dev.azure.com"), "{out}");
        assert_eq!(out.len(), masked("x").len().max(out.len()));
    }

    #[test]
    fn leaves_other_documents_alone() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: visible\n";
        assert_eq!(masked(text), text);
    }
}
