//! `duplicate-object`: two documents with the same API group, kind,
//! namespace and name deployed to one environment, in any repositories of
//! the run. Flux applies both and the last one silently wins (or two
//! Kustomizations fight over the object). Reported once, at the later
//! document's `metadata.name`, with the first as related location.
//!
//! What a cluster applies counts too: two objects of one cluster's
//! rendering with the same id after namespaces, prefixes and suffixes are
//! applied (two Kustomizations applying one name), and two resources with
//! the same id in one kustomize build (which kustomize refuses).

use std::collections::{BTreeMap, HashSet};

use crate::base::hash::{self, FastMap};
use crate::engine::registry::ids;
use crate::engine::{declare_rule, Rule, RunContext};
use crate::base::ids::{DocId, FileId};
use crate::base::finding::{Finding, Findings, Related};
use crate::base::source::Span;
use crate::render::kustomize::ProblemKind;
use crate::render::flux::Applied;
use crate::render::resource::Resource;
use crate::render::tree::Origin;

declare_rule!(DuplicateObject, ids::DUPLICATE_OBJECT);

impl Rule for DuplicateObject {
    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        let mut written = Findings::default();
        by_environment(cx, &mut written);
        let written = written.into_vec();
        let mut reported: HashSet<(String, Span)> =
            written.iter().map(|f| (f.path.clone(), f.span)).collect();
        for f in written {
            out.push(f);
        }
        in_renderings(cx, &mut reported, out);
    }
}

/// Objects of one cluster's rendering with one id, and the resources a
/// build refused as listed twice; not where the files as written already
/// said it.
fn in_renderings(cx: &RunContext<'_>, reported: &mut HashSet<(String, Span)>, out: &mut Findings) {
    let renderings = cx.renderings();
    for rendering in renderings.all() {
        for p in rendering.problems.iter().filter(|p| p.kind == ProblemKind::Duplicate) {
            let path = cx.workspace.file(p.file).path().to_string();
            if reported.insert((path, p.span)) {
                out.push(
                    cx.finding_at(ID, p.file, None, p.span, &p.message)
                        .with_help("kustomize fails the build: Flux applies nothing of this Kustomization; remove one of the two"),
                );
            }
        }
    }
    for cluster in &renderings.clusters {
        let objects = &cluster.rendering.objects;
        let mut first: FastMap<(&str, &str, Option<&str>, &str), &Applied> =
            hash::map_with_capacity(objects.len());
        for applied in objects {
            let r = &applied.resource;
            if r.name().is_empty() {
                continue;
            }
            let key = (r.group(), r.kind(), r.namespace(), r.name());
            let Some(earlier) = first.get(&key) else {
                first.insert(key, applied);
                continue;
            };
            let applier = |a: &Applied| a.applier.map(|i| &objects[i].resource);
            let (Some(one), Some(two)) = (applier(earlier), applier(applied)) else {
                continue;
            };
            let at = name_origin(r);
            let f = cx.finding_at(
                ID,
                at.file,
                None,
                at.span(cx.workspace),
                format!(
                    "{} is applied twice in {}: by Kustomization '{}' and by Kustomization '{}'; Flux applies both and the last one wins",
                    r.describe(),
                    cluster.dir,
                    one.name(),
                    two.name()
                ),
            );
            if !reported.insert((f.path.clone(), f.span)) {
                continue;
            }
            // Two definitions (not one file applied twice): show the other.
            let other = name_origin(&earlier.resource);
            let f = match other == at {
                true => f,
                false => f.with_related(cx.related_origin(&other, "also defined here")),
            };
            out.push(
                f.with_help("apply it from one Kustomization, or give the two different names or namespaces")
                    .with_related(cx.related_origin(&name_origin(one), "applied by this Kustomization"))
                    .with_related(cx.related_origin(&name_origin(two), "and by this one")),
            );
        }
    }
}

/// Where a rendered object's name was written.
fn name_origin(r: &Resource) -> Origin {
    r.root
        .path(&["metadata", "name"])
        .map_or(r.root.origin, |n| n.origin)
}

/// Documents of the files as written with one id in one environment.
fn by_environment(cx: &RunContext<'_>, out: &mut Findings) {
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
    fn one_object_applied_by_two_kustomizations_of_a_cluster() {
        let ks = |name: &str| {
            format!("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1m\n  path: ./apps\n  prune: true\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n")
        };
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: apps\n";
        let files = [
            ("clusters/main/flux-system.yaml", ks("flux-system").replace("./apps", "./clusters/main")),
            ("clusters/main/a.yaml", ks("a")),
            ("clusters/main/b.yaml", ks("b")),
            ("apps/settings.yaml", cm.to_string()),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let f = run_rule(RULE, &files, "");
        assert_eq!(positions(&f), [(ID, 4, 9)]);
        assert_eq!(f[0].path, "apps/settings.yaml");
        assert!(f[0].message.contains("by Kustomization 'a' and by Kustomization 'b'"), "{}", f[0].message);
        assert_eq!(f[0].related[0].path, "clusters/main/a.yaml");
        // Applied by one of them only: no finding.
        let f = run_rule(RULE, &files[..2].iter().copied().chain([files[3]]).collect::<Vec<_>>(), "");
        assert!(f.is_empty(), "{f:?}");
    }

    /// The pattern of a real AKS repository: two HelmReleases with one
    /// namespace and name, in two folders outside `clusters/`, applied to
    /// one cluster by two Kustomizations.
    #[test]
    fn two_releases_in_two_folders_applied_to_one_cluster() {
        let ks = |name: &str, path: &str| {
            format!("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1m\n  path: {path}\n  prune: true\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n")
        };
        let release = |chart: &str| {
            format!("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ingress\n  namespace: flux-system\nspec:\n  interval: 10m\n  chart:\n    spec: {{chart: {chart}, sourceRef: {{kind: HelmRepository, name: charts}}}}\n")
        };
        let files = [
            ("clusters/aks/flux-system.yaml", ks("flux-system", "./clusters/aks")),
            ("clusters/aks/infra.yaml", ks("infra", "./infrastructure/ingress")),
            ("clusters/aks/apps.yaml", ks("apps", "./apps/ingress")),
            ("infrastructure/ingress/release.yaml", release("nginx")),
            ("apps/ingress/release.yaml", release("traefik")),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let f = run_rule(RULE, &files, "");
        assert_eq!(positions(&f), [(ID, 4, 9)], "{f:#?}");
        assert_eq!(f[0].path, "infrastructure/ingress/release.yaml");
        assert_eq!(f[0].related[0].message, "also defined here");
        let related: Vec<&str> = f[0].related.iter().map(|r| r.path.as_str()).collect();
        assert!(related.contains(&"apps/ingress/release.yaml"), "{related:?}");
    }

    #[test]
    fn two_resources_with_one_id_in_a_build() {
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n";
        let f = run_rule(
            RULE,
            &[
                ("apps/kustomization.yaml", "resources: [a.yaml, b.yaml]\n"),
                ("apps/a.yaml", cm),
                ("apps/b.yaml", cm),
            ],
            "",
        );
        assert_eq!(positions(&f), [(ID, 4, 9)]);
        assert_eq!(f[0].path, "apps/b.yaml");
        assert!(f[0].message.contains("listed twice"), "{}", f[0].message);
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
