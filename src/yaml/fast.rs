//! A fast path for the block-style YAML that manifests are written in.
//!
//! Nearly every file in a GitOps repository uses a small part of YAML:
//! block mappings and sequences indented with spaces, one-line plain and
//! quoted scalars, literal and folded block scalars, comments, `---`
//! between documents, and the odd one-line flow collection. This scanner
//! reads that part line by line and feeds the loader the very events, with
//! the very positions, that `saphyr-parser` would: the trees are the same
//! (`tests/it/yaml_fast_path.rs` and the `yaml` fuzz property hold it to
//! that). Anything else — anchors, aliases, tags, multi-line flow or
//! quoted scalars, escapes, directives, errors of any kind — makes it
//! decline the document it is in, and the full parser reads the file from
//! that document on; tabs, lone CRs and control characters anywhere make
//! it decline the whole file. It never reports an error itself.
//!
//! Why: the event parser is general (it tracks simple-key candidates, flow
//! levels and token queues for every character), and building the tree
//! from its events ran at 40 MB/s on our corpus; this path, for the
//! subset, runs at about three times that (`examples/yaml_layer.rs`).

use std::borrow::Cow;

use saphyr_parser::{Event, ScalarStyle as Style};

use super::{Base, Document, Loader};
use crate::base::source::{LineIndex, Pos, Span};

/// Deeper block nesting than this is left to the full parser (the
/// scanner recurses once per level).
const MAX_FAST_DEPTH: usize = 64;
/// Entries of one flow collection read here; longer ones go to the full
/// parser, which bounds them ([`super::flow`]).
const MAX_FLOW_ENTRIES: usize = 1000;
/// `saphyr-parser` limits an implicit key to 1024 characters.
const MAX_KEY_BYTES: usize = 1024;

/// Why the fast path gave a document up (the reason is not kept: the full
/// parser reads it again and reports what is wrong, if anything).
struct Decline;

type R<T> = Result<T, Decline>;

/// What the fast path read of a file.
#[derive(Debug)]
pub struct Read {
    /// The documents it read, in order.
    pub docs: Vec<Document>,
    /// Where the full parser must take over (the start of the line that
    /// begins the first document not read), or `None` when every document
    /// was read.
    pub rest: Option<usize>,
}

/// Reads the documents of `text` while they are in the subset this path
/// knows; stops at the first document that is not, and says where it
/// starts. Reports nothing: the full parser reads the rest, and reports
/// what is wrong there, if anything.
pub fn parse(text: &str, lines: &LineIndex) -> Read {
    let nothing = Read {
        docs: Vec::new(),
        rest: Some(0),
    };
    let Some(ascii) = eligible(text) else {
        return nothing;
    };
    // Without a final line feed, the parser's end moves with what the last
    // line holds: only a last line that ends a value (not spaces, a
    // comment, or an indicator that wants more) is taken here.
    if !text.is_empty() && !text.ends_with('\n') {
        let tail = text[text.rfind('\n').map_or(0, |i| i + 1)..].trim_start_matches(' ');
        let ends_value = tail.bytes().last().is_some_and(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'"' | b'\'' | b']' | b'}' | b'.' | b'/' | b'_')
        });
        if !ends_value || tail.starts_with('#') {
            return nothing;
        }
    }
    // Without a final line feed, the end is on a line of its own after
    // the last, as the parser counts it.
    let last = lines.line_count() + usize::from(!text.ends_with('\n'));
    let mut scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        lines,
        last: last as u32,
        ascii,
        last_col: std::cell::Cell::new((0, 0, 0)),
        document: 0,
        loader: Loader::new(text, lines, Base { line: 0, offset: 0 }, 0),
    };
    let rest = scanner.stream().err().map(|Decline| scanner.document);
    Read {
        docs: scanner.loader.docs,
        rest,
    }
}

