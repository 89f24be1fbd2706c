//! Every input that ever crashed gitops-lint, or made it show a secret,
//! replayed through the fuzz targets' own properties
//! (`gitops_lint::fuzzing`): `testdata/fuzz/yaml/*` through the YAML
//! target, `testdata/fuzz/lint/*` through the lint target. A new crash
//! found by `cargo fuzz` is added there as a file.

use std::path::Path;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/fuzz")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.unwrap().path();
            (path.display().to_string(), std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no inputs in {}", dir.display());
    out
}

#[test]
fn yaml_target_inputs() {
    for (name, data) in inputs("yaml") {
        eprintln!("{name}");
        gitops_lint::fuzzing::yaml(&data);
    }
}

#[test]
fn lint_target_inputs() {
    for (name, data) in inputs("lint") {
        eprintln!("{name}");
        gitops_lint::fuzzing::lint(&data);
    }
}
