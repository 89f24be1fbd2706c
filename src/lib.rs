//! gitops-lint: a fast static policy linter for Flux CD GitOps repositories.
//!
//! The pipeline, one module per stage, dependencies pointing one way:
//! [`discover`] files → [`load`] and parse them ([`yaml`], with spans) →
//! [`objects`] (typed views) → [`index`] (across repositories) → [`check`]
//! (schema and [`rules`]) → [`report`]. [`lint::lint`] runs it all.

pub mod check;
pub mod config;
pub mod discover;
pub mod finding;
pub mod index;
pub mod lint;
pub mod load;
pub mod objects;
pub mod report;
pub mod rules;
pub mod schema;
pub mod source;
pub mod yaml;

pub use finding::{Finding, Severity};
pub use lint::{lint, LintError, Options};
pub use report::Report;
