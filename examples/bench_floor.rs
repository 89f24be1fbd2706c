//! The floors `gitops-lint check` is measured against (see bench/run.sh):
//!
//!   bench_floor walk-read DIR        walk the tree as `check` does and read every file
//!   bench_floor walk-read-parse DIR  … and parse every file's YAML with spans
//!
//! Both run in parallel on the same thread pool shape as `check`, so the
//! ratio `check / floor` is the cost of everything the linter adds.

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use gitops_lint::internals::workspace::discover;
use gitops_lint::internals::workspace::load;

/// The same allocator as `gitops-lint` (src/main.rs), so the floors compare.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(dir)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: bench_floor walk-read|walk-read-parse DIR");
        std::process::exit(2);
    };
    // The same memory setup as `gitops-lint` (src/main.rs).
    gitops_lint::no_transparent_huge_pages();
    let root = std::fs::canonicalize(PathBuf::from(dir)).expect("DIR exists");
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(gitops_lint::WORKER_STACK)
        .build()
        .expect("thread pool");
    let (files, bytes, docs) = pool.install(|| {
        let exclude = discover::exclude_set(&[]).expect("empty glob set");
        // The checked repo and, like `check`, every sibling system repo the
        // generated config names (they live beside it under the bench dir),
        // walked as `check` walks them.
        let roots: Vec<_> = repos(&root)
            .into_iter()
            .enumerate()
            .map(|(i, repo)| (repo, gitops_lint::internals::base::ids::RepoId::new(i)))
            .collect();
        let files: Vec<_> = discover::walk_repos(&roots, &exclude)
            .into_iter()
            .flat_map(|walked| walked.files)
            .collect();
        let n = files.len();
        let (bytes, docs) = match mode.as_str() {
            "walk-read" => files
                .par_iter()
                .map(|f| (std::fs::read(&f.abs).map(|b| b.len()).unwrap_or(0), 0))
                .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1)),
            "walk-read-parse" => files
                .into_par_iter()
                .map(|f| {
                    let p = load::load(f);
                    (p.bytes(), p.stream.docs.len())
                })
                .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1)),
            other => {
                eprintln!("unknown mode {other}");
                std::process::exit(2);
            }
        };
        (n, bytes, docs)
    });
    println!(
        "{mode}: {files} files, {docs} documents, {:.1} MB in {} ms",
        bytes as f64 / 1e6,
        started.elapsed().as_millis()
    );
}

/// `root` plus the directories its `.gitops-lint.yaml` lists as system repos.
fn repos(root: &std::path::Path) -> Vec<PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let config = root.join(gitops_lint::config::FILE_NAME);
    if config.is_file() {
        if let Ok(c) = gitops_lint::config::load(&config, &gitops_lint::docs::Catalog) {
            out.extend(
                c.system_repos
                    .values()
                    .filter_map(|p| std::fs::canonicalize(p).ok()),
            );
        }
    }
    out
}
