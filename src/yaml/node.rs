//! The YAML node tree: one arena per document, every node with its span.
//!
//! An arena (not a tree of boxes) because untrusted input may nest
//! thousands of levels deep, and dropping a boxed tree recurses; and because an
//! alias can then point at its anchor's node instead of copying it, so an
//! alias bomb costs nothing to hold.

use crate::base::ids::{FileId, StepId};
use crate::base::source::{Pos, Span};

pub use super::scalar::{Scalar, ScalarStyle};
use super::scalar::{Typed, Typing};

pub type NodeId = u32;

#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub key: NodeId,
    pub value: NodeId,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    Scalar(Scalar),
    Seq(Vec<NodeId>),
    Map(Vec<Entry>),
    /// An alias: the node it refers to (never itself an alias).
    Alias(NodeId),
}

/// A node of the arena. A run keeps every node of every file (millions),
/// so it is kept small: positions are stored as `u32`s (a file is at most
/// 128 MiB), and the rare tag lives in [`Document::tags`].
#[derive(Debug, Clone)]
pub struct Node {
    pub kind: NodeKind,
    start: StoredPos,
    end: StoredPos,
}

/// A [`Pos`] as the arena stores it.
#[derive(Debug, Clone, Copy)]
struct StoredPos {
    line: u32,
    col: u32,
    offset: u32,
}

impl StoredPos {
    fn new(p: Pos) -> Self {
        StoredPos {
            line: p.line,
            col: p.col,
            offset: u32::try_from(p.offset).unwrap_or(u32::MAX),
        }
    }

    fn pos(self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
            offset: self.offset as usize,
        }
    }
}

impl Node {
    pub fn new(kind: NodeKind, span: Span) -> Self {
        Node {
            kind,
            start: StoredPos::new(span.start),
            end: StoredPos::new(span.end),
        }
    }

    /// For a scalar, the scalar's text (quotes included); for a collection,
    /// from its first to its last character.
    pub fn span(&self) -> Span {
        Span::new(self.start.pos(), self.end.pos())
    }

    pub fn set_end(&mut self, end: Pos) {
        self.end = StoredPos::new(end);
    }
}

/// One document of a YAML stream.
#[derive(Debug)]
pub struct Document {
    pub nodes: Vec<Node>,
    /// Explicit tags (`!!str`, `!!map`, custom tags), by node, in node
    /// order: resolved to their full form (`tag:yaml.org,2002:str`) when
    /// they are core tags, else as written.
    pub tags: Vec<(NodeId, String)>,
    pub root: NodeId,
    /// 0-based index of the document in its file.
    pub index: usize,
    /// From the document's first to its last character (markers included).
    pub span: Span,
    /// For a rendered object (which mixes values written in several
    /// files), where each node was written, by node; empty for a parsed
    /// document, whose every node is in its own file.
    pub sources: Vec<NodeSource>,
}

/// The file a node of a rendered object was written in, and the rendering
/// step that put it there (`None`: the object's own text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSource {
    pub file: FileId,
    pub step: Option<StepId>,
}

/// A borrowed view of a node, with its document, for convenient navigation.
#[derive(Clone, Copy)]
pub struct NodeRef<'d> {
    pub doc: &'d Document,
    pub id: NodeId,
}

impl std::fmt::Debug for NodeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeRef({}, {:?})", self.id, self.span())
    }
}

impl Document {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// Where node `id` was written, for a rendered object.
    pub fn source_of(&self, id: NodeId) -> Option<NodeSource> {
        self.sources.get(id as usize).copied()
    }

    /// The explicit tag of node `id`, if it has one.
    pub fn tag_of(&self, id: NodeId) -> Option<&str> {
        if self.tags.is_empty() {
            return None;
        }
        self.tags
            .binary_search_by_key(&id, |(n, _)| *n)
            .ok()
            .map(|i| self.tags[i].1.as_str())
    }

    pub fn root(&self) -> NodeRef<'_> {
        NodeRef {
            doc: self,
            id: self.root,
        }
    }

    /// True when the document holds nothing but a null (an empty document or
    /// one of only comments).
    pub fn is_empty(&self) -> bool {
        matches!(&self.node(self.root).kind, NodeKind::Scalar(s) if s.style.is_plain() && s.value.is_empty())
    }
}