/// Whether `text` can be read here at all, and if so whether it is ASCII:
/// it must hold no tab, lone CR, BOM, control or other character whose
/// handling the full parser decides (CR LF line breaks are read).
fn eligible(text: &str) -> Option<bool> {
    let bytes = text.as_bytes();
    let mut ascii = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let line_break = b == b'\n' || (b == b'\r' && bytes.get(i + 1) == Some(&b'\n'));
        if b < 0x20 && !line_break || b == 0x7f {
            return None;
        }
        if b >= 0x80 {
            ascii = false;
            let next = bytes.get(i + 1).copied().unwrap_or(0);
            let after = bytes.get(i + 2).copied().unwrap_or(0);
            // C1 controls (U+0080–U+009F), U+2028/U+2029, U+FEFF,
            // U+FFFE/U+FFFF.
            let odd = (b == 0xc2 && next < 0xa0)
                || (b == 0xe2 && next == 0x80 && (after == 0xa8 || after == 0xa9))
                || (b == 0xef && next == 0xbb && after == 0xbf)
                || (b == 0xef && next == 0xbf && after >= 0xbe);
            if odd {
                return None;
            }
        }
        i += 1;
    }
    Some(ascii)
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    lines: &'a LineIndex,
    /// The line of the end: the empty one after the final line feed, or
    /// the one after the last line if there is none.
    last: u32,
    ascii: bool,
    /// The line, byte offset and column of the last position computed.
    last_col: std::cell::Cell<(u32, usize, usize)>,
    /// Where the document being read starts: its `---` line, or the start
    /// of the text for the first one.
    document: usize,
    loader: Loader<'a>,
}

/// What a line holding a mapping key says about it.
struct Key<'a> {
    value: Cow<'a, str>,
    style: Style,
    /// Byte offsets of the key's first character and one past its last
    /// (the `:`, which follows it directly).
    start: usize,
    end: usize,
}

impl<'a> Scanner<'a> {
    // ----- lines -------------------------------------------------------

    fn start(&self, line: u32) -> usize {
        if line as usize > self.lines.line_count() {
            self.text.len()
        } else {
            self.lines.line_start(line)
        }
    }

    /// One past the line's last byte (its line break's offset: the CR of
    /// a CR LF).
    fn end(&self, line: u32) -> usize {
        if (line as usize) < self.lines.line_count() {
            let lf = self.lines.line_start(line + 1) - 1;
            lf - usize::from(lf > 0 && self.bytes[lf - 1] == b'\r')
        } else {
            self.text.len()
        }
    }

    /// Leading spaces of the line.
    fn indent(&self, line: u32) -> usize {
        let (s, e) = (self.start(line), self.end(line));
        self.bytes[s..e].iter().take_while(|&&b| b == b' ').count()
    }

    /// The byte at `at`; a line feed past the end (a text may lack its
    /// final one).
    fn byte(&self, at: usize) -> u8 {
        self.bytes.get(at).copied().unwrap_or(b'\n')
    }

    fn is_blank(&self, line: u32) -> bool {
        let (s, e) = (self.start(line), self.end(line));
        self.bytes[s..e].iter().all(|&b| b == b' ')
    }

    /// The first line from `line` on that is neither blank nor a comment
    /// (or the last line, the end).
    fn next_content(&self, mut line: u32) -> u32 {
        while line < self.last {
            let s = self.start(line) + self.indent(line);
            if s < self.end(line) && self.byte(s) != b'#' {
                return line;
            }
            line += 1;
        }
        self.last
    }

    /// A `---` line: `Some(true)`; `...`, a directive, or content after
    /// `---`: declined; anything else: `Some(false)`.
    fn is_marker(&self, line: u32) -> R<bool> {
        if line >= self.last {
            return Ok(false);
        }
        let rest = &self.bytes[self.start(line)..self.end(line)];
        if rest.first() == Some(&b'%') || rest.starts_with(b"...") {
            return Err(Decline);
        }
        if !rest.starts_with(b"---") {
            return Ok(false);
        }
        match rest.get(3) {
            None => Ok(true),
            Some(b' ') => {
                let after = rest[3..].iter().position(|&b| b != b' ');
                match after.map(|i| rest[3 + i]) {
                    None | Some(b'#') => Ok(true),
                    Some(_) => Err(Decline),
                }
            }
            Some(_) => Ok(false),
        }
    }

