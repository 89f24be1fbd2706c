//! The object checks: every object as Flux applies it.
//!
//! An object a cluster applies is checked as rendered (patches, images,
//! prefixes, namespaces, post-build variables applied), once per cluster
//! that applies it; a document no rendering covers (a file outside every
//! kustomization Flux builds) is checked as written, unless a build reads
//! its file as a patch (a partial object). A finding on a
//! rendered value lands where the value was written — the base, the patch,
//! the transformer entry — and carries the chain that put it there as
//! related locations. One problem written once and rendered in several
//! places is reported once, naming each place it applies.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::base::finding::{Finding, Findings};
use crate::base::hash::FastSet;
use crate::base::ids::{DocId, FileId};
use crate::base::source::Span;
use crate::model::objects::ObjectMeta;
use crate::render::arena::to_document;
use crate::render::flux::{Applied, Rendering};
use crate::render::kustomize::{Step, StepKind, StepNote};
use crate::render::tree::{Node, Origin};
use crate::render::workspace::Cluster;
use crate::workspace::load::ParsedFile;
use crate::yaml::{Document, NodeRef};

use super::{precedence, DocContext, FileContext, Rule, RunContext};

/// A rendered object being checked: the rendering it belongs to and its
/// index there.
#[derive(Clone, Copy)]
pub struct Rendered<'a> {
    pub rendering: &'a Rendering,
    pub index: usize,
    /// The cluster that applies it, `None` for a kustomization built on
    /// its own.
    pub cluster: Option<&'a Cluster>,
}

impl<'a> Rendered<'a> {
    pub fn applied(&self) -> &'a Applied {
        &self.rendering.objects[self.index]
    }
}

/// Runs every rule's object check over every object of the run.
pub fn check_objects(cx: &RunContext<'_>, rules: &[&dyn Rule]) -> Vec<Finding> {
    let renderings = cx.renderings();
    let jobs: Vec<Rendered<'_>> = renderings
        .clusters
        .iter()
        .flat_map(|c| objects_of(&c.rendering, Some(c)))
        .chain(objects_of(&renderings.standalone, None))
        .collect();
    let rendered: Vec<Finding> = jobs
        .par_iter()
        .flat_map_iter(|r| check_rendered(cx, rules, *r))
        .collect();
    let written: Vec<Finding> = cx
        .workspace
        .files
        .par_iter()
        .filter(|file| !renderings.patches.contains(&file.id))
        .flat_map_iter(|file| check_written(cx, rules, file, &renderings.covered))
        .collect();
    let mut out = merge_renderings(rendered);
    out.extend(written);
    out
}

/// Each object of a rendering, as a job of the object checks.
fn objects_of<'a>(
    rendering: &'a Rendering,
    cluster: Option<&'a Cluster>,
) -> impl Iterator<Item = Rendered<'a>> {
    (0..rendering.objects.len()).map(move |index| Rendered {
        rendering,
        index,
        cluster,
    })
}

fn check_written(
    cx: &RunContext<'_>,
    rules: &[&dyn Rule],
    file: &ParsedFile,
    covered: &FastSet<(FileId, DocId)>,
) -> Vec<Finding> {
    let fcx = FileContext::new(cx, file);
    let mut found = Vec::new();
    let keep = |doc: DocId| !covered.contains(&(file.id, doc));
    super::each_document(&fcx, keep, &mut |dcx| {
        let mut out = Findings::default();
        for rule in rules {
            rule.check_object(dcx, &mut out);
        }
        found.extend(precedence::resolve(out.into_vec(), cx.config));
    });
    found
}

fn check_rendered(
    cx: &RunContext<'_>,
    rules: &[&dyn Rule],
    rendered: Rendered<'_>,
) -> Vec<Finding> {
    let applied = rendered.applied();
    let doc = to_document(&applied.resource.root, cx.workspace);
    let Some(meta) = ObjectMeta::of(&doc) else {
        return Vec::new();
    };
    let file = cx.workspace.file(applied.resource.file);
    // A cluster's objects are in its environment; a kustomization built on
    // its own is in its file's.
    let fcx = match rendered.cluster {
        Some(cluster) => FileContext::with_env(cx, file, cluster.env.as_deref()),
        None => FileContext::new(cx, file),
    };
    let dcx = DocContext {
        file: &fcx,
        doc: &doc,
        object: Some(&meta),
        rendered: Some(rendered),
    };
    let mut out = Findings::default();
    for rule in rules {
        rule.check_object(&dcx, &mut out);
    }
    let mut findings = precedence::resolve(out.into_vec(), cx.config);
    for f in &mut findings {
        trace(cx, &doc, rendered, f);
    }
    findings
}

