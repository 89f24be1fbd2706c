//! The Helm values a HelmRelease really uses, layer by layer.
//!
//! A HelmRelease's values are layered as helm-controller layers them: the
//! chart's `values.yaml` < each `spec.chart.spec.valuesFiles` entry in order
//! < `spec.values`. The chart and its values files live in the repository of
//! the chart's `sourceRef` GitRepository (as the graph resolved it); when
//! that repository is not in the workspace, only `spec.values` is known.
//! `valuesFrom` (ConfigMaps, Secrets) is not read.

use std::collections::HashSet;

use super::Graph;
use crate::base::ids::{DocId, FileId, RepoId};
use crate::base::paths::normalize;
use crate::model::flux::HelmReleaseView;
use crate::model::objects::{ObjectMeta, HELM_GROUP};
use crate::workspace::load::ParsedFile;
use crate::workspace::Workspace;
use crate::yaml::{Document, NodeRef};

/// One layer of a release's values.
#[derive(Debug, Clone, Copy)]
pub struct Layer<'a> {
    pub file: &'a ParsedFile,
    pub root: NodeRef<'a>,
    /// The HelmRelease's position among its file's documents, when the
    /// layer is its `spec.values`.
    pub doc: Option<DocId>,
    /// The chart's own `values.yaml` (defaults, not the team's choice).
    pub chart_defaults: bool,
}

/// A HelmRelease and the values it uses, lowest layer first.
#[derive(Debug)]
pub struct Release<'a> {
    pub file: &'a ParsedFile,
    /// Its document in `file`.
    pub position: DocId,
    pub meta: &'a ObjectMeta,
    pub layers: Vec<Layer<'a>>,
}

/// Every HelmRelease of the workspace with its layers, and the values files
/// some release uses.
pub struct Releases<'a> {
    pub list: Vec<Release<'a>>,
    pub used_files: HashSet<FileId>,
}

/// The first document of a values file, if it is a mapping.
pub(super) fn values_root(file: &ParsedFile) -> Option<NodeRef<'_>> {
    file.stream
        .docs
        .first()
        .map(Document::root)
        .filter(|r| r.is_map())
}

pub fn is_helm_release(meta: &ObjectMeta) -> bool {
    meta.is(HELM_GROUP, "HelmRelease")
}

/// The repository holding a release's chart: the one the graph resolved
/// when it followed the release; else the checkout named like its
/// `sourceRef` GitRepository; failing that, the release's own repository
/// when the chart is there (a system repository checked on its own).
fn chart_repo(ws: &Workspace, graph: &Graph, file: &ParsedFile, doc: DocId) -> Option<RepoId> {
    if let Some(helm) = graph.helm_use(file.id, doc) {
        return Some(helm.chart_repo);
    }
    let chart = HelmReleaseView::of(file.doc(doc)?.root()).chart()?;
    let source = chart.source_ref?;
    if source.kind != Some("GitRepository") {
        return None;
    }
    if let Some(&repo) = graph.source_repos.get(source.name?) {
        return Some(repo);
    }
    let own = file.file.repo;
    let values = normalize(&format!("{}/values.yaml", chart.chart?))?;
    ws.file_at(own, &values).map(|_| own)
}

/// The values layers of the HelmRelease written at `position` of `file`,
/// lowest first: the chart's `values.yaml`, each `valuesFiles` entry, then
/// `spec.values` of `root` — the release as written, or as a cluster
/// applies it (patched, substituted).
pub fn layers<'a>(
    ws: &'a Workspace,
    graph: &Graph,
    file: &'a ParsedFile,
    position: DocId,
    root: NodeRef<'a>,
) -> Vec<Layer<'a>> {
    layers_of(ws, graph, file, position, root, &mut HashSet::new())
}

fn layers_of<'a>(
    ws: &'a Workspace,
    graph: &Graph,
    file: &'a ParsedFile,
    position: DocId,
    root: NodeRef<'a>,
    used: &mut HashSet<FileId>,
) -> Vec<Layer<'a>> {
    let release = HelmReleaseView::of(root);
    let mut layers = Vec::new();
    if let (Some(repo), Some(chart)) = (chart_repo(ws, graph, file, position), release.chart()) {
        let defaults = chart.chart.map(|dir| (format!("{dir}/values.yaml"), true));
        let files = chart
            .values_file_entries()
            .map(|(_, p)| (p.to_string(), false));
        for (path, chart_defaults) in defaults.into_iter().chain(files) {
            let Some(id) = normalize(&path).and_then(|rel| ws.file_at(repo, &rel)) else {
                continue;
            };
            let values_file = ws.file(id);
            if let Some(root) = values_root(values_file) {
                used.insert(id);
                layers.push(Layer {
                    file: values_file,
                    root,
                    doc: None,
                    chart_defaults,
                });
            }
        }
    }
    if let Some(values) = release.values() {
        layers.push(Layer {
            file,
            root: values,
            doc: Some(position),
            chart_defaults: false,
        });
    }
    layers
}

/// Every HelmRelease in the workspace's manifests, with its values layers.
pub fn releases<'w>(ws: &'w Workspace, graph: &Graph) -> Releases<'w> {
    let mut used = HashSet::new();
    let mut list = Vec::new();
    for file in ws.files.iter().filter(|f| f.file.kind.holds_manifests()) {
        for (position, (doc, meta)) in file.stream.docs.iter().zip(&file.objects).enumerate() {
            let Some(meta) = meta.as_ref().filter(|m| is_helm_release(m)) else {
                continue;
            };
            let layers = layers_of(ws, graph, file, DocId::new(position), doc.root(), &mut used);
            list.push(Release {
                file,
                position: DocId::new(position),
                meta,
                layers,
            });
        }
    }
    Releases {
        list,
        used_files: used,
    }
}

/// The value of a top-level key in layered values: the last layer that sets
/// it, with its key and value nodes. A `null` in a later layer removes it.
pub fn top_level<'a>(
    layers: &[Layer<'a>],
    key: &str,
) -> Option<(Layer<'a>, NodeRef<'a>, NodeRef<'a>)> {
    let (layer, (k, v)) = layers
        .iter()
        .rev()
        .find_map(|l| l.root.get_entry(key).map(|e| (*l, e)))?;
    (!v.is_null()).then_some((layer, k, v))
}
