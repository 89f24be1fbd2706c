//! `yaml-truthy`: `yes`/`no`/`on`/`off` (and `y`/`n`, any case form YAML
//! 1.1 knows) as plain values. Kubernetes, Helm and Flux read YAML the Go
//! `yaml.v2` way, where these are booleans; YAML 1.2 tools (and people) read
//! strings. Write `true`/`false`, or quote the word if a string is meant.

use crate::base::finding::{Applicability, Findings, Fix};
use crate::engine::registry::ids;
use crate::engine::{declare_rule, DocContext, Rule};
use crate::schema::validate;
use crate::yaml::scalar::yaml11_bool;
use crate::yaml::NodeRef;

declare_rule!(YamlTruthy, ids::YAML_TRUTHY);

impl Rule for YamlTruthy {
    fn check_document(&self, cx: &DocContext<'_>, out: &mut Findings) {
        let values = Values::of(cx.root());
        for (i, node) in values.nodes.iter().map(|v| v.node).enumerate() {
            let Some(s) = node.as_scalar() else { continue };
            if node.is_alias() || !s.style.is_plain() || node.tag().is_some() {
                continue;
            }
            let Some(b) = yaml11_bool(&s.value) else {
                continue;
            };
            let span = node.span();
            let finding = cx.finding(
                ID,
                span,
                format!(
                    "`{}` is the boolean {b} to Kubernetes (YAML 1.1) but a string to YAML 1.2 readers; write `{b}`, or quote it if you mean the string",
                    s.value
                ),
            );
            // Where the schema says boolean, `true`/`false` is the answer
            // and needs no tool; elsewhere the word was most likely meant
            // as a string, and quoting it keeps every YAML 1.2 reader's
            // reading. That is safe where the schema says string (the API
            // server refuses the boolean); elsewhere (Helm values, kinds
            // without a schema) a reader may test it as a boolean.
            let path = values.path(i);
            if typed_as(cx, &path, "boolean") {
                out.push(finding);
                continue;
            }
            let applicability = if typed_as(cx, &path, "string") {
                Applicability::Safe
            } else {
                Applicability::Unsafe
            };
            out.push(finding.with_fix(Fix {
                description: format!("quote `{}` so that it stays a string", s.value),
                span,
                replacement: format!("\"{}\"", s.value),
                applicability,
            }));
        }
    }
}

/// Whether the document's schema types the value at `path` as `ty`.
fn typed_as(cx: &DocContext<'_>, path: &[String], ty: &str) -> bool {
    cx.object
        .is_some_and(|meta| validate::types_as(cx.file.run.schemas(), meta, path, ty))
}

/// Every value node (the root, mapping values, sequence items), each with
/// its parent and its key or index: a path is built only for a value that
/// fires. Walked without recursion (documents may nest deep).
struct Values<'d> {
    nodes: Vec<Value<'d>>,
}

struct Value<'d> {
    node: NodeRef<'d>,
    parent: usize,
    step: Step<'d>,
}

enum Step<'d> {
    Root,
    Key(&'d str),
    Index(usize),
}

impl<'d> Values<'d> {
    fn of(root: NodeRef<'d>) -> Self {
        let mut nodes = vec![Value {
            node: root,
            parent: 0,
            step: Step::Root,
        }];
        let mut next = 0;
        while let Some(parent) = nodes.get(next).map(|v| v.node) {
            for (key, node) in parent.entries() {
                let step = Step::Key(key.as_str().unwrap_or("?"));
                nodes.push(Value { node, parent: next, step });
            }
            for (i, node) in parent.items().enumerate() {
                nodes.push(Value { node, parent: next, step: Step::Index(i) });
            }
            next += 1;
        }
        Values { nodes }
    }

    /// The path from the root to value `i`.
    fn path(&self, mut i: usize) -> Vec<String> {
        let mut path = Vec::new();
        loop {
            let v = &self.nodes[i];
            match v.step {
                Step::Root => break,
                Step::Key(k) => path.push(k.to_string()),
                Step::Index(n) => path.push(n.to_string()),
            }
            i = v.parent;
        }
        path.reverse();
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    #[test]
    fn flags_yaml11_booleans_in_values_and_items() {
        let f = run_rule(RULE, &[("v.yaml", "a: yes\nb: [On, x]\nc: \"no\"\non: true\n")], "");
        assert_eq!(positions(&f), [("yaml-truthy", 1, 4), ("yaml-truthy", 2, 5)]);
        assert_eq!(f[0].fix.as_ref().unwrap().replacement, "\"yes\"");
        assert_eq!(f[1].fix.as_ref().unwrap().replacement, "\"On\"");
    }

    #[test]
    fn a_field_the_schema_types_boolean_gets_no_fix() {
        let ks = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: a, namespace: flux-system, annotations: {x: n}}\nspec:\n  interval: 1m\n  path: ./a\n  prune: yes\n  sourceRef: {kind: GitRepository, name: s}\n";
        let f = run_rule(RULE, &[("ks.yaml", ks)], "");
        assert_eq!(positions(&f), [("yaml-truthy", 3, 62), ("yaml-truthy", 7, 10)]);
        // An annotation is a string: quoting keeps it one.
        assert_eq!(f[0].fix.as_ref().unwrap().replacement, "\"n\"");
        // `spec.prune` is a boolean: no fix turns a word into one.
        assert!(f[1].fix.is_none(), "{:?}", f[1].fix);
    }

    #[test]
    fn leaves_quoted_words_keys_and_real_booleans_alone() {
        let f = run_rule(RULE, &[("v.yaml", "on: 'yes'\nb: true\nc: !!str off\nd: yesterday\n")], "");
        assert!(f.is_empty(), "{f:?}");
    }
}
