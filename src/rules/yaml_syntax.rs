//! `yaml-syntax`: YAML that does not parse, one finding per broken document
//! at the parser's position; files that are not YAML text at all (binary,
//! invalid UTF-8, unreadable, too large) at the first offending byte.

use crate::check::{FileContext, Rule};
use crate::finding::Findings;

pub(crate) static RULE: &dyn Rule = &YamlSyntax;

struct YamlSyntax;

const ID: &str = "yaml-syntax";

impl Rule for YamlSyntax {
    fn id(&self) -> &'static str {
        ID
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Findings) {
        let source = &cx.file.source;
        if let Some(problem) = &cx.file.problem {
            out.push(cx.finding(ID, source.char_span(problem.pos), problem.message.clone()));
        }
        for err in &cx.file.stream.errors {
            let message = format!(
                "invalid YAML in document {}: {}",
                err.doc_index + 1,
                err.message
            );
            out.push(
                cx.finding(ID, source.char_span(err.pos), message)
                    .with_help("fix the syntax; the other documents of this file are still checked"),
            );
        }
    }
}
