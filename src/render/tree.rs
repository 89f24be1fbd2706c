//! A rendered object: an owned tree whose every value remembers where it
//! was written ([`Origin`]).
//!
//! Parsed documents are arenas tied to one file; a rendered object mixes
//! values from its base, from patches in other files, from transformers and
//! from generators, and is edited in place by each of them. So rendering
//! copies a document into this tree once, with the file and span of every
//! scalar, key and collection, and later steps replace subtrees with their
//! own (whose origins point at the patch or transformer entry that wrote
//! them, with the [`StepId`] of that step).

use compact_str::CompactString;
use serde_json::Value as Json;

use crate::base::ids::{FileId, StepId};
use crate::base::source::Span;
use crate::workspace::Workspace;
use crate::yaml::node::{NodeKind, Scalar as YamlScalar, ScalarStyle};
use crate::yaml::scalar::{Typing, TAG_PREFIX};
use crate::yaml::to_json::{is_merge_key, key_string, scalar_to_json};
use crate::yaml::NodeRef;

/// Where a rendered value was written — its file and byte range — and by
/// which step of the rendering (`None`: the resource's own text).
///
/// Sixteen bytes: a rendering holds one per key and value of every object
/// of every cluster, so lines and columns are not stored but computed from
/// the file's line index when a finding needs them ([`Origin::span`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub file: FileId,
    start: u32,
    end: u32,
    step: u32,
}

const NO_STEP: u32 = u32::MAX;

impl Origin {
    pub fn new(file: FileId, span: Span) -> Self {
        let offset = |o: usize| u32::try_from(o).unwrap_or(u32::MAX);
        Origin {
            file,
            start: offset(span.start.offset),
            end: offset(span.end.offset),
            step: NO_STEP,
        }
    }

    pub fn by(self, step: StepId) -> Self {
        Origin {
            step: u32::try_from(step.index()).unwrap_or(NO_STEP - 1),
            ..self
        }
    }

    pub fn step(&self) -> Option<StepId> {
        (self.step != NO_STEP).then(|| StepId::new(self.step as usize))
    }

    /// The byte offset where the value starts in its file.
    pub fn offset(&self) -> usize {
        self.start as usize
    }

    /// The byte offset where the value ends.
    pub fn end(&self) -> usize {
        self.end as usize
    }

    /// Lines and columns, from the file's line index.
    pub fn span(&self, ws: &Workspace) -> Span {
        let source = &ws.file(self.file).source;
        Span::new(
            source.pos_of_offset(self.start as usize),
            source.pos_of_offset(self.end as usize),
        )
    }
}

/// A scalar's text, and whether its type comes from the text (a plain
/// scalar: `3` is a number) or it is a string whatever it reads as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    pub text: CompactString,
    pub plain: bool,
}

#[derive(Debug, Clone)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: CompactString,
    pub key_origin: Origin,
    pub value: Node,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    pub origin: Origin,
}

/// Rendering copies documents, and an alias is a copy of its anchor: a
/// small file can ask for billions of nodes. Every conversion of one
/// rendering draws from one allowance.
#[derive(Debug)]
pub struct Budget {
    left: usize,
}

/// The allowance ran out (an alias bomb, or a build that multiplies
/// objects beyond reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

impl Budget {
    /// Nodes one rendering may create: far beyond any real repository
    /// (the largest corpus repository renders under 2 million).
    pub const DEFAULT: usize = 50_000_000;

    pub fn new(nodes: usize) -> Self {
        Budget { left: nodes }
    }

    fn take(&mut self) -> Result<(), TooLarge> {
        self.left = self.left.checked_sub(1).ok_or(TooLarge)?;
        Ok(())
    }
}

/// Maps a span of the parsed text to the file it came from: identity for
/// a file, a shift for a patch written inside a block scalar.
pub type Place<'a> = &'a dyn Fn(Span) -> Span;

/// Copies a parsed node into a tree, expanding aliases and `<<` merge
/// keys, as kustomize's YAML reader does.
pub fn from_yaml(
    node: NodeRef<'_>,
    file: FileId,
    place: Place<'_>,
    budget: &mut Budget,
) -> Result<Node, TooLarge> {
    budget.take()?;
    let origin = Origin::new(file, place(node.span()));
    let target = resolve_alias(node);
    let value = match &target.node().kind {
        NodeKind::Scalar(s) => Value::Scalar(scalar_of(s, target.tag())),
        NodeKind::Seq(_) => Value::Seq(
            target
                .items()
                .map(|item| from_yaml(item, file, place, budget))
                .collect::<Result<_, _>>()?,
        ),
        NodeKind::Map(_) => Value::Map(map_entries(target, file, place, budget, 0)?),
        NodeKind::Alias(_) => Value::Scalar(Scalar::null()),
    };
    Ok(Node { value, origin })
}

