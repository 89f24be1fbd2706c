//! The images of rendered workloads, and where each was set: the
//! container's own `image`, or the `images:` entry (of a kustomization or
//! a Flux Kustomization) that replaced it.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::graph::images::{pod_images, FoundImage, Place};
use crate::graph::Graph;
use crate::model::objects::{self, ObjectMeta};
use crate::workspace::Workspace;
use crate::yaml::NodeRef;

use super::arena::to_document;
use super::flux::Applied;
use super::workspace::{document_at, Renderings};

/// Every container image of every rendered workload, once per place,
/// reference and environment (a base rendered in three clusters of one
/// environment is one image).
pub fn rendered_images(ws: &Workspace, graph: &Graph, renderings: &Renderings) -> Vec<FoundImage> {
    let mut jobs: Vec<(&Applied, Option<String>)> = Vec::new();
    for cluster in &renderings.clusters {
        jobs.extend(
            cluster
                .rendering
                .objects
                .iter()
                .filter(|a| is_workload(a))
                .map(|a| (a, cluster.env.clone())),
        );
    }
    jobs.extend(
        renderings
            .standalone
            .objects
            .iter()
            .filter(|a| is_workload(a))
            .map(|a| (a, graph.env_of(a.resource.file).map(String::from))),
    );
    let found: Vec<FoundImage> = jobs
        .par_iter()
        .flat_map_iter(|(applied, env)| container_images(ws, applied, env))
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
