//! `yaml-syntax`: YAML that does not parse, one finding per broken document
//! at the parser's position; files that are not YAML text at all (binary,
//! invalid UTF-8, unreadable, too large) at the first offending byte.

use crate::engine::registry::ids;
use crate::engine::{declare_rule, FileContext, Rule};
use crate::base::finding::Findings;

declare_rule!(YamlSyntax, ids::YAML_SYNTAX);

impl Rule for YamlSyntax {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    #[test]
    fn one_finding_per_broken_document_at_the_parser_position() {
        let text = "a: 1\n---\nb: [1,\n---\nc: 1\n---\nd: \"x\n";
        let f = run_rule(RULE, &[("m.yaml", text)], "");
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].message.contains("document 2"));
        assert!(f[1].message.contains("document 4"));
        assert_eq!(positions(&f)[0].1, 4);
    }

    #[test]
    fn valid_yaml_is_clean() {
        assert!(run_rule(RULE, &[("m.yaml", "a: 1\n---\nb: 2\n")], "").is_empty());
    }
}
