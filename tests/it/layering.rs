//! The pipeline's layering: every folder of `src/` is a stage, the stages
//! are listed once, in order, in the README's architecture table, and no
//! code imports from a later stage than its own. Within a stage, modules do
//! not import each other in a cycle.
//!
//! How it fails: plant an upward import, say
//!
//! ```text
//! // src/yaml/scalar.rs
//! use crate::report::Report;
//! ```
//!
//! and this test reports `src/yaml/scalar.rs:N: yaml imports crate::report
//! (stage report comes after yaml)`. `an_upward_import_is_caught` below
//! runs the same check on such a planted line.
//!
//! Test modules (`#[cfg(test)]`, always at the end of a file) may use any
//! stage: they are not part of the pipeline.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The stages, in order, as the README's architecture table lists them
/// (the first column, a folder of `src/` in backquotes).
fn stages() -> Vec<String> {
    let readme = fs::read_to_string(root().join("README.md")).expect("README.md");
    let table = readme
        .split("## Architecture")
        .nth(1)
        .expect("README has an Architecture section");
    table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            let cell = l.split('|').nth(1)?.trim();
            let name = cell.strip_prefix('`')?.strip_suffix("/`")?;
            Some(name.to_string())
        })
        .collect()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The code of a file that is part of the pipeline: up to its test module.
fn pipeline_code(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |i| &text[..i])
}

/// Every `crate::<first>::<second>` path in code (comments skipped), with
/// its line.
fn crate_paths(code: &str) -> Vec<(usize, String, Option<String>)> {
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let line = line.split("//").next().unwrap_or("");
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let preceded_by_ident = rest[..i]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
            let first: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let tail = &after[first.len()..];
            let second = tail.strip_prefix("::").map(|t| {
                t.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            });
            if !preceded_by_ident && !first.is_empty() {
                out.push((n + 1, first, second.filter(|s| !s.is_empty())));
            }
            rest = after;
        }
    }
    out
}

/// Every `super::<name>` in code (comments skipped).
fn super_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        for (i, _) in line.match_indices("super::") {
            let preceded_by_colons = line[..i].ends_with("::");
            let name: String = line[i + "super::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !preceded_by_colons && !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

/// Upward imports of one file of stage `own`: (line, message).
fn upward_imports(own: &str, code: &str, stages: &[String]) -> Vec<(usize, String)> {
    let rank = |s: &str| stages.iter().position(|x| x == s);
    let Some(own_rank) = rank(own) else {
        return vec![(0, format!("stage `{own}` is not in the README's table"))];
    };
    crate_paths(code)
        .into_iter()
        .filter_map(|(line, first, _)| {
            let theirs = rank(&first)?;
            (theirs > own_rank).then(|| {
                (
                    line,
                    format!("{own} imports crate::{first} (stage {first} comes after {own})"),
                )
            })
        })
        .collect()
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("read src").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The stage of a file: its top folder under `src/`; `None` for the
/// crate roots.
fn stage_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let mut parts = rel.components();
    let first = parts.next()?.as_os_str().to_string_lossy().into_owned();
    parts.next().map(|_| first)
}

#[test]
fn the_readme_lists_every_stage_folder_once() {
    let stages = stages();
    let src = root().join("src");
    let mut folders: Vec<String> = fs::read_dir(&src)
        .expect("src")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut listed = stages.clone();
    listed.sort();
    assert_eq!(listed, folders, "README architecture table vs src/ folders");
    let unique: BTreeSet<&String> = stages.iter().collect();
    assert_eq!(unique.len(), stages.len(), "a stage listed twice");
    // Outside the stage folders: the crate roots, and the fuzzing
    // properties (test support).
    let loose: Vec<String> = fs::read_dir(&src)
        .expect("src")
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !matches!(n.as_str(), "lib.rs" | "main.rs" | "fuzzing.rs"))
        .collect();
    assert!(loose.is_empty(), "files outside a stage folder: {loose:?}");
}

#[test]
fn no_stage_imports_a_later_one() {
    let stages = stages();
    let src = root().join("src");
    let mut problems = Vec::new();
    for file in rust_files(&src) {
        let Some(own) = stage_of(&src, &file) else {
            continue;
        };
        let text = fs::read_to_string(&file).expect("read");
        for (line, message) in upward_imports(&own, pipeline_code(&text), &stages) {
            problems.push(format!("{}:{line}: {message}", file.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "upward imports:\n{}",
        problems.join("\n")
    );
}

#[test]
fn modules_of_a_stage_import_each_other_without_cycles() {
    let stages = stages();
    let src = root().join("src");
    // module (stage/name) → modules of the same stage it imports.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let Some(own) = stage_of(&src, &file) else {
            continue;
        };
        let rel = file.strip_prefix(src.join(&own)).expect("under its stage");
        let module = rel
            .components()
            .next()
            .map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_string()
            })
            .unwrap_or_default();
        if module == "mod" {
            continue; // the stage's root declares its modules
        }
        let text = fs::read_to_string(&file).expect("read");
        let code = pipeline_code(&text);
        let from = format!("{own}/{module}");
        // `crate::<stage>::<module>`, and `super::<module>` from a file
        // whose parent is the stage's root.
        let mut imported: Vec<String> = crate_paths(code)
            .into_iter()
            .filter(|(_, first, _)| *first == own && stages.contains(first))
            .filter_map(|(_, _, second)| second)
            .collect();
        let depth = rel.components().count();
        let is_module_root = depth == 1 || rel.ends_with("mod.rs") && depth == 2;
        if is_module_root {
            imported.extend(super_paths(code));
        }
        for second in imported.into_iter().filter(|s| *s != module) {
            let target = src.join(&own).join(&second);
            if target.is_dir() || target.with_extension("rs").is_file() {
                edges
                    .entry(from.clone())
                    .or_default()
                    .insert(format!("{own}/{second}"));
            }
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        panic!(
            "modules import each other in a cycle: {}",
            cycle.join(" → ")
        );
    }
}

/// A cycle of the graph, if there is one.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

#[test]
fn an_upward_import_is_caught() {
    let stages = stages();
    let planted = "use crate::base::source::Span;\nuse crate::report::Report;\n";
    let found = upward_imports("yaml", planted, &stages);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, 2);
    assert!(found[0].1.contains("crate::report"), "{}", found[0].1);
    // In a path expression too, and in a test module not at all.
    let in_code = "fn f() { crate::run::lint(todo!()); }\n#[cfg(test)]\nuse crate::run::lint;\n";
    assert_eq!(
        upward_imports("graph", pipeline_code(in_code), &stages).len(),
        1
    );
}

#[test]
fn a_cycle_is_caught() {
    let mut edges = BTreeMap::new();
    edges.insert(
        "engine/docs".to_string(),
        BTreeSet::from(["engine/suppress".to_string()]),
    );
    edges.insert(
        "engine/suppress".to_string(),
        BTreeSet::from(["engine/docs".to_string()]),
    );
    let cycle = find_cycle(&edges).expect("a cycle");
    assert_eq!(cycle.first(), cycle.last());
}
