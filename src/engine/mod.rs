//! Running the rules.
//!
//! A rule sees one file or one document as written, each object as Flux
//! applies it ([`objects`]), or the whole workspace (for cross-file and
//! cross-repo checks). Files are checked in parallel; nothing
//! here prints. The engine then applies severities (rule default < rule's own
//! choice < configuration), suppressions, and the run's filters.

pub mod config_schema;
pub mod docs;
pub mod objects;
pub mod precedence;
pub mod registry;
pub mod suppress;
#[doc(hidden)]
pub mod testing;

use std::sync::OnceLock;

use rayon::prelude::*;

use crate::base::finding::{Finding, Findings, Related, Severity};
use crate::base::ids::{DocId, FileId};
use crate::base::source::{Pos, Span};
use crate::graph::images::{workspace_images, FoundImage, ValuesFiles};
use crate::graph::{Graph, Target};
use crate::model::objects::ObjectMeta;
use crate::render::images::rendered_images;
use crate::render::tree::Origin;
use crate::render::workspace::{render_workspace, Renderings};
use crate::schema::helm_values::ChartSchemas;
use crate::schema::SchemaStore;
use crate::workspace::config::{Config, Profile};
use crate::workspace::load::ParsedFile;
use crate::workspace::Workspace;
use crate::yaml::{Document, NodeRef};

/// A rule's stable id (`prune-enabled`); its doc is `rules/<id>.md`.
/// [`declare_rule!`] implements it.
pub trait RuleId {
    fn id(&self) -> &'static str;
}

