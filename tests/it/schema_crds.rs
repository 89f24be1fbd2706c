//! The upstream Flux CRDs (`../shared/crds`, read by the test only) through
//! the schema engine: every served version converts and compiles, CEL rules
//! the crate cannot handle are counted (and can never report), and a typical
//! mistake is found at the same place as with the embedded schemas.

use crate::common;

use gitops_lint::internals::base::source::LineIndex;
use gitops_lint::internals::schema::cel::Skip;
use gitops_lint::internals::schema::crd;
use gitops_lint::internals::schema::validate::{self, CheckOptions};
use gitops_lint::internals::schema::{SchemaSource, SchemaStore};
use gitops_lint::internals::yaml::scalar::Typing;
use gitops_lint::internals::yaml::to_json::to_json;

fn upstream() -> Option<Vec<(String, crd::CrdVersion)>> {
    let dir = common::shared("crds")?;
    let groups = std::fs::read_dir(&dir).ok()?;
    let mut out = Vec::new();
    let mut files: Vec<_> = groups
        .filter_map(|g| g.ok())
        .filter(|g| g.path().is_dir())
        .flat_map(|g| {
            std::fs::read_dir(g.path())
                .into_iter()
                .flatten()
                .filter_map(|f| f.ok())
        })
        .map(|f| f.path())
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let stream = gitops_lint::internals::yaml::parse(&text, &LineIndex::new(&text));
        for doc in &stream.docs {
            let obj = to_json(doc.root(), Typing::Kubernetes);
            if crd::is_crd(&obj) {
                for v in crd::versions(&obj) {
                    out.push((path.display().to_string(), v));
                }
            }
        }
    }
    Some(out)
}

#[test]
fn every_upstream_crd_version_compiles_and_unsupported_cel_is_counted() {
    let Some(crds) = upstream() else { return };
    assert!(crds.len() >= 19, "{}", crds.len());
    let store = SchemaStore::new("1.33", crds, Vec::new());
    let (mut evaluated, mut transition, mut unsupported) = (0, 0, Vec::new());
    for e in store.entries() {
        if !matches!(e.source, SchemaSource::Discovered(_)) {
            continue;
        }
        let c = e
            .compiled()
            .unwrap_or_else(|| panic!("{e:?} does not compile"));
        evaluated += c.cel.len();
        for (spec, skip) in &c.cel_skipped {
            match skip {
                Skip::Transition => transition += 1,
                Skip::Unsupported(why) | Skip::TooComplex(why) => unsupported.push(format!(
                    "{} {}: {} ({why})",
                    e.api_version, e.kind, spec.rule
                )),
            }
        }
    }
    eprintln!(
        "CEL rules: {evaluated} evaluated, {transition} transition rules skipped, {} unsupported",
        unsupported.len()
    );
    assert!(evaluated > 20, "{evaluated}");
    // Every rule of the upstream Flux CRDs compiles with the `cel` crate;
    // a rule that did not would be skipped, never reported.
    assert!(unsupported.is_empty(), "{unsupported:#?}");
}

#[test]
fn upstream_and_embedded_schemas_agree_on_a_typo() {
    let Some(crds) = upstream() else { return };
    let text = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: payments\nspec:\n  interval: 5m\n  prune: true\n  sourceref:\n    kind: GitRepository\n    name: k8s-payments\n";
    let stream = gitops_lint::internals::yaml::parse(text, &LineIndex::new(text));
    let doc = &stream.docs[0];
    let meta = gitops_lint::internals::model::objects::ObjectMeta::of(doc).unwrap();
    let embedded = SchemaStore::new("1.33", Vec::new(), Vec::new());
    let discovered = SchemaStore::new("1.33", crds, Vec::new());
    let mut results = Vec::new();
    for store in [&embedded, &discovered] {
        let r = validate::resolve(store, &meta).unwrap();
        let c = r.entry.compiled().unwrap();
        let problems = validate::check(c, doc, &meta, None, CheckOptions::default());
        results.push(
            problems
                .iter()
                .map(|p| (p.span.start.line, p.span.start.col, p.message.clone()))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(results[0], results[1]);
    assert_eq!(
        results[0],
        [
            (
                5,
                1,
                "Kustomization.spec is missing the required field `sourceRef`".to_string()
            ),
            (
                8,
                3,
                "unknown field `sourceref` in Kustomization.spec — did you mean `sourceRef`?"
                    .to_string()
            ),
        ]
    );
}
