//! `gitops-lint check`: run the linter, write the report, decide the exit
//! code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use gitops_lint::config::Profile;
use gitops_lint::docs;
use gitops_lint::{
    fix, lint, statistics, Format, LintError, Options, PathView, Progress, RenderOptions,
    Selection, Severity, StdinFile,
};

use super::fail;
use super::progress::ProgressLine;

#[derive(Args)]
pub struct CheckArgs {
    /// Directories or files to check (default: the current directory). With
    /// files, the whole repository is loaded as context but only findings in
    /// those files are reported. `-` reads one file from stdin (see
    /// --stdin-filename).
    paths: Vec<PathBuf>,
    /// The path the text read from stdin (`-`) stands for: where it is
    /// reported, and which repository is read as context (default:
    /// stdin.yaml in the current directory). With --fix, the fixed text is
    /// written to stdout instead of a report.
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// human, concise (one line per finding), json, sarif (SARIF 2.1.0),
    /// github (Actions annotations), azure (Azure DevOps logging commands)
    /// or junit (one test case per file); FMT=FILE writes that report to
    /// FILE. Repeatable: every report comes
    /// from one run (at most one without =FILE, written to stdout or
    /// --output).
    #[arg(long, value_parser = parse_report, default_value = "human", value_name = "FMT[=FILE]")]
    format: Vec<ReportSpec>,
    /// Write the report given without =FILE to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The repository root (default: the nearest directory at or above the
    /// first path holding `.git` or `.gitops-lint.yaml`). Paths in findings
    /// are relative to it, and every path checked must be inside it.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Config file (default: the nearest .gitops-lint.yaml at or above the repository root).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Local checkout of a system repository: NAME is its GitRepository name.
    #[arg(long = "system-repo", value_name = "NAME=DIR", value_parser = parse_system_repo)]
    system_repos: Vec<(String, PathBuf)>,
    /// The platform repository, as context when checking a system repository.
    #[arg(long = "platform-repo", value_name = "DIR")]
    platform_repo: Option<PathBuf>,
    /// Report only findings in files changed since this Git revision (and
    /// findings they cause elsewhere); the whole repository is still read.
    #[arg(long = "changed-since", value_name = "REV")]
    changed_since: Option<String>,
    /// platform: every rule; flux: only the rules that hold for any Flux
    /// repository (default: platform where the repository is laid out as
    /// the platform or configured as it; see `gitops-lint rules`).
    #[arg(long, value_parser = parse_profile, value_name = "platform|flux")]
    profile: Option<Profile>,
    /// Kubernetes version whose schemas are used, e.g. 1.33.
    #[arg(long, value_name = "X.Y")]
    kubernetes_version: Option<String>,
    /// Run only these rules.
    #[arg(long, value_delimiter = ',', value_name = "RULE,...")]
    select: Vec<String>,
    /// Do not run these rules.
    #[arg(long, value_delimiter = ',', value_name = "RULE,...")]
    ignore: Vec<String>,
    /// Lowest severity reported.
    #[arg(long, value_parser = parse_severity, value_name = "error|warning|info")]
    severity: Option<Severity>,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    /// Exit 0 whatever the findings (2 still means the run itself failed).
    #[arg(long, conflicts_with = "deny_warnings")]
    exit_zero: bool,
    /// Findings only: no summary line, no progress, no notes (what could
    /// not be checked is still said on stderr).
    #[arg(short, long)]
    quiet: bool,
    /// Instead of the findings, how many each rule reported (a table, or
    /// JSON with --format json). Reports written to a FILE stay whole.
    #[arg(long)]
    statistics: bool,
    /// Colour in the human and concise formats (auto: when stdout is a
    /// terminal and NO_COLOR is unset).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
    /// Print the settings this run would use (the resolved config, with
    /// where each value came from) and check nothing.
    #[arg(long)]
    show_settings: bool,
    /// Apply the safe fixes in place, then report what remains.
    #[arg(long)]
    fix: bool,
    /// With --fix or --diff, apply the unsafe fixes too (they change what
    /// the cluster does: see each rule's "Fix safety").
    #[arg(long)]
    unsafe_fixes: bool,
    /// Print the fixes as a unified diff and change nothing; exit 1 when
    /// there is something to fix. No report is written.
    #[arg(long, conflicts_with = "statistics")]
    diff: bool,
    /// Worker threads, 1 to 256 (default: all cores).
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_jobs)]
    jobs: Option<usize>,
    /// A registration whose system repository has no local checkout is an
    /// error (for a pull-request gate); also `requireSystemRepos: true`.
    #[arg(long)]
    require_system_repos: bool,
    /// Where results are cached: a run whose inputs (files, config, rule
    /// selection, binary) are all unchanged reports the last result
    /// without checking again (default: $GITOPS_LINT_CACHE_DIR, else
    /// gitops-lint in the user's cache directory, e.g.
    /// ~/.cache/gitops-lint).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Neither read nor write the cache.
    #[arg(long, conflicts_with = "cache_dir")]
    no_cache: bool,
}

