//! The command line: arguments, then one file per command (`check`,
//! `rules` and `explain`, `schemas`, `init`).

mod check;
mod init;
mod progress;
mod rules;
mod schemas;
mod settings;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    Check(Box<check::CheckArgs>),
    /// List every rule: id, default severity, category, fixable, whether
    /// it runs in the repository here (and why not), summary.
    Rules(rules::RulesArgs),
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
    /// Print the JSON Schema of .gitops-lint.yaml (for editors).
    ConfigSchema,
    /// Print the man page (roff): `gitops-lint man > gitops-lint.1`.
    Man,
    /// Print shell completions: `gitops-lint completions bash >
    /// /etc/bash_completion.d/gitops-lint`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write a commented default .gitops-lint.yaml in the current directory.
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
pub enum SchemasCommand {
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

const SUBCOMMANDS: &[&str] = &[
    "check",
    "rules",
    "explain",
    "schemas",
    "init",
    "config-schema",
    "completions",
    "man",
    "help",
];

/// Parses the arguments and runs the command; the exit code is the
/// contract's (0 clean, 1 findings, 2 usage or run error).
pub fn run(mut args: Vec<String>) -> ExitCode {
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
        Command::Check(args) => {
            let code = check::check(*args);
            // The cache entry is written while the report is printed.
            gitops_lint::wait_for_cache_writes();
            code
        }
        Command::Rules(args) => rules::rules(args),
        Command::Explain { rule } => rules::explain(&rule),
        Command::Schemas { command } => schemas::schemas(command),
        Command::Init { force } => init::init(force),
        Command::Completions { shell } => completions(shell),
        Command::Man => man(),
        Command::ConfigSchema => {
            print!("{}", gitops_lint::docs::config_schema());
            ExitCode::SUCCESS
        }
    }
}

/// `gitops-lint completions SHELL`: clap's completion script for the shell.
fn completions(shell: clap_complete::Shell) -> ExitCode {
    use clap::CommandFactory;
    use std::io::Write;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "gitops-lint", &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if shell == clap_complete::Shell::Bash {
        // clap_complete spells the state of a hyphenated binary's
        // subcommands two ways (the loop `gitops__lint__subcmd__check`, the
        // case arms `gitops__subcmd__lint__subcmd__check`), so no option of
        // a subcommand would complete (clap-rs/clap#6421, open): use the
        // loop's spelling in the arms too.
        script = script.replace("gitops__subcmd__lint", "gitops__lint");
    }
    match std::io::stdout().lock().write_all(script.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e.to_string()),
    }
}

/// `gitops-lint man`: the man page, with a section per subcommand (the
/// options of `check` are most of it).
fn man() -> ExitCode {
    use clap::CommandFactory;
    use std::io::Write;
    let cmd = Cli::command();
    let mut page = Vec::new();
    let rendered = clap_mangen::Man::new(cmd.clone())
        .render(&mut page)
        .and_then(|()| {
            // Each subcommand's options under its own heading.
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
                writeln!(
                    page,
                    ".SH \"GITOPS-LINT {}\"",
                    sub.get_name().to_uppercase()
                )?;
                writeln!(page, "{}", about.replace('\\', "\\\\"))?;
                clap_mangen::Man::new(sub.clone()).render_options_section(&mut page)?;
            }
            Ok(())
        });
    if let Err(e) = rendered.and_then(|()| std::io::stdout().lock().write_all(&page)) {
        return fail(&e.to_string());
    }
    ExitCode::SUCCESS
}

/// A usage or run error: said on stderr, exit code 2.
pub(crate) fn fail(message: &str) -> ExitCode {
    eprintln!("gitops-lint: error: {message}");
    ExitCode::from(2)
}
