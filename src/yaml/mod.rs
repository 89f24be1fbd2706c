//! Parse YAML into span-carrying node trees.
//!
//! An iterative loader over `saphyr-parser` events (the parser itself does not
//! recurse). Untrusted input is bounded three ways: a nesting depth limit, an
//! alias expansion budget, and arena storage (no recursive drop). A syntax
//! error ends its document only: loading resumes at the next document marker,
//! so the other documents of a file are still checked.

pub mod de;
pub mod fast;
pub mod flow;
pub mod node;
pub mod scalar;
pub mod to_json;

use compact_str::CompactString;
use saphyr_parser::{Event, Marker, Parser, ScanError};

pub use node::{Document, Entry, Node, NodeId, NodeKind, NodeRef, Scalar, ScalarStyle};

use crate::base::source::{LineIndex, Pos, Span};

/// Deeper nesting than this is rejected, in block and flow style alike; no
/// Kubernetes object comes close. (`saphyr-parser` refuses a 256th flow
/// level itself, so the loader holds block collections to the same bound.)
pub const MAX_DEPTH: usize = 255;
/// Budget for the nodes a document holds once its aliases are expanded.
pub const MAX_EXPANDED_NODES: u64 = 1_000_000;

/// A YAML error at a position.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    pub pos: Pos,
    /// The document the error is in (0-based).
    pub doc_index: usize,
    /// Byte offset where that document starts.
    pub doc_start: usize,
    /// Byte offset where loading resumed after it (the next document
    /// marker), if it did.
    pub resume: Option<usize>,
}

/// The documents of a file, and the errors that ended others.
#[derive(Debug, Default)]
pub struct Stream {
    pub docs: Vec<Document>,
    pub errors: Vec<SyntaxError>,
}

/// Parses every document of `text`. Never panics; errors are collected.
/// A document holding an oversized flow collection ([`flow`]) is reported,
/// not parsed: the parser would buffer all of it first.
///
/// The block-style documents manifests are made of are read by [`fast`];
/// the full parser takes over from the first document it does not know.
pub fn parse(text: &str, lines: &LineIndex) -> Stream {
    let read = fast::parse(text, lines);
    let mut stream = Stream {
        docs: read.docs,
        errors: Vec::new(),
    };
    if let Some(rest) = read.rest {
        let doc_index = stream.docs.len();
        parse_from(text, lines, rest, doc_index, &mut stream);
    }
    stream
}

/// [`parse`] without the fast path: every document through the full parser.
pub fn parse_full(text: &str, lines: &LineIndex) -> Stream {
    let mut stream = Stream::default();
    parse_from(text, lines, 0, 0, &mut stream);
    stream
}

/// Parses the documents of `text` from byte `start` (the start of the
/// text, or of a line that starts a document), numbering them from
/// `doc_index`, into `stream`.
fn parse_from(text: &str, lines: &LineIndex, start: usize, doc_index: usize, stream: &mut Stream) {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut start = start.max(bom);
    let mut doc_index = doc_index;
    for flow_at in flow::oversized(text, flow::MAX_FLOW_ENTRIES) {
        if flow_at < start {
            continue;
        }
        let pos = lines.pos_of_offset(text, flow_at);
        let doc_begin = document_start_before(text, lines, pos.line).max(start);
        doc_index = parse_range(text, lines, start..doc_begin, doc_index, stream);
        let resume = next_document_start(text, lines, pos.line + 1);
        stream.errors.push(SyntaxError {
            message: format!(
                "a flow collection with more than {} entries; write it in block style",
                flow::MAX_FLOW_ENTRIES
            ),
            pos,
            doc_index,
            doc_start: doc_begin,
            resume,
        });
        doc_index += 1;
        match resume {
            Some(n) => start = n,
            None => return,
        }
    }
    parse_range(text, lines, start..text.len(), doc_index, stream);
}

