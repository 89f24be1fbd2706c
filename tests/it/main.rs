//! The integration tests, one crate (one binary to link, where sixteen
//! took most of a cold `cargo test`): a module per area, each as its own
//! file of this folder. `cargo test --test it cli::` runs one area.

mod bad_input;
mod cache;
mod cli;
mod common;
mod corpus;
mod crossrepo;
mod fixtures;
mod flux_kinds;
mod flux_schema_conformance;
mod fuzz_regressions;
mod home_ops;
mod integrations;
mod layering;
mod pre_commit;
mod readme;
mod render_conformance;
mod rule_docs;
mod rules;
mod sarif;
mod schema_crds;
mod secrets;
mod spec_rules;
mod yaml_fast_path;
mod yaml_test_suite;
