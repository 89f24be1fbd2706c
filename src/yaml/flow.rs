//! Oversized flow collections, found before the parser sees them.
//!
//! `saphyr-parser` keeps every token of a flow collection that starts where
//! a key may start (`[a, b]: value` is valid YAML) until the collection
//! closes, so a 100 MB `[ab,ab,…]` costs gigabytes before a single event
//! reaches the loader's node budget. This scan counts the entries of each
//! such collection over the raw text, in one pass and constant memory, and
//! names those with more than [`MAX_FLOW_ENTRIES`]: the loader reports
//! their document instead of parsing it.

/// Entries one flow collection (nested ones included) may hold. Written in
/// block style, a collection may be as large as the node budget allows.
pub const MAX_FLOW_ENTRIES: usize = 100_000;

/// Byte offsets of the opening bracket of every top-level flow collection
/// of `text` with more than `limit` entries.
pub fn oversized(text: &str, limit: usize) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    // A collection's entries are its commas and nested brackets, plus one:
    // a text with fewer of those than the limit (nearly every file) needs
    // no scan. This count vectorises.
    let separators = bytes
        .iter()
        .filter(|&&b| matches!(b, b',' | b'[' | b'{'))
        .count();
    if separators < limit {
        return found;
    }
    let mut depth = 0usize;
    let mut entries = 0usize;
    let mut opened_at = 0usize;
    let mut reported = false;
    // The last byte that was not a space or tab on this line, if any.
    let mut prev: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let line_start = i == 0 || bytes[i - 1] == b'\n' || bytes[i - 1] == b'\r';
        if line_start && is_document_marker(&bytes[i..]) {
            depth = 0;
            prev = None;
            i += 3;
            continue;
        }
        match b {
            b'\n' | b'\r' => {
                prev = None;
                i += 1;
                continue;
            }
            b' ' | b'\t' => {
                i += 1;
                continue;
            }
            b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r') => {
                i = skip_line(bytes, i);
                continue;
            }
            b'"' | b'\'' if starts_node(prev) || depth > 0 && prev_is_flow_indicator(prev) => {
                i = skip_quoted(bytes, i);
                prev = Some(b);
                continue;
            }
            b'[' | b'{' if depth > 0 => {
                depth += 1;
                entries += 1;
            }
            b'[' | b'{' if starts_node(prev) => {
                depth = 1;
                entries = 1;
                opened_at = i;
                reported = false;
            }
            b']' | b'}' if depth > 0 => depth -= 1,
            b',' if depth > 0 => {
                entries += 1;
                if entries > limit && !reported {
                    found.push(opened_at);
                    reported = true;
                }
            }
            _ => {}
        }
        prev = Some(b);
        i += 1;
    }
    found
}

/// Whether a node may start after `prev` (the line's last non-blank byte):
/// at a line start, or after `:`, `-`, `?`, `,`, `[`, `{` or `!tag`/`&anchor`
/// words are approximated by the indicators alone.
fn starts_node(prev: Option<u8>) -> bool {
    matches!(prev, None | Some(b':' | b'-' | b'?' | b',' | b'[' | b'{'))
}

fn prev_is_flow_indicator(prev: Option<u8>) -> bool {
    matches!(prev, Some(b',' | b'[' | b'{' | b':'))
}

fn is_document_marker(rest: &[u8]) -> bool {
    (rest.starts_with(b"---") || rest.starts_with(b"..."))
        && rest
            .get(3)
            .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

fn skip_line(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
        i += 1;
    }
    i
}

/// The offset just after the quoted scalar opening at `i` (`\` escapes in
/// double quotes, `''` in single quotes), or the end of the text.
fn skip_quoted(bytes: &[u8], i: usize) -> usize {
    let quote = bytes[i];
    let mut j = i + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' if quote == b'"' => j += 2,
            b'\'' if quote == b'\'' && bytes.get(j + 1) == Some(&b'\'') => j += 2,
            c if c == quote => return j + 1,
            _ => j += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_entries_of_top_level_flow_collections() {
        assert_eq!(oversized("a: [1, 2, 3]\n", 2), [3]);
        assert!(oversized("a: [1, 2, 3]\n", 3).is_empty());
        assert!(oversized("a: [1, 2]\n", 2).is_empty());
        assert_eq!(oversized("- {a: 1, b: [x, y]}\n", 3), [2]);
        assert_eq!(oversized("[a,b,c]\n---\n[d]\n", 2), [0]);
    }

    #[test]
    fn quotes_comments_and_plain_brackets_are_not_entries() {
        let text = "a: \"[x, y, z]\"\nb: '[p, q, r]'\nc: see [docs], and more, and more\n# [1, 2, 3, 4]\nd: [1, \"2, 3\", '4,5']\n";
        assert!(oversized(text, 3).is_empty(), "{:?}", oversized(text, 3));
        assert_eq!(oversized(text, 2).len(), 1);
    }

    #[test]
    fn a_document_marker_ends_an_unclosed_collection() {
        let text = "a: [1, 2\n---\nb: 3, 4, 5, 6\n";
        assert!(oversized(text, 2).is_empty());
    }
}