/// The cache directory of a run: `--cache-dir`, `$GITOPS_LINT_CACHE_DIR`,
/// else under the platform's user cache directory (`$XDG_CACHE_HOME`,
/// `~/.cache`, `~/Library/Caches`, `%LOCALAPPDATA%`); none with
/// `--no-cache` or when no such directory is known.
fn cache_dir(args: &CheckArgs) -> Option<PathBuf> {
    if args.no_cache {
        return None;
    }
    if let Some(dir) = &args.cache_dir {
        return Some(dir.clone());
    }
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("GITOPS_LINT_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    let user_cache = if cfg!(windows) {
        var("LOCALAPPDATA").map(PathBuf::from)
    } else if cfg!(target_os = "macos") {
        var("HOME").map(|h| PathBuf::from(h).join("Library/Caches"))
    } else {
        var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache")))
    };
    user_cache.map(|dir| dir.join("gitops-lint"))
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// More threads than this only costs memory (each worker has a 16 MiB
/// stack) and start-up time; thousands would exhaust the machine.
const MAX_JOBS: usize = 256;

fn parse_jobs(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=MAX_JOBS).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a number of worker threads from 1 to {MAX_JOBS}"
        )),
    }
}

/// One report of a run: a format, and a file to write it to (else stdout,
/// or `--output`).
#[derive(Debug, Clone)]
struct ReportSpec {
    format: Format,
    file: Option<PathBuf>,
}

/// `FMT` or `FMT=FILE`. The library knows its formats; the command line
/// only names them (the library does not depend on clap).
fn parse_report(s: &str) -> Result<ReportSpec, String> {
    let (name, file) = match s.split_once('=') {
        Some((name, file)) if !file.is_empty() => (name, Some(PathBuf::from(file))),
        Some(_) => return Err(format!("`{s}`: FMT=FILE needs a file name")),
        None => (s, None),
    };
    let format = Format::ALL
        .into_iter()
        .find(|f| f.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
            format!("expected one of {} (optionally =FILE)", names.join(", "))
        })?;
    Ok(ReportSpec { format, file })
}

/// Where each report goes: its own file, `--output`, or stdout (`None`).
/// At most one report may go to stdout or `--output`.
fn destinations(
    specs: &[ReportSpec],
    output: Option<&PathBuf>,
) -> Result<Vec<(Format, Option<PathBuf>)>, String> {
    let unnamed = specs.iter().filter(|s| s.file.is_none()).count();
    if unnamed > 1 {
        return Err("several --format without =FILE: only one report can go to stdout (or --output); write the others as FMT=FILE".into());
    }
    if unnamed == 0 && output.is_some() {
        return Err("--output names the file of the report given without =FILE, and every --format has its own file".into());
    }
    Ok(specs
        .iter()
        .map(|s| (s.format, s.file.clone().or_else(|| output.cloned())))
        .collect())
}

fn parse_system_repo(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((name, dir)) if !name.is_empty() && !dir.is_empty() => {
            Ok((name.to_string(), PathBuf::from(dir)))
        }
        _ => Err(format!("expected NAME=DIR, got `{s}`")),
    }
}

/// When the directory checked is not the repository root (it is inside a
/// larger repository), which root was used and how to choose another.
fn root_note(opts: &Options, root: &std::path::Path) -> Option<String> {
    if opts.root.is_some() || opts.paths.len() > 1 {
        return None;
    }
    let dir = opts
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let canonical = std::fs::canonicalize(&dir).ok().filter(|d| d.is_dir())?;
    let depth = canonical.strip_prefix(root).ok()?.components().count();
    if depth == 0 {
        return None;
    }
    let up = vec![".."; depth].join("/");
    let shown = dir.display();
    Some(format!(
        "repository root: {up}; pass --root {shown} to check {shown} as its own root"
    ))
}

pub(super) fn parse_profile(s: &str) -> Result<Profile, String> {
    Profile::parse(s).ok_or_else(|| format!("expected platform or flux, got `{s}`"))
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("expected error, warning or info, got `{s}`"))
}

