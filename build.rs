//! Registers every rule: each `src/rules/<name>.rs` becomes a module whose
//! `RULE` joins the registry, and each `rules/<id>.md` is embedded as its
//! documentation. Adding a rule is adding those two files (and tests).

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    let root = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&root);
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("registry.rs");

    let mut modules = sorted_files(&root.join("src/rules"), "rs");
    modules.retain(|m| m != "mod");
    let docs = sorted_files(&root.join("rules"), "md");

    let mut code = String::new();
    for m in &modules {
        let path = root.join("src/rules").join(format!("{m}.rs"));
        writeln!(code, "#[path = {:?}]\nmod {m};", path.display().to_string()).unwrap();
    }
    code.push_str("\n/// Every rule, in file-name order.\npub static RULES: &[&dyn crate::check::Rule] = &[\n");
    for m in &modules {
        writeln!(code, "    {m}::RULE,").unwrap();
    }
    code.push_str("];\n\n/// Every rule document: (file stem, text).\npub static DOCS: &[(&str, &str)] = &[\n");
    for d in &docs {
        let path = root.join("rules").join(format!("{d}.md"));
        writeln!(
            code,
            "    ({d:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    fs::write(out, code).expect("write registry");
    println!("cargo:rerun-if-changed=src/rules");
    println!("cargo:rerun-if-changed=rules");
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
