//! The `gitops-lint` command line: a thin layer over the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};

/// mimalloc: a run allocates millions of small nodes from several threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use gitops_lint::engine::docs;
use gitops_lint::engine::Selection;
use gitops_lint::report::{self, Format, RenderOptions};
use gitops_lint::run::Progress;
use gitops_lint::schema;
use gitops_lint::workspace::config;
use gitops_lint::{lint, LintError, Options, Severity};

#[derive(Parser)]
#[command(
    name = "gitops-lint",
    version,
    about = "A fast static policy linter for Flux CD GitOps repositories on Azure",
    after_help = "Run `gitops-lint check --help` for the check options; `gitops-lint PATH…` is `gitops-lint check PATH…`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check repositories (the default command).
    Check(Box<CheckArgs>),
    /// List every rule: id, default severity, category, fixable, summary.
    Rules {
        /// Print a Markdown table (the README's rule table is this output).
        #[arg(long)]
        markdown: bool,
    },
    /// Show a rule's documentation.
    Explain {
        /// The rule id, e.g. prune-enabled.
        rule: String,
    },
    /// List the schemas documents are checked against, or import CRDs.
    Schemas {
        #[command(subcommand)]
        command: SchemasCommand,
    },
    /// Write a commented default .gitops-lint.yaml in the current directory.
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum SchemasCommand {
    /// List the embedded and imported schemas: apiVersion, kind, source.
    List {
        /// Also list the Kubernetes built-in kinds.
        #[arg(long)]
        kubernetes: bool,
        /// Kubernetes version whose built-ins are listed, e.g. 1.33.
        #[arg(long, value_name = "X.Y")]
        kubernetes_version: Option<String>,
    },
    /// Convert CustomResourceDefinition YAML into JSON Schemas in
    /// .gitops-lint/schemas/ of the repository ("-" reads stdin, e.g.
    /// `flux install --export | gitops-lint schemas import -`).
    Import {
        /// CRD YAML files (several documents each is fine); `-` for stdin.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Write here instead of <repository root>/.gitops-lint/schemas.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Args)]
struct CheckArgs {
    /// Directories or files to check (default: the current directory). With
    /// files, the whole repository is loaded as context but only findings in
    /// those files are reported.
    paths: Vec<PathBuf>,
    /// human, json, sarif (SARIF 2.1.0), github (Actions annotations), azure
    /// (Azure DevOps logging commands) or junit (one test case per file).
    #[arg(long, value_parser = parse_format, default_value = "human")]
    format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
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
    /// Worker threads, 1 to 256 (default: all cores).
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_jobs)]
    jobs: Option<usize>,
    /// A registration whose system repository has no local checkout is an
    /// error (for a pull-request gate); also `requireSystemRepos: true`.
    #[arg(long)]
    require_system_repos: bool,
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

/// The library knows its formats; the command line only names them (the
/// library does not depend on clap).
fn parse_format(s: &str) -> Result<Format, String> {
    Format::ALL
        .into_iter()
        .find(|f| f.name() == s)
        .ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
            format!("expected one of {}", names.join(", "))
        })
}

fn parse_system_repo(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((name, dir)) if !name.is_empty() && !dir.is_empty() => {
            Ok((name.to_string(), PathBuf::from(dir)))
        }
        _ => Err(format!("expected NAME=DIR, got `{s}`")),
    }
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("expected error, warning or info, got `{s}`"))
}

const SUBCOMMANDS: &[&str] = &["check", "rules", "explain", "schemas", "init", "help"];

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().collect();
    // `gitops-lint [PATH…]` means `gitops-lint check [PATH…]`.
    let first = args.get(1).map(String::as_str);
    let is_global_flag = matches!(first, Some("-h" | "--help" | "-V" | "--version"));
    if !is_global_flag && !first.is_some_and(|a| SUBCOMMANDS.contains(&a)) {
        args.insert(1, "check".into());
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Check(args) => check(*args),
        Command::Rules { markdown } => rules(markdown),
        Command::Explain { rule } => explain(&rule),
        Command::Schemas { command } => schemas(command),
        Command::Init { force } => init(force),
    }
}

