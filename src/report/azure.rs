//! `--format azure`: Azure DevOps logging commands, one issue per error or
//! warning (`##vso[task.logissue type=error;sourcepath=…;linenumber=…;
//! columnnumber=…;code=…]message`), then `##vso[task.complete
//! result=Failed;]` when there are errors.
//!
//! Escaping follows the agent (`CommandStringConvertor`): `%` becomes
//! `%AZP25` first, then `;`, CR, LF and `]` are percent-encoded in property
//! values; the message escapes `%`, CR and LF. Azure DevOps issues are
//! errors or warnings only, so info findings are not logged, and no line
//! carries user text outside a command (a `##vso[` in plain output would be
//! executed).

use super::CommandEscapes;
use super::Report;
use crate::base::finding::{Finding, Severity};

pub fn render(report: &Report) -> String {
    let mut out: String = report.active().filter_map(command).collect();
    for notice in &report.notices {
        out.push_str(&format!(
            "##vso[task.logissue type=warning;code=gitops-lint]{}\n",
            ESCAPES.data(notice)
        ));
    }
    let errors = report.count(Severity::Error);
    if errors > 0 {
        let plural = if errors == 1 { "" } else { "s" };
        out.push_str(&format!(
            "##vso[task.complete result=Failed;]gitops-lint found {errors} error{plural}\n"
        ));
    }
    out
}

fn command(f: &Finding) -> Option<String> {
    let kind = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => return None,
    };
    let props = [
        ("type", kind.to_string()),
        ("sourcepath", f.path.clone()),
        ("linenumber", f.span.start.line.max(1).to_string()),
        ("columnnumber", f.span.start.col.max(1).to_string()),
        ("code", f.rule.to_string()),
    ];
    let props: String = props
        .iter()
        .map(|(k, v)| format!("{k}={};", ESCAPES.property(v)))
        .collect();
    let mut message = format!("{} [{}]", f.message, f.rule);
    if let Some(help) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    Some(format!(
        "##vso[task.logissue {props}]{}\n",
        ESCAPES.data(&message)
    ))
}

/// How the agent decodes logging commands.
const ESCAPES: CommandEscapes = CommandEscapes {
    percent: "%AZP25",
    property: &[(';', "%3B"), (']', "%5D")],
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
    fn escapes_what_the_agent_decodes() {
        assert_eq!(ESCAPES.data("50% a;]\r\nb"), "50%AZP25 a;]%0D%0Ab");
        assert_eq!(ESCAPES.property("a;b]c%\n:,"), "a%3Bb%5Dc%AZP25%0A:,");
    }

    #[test]
    fn logs_issues_and_fails_on_errors() {
        let e = Finding::new(
            "yaml-truthy",
            "a;b]/x.yaml",
            Span::new(at(3, 5), at(3, 8)),
            "100%: a, b; c]\nnext",
        );
        let mut w = Finding::new("w", "x.yaml", Span::new(at(1, 1), at(1, 2)), "warn");
        w.severity = Severity::Warning;
        let mut i = Finding::new("i", "x.yaml", Span::new(at(1, 1), at(1, 2)), "info");
        i.severity = Severity::Info;
        let report = Report {
            findings: vec![e, w, i],
            files: 2,
            documents: 2,
            elapsed: std::time::Duration::ZERO,
            sources: Default::default(),
            notices: Vec::new(),
            repositories: Vec::new(),
            root: "/repo".into(),
        };
        assert_eq!(
            render(&report),
            "##vso[task.logissue type=error;sourcepath=a%3Bb%5D/x.yaml;linenumber=3;columnnumber=5;code=yaml-truthy;]\
             100%AZP25: a, b; c]%0Anext [yaml-truthy]\n\
             ##vso[task.logissue type=warning;sourcepath=x.yaml;linenumber=1;columnnumber=1;code=w;]warn [w]\n\
             ##vso[task.complete result=Failed;]gitops-lint found 1 error\n"
        );
    }
}