/// Parses the documents of `text[range]` (which starts at a line start and
/// ends at a document marker or the end), numbering them from `doc_index`;
/// returns the next document's number.
fn parse_range(
    text: &str,
    lines: &LineIndex,
    range: std::ops::Range<usize>,
    mut doc_index: usize,
    stream: &mut Stream,
) -> usize {
    let mut start = range.start;
    while start < range.end {
        let base = Base::at(text, lines, start);
        let chunk = &text[start..range.end];
        let mut loader = Loader::new(text, lines, base, doc_index);
        let outcome = loader.run(Parser::new_from_str(chunk));
        doc_index = loader.doc_index;
        stream.docs.append(&mut loader.docs);
        let Err(mut err) = outcome else { break };
        if err.message.contains("recursion limit") {
            err.message = format!("nesting deeper than {MAX_DEPTH} levels");
        }
        if err.message.contains("tab") {
            err.pos = offending_tab(text, lines, err.pos);
        }
        let pos = err.pos;
        // An error before the document's start event (at its marker, say)
        // belongs to the document the last marker above it opens.
        err.doc_start = match loader.doc_start {
            Some(p) => p.offset.max(start),
            None => document_start_before(text, lines, pos.line).max(start),
        };
        doc_index += 1;
        // The error may sit on the marker of the next document itself.
        let next = next_document_start(text, lines, pos.line)
            .filter(|&n| n > start)
            .or_else(|| next_document_start(text, lines, pos.line + 1))
            .filter(|&n| n > start && n < range.end);
        err.resume = next;
        stream.errors.push(err);
        match next {
            Some(n) => start = n,
            None => break,
        }
    }
    doc_index
}

/// The byte offset of the line that starts the document holding `line`:
/// the last document marker (`---`) at or above it, or the file's start.
fn document_start_before(text: &str, lines: &LineIndex, line: u32) -> usize {
    let mut l = line;
    while l >= 1 {
        let off = lines.line_start(l);
        let rest = &text.as_bytes()[off..];
        if rest.starts_with(b"---")
            && rest
                .get(3)
                .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            return off;
        }
        l -= 1;
    }
    0
}

/// The parser reports a tab error after the tab; point at the tab itself
/// (the last one before the reported column on that line).
fn offending_tab(text: &str, lines: &LineIndex, pos: Pos) -> Pos {
    let start = lines.line_start(pos.line);
    let before = &text[start..pos.offset.max(start)];
    match before.rfind('\t') {
        Some(i) => lines.pos_of_offset(text, start + i),
        None => pos,
    }
}

/// The byte offset of the first document marker line (`---` or `...`) at or
/// after `line`, where loading can resume.
fn next_document_start(text: &str, lines: &LineIndex, line: u32) -> Option<usize> {
    let mut line = line;
    while (line as usize) <= lines.line_count() {
        let off = lines.line_start(line);
        let rest = &text[off..];
        for marker in ["---", "..."] {
            if let Some(after) = rest.strip_prefix(marker) {
                if after.is_empty() || after.starts_with([' ', '\t', '\r', '\n']) {
                    // `...` ends a document; the next one starts after it.
                    return Some(if marker == "..." {
                        lines.line_start(line + 1).max(off + 3)
                    } else {
                        off
                    });
                }
            }
        }
        line += 1;
    }
    None
}

/// Where a chunk starts in the whole file, to make chunk markers absolute.
#[derive(Clone, Copy)]
struct Base {
    /// 0-based line of the chunk start.
    line: u32,
    /// Byte offset of the chunk start.
    offset: usize,
}

impl Base {
    fn at(text: &str, lines: &LineIndex, offset: usize) -> Self {
        let pos = lines.pos_of_offset(text, offset);
        Base {
            line: pos.line - 1,
            offset,
        }
    }
}

/// Turns parser markers into absolute positions. A chunk starts at a line
/// start, except after a BOM, which the parser never sees: columns do not
/// count it (editors do not show it) but byte offsets do.
struct Positions<'a> {
    text: &'a str,
    lines: &'a LineIndex,
    base: Base,
    /// Characters before the chunk start on its first line (1 after a BOM).
    lead_chars: u32,
}

