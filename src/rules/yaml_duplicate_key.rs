//! `yaml-duplicate-key`: the same key twice in one mapping. Readers
//! disagree on which value wins (Go keeps the last, some tools the first, the
//! YAML spec forbids it), so the manifest means different things to different
//! tools. Reported at the second occurrence.

use std::collections::HashMap;

use crate::check::{DocContext, Rule};
use crate::finding::{Findings, Related};
use crate::yaml::{NodeKind, NodeRef};

pub(crate) static RULE: &dyn Rule = &YamlDuplicateKey;

struct YamlDuplicateKey;

const ID: &str = "yaml-duplicate-key";

impl Rule for YamlDuplicateKey {
    fn id(&self) -> &'static str {
        ID
    }

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
            let mut seen: HashMap<&str, NodeRef<'_>> = HashMap::with_capacity(entries.len());
            for e in entries {
                let key = NodeRef { doc: cx.doc, id: e.key };
                let Some(name) = key.as_scalar().map(|s| s.value.as_str()) else {
                    continue;
                };
                if name == "<<" {
                    continue;
                }
                match seen.get(name) {
                    Some(first) => {
                        let first_span = first.span();
                        out.push(
                            cx.finding(
                                ID,
                                key.span(),
                                format!(
                                    "duplicate key `{name}` (first defined at line {}); Kubernetes keeps the last value, other tools the first",
                                    first_span.start.line
                                ),
                            )
                            .with_help("remove one of the two keys, or merge their values")
                            .with_related(Related {
                                path: cx.file.path().to_string(),
                                span: first_span,
                                message: format!("`{name}` first defined here"),
                            }),
                        );
                    }
                    None => {
                        seen.insert(name, key);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::{positions, run_rule};

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
