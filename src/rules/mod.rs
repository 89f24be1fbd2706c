//! The rules, one file each. `build.rs` registers every file of this
//! directory (its `RULE` static) and embeds every `rules/<id>.md` doc.

include!(concat!(env!("OUT_DIR"), "/registry.rs"));

/// Rules implemented by the engine rather than a rule file.
pub const ENGINE_RULES: &[&str] = &[crate::check::suppress::RULE_ID];
