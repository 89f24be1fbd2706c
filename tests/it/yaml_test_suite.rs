//! Runs the YAML layer over every case of the YAML test suite
//! (`../shared/yaml-test-suite`, the suite's `data` layout: one directory per
//! case, some with numbered sub-cases).
//!
//! Every case must finish without panicking or hanging. An error case must
//! yield a syntax error. A valid case must load without errors, to the node
//! tree its `test.event` describes (values, scalar styles, tags, aliases,
//! documents), and, when the suite gives its JSON (`in.json`), to exactly
//! that JSON, document by document, with YAML 1.2 core-schema typing.
//!
//! [`KNOWN_DIFFERENCES`] lists the cases we knowingly get wrong, each with
//! its reason. The test fails when a listed case starts passing, so the list
//! only ever shrinks.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gitops_lint::internals::base::source::LineIndex;
use gitops_lint::internals::yaml::{self, scalar::Typing, to_json::to_json};
use serde_json::Value;

/// Cases we knowingly differ on: (case id, reason). Add one only with its
/// reason, and prefer fixing `src/yaml/`.
///
/// Empty: saphyr-parser 0.3.3 passes the whole suite and the loader keeps
/// what it reports. Three things the suite could trip on need no entry:
/// floats JSON writes as integers (UGM3's `450.00`, see [`same`]); repeated
/// keys (2JQS has two empty keys), which the loader keeps as written (they
/// are the `yaml-duplicate-key` rule's business) and no `in.json` holds; and
/// complex keys, which JSON cannot hold (no `in.json`), checked through
/// `test.event` only.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// A case that takes longer than this is taken to hang.
const CASE_TIMEOUT: Duration = Duration::from_secs(5);

struct Case {
    /// `ABCD` or `ABCD/01`.
    id: String,
    dir: PathBuf,
}

/// What the YAML layer made of a case.
enum Outcome {
    Pass,
    Differs(String),
}

/// The suite lives beside the main checkout (`/work/shared` next to
/// `/work/main`); a worktree under `/work/wt/<name>` is one level deeper.
fn suite_dir() -> Option<PathBuf> {
    common::shared("yaml-test-suite")
}

fn cases(suite: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for dir in sorted_subdirs(suite) {
        let name = file_name(&dir);
        if dir.join("in.yaml").is_file() {
            cases.push(Case { id: name, dir });
            continue;
        }
        for sub in sorted_subdirs(&dir) {
            if sub.join("in.yaml").is_file() {
                let id = format!("{name}/{}", file_name(&sub));
                cases.push(Case { id, dir: sub });
            }
        }
    }
    cases
}

fn sorted_subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn run_case(case: &Case) -> Outcome {
    let text = std::fs::read_to_string(case.dir.join("in.yaml"))
        .unwrap_or_else(|e| panic!("{}: reading in.yaml: {e}", case.id));
    let stream = yaml::parse(&text, &LineIndex::new(&text));

    if case.dir.join("error").exists() {
        return if stream.errors.is_empty() {
            Outcome::Differs("error case loaded without errors".into())
        } else {
            Outcome::Pass
        };
    }
    if let Some(err) = stream.errors.first() {
        return Outcome::Differs(format!(
            "valid case has errors: {} at {}:{}",
            err.message, err.pos.line, err.pos.col
        ));
    }
    if let Ok(event_text) = std::fs::read_to_string(case.dir.join("test.event")) {
        let expected = expected_events(&event_text);
        let actual: Vec<String> = stream.docs.iter().flat_map(tree_events).collect();
        if let Some(diff) = first_difference(&expected, &actual) {
            return Outcome::Differs(format!("node tree differs from test.event: {diff}"));
        }
    }
    let Ok(json_text) = std::fs::read_to_string(case.dir.join("in.json")) else {
        return Outcome::Pass;
    };
    let expected: Vec<Value> = match serde_json::Deserializer::from_str(&json_text)
        .into_iter::<Value>()
        .collect()
    {
        Ok(values) => values,
        Err(e) => panic!("{}: in.json does not parse: {e}", case.id),
    };
    let actual: Vec<Value> = stream
        .docs
        .iter()
        .map(|d| to_json(d.root(), Typing::Core))
        .collect();
    if actual.len() == expected.len() && actual.iter().zip(&expected).all(|(a, e)| same(a, e)) {
        Outcome::Pass
    } else {
        Outcome::Differs(format!(
            "JSON differs:\n  expected: {}\n  actual:   {}",
            compact(&expected),
            compact(&actual)
        ))
    }
}

