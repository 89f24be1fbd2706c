//! Registers every rule: each `src/rules/<name>.rs` becomes a module whose
//! `RULE` joins the registry (`rules.rs`, included by `src/rules/mod.rs`),
//! and each `rules/<id>.md` is embedded as its documentation with a
//! constant for its id (`docs.rs`, included by `src/engine/registry.rs`).
//! Adding a rule is adding those two files (and tests).

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    let root = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&root);
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).to_path_buf();

    let mut modules = sorted_files(&root.join("src/rules"), "rs");
    modules.retain(|m| m != "mod");
    let docs = sorted_files(&root.join("rules"), "md");

    fs::write(out.join("rules.rs"), rules_code(root, &modules)).expect("write rules.rs");
    fs::write(out.join("docs.rs"), docs_code(root, &docs)).expect("write docs.rs");
    println!("cargo:rerun-if-changed=src/rules");
    println!("cargo:rerun-if-changed=rules");
}

fn rules_code(root: &Path, modules: &[String]) -> String {
    let mut code = String::new();
    for m in modules {
        let path = root.join("src/rules").join(format!("{m}.rs"));
        writeln!(code, "#[path = {:?}]\nmod {m};", path.display().to_string()).unwrap();
    }
    code.push_str("\n/// Every rule, in file-name order.\npub static RULES: &[&dyn crate::engine::Rule] = &[\n");
    for m in modules {
        writeln!(code, "    {m}::RULE,").unwrap();
    }
    code.push_str("];\n");
    code
}

fn docs_code(root: &Path, docs: &[String]) -> String {
    let mut code = String::from(
        "/// Every rule document: (file stem, text).\npub static DOCS: &[(&str, &str)] = &[\n",
    );
    for d in docs {
        let path = root.join("rules").join(format!("{d}.md"));
        writeln!(
            code,
            "    ({d:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n\n/// Every rule id, one constant per `rules/<id>.md`: a mistyped id does\n/// not compile.\npub mod ids {\n");
    for d in docs {
        let constant = d.to_uppercase().replace('-', "_");
        writeln!(code, "    pub const {constant}: &str = {d:?};").unwrap();
    }
    code.push_str("}\n");
    code
}

fn sorted_files(dir: &Path, ext: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == ext))
                .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
