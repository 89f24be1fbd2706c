//! `--format github`: GitHub Actions workflow commands, one annotation per
//! finding (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::…`).
//!
//! Escaping follows the runner: in the message `%`, CR and LF are
//! percent-encoded; in property values `:` and `,` are too. Columns are sent
//! only for single-line spans (GitHub rejects `col`/`endColumn` across
//! lines); `endColumn` is exclusive, as in every other format. Suppressed
//! findings are not annotated.

use super::CommandEscapes;
use super::Report;
use crate::base::finding::{Finding, Severity};

pub fn render(report: &Report) -> String {
    let mut out: String = report.active().map(command).collect();
    for notice in &report.notices {
        out.push_str(&format!(
            "::warning title=gitops-lint::{}\n",
            ESCAPES.data(notice)
        ));
    }
    out
}

fn command(f: &Finding) -> String {
    let kind = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let (start, end) = (f.span.start, f.span.end);
    let line = start.line.max(1);
    let mut props = vec![("file", f.path.clone()), ("line", line.to_string())];
    if end.line <= line {
        props.push(("col", start.col.max(1).to_string()));
        props.push(("endLine", line.to_string()));
        props.push(("endColumn", end.col.max(start.col).max(1).to_string()));
    } else {
        props.push(("endLine", end.line.to_string()));
    }
    props.push(("title", format!("gitops-lint: {}", f.rule)));
    let props: Vec<String> = props
        .into_iter()
        .map(|(k, v)| format!("{k}={}", ESCAPES.property(&v)))
        .collect();
    let mut message = f.message.clone();
    if let Some(help) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!("::{kind} {}::{}\n", props.join(","), ESCAPES.data(&message))
}

/// How the agent decodes workflow commands.
const ESCAPES: CommandEscapes = CommandEscapes {
    percent: "%25",
    property: &[(':', "%3A"), (',', "%2C")],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::{Pos, Span};

    fn at(line: u32, col: u32) -> Pos {
        Pos {
            line,
            col,
            offset: 0,
        }
    }

    #[test]
    fn escapes_what_the_runner_decodes() {
        assert_eq!(ESCAPES.data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(ESCAPES.property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn single_line_span_has_columns() {
        let f = Finding::new(
            "yaml-truthy",
            "dir,1/a:b.yaml",
            Span::new(at(3, 5), at(3, 8)),
            "100% wrong: a, b; c]\r\nnext",
        );
        assert_eq!(
            command(&f),
            "::error file=dir%2C1/a%3Ab.yaml,line=3,col=5,endLine=3,endColumn=8,\
             title=gitops-lint%3A yaml-truthy::100%25 wrong: a, b; c]%0D%0Anext\n"
        );
    }

    #[test]
    fn multi_line_span_has_no_columns() {
        let f = Finding::new("x", "a.yaml", Span::new(at(3, 5), at(6, 2)), "m").with_help("h");
        let mut f = f;
        f.severity = Severity::Info;
        assert_eq!(
            command(&f),
            "::notice file=a.yaml,line=3,endLine=6,title=gitops-lint%3A x::m%0Ahelp: h\n"
        );
    }
}
