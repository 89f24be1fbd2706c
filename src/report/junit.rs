//! `--format junit`: JUnit XML for Azure DevOps' PublishTestResults and
//! GitLab's `artifacts:reports:junit`.
//!
//! One test case per checked file (classname `gitops-lint`, name and `file`
//! the file's path); a file with findings fails. Both consumers read only
//! the first `<failure>` of a test case (Azure's reader selects a single
//! node), so a failing case has one `<failure>` whose `message` counts the
//! findings and names the most severe one, and whose text lists every finding, one per line, as
//! `path:line:col: severity[rule] message`. No times are written: the output
//! of two runs is identical.

use std::collections::BTreeMap;

use super::Report;
use crate::base::finding::{Finding, Severity};

pub fn render(report: &Report) -> String {
    let mut files: BTreeMap<&str, Vec<&Finding>> = report
        .sources
        .keys()
        .map(|p| (p.as_str(), Vec::new()))
        .collect();
    for f in report.active() {
        files.entry(f.path.as_str()).or_default().push(f);
    }
    let skipped = report.notices.len();
    let tests = files.len() + skipped;
    let failures = files.values().filter(|v| !v.is_empty()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"gitops-lint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n"
    ));
    out.push_str(&format!(
        "  <testsuite name=\"gitops-lint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n"
    ));
    // What the run could not check is a skipped case, never a pass.
    for notice in &report.notices {
        out.push_str(&format!(
            "    <testcase classname=\"gitops-lint\" name=\"not checked\"><skipped message=\"{}\"/></testcase>\n",
            escape(notice)
        ));
    }
    for (path, findings) in &files {
        let path = escape(path);
        if findings.is_empty() {
            out.push_str(&format!(
                "    <testcase classname=\"gitops-lint\" name=\"{path}\" file=\"{path}\"/>\n"
            ));
            continue;
        }
        out.push_str(&format!(
            "    <testcase classname=\"gitops-lint\" name=\"{path}\" file=\"{path}\">\n"
        ));
        let worst = findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Error);
        let text: String = findings.iter().map(|f| line(f)).collect();
        out.push_str(&format!(
            "      <failure type=\"{worst}\" message=\"{}\">{}</failure>\n",
            escape(&summary(findings)),
            escape(&text)
        ));
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn summary(findings: &[&Finding]) -> String {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let parts: Vec<String> = [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Info, "info"),
    ]
    .iter()
    .filter_map(|&(s, name)| {
        let n = count(s);
        (n > 0).then(|| {
            format!(
                "{n} {name}{}",
                if n == 1 || s == Severity::Info {
                    ""
                } else {
                    "s"
                }
            )
        })
    })
    .collect();
    // The most severe finding first (the first of them in file order): the
    // message is all a test results page shows at a glance.
    let first = findings
        .iter()
        .rev()
        .max_by_key(|f| f.severity)
        .map(|f| format!(": {}", f.message))
        .unwrap_or_default();
    format!("{}{first}", parts.join(", "))
}

fn line(f: &Finding) -> String {
    let mut s = format!(
        "{}:{}:{}: {}[{}] {}\n",
        f.path, f.span.start.line, f.span.start.col, f.severity, f.rule, f.message
    );
    if let Some(help) = &f.help {
        s.push_str(&format!("  help: {help}\n"));
    }
    s
}

/// XML text and attribute escaping; characters XML 1.0 cannot carry at all
/// (most C0 controls) become U+FFFD, line breaks stay numeric in attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::{Pos, SourceText, Span};
    use std::collections::HashMap;

    fn at(line: u32, col: u32) -> Pos {
        Pos {
            line,
            col,
            offset: 0,
        }
    }

    #[test]
    fn one_case_per_file_one_failure_listing_findings() {
        let mut sources = HashMap::new();
        for p in ["b.yaml", "a.yaml"] {
            sources.insert(p.to_string(), SourceText::new(String::new()));
        }
        let mut w = Finding::new(
            "w",
            "b.yaml",
            Span::new(at(2, 1), at(2, 2)),
            "x < y & \"z\"",
        );
        w.severity = Severity::Warning;
        let e = Finding::new("e", "b.yaml", Span::new(at(3, 1), at(3, 2)), "bad\u{1}");
        let report = Report {
            findings: vec![w, e],
            files: 2,
            documents: 2,
            elapsed: std::time::Duration::ZERO,
            sources,
            notices: Vec::new(),
            repositories: Vec::new(),
            root: "/repo".into(),
        };
        let xml = render(&report);
        assert!(xml.contains("<testsuites name=\"gitops-lint\" tests=\"2\" failures=\"1\""));
        assert!(
            xml.contains("<testcase classname=\"gitops-lint\" name=\"a.yaml\" file=\"a.yaml\"/>")
        );
        assert!(xml.contains(
            // The message names the error, though the warning comes first.
            "<failure type=\"error\" message=\"1 error, 1 warning: bad\u{FFFD}\">\
             b.yaml:2:1: warning[w] x &lt; y &amp; &quot;z&quot;&#10;b.yaml:3:1: error[e] bad\u{FFFD}&#10;</failure>"
        ));
        assert_eq!(xml.matches("<failure").count(), 1);
    }
}