impl Positions<'_> {
    fn pos(&self, m: &Marker) -> Pos {
        let line = self.base.line + m.line() as u32;
        let col = m.col() as u32;
        let lead = if m.line() == 1 { self.lead_chars } else { 0 };
        let offset = self.lines.offset_of(self.text, line, col + lead);
        Pos {
            line,
            col: col + 1,
            offset,
        }
    }

    fn span(&self, s: &saphyr_parser::Span) -> Span {
        Span::new(self.pos(&s.start), self.pos(&s.end))
    }
}

enum Frame {
    Seq {
        id: NodeId,
        items: Vec<NodeId>,
    },
    Map {
        id: NodeId,
        entries: Vec<Entry>,
        pending_key: Option<NodeId>,
    },
}

struct Loader<'a> {
    pos: Positions<'a>,
    docs: Vec<Document>,
    doc_index: usize,
    nodes: Vec<Node>,
    tags: Vec<(NodeId, String)>,
    /// Expanded size of each node (aliases count their anchor's size).
    weights: Vec<u64>,
    anchors: std::collections::HashMap<usize, NodeId>,
    stack: Vec<Frame>,
    doc_start: Option<Pos>,
    root: Option<NodeId>,
    /// Whether the document being read uses an alias (for the node budget's
    /// message: an alias expansion, or simply a huge document).
    aliased: bool,
}

impl<'a> Loader<'a> {
    fn new(text: &'a str, lines: &'a LineIndex, base: Base, doc_index: usize) -> Self {
        let lead_chars = u32::from(base.offset == 3 && text.starts_with('\u{feff}'));
        Loader {
            pos: Positions {
                text,
                lines,
                base,
                lead_chars,
            },
            docs: Vec::new(),
            doc_index,
            nodes: Vec::new(),
            tags: Vec::new(),
            weights: Vec::new(),
            anchors: Default::default(),
            stack: Vec::new(),
            doc_start: None,
            root: None,
            aliased: false,
        }
    }

    fn run<'i>(
        &mut self,
        parser: impl Iterator<Item = Result<(Event<'i>, saphyr_parser::Span), ScanError>>,
    ) -> Result<(), SyntaxError> {
        for item in parser {
            let (event, span) = item.map_err(|e| self.scan_error(&e))?;
            let span = self.pos.span(&span);
            self.event(event, span)?;
        }
        Ok(())
    }

    fn scan_error(&self, e: &ScanError) -> SyntaxError {
        SyntaxError {
            message: e.info().to_string(),
            pos: self.pos.pos(e.marker()),
            doc_index: self.doc_index,
            doc_start: 0,
            resume: None,
        }
    }

