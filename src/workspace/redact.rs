//! Secret values never appear in any output. Reports show source snippets
//! (human, SARIF) and messages that may quote values, so before any reporter
//! sees a file, its sensitive text is found by structure and by text:
//!
//! - every scalar under a Secret's `data` and `stringData`, wherever the
//!   Secret is (top level, a `kind: List` item, a Helm values file's
//!   `extraObjects`), following aliases and `<<` merges to the text they
//!   come from;
//! - every value under a secret-like key name ([`SecretKeys`]: `password`,
//!   `token`, `connectionString`, … and the config's `secretKeys`), in any
//!   document;
//! - the user-info of every URL (`https://user:token@…`), in values and
//!   comments alike, also when a double-quoted scalar escapes the `@` or a
//!   plain scalar folds over lines (then the whole scalar);
//! - in a document the parser gave up on, where the structure is lost: from
//!   a Secret's first `data`/`stringData` key (or its first line) to the end
//!   of the document, and the value of every secret-like key.
//!
//! That text is overwritten with `*` byte for byte (offsets, lines and UTF-8
//! validity hold), and the values behind it (decoded, raw, and base64-decoded
//! for `data`) are scrubbed from every finding's message, help, fix and
//! related notes. Findings may add spans of their own ([`Finding::redact`]).

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;

use crate::base::finding::Finding;
use crate::base::source::{SourceText, Span};
use crate::workspace::load::ParsedFile;
use crate::yaml::{Document, NodeKind, NodeRef, ScalarStyle};

/// Key names whose values are secret, compared case-insensitively with `-`,
/// `_` and `.` removed, by suffix: `dbPassword`, `AZURE_CLIENT_SECRET` and
/// `github-token` match; `secretRef`, `secretName` and `tokenFile` do not.
pub const DEFAULT_SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "connectionstring",
    "privatekey",
    "accesskey",
    "credential",
    "credentials",
];

/// The secret-like key names of a run: the defaults plus the config's
/// `secretKeys`.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretKeys {
    suffixes: Vec<String>,
}

impl Default for SecretKeys {
    fn default() -> Self {
        SecretKeys::with_extra(&[])
    }
}

impl SecretKeys {
    pub fn with_extra(extra: &[String]) -> Self {
        let mut suffixes: Vec<String> = DEFAULT_SECRET_KEYS.iter().map(|k| normalise(k)).collect();
        suffixes.extend(extra.iter().map(|k| normalise(k)).filter(|k| !k.is_empty()));
        SecretKeys { suffixes }
    }

    /// Whether `key` ends in one of the names, compared as [`normalise`]
    /// would, without allocating (this runs for every key of a shown file).
    pub fn matches(&self, key: &str) -> bool {
        self.suffixes.iter().any(|suffix| {
            let mut key = key
                .chars()
                .rev()
                .filter(|c| !matches!(c, '-' | '_' | '.'))
                .flat_map(char::to_lowercase);
            suffix.chars().rev().all(|c| key.next() == Some(c))
        })
    }
}