    /// Whether `line` ends every open block: the end, or a `---`.
    fn ends_document(&self, line: u32) -> R<bool> {
        Ok(line >= self.last || self.is_marker(line)?)
    }

    // ----- positions ---------------------------------------------------

    fn pos(&self, line: u32, offset: usize) -> Pos {
        let start = self.start(line);
        let col = if self.ascii {
            offset - start
        } else {
            // Counted on from the last position asked for on the same
            // line: a long line of many values costs one pass, not one
            // per value.
            let (l, o, c) = self.last_col.get();
            let (from, base) = if l == line && o <= offset {
                (o, c)
            } else {
                (start, 0)
            };
            let col = base + self.text[from..offset].chars().count();
            self.last_col.set((line, offset, col));
            col
        };
        Pos {
            line,
            col: col as u32 + 1,
            offset,
        }
    }

    fn point(&self, line: u32, offset: usize) -> Span {
        Span::point(self.pos(line, offset))
    }

    /// The position of the first character of `line` (the end: its start).
    fn first_char(&self, line: u32) -> Span {
        let off = if line >= self.last {
            self.text.len()
        } else {
            self.start(line) + self.indent(line)
        };
        self.point(line, off)
    }

    fn marker_span(&self, line: u32) -> Span {
        let s = self.start(line);
        Span::new(self.pos(line, s), self.pos(line, s + 3))
    }

    fn emit(&mut self, event: Event<'a>, span: Span) -> R<()> {
        self.loader.event(event, span).map_err(|_| Decline)
    }

    fn scalar(&mut self, value: Cow<'a, str>, style: Style, span: Span) -> R<()> {
        self.emit(Event::Scalar(value, style, 0, None), span)
    }

    fn null(&mut self, span: Span) -> R<()> {
        self.scalar(Cow::Borrowed(""), Style::Plain, span)
    }

    // ----- documents ---------------------------------------------------

    fn stream(&mut self) -> R<()> {
        let first = self.next_content(1);
        if first >= self.last {
            return Ok(()); // empty, or comments only: no document
        }
        let mut explicit = self.is_marker(first)?.then_some(first);
        let mut content = first;
        loop {
            if let Some(marker) = explicit {
                self.document = self.start(marker);
                self.emit(Event::DocumentStart(true), self.marker_span(marker))?;
                content = self.next_content(marker + 1);
            } else {
                self.emit(Event::DocumentStart(false), self.first_char(content))?;
            }
            // An explicit document with nothing in it holds a null, placed
            // (as the parser places it) at the next marker or the end.
            if self.ends_document(content)? {
                let span = self.end_span(content);
                self.null(span)?;
                self.emit(Event::DocumentEnd, span)?;
                if content >= self.last {
                    return Ok(());
                }
                explicit = Some(content);
                continue;
            }
            if self.indent(content) > 0 {
                return Err(Decline);
            }
            let next = self.block_node(content, -1, 0)?;
            if !self.ends_document(next)? {
                return Err(Decline);
            }
            self.emit(Event::DocumentEnd, self.end_span(next))?;
            if next >= self.last {
                return Ok(());
            }
            explicit = Some(next);
        }
    }

    /// Where a document that ends at `line` (a marker, or the end) ends.
    fn end_span(&self, line: u32) -> Span {
        if line >= self.last {
            self.point(line, self.text.len())
        } else {
            self.marker_span(line)
        }
    }

    // ----- block collections ------------------------------------------