/// A lint rule. Implement the hooks the rule needs; the others do nothing.
pub trait Rule: RuleId + Send + Sync {
    /// Called once per file, before its documents.
    fn check_file(&self, _cx: &FileContext<'_>, _out: &mut Findings) {}

    /// Called once per document of every file, as written: for what only
    /// the text shows (duplicate keys, how a value is spelled).
    fn check_document(&self, _cx: &DocContext<'_>, _out: &mut Findings) {}

    /// Called once per object as Flux applies it: each object of each
    /// cluster's rendering (see [`objects`]), and each document no
    /// rendering covers, as written (an object or not: a Helm values file
    /// holds objects a chart renders as they are). Report on nodes
    /// ([`DocContext::finding`] with a [`NodeRef`]): a rendered node may
    /// have been written in another file.
    fn check_object(&self, _cx: &DocContext<'_>, _out: &mut Findings) {}

    /// Called once per run, with every file of every repository.
    fn check_workspace(&self, _cx: &RunContext<'_>, _out: &mut Findings) {}
}

/// Declares the rule of a rule file: its unit type, the `RULE` static that
/// `build.rs` registers, and `ID`, its id (a constant of
/// [`registry::ids`], so a mistyped id does not compile).
macro_rules! declare_rule {
    ($name:ident, $id:expr) => {
        struct $name;

        pub(crate) static RULE: &dyn $crate::engine::Rule = &$name;

        const ID: &str = $id;

        impl $crate::engine::RuleId for $name {
            fn id(&self) -> &'static str {
                ID
            }
        }
    };
}
pub(crate) use declare_rule;

/// What every check can see: the workspace, and what later stages build
/// from it — each built once, on first use, shared by every rule.
pub struct RunContext<'a> {
    pub config: &'a Config,
    pub workspace: &'a Workspace,
    graph: OnceLock<Graph>,
    renderings: OnceLock<Renderings>,
    schemas: OnceLock<SchemaStore>,
    images: OnceLock<Vec<FoundImage>>,
    chart_schemas: OnceLock<ChartSchemas>,
}

impl<'a> RunContext<'a> {
    pub fn new(workspace: &'a Workspace) -> Self {
        RunContext {
            config: &workspace.config,
            workspace,
            graph: OnceLock::new(),
            renderings: OnceLock::new(),
            schemas: OnceLock::new(),
            images: OnceLock::new(),
            chart_schemas: OnceLock::new(),
        }
    }

    /// What the run built, to be dropped elsewhere (freeing a large graph
    /// takes time a run need not wait for).
    pub fn into_built(self) -> (Option<Graph>, Option<Renderings>, Option<SchemaStore>) {
        (
            self.graph.into_inner(),
            self.renderings.into_inner(),
            self.schemas.into_inner(),
        )
    }

    /// The cross-repository graph.
    pub fn graph(&self) -> &Graph {
        self.graph.get_or_init(|| Graph::build(self.workspace))
    }

    /// What Flux applies: every cluster rendered, and every kustomization
    /// no cluster builds.
    pub fn renderings(&self) -> &Renderings {
        self.renderings
            .get_or_init(|| render_workspace(self.workspace, self.graph()))
    }

    /// The schemas documents are validated against: built-ins for the
    /// configured Kubernetes version, Flux, imported schemas and the CRDs in
    /// the workspace.
    pub fn schemas(&self) -> &SchemaStore {
        self.schemas
            .get_or_init(|| SchemaStore::for_workspace(self.workspace))
    }

    /// The compiled `values.schema.json` of the local charts releases use.
    pub fn chart_schemas(&self) -> &ChartSchemas {
        self.chart_schemas
            .get_or_init(|| ChartSchemas::build(self.workspace, self.graph()))
    }

    /// Every image the workspace would run (see
    /// [`crate::graph::images::workspace_images`]).
    pub fn images(&self) -> &[FoundImage] {
        self.images.get_or_init(|| {
            let renderings = self.renderings();
            let values = ValuesFiles::new(self.workspace);
            let (ws, graph) = (self.workspace, self.graph());
            let mut images = workspace_images(ws, graph, &renderings.covered, &values);
            images.extend(rendered_images(ws, graph, renderings, &values));
            images
        })
    }

    /// A finding at `span` of `file`, naming the object of document `doc`
    /// (if any).
    pub fn finding_at(
        &self,
        rule: &'static str,
        file: FileId,
        doc: Option<DocId>,
        span: Span,
        message: impl Into<String>,
    ) -> Finding {
        let file = self.workspace.file(file);
        let object = doc.and_then(|d| file.object(d));
        Finding::new(rule, file.path(), span, message).with_object(object.map(ObjectMeta::to_ref))
    }

    /// A place of another file a finding points at: the start of
    /// `target` (which may not exist), as reports show its path.
    pub fn related_at(&self, target: &Target, message: impl Into<String>) -> Related {
        Related {
            path: format!("{}{}", self.graph().display_prefix[target.repo], target.rel),
            span: Span::point(Pos::START),
            message: message.into(),
        }
    }

    /// A place a rendered value came from, as a related location.
    pub fn related_origin(&self, origin: &Origin, message: impl Into<String>) -> Related {
        Related {
            path: self.workspace.file(origin.file).path().to_string(),
            span: origin.span(self.workspace),
            message: message.into(),
        }
    }

    /// The environment a file belongs to: the first (in promotion order) of
    /// [`RunContext::envs_of`].
    pub fn env_of(&self, file: &ParsedFile) -> Option<&str> {
        self.graph().env_of(file.id)
    }

    /// Every environment a file is deployed to, in promotion order (see
    /// [`Graph::file_envs`]).
    pub fn envs_of(&self, file: &ParsedFile) -> &[String] {
        self.graph().envs_of(file.id)
    }
}

pub struct FileContext<'a> {
    pub run: &'a RunContext<'a>,
    pub file: &'a ParsedFile,
    /// The environment this file belongs to, looked up on first use: it
    /// needs the cross-repository index, which most checks of a file do
    /// not, so files are checked while the index is still being built.
    env: OnceLock<Option<&'a str>>,
}

pub struct DocContext<'a> {
    pub file: &'a FileContext<'a>,
    pub doc: &'a Document,
    /// The document's Kubernetes identity, if it is an object.
    pub object: Option<&'a ObjectMeta>,
    /// Set when the document is a rendered object: where it was rendered.
    pub rendered: Option<objects::Rendered<'a>>,
}

/// Where a finding of a document points: a node (in whichever file wrote
/// it, for a rendered object), or a span of the document's own file.
#[derive(Clone, Copy)]
pub enum At<'d> {
    Node(NodeRef<'d>),
    Span(Span),
}

