//! A rendered object as a parsed document, so that every rule reads what
//! Flux applies with the same [`NodeRef`](crate::yaml::NodeRef) API it
//! reads a file with.
//!
//! Each node keeps the span where its value was written, in the file that
//! wrote it ([`Document::sources`]): a finding on a node lands on the line
//! of the base, the patch or the transformer entry that set it.

use crate::workspace::Workspace;
use crate::yaml::node::{Entry as YamlEntry, Node as YamlNode, NodeSource};
use crate::yaml::{Document, NodeId, NodeKind, Scalar as YamlScalar, ScalarStyle};

use super::tree::{Node, Origin, Value};

/// The arena of one rendered object, with the origin of each node.
pub fn to_document(root: &Node, ws: &Workspace) -> Document {
    let mut arena = Arena {
        ws,
        nodes: Vec::new(),
        sources: Vec::new(),
    };
    let root_id = arena.push_node(root);
    let span = arena.nodes[root_id as usize].span();
    Document {
        nodes: arena.nodes,
        tags: Vec::new(),
        root: root_id,
        index: 0,
        span,
        sources: arena.sources,
    }
}

struct Arena<'w> {
    ws: &'w Workspace,
    nodes: Vec<YamlNode>,
    sources: Vec<NodeSource>,
}

impl Arena<'_> {
    fn push(&mut self, kind: NodeKind, origin: Origin) -> NodeId {
        let id = NodeId::try_from(self.nodes.len()).unwrap_or(NodeId::MAX);
        self.nodes.push(YamlNode::new(kind, origin.span(self.ws)));
        self.sources.push(NodeSource {
            file: origin.file,
            step: origin.step(),
        });
        id
    }

    fn push_node(&mut self, node: &Node) -> NodeId {
        match &node.value {
            Value::Scalar(s) => self.push(NodeKind::Scalar(s.to_yaml()), node.origin),
            Value::Seq(items) => {
                let ids = items.iter().map(|i| self.push_node(i)).collect();
                self.push(NodeKind::Seq(ids), node.origin)
            }
            Value::Map(entries) => {
                let ids = entries
                    .iter()
                    .map(|e| {
                        let key = YamlScalar {
                            value: e.key.clone(),
                            style: ScalarStyle::Plain,
                        };
                        YamlEntry {
                            key: self.push(NodeKind::Scalar(key), e.key_origin),
                            value: self.push_node(&e.value),
                        }
                    })
                    .collect();
                self.push(NodeKind::Map(ids), node.origin)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::ids::FileId;
    use crate::render::tree::Budget;
    use crate::workspace::config::Config;

    #[test]
    fn nodes_keep_their_file_and_position() {
        let ws = Workspace::in_memory(
            &[("a.yaml", "kind: A\nspec:\n  replicas: 3\n")],
            Config::default(),
        );
        let file = &ws.files[FileId::new(0)];
        let doc = &file.stream.docs[0];
        let tree =
            crate::render::tree::from_yaml(doc.root(), file.id, &|s| s, &mut Budget::new(100))
                .unwrap();
        let arena = to_document(&tree, &ws);
        let root = arena.root();
        let replicas = root.get("spec").and_then(|s| s.get("replicas")).unwrap();
        assert_eq!(replicas.as_str(), Some("3"));
        assert_eq!(
            (replicas.span().start.line, replicas.span().start.col),
            (3, 13)
        );
        assert_eq!(replicas.source().map(|s| s.file), Some(file.id));
    }
}