impl<'d> NodeRef<'d> {
    fn at(&self, id: NodeId) -> NodeRef<'d> {
        NodeRef { doc: self.doc, id }
    }

    /// The node itself, an alias followed to its anchor.
    pub fn node(&self) -> &'d Node {
        let node = self.doc.node(self.id);
        match node.kind {
            NodeKind::Alias(target) => self.doc.node(target),
            _ => node,
        }
    }

    /// Where this node was written (for an alias: the alias, not the anchor).
    pub fn span(&self) -> Span {
        self.doc.node(self.id).span()
    }

    /// For a node of a rendered object, the file that wrote it and the
    /// step that put it there; `None` in a parsed document (the node is
    /// in the document's own file).
    pub fn source(&self) -> Option<NodeSource> {
        self.doc.source_of(self.id)
    }

    /// The node's explicit tag (an alias's: its anchor's).
    pub fn tag(&self) -> Option<&'d str> {
        let id = match self.doc.node(self.id).kind {
            NodeKind::Alias(target) => target,
            _ => self.id,
        };
        self.doc.tag_of(id)
    }

    /// A scalar's value, typed as `typing` reads it (its tag included).
    pub fn typed(&self, typing: Typing) -> Option<Typed> {
        Some(self.as_scalar()?.typed(self.tag(), typing))
    }

    pub fn is_alias(&self) -> bool {
        matches!(self.doc.node(self.id).kind, NodeKind::Alias(_))
    }

    pub fn as_scalar(&self) -> Option<&'d Scalar> {
        match &self.node().kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's text, for any scalar that is not null.
    pub fn as_str(&self) -> Option<&'d str> {
        let s = self.as_scalar()?;
        if s.style.is_plain() && super::scalar::is_null(&s.value) {
            return None;
        }
        Some(&s.value)
    }

    pub fn is_map(&self) -> bool {
        matches!(self.node().kind, NodeKind::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.node().kind, NodeKind::Seq(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.as_scalar(), Some(s) if s.style.is_plain() && super::scalar::is_null(&s.value) && self.tag().is_none())
    }

    /// Entries of a mapping as (key, value) pairs, in order. `<<` merge keys
    /// are returned as written; [`NodeRef::get`] applies them.
    pub fn entries(&self) -> impl Iterator<Item = (NodeRef<'d>, NodeRef<'d>)> + 'd {
        let doc = self.doc;
        let entries: &'d [Entry] = match &self.node().kind {
            NodeKind::Map(e) => e,
            _ => &[],
        };
        entries
            .iter()
            .map(move |e| (NodeRef { doc, id: e.key }, NodeRef { doc, id: e.value }))
    }

    /// Items of a sequence.
    pub fn items(&self) -> impl Iterator<Item = NodeRef<'d>> + 'd {
        let doc = self.doc;
        let items: &'d [NodeId] = match &self.node().kind {
            NodeKind::Seq(i) => i,
            _ => &[],
        };
        items.iter().map(move |id| NodeRef { doc, id: *id })
    }

    /// The entry for `key` in a mapping: its key node and value node. The
    /// last occurrence wins, as in Go's YAML readers; `<<` merges are
    /// consulted after the mapping's own keys.
    pub fn get_entry(&self, key: &str) -> Option<(NodeRef<'d>, NodeRef<'d>)> {
        self.get_entry_depth(key, 0)
    }

    fn get_entry_depth(&self, key: &str, depth: u32) -> Option<(NodeRef<'d>, NodeRef<'d>)> {
        let NodeKind::Map(entries) = &self.node().kind else {
            return None;
        };
        let own = entries
            .iter()
            .rev()
            .find(|e| matches!(&self.doc.node(e.key).kind, NodeKind::Scalar(s) if s.value == key));
        if let Some(e) = own {
            return Some((self.at(e.key), self.at(e.value)));
        }
        if depth > 8 {
            return None;
        }
        for e in entries {
            let k = self.at(e.key);
            if k.as_scalar()
                .is_some_and(|s| s.value == "<<" && s.style.is_plain())
            {
                let v = self.at(e.value);
                let sources: Vec<NodeRef<'d>> = if v.is_seq() {
                    v.items().collect()
                } else {
                    vec![v]
                };
                for src in sources {
                    if let Some(found) = src.get_entry_depth(key, depth + 1) {
                        return Some(found);
                    }
                }
            }
        }
        None
    }

    /// The value for `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<NodeRef<'d>> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// Follows a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<NodeRef<'d>> {
        let mut cur = *self;
        for k in keys {
            cur = cur.get(k)?;
        }
        Some(cur)
    }

    /// The string value at a path of keys, if it is a non-null scalar.
    pub fn str_at(&self, keys: &[&str]) -> Option<&'d str> {
        self.path(keys)?.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_stay_small() {
        // A run keeps every node of every file: 1.6 million for the
        // 10,000-document benchmark. Each byte here is 1.6 MB there.
        assert_eq!(std::mem::size_of::<Scalar>(), 32);
        assert_eq!(std::mem::size_of::<NodeKind>(), 32);
        assert_eq!(std::mem::size_of::<Node>(), 56);
    }
}