    /// A block mapping or sequence starting on content `line`, indented
    /// more than `parent`; returns the first content line after it.
    fn block_node(&mut self, line: u32, parent: isize, depth: usize) -> R<u32> {
        if depth >= MAX_FAST_DEPTH {
            return Err(Decline);
        }
        let indent = self.indent(line);
        if indent as isize <= parent {
            return Err(Decline);
        }
        let at = self.start(line) + indent;
        if self.is_dash(at) {
            self.block_seq(line, indent, false, depth)
        } else {
            self.block_map(line, at, indent, depth)
        }
    }

    /// A `-` entry indicator at `at`: followed by a space or the line end.
    fn is_dash(&self, at: usize) -> bool {
        self.byte(at) == b'-' && matches!(self.bytes.get(at + 1), Some(b' ' | b'\n' | b'\r'))
    }

    /// The first non-space offset from `at` on its line.
    fn skip_spaces(&self, mut at: usize) -> usize {
        while self.bytes.get(at) == Some(&b' ') {
            at += 1;
        }
        at
    }

    /// A block mapping whose first key starts at byte `at` of `line`, in
    /// column `indent` (0-based).
    fn block_map(&mut self, mut line: u32, mut at: usize, indent: usize, depth: usize) -> R<u32> {
        self.emit(Event::MappingStart(0, None), self.point(line, at))?;
        loop {
            let key = self.key(line, at).ok_or(Decline)?;
            let span = Span::new(self.pos(line, key.start), self.pos(line, key.end));
            self.scalar(key.value, key.style, span)?;
            let rest = self.skip_spaces(key.end + 1);
            let null_at = self.point(line, key.end);
            let next = self.value(line, rest, indent, null_at, true, depth)?;
            if self.ends_document(next)? || self.indent(next) < indent {
                self.emit(Event::MappingEnd, self.first_char(next))?;
                return Ok(next);
            }
            if self.indent(next) > indent {
                return Err(Decline);
            }
            line = next;
            at = self.start(line) + indent;
        }
    }

    /// A block sequence whose `-` indicators are in column `indent` of
    /// `line` and the lines after; `indentless` when it is a mapping's
    /// value written at the mapping's own indentation.
    fn block_seq(
        &mut self,
        mut line: u32,
        indent: usize,
        indentless: bool,
        depth: usize,
    ) -> R<u32> {
        let dash = self.start(line) + indent;
        let content = self.skip_spaces(dash + 1);
        // The parser places a sequence's start at its first `-`; an
        // indentless one's at its first entry's content.
        let start = if indentless {
            if content >= self.end(line) || self.byte(content) == b'#' {
                return Err(Decline);
            }
            content
        } else {
            dash
        };
        self.emit(Event::SequenceStart(0, None), self.point(line, start))?;
        loop {
            let dash = self.start(line) + indent;
            let content = self.skip_spaces(dash + 1);
            // An empty entry is placed at its line's end (past a comment).
            let null_at = self.point(line, self.end(line));
            let on_line = content < self.end(line) && self.byte(content) != b'#';
            if on_line && self.is_dash(content) {
                return Err(Decline); // `- - x`
            }
            let next = if on_line && self.key(line, content).is_some() {
                let col = content - self.start(line);
                self.block_map(line, content, col, depth + 1)?
            } else {
                self.value(line, content, indent, null_at, false, depth)?
            };
            let end = self.ends_document(next)?;
            if end || self.indent(next) < indent {
                self.emit(Event::SequenceEnd, self.first_char(next))?;
                return Ok(next);
            }
            if self.indent(next) > indent {
                return Err(Decline);
            }
            if !self.is_dash(self.start(next) + indent) {
                if indentless {
                    self.emit(Event::SequenceEnd, self.first_char(next))?;
                    return Ok(next);
                }
                return Err(Decline);
            }
            line = next;
        }
    }