    fn error(&self, message: String, pos: Pos) -> SyntaxError {
        SyntaxError {
            message,
            pos,
            doc_index: self.doc_index,
            doc_start: 0,
            resume: None,
        }
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), SyntaxError> {
        match event {
            Event::DocumentStart(_) => {
                self.doc_start = Some(span.start);
                self.nodes.clear();
                self.weights.clear();
                self.anchors.clear();
                self.root = None;
                self.aliased = false;
            }
            Event::DocumentEnd => self.end_document(span),
            Event::Scalar(value, style, anchor, tag) => {
                // A run keeps every value: short ones (most keys and
                // values) are stored inline, long ones at their exact size
                // (not in the scanner's larger buffer).
                let scalar = Scalar {
                    value: CompactString::new(&value),
                    style: convert_style(style),
                };
                let tag = tag.map(|t| full_tag(&t));
                let id = self.push(NodeKind::Scalar(scalar), span, tag, 1);
                self.anchor(anchor, id);
                self.attach(id, span)?;
            }
            Event::Alias(anchor) => {
                let Some(&target) = self.anchors.get(&anchor) else {
                    return Err(self.error("alias to an unknown anchor".into(), span.start));
                };
                // An alias inside the collection its anchor names would make
                // the document infinite (Go's YAML readers refuse it too).
                if self.stack.iter().any(|f| frame_id(f) == target) {
                    return Err(self.error(
                        "alias to a collection that contains it (the value would contain itself)"
                            .into(),
                        span.start,
                    ));
                }
                let weight = self.weights[target as usize];
                self.aliased = true;
                let id = self.push(NodeKind::Alias(target), span, None, weight);
                self.attach(id, span)?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.check_depth(span)?;
                let id = self.push(
                    NodeKind::Seq(Vec::new()),
                    span,
                    tag.map(|t| full_tag(&t)),
                    1,
                );
                self.anchor(anchor, id);
                self.stack.push(Frame::Seq {
                    id,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.check_depth(span)?;
                let id = self.push(
                    NodeKind::Map(Vec::new()),
                    span,
                    tag.map(|t| full_tag(&t)),
                    1,
                );
                self.anchor(anchor, id);
                self.stack.push(Frame::Map {
                    id,
                    entries: Vec::new(),
                    pending_key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(span)?,
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn check_depth(&self, span: Span) -> Result<(), SyntaxError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error(
                format!("nesting deeper than {MAX_DEPTH} levels"),
                span.start,
            ));
        }
        Ok(())
    }

    fn push(&mut self, kind: NodeKind, span: Span, tag: Option<String>, weight: u64) -> NodeId {
        let id = self.nodes.len() as NodeId;
        self.nodes.push(Node::new(kind, span));
        if let Some(tag) = tag {
            self.tags.push((id, tag));
        }
        self.weights.push(weight);
        id
    }

    fn anchor(&mut self, anchor: usize, id: NodeId) {
        if anchor > 0 {
            self.anchors.insert(anchor, id);
        }
    }

    /// Adds a finished node to the collection being built (or makes it the root).
    fn attach(&mut self, id: NodeId, span: Span) -> Result<(), SyntaxError> {
        let weight = self.weights[id as usize];
        match self.stack.last_mut() {
            None => self.root = Some(id),
            Some(Frame::Seq { items, .. }) => items.push(id),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(id),
                Some(key) => entries.push(Entry { key, value: id }),
            },
        }
        // Charge the expanded size to the enclosing collection now, so an
        // alias bomb is stopped while it is being read, not after.
        if let Some(parent) = self.stack.last().map(frame_id) {
            let w = &mut self.weights[parent as usize];
            *w = w.saturating_add(weight);
            if *w > MAX_EXPANDED_NODES {
                let message = if self.aliased {
                    format!("alias expansion over {MAX_EXPANDED_NODES} nodes in one document")
                } else {
                    format!("more than {MAX_EXPANDED_NODES} nodes in one document")
                };
                return Err(self.error(message, span.start));
            }
        }
        Ok(())
    }

    fn close(&mut self, span: Span) -> Result<(), SyntaxError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let id = frame_id(&frame);
        let node = &mut self.nodes[id as usize];
        node.set_end(span.end);
        node.kind = match frame {
            Frame::Seq { items, .. } => NodeKind::Seq(items),
            Frame::Map { entries, .. } => NodeKind::Map(entries),
        };
        // Flow collections end at the closing bracket the parser reports;
        // block collections end where their last child ends.
        let last_child_end = match &node.kind {
            NodeKind::Seq(items) => items.last().copied(),
            NodeKind::Map(entries) => entries.last().map(|e| e.value),
            _ => None,
        }
        .map(|c| self.nodes[c as usize].span().end);
        let node = &mut self.nodes[id as usize];
        let span = node.span();
        if let Some(end) = last_child_end {
            if end > span.end || span.end.offset < span.start.offset {
                node.set_end(end);
            }
        }
        let span = node.span();
        if span.end.offset < span.start.offset {
            node.set_end(span.start);
        }
        self.attach(id, span)
    }

    fn end_document(&mut self, span: Span) {
        let root = match self.root.take() {
            Some(r) => r,
            None => {
                let at = self.doc_start.unwrap_or(span.start);
                self.push(
                    NodeKind::Scalar(Scalar {
                        value: CompactString::default(),
                        style: ScalarStyle::Plain,
                    }),
                    Span::point(at),
                    None,
                    1,
                )
            }
        };
        let start = self.doc_start.take().unwrap_or(span.start);
        self.docs.push(Document {
            // `nodes` is a scratch arena that grows to the largest
            // document and is reused: the document keeps an exact copy,
            // not a vector grown by doubling (a run keeps every node, and
            // each doubling touches fresh memory).
            nodes: {
                let mut exact = Vec::with_capacity(self.nodes.len());
                exact.append(&mut self.nodes);
                exact
            },
            tags: std::mem::take(&mut self.tags),
            root,
            index: self.doc_index,
            span: Span::new(start, span.end.max(start)),
            sources: Vec::new(),
        });
        self.weights.clear();
        self.doc_index += 1;
    }
}

fn frame_id(frame: &Frame) -> NodeId {
    match frame {
        Frame::Seq { id, .. } | Frame::Map { id, .. } => *id,
    }
}

fn convert_style(style: saphyr_parser::ScalarStyle) -> ScalarStyle {
    use saphyr_parser::ScalarStyle as S;
    match style {
        S::Plain => ScalarStyle::Plain,
        S::SingleQuoted => ScalarStyle::SingleQuoted,
        S::DoubleQuoted => ScalarStyle::DoubleQuoted,
        S::Literal => ScalarStyle::Literal,
        S::Folded => ScalarStyle::Folded,
    }
}

fn full_tag(tag: &saphyr_parser::Tag) -> String {
    format!("{}{}", tag.handle, tag.suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Stream {
        parse(text, &LineIndex::new(text))
    }

    #[test]
    fn keys_and_values_carry_positions() {
        let s = load("a: 1\nb:\n  c: [x, y]\n");
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        let root = s.docs[0].root();
        let (k, v) = root.path(&["b"]).unwrap().get_entry("c").unwrap();
        assert_eq!((k.span().start.line, k.span().start.col), (3, 3));
        assert_eq!((v.span().start.line, v.span().start.col), (3, 6));
        let y = v.items().nth(1).unwrap();
        assert_eq!((y.span().start.col, y.span().end.col), (10, 11));
    }

    #[test]
    fn error_in_third_document_keeps_the_others() {
        let s = load("a: 1\n---\nb: 2\n---\nc: [\n---\nd: 4\n");
        let names: Vec<_> = s
            .docs
            .iter()
            .map(|d| {
                d.root()
                    .entries()
                    .next()
                    .unwrap()
                    .0
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["a", "b", "d"]);
        assert_eq!(s.errors.len(), 1);
        assert_eq!(s.errors[0].doc_index, 2);
        assert!(s.errors[0].pos.line >= 5);
        assert_eq!(s.docs[2].index, 3);
    }

    /// 255 levels load in block and flow style; 256 are refused in both,
    /// with the same message.
    #[test]
    fn block_and_flow_nesting_share_one_limit() {
        let block = |n: usize| {
            (0..n)
                .map(|i| format!("{}k:", "  ".repeat(i)))
                .collect::<Vec<_>>()
                .join("\n")
                + " 1\n"
        };
        let flow_seq = |n: usize| "[".repeat(n) + "1" + &"]".repeat(n) + "\n";
        let flow_map = |n: usize| "{a: ".repeat(n) + "1" + &"}".repeat(n) + "\n";
        let block_seq = |n: usize| {
            (0..n - 1)
                .map(|i| format!("{}-\n", "  ".repeat(i)))
                .collect::<String>()
                + &format!("{}- 1\n", "  ".repeat(n - 1))
        };
        let forms: [&dyn Fn(usize) -> String; 4] = [&block, &flow_seq, &flow_map, &block_seq];
        for (i, form) in forms.iter().enumerate() {
            let ok = load(&form(MAX_DEPTH));
            assert!(
                ok.errors.is_empty(),
                "form {i} at the limit: {:?}",
                ok.errors
            );
            let deep = load(&form(MAX_DEPTH + 1));
            assert_eq!(deep.errors.len(), 1, "form {i}");
            assert_eq!(
                deep.errors[0].message, "nesting deeper than 255 levels",
                "form {i}"
            );
        }
    }

    /// A document with a huge flow collection is one error; the documents
    /// around it load, numbered as written.
    #[test]
    fn an_oversized_flow_collection_costs_its_document_only() {
        let big = "[".to_string() + &vec!["ab"; flow::MAX_FLOW_ENTRIES + 1].join(",") + "]";
        let text = format!("a: 1\n---\nb: 2\nc: {big}\n---\nd: [x\n---\ne: 5\n");
        let s = load(&text);
        let first: Vec<&str> = s
            .docs
            .iter()
            .map(|d| d.root().entries().next().unwrap().0.as_str().unwrap())
            .collect();
        assert_eq!(first, ["a", "e"]);
        assert_eq!(s.docs[1].index, 3);
        assert_eq!(s.errors.len(), 2, "{:?}", s.errors);
        assert_eq!(
            (
                s.errors[0].doc_index,
                s.errors[0].pos.line,
                s.errors[0].pos.col
            ),
            (1, 4, 4)
        );
        assert!(s.errors[0]
            .message
            .contains("flow collection with more than 100000"));
        assert_eq!(s.errors[1].doc_index, 2);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(10_000) + &"]".repeat(10_000);
        let s = load(&text);
        assert_eq!(s.errors.len(), 1);
        assert!(s.errors[0].message.contains("nesting"), "{:?}", s.errors);
    }

    #[test]
    fn alias_bomb_is_stopped() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 10].join(", ");
            text.push_str(&format!("{}: &{} [{}]\n", w[1], w[1], refs));
        }
        let s = load(&text);
        assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
        assert_eq!(
            s.errors[0].message,
            "alias expansion over 1000000 nodes in one document"
        );
    }

    /// An alias inside its own anchor's collection is an error, not an
    /// infinite value (found by the `yaml` fuzz target).
    #[test]
    fn an_alias_to_its_own_container_is_an_error() {
        for text in ["a: &x [1, *x]\n", "&m {a: {b: *m}}\n", "- &s\n  - *s\n"] {
            let s = load(text);
            assert_eq!(s.errors.len(), 1, "{text}: {:?}", s.errors);
            assert!(
                s.errors[0].message.contains("contains it"),
                "{:?}",
                s.errors
            );
        }
        assert!(load("a: &x [1]\nb: *x\n").errors.is_empty());
    }

    /// A huge document without aliases is named for what it is.
    #[test]
    fn a_huge_document_is_not_called_an_alias_bomb() {
        let text: String = (0..500_001).map(|i| format!("k{i}: v\n")).collect();
        let s = load(&text);
        assert_eq!(s.errors.len(), 1);
        assert_eq!(
            s.errors[0].message,
            "more than 1000000 nodes in one document"
        );
    }

    #[test]
    fn bom_and_crlf_keep_columns() {
        let s = load("\u{feff}a: 1\r\nb: 2\r\n");
        assert!(s.errors.is_empty());
        let (k, v) = s.docs[0].root().get_entry("b").unwrap();
        assert_eq!((k.span().start.line, k.span().start.col), (2, 1));
        assert_eq!(v.span().start.col, 4);
        let (k, _) = s.docs[0].root().get_entry("a").unwrap();
        assert_eq!((k.span().start.line, k.span().start.col), (1, 1));
        assert_eq!(k.span().start.offset, 3);
    }

    #[test]
    fn empty_and_comment_only_files_have_no_errors() {
        assert!(load("").errors.is_empty());
        let s = load("# just a comment\n");
        assert!(s.errors.is_empty());
        assert!(s.docs.iter().all(|d| d.is_empty()));
    }

    #[test]
    fn tabs_for_indentation_are_an_error_with_position() {
        let s = load("a:\n\tb: 1\n");
        assert_eq!(s.errors.len(), 1);
        assert_eq!((s.errors[0].pos.line, s.errors[0].pos.col), (2, 1));
    }
}
