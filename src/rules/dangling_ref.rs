//! `dangling-ref`: a reference that names nothing the index knows. A
//! Kustomization's `sourceRef` and `dependsOn`; a HelmRelease's chart
//! `sourceRef`, `chartRef`, `dependsOn` and `valuesFrom` ConfigMaps and
//! Secrets. Looked up in the environment the referring object is deployed
//! to, across every repository of the run; only for kinds the index can
//! know about, and only where the environment was followed completely (a
//! system repository without a checkout could define anything).

use std::collections::BTreeMap;

use crate::engine::{Rule, RunContext};
use crate::base::finding::{Finding, Findings};
use crate::workspace::Workspace;
use crate::model::objects::{HELM_GROUP, KUSTOMIZE_GROUP, OPERATOR_GROUP, SOURCE_GROUP};
use crate::base::ids::FileId;
use crate::graph::{Graph, Occurrence};
use crate::model::objects::SELF_SOURCE;
use crate::base::source::Span;
use crate::yaml::NodeRef;

pub(crate) static RULE: &dyn Rule = &DanglingRef;

struct DanglingRef;

const ID: &str = "dangling-ref";

impl Rule for DanglingRef {
    fn id(&self) -> &'static str {
        ID
    }

    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        let ws = cx.workspace;
        let cross = cx.graph();
        // One finding per reference, naming every environment it dangles in.
        let mut dangling: BTreeMap<(FileId, usize, Span), (Finding, Vec<String>)> = BTreeMap::new();
        for occ in cross.occurrences.iter().filter(|o| !o.generated) {
            let Some(root) = ws.files[occ.file].stream.docs.get(occ.doc).map(|d| d.root()) else {
                continue;
            };
            for r in references(occ, root) {
                let in_platform = occ.group == KUSTOMIZE_GROUP
                    && r.field == "spec.sourceRef"
                    && ws.files[occ.file].file.rel.starts_with("clusters/");
                if !in_platform && !cross.is_complete(occ.env.as_deref()) {
                    continue;
                }
                if defined(ws, cross, occ.env.as_deref(), &r) {
                    continue;
                }
                let key = (occ.file, occ.doc, r.node.span());
                let env = occ.env.clone();
                let entry = dangling.entry(key).or_insert_with(|| {
                    (finding(ws, cross, occ, &r), Vec::new())
                });
                if let Some(e) = env {
                    if !entry.1.contains(&e) {
                        entry.1.push(e);
                    }
                }
            }
        }
        for (_, (mut f, envs)) in dangling {
            if !envs.is_empty() {
                f.message = format!("{} (environment {})", f.message, envs.join(", "));
            }
            out.push(f);
        }
    }
}

/// One reference of an object: what it names, and where.
struct Reference<'d> {
    field: &'static str,
    group: &'static str,
    kind: String,
    name: String,
    namespace: Option<String>,
    node: NodeRef<'d>,
}

