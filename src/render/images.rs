//! The images of rendered workloads, and where each was set: the
//! container's own `image`, or the `images:` entry (of a kustomization or
//! a Flux Kustomization) that replaced it; and the images a rendered
//! HelmRelease's own `spec.values` set (patched, substituted), layered
//! over its chart's values and `valuesFiles`.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::graph::images::{layered_images, pod_images, FoundImage, Place, ValuesFiles};
use crate::graph::values::{layers, Layer};
use crate::graph::Graph;
use crate::model::objects::{self, ObjectMeta, HELM_GROUP};
use crate::workspace::Workspace;
use crate::yaml::NodeRef;

use super::arena::to_document;
use super::flux::Applied;
use super::workspace::{document_at, Renderings};

/// Every container image of every rendered workload, once per place,
/// reference and environment (a base rendered in three clusters of one
/// environment is one image).
pub fn rendered_images(
    ws: &Workspace,
    graph: &Graph,
    renderings: &Renderings,
    values: &ValuesFiles<'_>,
) -> Vec<FoundImage> {
    let mut jobs: Vec<(&Applied, Option<String>)> = Vec::new();
    for cluster in &renderings.clusters {
        jobs.extend(
            cluster
                .rendering
                .objects
                .iter()
                .filter(|a| is_workload(a) || is_release(a))
                .map(|a| (a, cluster.env.clone())),
        );
    }
    jobs.extend(
        renderings
            .standalone
            .objects
            .iter()
            .filter(|a| is_workload(a) || is_release(a))
            .map(|a| (a, graph.env_of(a.resource.file).map(String::from))),
    );
    let found: Vec<FoundImage> = jobs
        .par_iter()
        .flat_map_iter(|(applied, env)| match is_release(applied) {
            true => release_images(ws, graph, applied, values, env),
            false => container_images(ws, applied, env),
        })
        .collect();
    let mut seen = HashSet::new();
    found
        .into_iter()
        .filter(|f| seen.insert((f.name_at, f.text.clone(), f.env.clone())))
        .collect()
}

fn is_workload(applied: &Applied) -> bool {
    let r = &applied.resource;
    objects::is_workload_kind(r.group(), r.kind())
}

fn is_release(applied: &Applied) -> bool {
    let r = &applied.resource;
    r.group() == HELM_GROUP && r.kind() == "HelmRelease"
}

/// The images a rendered HelmRelease's own `spec.values` set (those of its
/// values files are found once, with the releases that use them, in
/// `crate::graph::images`: helm-controller reads them as written).
fn release_images(
    ws: &Workspace,
    graph: &Graph,
    applied: &Applied,
    values: &ValuesFiles<'_>,
    env: &Option<String>,
) -> Vec<FoundImage> {
    let written_file = ws.file(applied.resource.file);
    let Some(position) = document_at(written_file, applied.resource.root.origin.offset()) else {
        return Vec::new();
    };
    let doc = to_document(&applied.resource.root, ws);
    let Some(meta) = ObjectMeta::of(&doc) else {
        return Vec::new();
    };
    let layers = layers(ws, graph, written_file, position, doc.root());
    let place = |layer: &Layer<'_>, node: NodeRef<'_>| {
        let span = node.span();
        match (layer.doc, node.source()) {
            (Some(_), Some(source)) => Place {
                file: source.file,
                doc: document_at(ws.file(source.file), span.start.offset),
                span,
            },
            _ => Place {
                file: layer.file.id,
                doc: layer.doc,
                span,
            },
        }
    };
    layered_images(graph, &meta, &layers, values, env.clone(), place)
        .into_iter()
        .filter(|image| image.name_at.doc.is_some())
        .collect()
}

fn container_images(ws: &Workspace, applied: &Applied, env: &Option<String>) -> Vec<FoundImage> {
    let doc = to_document(&applied.resource.root, ws);
    let Some(meta) = ObjectMeta::of(&doc) else {
        return Vec::new();
    };
    let Some(spec) = objects::pod_spec(&meta, doc.root()) else {
        return Vec::new();
    };
    let place = |value: NodeRef<'_>| {
        let span = value.span();
        let file = value.source().map_or(applied.resource.file, |s| s.file);
        Place {
            file,
            doc: document_at(ws.file(file), span.start.offset),
            span,
        }
    };
    pod_images(&meta, spec, env, place).collect()
}
