//! `dangling-ref`: a reference that names nothing the cluster holds. A
//! Kustomization's `sourceRef` and `dependsOn`; a HelmRelease's chart
//! `sourceRef`, `chartRef`, `dependsOn` and `valuesFrom` ConfigMaps and
//! Secrets.
//!
//! An object a cluster applies is judged as rendered — names after
//! prefixes, hash suffixes and post-build variables, namespaces after
//! `targetNamespace` — against everything that cluster's rendering holds,
//! and only when the rendering is complete (a Kustomization whose source
//! is not in the run, or a build that failed, could hold anything). A
//! document no rendering covers is judged as written, against the index
//! of the environment it is deployed to.

use std::collections::{BTreeMap, HashMap};

use crate::base::finding::{Finding, Findings, Severity};
use crate::base::ids::{DocId, FileId};
use crate::base::source::Span;
use crate::base::suggest;
use crate::engine::registry::ids;
use crate::engine::{declare_rule, DocContext, Rule, RunContext};
use crate::graph::Graph;
use crate::model::flux::{HelmReleaseView, KustomizationView, SourceRef};
use crate::model::objects::{group_of, makes_secrets, secrets_made_by, SELF_SOURCE};
use crate::yaml::scalar::Typing;
use crate::yaml::to_json::to_json;
use crate::model::objects::{HELM_GROUP, KUSTOMIZE_GROUP, OPERATOR_GROUP, SOURCE_GROUP};
use crate::render::workspace::Cluster;
use crate::workspace::Workspace;
use crate::yaml::NodeRef;

declare_rule!(DanglingRef, ids::DANGLING_REF);