fn references<'d>(occ: &Occurrence, root: NodeRef<'d>) -> Vec<Reference<'d>> {
    let mut refs = Vec::new();
    let Some(spec) = root.get("spec") else {
        return refs;
    };
    let own_ns = occ.namespace.clone();
    let mut push = |field: &'static str, group: &'static str, kind: &str, r: NodeRef<'d>| {
        let Some(node) = r.get("name") else { return };
        let Some(name) = node.as_str() else { return };
        refs.push(Reference {
            field,
            group,
            kind: kind.to_string(),
            name: name.to_string(),
            namespace: r.str_at(&["namespace"]).map(String::from).or_else(|| own_ns.clone()),
            node,
        });
    };
    let source_kind = |r: NodeRef<'_>| r.str_at(&["kind"]).map(String::from);
    let readable_source = |k: &str| matches!(k, "GitRepository" | "OCIRepository" | "Bucket" | "HelmRepository");
    if occ.group == KUSTOMIZE_GROUP && occ.kind == "Kustomization" {
        if let Some(r) = spec.get("sourceRef") {
            if let Some(k) = source_kind(r).filter(|k| readable_source(k) && k != "HelmRepository") {
                push("spec.sourceRef", SOURCE_GROUP, &k, r);
            }
        }
        for d in spec.get("dependsOn").into_iter().flat_map(|l| l.items()) {
            push("spec.dependsOn", KUSTOMIZE_GROUP, "Kustomization", d);
        }
    } else if occ.group == HELM_GROUP && occ.kind == "HelmRelease" {
        if let Some(r) = spec.path(&["chart", "spec", "sourceRef"]) {
            if let Some(k) = source_kind(r).filter(|k| readable_source(k)) {
                push("spec.chart.spec.sourceRef", SOURCE_GROUP, &k, r);
            }
        }
        if let Some(r) = spec.get("chartRef") {
            if let Some(k) = source_kind(r).filter(|k| k == "OCIRepository") {
                push("spec.chartRef", SOURCE_GROUP, &k, r);
            }
        }
        for d in spec.get("dependsOn").into_iter().flat_map(|l| l.items()) {
            push("spec.dependsOn", HELM_GROUP, "HelmRelease", d);
        }
        for v in spec.get("valuesFrom").into_iter().flat_map(|l| l.items()) {
            let optional = v.str_at(&["optional"]).is_some_and(|o| o == "true");
            if let Some(k) = source_kind(v).filter(|k| matches!(k.as_str(), "ConfigMap" | "Secret")) {
                if !optional {
                    push("spec.valuesFrom", "", &k, v);
                }
            }
        }
    }
    refs
}

fn defined(ws: &Workspace, cross: &Graph, env: Option<&str>, r: &Reference<'_>) -> bool {
    if r.group == SOURCE_GROUP && r.name == SELF_SOURCE {
        return true;
    }
    if cross
        .find(env, r.group, &r.kind, &r.name, r.namespace.as_deref())
        .next()
        .is_some()
    {
        return true;
    }
    // A FluxInstance's `spec.sync` creates a source named `spec.sync.name`.
    r.group == SOURCE_GROUP
        && cross
            .occurrences
            .iter()
            .filter(|o| o.group == OPERATOR_GROUP && o.kind == "FluxInstance")
            .filter(|o| env.is_none() || o.env.is_none() || o.env.as_deref() == env)
            .any(|o| {
                ws.files[o.file]
                    .stream
                    .docs
                    .get(o.doc)
                    .and_then(|d| d.root().str_at(&["spec", "sync", "name"]))
                    == Some(r.name.as_str())
            })
}

fn finding(ws: &Workspace, cross: &Graph, occ: &Occurrence, r: &Reference<'_>) -> Finding {
    let file = &ws.files[occ.file];
    let object = file.objects.get(occ.doc).and_then(|o| o.as_ref()).map(|m| m.to_ref());
    let target = match &r.namespace {
        Some(ns) => format!("{} '{ns}/{}'", r.kind, r.name),
        None => format!("{} '{}'", r.kind, r.name),
    };
    let mut message = format!(
        "{} '{}' `{}` names {target}, which is not defined",
        occ.kind, occ.name, r.field
    );
    let similar = similar_names(cross, occ.env.as_deref(), r);
    let help = if let Some(s) = similar.first() {
        message.push_str(&format!("; did you mean '{s}'?"));
        format!("rename the reference to '{s}', or define {target}")
    } else {
        format!("define {target}, or remove the reference")
    };
    Finding::new(ID, file.path(), r.node.span(), message)
        .with_object(object)
        .with_help(help)
}