fn check(args: CheckArgs) -> ExitCode {
    for id in args.select.iter().chain(&args.ignore) {
        if docs::doc(id).is_none() {
            return fail(&format!("unknown rule `{id}` (see `gitops-lint rules`)"));
        }
    }
    // Progress is for people watching a terminal: never in machine formats,
    // never when stderr is a file or a pipe.
    let show_progress = !args.format.is_machine() && std::io::stderr().is_terminal();
    let progress = show_progress.then(|| Arc::new(Progress::default()));
    let opts = Options {
        paths: args.paths,
        config: args.config,
        system_repos: args.system_repos,
        platform_repo: args.platform_repo,
        changed_since: args.changed_since,
        kubernetes_version: args.kubernetes_version,
        selection: Selection {
            select: args.select,
            ignore: args.ignore,
            min_severity: args.severity,
        },
        jobs: args.jobs,
        require_system_repos: args.require_system_repos,
        progress: progress.clone(),
    };
    let line = progress.map(ProgressLine::start);
    let result = lint(&opts);
    if let Some(line) = line {
        line.finish();
    }
    let report = match result {
        Ok(r) => r,
        Err(LintError::Config(e)) => return fail(&format!("invalid config: {e}")),
        Err(e) => return fail(&e.to_string()),
    };
    // Whatever the format, what was not checked is said where people and
    // CI logs see it.
    for notice in &report.notices {
        eprintln!("gitops-lint: warning: {notice}");
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let width = terminal_width();
    let text = report::render(&report, args.format, RenderOptions { color, width });
    let written = match &args.output {
        Some(path) => std::fs::write(path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| e.to_string()),
    };
    if let Err(e) = written {
        return fail(&e);
    }
    let warnings_fail = args.deny_warnings && report.count(Severity::Warning) > 0;
    if report.has_errors() || warnings_fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// A one-line progress indicator on stderr (`checking: 120/5000 files, 300
/// documents`), redrawn in place, shown only once a run has taken a moment,
/// and erased when the run ends.
struct ProgressLine {
    stop: mpsc::Sender<()>,
    handle: thread::JoinHandle<()>,
}

impl ProgressLine {
    const DELAY: Duration = Duration::from_millis(300);
    const TICK: Duration = Duration::from_millis(100);

    fn start(progress: Arc<Progress>) -> ProgressLine {
        let (stop, stopped) = mpsc::channel::<()>();
        let handle = thread::spawn(move || {
            let started = Instant::now();
            let mut drawn = false;
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(Self::TICK) {
                if started.elapsed() < Self::DELAY {
                    continue;
                }
                let (files, total, documents) = progress.snapshot();
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\r\x1b[2Kchecking: {files}/{total} files, {documents} documents"
                );
                let _ = err.flush();
                drawn = true;
            }
            if drawn {
                eprint!("\r\x1b[2K");
            }
        });
        ProgressLine { stop, handle }
    }

    fn finish(self) {
        let _ = self.stop.send(());
        let _ = self.handle.join();
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

fn fail(message: &str) -> ExitCode {
    eprintln!("gitops-lint: error: {message}");
    ExitCode::from(2)
}

fn rules(markdown: bool) -> ExitCode {
    if markdown {
        print!("{}", docs::markdown_table());
        return ExitCode::SUCCESS;
    }
    let all = docs::all();
    let width = all.iter().map(|d| d.id.len()).max().unwrap_or(10);
    let mut out = format!(
        "{:<width$}  {:<8}  {:<11}  {:<7}  summary\n",
        "id", "severity", "category", "fixable"
    );
    for d in all {
        out.push_str(&format!(
            "{:<width$}  {:<8}  {:<11}  {:<7}  {}\n",
            d.id,
            d.severity.as_str(),
            d.category,
            if d.fixable { "yes" } else { "no" },
            d.summary
        ));
    }
    print!("{out}");
    ExitCode::SUCCESS
}

fn explain(rule: &str) -> ExitCode {
    let Some(d) = docs::doc(rule) else {
        let close: Vec<&str> = docs::all()
            .iter()
            .map(|d| d.id.as_str())
            .filter(|id| id.contains(rule) || rule.contains(*id))
            .collect();
        let hint = if close.is_empty() {
            "see `gitops-lint rules`".to_string()
        } else {
            format!("did you mean {}?", close.join(", "))
        };
        return fail(&format!("unknown rule `{rule}`; {hint}"));
    };
    println!(
        "{} ({}, {}, {})\n\n{}\n",
        d.id,
        d.severity,
        d.category,
        if d.fixable { "fixable" } else { "not fixable" },
        d.summary
    );
    print!("{}", d.body.trim_start_matches('\n'));
    ExitCode::SUCCESS
}

/// The root of the repository the current directory is in.
fn current_repo_root() -> Result<PathBuf, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    Ok(gitops_lint::workspace::discover::find_root(&cwd).unwrap_or(cwd))
}

fn schemas(command: SchemasCommand) -> ExitCode {
    let root = match current_repo_root() {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    match command {
        SchemasCommand::List {
            kubernetes,
            kubernetes_version,
        } => {
            let version = kubernetes_version.unwrap_or_else(|| {
                config::discover(&root)
                    .and_then(|p| config::load(&p, &docs::Catalog).ok())
                    .map_or_else(
                        || config::Config::default().kubernetes_version,
                        |c| c.kubernetes_version,
                    )
            });
            let (rows, problems) = schema::list(&root, &version, kubernetes);
            for p in problems {
                eprintln!("gitops-lint: warning: {p}");
            }
            let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(10);
            let kind_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(4);
            let mut out = format!(
                "{:<width$}  {:<kind_width$}  source\n",
                "apiVersion", "kind"
            );
            for (api_version, kind, source) in rows {
                out.push_str(&format!(
                    "{api_version:<width$}  {kind:<kind_width$}  {source}\n"
                ));
            }
            print!("{out}");
            ExitCode::SUCCESS
        }
        SchemasCommand::Import { files, dir } => {
            let dir = dir.unwrap_or_else(|| root.join(schema::crd::IMPORT_DIR));
            for file in files {
                let (name, text) = if file.as_os_str() == "-" {
                    let mut text = String::new();
                    if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                    {
                        return fail(&format!("cannot read stdin: {e}"));
                    }
                    ("<stdin>".to_string(), text)
                } else {
                    match std::fs::read_to_string(&file) {
                        Ok(t) => (file.display().to_string(), t),
                        Err(e) => return fail(&format!("cannot read {}: {e}", file.display())),
                    }
                };
                let notes = match schema::crd::import(&text, &dir) {
                    Ok(n) => n,
                    Err(e) => return fail(&format!("{name}: {e}")),
                };
                for note in notes {
                    match note {
                        schema::crd::ImportNote::Written {
                            path,
                            api_version,
                            kind,
                        } => {
                            eprintln!("wrote {} ({kind} {api_version})", path.display())
                        }
                        schema::crd::ImportNote::Skipped { document, reason } => {
                            eprintln!("{name}: document {document} skipped: {reason}")
                        }
                    }
                }
            }
            ExitCode::SUCCESS
        }
    }
}

fn init(force: bool) -> ExitCode {
    let path = PathBuf::from(config::FILE_NAME);
    if path.exists() && !force {
        return fail(&format!(
            "{} already exists (use --force to overwrite)",
            config::FILE_NAME
        ));
    }
    if let Err(e) = std::fs::write(&path, config::INIT_TEMPLATE) {
        return fail(&format!("cannot write {}: {e}", path.display()));
    }
    eprintln!("wrote {}", config::FILE_NAME);
    ExitCode::SUCCESS
}