impl Rule for DanglingRef {
    fn check_object(&self, cx: &DocContext<'_>, out: &mut Findings) {
        let (Some(meta), Some(rendered)) = (cx.object, cx.rendered) else {
            return;
        };
        let Some(cluster) = rendered.cluster else {
            return;
        };
        let ws = cx.file.run.workspace;
        let written = ws.file(rendered.applied().resource.file);
        let complete = cluster.is_complete();
        let refs = references(meta.group(), &meta.kind, meta.namespace.as_deref(), cx.root());
        for r in refs {
            if !complete && !platform_source(written.file.rel.as_str(), meta.group(), &r) {
                continue;
            }
            let external = cx.config().is_external(&r.kind, r.namespace.as_deref(), &r.name);
            if external || r.is_self_source() || cluster.holds(r.group, &r.kind, r.namespace.as_deref(), &r.name) {
                continue;
            }
            let f = match hashed_in(cluster, &r) {
                Some(hashed) => {
                    let (message, help) = hashed_words(&meta.display_name(), &r, hashed);
                    cx.finding(ID, r.node, message).with_help(help).about_absent(&r.kind, &r.name)
                }
                None => {
                    let (message, help) = words(&meta.display_name(), &r, similar_in(cluster, &r));
                    let f = cx.finding(ID, r.node, message).with_help(help);
                    graded(f.about_absent(&r.kind, &r.name), &r)
                }
            };
            out.push(f);
        }
        if complete && meta.is(KUSTOMIZE_GROUP, "Kustomization") {
            health_checks(cx, cluster, meta.namespace.as_deref(), out);
        }
    }

    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        let ws = cx.workspace;
        let cross = cx.graph();
        let covered = &cx.renderings().covered;
        // One finding per reference, naming every environment it dangles in.
        let mut dangling: BTreeMap<(FileId, DocId, Span), (Finding, Vec<String>)> = BTreeMap::new();
        let known = Known::of(ws, cross);
        for occ in cross.occurrences.iter().filter(|o| !o.generated) {
            if covered.contains(&(occ.file, occ.doc)) {
                continue;
            }
            let Some(root) = ws.files[occ.file].doc(occ.doc).map(|d| d.root()) else {
                continue;
            };
            let rel = ws.files[occ.file].file.rel.as_str();
            for r in references(&occ.group, &occ.kind, occ.namespace.as_deref(), root) {
                if !platform_source(rel, &occ.group, &r) && !cross.is_complete(occ.env.as_deref()) {
                    continue;
                }
                let external = cx.config.is_external(&r.kind, r.namespace.as_deref(), &r.name);
                if external || defined(&known, cross, occ.env.as_deref(), &r) {
                    continue;
                }
                let key = (occ.file, occ.doc, r.node.span());
                let entry = dangling.entry(key).or_insert_with(|| {
                    let file = &ws.files[occ.file];
                    let object = file.object(occ.doc).map(|m| m.to_ref());
                    let what = format!("{} '{}'", occ.kind, occ.name);
                    let (message, help) = words(&what, &r, known.similar(occ.env.as_deref(), &r));
                    let f = Finding::new(ID, file.path(), r.node.span(), message)
                        .with_object(object)
                        .with_help(help)
                        .about_absent(&r.kind, &r.name);
                    (graded(f, &r), Vec::new())
                });
                if let Some(e) = &occ.env {
                    if !entry.1.contains(e) {
                        entry.1.push(e.clone());
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

/// `spec.healthChecks` entries naming an object the cluster does not hold:
/// the Kustomization waits for it until its timeout, then fails. A
/// warning: only what the renderer sees is known — an object a Helm
/// chart installs is not rendered, so one in a namespace a HelmRelease
/// installs into is not judged.
fn health_checks(cx: &DocContext<'_>, cluster: &Cluster, own_ns: Option<&str>, out: &mut Findings) {
    let checks = cx.root().get("spec").and_then(|s| s.get("healthChecks"));
    for check in checks.into_iter().flat_map(|c| c.items()) {
        let (Some(kind), Some((_, name_node))) = (check.str_at(&["kind"]), check.get_entry("name")) else {
            continue;
        };
        let Some(name) = name_node.as_str() else {
            continue;
        };
        let group = check.str_at(&["apiVersion"]).map_or("", group_of);
        let ns = check.str_at(&["namespace"]).or(own_ns);
        let from_chart = !is_flux_group(group) && ns.is_some_and(|ns| cluster.helm_namespaces.contains(ns));
        let external = cx.config().is_external(kind, ns, name);
        if from_chart || external || cluster.holds(group, kind, ns, name) {
            continue;
        }
        let target = match ns {
            Some(ns) => format!("{kind} '{ns}/{name}'"),
            None => format!("{kind} '{name}'"),
        };
        let message = format!(
            "{} `spec.healthChecks` names {target}, which nothing in the cluster applies",
            cx.object.map(|m| m.display_name()).unwrap_or_default()
        );
        let help = format!(
            "the Kustomization waits for it until its timeout and then fails; fix the reference, or list {target} under `externalObjects` in .gitops-lint.yaml if something outside Git makes it"
        );
        out.push(
            cx.finding(ID, name_node, message)
                .with_help(help)
                .with_severity(Severity::Warning)
                .about_absent(kind, name),
        );
    }
}

fn is_flux_group(group: &str) -> bool {
    group.ends_with(".toolkit.fluxcd.io") || group == OPERATOR_GROUP
}

/// A platform Kustomization's own `sourceRef` (in `clusters/`): the
/// platform defines its sources, so it is judged even where the rest of
/// the environment is not known.
fn platform_source(rel: &str, group: &str, r: &Reference<'_>) -> bool {
    group == KUSTOMIZE_GROUP && r.field == "spec.sourceRef" && rel.starts_with("clusters/")
}

/// A ConfigMap or Secret may be made outside Git (the Secrets Store CSI
/// driver, External Secrets, an operator, a pipeline): not finding one in
/// the repositories is a warning that says how to declare it. A missing
/// Flux object stays an error.
fn graded(f: Finding, r: &Reference<'_>) -> Finding {
    if !r.may_be_made_outside_git() {
        return f;
    }
    let ns = r.namespace.as_deref().unwrap_or("*");
    let mut f = f.with_severity(Severity::Warning);
    let declare = format!(
        "if it is made outside Git, list it in .gitops-lint.yaml: `externalObjects: [{{kind: {}, namespace: {ns}, name: {}}}]`",
        r.kind, r.name
    );
    f.help = Some(match f.help.take() {
        Some(help) => format!("{help}; {declare}"),
        None => declare,
    });
    f
}

/// The message and help for a reference of `what` that names nothing.
fn words(what: &str, r: &Reference<'_>, similar: Option<&str>) -> (String, String) {
    let target = match &r.namespace {
        Some(ns) => format!("{} '{ns}/{}'", r.kind, r.name),
        None => format!("{} '{}'", r.kind, r.name),
    };
    let missing = match r.may_be_made_outside_git() {
        true => "which is not found in the repositories",
        false => "which is not defined",
    };
    let mut message = format!("{what} `{}` names {target}, {missing}", r.field);
    let help = match similar {
        Some(s) => {
            message.push_str(&format!("; did you mean '{s}'?"));
            format!("rename the reference to '{s}', or define {target}")
        }
        None => format!("define {target}, or remove the reference"),
    };
    (message, help)
}

/// The ConfigMap or Secret a generator made from the missing name: the
/// name with kustomize's hash suffix (`-` and ten characters).
fn hashed_in<'c>(cluster: &'c Cluster, r: &Reference<'_>) -> Option<&'c str> {
    if !matches!(r.kind.as_str(), "ConfigMap" | "Secret") || !r.group.is_empty() {
        return None;
    }
    let names = cluster.index.get(&(String::new(), r.kind.clone()))?;
    names.iter().find_map(|(ns, n)| {
        let hash = n.strip_prefix(r.name.as_str())?.strip_prefix('-')?;
        let is_hash = hash.len() == 10 && hash.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let same_ns = r.namespace.as_deref().is_none_or(|want| want == ns);
        (is_hash && same_ns).then_some(n.as_str())
    })
}

/// A reference to a generated object by its name before the hash.
fn hashed_words(what: &str, r: &Reference<'_>, hashed: &str) -> (String, String) {
    let message = format!(
        "{what} `{}` names {} '{}', but its generator names it '{hashed}': kustomize appends a content hash that this reference does not follow",
        r.field, r.kind, r.name
    );
    let help = format!(
        "set `options: {{disableNameSuffixHash: true}}` on the generator, or list a `configurations` file whose `nameReference` for {} includes this field (`{}`)",
        r.kind,
        r.field.trim_start_matches("spec.").replace('.', "/")
    );
    (message, help)
}

/// A name of the same kind the cluster holds that contains, or is
/// contained in, the missing one.
fn similar_in<'c>(cluster: &'c Cluster, r: &Reference<'_>) -> Option<&'c str> {
    let names = cluster.index.get(&(r.group.to_string(), r.kind.clone()))?;
    suggest::related(&r.name, names.iter().map(|(_, n)| n.as_str()))
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

/// The references of an object of `group`/`kind` in namespace `own_ns`.
fn references<'d>(group: &str, kind: &str, own_ns: Option<&str>, root: NodeRef<'d>) -> Vec<Reference<'d>> {
    let mut refs = Vec::new();
    let own_ns = own_ns.map(String::from);
    let mut push = |field: &'static str, group: &'static str, kind: &str, r: SourceRef<'d>| {
        let (Some(node), Some(name)) = (r.name_node, r.name) else {
            return;
        };
        refs.push(Reference {
            field,
            group,
            kind: kind.to_string(),
            name: name.to_string(),
            namespace: r.namespace.map(String::from).or_else(|| own_ns.clone()),
            node,
        });
    };
    let readable_source = |k: &str| matches!(k, "GitRepository" | "OCIRepository" | "Bucket" | "HelmRepository");
    let depends_on = |spec: Option<NodeRef<'d>>| {
        spec.and_then(|s| s.get("dependsOn"))
            .into_iter()
            .flat_map(|l| l.items())
            .map(SourceRef::of)
    };
    if group == KUSTOMIZE_GROUP && kind == "Kustomization" {
        let ks = KustomizationView::of(root);
        if let Some(r) = ks.source_ref() {
            if let Some(k) = r.kind.filter(|k| readable_source(k) && *k != "HelmRepository") {
                push("spec.sourceRef", SOURCE_GROUP, k, r);
            }
        }
        for d in depends_on(ks.spec()) {
            push("spec.dependsOn", KUSTOMIZE_GROUP, "Kustomization", d);
        }
    } else if group == HELM_GROUP && kind == "HelmRelease" {
        let hr = HelmReleaseView::of(root);
        if let Some(r) = hr.chart().and_then(|c| c.source_ref) {
            if let Some(k) = r.kind.filter(|k| readable_source(k)) {
                push("spec.chart.spec.sourceRef", SOURCE_GROUP, k, r);
            }
        }
        if let Some(r) = hr.chart_ref() {
            if let Some(k) = r.kind.filter(|k| *k == "OCIRepository") {
                push("spec.chartRef", SOURCE_GROUP, k, r);
            }
        }
        for d in depends_on(hr.spec()) {
            push("spec.dependsOn", HELM_GROUP, "HelmRelease", d);
        }
        for v in hr.values_from() {
            let optional = v.str_at(&["optional"]).is_some_and(|o| o == "true");
            let r = SourceRef::of(v);
            if let Some(k) = r.kind.filter(|k| matches!(*k, "ConfigMap" | "Secret")) {
                if !optional {
                    push("spec.valuesFrom", "", k, r);
                }
            }
        }
    }
    refs
}

impl Reference<'_> {
    /// A ConfigMap or Secret: something outside Git may make it.
    fn may_be_made_outside_git(&self) -> bool {
        self.group.is_empty() && matches!(self.kind.as_str(), "ConfigMap" | "Secret")
    }

    /// The cluster's own source, which `flux bootstrap` creates.
    fn is_self_source(&self) -> bool {
        self.group == SOURCE_GROUP && self.name == SELF_SOURCE
    }
}

fn defined(known: &Known<'_>, cross: &Graph, env: Option<&str>, r: &Reference<'_>) -> bool {
    if r.is_self_source() {
        return true;
    }
    if cross
        .find(env, r.group, &r.kind, &r.name, r.namespace.as_deref())
        .next()
        .is_some()
    {
        return true;
    }
    if r.group.is_empty() && r.kind == "Secret" && known.made_secret(env, r.namespace.as_deref(), &r.name) {
        return true;
    }
    // A FluxInstance's `spec.sync` creates a source named `spec.sync.name`.
    r.group == SOURCE_GROUP && known.synced(env, &r.name)
}

/// What the graph's objects name, gathered once per run: the names of
/// each group and kind with their environments (for suggestions), and the
/// sources FluxInstances' `spec.sync` create.
struct Known<'g> {
    by_kind: HashMap<(&'g str, &'g str), Vec<Named<'g>>>,
    synced: Vec<Named<'g>>,
    /// Secrets an ExternalSecret, SealedSecret… makes: (namespace, name,
    /// environment).
    made_secrets: Vec<(Option<&'g str>, String, Option<&'g str>)>,
}

