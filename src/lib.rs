//! gitops-lint: a fast static policy linter for Flux CD GitOps repositories.
//!
//! The pipeline, one folder per stage, imports pointing one way (the
//! README's architecture table; `tests/layering.rs` enforces it).

pub mod base;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
pub mod graph;
pub mod model;
pub mod report;
pub mod rules;
pub mod run;
pub mod schema;
pub mod workspace;
pub mod yaml;

pub use base::finding::{Finding, Severity};
pub use report::Report;
pub use run::{lint, LintError, Options};