/// The suite's events, less what our tree does not keep: stream markers,
/// explicit document markers, flow or block style of collections, and
/// anchor names (an alias becomes `=ALI @n`, `n` the index of the event of
/// the node it names).
fn expected_events(text: &str) -> Vec<String> {
    let mut events: Vec<String> = Vec::new();
    let mut anchors: Vec<(String, usize)> = Vec::new();
    for line in text.lines().map(str::trim_start).filter(|l| !l.is_empty()) {
        let (name, rest) = line.split_once(' ').unwrap_or((line, ""));
        let event = match name {
            "+STR" | "-STR" => continue,
            "+DOC" | "-DOC" | "-MAP" | "-SEQ" => name.to_string(),
            "=ALI" => {
                let alias = rest.trim_start_matches('*');
                match anchors.iter().rev().find(|(a, _)| a == alias) {
                    Some((_, at)) => format!("=ALI @{at}"),
                    None => format!("=ALI *{alias}"),
                }
            }
            _ => {
                // `+MAP {} &a <tag>`, `=VAL &a <tag> :text`.
                let mut event = name.to_string();
                let mut rest = rest;
                while let Some((token, after)) = header_token(rest) {
                    if let Some(anchor) = token.strip_prefix('&') {
                        anchors.push((anchor.to_string(), events.len()));
                    } else if token.starts_with('<') {
                        event.push(' ');
                        event.push_str(token);
                    }
                    rest = after;
                }
                if name == "=VAL" {
                    event.push(' ');
                    event.push_str(rest);
                }
                event
            }
        };
        events.push(event);
    }
    events
}

/// The next anchor, tag or flow marker before an event's value, if any.
fn header_token(rest: &str) -> Option<(&str, &str)> {
    if !(rest.starts_with(['&', '<']) || rest.starts_with("{}") || rest.starts_with("[]")) {
        return None;
    }
    Some(rest.split_once(' ').unwrap_or((rest, "")))
}

/// A loaded document as events, in the form of [`expected_events`].
fn tree_events(doc: &yaml::Document) -> Vec<String> {
    let mut events = vec!["+DOC".to_string()];
    let mut event_of = std::collections::HashMap::new();
    node_events(doc, doc.root, &mut events, &mut event_of);
    events.push("-DOC".into());
    events
}

fn node_events(
    doc: &yaml::Document,
    id: yaml::NodeId,
    events: &mut Vec<String>,
    event_of: &mut std::collections::HashMap<yaml::NodeId, usize>,
) {
    let node = doc.node(id);
    let with_tag = |name: &str, tag: Option<&str>| match tag {
        Some(t) => format!("{name} <{t}>"),
        None => name.to_string(),
    };
    event_of.insert(id, events.len());
    match &node.kind {
        yaml::NodeKind::Scalar(s) => {
            let style = match s.style {
                yaml::ScalarStyle::Plain => ':',
                yaml::ScalarStyle::SingleQuoted => '\'',
                yaml::ScalarStyle::DoubleQuoted => '"',
                yaml::ScalarStyle::Literal => '|',
                yaml::ScalarStyle::Folded => '>',
            };
            let value = escape(&s.value);
            events.push(format!(
                "{} {style}{value}",
                with_tag("=VAL", doc.tag_of(id))
            ));
        }
        yaml::NodeKind::Alias(target) => {
            let at = event_of.get(target).map_or(usize::MAX, |&at| at);
            events.push(format!("=ALI @{at}"));
        }
        yaml::NodeKind::Seq(items) => {
            events.push(with_tag("+SEQ", doc.tag_of(id)));
            for &item in items {
                node_events(doc, item, events, event_of);
            }
            events.push("-SEQ".into());
        }
        yaml::NodeKind::Map(entries) => {
            events.push(with_tag("+MAP", doc.tag_of(id)));
            for entry in entries {
                node_events(doc, entry.key, events, event_of);
                node_events(doc, entry.value, events, event_of);
            }
            events.push("-MAP".into());
        }
    }
}

