//! `yaml-duplicate-key`: the same key twice in one mapping. Readers
//! disagree on which value wins (Go keeps the last, some tools the first, the
//! YAML spec forbids it), so the manifest means different things to different
//! tools. Reported at the second occurrence.

use crate::engine::registry::ids;
use crate::engine::{declare_rule, DocContext, Rule};
use crate::base::finding::{Finding, Findings, Related};
use crate::base::source::Span;
use crate::yaml::{NodeKind, NodeRef};

declare_rule!(YamlDuplicateKey, ids::YAML_DUPLICATE_KEY);

impl Rule for YamlDuplicateKey {
    fn check_document(&self, cx: &DocContext<'_>, out: &mut Findings) {
        // Every mapping of the document, straight from the arena: no
        // recursion, and each mapping is seen once even if aliased.
        for node in &cx.doc.nodes {
            let NodeKind::Map(entries) = &node.kind else {
                continue;
            };
            if entries.len() < 2 {
                continue;
            }
            let key = |e: &crate::yaml::node::Entry| match &cx.doc.node(e.key).kind {
                NodeKind::Scalar(s) if s.value != "<<" => Some(s.value.as_str()),
                _ => None,
            };
            // Most mappings are small and have no duplicate: compare their
            // keys pairwise before sorting anything.
            if entries.len() <= 16 {
                let unique = entries.iter().enumerate().all(|(i, a)| {
                    key(a).is_none_or(|ka| entries[..i].iter().all(|b| key(b) != Some(ka)))
                });
                if unique {
                    continue;
                }
            }
            // Sorting (name, position) groups equal keys without hashing.
            let mut keys: Vec<(&str, usize)> = entries
                .iter()
                .enumerate()
                .filter_map(|(i, e)| Some((key(e)?, i)))
                .collect();
            keys.sort_unstable();
            for group in keys.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
                let first = NodeRef { doc: cx.doc, id: entries[group[0].1].key }.span();
                for &(name, i) in &group[1..] {
                    let key = NodeRef { doc: cx.doc, id: entries[i].key };
                    out.push(duplicate(cx, name, key, first));
                }
            }
        }
    }
}

fn duplicate(cx: &DocContext<'_>, name: &str, key: NodeRef<'_>, first: Span) -> Finding {
    cx.finding(
        ID,
        key.span(),
        format!(
            "duplicate key `{name}` (first defined at line {}); Kubernetes keeps the last value, other tools the first",
            first.start.line
        ),
    )
    .with_help("remove one of the two keys, or merge their values")
    .with_related(Related {
        path: cx.file.path().to_string(),
        span: first,
        message: format!("`{name}` first defined here"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    #[test]
    fn reports_the_second_key() {
        let f = run_rule(RULE, &[("a.yaml", "a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")], "");
        assert_eq!(
            positions(&f),
            [("yaml-duplicate-key", 4, 3), ("yaml-duplicate-key", 5, 1)]
        );
        assert_eq!(f[0].related[0].span.start.line, 3);
    }

    #[test]
    fn same_key_in_different_mappings_is_fine() {
        let f = run_rule(RULE, &[("a.yaml", "a: {x: 1}\nb: {x: 2}\n---\na: 1\n")], "");
        assert!(f.is_empty());
    }
}
