//! Reading a file and parse its YAML, keeping every position.
//!
//! Reading never fails the run: an unreadable, binary, non-UTF-8 or huge file
//! becomes a [`FileProblem`] that the `yaml-syntax` rule reports.

use std::io::Read;
use std::sync::Arc;

use crate::base::ids::{DocId, FileId};
use crate::base::source::{Pos, SourceText};
use crate::model::objects::ObjectMeta;
use crate::workspace::discover::SourceFile;
use crate::yaml::{self, Document, Stream};

/// Files above this size are reported, not parsed.
pub const MAX_FILE_BYTES: u64 = 128 * 1024 * 1024;

/// Why a file could not be parsed at all.
#[derive(Debug, Clone, PartialEq)]
pub struct FileProblem {
    pub message: String,
    pub pos: Pos,
}

/// A file with its text, its documents and what each document is.
#[derive(Debug)]
pub struct ParsedFile {
    /// Its place in the workspace (set when the workspace is built).
    pub id: FileId,
    pub file: SourceFile,
    pub source: Arc<SourceText>,
    pub stream: Stream,
    /// One entry per document in `stream.docs`: the Kubernetes identity of
    /// the document, if it has `apiVersion` and `kind`.
    pub objects: Vec<Option<ObjectMeta>>,
    pub problem: Option<FileProblem>,
}

impl ParsedFile {
    /// The file's path as reports show it.
    pub fn path(&self) -> &str {
        &self.file.display
    }

    pub fn bytes(&self) -> usize {
        self.source.text.len()
    }

    /// Document `doc` of the file.
    pub fn doc(&self, doc: DocId) -> Option<&Document> {
        self.stream.docs.get(doc.index())
    }

    /// The ids of the file's documents, in order.
    pub fn doc_ids(&self) -> impl Iterator<Item = DocId> {
        (0..self.stream.docs.len()).map(DocId::new)
    }

    /// The Kubernetes identity of document `doc`, if it is an object.
    pub fn object(&self, doc: DocId) -> Option<&ObjectMeta> {
        self.objects.get(doc.index())?.as_ref()
    }
}

/// Reads and parses one file.
pub fn load(file: SourceFile) -> ParsedFile {
    match read_text(&file) {
        Ok(text) => parse_text(file, text),
        Err(problem) => without_text(file, problem),
    }
}

/// A file or directory the walk could not read: no text, one problem.
pub fn unreadable(file: SourceFile, message: String) -> ParsedFile {
    let pos = Pos::START;
    without_text(file, FileProblem { message, pos })
}

fn without_text(file: SourceFile, problem: FileProblem) -> ParsedFile {
    ParsedFile {
        id: FileId::default(),
        file,
        source: SourceText::new(String::new()),
        stream: Stream::default(),
        objects: Vec::new(),
        problem: Some(problem),
    }
}

/// Parses text that is already in memory (used by tests and `explain`).
pub fn parse_text(file: SourceFile, text: String) -> ParsedFile {
    let source = SourceText::new(text);
    let stream = yaml::parse(&source.text, &source.lines);
    let objects = stream.docs.iter().map(ObjectMeta::of).collect();
    ParsedFile {
        id: FileId::default(),
        file,
        source,
        stream,
        objects,
        problem: None,
    }
}

fn read_text(file: &SourceFile) -> Result<String, FileProblem> {
    let at_start = |message: String| FileProblem {
        message,
        pos: Pos::START,
    };
    let mut f =
        std::fs::File::open(&file.abs).map_err(|e| at_start(format!("cannot read file: {e}")))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE_BYTES {
        return Err(at_start(format!(
            "file is {} MiB, above the {} MiB limit; not parsed",
            size / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // `take` guards against a file that grows while we read it.
    f.by_ref()
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| at_start(format!("cannot read file: {e}")))?;
    decode(bytes)
}

/// Bytes to text: binary files and invalid UTF-8 are problems with a
/// position (the first offending byte).
pub fn decode(bytes: Vec<u8>) -> Result<String, FileProblem> {
    if let Some(nul) = bytes.iter().position(|b| *b == 0) {
        let pos = prefix_pos(&bytes[..nul]);
        return Err(FileProblem {
            message: "binary file (contains a NUL byte); not YAML".into(),
            pos,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        FileProblem {
            message: format!(
                "invalid UTF-8 (byte 0x{:02X}); YAML files must be UTF-8",
                bytes[valid]
            ),
            pos: prefix_pos(&bytes[..valid]),
        }
    })
}

/// The position just after a valid UTF-8 prefix.
fn prefix_pos(prefix: &[u8]) -> Pos {
    let text = String::from_utf8_lossy(prefix);
    let line = text.matches('\n').count() as u32 + 1;
    let last_line = text.rsplit('\n').next().unwrap_or("");
    Pos {
        line,
        col: last_line.chars().count() as u32 + 1,
        offset: prefix.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_located() {
        let p = decode(b"a: 1\nb: \xff\n".to_vec()).unwrap_err();
        assert_eq!((p.pos.line, p.pos.col, p.pos.offset), (2, 4, 8));
        assert!(p.message.contains("0xFF"));
    }

    #[test]
    fn binary_is_detected() {
        let p = decode(b"\x7fELF\x00\x01".to_vec()).unwrap_err();
        assert!(p.message.contains("binary"));
    }
}