/// Names of the same kind in scope that contain, or are contained in, the
/// missing one.
fn similar_names(cross: &Graph, env: Option<&str>, r: &Reference<'_>) -> Vec<String> {
    let mut names: Vec<String> = cross
        .occurrences
        .iter()
        .filter(|o| o.group == r.group && o.kind == r.kind)
        .filter(|o| env.is_none() || o.env.is_none() || o.env.as_deref() == env)
        .filter(|o| o.name != r.name && (o.name.contains(&r.name) || r.name.contains(&o.name)) && !o.name.is_empty())
        .map(|o| o.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    const APPS: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\nspec:\n  path: ./apps\n  dependsOn:\n    - name: infra\n  sourceRef: {kind: GitRepository, name: flux-system}\n";
    const RELEASE: &str = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web, namespace: apps}\nspec:\n  chart:\n    spec:\n      chart: web\n      sourceRef: {kind: HelmRepository, name: charts}\n  valuesFrom:\n    - kind: ConfigMap\n      name: web-values\n    - kind: Secret\n      name: web-secret\n      optional: true\n";

    #[test]
    fn reports_depends_on_chart_source_and_values_from() {
        let f = run_rule(
            RULE,
            &[("clusters/dev/apps.yaml", APPS), ("apps/web.yaml", RELEASE)],
            "",
        );
        assert_eq!(positions(&f), [(ID, 8, 47), (ID, 11, 13), (ID, 7, 13)]);
        let paths: Vec<_> = f.iter().map(|f| (f.path.as_str(), f.span.start.line)).collect();
        assert_eq!(
            paths,
            [("apps/web.yaml", 8), ("apps/web.yaml", 11), ("clusters/dev/apps.yaml", 7)]
        );
        assert!(f[2].message.contains("Kustomization 'flux-system/infra'"), "{}", f[2].message);
        assert!(f[2].message.contains("environment dev"), "{}", f[2].message);
    }

    #[test]
    fn defined_names_and_generated_configmaps_are_fine() {
        let infra = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: infra, namespace: flux-system}\nspec:\n  path: ./infra\n  sourceRef: {kind: GitRepository, name: flux-system}\n";
        let f = run_rule(
            RULE,
            &[
                ("clusters/dev/apps.yaml", APPS),
                ("clusters/dev/infra.yaml", infra),
                ("infra/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n"),
                ("apps/kustomization.yaml", "resources: [web.yaml, repo.yaml]\nconfigMapGenerator:\n  - name: web-values\n    namespace: apps\n    literals: [a=b]\n"),
                ("apps/web.yaml", RELEASE),
                ("apps/repo.yaml", "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: charts, namespace: apps}\nspec: {url: https://charts.example.com}\n"),
            ],
            "",
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn suggests_a_similar_name() {
        let f = run_rule(
            RULE,
            &[
                ("clusters/dev/apps.yaml", APPS),
                ("clusters/dev/infra.yaml", "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: infra-base, namespace: flux-system}\nspec:\n  path: ./\n  sourceRef: {kind: GitRepository, name: flux-system}\n"),
            ],
            "",
        );
        assert_eq!(positions(&f), [(ID, 7, 13)]);
        assert!(f[0].message.contains("did you mean 'infra-base'"), "{}", f[0].message);
    }

    #[test]
    fn an_environment_with_an_unfollowed_registration_is_not_judged() {
        let other = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: k8s-x, namespace: flux-system}\nspec: {url: https://example.com/x}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: x, namespace: flux-system}\nspec:\n  path: ./environments/dev/flux\n  sourceRef: {kind: GitRepository, name: k8s-x}\n";
        let f = run_rule(
            RULE,
            &[("clusters/dev/apps.yaml", APPS), ("clusters/dev/x.yaml", other)],
            "",
        );
        assert!(f.is_empty(), "{f:?}");
        // A platform Kustomization's own sourceRef is always judged.
        let broken = APPS.replace("name: flux-system}", "name: flux-sys}");
        let f = run_rule(
            RULE,
            &[("clusters/dev/apps.yaml", &broken), ("clusters/dev/x.yaml", other)],
            "",
        );
        assert_eq!(positions(&f), [(ID, 8, 42)]);
    }
}
