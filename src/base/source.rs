//! Source text and positions.
//!
//! The YAML parser reports character indices; findings need 1-based lines,
//! 1-based character columns (docs/contract.md) and byte offsets (for miette). A
//! [`LineIndex`] converts between them without rescanning the file per lookup.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A position in a source file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in Unicode characters.
    pub col: u32,
    /// Byte offset from the start of the file.
    pub offset: usize,
}

impl Pos {
    /// The start of a file: line 1, column 1.
    pub const START: Pos = Pos {
        line: 1,
        col: 1,
        offset: 0,
    };
}

/// A half-open range `[start, end)` in a source file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    pub fn new(start: Pos, end: Pos) -> Self {
        Span { start, end }
    }

    /// An empty span at `pos`.
    pub fn point(pos: Pos) -> Self {
        Span {
            start: pos,
            end: pos,
        }
    }

    pub fn byte_len(&self) -> usize {
        self.end.offset.saturating_sub(self.start.offset)
    }
}

/// Line starts of a file, for turning character indices into byte offsets
/// and byte offsets into lines and columns.
#[derive(Debug)]
pub struct LineIndex {
    /// Byte offset of the first byte of each line (line 1 is index 0).
    line_starts: Vec<usize>,
    ascii: bool,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        let bytes = text.as_bytes();
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' {
                line_starts.push(i + 1);
            } else if *b == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
                // A lone CR ends a line for YAML too.
                line_starts.push(i + 1);
            }
        }
        LineIndex {
            line_starts,
            ascii: text.is_ascii(),
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset where 1-based `line` starts (clamped to the last line).
    pub fn line_start(&self, line: u32) -> usize {
        let i = (line.max(1) as usize - 1).min(self.line_starts.len() - 1);
        self.line_starts[i]
    }

    /// The position of byte `offset` (clamped to the text, snapped back to a
    /// character boundary).
    pub fn pos_of_offset(&self, text: &str, offset: usize) -> Pos {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line_idx];
        let col = if self.ascii {
            offset - start
        } else {
            text[start..offset].chars().count()
        };
        Pos {
            line: line_idx as u32 + 1,
            col: col as u32 + 1,
            offset,
        }
    }

    /// Byte offset of the character at 0-based `col` on 1-based `line`.
    pub fn offset_of(&self, text: &str, line: u32, col: u32) -> usize {
        // The parser places the end of a text without a final line feed
        // on the line after its last.
        if line as usize > self.line_starts.len() {
            return text.len();
        }
        let start = self.line_start(line);
        if self.ascii {
            return (start + col as usize).min(text.len());
        }
        let rest = &text[start..];
        match rest.char_indices().nth(col as usize) {
            Some((i, _)) => start + i,
            None => text.len(),
        }
    }
}

/// A file's text, shared between the pipeline stages and the reporters.
#[derive(Debug)]
pub struct SourceText {
    pub text: String,
    pub lines: LineIndex,
}

impl SourceText {
    pub fn new(text: String) -> Arc<Self> {
        let lines = LineIndex::new(&text);
        Arc::new(SourceText { text, lines })
    }

    /// The text of 1-based `line`, without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        let start = self.lines.line_start(line);
        let rest = &self.text[start..];
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        &rest[..end]
    }

    pub fn pos_of_offset(&self, offset: usize) -> Pos {
        self.lines.pos_of_offset(&self.text, offset)
    }

    /// A span covering the one character at `pos` (empty at a line end or
    /// the end of the file), for errors that have a point, not a range.
    pub fn char_span(&self, pos: Pos) -> Span {
        let next = self.text[pos.offset.min(self.text.len())..]
            .chars()
            .next()
            .filter(|c| *c != '\n' && *c != '\r');
        match next {
            Some(c) => Span::new(
                pos,
                Pos {
                    line: pos.line,
                    col: pos.col + 1,
                    offset: pos.offset + c.len_utf8(),
                },
            ),
            None => Span::point(pos),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_columns_count_characters() {
        let text = "a: 1\nb: é😀x\r\nc: 3";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 3);
        // 'x' is the 6th character of line 2 (0-based col 5).
        let off = idx.offset_of(text, 2, 5);
        assert_eq!(&text[off..off + 1], "x");
        let pos = idx.pos_of_offset(text, off);
        assert_eq!((pos.line, pos.col), (2, 6));
        let c = text.find('c').unwrap();
        assert_eq!(idx.pos_of_offset(text, c).line, 3);
    }

    #[test]
    fn lone_carriage_return_ends_a_line() {
        let idx = LineIndex::new("a\rb\nc");
        assert_eq!(idx.line_count(), 3);
    }
}
