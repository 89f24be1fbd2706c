//! `yaml-truthy`: `yes`/`no`/`on`/`off` (and `y`/`n`, any case form YAML
//! 1.1 knows) as plain values. Kubernetes, Helm and Flux read YAML the Go
//! `yaml.v2` way, where these are booleans; YAML 1.2 tools (and people) read
//! strings. Write `true`/`false`, or quote the word if a string is meant.

use crate::engine::registry::ids;
use crate::engine::{declare_rule, DocContext, Rule};
use crate::base::finding::{Findings, Fix};
use crate::yaml::scalar::yaml11_bool;
use crate::yaml::{NodeId, NodeKind, NodeRef};

declare_rule!(YamlTruthy, ids::YAML_TRUTHY);

impl Rule for YamlTruthy {
    fn check_document(&self, cx: &DocContext<'_>, out: &mut Findings) {
        for id in value_ids(cx) {
            let node = NodeRef { doc: cx.doc, id };
            let Some(s) = node.as_scalar() else { continue };
            if node.is_alias() || !s.style.is_plain() || node.tag().is_some() {
                continue;
            }
            let Some(b) = yaml11_bool(&s.value) else {
                continue;
            };
            let span = node.span();
            out.push(
                cx.finding(
                    ID,
                    span,
                    format!(
                        "`{}` is the boolean {b} to Kubernetes (YAML 1.1) but a string to YAML 1.2 readers; write `{b}`, or quote it if you mean the string",
                        s.value
                    ),
                )
                .with_fix(Fix {
                    description: format!("replace `{}` with `{b}`", s.value),
                    span,
                    replacement: b.to_string(),
                }),
            );
        }
    }
}

/// The ids of every value node: mapping values, sequence items, the root.
fn value_ids<'a>(cx: &'a DocContext<'_>) -> impl Iterator<Item = NodeId> + 'a {
    let nested = cx.doc.nodes.iter().flat_map(|n| -> Box<dyn Iterator<Item = NodeId> + '_> {
        match &n.kind {
            NodeKind::Map(entries) => Box::new(entries.iter().map(|e| e.value)),
            NodeKind::Seq(items) => Box::new(items.iter().copied()),
            _ => Box::new(std::iter::empty()),
        }
    });
    std::iter::once(cx.doc.root).chain(nested)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    #[test]
    fn flags_yaml11_booleans_in_values_and_items() {
        let f = run_rule(RULE, &[("v.yaml", "a: yes\nb: [On, x]\nc: \"no\"\non: true\n")], "");
        assert_eq!(positions(&f), [("yaml-truthy", 1, 4), ("yaml-truthy", 2, 5)]);
        assert_eq!(f[0].fix.as_ref().unwrap().replacement, "true");
    }

    #[test]
    fn leaves_quoted_words_keys_and_real_booleans_alone() {
        let f = run_rule(RULE, &[("v.yaml", "on: 'yes'\nb: true\nc: !!str off\nd: yesterday\n")], "");
        assert!(f.is_empty(), "{f:?}");
    }
}