    /// The mapping key that starts at byte `at` of `line`, if the line
    /// holds one there (`key:` followed by a space or the line end).
    fn key(&self, line: u32, at: usize) -> Option<Key<'a>> {
        let end = self.end(line);
        let bytes = &self.bytes[..end];
        let (value, style, key_end) = match bytes[at] {
            b'"' | b'\'' => self.quoted(at, end)?,
            _ => {
                if starts_badly(bytes, at) {
                    return None;
                }
                let mut i = at;
                loop {
                    match bytes.get(i) {
                        None => return None,
                        Some(b':') if matches!(bytes.get(i + 1), None | Some(b' ')) => break,
                        Some(b'#') if bytes[i - 1] == b' ' => return None,
                        _ => i += 1,
                    }
                }
                if bytes[i - 1] == b' ' {
                    return None; // `key :`: left to the parser
                }
                (Cow::Borrowed(&self.text[at..i]), Style::Plain, i)
            }
        };
        if bytes.get(key_end) != Some(&b':')
            || !matches!(bytes.get(key_end + 1), None | Some(b' '))
            || key_end - at > MAX_KEY_BYTES
        {
            return None;
        }
        Some(Key {
            value,
            style,
            start: at,
            end: key_end,
        })
    }

    /// A one-line quoted scalar opening at `at`: its value, style and the
    /// offset one past its closing quote. Escapes and line breaks decline.
    fn quoted(&self, at: usize, end: usize) -> Option<(Cow<'a, str>, Style, usize)> {
        let bytes = &self.bytes[..end];
        if bytes[at] == b'"' {
            let close = at + 1 + bytes[at + 1..].iter().position(|&b| b == b'"')?;
            if bytes[at + 1..close].contains(&b'\\') {
                return None;
            }
            return Some((
                Cow::Borrowed(&self.text[at + 1..close]),
                Style::DoubleQuoted,
                close + 1,
            ));
        }
        let mut i = at + 1;
        let mut doubled = false;
        loop {
            match bytes.get(i) {
                None => return None,
                Some(b'\'') if bytes.get(i + 1) == Some(&b'\'') => {
                    doubled = true;
                    i += 2;
                }
                Some(b'\'') => break,
                _ => i += 1,
            }
        }
        let inner = &self.text[at + 1..i];
        let value = if doubled {
            Cow::Owned(inner.replace("''", "'"))
        } else {
            Cow::Borrowed(inner)
        };
        Some((value, Style::SingleQuoted, i + 1))
    }

    // ----- values ------------------------------------------------------

    /// The value that starts at byte `at` of `line` (after a key's `:` or
    /// an entry's `-`), in a collection indented `indent`; `null_at` is
    /// where the parser places an empty value. Returns the first content
    /// line after the value.
    fn value(
        &mut self,
        line: u32,
        at: usize,
        indent: usize,
        null_at: Span,
        in_map: bool,
        depth: usize,
    ) -> R<u32> {
        let end = self.end(line);
        if at >= end || self.byte(at) == b'#' {
            let next = self.next_content(line + 1);
            if !self.ends_document(next)? {
                let next_indent = self.indent(next);
                if next_indent > indent {
                    return self.block_node(next, indent as isize, depth + 1);
                }
                if in_map && next_indent == indent && self.is_dash(self.start(next) + indent) {
                    return self.block_seq(next, indent, true, depth + 1);
                }
            }
            self.null(null_at)?;
            return Ok(next);
        }
        let after = match self.byte(at) {
            b'|' | b'>' => return self.block_scalar(line, at, indent),
            b'"' | b'\'' => {
                let (value, style, close) = self.quoted(at, end).ok_or(Decline)?;
                let span = Span::new(
                    self.pos(line, at),
                    self.pos(line, self.key_lookahead(close, end)),
                );
                self.scalar(value, style, span)?;
                close
            }
            b'[' | b'{' => self.flow(line, at, end)?,
            _ => {
                let stop = self.plain_end(at, end)?;
                let span = Span::new(self.pos(line, at), self.pos(line, stop));
                self.scalar(Cow::Borrowed(&self.text[at..stop]), Style::Plain, span)?;
                stop
            }
        };
        // Only spaces and a comment may follow on the line; a more
        // indented line next would continue (or break) the value.
        let rest = self.skip_spaces(after);
        if rest < end && (self.byte(rest) != b'#' || rest == after) {
            return Err(Decline);
        }
        let next = self.next_content(line + 1);
        if !self.ends_document(next)? && self.indent(next) > indent {
            return Err(Decline);
        }
        Ok(next)
    }

    /// Where the parser ends a quoted scalar or a flow collection that
    /// closes at `after` on a line ending at `end`: where it stopped
    /// looking for a `:` that would make it a key — past spaces, and past
    /// a comment.
    fn key_lookahead(&self, after: usize, end: usize) -> usize {
        let stop = self.skip_spaces(after);
        if stop > after && stop < end && self.byte(stop) == b'#' {
            end
        } else {
            stop
        }
    }

    /// One past the last character of the one-line plain scalar at `at`.
    fn plain_end(&self, at: usize, end: usize) -> R<usize> {
        if starts_badly(self.bytes, at) {
            return Err(Decline);
        }
        let mut i = at;
        let mut last = at;
        while i < end {
            match self.byte(i) {
                b' ' if self.bytes.get(i + 1) == Some(&b'#') => break,
                b':' if matches!(self.byte(i + 1), b' ' | b'\n' | b'\r') => return Err(Decline),
                b' ' => {}
                _ => last = i + 1,
            }
            i += 1;
        }
        Ok(last)
    }

    /// A one-line flow sequence or mapping of scalars; returns the offset
    /// after its closing bracket.
    fn flow(&mut self, line: u32, at: usize, end: usize) -> R<usize> {
        let map = self.byte(at) == b'{';
        let (open, close) = if map {
            (Event::MappingStart(0, None), Event::MappingEnd)
        } else {
            (Event::SequenceStart(0, None), Event::SequenceEnd)
        };
        let closing = if map { b'}' } else { b']' };
        self.emit(open, Span::new(self.pos(line, at), self.pos(line, at + 1)))?;
        let mut i = self.skip_spaces(at + 1);
        let mut entries = 0;
        if self.byte(i) != closing {
            loop {
                entries += 1;
                if entries > MAX_FLOW_ENTRIES {
                    return Err(Decline);
                }
                i = self.flow_scalar(line, i, end, closing)?;
                if map {
                    if self.byte(i) != b':' || self.byte(i + 1) != b' ' {
                        return Err(Decline);
                    }
                    i = self.flow_scalar(line, self.skip_spaces(i + 1), end, closing)?;
                }
                match self.byte(i) {
                    b',' => i = self.skip_spaces(i + 1),
                    b if b == closing => break,
                    _ => return Err(Decline),
                }
                if i >= end || self.byte(i) == closing {
                    return Err(Decline); // a trailing comma, or a line break
                }
            }
        }
        let stop = self.key_lookahead(i + 1, end);
        self.emit(close, Span::new(self.pos(line, i), self.pos(line, stop)))?;
        Ok(i + 1)
    }

    /// A plain or quoted scalar inside a one-line flow collection; returns
    /// the offset of the next non-space after it.
    fn flow_scalar(&mut self, line: u32, at: usize, end: usize, closing: u8) -> R<usize> {
        let (value, style, stop, after) = match self.byte(at) {
            b'"' | b'\'' => {
                let (value, style, close) = self.quoted(at, end).ok_or(Decline)?;
                let after = self.skip_spaces(close);
                (value, style, after, after)
            }
            _ => {
                let stop = self.flow_plain_end(at, end, closing)?;
                let value = Cow::Borrowed(&self.text[at..stop]);
                (value, Style::Plain, stop, self.skip_spaces(stop))
            }
        };
        let span = Span::new(self.pos(line, at), self.pos(line, stop));
        self.scalar(value, style, span)?;
        Ok(after)
    }

    /// One past the last character of a plain scalar inside a flow
    /// sequence (it ends at `,` or `]`; anything that would make it more
    /// than a plain word declines).
    fn flow_plain_end(&self, at: usize, end: usize, closing: u8) -> R<usize> {
        let indicator_then_flow = matches!(self.byte(at), b'-' | b'?' | b':')
            && matches!(self.byte(at + 1), b',' | b'[' | b']' | b'{' | b'}');
        if starts_badly(self.bytes, at) || indicator_then_flow {
            return Err(Decline);
        }
        let mut last = at;
        for i in at..end {
            match self.byte(i) {
                b',' => return if last > at { Ok(last) } else { Err(Decline) },
                b if b == closing => return if last > at { Ok(last) } else { Err(Decline) },
                // In a mapping, `: ` ends a key; anything else with `:` is
                // left to the parser.
                b':' if closing == b'}' && self.byte(i + 1) == b' ' && last > at => {
                    return Ok(last)
                }
                b'[' | b']' | b'{' | b'}' | b':' | b'#' | b'"' | b'\'' => return Err(Decline),
                b' ' => {}
                _ => last = i + 1,
            }
        }
        Err(Decline)
    }

    /// A literal or folded block scalar whose header is at byte `at` of
    /// `line`, the value of a node in a collection indented `indent`.
    fn block_scalar(&mut self, line: u32, at: usize, indent: usize) -> R<u32> {
        let literal = self.byte(at) == b'|';
        let mut i = at + 1;
        let chomp = match self.byte(i) {
            b'-' | b'+' => {
                i += 1;
                self.byte(i - 1)
            }
            _ => b' ',
        };
        let after = self.skip_spaces(i);
        let header_end = self.end(line);
        if after < header_end && (self.byte(after) != b'#' || after == i) {
            return Err(Decline); // an indentation indicator, or text
        }
        let first = line + 1;
        if first >= self.last || self.is_blank(first) {
            return Err(Decline);
        }
        let content_indent = self.indent(first);
        if content_indent <= indent {
            return Err(Decline); // an empty block scalar
        }
        let mut value = String::new();
        let mut blanks = 0; // blank lines since the last content line
        let mut l = first;
        while l < self.last {
            if self.is_blank(l) {
                if self.end(l) - self.start(l) > content_indent {
                    return Err(Decline);
                }
                blanks += 1;
                l += 1;
                continue;
            }
            let this_indent = self.indent(l);
            if this_indent < content_indent {
                break;
            }
            if !literal && this_indent > content_indent {
                return Err(Decline); // folding around more-indented lines
            }
            let text = &self.text[self.start(l) + content_indent..self.end(l)];
            if l > first {
                if literal {
                    value.extend(std::iter::repeat_n('\n', blanks + 1));
                } else if blanks == 0 {
                    value.push(' ');
                } else {
                    value.extend(std::iter::repeat_n('\n', blanks));
                }
            }
            value.push_str(text);
            blanks = 0;
            l += 1;
        }
        if l >= self.last && !self.text.ends_with('\n') {
            return Err(Decline); // the parser ends it on its last line
        }
        match chomp {
            b'-' => {}
            b'+' => value.extend(std::iter::repeat_n('\n', blanks + 1)),
            _ => value.push('\n'),
        }
        let style = if literal {
            Style::Literal
        } else {
            Style::Folded
        };
        let span = Span::new(
            self.pos(first, self.start(first) + content_indent),
            self.first_char(l).start,
        );
        self.scalar(Cow::Owned(value), style, span)?;
        Ok(self.next_content(l))
    }
}

/// Whether a plain scalar may not start at `at`: YAML's indicators, and
/// `-`, `?`, `:` followed by a space.
fn starts_badly(bytes: &[u8], at: usize) -> bool {
    match bytes.get(at).copied().unwrap_or(b'\n') {
        b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b'#' | b'['
        | b']' | b'{' | b'}' | b',' => true,
        b'-' | b'?' | b':' => matches!(bytes.get(at + 1), None | Some(b' ' | b'\n' | b'\r')),
        _ => false,
    }
}
