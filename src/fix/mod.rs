//! `check --fix` and `--diff`: the fixes findings carry, applied to the
//! files, or shown as a unified diff.
//!
//! A fix replaces one span; nothing else of the file changes (comments,
//! quoting and layout elsewhere stay byte for byte). The fixes of one file
//! are applied together: the same edit reported twice (a base rendered in
//! two clusters) is made once, and edits that overlap with different text
//! are left out (which one is right is the user's call). The diff is
//! written from the masked text the report holds, so a line of a Secret
//! near a fix is shown as `***`; the file written is the real one, read
//! again and compared with what the run read (outside masked text) so a
//! file changed since is never overwritten.

mod diff;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::base::finding::{Applicability, Finding};
use crate::base::source::SourceText;
use crate::report::{PathView, Report};

/// What `--fix` would do to the files of a report.
#[derive(Debug, Default)]
pub struct FixPlan {
    pub files: Vec<FileFix>,
    /// Unsafe fixes left out (without `--unsafe-fixes`).
    pub unsafe_left: usize,
    /// Fixes left out because another fix of the same text differs.
    pub conflicting: usize,
}

/// The edits to one file.
#[derive(Debug)]
pub struct FileFix {
    /// The report path (relative to the root).
    pub path: String,
    abs: PathBuf,
    /// The text the run read, with secrets masked byte for byte.
    masked: Arc<SourceText>,
    /// Sorted, not overlapping.
    edits: Vec<Edit>,
    /// How many findings these edits fix.
    pub findings: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edit {
    start: usize,
    end: usize,
    replacement: String,
}

#[derive(Debug)]
pub struct FixError(pub String);

impl fmt::Display for FixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fixes of the report's findings (not suppressed ones), safe ones
/// only unless `unsafe_fixes`.
pub fn plan(report: &Report, unsafe_fixes: bool) -> FixPlan {
    let mut plan = FixPlan::default();
    let mut by_file: BTreeMap<&str, Vec<Edit>> = BTreeMap::new();
    for f in report.active() {
        let Some(fix) = &f.fix else { continue };
        if fix.applicability == Applicability::Unsafe && !unsafe_fixes {
            plan.unsafe_left += 1;
            continue;
        }
        by_file.entry(&f.path).or_default().push(edit_of(f));
    }
    for (path, edits) in by_file {
        let Some(masked) = report.sources.get(path).filter(|s| !s.text.is_empty()) else {
            continue;
        };
        let total = edits.len();
        let (edits, findings) = settle(edits);
        plan.conflicting += total - findings;
        if edits.is_empty() {
            continue;
        }
        plan.files.push(FileFix {
            path: path.to_string(),
            abs: crate::base::paths::lexical(&report.root.join(path)),
            masked: Arc::clone(masked),
            findings,
            edits,
        });
    }
    plan
}

fn edit_of(f: &Finding) -> Edit {
    let fix = f.fix.as_ref().expect("a finding with a fix");
    Edit {
        start: fix.span.start.offset,
        end: fix.span.end.offset,
        replacement: fix.replacement.clone(),
    }
}

/// The edits in order, each once, without the ones that overlap another
/// with different text; and how many findings the kept edits fix (an
/// edit reported by several findings fixes each of them).
fn settle(mut edits: Vec<Edit>) -> (Vec<Edit>, usize) {
    edits.sort();
    let mut groups: Vec<(Edit, usize)> = Vec::with_capacity(edits.len());
    for e in edits {
        match groups.last_mut() {
            Some((last, n)) if *last == e => *n += 1,
            _ => groups.push((e, 1)),
        }
    }
    let mut kept: Vec<(Edit, usize)> = Vec::with_capacity(groups.len());
    // The end of the last run of clashing edits: what overlaps it goes too.
    let mut clash_end: Option<usize> = None;
    for (e, n) in groups {
        let overlaps = |k: &Edit| e.start < k.end || (e.start == k.start && e.start == e.end);
        if kept.last().is_some_and(|(k, _)| overlaps(k)) {
            let (k, _) = kept.pop().expect("checked");
            clash_end = Some(k.end.max(e.end));
        } else if clash_end.is_some_and(|end| e.start < end) {
            clash_end = clash_end.map(|end| end.max(e.end));
        } else {
            clash_end = None;
            kept.push((e, n));
        }
    }
    let fixed = kept.iter().map(|(_, n)| n).sum();
    (kept.into_iter().map(|(e, _)| e).collect(), fixed)
}

impl FixPlan {
    /// Edits to make, over every file.
    pub fn edits(&self) -> usize {
        self.files.iter().map(|f| f.edits.len()).sum()
    }

