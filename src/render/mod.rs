//! What Flux applies: kustomize builds, in-process, with every rendered
//! value traced to the file and span that set it.
//!
//! [`kustomize::Builder`] builds a directory as `kustomize build` does
//! (and as kustomize-controller does for a directory without a
//! kustomization file). The objects it returns are [`tree::Node`] trees
//! whose every value carries an [`tree::Origin`]: the span in the file
//! that wrote it, and the [`kustomize::Step`] (patch, transformer,
//! generator) that put it there.

pub mod arena;
pub mod configurations;
pub mod fields;
pub mod flux;
pub mod generate;
pub mod images;
pub mod json_patch;
pub mod kustomization;
pub mod kustomize;
pub mod merge;
pub mod names;
pub mod pattern;
pub mod replace;
pub mod resource;
pub mod select;
pub mod strategy;
pub mod substitute;
pub mod tree;
pub mod workspace;

use serde_json::Value as Json;

use crate::base::ids::RepoId;
use crate::workspace::Workspace;

/// The objects Flux would apply from `dir` of the first repository of
/// `ws`, as JSON, and what the build could not do.
pub fn build_json(ws: &Workspace, dir: &str) -> (Vec<Json>, Vec<kustomize::Problem>) {
    let mut builder = kustomize::Builder::new(ws);
    let resources = builder.build_path(RepoId::new(0), dir);
    let objects = resources.iter().map(|r| r.root.to_json()).collect();
    (objects, builder.problems)
}
