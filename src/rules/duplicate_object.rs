//! `duplicate-object`: two documents with the same API group, kind,
//! namespace and name deployed to one environment, in any repositories of
//! the run. Flux applies both and the last one silently wins (or two
//! Kustomizations fight over the object). Reported once, at the later
//! document's `metadata.name`, with the first as related location.

use std::collections::BTreeMap;

use crate::engine::registry::ids;
use crate::engine::{declare_rule, Rule, RunContext};
use crate::base::ids::{DocId, FileId};
use crate::base::finding::{Finding, Findings, Related};
use crate::base::source::Span;

declare_rule!(DuplicateObject, ids::DUPLICATE_OBJECT);

impl Rule for DuplicateObject {
    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        let ws = cx.workspace;
        let graph = cx.graph();
        type Key<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, &'a str);
        let mut groups: BTreeMap<Key<'_>, Vec<(FileId, DocId)>> = BTreeMap::new();
        for o in graph.occurrences.iter() {
            let Some(env) = o.env.as_deref() else { continue };
            if o.generated || o.name.is_empty() {
                continue;
            }
            let docs = groups
                .entry((env, &o.group, &o.kind, o.namespace.as_deref(), &o.name))
                .or_default();
            if !docs.contains(&(o.file, o.doc)) {
                docs.push((o.file, o.doc));
            }
        }
        let name_span = |file: FileId, doc: DocId| -> Span {
            ws.files[file]
                .doc(doc)
                .map(|d| {
                    let root = d.root();
                    root.path(&["metadata", "name"]).map_or(d.span, |n| n.span())
                })
                .unwrap_or_default()
        };
        // (later doc, first doc) → environments; a doc is (file, index).
        type Doc = (FileId, DocId);
        let mut pairs: BTreeMap<(Doc, Doc), Vec<&str>> = BTreeMap::new();
        for ((env, ..), mut docs) in groups {
            if docs.len() < 2 {
                continue;
            }
            docs.sort_by_key(|&(f, d)| (ws.files[f].path().to_string(), name_span(f, d).start));
            for later in &docs[1..] {
                pairs.entry((*later, docs[0])).or_default().push(env);
            }
        }
        for (((lf, ld), (ff, fd)), envs) in pairs {
            let file = &ws.files[lf];
            let Some(meta) = file.object(ld) else { continue };
            let first = &ws.files[ff];
            let first_span = name_span(ff, fd);
            let ns = meta.namespace.as_deref().map_or(String::new(), |n| format!("{n}/"));
            out.push(
                Finding::new(
                    ID,
                    file.path(),
                    name_span(lf, ld),
                    format!(
                        "{} '{ns}{}' is also defined at {}:{} (environment {}); Flux applies both and the last one wins",
                        meta.kind,
                        meta.name.as_deref().unwrap_or(""),
                        first.path(),
                        first_span.start.line,
                        envs.join(", ")
                    ),
                )
                .with_object(Some(meta.to_ref()))
                .with_help("remove one of the two definitions, or rename one")
                .with_related(Related {
                    path: first.path().to_string(),
                    span: first_span,
                    message: "first defined here".into(),
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    const REPO: &str = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: k8s-payments\n  namespace: flux-system\nspec: {interval: 1m}\n";

    #[test]
    fn reports_the_later_one_with_the_first_as_related() {
        let f = run_rule(
            RULE,
            &[
                ("clusters/dev/systems/a.yaml", REPO),
                ("clusters/dev/systems/b.yaml", &format!("{REPO}---\n{REPO}")),
            ],
            "",
        );
        assert_eq!(positions(&f), [(ID, 4, 9), (ID, 11, 9)]);
        assert!(f.iter().all(|f| f.path == "clusters/dev/systems/b.yaml"));
        assert_eq!(f[0].related[0].path, "clusters/dev/systems/a.yaml");
        assert_eq!(f[0].related[0].span.start.line, 4);
    }

    #[test]
    fn other_environments_kinds_and_namespaces_are_not_duplicates() {
        let f = run_rule(
            RULE,
            &[
                ("clusters/dev/systems/a.yaml", REPO),
                ("clusters/prod/systems/a.yaml", REPO),
                ("clusters/dev/systems/b.yaml", &REPO.replace("GitRepository", "HelmRepository")),
                ("clusters/dev/systems/c.yaml", &REPO.replace("namespace: flux-system", "namespace: other")),
                ("apps/a.yaml", REPO),
                ("apps/b.yaml", REPO),
            ],
            "",
        );
        assert!(f.is_empty(), "{f:?}");
    }
}