    /// Findings the edits fix.
    pub fn findings(&self) -> usize {
        self.files.iter().map(|f| f.findings).sum()
    }

    /// The unified diff of every file, paths as `paths` shows them.
    pub fn diff(&self, paths: &PathView) -> String {
        self.files
            .iter()
            .map(|f| {
                let shown = paths.show(&f.path);
                diff::unified(&shown, &f.masked.text, &f.edits)
            })
            .collect()
    }

    /// `text` (what the run read for the file at report path `path`, e.g.
    /// from stdin) with its fixes made; `None` when it has none, or when
    /// `text` is not what the run read.
    pub fn fixed(&self, path: &str, text: &str) -> Option<String> {
        let file = self.files.iter().find(|f| f.path == path)?;
        same_as_read(text, &file.masked.text).then(|| apply_edits(text, &file.edits))
    }

    /// Writes every file; a file that changed since the run, or that is a
    /// link, is an error and is not written (the others are).
    pub fn apply(&self) -> Result<(), FixError> {
        let mut failed = Vec::new();
        for file in &self.files {
            if let Err(e) = file.apply() {
                failed.push(e.0);
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(FixError(failed.join("; ")))
        }
    }
}

impl FileFix {
    fn apply(&self) -> Result<(), FixError> {
        let fail = |why: &str| FixError(format!("{}: not fixed: {why}", self.path));
        let meta = std::fs::symlink_metadata(&self.abs).map_err(|e| fail(&e.to_string()))?;
        if !meta.is_file() {
            return Err(fail("not a regular file (a link is never written through)"));
        }
        let text = std::fs::read_to_string(&self.abs).map_err(|e| fail(&e.to_string()))?;
        if !same_as_read(&text, &self.masked.text) {
            return Err(fail("the file changed since it was checked"));
        }
        let fixed = apply_edits(&text, &self.edits);
        std::fs::write(&self.abs, fixed).map_err(|e| fail(&e.to_string()))
    }
}

/// Whether `text` is what the run read: the same length, and the same
/// bytes wherever the masked copy shows them.
fn same_as_read(text: &str, masked: &str) -> bool {
    text.len() == masked.len()
        && text
            .bytes()
            .zip(masked.bytes())
            .all(|(t, m)| t == m || m == b'*')
}

/// `text` with the edits (sorted, not overlapping, on char boundaries)
/// made.
fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for e in edits {
        out.push_str(&text[at..e.start]);
        out.push_str(&e.replacement);
        at = e.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(start: usize, end: usize, r: &str) -> Edit {
        Edit {
            start,
            end,
            replacement: r.into(),
        }
    }

    #[test]
    fn the_same_edit_twice_is_made_once_and_clashes_are_left_out() {
        let (kept, fixed) = settle(vec![e(5, 8, "x"), e(0, 2, "a"), e(5, 8, "x")]);
        assert_eq!(kept, [e(0, 2, "a"), e(5, 8, "x")]);
        assert_eq!(fixed, 3);
        let (kept, fixed) = settle(vec![e(5, 8, "x"), e(0, 2, "a"), e(6, 9, "y"), e(7, 7, "z")]);
        assert_eq!(kept, [e(0, 2, "a")]);
        assert_eq!(fixed, 1);
        let (kept, _) = settle(vec![e(2, 2, "x"), e(2, 2, "y"), e(4, 5, "k")]);
        assert_eq!(kept, [e(4, 5, "k")]);
    }

    #[test]
    fn edits_change_only_their_spans() {
        let text = "a: yes # keep\nb: 'q'\n";
        assert_eq!(
            apply_edits(text, &[e(3, 6, "\"yes\""), e(17, 20, "'r'")]),
            "a: \"yes\" # keep\nb: 'r'\n"
        );
        assert!(same_as_read("pw: abc\n", "pw: ***\n"));
        assert!(!same_as_read("pw: abd\nx", "pw: ***\n"));
        assert!(!same_as_read("pw: abc\ny: 2\n", "pw: ***\ny: 1\n"));
    }
}