/// A name, and the environment it is deployed in.
type Named<'g> = (&'g str, Option<&'g str>);

impl<'g> Known<'g> {
    fn of(ws: &'g Workspace, graph: &'g Graph) -> Known<'g> {
        let mut by_kind: HashMap<_, Vec<_>> = HashMap::new();
        let mut synced = Vec::new();
        let mut made_secrets = Vec::new();
        for o in graph.occurrences.iter() {
            if makes_secrets(&o.group, &o.kind) {
                if let Some(doc) = ws.file(o.file).doc(o.doc) {
                    let object = to_json(doc.root(), Typing::Kubernetes);
                    for name in secrets_made_by(&o.group, &o.kind, &object) {
                        made_secrets.push((o.namespace.as_deref(), name, o.env.as_deref()));
                    }
                }
            }
            by_kind
                .entry((o.group.as_str(), o.kind.as_str()))
                .or_default()
                .push((o.name.as_str(), o.env.as_deref()));
            if o.group == OPERATOR_GROUP && o.kind == "FluxInstance" {
                let doc = ws.file(o.file).doc(o.doc);
                let sync = doc.and_then(|d| d.root().str_at(&["spec", "sync", "name"]));
                if let Some(name) = sync {
                    synced.push((name, o.env.as_deref()));
                }
            }
        }
        Known {
            by_kind,
            synced,
            made_secrets,
        }
    }

    /// Whether an object in scope makes the Secret `namespace/name`.
    fn made_secret(&self, env: Option<&str>, namespace: Option<&str>, name: &str) -> bool {
        self.made_secrets.iter().any(|(ns, n, e)| {
            n == name
                && (namespace.is_none() || ns.is_none() || *ns == namespace)
                && (env.is_none() || e.is_none() || *e == env)
        })
    }

    /// Whether a FluxInstance in scope syncs from a source called `name`.
    fn synced(&self, env: Option<&str>, name: &str) -> bool {
        self.synced
            .iter()
            .any(|(n, e)| *n == name && (env.is_none() || e.is_none() || *e == env))
    }

    /// A name of the same kind in scope that contains, or is contained in,
    /// the missing one.
    fn similar(&self, env: Option<&str>, r: &Reference<'_>) -> Option<&'g str> {
        let same_kind = self.by_kind.get(&(r.group, r.kind.as_str()))?;
        let in_scope = same_kind
            .iter()
            .filter(|(_, e)| env.is_none() || e.is_none() || *e == env)
            .map(|(name, _)| *name);
        suggest::related(&r.name, in_scope)
    }
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
        // Where it dangles: the chain names the cluster.
        assert!(
            f[0].related.iter().any(|r| r.message.ends_with("in clusters/dev")),
            "{:?}",
            f[0].related
        );
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
                ("apps/kustomization.yaml", "resources: [web.yaml, repo.yaml]\nconfigMapGenerator:\n  - name: web-values\n    namespace: apps\n    literals: [a=b]\n    options: {disableNameSuffixHash: true}\n"),
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
                ("clusters/dev/infra.yaml", "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: infra-base, namespace: flux-system}\nspec:\n  path: ./infra\n  sourceRef: {kind: GitRepository, name: flux-system}\n"),
                ("infra/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n"),
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

    #[test]
    fn a_reference_to_a_hashed_generated_name_says_so() {
        let f = run_rule(
            RULE,
            &[
                ("clusters/dev/apps.yaml", &APPS.replace("  dependsOn:\n    - name: infra\n", "")),
                ("apps/kustomization.yaml", "resources: [web.yaml, repo.yaml]\nconfigMapGenerator:\n  - name: web-values\n    namespace: apps\n    literals: [a=b]\n"),
                ("apps/web.yaml", RELEASE),
                ("apps/repo.yaml", "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: charts, namespace: apps}\nspec: {url: https://charts.example.com}\n"),
            ],
            "",
        );
        assert_eq!(positions(&f), [(ID, 11, 13)]);
        assert!(f[0].message.contains("but its generator names it 'web-values-"), "{}", f[0].message);
        assert!(f[0].help.as_deref().unwrap().contains("disableNameSuffixHash"), "{:?}", f[0].help);
        // With a nameReference for the field, kustomize follows the hash.
        let config = "nameReference:\n- kind: ConfigMap\n  fieldSpecs:\n  - {path: spec/valuesFrom/name, kind: HelmRelease}\n";
        let f = run_rule(
            RULE,
            &[
                ("clusters/dev/apps.yaml", &APPS.replace("  dependsOn:\n    - name: infra\n", "")),
                ("apps/kustomization.yaml", "resources: [web.yaml, repo.yaml]\nconfigurations: [config.yaml]\nconfigMapGenerator:\n  - name: web-values\n    namespace: apps\n    literals: [a=b]\n"),
                ("apps/config.yaml", config),
                ("apps/web.yaml", RELEASE),
                ("apps/repo.yaml", "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: charts, namespace: apps}\nspec: {url: https://charts.example.com}\n"),
            ],
            "",
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn config_maps_and_secrets_may_live_outside_git() {
        let release = RELEASE.replace("      optional: true\n", "");
        let apps = APPS.replace("  dependsOn:\n    - name: infra\n", "");
        let repo = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: charts, namespace: apps}\nspec: {url: https://charts.example.com}\n";
        let files = |extra: &[(&'static str, &'static str)]| -> Vec<(String, String)> {
            let mut files = vec![
                ("clusters/dev/apps.yaml".to_string(), apps.clone()),
                ("apps/web.yaml".to_string(), release.clone()),
                ("apps/repo.yaml".to_string(), repo.to_string()),
            ];
            files.extend(extra.iter().map(|(p, t)| (p.to_string(), t.to_string())));
            files
        };
        let run = |files: Vec<(String, String)>, config: &str| {
            let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
            run_rule(RULE, &refs, config)
        };
        // Not in the repositories: a warning each, saying how to declare it.
        let f = run(files(&[]), "");
        assert_eq!(positions(&f), [(ID, 11, 13), (ID, 13, 13)]);
        assert!(f.iter().all(|f| f.explicit_severity == Some(Severity::Warning)));
        assert!(f[0].message.contains("which is not found in the repositories"), "{}", f[0].message);
        assert!(f[0].help.as_deref().unwrap().contains("externalObjects"), "{:?}", f[0].help);
        // Listed as external: never reported.
        let config = "externalObjects:\n  - {kind: ConfigMap, name: web-*}\n  - {kind: Secret, namespace: apps, name: web-secret}\n";
        assert!(run(files(&[]), config).is_empty());
        // Made by an ExternalSecret and a SecretProviderClass in the
        // repository: defined.
        let made: &[(&str, &str)] = &[
            ("apps/es.yaml", "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {name: es, namespace: apps}\nspec:\n  target: {name: web-secret}\n"),
            ("apps/spc.yaml", "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata: {name: spc, namespace: apps}\nspec:\n  provider: azure\n  secretObjects: [{secretName: other, type: Opaque}]\n"),
        ];
        let f = run(files(made), "");
        assert_eq!(positions(&f), [(ID, 11, 13)], "{f:?}");
        // The same, for a release no cluster renders (checked as written).
        let written: Vec<(String, String)> = files(made)
            .into_iter()
            .filter(|(p, _)| !p.starts_with("clusters/"))
            .map(|(p, t)| (p.replace("apps/", "loose/"), t))
            .collect();
        let f = run(written, "");
        assert_eq!(positions(&f), [(ID, 11, 13)], "{f:?}");
        assert_eq!(f[0].explicit_severity, Some(Severity::Warning));
    }

    #[test]
    fn health_checks_name_what_the_cluster_applies() {
        let apps = |checks: &str| {
            APPS.replace("  dependsOn:\n    - name: infra\n", &format!("  healthChecks:\n{checks}"))
        };
        let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: apps}\nspec: {}\n";
        let release = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: db, namespace: flux-system}\nspec:\n  targetNamespace: data\n  chart:\n    spec: {chart: db, sourceRef: {kind: HelmRepository, name: charts}}\n";
        let repo = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: charts, namespace: flux-system}\nspec: {url: https://charts.example.com}\n";
        let checks = "    - {apiVersion: apps/v1, kind: Deployment, name: web, namespace: apps}\n    - {apiVersion: apps/v1, kind: Deployment, name: wbe, namespace: apps}\n    - {apiVersion: apps/v1, kind: StatefulSet, name: db, namespace: data}\n    - {apiVersion: helm.toolkit.fluxcd.io/v2, kind: HelmRelease, name: dbb, namespace: flux-system}\n";
        let text = apps(checks);
        let f = run_rule(
            RULE,
            &[
                ("clusters/dev/apps.yaml", &text),
                ("apps/web.yaml", deploy),
                ("apps/db.yaml", release),
                ("apps/repo.yaml", repo),
            ],
            "",
        );
        // `wbe` is applied by nothing; the StatefulSet may be the chart's
        // (a HelmRelease installs into `data`); the HelmRelease `dbb` is
        // not there, and Flux objects are all rendered.
        assert_eq!(positions(&f), [(ID, 8, 53), (ID, 10, 72)], "{f:?}");
        assert!(f.iter().all(|f| f.explicit_severity == Some(Severity::Warning)));
        assert!(f[0].message.contains("Deployment 'apps/wbe', which nothing in the cluster applies"), "{}", f[0].message);
    }
}
