//! Schemas: embedded Kubernetes and Flux schemas, imported and discovered
//! CRDs, and the engine that validates documents against them.

pub mod flux;
pub mod kubernetes;
pub mod notation;