/// test.event's escapes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            c => out.push(c),
        }
    }
    out
}

fn first_difference(expected: &[String], actual: &[String]) -> Option<String> {
    let at = expected
        .iter()
        .zip(actual)
        .position(|(e, a)| e != a)
        .or_else(|| (expected.len() != actual.len()).then(|| expected.len().min(actual.len())))?;
    let show = |events: &[String]| events.get(at).map_or("(none)".to_string(), Clone::clone);
    Some(format!(
        "event {at}: expected `{}`, got `{}`",
        show(expected),
        show(actual)
    ))
}

/// JSON equality, where numbers compare by value: JSON has one number type,
/// so the suite writes the float `450.00` (UGM3) as `450`, while we keep it
/// an f64 (`450.0`), as the core schema types it.
fn same(a: &Value, e: &Value) -> bool {
    match (a, e) {
        (Value::Number(x), Value::Number(y)) => {
            if x.is_f64() || y.is_f64() {
                x.as_f64() == y.as_f64()
            } else {
                x == y
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, e)| same(a, e))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, a)| y.get(k).is_some_and(|e| same(a, e)))
        }
        _ => a == e,
    }
}

fn compact(values: &[Value]) -> String {
    serde_json::to_string(values).unwrap_or_default()
}

/// Runs a case on its own thread, so a panic is caught and a hang is bounded.
fn run_bounded(case: Case) -> Result<Outcome, String> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(case.id.clone())
        .spawn(move || {
            let outcome = std::panic::catch_unwind(|| run_case(&case));
            // The receiver is gone only after a timeout; nothing to report then.
            let _ = tx.send(outcome);
        });
    if let Err(e) = spawned {
        return Err(format!("could not spawn a thread: {e}"));
    }
    match rx.recv_timeout(CASE_TIMEOUT) {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(panic)) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("panicked: {msg}"))
        }
        Err(_) => Err(format!("did not finish within {CASE_TIMEOUT:?}")),
    }
}

#[test]
fn yaml_test_suite() {
    let Some(suite) = suite_dir() else {
        eprintln!(
            "SKIPPED yaml_test_suite: no ../shared/yaml-test-suite beside {}",
            env!("CARGO_MANIFEST_DIR")
        );
        return;
    };
    let known: BTreeMap<&str, &str> = KNOWN_DIFFERENCES.iter().copied().collect();
    assert_eq!(
        known.len(),
        KNOWN_DIFFERENCES.len(),
        "a case is listed twice"
    );

    let cases = cases(&suite);
    assert!(
        cases.len() > 300,
        "only {} cases found in {}",
        cases.len(),
        suite.display()
    );
    let ids: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();

    let started = Instant::now();
    let (mut passed, mut known_diffs) = (0, 0);
    let mut problems = Vec::new();
    for case in cases {
        let id = case.id.clone();
        match (run_bounded(case), known.contains_key(id.as_str())) {
            (Err(crash), _) => problems.push(format!("{id}: {crash}")),
            (Ok(Outcome::Pass), false) => passed += 1,
            (Ok(Outcome::Pass), true) => problems.push(format!(
                "{id}: passes now; remove it from KNOWN_DIFFERENCES"
            )),
            (Ok(Outcome::Differs(_)), true) => known_diffs += 1,
            (Ok(Outcome::Differs(why)), false) => problems.push(format!("{id}: {why}")),
        }
    }
    for id in known.keys() {
        if !ids.iter().any(|c| c == id) {
            problems.push(format!(
                "{id}: listed in KNOWN_DIFFERENCES but not in the suite"
            ));
        }
    }

    eprintln!(
        "yaml-test-suite: {} cases, {passed} passed, {known_diffs} known differences, {} problems ({:.2?})",
        ids.len(),
        problems.len(),
        started.elapsed()
    );
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