pub fn check(args: CheckArgs) -> ExitCode {
    for id in args.select.iter().chain(&args.ignore) {
        if docs::doc(id).is_none() {
            return fail(&docs::unknown_rule(id));
        }
    }
    let reports = match destinations(&args.format, args.output.as_ref()) {
        Ok(reports) => reports,
        Err(e) => return fail(&e),
    };
    if args.statistics {
        if let Some((format, _)) = reports
            .iter()
            .find(|(f, to)| to.is_none() && !statistics_format(*f))
        {
            return fail(&format!(
                "--statistics prints a table (human or concise) or JSON (json), not {}; write that report with --format {}=FILE",
                format.name(),
                format.name()
            ));
        }
    }
    // Progress is for people watching a terminal: never when a machine
    // format goes to stdout, never when stderr is a file or a pipe.
    let machine_on_stdout = reports.iter().any(|(f, to)| to.is_none() && f.is_machine());
    let show_progress = !machine_on_stdout && !args.quiet && std::io::stderr().is_terminal();
    let progress = show_progress.then(|| Arc::new(Progress::default()));
    let stdin = match read_stdin(&args.paths, args.stdin_filename.as_ref()) {
        Ok(stdin) => stdin,
        Err(e) => return fail(&e),
    };
    let fix_stdin = args.fix && stdin.is_some();
    let cache_dir = cache_dir(&args);
    let opts = Options {
        cache_dir,
        stdin,
        paths: args.paths,
        root: args.root,
        config: args.config,
        system_repos: args.system_repos,
        platform_repo: args.platform_repo,
        changed_since: args.changed_since,
        kubernetes_version: args.kubernetes_version,
        profile: args.profile,
        selection: Selection {
            select: args.select,
            ignore: args.ignore,
            min_severity: args.severity,
        },
        jobs: args.jobs,
        require_system_repos: args.require_system_repos,
        progress: progress.clone(),
    };
    if args.show_settings {
        return super::settings::show(&opts);
    }
    let mut report = match lint_with_progress(&opts, progress.as_ref()) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    if args.diff {
        return show_diff(&report, args.unsafe_fixes);
    }
    if fix_stdin {
        return fix_to_stdout(&report, &opts, args.unsafe_fixes);
    }
    let mut fix_failed = false;
    if args.fix {
        let plan = fix::plan(&report, args.unsafe_fixes);
        if plan.edits() > 0 {
            if let Err(e) = plan.apply() {
                eprintln!("gitops-lint: error: {e}");
                fix_failed = true;
            }
            // What remains is what a run now finds in the fixed files.
            report = match lint_with_progress(&opts, progress.as_ref()) {
                Ok(r) => r,
                Err(e) => return fail(&e),
            };
        }
        let quiet_run = plan.findings() + plan.unsafe_left + plan.conflicting == 0;
        if !args.quiet && !quiet_run {
            eprintln!("gitops-lint: {}", fixed_note(&plan, fix_failed));
        }
    }
    if let Some(note) = root_note(&opts, &report.root).filter(|_| !args.quiet) {
        eprintln!("gitops-lint: {note}");
    }
    // Whatever the format, what was not checked is said where people and
    // CI logs see it.
    for notice in &report.notices {
        eprintln!("gitops-lint: warning: {notice}");
    }
    // Every report from the one set of findings; the exit code below is
    // decided once.
    let look = Look {
        color: args.color,
        quiet: args.quiet,
        statistics: args.statistics,
    };
    for (format, to) in &reports {
        if let Err(e) = write_report(&report, *format, to.as_deref(), look) {
            return fail(&e);
        }
    }
    let warnings_fail = args.deny_warnings && report.count(Severity::Warning) > 0;
    if fix_failed {
        ExitCode::from(2)
    } else if !args.exit_zero && (report.has_errors() || warnings_fail) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `-` among the paths: the text of stdin, standing for `--stdin-filename`.
fn read_stdin(paths: &[PathBuf], filename: Option<&PathBuf>) -> Result<Option<StdinFile>, String> {
    let dash = paths.iter().filter(|p| p.as_os_str() == "-").count();
    if dash == 0 {
        return match filename {
            Some(_) => Err("--stdin-filename names the file stdin stands for; pass `-` as the path to read stdin".into()),
            None => Ok(None),
        };
    }
    if paths.len() > 1 {
        return Err("`-` (stdin) is checked alone: pass no other path".into());
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    let path = filename
        .cloned()
        .unwrap_or_else(|| PathBuf::from("stdin.yaml"));
    Ok(Some(StdinFile { path, text }))
}

/// `check - --fix`: the text of stdin with its fixes made, on stdout (an
/// editor replaces its buffer with it); what remains is counted on stderr.
fn fix_to_stdout(report: &gitops_lint::Report, opts: &Options, unsafe_fixes: bool) -> ExitCode {
    let Some(stdin) = &opts.stdin else {
        return fail("no stdin to fix");
    };
    let plan = fix::plan(report, unsafe_fixes);
    let path = plan.files.first().map(|f| f.path.clone());
    let fixed = path
        .and_then(|p| plan.fixed(&p, &stdin.text))
        .unwrap_or_else(|| stdin.text.clone());
    if let Err(e) = std::io::stdout().lock().write_all(fixed.as_bytes()) {
        return fail(&e.to_string());
    }
    let remaining = report.active().count().saturating_sub(plan.findings());
    eprintln!(
        "gitops-lint: {}; {} remaining",
        fixed_note(&plan, false),
        plural(remaining, "finding")
    );
    ExitCode::SUCCESS
}

fn lint_with_progress(
    opts: &Options,
    progress: Option<&Arc<Progress>>,
) -> Result<gitops_lint::Report, String> {
    let line = progress.cloned().map(ProgressLine::start);
    let result = lint(opts);
    if let Some(line) = line {
        line.finish();
    }
    result.map_err(|e| match e {
        LintError::Config(e) => format!("invalid config: {e}"),
        e => e.to_string(),
    })
}

/// `--diff`: the fixes as a unified diff on stdout, a count on stderr;
/// exit 1 when there is something to fix.
fn show_diff(report: &gitops_lint::Report, unsafe_fixes: bool) -> ExitCode {
    for notice in &report.notices {
        eprintln!("gitops-lint: warning: {notice}");
    }
    let plan = fix::plan(report, unsafe_fixes);
    let paths = paths_from_here(report);
    if let Err(e) = std::io::stdout()
        .lock()
        .write_all(plan.diff(&paths).as_bytes())
    {
        return fail(&e.to_string());
    }
    let n = plan.findings();
    let mut note = if n == 0 {
        "no fixes available".to_string()
    } else {
        format!("would fix {}", plural(n, "finding"))
    };
    note.push_str(&unsafe_hint(&plan));
    eprintln!("gitops-lint: {note}");
    if plan.edits() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The report's paths as seen from the current directory (unchanged when
/// it cannot be read).
fn paths_from_here(report: &gitops_lint::Report) -> PathView {
    match std::env::current_dir() {
        Ok(cwd) => PathView::from_dir(&report.root, &std::fs::canonicalize(&cwd).unwrap_or(cwd)),
        Err(_) => PathView::default(),
    }
}

/// "fixed 3 findings in 2 files", and what was left out.
fn fixed_note(plan: &fix::FixPlan, failed: bool) -> String {
    let n = plan.findings();
    let mut note = match (n, failed) {
        (0, _) => "no fixes available".to_string(),
        (_, true) => format!(
            "fixes for {} could not all be written",
            plural(n, "finding")
        ),
        _ => format!(
            "fixed {} in {}",
            plural(n, "finding"),
            plural(plan.files.len(), "file")
        ),
    };
    if plan.conflicting > 0 {
        note.push_str(&format!(
            "; {} left out: another fix changes the same text differently",
            plural(plan.conflicting, "fix")
        ));
    }
    note.push_str(&unsafe_hint(plan));
    note
}

fn unsafe_hint(plan: &fix::FixPlan) -> String {
    match plan.unsafe_left {
        0 => String::new(),
        n => format!(
            " ({} not applied: add --unsafe-fixes; see each rule's \"Fix safety\" with `gitops-lint explain RULE`)",
            plural(n, "unsafe fix")
        ),
    }
}

fn plural(n: usize, word: &str) -> String {
    let s = if n == 1 {
        ""
    } else if word.ends_with('x') {
        "es"
    } else {
        "s"
    };
    format!("{n} {word}{s}")
}

/// How the reports for people look: `--color`, `--quiet`, `--statistics`.
#[derive(Clone, Copy)]
struct Look {
    color: ColorChoice,
    quiet: bool,
    statistics: bool,
}

/// The formats `--statistics` has a form of.
fn statistics_format(format: Format) -> bool {
    matches!(format, Format::Human | Format::Concise | Format::Json)
}

fn write_report(
    report: &gitops_lint::Report,
    format: Format,
    to: Option<&std::path::Path>,
    look: Look,
) -> Result<(), String> {
    let to_terminal = to.is_none() && std::io::stdout().is_terminal();
    let color = match look.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    // Paths people click are relative to where they stand; a report
    // written to a file, or read by a program, keeps them relative to the
    // repository root.
    let paths = if to.is_none() && !format.is_machine() {
        paths_from_here(report)
    } else {
        PathView::default()
    };
    let opts = RenderOptions {
        color,
        width: terminal_width(),
        quiet: look.quiet,
        paths,
    };
    let text = match (look.statistics && to.is_none(), format) {
        (true, Format::Json) => statistics::json(report),
        (true, _) => statistics::text(report),
        (false, _) => gitops_lint::render(report, format, &opts),
    };
    match to {
        Some(path) => std::fs::write(path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| e.to_string()),
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}
