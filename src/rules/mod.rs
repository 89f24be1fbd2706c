//! The rules, one file each. `build.rs` registers every file of this
//! directory (its `RULE` static); its doc is `rules/<id>.md`.

include!(concat!(env!("OUT_DIR"), "/rules.rs"));

pub use crate::engine::registry::DOCS;

/// Rules implemented by the engine rather than a rule file.
pub const ENGINE_RULES: &[&str] = &[crate::engine::suppress::RULE_ID];
