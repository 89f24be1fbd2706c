//! serde over the node tree: `#[derive(Deserialize)]` types read straight
//! from a document, and every error carries the line and column of the
//! node it is about (the unknown key, the value of the wrong type, the
//! mapping that lacks a field).
//!
//! Scalars are typed as the YAML 1.2 core schema reads them, except where
//! the target asks for a string: then the text is taken as written, so
//! `kubernetesVersion: 1.33` is `"1.33"`, not the number 1.33.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use super::scalar::{Typed, Typing};
use super::NodeRef;
use crate::base::source::Pos;

/// A deserialisation error, at a place of the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub message: String,
    /// The node the error is about; `None` only before it reaches one.
    pub pos: Option<Pos>,
}

impl Error {
    /// The error at `pos`, unless an inner node already placed it.
    fn at(mut self, pos: Pos) -> Error {
        self.pos.get_or_insert(pos);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error {
            message: message.to_string(),
            pos: None,
        }
    }
}

/// Reads a `T` from a node.
pub fn from_node<'d, T: de::Deserialize<'d>>(node: NodeRef<'d>) -> Result<T, Error> {
    T::deserialize(NodeDeserializer { node })
}

/// One node, as a serde `Deserializer`.
#[derive(Clone, Copy)]
pub struct NodeDeserializer<'d> {
    node: NodeRef<'d>,
}

impl<'d> NodeDeserializer<'d> {
    fn pos(&self) -> Pos {
        self.node.span().start
    }

    /// The scalar's text, for a non-null scalar.
    fn text(&self) -> Option<&'d str> {
        let scalar = self.node.as_scalar()?;
        (!self.node.is_null()).then_some(scalar.value.as_str())
    }

    fn unexpected(&self) -> de::Unexpected<'d> {
        if self.node.is_map() {
            de::Unexpected::Map
        } else if self.node.is_seq() {
            de::Unexpected::Seq
        } else if self.node.is_null() {
            de::Unexpected::Unit
        } else {
            de::Unexpected::Str(self.node.as_scalar().map_or("", |s| s.value.as_str()))
        }
    }
}

impl<'d> de::Deserializer<'d> for NodeDeserializer<'d> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, Error> {
        let node = self.node;
        let result = if node.is_map() {
            visitor.visit_map(Entries {
                entries: node.entries(),
                value: None,
            })
        } else if node.is_seq() {
            visitor.visit_seq(Items {
                items: node.items(),
            })
        } else {
            match node.typed(Typing::Core) {
                None | Some(Typed::Null) => visitor.visit_unit(),
                Some(Typed::Bool(b)) => visitor.visit_bool(b),
                Some(Typed::Int(i)) => visitor.visit_i64(i),
                Some(Typed::UInt(u)) => visitor.visit_u64(u),
                Some(Typed::Float(f)) => visitor.visit_f64(f),
                Some(_) => match self.text() {
                    Some(text) => visitor.visit_borrowed_str(text),
                    None => visitor.visit_unit(),
                },
            }
        };
        result.map_err(|e| e.at(self.pos()))
    }

    fn deserialize_str<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, Error> {
        let pos = self.pos();
        let result: Result<V::Value, Error> = match self.text() {
            Some(text) => visitor.visit_borrowed_str(text),
            None => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        };
        result.map_err(|e| e.at(pos))
    }

    fn deserialize_string<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.node.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_enum<V: Visitor<'d>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // Unit variants only: a scalar names the variant.
        let pos = self.pos();
        let result: Result<V::Value, Error> = match self.text() {
            Some(text) => visitor.visit_enum(text.into_deserializer()),
            None => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        };
        result.map_err(|e| e.at(pos))
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'d>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct ignored_any
    }
}

/// A mapping's entries, each key then its value.
struct Entries<'d, I> {
    entries: I,
    value: Option<NodeRef<'d>>,
}

impl<'d, I> MapAccess<'d> for Entries<'d, I>
where
    I: Iterator<Item = (NodeRef<'d>, NodeRef<'d>)>,
{
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'d>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(NodeDeserializer { node: key })
            .map(Some)
            .map_err(|e| e.at(key.span().start))
    }

    fn next_value_seed<V: DeserializeSeed<'d>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a mapping value was asked for before its key"))?;
        seed.deserialize(NodeDeserializer { node: value })
            .map_err(|e| e.at(value.span().start))
    }
}

/// A sequence's items.
struct Items<I> {
    items: I,
}

impl<'d, I> SeqAccess<'d> for Items<I>
where
    I: Iterator<Item = NodeRef<'d>>,
{
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'d>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        seed.deserialize(NodeDeserializer { node: item })
            .map(Some)
            .map_err(|e| e.at(item.span().start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::LineIndex;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Chart {
        name: String,
        version: Option<String>,
        replicas: Option<u32>,
        tags: Vec<String>,
    }

    fn read<T: for<'d> Deserialize<'d>>(text: &str) -> Result<T, Error> {
        let stream = crate::yaml::parse(text, &LineIndex::new(text));
        from_node(stream.docs[0].root())
    }

    fn at(e: &Error) -> (u32, u32) {
        let p = e.pos.expect("a position");
        (p.line, p.col)
    }

    #[test]
    fn reads_typed_values_and_keeps_strings_as_written() {
        let c: Chart = read("name: web\nversion: 1.10\nreplicas: 3\ntags: [a, 'b']\n").unwrap();
        assert_eq!(c.version.as_deref(), Some("1.10"));
        assert_eq!(c.replicas, Some(3));
        assert_eq!(c.tags, ["a", "b"]);
    }

    #[test]
    fn errors_point_at_the_node() {
        let e = read::<Chart>("name: web\ntags:\n  - a\n  - [b]\n").unwrap_err();
        assert_eq!(at(&e), (4, 5), "{}", e.message);
        let e = read::<Chart>("name: web\ntags: []\nreplicas: many\n").unwrap_err();
        assert_eq!(at(&e), (3, 11), "{}", e.message);
        let e = read::<Chart>("name: web\ntags: []\nnmae: x\n").unwrap_err();
        assert_eq!(at(&e), (3, 1));
        assert!(e.message.contains("unknown field `nmae`"), "{}", e.message);
        // A missing field: at the mapping that lacks it.
        let e = read::<Chart>("\n  tags: []\n").unwrap_err();
        assert_eq!(at(&e), (2, 3));
        assert!(e.message.contains("missing field `name`"), "{}", e.message);
    }
}