fn resolve_alias(node: NodeRef<'_>) -> NodeRef<'_> {
    match node.node().kind {
        NodeKind::Alias(id) => NodeRef { doc: node.doc, id },
        _ => node,
    }
}

fn scalar_of(s: &YamlScalar, tag: Option<&str>) -> Scalar {
    let is_str_tag = tag.is_some_and(|t| t.strip_prefix(TAG_PREFIX) == Some("str"));
    Scalar {
        text: s.value.clone(),
        plain: s.style == ScalarStyle::Plain && !is_str_tag,
    }
}

/// A mapping's entries; explicit keys win over merged (`<<`) ones.
fn map_entries(
    node: NodeRef<'_>,
    file: FileId,
    place: Place<'_>,
    budget: &mut Budget,
    depth: u32,
) -> Result<Vec<Entry>, TooLarge> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut merges = Vec::new();
    for (k, v) in node.entries() {
        if is_merge_key(k) {
            merges.push(v);
            continue;
        }
        // A plain or quoted key without a tag is its text (no allocation
        // for short keys); anything else as the JSON key it becomes.
        let key = match k.as_scalar() {
            Some(s) if k.tag().is_none() && !k.is_alias() => s.value.clone(),
            _ => CompactString::from(key_string(k, Typing::Kubernetes)),
        };
        let value = from_yaml(v, file, place, budget)?;
        let entry = Entry {
            key,
            key_origin: Origin::new(file, place(k.span())),
            value,
        };
        match entries.iter_mut().find(|e| e.key == entry.key) {
            // A duplicate key: the last one wins, as in Go's decoder.
            Some(old) => *old = entry,
            None => entries.push(entry),
        }
    }
    if depth > 8 {
        return Ok(entries);
    }
    for src in merges {
        let src = resolve_alias(src);
        let sources: Vec<NodeRef<'_>> = if src.is_seq() {
            src.items().map(resolve_alias).collect()
        } else {
            vec![src]
        };
        for s in sources.into_iter().filter(|s| s.is_map()) {
            for merged in map_entries(s, file, place, budget, depth + 1)? {
                if !entries.iter().any(|e| e.key == merged.key) {
                    entries.push(merged);
                }
            }
        }
    }
    Ok(entries)
}

impl Scalar {
    pub fn null() -> Self {
        Scalar {
            text: CompactString::const_new("null"),
            plain: true,
        }
    }

    /// A string value, whatever it reads as.
    pub fn string(text: &str) -> Self {
        Scalar {
            text: text.into(),
            plain: false,
        }
    }

    pub fn is_null(&self) -> bool {
        self.plain && crate::yaml::scalar::is_null(&self.text)
    }

    pub fn to_json(&self) -> Json {
        scalar_to_json(&self.to_yaml(), None, Typing::Kubernetes)
    }

    /// As a parsed scalar: plain, or quoted (a string whatever it reads
    /// as).
    pub fn to_yaml(&self) -> YamlScalar {
        let style = if self.plain {
            ScalarStyle::Plain
        } else {
            ScalarStyle::DoubleQuoted
        };
        YamlScalar {
            value: self.text.clone(),
            style,
        }
    }
}

impl Node {
    pub fn new(value: Value, origin: Origin) -> Self {
        Node { value, origin }
    }

    pub fn string(text: &str, origin: Origin) -> Self {
        Node::new(Value::Scalar(Scalar::string(text)), origin)
    }