fn normalise(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The sensitive text of one file: byte ranges never shown, and the values
/// behind them, never quoted.
#[derive(Debug, Default)]
pub struct Sensitive {
    ranges: Vec<Range<usize>>,
    /// The values behind each range (decoded, raw, base64-decoded).
    range_values: Vec<Vec<String>>,
    /// The largest end among `ranges[..=i]`, once indexed.
    max_end: Vec<usize>,
    /// Every value of the file.
    value_set: HashSet<String>,
    /// The values that hold a quote character (rare), which a quoted
    /// message cannot be split at.
    with_quotes: Vec<String>,
}

impl Sensitive {
    fn add(&mut self, range: Range<usize>, text: &str) {
        self.add_all(range, [text.to_string()]);
    }

    /// A range and the forms of its value.
    fn add_all(&mut self, range: Range<usize>, forms: impl IntoIterator<Item = String>) {
        let forms: Vec<String> = forms
            .into_iter()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        self.with_quotes.extend(
            forms
                .iter()
                .filter(|v| v.contains(['`', '\'', '"']))
                .cloned(),
        );
        self.value_set.extend(forms.iter().cloned());
        if range.start < range.end {
            self.ranges.push(range);
            self.range_values.push(forms);
        }
    }

    /// Orders the ranges by start, so that [`Sensitive::touching`] finds a
    /// span's ranges without visiting them all (a finding is scrubbed per
    /// finding, and a file may hold thousands of both).
    fn index(&mut self) {
        let mut order: Vec<usize> = (0..self.ranges.len()).collect();
        order.sort_by_key(|&i| (self.ranges[i].start, self.ranges[i].end));
        self.ranges = order.iter().map(|&i| self.ranges[i].clone()).collect();
        self.range_values = order
            .iter()
            .map(|&i| std::mem::take(&mut self.range_values[i]))
            .collect();
        let mut furthest = 0;
        self.max_end = self
            .ranges
            .iter()
            .map(|r| {
                furthest = furthest.max(r.end);
                furthest
            })
            .collect();
    }

    /// The indexes of the ranges `span` overlaps.
    fn touching(&self, span: Span) -> impl Iterator<Item = usize> + '_ {
        let end = span.end.offset.max(span.start.offset + 1);
        let before_end = self.ranges.partition_point(|r| r.start < end);
        (0..before_end)
            .rev()
            .take_while(move |&i| self.max_end[i] > span.start.offset)
            .filter(move |&i| overlaps(&self.ranges[i], span))
    }

    fn overlaps(&self, span: Span) -> bool {
        self.touching(span).next().is_some()
    }
}

/// A file's text as reporters may show it: its sensitive text masked, plus
/// any span a finding in it asked to hide.
#[cfg(test)]
pub fn shown_source(file: &ParsedFile, findings: &[Finding]) -> Arc<SourceText> {
    let asked: Vec<Span> = findings
        .iter()
        .filter(|f| f.path == file.file.display)
        .flat_map(|f| f.redact.iter().copied())
        .collect();
    let sensitive = sensitive(file, &SecretKeys::default());
    mask_ranges(&file.source, &sensitive.ranges, &asked)
}

/// Masks the sources a report carries and scrubs its findings: every file
/// of `files` is returned by display path, with its masked text when a
/// finding or a related location names it and an empty text otherwise (no
/// reporter shows those; JUnit only lists them). Every finding's words lose
/// the sensitive values of its file and any URL credentials. In parallel.
pub fn shown_sources<'f>(
    files: impl IntoParallelIterator<Item = &'f ParsedFile>,
    findings: &mut [Finding],
    keys: &SecretKeys,
) -> HashMap<String, Arc<SourceText>> {
    let mut asked: HashMap<&str, Vec<Span>> = HashMap::new();
    for f in findings.iter() {
        asked.entry(&f.path).or_default().extend(&f.redact);
        for r in &f.related {
            asked.entry(&r.path).or_default();
        }
    }
    let empty = SourceText::new(String::new());
    let shown: Vec<(String, Arc<SourceText>, Option<Sensitive>)> = files
        .into_par_iter()
        .map(|file| match asked.get(file.file.display.as_str()) {
            Some(spans) => {
                let sensitive = sensitive(file, keys);
                let text = mask_ranges(&file.source, &sensitive.ranges, spans);
                (file.file.display.clone(), text, Some(sensitive))
            }
            None => (file.file.display.clone(), Arc::clone(&empty), None),
        })
        .collect();
    let by_path: HashMap<&str, &Sensitive> = shown
        .iter()
        .filter_map(|(p, _, s)| Some((p.as_str(), s.as_ref()?)))
        .collect();
    findings.par_iter_mut().for_each(|f| {
        scrub(f, by_path.get(f.path.as_str()).copied());
    });
    shown.into_iter().map(|(p, t, _)| (p, t)).collect()
}

