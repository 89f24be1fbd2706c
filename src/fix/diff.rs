//! A unified diff of one file's edits, as `diff -u` and `git apply` read
//! it. The edits say exactly what changes, so no diff algorithm is
//! needed: the lines an edit touches are removed and written again with
//! the edit made, with three lines of context around each change.

use super::Edit;

const CONTEXT: usize = 3;

/// The diff of `text` (shown as `path`) with `edits` (sorted, not
/// overlapping) made; empty when nothing changes.
pub(super) fn unified(path: &str, text: &str, edits: &[Edit]) -> String {
    let lines = Lines::of(text);
    let changes = changes(text, &lines, edits);
    if changes.is_empty() {
        return String::new();
    }
    let mut out = format!("--- {path}\n+++ {path}\n");
    let mut shift: isize = 0;
    for hunk in hunks(&changes, lines.count()) {
        out.push_str(&hunk.render(text, &lines, &changes, &mut shift));
    }
    out
}

/// Where each line of a text starts (byte offsets), 0-based lines.
struct Lines {
    starts: Vec<usize>,
    len: usize,
}

impl Lines {
    fn of(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        if starts.last() == Some(&text.len()) && !text.is_empty() {
            starts.pop();
        }
        Lines {
            starts,
            len: text.len(),
        }
    }

    fn count(&self) -> usize {
        if self.len == 0 {
            0
        } else {
            self.starts.len()
        }
    }

    /// The line holding byte `offset`.
    fn of_offset(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// Lines `first..=last` as a byte range, line ends included.
    fn range(&self, first: usize, last: usize) -> std::ops::Range<usize> {
        let end = self.starts.get(last + 1).copied().unwrap_or(self.len);
        self.starts[first]..end
    }
}

/// Lines `first..=last` of the old text, replaced by `new`.
struct Change {
    first: usize,
    last: usize,
    new: String,
}

/// The edits as whole-line changes; edits on a shared line are one change.
fn changes(text: &str, lines: &Lines, edits: &[Edit]) -> Vec<Change> {
    let mut groups: Vec<(usize, usize, Vec<&Edit>)> = Vec::new();
    for e in edits {
        let first = lines.of_offset(e.start);
        let last = lines.of_offset(e.end.saturating_sub(1).max(e.start));
        match groups.last_mut() {
            Some((_, l, group)) if first <= *l => {
                *l = (*l).max(last);
                group.push(e);
            }
            _ => groups.push((first, last, vec![e])),
        }
    }
    groups
        .into_iter()
        .map(|(first, last, group)| {
            let range = lines.range(first, last);
            let mut new = String::new();
            let mut at = range.start;
            for e in group {
                new.push_str(&text[at..e.start]);
                new.push_str(&e.replacement);
                at = e.end;
            }
            new.push_str(&text[at..range.end]);
            Change { first, last, new }
        })
        .collect()
}

/// Changes close enough to share their context, and the old lines shown.
struct Hunk {
    changes: std::ops::Range<usize>,
    first: usize,
    last: usize,
}

fn hunks(changes: &[Change], line_count: usize) -> Vec<Hunk> {
    let mut out: Vec<Hunk> = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        let first = c.first.saturating_sub(CONTEXT);
        let last = (c.last + CONTEXT).min(line_count.saturating_sub(1));
        match out.last_mut() {
            Some(h) if first <= h.last + 1 => {
                h.changes.end = i + 1;
                h.last = last;
            }
            _ => out.push(Hunk {
                changes: i..i + 1,
                first,
                last,
            }),
        }
    }
    out
}

impl Hunk {
    /// The hunk's text; `shift` is how many lines the hunks before it added.
    fn render(&self, text: &str, lines: &Lines, changes: &[Change], shift: &mut isize) -> String {
        let mut body = String::new();
        let (mut old_count, mut new_count) = (0, 0);
        let mut line = self.first;
        for c in &changes[self.changes.clone()] {
            for l in line..c.first {
                push_lines(&mut body, ' ', &text[lines.range(l, l)]);
            }
            let old = &text[lines.range(c.first, c.last)];
            let context = c.first - line;
            old_count += context + push_lines(&mut body, '-', old);
            new_count += context + push_lines(&mut body, '+', &c.new);
            line = c.last + 1;
        }
        for l in line..=self.last {
            push_lines(&mut body, ' ', &text[lines.range(l, l)]);
        }
        let trailing = (self.last + 1).saturating_sub(line);
        old_count += trailing;
        new_count += trailing;
        let old_start = self.first + 1;
        let new_start = (old_start as isize + *shift) as usize;
        *shift += new_count as isize - old_count as isize;
        format!(
            "@@ -{} +{} @@\n{body}",
            range(old_start, old_count),
            range(new_start, new_count)
        )
    }
}

/// `start,count` as a hunk header writes it (`start` alone for one line;
/// the line before, with count 0, for none).
fn range(start: usize, count: usize) -> String {
    match count {
        1 => start.to_string(),
        0 => format!("{},0", start.saturating_sub(1)),
        n => format!("{start},{n}"),
    }
}

/// Writes each line of `text` with `mark`, and says when the last has no
/// newline; returns how many lines.
fn push_lines(out: &mut String, mark: char, text: &str) -> usize {
    let mut n = 0;
    for l in text.split_inclusive('\n') {
        out.push(mark);
        out.push_str(l);
        if !l.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(text: &str, old: &str, new: &str) -> Edit {
        let start = text.find(old).unwrap();
        Edit {
            start,
            end: start + old.len(),
            replacement: new.into(),
        }
    }

    #[test]
    fn one_change_with_context() {
        let text = "a\nb\nc\nd: no\ne\nf\ng\nh\n";
        let out = unified("x.yaml", text, &[edit(text, "no", "\"no\"")]);
        assert_eq!(
            out,
            "--- x.yaml\n+++ x.yaml\n@@ -1,7 +1,7 @@\n a\n b\n c\n-d: no\n+d: \"no\"\n e\n f\n g\n"
        );
    }

    #[test]
    fn near_changes_share_a_hunk_far_ones_do_not() {
        let text: String = (1..=20).map(|i| format!("k{i}: v{i}\n")).collect();
        let edits = [
            edit(&text, "v2\n", "w2\n"),
            edit(&text, "v5\n", "w5\nextra: 1\n"),
            edit(&text, "v18\n", "w18\n"),
        ];
        let out = unified("f", &text, &edits);
        let headers: Vec<&str> = out.lines().filter(|l| l.starts_with("@@")).collect();
        assert_eq!(headers, ["@@ -1,8 +1,9 @@", "@@ -15,6 +16,6 @@"]);
        assert!(
            out.contains("-k5: v5\n+k5: w5\n+extra: 1\n k6: v6\n"),
            "{out}"
        );
    }

    #[test]
    fn a_last_line_without_newline_is_marked() {
        let text = "a: 1\nb: yes";
        let out = unified("f", text, &[edit(text, "yes", "\"yes\"")]);
        assert_eq!(
            out,
            "--- f\n+++ f\n@@ -1,2 +1,2 @@\n a: 1\n-b: yes\n\\ No newline at end of file\n+b: \"yes\"\n\\ No newline at end of file\n"
        );
    }

    #[test]
    fn two_edits_on_one_line_are_one_change() {
        let text = "x: [yes, no]\n";
        let out = unified(
            "f",
            text,
            &[edit(text, "yes", "\"yes\""), edit(text, "no", "\"no\"")],
        );
        assert_eq!(
            out,
            "--- f\n+++ f\n@@ -1 +1 @@\n-x: [yes, no]\n+x: [\"yes\", \"no\"]\n"
        );
    }
}