    pub fn map(origin: Origin) -> Self {
        Node::new(Value::Map(Vec::new()), origin)
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s) if s.is_null())
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.value, Value::Seq(_))
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) if !s.is_null() => Some(s),
            _ => None,
        }
    }

    /// The text of a scalar that is not null.
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|s| s.text.as_str())
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn items_mut(&mut self) -> &mut [Node] {
        match &mut self.value {
            Value::Seq(items) => items,
            _ => &mut [],
        }
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|e| e.key == key)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.value {
            Value::Map(entries) => entries
                .iter_mut()
                .find(|e| e.key == key)
                .map(|e| &mut e.value),
            _ => None,
        }
    }

    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn path_mut(&mut self, keys: &[&str]) -> Option<&mut Node> {
        keys.iter().try_fold(self, |node, key| node.get_mut(key))
    }

    pub fn str_at(&self, keys: &[&str]) -> Option<&str> {
        self.path(keys)?.as_str()
    }

    /// Sets `key` (replacing its value, or appending it), turning a null
    /// or scalar node into a mapping first.
    pub fn set(&mut self, key: &str, value: Node, key_origin: Origin) {
        if !self.is_map() {
            self.value = Value::Map(Vec::new());
        }
        let Value::Map(entries) = &mut self.value else {
            return;
        };
        match entries.iter_mut().find(|e| e.key == key) {
            Some(e) => e.value = value,
            None => entries.push(Entry {
                key: key.into(),
                key_origin,
                value,
            }),
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Node> {
        let Value::Map(entries) = &mut self.value else {
            return None;
        };
        let at = entries.iter().position(|e| e.key == key)?;
        Some(entries.remove(at).value)
    }

    /// The mapping under `key`, created (with `origin`) when it is missing
    /// or null.
    pub fn child_map(&mut self, key: &str, origin: Origin) -> &mut Node {
        let missing = self.get(key).is_none_or(|n| !n.is_map());
        if missing {
            self.set(key, Node::map(origin), origin);
        }
        self.get_mut(key).expect("set above")
    }

    /// The value as JSON, typed as Kubernetes reads YAML.
    pub fn to_json(&self) -> Json {
        match &self.value {
            Value::Scalar(s) => s.to_json(),
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|e| (e.key.to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Gives this node and everything under it the origin `origin` (a
    /// value a step wrote as a whole).
    pub fn stamp(&mut self, origin: Origin) {
        self.origin = origin;
        match &mut self.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => items.iter_mut().for_each(|n| n.stamp(origin)),
            Value::Map(entries) => entries.iter_mut().for_each(|e| {
                e.key_origin = origin;
                e.value.stamp(origin);
            }),
        }
    }

    /// Marks every origin under this node with `step` (a patch's own
    /// values, which keep their place in the patch).
    pub fn mark(&mut self, step: StepId) {
        self.origin = self.origin.by(step);
        match &mut self.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => items.iter_mut().for_each(|n| n.mark(step)),
            Value::Map(entries) => entries.iter_mut().for_each(|e| {
                e.key_origin = e.key_origin.by(step);
                e.value.mark(step);
            }),
        }
    }
}

/// The first document of `text` as a tree, for tests.
#[cfg(test)]
pub fn parse_tree(text: &str) -> Node {
    let stream = crate::yaml::parse(text, &crate::base::source::LineIndex::new(text));
    from_yaml(
        stream.docs[0].root(),
        FileId::new(0),
        &|s| s,
        &mut Budget::new(100_000),
    )
    .expect("small test input")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::LineIndex;

    fn tree(text: &str) -> Node {
        let stream = crate::yaml::parse(text, &LineIndex::new(text));
        let mut budget = Budget::new(1000);
        from_yaml(stream.docs[0].root(), FileId::new(0), &|s| s, &mut budget).unwrap()
    }

    #[test]
    fn keeps_the_span_of_every_value() {
        let t = tree("a:\n  b: [1, x]\n");
        let b = t.path(&["a", "b"]).unwrap();
        assert_eq!(b.origin.offset(), "a:\n  b: ".len());
        let x = &b.items()[1];
        assert_eq!(x.origin.offset(), "a:\n  b: [1, ".len());
        assert!(x.origin.step().is_none());
        assert_eq!(x.origin.by(StepId::new(3)).step(), Some(StepId::new(3)));
        assert_eq!(t.to_json(), serde_json::json!({"a": {"b": [1, "x"]}}));
    }

    #[test]
    fn expands_aliases_and_merge_keys() {
        let t = tree("x: &a {k: 1, j: 2}\ny:\n  <<: *a\n  j: 3\nz: *a\n");
        assert_eq!(
            t.to_json(),
            serde_json::json!({"x": {"k": 1, "j": 2}, "y": {"j": 3, "k": 1}, "z": {"k": 1, "j": 2}})
        );
    }

    #[test]
    fn an_alias_bomb_runs_out_of_budget() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..4 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let stream = crate::yaml::parse(&text, &LineIndex::new(&text));
        // 10^4 scalars from a few lines.
        let mut budget = Budget::new(5_000);
        let got = from_yaml(stream.docs[0].root(), FileId::new(0), &|s| s, &mut budget);
        assert_eq!(got.err(), Some(TooLarge));
    }

    #[test]
    fn quoted_and_str_tagged_scalars_stay_strings() {
        let t = tree("a: '3'\nb: !!str 4\nc: 5\nd: yes\n");
        assert_eq!(
            t.to_json(),
            serde_json::json!({"a": "3", "b": "4", "c": 5, "d": true})
        );
    }
}