/// Removes sensitive values from a finding's words: a value its span (or
/// its fix's) touches, as a whole word; any other value of its file where
/// a message quotes it whole (`` `v` ``, `'v'`, `"v"`); and URL credentials.
/// A fix that would rewrite sensitive text is dropped.
fn scrub(f: &mut Finding, sensitive: Option<&Sensitive>) {
    let touched = |span: Span| -> Vec<&str> {
        sensitive
            .map(|s| {
                s.touching(span)
                    .flat_map(|i| s.range_values[i].iter().map(String::as_str))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut near = touched(f.span);
    if let Some(fix) = &f.fix {
        near.extend(touched(fix.span));
    }
    let clean = |text: &mut String| {
        for v in &near {
            *text = replace_word(text, v);
        }
        if let Some(s) = sensitive {
            replace_quoted(text, s);
        }
        mask_url_credentials(text);
    };
    clean(&mut f.message);
    if let Some(h) = &mut f.help {
        clean(h);
    }
    for r in &mut f.related {
        clean(&mut r.message);
    }
    let fix_touches_secret = f
        .fix
        .as_ref()
        .is_some_and(|fix| sensitive.is_some_and(|s| s.overlaps(fix.span)));
    if fix_touches_secret {
        f.fix = None;
    }
    if let Some(fix) = &mut f.fix {
        clean(&mut fix.description);
        clean(&mut fix.replacement);
    }
}

fn overlaps(r: &Range<usize>, span: Span) -> bool {
    let (s, e) = (
        span.start.offset,
        span.end.offset.max(span.start.offset + 1),
    );
    r.start < e && s < r.end
}

/// Replaces every value of `sensitive` that `text` quotes whole (`` `v` ``,
/// `'v'`, `"v"`) with `***`: each span between two neighbouring quotes is
/// looked up in the file's values, so the cost follows the message, not the
/// number of values (a file may hold thousands, and as many findings).
fn replace_quoted(text: &mut String, sensitive: &Sensitive) {
    for q in ['`', '\'', '"'] {
        let quotes: Vec<usize> = text.match_indices(q).map(|(i, _)| i).collect();
        let mut hits: Vec<std::ops::Range<usize>> = quotes
            .windows(2)
            .map(|w| w[0] + 1..w[1])
            .filter(|r| sensitive.value_set.contains(&text[r.clone()]))
            .collect();
        // Neighbouring hits share a quote; keep the first of each overlap.
        hits.dedup_by(|b, a| b.start <= a.end + 1);
        for r in hits.into_iter().rev() {
            text.replace_range(r, "***");
        }
        // A value holding this quote character spans several quotes.
        for v in sensitive.with_quotes.iter().filter(|v| v.contains(q)) {
            let whole = format!("{q}{v}{q}");
            if text.contains(&whole) {
                *text = text.replace(&whole, &format!("{q}***{q}"));
            }
        }
    }
}

/// `text` with every whole-word occurrence of `word` replaced by `***`.
fn replace_word(text: &str, word: &str) -> String {
    if word.is_empty() || !text.contains(word) {
        return text.to_string();
    }
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(word) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + word.len()..].chars().next();
        out.push_str(&rest[..i]);
        if is_word(before) || is_word(after) {
            out.push_str(word);
        } else {
            out.push_str("***");
        }
        rest = &rest[i + word.len()..];
    }
    out.push_str(rest);
    out
}

/// Overwrites URL user-info in a message with `***`.
fn mask_url_credentials(text: &mut String) {
    let mut ranges = Vec::new();
    url_userinfo(text, 0, &mut ranges);
    for r in ranges.into_iter().rev() {
        text.replace_range(r, "***");
    }
}

/// Every sensitive range and value of `file`.
pub fn sensitive(file: &ParsedFile, keys: &SecretKeys) -> Sensitive {
    let text = file.source.text.as_str();
    let mut out = Sensitive::default();
    for doc in &file.stream.docs {
        structural(doc, text, keys, &mut out);
    }
    for err in &file.stream.errors {
        let end = err.resume.unwrap_or(text.len()).min(text.len());
        let start = err.doc_start.min(end);
        broken_document(text, start..end, keys, &mut out);
    }
    let mut ranges = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.contains("://") {
            url_userinfo(line, offset, &mut ranges);
        }
        offset += line.len();
    }
    // Messages lose URL credentials by the same scan
    // (`mask_url_credentials`), not by word: a user name may also be an
    // organisation further along the URL.
    for r in ranges {
        out.add_all(r, []);
    }
    out.index();
    out
}

