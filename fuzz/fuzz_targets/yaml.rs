//! Any bytes: parsed without a panic, every span inside the text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gitops_lint::fuzzing::yaml(data));