impl<'d> From<NodeRef<'d>> for At<'d> {
    fn from(node: NodeRef<'d>) -> Self {
        At::Node(node)
    }
}

impl From<Span> for At<'_> {
    fn from(span: Span) -> Self {
        At::Span(span)
    }
}

impl<'a> FileContext<'a> {
    pub fn new(run: &'a RunContext<'a>, file: &'a ParsedFile) -> Self {
        FileContext {
            run,
            file,
            env: OnceLock::new(),
        }
    }

    /// For an object rendered in an environment (a cluster's).
    pub fn with_env(run: &'a RunContext<'a>, file: &'a ParsedFile, env: Option<&'a str>) -> Self {
        FileContext {
            run,
            file,
            env: OnceLock::from(env),
        }
    }

    /// The environment this file belongs to, when known.
    pub fn env(&self) -> Option<&'a str> {
        *self.env.get_or_init(|| self.run.env_of(self.file))
    }

    pub fn config(&self) -> &'a Config {
        self.run.config
    }

    /// The file's path as reports show it.
    pub fn path(&self) -> &'a str {
        &self.file.file.display
    }

    /// A finding in this file.
    pub fn finding(&self, rule: &'static str, span: Span, message: impl Into<String>) -> Finding {
        Finding::new(rule, self.path(), span, message)
    }
}

impl<'a> DocContext<'a> {
    pub fn config(&self) -> &'a Config {
        self.file.run.config
    }

    pub fn root(&self) -> NodeRef<'a> {
        self.doc.root()
    }

    pub fn env(&self) -> Option<&'a str> {
        self.file.env()
    }

    /// A finding in this document, naming its object: at a node, in the
    /// file that wrote it, or at a span of the document's own file.
    pub fn finding<'n>(
        &self,
        rule: &'static str,
        at: impl Into<At<'n>>,
        message: impl Into<String>,
    ) -> Finding {
        let (path, span) = match at.into() {
            At::Node(node) => match node.source() {
                Some(source) => (
                    self.file.run.workspace.file(source.file).path(),
                    node.span(),
                ),
                None => (self.file.path(), node.span()),
            },
            At::Span(span) => (self.file.path(), span),
        };
        Finding::new(rule, path, span, message).with_object(self.object.map(ObjectMeta::to_ref))
    }

    /// Whether the document is a rendered object, not a file as written.
    pub fn is_rendered(&self) -> bool {
        self.rendered.is_some()
    }

    /// The written document this object is: the document itself, or the
    /// one a rendered object was read from (`None` for a generated one).
    pub fn written(&self) -> Option<(FileId, DocId)> {
        let file = self.file.file;
        match self.rendered {
            Some(r) => {
                let resource = &r.applied().resource;
                let from = self.file.run.workspace.file(resource.file);
                let doc =
                    crate::render::workspace::document_at(from, resource.root.origin.offset())?;
                let generated = resource.generated.is_some();
                (!generated).then_some((resource.file, doc))
            }
            None => {
                let i = file
                    .stream
                    .docs
                    .iter()
                    .position(|d| std::ptr::eq(d, self.doc))?;
                Some((file.id, DocId::new(i)))
            }
        }
    }
}

/// Which rules run and what is reported.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only these rules (empty: all).
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// The lowest severity reported.
    pub min_severity: Option<Severity>,
}

/// The rules that run: not ignored, not turned off in the config, and on
/// the `flux` profile, no platform convention unless selected by name.
pub fn enabled_rules<'r>(
    rules: &[&'r dyn Rule],
    config: &Config,
    profile: Profile,
    selection: &Selection,
) -> Vec<&'r dyn Rule> {
    rules
        .iter()
        .copied()
        .filter(|r| rule_runs(r.id(), config, profile, selection).is_ok())
        .collect()
}

