//! `--format concise`: one line per finding, `path:line:col:
//! severity[rule] message`, as compilers and ruff print them (editors and
//! terminals make the location clickable), then the summary line.

use super::{human, RenderOptions, Report};
use crate::base::finding::{Finding, Severity};

pub fn render(report: &Report, opts: &RenderOptions) -> String {
    let mut out = String::new();
    for f in report.active() {
        out.push_str(&line(f, opts));
        out.push('\n');
    }
    if !opts.quiet {
        out.push_str(&human::summary(report));
    }
    out
}

fn line(f: &Finding, opts: &RenderOptions) -> String {
    let at = f.span.start;
    let path = opts.paths.show(&f.path);
    // A message is one line here: a newline in it would start what reads
    // as another finding.
    let message = f.message.replace(['\r', '\n'], " ");
    if !opts.color {
        return format!(
            "{path}:{}:{}: {}[{}] {message}",
            at.line, at.col, f.severity, f.rule
        );
    }
    let colour = match f.severity {
        Severity::Error => "31",
        Severity::Warning => "33",
        Severity::Info => "36",
    };
    format!(
        "\x1b[1m{path}\x1b[0m:{}:{}: \x1b[1;{colour}m{}\x1b[0m[{}] {message}",
        at.line, at.col, f.severity, f.rule
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::{Pos, Span};
    use crate::report::PathView;
    use std::path::Path;

    fn finding(path: &str, message: &str) -> Finding {
        let at = Pos {
            line: 4,
            col: 7,
            offset: 30,
        };
        let mut f = Finding::new("prune-enabled", path, Span { start: at, end: at }, message);
        f.severity = Severity::Error;
        f
    }

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            root: "/w/platform".into(),
            findings,
            files: 2,
            documents: 3,
            elapsed: std::time::Duration::from_millis(5),
            sources: Default::default(),
            notices: Vec::new(),
            repositories: Vec::new(),
        }
    }

    #[test]
    fn one_line_per_finding_then_the_summary() {
        let r = report(vec![finding(
            "clusters/dev/a.yaml",
            "prune is off;\nset it",
        )]);
        let out = render(&r, &RenderOptions::default());
        assert_eq!(
            out,
            "clusters/dev/a.yaml:4:7: error[prune-enabled] prune is off; set it\nFound 1 error, 0 warnings, 0 infos in 2 files (3 documents) in 5 ms.\n"
        );
        let quiet = RenderOptions {
            quiet: true,
            ..RenderOptions::default()
        };
        assert_eq!(render(&report(Vec::new()), &quiet), "");
    }

    #[test]
    fn paths_are_relative_to_the_directory_shown_from() {
        let r = report(vec![
            finding("clusters/dev/a.yaml", "m"),
            finding("../k8s-payments/deploy/hr.yaml", "m"),
        ]);
        let opts = |dir: &str| RenderOptions {
            quiet: true,
            paths: PathView::from_dir(Path::new("/w/platform"), Path::new(dir)),
            ..RenderOptions::default()
        };
        let lines = |dir: &str| -> Vec<String> {
            render(&r, &opts(dir))
                .lines()
                .map(|l| l.split(':').next().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            lines("/w/platform"),
            ["clusters/dev/a.yaml", "../k8s-payments/deploy/hr.yaml"]
        );
        assert_eq!(
            lines("/w/platform/clusters"),
            ["dev/a.yaml", "../../k8s-payments/deploy/hr.yaml"]
        );
        assert_eq!(
            lines("/w"),
            [
                "platform/clusters/dev/a.yaml",
                "k8s-payments/deploy/hr.yaml"
            ]
        );
    }
}
