//! The YAML fast path (`src/yaml/fast.rs`) against the full parser: for
//! every text it accepts, the documents must be the same, node for node and
//! position for position, and the full parser must find no error. Texts: the
//! YAML test suite, the real repositories of `../shared/corpus`, our own
//! `testdata/`, hand-written edge cases, and mutations of each corpus file
//! (a character deleted, inserted or replaced; a line's indentation moved).
//! Also: the fast path must accept most of the corpus (else it is only
//! overhead).

use std::path::{Path, PathBuf};

use gitops_lint::internals::base::source::LineIndex;
use gitops_lint::internals::yaml;

use crate::common;

/// Checks one text: `parse` (the fast path, the full parser from the
/// first document it declines) must give what `parse_full` gives, documents
/// and errors alike; and the full parser must accept every document the
/// fast path read. Returns whether the fast path read the whole text.
fn same_as_full(name: &str, text: &str) -> bool {
    let lines = LineIndex::new(text);
    let read = yaml::fast::parse(text, &lines);
    let full = yaml::parse_full(text, &lines);
    if let Some(e) = full.errors.iter().find(|e| e.doc_index < read.docs.len()) {
        panic!("{name}: the fast path read a document the parser rejects: {e:?}\n{text}");
    }
    let (ours, full) = (
        format!("{:#?}", yaml::parse(text, &lines)),
        format!("{full:#?}"),
    );
    if ours != full {
        let line = ours
            .lines()
            .zip(full.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let around = |s: &str| {
            s.lines()
                .skip(line.saturating_sub(12))
                .take(16)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "{name}: fast path and parser differ\n--- text\n{text}\n--- fast\n{}\n--- full\n{}",
            around(&ours),
            around(&full)
        );
    }
    read.rest.is_none()
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_symlink() {
            continue;
        }
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

const EDGE_CASES: &[&str] = &[
    "a: 1\n",
    "a: 1\n\n\n",
    "# c\n---\na: 1\n",
    "--- # c\na: 1\n",
    "a: 1\n---\n",
    "a: 1\n---\n# c\n",
    "---\n---\na: 1\n---\n",
    "a:\n  b: 1\n# c\nc: 2\n",
    "a:\n- x\n-\n- k: v\n  j: w\nb: 1\n",
    "a:\n  - x\n  -\n  - k: v\n    m: n\nb: \"k\"\n'q k': 1\n",
    "- a\n- b: c\n  d:\n  - e\n",
    "a: |\n  x\n\n  y\n\nb: >-\n  p\n  q\n\n  r\nc: |+\n  t\n\n",
    "a: |\n    lit\n     more\n\n  # c\nb: 1\n",
    "a: |-\n  x\n---\nb: >\n  y\n",
    "- |\n  x\n- >+\n  y\n\n",
    "a: [x, \"y\", 'z']\nb: []\nc: { }\nd: [ a b , c ]\n",
    "a: 'it''s'\nb: \"x: y\"\nc: x#y # z\nd: http://e:80/f\n",
    "a:   # c\nb: 1 # c\n",
    "\"a\": 1\n'b': 2\n<<: x\n",
    "a:\n  b:\n    c:\n      d: [1]\n",
    "k: é\nv: ü: x\n",
    "ключ: значение\nk2: 'ü'\n",
    "a: 1\n...\n",
    "a: &x 1\nb: *x\n",
    "a: !!str 1\n",
    "a: \"x\\ny\"\n",
    "a: b\n  c\n",
    "a: 'x\n  y'\n",
    "a:\n\tb: 1\n",
    "a: 1\r\nb: 2\r\n",
    "a: 1",
    "? a\n: b\n",
    "a: b: c\n",
    "- - x\n",
    "a: |2\n   x\n",
    "a: [x,\n  y]\n",
    "a: 1\n---\nb: &x 2\n---\nc: 3\n",
    "a: 1\n---\nb: [\n---\nc: 3\n",
    "a: 1\n--- !x\nb: 2\n",
    // Texts that end without a line feed, wherever a value may be cut.
    "a:\n- ",
    "a:\n-",
    "- ",
    "a: b:",
    "a: [",
    "a: [x, ",
    "a: {x",
    "a: {x: ",
    "a: |",
    "a: |-",
    "a: >\n  x",
    "a: 'x",
    "a: \"x\"",
    "a: -",
    "a:",
    "a",
    "---",
    "a: 1\n---",
    "a: 1\n--- ",
];

fn check_mutations(name: &str, text: &str, seed: u64) -> usize {
    let mut taken = 0;
    let mut state = seed | 1;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n.max(1) as u64) as usize
    };
    let pieces = [
        " ", ":", "- ", "#", "'", "\"", "|", ">", "\n", "  ", "[", "]", ",", "---\n", "é",
    ];
    // More with FAST_PATH_MUTATIONS=N (a longer hunt, by hand).
    let rounds = std::env::var("FAST_PATH_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(24);
    for _ in 0..rounds {
        let mut t = text.to_string();
        let mut at = next(t.len() + 1);
        while !t.is_char_boundary(at) {
            at -= 1;
        }
        match next(3) {
            0 => {
                let mut end = at + 1;
                while end < t.len() && !t.is_char_boundary(end) {
                    end += 1;
                }
                if end <= t.len() {
                    t.replace_range(at..end, "");
                }
            }
            1 => t.insert_str(at, pieces[next(pieces.len())]),
            _ => {
                let line_start = t[..at].rfind('\n').map_or(0, |i| i + 1);
                t.insert_str(line_start, if next(2) == 0 { " " } else { "  " });
            }
        }
        taken += usize::from(same_as_full(&format!("{name} (mutated)"), &t));
    }
    taken
}

#[test]
fn edge_cases_match_the_parser() {
    let accepted = EDGE_CASES
        .iter()
        .filter(|t| same_as_full(&format!("{t:?}"), t))
        .count();
    // Most of the block-style cases are taken (the list's tail is there to
    // be declined).
    assert!(accepted >= 20, "only {accepted} edge cases taken");
}

#[test]
fn the_yaml_test_suite_matches_the_parser() {
    let Some(suite) = common::shared("yaml-test-suite") else {
        return;
    };
    let mut files = Vec::new();
    yaml_files(&suite, &mut files);
    let mut taken = 0;
    for path in &files {
        if let Ok(text) = std::fs::read_to_string(path) {
            taken += usize::from(same_as_full(&path.display().to_string(), &text));
        }
    }
    assert!(taken > 50, "the fast path took only {taken} suite files");
}

#[test]
fn real_repositories_match_the_parser_and_are_mostly_taken() {
    let Some(corpus) = common::shared("corpus") else {
        return;
    };
    let mut real = Vec::new();
    yaml_files(&corpus, &mut real);
    // Our own test data holds broken files on purpose: checked for
    // equality, not counted.
    let mut ours = Vec::new();
    yaml_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata"),
        &mut ours,
    );
    let (mut bytes, mut taken_bytes, mut mutated) = (0, 0, 0);
    for (i, path) in real.iter().chain(&ours).enumerate() {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let name = path.display().to_string();
        let taken = same_as_full(&name, &text);
        if i < real.len() {
            bytes += text.len();
            taken_bytes += if taken { text.len() } else { 0 };
        }
        mutated += check_mutations(&name, &text, i as u64 * 7919 + 1);
        // The same file written on Windows (CR LF line breaks).
        let crlf = text.replace('\n', "\r\n");
        let name = format!("{name} (CR LF)");
        assert!(
            same_as_full(&name, &crlf) || i >= real.len() || !taken,
            "{name}: not taken"
        );
        mutated += check_mutations(&name, &crlf, i as u64 * 104_729 + 3);
    }
    eprintln!("fast path: {taken_bytes} of {bytes} corpus bytes; {mutated} mutated texts taken");
    assert!(
        taken_bytes * 100 >= bytes * 95,
        "the fast path took only {taken_bytes} of {bytes} corpus bytes"
    );
    assert!(mutated > 1000, "only {mutated} mutated texts taken");
}
