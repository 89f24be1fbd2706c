//! gitops-lint: a fast static policy linter for Flux CD GitOps repositories.
//!
//! The pipeline, one module per stage, dependencies pointing one way:
//! [`discover`] files → [`load`] and parse them ([`yaml`], with spans) →
//! [`objects`] (typed views) → [`index`] (across repositories) → [`check`]
//! (schema and [`rules`]) → [`report`]. [`lint::lint`] runs it all.

pub mod azure;
pub mod check;
pub mod config;
pub mod discover;
pub mod finding;
#[doc(hidden)]
pub mod fuzzing;
pub mod images;
pub mod index;
pub mod kustomize;
pub mod lint;
pub mod load;
pub mod objects;
pub mod redact;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod schema;
pub mod source;
pub mod urls;
pub mod values;
pub mod values_schema;
pub mod yaml;

pub use finding::{Finding, Severity};
pub use lint::{lint, LintError, Options};
pub use report::Report;
