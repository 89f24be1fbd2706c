//! Shared by every stage: source text and positions, findings,
//! typed ids, repository paths, suggestions.

pub mod finding;
pub mod hash;
pub mod ids;
pub mod paths;
pub mod source;
pub mod suggest;