/// Sensitive scalars of a parsed document: Secret data wherever a Secret
/// is, values of secret-like keys, URLs whose credentials cannot be cut out
/// of the source text exactly.
fn structural(doc: &Document, text: &str, keys: &SecretKeys, out: &mut Sensitive) {
    for (id, node) in doc.nodes.iter().enumerate() {
        let here = NodeRef {
            doc,
            id: id as crate::yaml::NodeId,
        };
        match &node.kind {
            NodeKind::Map(_) => {
                let is_secret = here
                    .get("kind")
                    .and_then(|k| k.as_str())
                    .is_some_and(|k| k == "Secret");
                for (k, v) in here.entries() {
                    let Some(key) = k.as_str() else { continue };
                    if is_secret && (key == "data" || key == "stringData") {
                        values_under(v, text, key == "data", out, 0);
                    } else if keys.matches(key) && !v.is_map() {
                        // A mapping under such a key is configuration
                        // (`privateKey: {algorithm: RSA}`); its own keys
                        // are judged by name.
                        values_under(v, text, false, out, 0);
                    }
                }
            }
            NodeKind::Scalar(s) if s.value.contains("://") && s.value.contains('@') => {
                let mut found = Vec::new();
                url_userinfo(&s.value, 0, &mut found);
                let span = node.span();
                let raw = text.get(span.start.offset..span.end.offset).unwrap_or("");
                if !found.is_empty() && (raw != s.value.as_str() || raw.contains('\n')) {
                    // Escaped or folded: the source text does not hold the
                    // credentials as written; hide the whole scalar.
                    let forms: Vec<String> =
                        found.into_iter().map(|r| s.value[r].to_string()).collect();
                    out.add_all(span.start.offset..span.end.offset, forms);
                }
            }
            _ => {}
        }
    }
}

/// Every scalar value under `node`, aliases and merges followed to the text
/// that defines them. Booleans and nulls reveal nothing and stay.
fn values_under(node: NodeRef<'_>, text: &str, base64: bool, out: &mut Sensitive, depth: u32) {
    if depth > 64 {
        return;
    }
    let target = match node.doc.node(node.id).kind {
        NodeKind::Alias(t) => NodeRef {
            doc: node.doc,
            id: t,
        },
        _ => node,
    };
    match &target.doc.node(target.id).kind {
        NodeKind::Scalar(s) => {
            let plain_literal = s.style == ScalarStyle::Plain
                && (crate::yaml::scalar::is_null(&s.value)
                    || matches!(s.value.as_str(), "true" | "false" | "True" | "False"));
            if plain_literal {
                return;
            }
            let span = target.span();
            let raw = text.get(span.start.offset..span.end.offset).unwrap_or("");
            let mut forms = vec![s.value.to_string(), raw.to_string()];
            if base64 {
                forms.extend(decode_base64(&s.value));
            }
            out.add_all(span.start.offset..span.end.offset, forms);
        }
        NodeKind::Map(_) => {
            for (_, v) in target.entries() {
                values_under(v, text, base64, out, depth + 1);
            }
        }
        NodeKind::Seq(_) => {
            for item in target.items() {
                values_under(item, text, base64, out, depth + 1);
            }
        }
        NodeKind::Alias(_) => {}
    }
}

