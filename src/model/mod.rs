//! What a YAML document means — Kubernetes object identity, typed
//! views of Flux objects, image references, Git URLs, kustomization files.

pub mod azure;
pub mod flux;
pub mod images;
pub mod kustomization;
pub mod objects;
pub mod urls;
