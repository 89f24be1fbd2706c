//! gitops-lint: a static policy linter for Flux CD GitOps repositories.

pub mod schema;
pub mod source;
pub mod yaml;