/// Adds the chain that put the value a finding is on into the object —
/// the step that set it, the object it landed on, the Kustomization that
/// applies it — and keeps a fix only where it edits the value as written.
fn trace(cx: &RunContext<'_>, doc: &Document, rendered: Rendered<'_>, f: &mut Finding) {
    let ws = cx.workspace;
    let node = (0..doc.nodes.len())
        .map(|id| NodeRef { doc, id: id as u32 })
        .find(|n| {
            n.span() == f.span && n.source().is_some_and(|s| ws.file(s.file).path() == f.path)
        });
    let step = node.and_then(|n| n.source()).and_then(|s| s.step);
    let applied = rendered.applied();
    if let Some(step) = step {
        let step = &rendered.rendering.steps[step];
        match &step.note {
            Some(note) => explain_variable(cx, rendered, step, note, f),
            None => {
                let message = format!("set by {}", describe(step.what));
                let by = cx.related_origin(&step.at, message);
                // Said already when the finding is at the entry itself.
                if (by.path.as_str(), by.span) != (f.path.as_str(), f.span) {
                    f.related.push(by);
                }
            }
        }
    }
    let own_file = ws.file(applied.resource.file).path() == f.path;
    if !own_file {
        let (origin, what) = object_origin(&applied.resource.root);
        f.related
            .push(cx.related_origin(&origin, format!("on {what}")));
    }
    if let Some(applier) = applied.applier {
        let applier = &rendered.rendering.objects[applier].resource.root;
        let (origin, what) = object_origin(applier);
        let cluster = rendered
            .cluster
            .map(|c| format!(" in {}", c.dir))
            .unwrap_or_default();
        f.related
            .push(cx.related_origin(&origin, format!("applied by {what}{cluster}")));
    }
    // A fix edits the finding's text: only sound where the value is the
    // object's own text, not one a patch, transformer or variable made.
    if f.fix.is_some() && (step.is_some() || node.is_none()) {
        f.fix = None;
    }
}

/// A value a post-build variable wrote: which Kustomization substituted
/// it, the variable's value, and where it was set.
fn explain_variable(
    cx: &RunContext<'_>,
    rendered: Rendered<'_>,
    step: &Step,
    note: &StepNote,
    f: &mut Finding,
) {
    if let Some(applier) = rendered.applied().applier {
        let root = &rendered.rendering.objects[applier].resource.root;
        let name = root.str_at(&["metadata", "name"]).unwrap_or("");
        f.message.push_str(&format!(
            ", after post-build substitution by Kustomization '{name}'"
        ));
    }
    let at = cx.related_origin(&step.at, format!("set here, by {}", note.source));
    let told = format!(
        "{}, set at {}:{}:{} ({})",
        note.value, at.path, at.span.start.line, at.span.start.col, note.source
    );
    f.help = Some(match f.help.take() {
        Some(help) => format!("{told}\n{help}"),
        None => told,
    });
    f.related.push(at);
}

/// Where an object is named (its `metadata.name`, else its start), and
/// `Kind namespace/name`.
fn object_origin(root: &Node) -> (Origin, String) {
    let name = root.str_at(&["metadata", "name"]).unwrap_or("");
    let kind = root.str_at(&["kind"]).unwrap_or("object");
    let what = match root.str_at(&["metadata", "namespace"]) {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    };
    let origin = root
        .path(&["metadata", "name"])
        .map_or(root.origin, |n| n.origin);
    (origin, what)
}

fn describe(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Patch => "this patch",
        StepKind::Namespace => "this namespace",
        StepKind::NamePrefix => "this name prefix",
        StepKind::NameSuffix => "this name suffix",
        StepKind::Labels => "these labels",
        StepKind::Annotations => "these annotations",
        StepKind::Replicas => "this replicas entry",
        StepKind::Images => "this image entry",
        StepKind::Replacement => "this replacement",
        StepKind::Generator => "this generator",
        StepKind::HashSuffix => "this generator's name hash",
        StepKind::NameReference => "the name of this object",
        StepKind::Substitution => "this post-build variable",
    }
}

/// One finding per problem: the same finding from several renderings (a
/// base in each cluster) is reported once, with every place it applies as
/// a related location.
fn merge_renderings(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut seen: HashMap<(&'static str, String, Span, String), usize> = HashMap::new();
    for f in findings {
        let key = (f.rule, f.path.clone(), f.span, f.message.clone());
        match seen.get(&key) {
            Some(&i) => {
                let first = &mut out[i];
                for r in f.related {
                    if !first.related.contains(&r) {
                        first.related.push(r);
                    }
                }
            }
            None => {
                seen.insert(key, out.len());
                out.push(f);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::base::finding::Finding;
    use crate::engine::testing::run_rule;

    /// Runs the `schema` rule (any object rule would do).
    fn schema(files: &[(&str, &str)]) -> Vec<Finding> {
        let rule = crate::rules::RULES
            .iter()
            .find(|r| r.id() == "schema")
            .expect("the schema rule");
        run_rule(*rule, files, "")
    }

    fn sync(cluster: &str) -> String {
        format!("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./clusters/{cluster}\n  prune: true\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n")
    }

    fn apps(cluster: &str) -> String {
        sync(cluster)
            .replace("name: flux-system\n  namespace", "name: apps\n  namespace")
            .replace(&format!("./clusters/{cluster}"), "./apps")
    }

    #[test]
    fn a_base_rendered_in_two_clusters_is_one_finding_naming_both() {
        let files = [
            ("clusters/dev/flux-system.yaml".to_string(), sync("dev")),
            ("clusters/dev/apps.yaml".to_string(), apps("dev")),
            ("clusters/prod/flux-system.yaml".to_string(), sync("prod")),
            ("clusters/prod/apps.yaml".to_string(), apps("prod")),
            (
                "apps/settings.yaml".to_string(),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: apps\ndata: [1]\n".to_string(),
            ),
        ];
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let f = schema(&files);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            (f[0].path.as_str(), f[0].span.start.line),
            ("apps/settings.yaml", 6)
        );
        let appliers: Vec<&str> = f[0].related.iter().map(|r| r.message.as_str()).collect();
        assert_eq!(
            appliers,
            [
                "applied by Kustomization flux-system/apps in clusters/dev",
                "applied by Kustomization flux-system/apps in clusters/prod"
            ]
        );
    }

    #[test]
    fn a_document_no_rendering_covers_is_checked_as_written() {
        let f = schema(&[(
            "loose/settings.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: [1]\n",
        )]);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(f[0].related.is_empty());
    }
}