/// A document the parser gave up on: its structure is lost, so its text is
/// read line by line. A Secret's values are hidden from its first
/// `data`/`stringData` key (or, without one, its first line) to the end of
/// the document; elsewhere, the values of secret-like keys.
fn broken_document(text: &str, region: Range<usize>, keys: &SecretKeys, out: &mut Sensitive) {
    let body = &text[region.clone()];
    let is_secret = body.lines().any(|l| {
        let l = l
            .trim_start()
            .trim_start_matches(['-', ' ', '{'])
            .trim_start();
        l.strip_prefix("kind")
            .map(|r| r.trim_start_matches(['"', '\'']).trim_start())
            .and_then(|r| r.strip_prefix(':'))
            .map(|r| r.trim_start().trim_start_matches(['"', '\'']))
            .is_some_and(|r| {
                r.starts_with("Secret") && !r[6..].starts_with(|c: char| c.is_alphanumeric())
            })
    }) || body.contains("\"kind\":\"Secret\"")
        || body.contains("\"kind\": \"Secret\"");
    let data_start = body
        .lines()
        .scan(0usize, |off, l| {
            let at = *off;
            *off += l.len() + 1;
            Some((at, l))
        })
        .find(|(_, l)| {
            let k = key_of(l).unwrap_or("");
            k == "data" || k == "stringData"
        })
        .map(|(at, _)| at);
    let mask_all_from = if is_secret {
        Some(region.start + data_start.unwrap_or(0))
    } else {
        None
    };
    let mut offset = region.start;
    // Indentation of a secret-like key whose value may continue below it.
    let mut secret_block: Option<usize> = None;
    for line in body.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let indent = content.len() - content.trim_start().len();
        let blank = content.trim().is_empty();
        if let Some(ind) = secret_block {
            if blank || indent > ind {
                mask_line_value(content, offset, None, out);
                offset += line.len();
                continue;
            }
            secret_block = None;
        }
        let key = key_of(content);
        if mask_all_from.is_some_and(|from| offset >= from) {
            mask_line_value(content, offset, key, out);
        } else if let Some(k) = key.filter(|k| keys.matches(k)) {
            mask_line_value(content, offset, Some(k), out);
            secret_block = Some(indent);
        }
        offset += line.len();
    }
}

/// The key a line starts with (`  - password: x` → `password`), if any.
fn key_of(line: &str) -> Option<&str> {
    let l = line.trim_start();
    let l = l.strip_prefix("- ").unwrap_or(l).trim_start();
    let l = l.strip_prefix("? ").unwrap_or(l).trim_start();
    let end = l.find(':')?;
    let key = l[..end].trim().trim_matches(['"', '\'']);
    let after = &l[end + 1..];
    let well_formed = !key.is_empty()
        && !key.contains(' ')
        && (after.is_empty() || after.starts_with([' ', '\t']));
    well_formed.then_some(key)
}

/// Masks a line's value: after `key:` when the line starts with a key, else
/// everything but the indentation and a leading `- `.
fn mask_line_value(line: &str, offset: usize, key: Option<&str>, out: &mut Sensitive) {
    let indent = line.len() - line.trim_start().len();
    let start = match key.and_then(|_| line.find(':')) {
        Some(colon) => colon + 1,
        None => {
            let rest = &line[indent..];
            indent + if rest.starts_with("- ") { 2 } else { 0 }
        }
    };
    let value = &line[start..];
    let lead = value.len() - value.trim_start().len();
    let start = start + lead;
    if start < line.len() {
        out.add(offset + start..offset + line.len(), &line[start..]);
    }
}

/// The user-info ranges of every URL in `text` (offsets plus `base`).
///
/// A URL runs from its scheme to the end of the line, a quote, or the next
/// URL. Its user-info ends at the last `@` of the authority; when a password
/// holds a `/` or a space (so the authority seems to end early), at the
/// last `@` of the URL, if a `:` precedes it and a host follows.
fn url_userinfo(text: &str, base: usize, out: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find("://").map(|i| i + from) {
        from = i + 3;
        let has_scheme = i > 0 && bytes[i - 1].is_ascii_alphanumeric();
        if !has_scheme {
            continue;
        }
        let rest = &text[i + 3..];
        let mut end = rest
            .find(['\n', '\r', '"', '\'', '`', '<', '>'])
            .unwrap_or(rest.len());
        if let Some(next) = rest[..end].find("://") {
            // Back up over the next URL's scheme.
            let scheme = rest[..next]
                .bytes()
                .rev()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
                .count();
            end = next - scheme;
        }
        let url = &rest[..end];
        let authority = url.find(['/', '?', '#', ' ', '\t']).unwrap_or(url.len());
        let at = url[..authority].rfind('@').or_else(|| {
            let at = url.rfind('@')?;
            let host_follows = url[at + 1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '[');
            (host_follows && url[..at].contains(':')).then_some(at)
        });
        let scheme_start = text[..i]
            .bytes()
            .rev()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
            .count();
        let scheme = &text[i - scheme_start..i];
        if let Some(at) = at.filter(|&a| a > 0) {
            // `ssh://git@host` names a user, not a credential.
            let user_only = !url[..at].contains(':');
            if !(user_only && scheme.to_ascii_lowercase().ends_with("ssh")) {
                let start = base + i + 3;
                out.push(start..start + at);
            }
        }
    }
}

