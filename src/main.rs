//! The `gitops-lint` command: a thin layer over the library (see [`cli`]).

mod cli;

use std::process::ExitCode;

/// mimalloc: a run allocates millions of small nodes from several threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    gitops_lint::no_transparent_huge_pages();
    cli::run(std::env::args().collect())
}
