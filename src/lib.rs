//! gitops-lint: a fast static policy linter for Flux CD GitOps repositories.
//!
//! The pipeline, one folder per stage, imports pointing one way (the
//! README's architecture table; `tests/it/layering.rs` enforces it):
//! [`base`] → [`yaml`] → [`model`] → [`workspace`] → [`graph`] →
//! [`schema`] → [`engine`] → [`rules`] → [`report`] → [`fix`] → [`run`].
//!
//! The public API is what the command line and embedders need: [`lint`]
//! and its [`Options`], the [`Report`] and its [`Finding`]s, the
//! [`Format`]s and [`render`], the rule [`docs`], the [`config`] file, and
//! the embedded [`schemas`].

pub(crate) mod base;
pub(crate) mod engine;
/// `check --fix` and `--diff`.
pub mod fix;
pub(crate) mod graph;
pub(crate) mod model;
pub(crate) mod render;
pub(crate) mod report;
pub(crate) mod rules;
pub(crate) mod run;
pub(crate) mod schema;
pub(crate) mod workspace;
pub(crate) mod yaml;

#[doc(hidden)]
pub mod fuzzing;

pub use base::finding::{Applicability, Finding, Fix, ObjectRef, Related, Severity, Suppression};
pub use engine::Selection;
pub use report::{render, Format, PathView, RenderOptions, Report};

/// `check --statistics`: findings counted per rule.
pub mod statistics {
    pub use crate::report::statistics::{counts, json, text, RuleCount};
}
pub use run::{
    lint, lint_text, no_transparent_huge_pages, plan, repository_root, wait_for_cache_writes,
    LintError, Options, Plan, Progress, StdinFile, WORKER_STACK,
};
pub use workspace::discover::find_root;

/// "Did you mean …?" suggestions.
pub mod suggest {
    pub use crate::base::suggest::{closest, related};
}

/// The rule documents (`rules/<id>.md`, embedded): `rules`, `explain`,
/// SARIF rule metadata and the README's rule table come from here.
pub mod docs {
    pub use crate::engine::config_schema::text as config_schema;
    pub use crate::engine::docs::{
        all, doc, markdown_table, parse, unknown_rule, Catalog, CodeBlock, RuleDoc,
    };
}

/// The `.gitops-lint.yaml` configuration.
pub mod config {
    pub use crate::workspace::config::{
        discover, load, parse, Config, ConfigError, Profile, RuleCatalog, FILE_NAME, INIT_TEMPLATE,
    };
    pub use crate::workspace::profile::Decided;
}

/// The schemas documents are checked against: the list, and CRD import.
pub mod schemas {
    pub use crate::schema::crd;
    pub use crate::schema::list;
}

/// The crate's own stages, for its integration tests, benchmarks and fuzz
/// targets only: not a stable API.
#[doc(hidden)]
pub mod internals {
    pub mod base {
        pub use crate::base::{ids, source};
    }
    pub mod yaml {
        pub use crate::yaml::*;
    }
    pub mod model {
        pub use crate::model::objects;
    }
    pub mod workspace {
        pub use crate::workspace::{discover, load, Workspace};
    }
    pub mod render {
        pub use crate::render::*;
    }
    pub mod schema {
        pub use crate::schema::*;
    }
    pub mod engine {
        pub use crate::engine::{testing, Rule};
    }
    pub mod rules {
        pub use crate::rules::{DOCS, ENGINE_RULES, RULES};
    }
}