/// Standard or URL-safe base64 (padding optional) decoded to UTF-8 text.
fn decode_base64(s: &str) -> Option<String> {
    let mut bits: u32 = 0;
    let mut n = 0;
    let mut bytes = Vec::with_capacity(s.len() * 3 / 4);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            bytes.push((bits >> n) as u8);
        }
    }
    String::from_utf8(bytes)
        .ok()
        .filter(|d| !d.trim().is_empty())
}

/// `source` with `spans` overwritten by `*` (line breaks kept).
#[cfg(test)]
pub fn mask(source: &Arc<SourceText>, spans: &[Span]) -> Arc<SourceText> {
    mask_ranges(source, &[], spans)
}

fn mask_ranges(
    source: &Arc<SourceText>,
    ranges: &[Range<usize>],
    spans: &[Span],
) -> Arc<SourceText> {
    if ranges.is_empty() && spans.is_empty() {
        return source.clone();
    }
    let mut bytes = source.text.as_bytes().to_vec();
    let all = ranges
        .iter()
        .cloned()
        .chain(spans.iter().map(|s| s.start.offset..s.end.offset));
    for r in all {
        let end = r.end.min(bytes.len());
        let start = r.start.min(end);
        for b in &mut bytes[start..end] {
            if *b != b'\n' && *b != b'\r' {
                *b = b'*';
            }
        }
    }
    // Ranges start and end on character boundaries, so every multi-byte
    // character is replaced whole and the text stays valid UTF-8.
    SourceText::new(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::ids::FileId;
    use crate::engine::testing::workspace;

    fn masked(text: &str) -> String {
        let ws = workspace(&[("f.yaml", text)], "");
        let file = &ws.files[FileId::new(0)];
        let s = sensitive(file, &SecretKeys::default());
        mask_ranges(&file.source, &s.ranges, &[]).text.clone()
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
    }

    #[test]
    fn leaves_other_documents_alone() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: visible\n  enabled: true\n  secretRef: name\n";
        assert_eq!(masked(text), text);
    }

    #[test]
    fn secrets_in_lists_and_values_files() {
        let out = masked("kind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    data:\n      a: aGlkZGVu\nextraObjects:\n  - kind: Secret\n    stringData: {b: deep}\n");
        assert!(!out.contains("aGlkZGVu") && !out.contains("deep"), "{out}");
    }

    #[test]
    fn aliases_and_merges_mask_their_anchors() {
        let out = masked("kind: Secret\nmetadata:\n  annotations: &base\n    x: anchored1\n  labels:\n    y: &one anchored2\nstringData:\n  <<: *base\n  z: *one\n  ? explicit\n  : anchored3\n");
        for v in ["anchored1", "anchored2", "anchored3"] {
            assert!(!out.contains(v), "{v}: {out}");
        }
    }

    #[test]
    fn secret_like_keys_anywhere() {
        let out = masked("values:\n  db:\n    password: pw1\n    connectionString: \"Server=x;Password=pw2\"\n  AZURE_CLIENT_SECRET: pw3\n  apiKey:\n    - pw4\n  enabled: true\n  secretRef: {name: keep}\n");
        for v in ["pw1", "pw2", "pw3", "pw4"] {
            assert!(!out.contains(v), "{v}: {out}");
        }
        assert!(
            out.contains("keep") && out.contains("enabled: true"),
            "{out}"
        );
    }

    #[test]
    fn url_credentials_in_every_form() {
        let out = masked(concat!(
            "# clone https://ci:cm1@dev.azure.com/o/_git/r\n",
            "a: https://x.example.com/p https://bot:two2@h.example.com/r\n",
            "b: https://u:sl/sh3@h.example.com/r\n",
            "c: https://u:sp ace4@h.example.com/r\n",
            "d: \"https://u:esc5\\x40h.example.com/r\"\n",
            "e: https://u:fold6\n  @h.example.com/r\n",
        ));
        for v in ["cm1", "two2", "sl/sh3", "ace4", "esc5", "fold6"] {
            assert!(!out.contains(v), "{v}: {out}");
        }
        assert!(out.contains("https://x.example.com/p"), "{out}");
    }

    #[test]
    fn broken_secret_documents_are_masked_to_their_end() {
        let out = masked("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: b1: oops\n  later: b2\n---\nkind: ConfigMap\ndata: {shown: yes}\n");
        assert!(!out.contains("b1") && !out.contains("b2"), "{out}");
        assert!(out.contains("password: ") && out.contains("shown"), "{out}");
        let out = masked("kind: Secret\nstringData:\n  token: \"q1\n  x: q2\n");
        assert!(!out.contains("q1") && !out.contains("q2"), "{out}");
        let out = masked("a: [\nkind: ConfigMap\n  password: t1\n    more: t2\nz: 1\n");
        assert!(!out.contains("t1") && !out.contains("t2"), "{out}");
    }

    #[test]
    fn messages_never_quote_masked_values() {
        let ws = workspace(
            &[(
                "f.yaml",
                "kind: Secret\nstringData:\n  flag: yes\n  pw: longvalue\n",
            )],
            "",
        );
        let file = &ws.files[FileId::new(0)];
        let flag = file.stream.docs[0]
            .root()
            .path(&["stringData", "flag"])
            .unwrap()
            .span();
        let mut f = Finding::new(
            "x",
            "f.yaml",
            flag,
            "`yes` is a boolean; `longvalue` too, but not longvalues, https://a:b@c.example.com",
        )
        .with_fix(crate::base::finding::Fix {
            description: "replace `yes`".into(),
            span: flag,
            replacement: "true".into(),
            applicability: crate::base::finding::Applicability::Safe,
        });
        let mut findings = vec![f.clone()];
        let _ = shown_sources(
            std::slice::from_ref(file),
            &mut findings,
            &SecretKeys::default(),
        );
        f = findings.remove(0);
        assert_eq!(
            f.message,
            "`***` is a boolean; `***` too, but not longvalues, https://***@c.example.com"
        );
        assert!(f.fix.is_none());
    }

    #[test]
    fn configuration_is_not_a_secret() {
        let text = "spec:\n  privateKey: {algorithm: RSA, size: 2048}\n  url: ssh://git@ssh.dev.azure.com/v3/o/p/r\n  other: https://TOKEN1@github.com/o/r\n";
        let out = masked(text);
        assert!(
            out.contains("algorithm: RSA") && out.contains("ssh://git@ssh"),
            "{out}"
        );
        assert!(!out.contains("TOKEN1"), "{out}");
    }

    #[test]
    fn secret_key_names() {
        let keys = SecretKeys::with_extra(&["sasSignature".into()]);
        for k in [
            "password",
            "dbPassword",
            "AZURE_CLIENT_SECRET",
            "github-token",
            "apiKey",
            "x.sas_signature",
        ] {
            assert!(keys.matches(k), "{k}");
        }
        for k in ["secretRef", "secretName", "tokenFile", "pass", "", "word"] {
            assert!(!keys.matches(k), "{k}");
        }
    }

    #[test]
    fn ranges_touching_a_span_are_found_through_the_index() {
        let mut s = Sensitive::default();
        s.add(0..100, "long");
        s.add(10..12, "a");
        s.add(50..60, "b");
        s.add(200..210, "c");
        s.index();
        let at = |start: usize, end: usize| {
            let p = |offset| crate::base::source::Pos {
                line: 1,
                col: 1,
                offset,
            };
            let mut hit: Vec<usize> = s.touching(Span::new(p(start), p(end))).collect();
            hit.sort();
            hit
        };
        assert_eq!(at(55, 56), [0, 2]);
        assert_eq!(at(11, 11), [0, 1]);
        assert_eq!(at(150, 160), Vec::<usize>::new());
        assert_eq!(at(205, 300), [3]);
    }

    #[test]
    fn base64_decodes() {
        assert_eq!(decode_base64("aHVudGVyMg==").as_deref(), Some("hunter2"));
        assert_eq!(decode_base64("not base64!"), None);
    }
}
