//! Schemas: the embedded Kubernetes and Flux schemas, CRDs imported or found
//! in the workspace, and the engine that validates documents against them
//! (the `schema`, `unknown-kind` and `deprecated-api` rules use it).

pub mod apis;
pub mod cel;
pub mod crd;
pub mod flux;
pub mod helm_values;
pub mod kubernetes;
pub mod notation;
pub mod postbuild;
pub mod store;
pub mod structural;
pub mod validate;

pub use store::{SchemaEntry, SchemaSource, SchemaStore};

use std::path::Path;

/// What `gitops-lint schemas list` shows for the repository at `root`:
/// `(apiVersion, kind, source)` of the embedded Flux schemas, the imported
/// ones, and with `kubernetes` the built-ins of `kubernetes_version`; plus
/// the imported files that could not be read.
pub fn list(
    root: &Path,
    kubernetes_version: &str,
    kubernetes: bool,
) -> (Vec<(String, String, String)>, Vec<String>) {
    let (imported, problems) = crd::load_imported(root);
    let store = SchemaStore::new(kubernetes_version, Vec::new(), imported);
    let rows = store
        .entries()
        .into_iter()
        .filter(|e| kubernetes || !matches!(e.source, SchemaSource::Kubernetes(_)))
        .map(|e| {
            let source = match &e.source {
                SchemaSource::Imported(p) => {
                    let shown = p.strip_prefix(root).unwrap_or(p);
                    format!("imported ({})", shown.display())
                }
                other => other.to_string(),
            };
            (e.api_version.clone(), e.kind.clone(), source)
        })
        .collect();
    (rows, problems)
}
