//! Up to three files (split at `#%%` lines) with planted secrets: linted
//! without a panic, and no format shows a planted value.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gitops_lint::fuzzing::lint(data));
