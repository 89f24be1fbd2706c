//! The YAML layer's candidates, measured on the same files (bench/run.sh
//! prints this table; the README keeps it):
//!
//!   yaml_layer DIR [ROUNDS]
//!
//! Every YAML file `check` would read under DIR is read into memory once;
//! then, on one thread (the layer's throughput, not the machine's), each
//! candidate goes over all of them, ROUNDS times (default 5), interleaved
//! round by round, and the best round counts. MB/s is YAML bytes per second.
//!
//! The candidates: the line index alone (every candidate needs one for
//! positions); the loader before the fast path (`saphyr-parser` events into
//! the span arena, with its line index); the loader now (the block-style
//! fast path of `src/yaml/fast.rs`, falling back to the former for files
//! it declines); the event parsers alone, which any loader would sit on:
//! `saphyr-parser` (ours), `yaml-rust2`, `libyaml-safer` (a Rust port of
//! libyaml) and `unsafe-libyaml` (libyaml translated to Rust, the C
//! library's speed). A parser alone is a lower bound for a loader on it.
//! The count column is nodes for the loaders, events for the parsers.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use gitops_lint::internals::base::ids::RepoId;
use gitops_lint::internals::base::source::LineIndex;
use gitops_lint::internals::workspace::discover;
use gitops_lint::internals::yaml;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Candidate = (&'static str, fn(&str) -> usize);

const CANDIDATES: &[Candidate] = &[
    ("line index only", line_index),
    ("before: saphyr-parser events -> arena", before),
    ("after: fast path -> arena, else the above", after),
    ("saphyr-parser 0.3.3, events only", saphyr_events),
    ("yaml-rust2 0.13, events only", yaml_rust2_events),
    ("libyaml-safer 0.3, events only", libyaml_safer_events),
    ("unsafe-libyaml 0.2, events only", unsafe_libyaml_events),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        eprintln!("usage: yaml_layer DIR [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(5);
    let texts = read_all(&PathBuf::from(dir));
    let bytes: usize = texts.iter().map(String::len).sum();
    println!(
        "{} YAML files, {:.1} MB, best of {rounds} interleaved rounds, one thread",
        texts.len(),
        bytes as f64 / 1e6
    );
    let mut best = vec![Duration::MAX; CANDIDATES.len()];
    let mut counts = vec![0; CANDIDATES.len()];
    for _ in 0..rounds {
        for (i, (_, run)) in CANDIDATES.iter().enumerate() {
            let started = Instant::now();
            counts[i] = texts.iter().map(|t| run(t)).sum();
            best[i] = best[i].min(started.elapsed());
        }
    }
    let before = best[1];
    println!("| candidate | ms | MB/s | vs before | count |");
    println!("|---|---:|---:|---:|---:|");
    for (i, (name, _)) in CANDIDATES.iter().enumerate() {
        println!(
            "| {name} | {:.1} | {:.1} | {:.2}x | {} |",
            best[i].as_secs_f64() * 1e3,
            bytes as f64 / best[i].as_secs_f64() / 1e6,
            before.as_secs_f64() / best[i].as_secs_f64(),
            counts[i]
        );
    }
}

/// The texts of the YAML files `check` would read under `dir`, as it reads
/// them (UTF-8 only; the others are not YAML any candidate could take).
fn read_all(dir: &std::path::Path) -> Vec<String> {
    let root = std::fs::canonicalize(dir).expect("DIR exists");
    let exclude = discover::exclude_set(&[]).expect("empty glob set");
    discover::walk(&root, RepoId::new(0), &exclude)
        .files
        .iter()
        .filter_map(|f| String::from_utf8(std::fs::read(&f.abs).ok()?).ok())
        .collect()
}

fn line_index(text: &str) -> usize {
    LineIndex::new(text).line_count()
}

fn before(text: &str) -> usize {
    let lines = LineIndex::new(text);
    let stream = yaml::parse_full(text, &lines);
    stream.docs.iter().map(|d| d.nodes.len()).sum()
}

fn after(text: &str) -> usize {
    let lines = LineIndex::new(text);
    let stream = yaml::parse(text, &lines);
    stream.docs.iter().map(|d| d.nodes.len()).sum()
}

fn saphyr_events(text: &str) -> usize {
    saphyr_parser::Parser::new_from_str(text)
        .take_while(Result::is_ok)
        .count()
}

fn yaml_rust2_events(text: &str) -> usize {
    let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
    let mut n = 0;
    while let Ok((event, _)) = parser.next_token() {
        n += 1;
        if event == yaml_rust2::parser::Event::StreamEnd {
            break;
        }
    }
    n
}

fn libyaml_safer_events(text: &str) -> usize {
    let mut input = text.as_bytes();
    let mut parser = libyaml_safer::Parser::new();
    parser.set_input_string(&mut input);
    let mut n = 0;
    while let Ok(event) = parser.parse() {
        n += 1;
        if matches!(event.data, libyaml_safer::EventData::StreamEnd) {
            break;
        }
    }
    n
}

fn unsafe_libyaml_events(text: &str) -> usize {
    use std::mem::MaybeUninit;
    use unsafe_libyaml as unsafe_ly;
    let mut n = 0;
    // SAFETY: the parser is initialised before use and deleted after; the
    // input outlives it; each event is deleted after it is read.
    unsafe {
        let mut parser = MaybeUninit::<unsafe_ly::yaml_parser_t>::uninit();
        if unsafe_ly::yaml_parser_initialize(parser.as_mut_ptr()).fail {
            return 0;
        }
        let mut parser = parser.assume_init();
        unsafe_ly::yaml_parser_set_input_string(&mut parser, text.as_ptr(), text.len() as _);
        loop {
            let mut event = MaybeUninit::<unsafe_ly::yaml_event_t>::uninit();
            if unsafe_ly::yaml_parser_parse(&mut parser, event.as_mut_ptr()).fail {
                break;
            }
            let mut event = event.assume_init();
            n += 1;
            let end = event.type_ == unsafe_ly::YAML_STREAM_END_EVENT;
            unsafe_ly::yaml_event_delete(&mut event);
            if end {
                break;
            }
        }
        unsafe_ly::yaml_parser_delete(&mut parser);
    }
    n
}
