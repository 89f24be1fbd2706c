//! The properties the fuzz targets (`fuzz/`) check, as functions, so that
//! every input that ever failed one is also a regular test
//! (`tests/it/fuzz_regressions.rs` replays `testdata/fuzz/`).
//!
//! - [`yaml`]: any bytes parse without a panic, and every span lies inside
//!   the text on character boundaries; the block-style fast path changes
//!   nothing (documents and errors are the full parser's), and the full
//!   parser finds no error in a document it read.
//! - [`lint`]: up to three in-memory files, named to reach Flux manifests,
//!   kustomizations, Helm values, `Chart.yaml` and pipeline files, each with
//!   a planted Secret and URL credentials appended, lint without a panic,
//!   and no format shows a planted value (nor its base64 form).

use crate::base::source::LineIndex;
use crate::engine::Selection;
use crate::report::{self, Format, RenderOptions};
use crate::workspace::config::Config;
use crate::yaml::{self, NodeKind};

/// Parses `data` (if it is UTF-8) and checks every span.
pub fn yaml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = LineIndex::new(text);
    let read = yaml::fast::parse(text, &lines);
    let full = yaml::parse_full(text, &lines);
    assert!(
        full.errors.iter().all(|e| e.doc_index >= read.docs.len()),
        "the fast path read a document the parser rejects"
    );
    let stream = yaml::parse(text, &lines);
    assert_eq!(format!("{stream:?}"), format!("{full:?}"));
    for doc in &stream.docs {
        for node in &doc.nodes {
            let span = node.span();
            assert!(span.start.offset <= span.end.offset, "{span:?}");
            assert!(span.end.offset <= text.len(), "{span:?} past the end");
            assert!(text.is_char_boundary(span.start.offset), "{span:?}");
            assert!(text.is_char_boundary(span.end.offset), "{span:?}");
            if let NodeKind::Alias(target) = node.kind {
                assert!((target as usize) < doc.nodes.len());
            }
        }
        let _ = yaml::to_json::to_json(doc.root(), yaml::scalar::Typing::Kubernetes);
    }
    for err in &stream.errors {
        assert!(err.pos.offset <= text.len(), "{err:?}");
    }
}

/// File names the lint target gives its inputs: one of each kind of file
/// the rules read differently.
pub const NAMES: &[&str] = &[
    "clusters/dev/systems/app.yaml",
    "clusters/dev/flux-system/gotk-sync.yaml",
    "apps/base/kustomization.yaml",
    "apps/dev/release.yaml",
    "charts/app/values.yaml",
    "charts/app/Chart.yaml",
    "environments/dev/values-dev.yaml",
    "azure-pipelines.yml",
];

/// Planted values: no output may ever show them.
pub const PLANTED: &str = "Zq7PlantedSecretVb3";
pub const PLANTED_URL: &str = "Wk2PlantedUrlPassMn8";

/// Splits `data` into up to three files (at lines `#%%`), appends a planted
/// Secret and URL credentials to each, lints them, renders every format,
/// and checks that no planted value appears.
pub fn lint(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let forbidden = [
        PLANTED.to_string(),
        PLANTED_URL.to_string(),
        base64(PLANTED),
        base64(PLANTED_URL),
    ];
    // An input that holds a planted value itself proves nothing.
    if forbidden.iter().any(|v| text.contains(v.as_str())) {
        return;
    }
    let mut files: Vec<(&str, String)> = Vec::new();
    for (i, part) in text.split("\n#%%\n").take(3).enumerate() {
        let pick = part.bytes().next().map_or(0, usize::from) + i;
        let name = (0..NAMES.len())
            .map(|k| NAMES[(pick + k) % NAMES.len()])
            .find(|n| files.iter().all(|(f, _)| f != n))
            .unwrap_or(NAMES[0]);
        let body = format!(
            "{part}\n---\napiVersion: v1\nkind: Secret\nmetadata: {{name: planted, namespace: apps}}\nstringData:\n  password: {PLANTED}\n# clone https://ci:{PLANTED_URL}@dev.azure.com/o/_git/r\n"
        );
        files.push((name, body));
    }
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let report = crate::run::lint_text(&borrowed, Config::default(), &Selection::default());
    let opts = RenderOptions::default();
    for format in Format::ALL {
        let out = report::render(&report, format, &opts);
        for v in &forbidden {
            assert!(!out.contains(v.as_str()), "{format:?} shows `{v}`:\n{out}");
        }
    }
}

fn base64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | (u32::from(c) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_properties_hold_on_plain_inputs() {
        yaml(b"a: [1, {b: c}]\n---\n- &x y\n- *x\n");
        lint(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: yes}\n#%%\nimage:\n  repository: nginx\n");
        lint(b"a: \"unterminated\n#%%\nb: [1, 2\n#%%\n\tc: d\n");
        assert_eq!(base64("abcd"), "YWJjZA");
    }
}