/// Whether rule `id` runs, and if not, why not (for `gitops-lint rules`).
pub fn rule_runs(
    id: &str,
    config: &Config,
    profile: Profile,
    selection: &Selection,
) -> Result<(), &'static str> {
    let selected = selection.select.iter().any(|s| s == id);
    let severity = config.rules.get(id).and_then(|s| s.severity);
    if !selection.select.is_empty() && !selected {
        return Err("not selected");
    }
    if selection.ignore.iter().any(|s| s == id) {
        return Err("ignored");
    }
    if severity == Some(None) {
        return Err("off in the config");
    }
    let platform_rule = docs::doc(id).is_some_and(|d| d.platform);
    let named = selected || severity.is_some();
    if platform_rule && profile == Profile::Flux && !named {
        return Err("a platform convention, and this is not the platform");
    }
    Ok(())
}

/// Runs `rules` over the workspace and returns every finding, severities
/// resolved and suppressions applied, sorted as docs/contract.md requires.
pub fn run(cx: &RunContext<'_>, rules: &[&dyn Rule], selection: &Selection) -> Vec<Finding> {
    // Files and workspace-wide rules run side by side: the per-file checks
    // go on while the cross-repository index is built, and a long
    // workspace rule (Helm values, images) does not wait for the last file.
    //
    // The workspace rules run one after another, each parallel inside.
    // Run as parallel jobs of their own, a rule initialising a shared
    // `OnceLock` (the workspace's images) with parallel work could, while
    // waiting, pick up a sibling rule's job that needs the same lock on the
    // same thread: a deadlock. Per-file checks touch no such lock.
    let (per_file, workspace) = rayon::join(
        || -> Vec<Vec<Finding>> {
            cx.workspace
                .files
                .par_iter()
                .map(|file| check_file(cx, rules, file))
                .collect()
        },
        || -> Vec<Vec<Finding>> {
            // Every run needs the index (report scopes, environments).
            // The chart schemas are compiled in parallel: not from inside
            // the object checks' parallel jobs (see above).
            cx.graph();
            cx.chart_schemas();
            let objects = objects::check_objects(cx, rules);
            std::iter::once(objects)
                .chain(rules.iter().map(|rule| {
                    let mut out = Findings::default();
                    rule.check_workspace(cx, &mut out);
                    out.into_vec()
                }))
                .collect()
        },
    );
    let mut findings: Vec<Finding> = per_file.into_iter().chain(workspace).flatten().collect();
    for f in &mut findings {
        f.severity = severity_of(f, cx.config);
    }
    let ran: Vec<&str> = rules.iter().map(|r| r.id()).collect();
    suppress::apply(cx, &mut findings, &ran);
    if let Some(min) = selection.min_severity {
        findings.retain(|f| f.severity >= min || f.suppressed.is_some());
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key() && a.span == b.span);
    findings
}

fn check_file(cx: &RunContext<'_>, rules: &[&dyn Rule], file: &ParsedFile) -> Vec<Finding> {
    let fcx = FileContext::new(cx, file);
    let mut out = Findings::default();
    for rule in rules {
        rule.check_file(&fcx, &mut out);
    }
    each_document(&fcx, |_| true, &mut |dcx| {
        for rule in rules {
            rule.check_document(dcx, &mut out);
        }
    });
    out.into_vec()
}

/// Calls `check` with each document of the file that `keep` accepts, as
/// written.
fn each_document<'a>(
    fcx: &'a FileContext<'a>,
    keep: impl Fn(DocId) -> bool,
    check: &mut dyn FnMut(&DocContext<'a>),
) {
    let file = fcx.file;
    for (i, (doc, object)) in file.stream.docs.iter().zip(&file.objects).enumerate() {
        if !keep(DocId::new(i)) {
            continue;
        }
        check(&DocContext {
            file: fcx,
            doc,
            object: object.as_ref(),
            rendered: None,
        });
    }
}

/// Config override, else the rule's own choice, else the documented default.
fn severity_of(f: &Finding, config: &Config) -> Severity {
    if let Some(Some(s)) = config.rules.get(f.rule).and_then(|s| s.severity) {
        return s;
    }
    f.explicit_severity
        .or_else(|| docs::doc(f.rule).map(|d| d.severity))
        .unwrap_or(Severity::Error)
}
