//! Rendering a report. Reporters only read findings; they never
//! reach back into checking.

pub mod azure;
pub mod concise;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod statistics;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::base::finding::{Finding, Severity};
use crate::base::source::SourceText;

/// The result of a run.
#[derive(Debug)]
pub struct Report {
    /// The checked repository's root (absolute; `/repo` for text held in
    /// memory). Paths in findings are relative to it.
    pub root: PathBuf,
    /// Sorted by path, line, column, rule; suppressed ones included (marked).
    pub findings: Vec<Finding>,
    pub files: usize,
    pub documents: usize,
    pub elapsed: Duration,
    /// Every checked file by report path, with its text for snippets
    /// (secrets masked) when a finding or a related location is in it;
    /// empty for the others.
    pub sources: HashMap<String, Arc<SourceText>>,
    /// What the run could not check (system repositories without a local
    /// checkout, …): every format says so, and the CLI prints each on
    /// stderr, so a run that skipped work never looks like a pass.
    pub notices: Vec<String>,
    /// The other repositories of the run (system repositories, the
    /// platform repository given as context): their names and where their
    /// files' report paths start (`../k8s-payments/`).
    pub repositories: Vec<RepositoryBase>,
}

/// A repository besides the checked one, as its files' paths show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RepositoryBase {
    pub name: String,
    /// The report path of its root, with a trailing `/`.
    pub prefix: String,
}

impl Report {
    /// Findings that count: not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.active().filter(|f| f.severity == severity).count()
    }

    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }
}

/// The report's sources by path, as reporters may show them: `lint`
/// already masked every secret value, URL credential and span a finding
/// redacts (see [`crate::workspace::redact`]).
pub fn redacted_sources(report: &Report) -> HashMap<&str, Arc<SourceText>> {
    report
        .sources
        .iter()
        .map(|(path, source)| (path.as_str(), source.clone()))
        .collect()
}

/// Output formats of `check --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// Azure DevOps logging commands (pipeline issues).
    Azure,
    /// JUnit XML, one test case per file.
    Junit,
    /// One line per finding: `path:line:col: severity[rule] message`.
    Concise,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 7] = [
        Format::Human,
        Format::Concise,
        Format::Json,
        Format::Sarif,
        Format::Github,
        Format::Azure,
        Format::Junit,
    ];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
            Format::Azure => "azure",
            Format::Junit => "junit",
            Format::Concise => "concise",
        }
    }

    /// Formats read by programs rather than people: no progress, no colour,
    /// paths relative to the repository root.
    pub fn is_machine(self) -> bool {
        !matches!(self, Format::Human | Format::Concise)
    }
}

/// Options for rendering.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub color: bool,
    /// Terminal width for wrapping (human format).
    pub width: usize,
    /// Findings only: no summary line (human, concise).
    pub quiet: bool,
    /// How paths are shown in the formats people read.
    pub paths: PathView,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            width: 100,
            quiet: false,
            paths: PathView::default(),
        }
    }
}

/// How the formats people read show a finding's path: relative to the
/// directory they stand in, so that it is clickable there. The default
/// shows paths as the report holds them (relative to the repository
/// root), as machine formats always do.
#[derive(Debug, Clone, Default)]
pub struct PathView {
    /// The repository root and the directory paths are shown from, when
    /// they differ.
    from: Option<(PathBuf, PathBuf)>,
}

impl PathView {
    /// Paths relative to `dir` (both absolute) of a report rooted at
    /// `root`.
    pub fn from_dir(root: &Path, dir: &Path) -> PathView {
        PathView {
            from: (root != dir).then(|| (root.to_path_buf(), dir.to_path_buf())),
        }
    }

    /// A report path (relative to the root, `/`-separated) as shown.
    pub fn show<'a>(&self, path: &'a str) -> Cow<'a, str> {
        let Some((root, dir)) = &self.from else {
            return Cow::Borrowed(path);
        };
        let full = crate::base::paths::lexical(&root.join(path));
        let shown = crate::workspace::discover::display_path(dir, &full);
        Cow::Owned(if shown.is_empty() { ".".into() } else { shown })
    }
}

/// How a CI agent's command line (GitHub workflow commands, Azure DevOps
/// logging commands) wants text escaped: `%`, CR and LF always, as the
/// agent decodes them (`percent` is how it writes `%`), and in a property
/// value also the characters that end one.
pub(crate) struct CommandEscapes {
    pub percent: &'static str,
    pub property: &'static [(char, &'static str)],
}

impl CommandEscapes {
    /// The message of a command.
    pub fn data(&self, s: &str) -> String {
        s.replace('%', self.percent)
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    }

    /// A property value of a command.
    pub fn property(&self, s: &str) -> String {
        let mut out = self.data(s);
        for (c, with) in self.property {
            out = out.replace(*c, with);
        }
        out
    }
}

pub fn render(report: &Report, format: Format, opts: &RenderOptions) -> String {
    match format {
        Format::Human => human::render(report, opts),
        Format::Concise => concise::render(report, opts),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
        Format::Azure => azure::render(report),
        Format::Junit => junit::render(report),
    }
}
