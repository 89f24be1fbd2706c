//! Regular expressions from kustomizations (patch targets, `images`
//! names, `replacements` item selectors), compiled once per run.
//!
//! Every build reads its kustomization again, and one parent's patch
//! targets every child the same way: compiling each pattern at each read
//! cost 4% of a run on the real-shaped corpus (bench/run.sh, perf). The
//! cache hands out one shared [`Regex`] per pattern — not a clone, since a
//! cloned `Regex` starts with an empty match cache and rebuilds its lazy
//! DFA on first use — and a pattern that is a plain word (most `kind:` and
//! `name:` targets) is compared as a string.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use regex::Regex;

/// A compiled pattern.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// Matches exactly this text (the pattern has no metacharacter).
    Literal(Arc<str>),
    Regex(Arc<Regex>),
}

impl Pattern {
    pub fn is_match(&self, text: &str) -> bool {
        match self {
            Pattern::Literal(word) => **word == *text,
            Pattern::Regex(re) => re.is_match(text),
        }
    }
}

static COMPILED: OnceLock<Mutex<HashMap<String, Arc<Regex>>>> = OnceLock::new();

/// Entries kept at most (a run has a few dozen distinct patterns; this
/// only bounds what a generated input could make it hold).
const MAX_PATTERNS: usize = 4096;

/// `pattern` compiled as written (unanchored unless it anchors itself).
pub fn regex(pattern: &str) -> Result<Arc<Regex>, regex::Error> {
    let cache = COMPILED.get_or_init(Mutex::default);
    if let Some(re) = cache.lock().ok().and_then(|c| c.get(pattern).cloned()) {
        return Ok(re);
    }
    let re = Arc::new(Regex::new(pattern)?);
    if let Ok(mut c) = cache.lock() {
        if c.len() >= MAX_PATTERNS {
            c.clear();
        }
        c.insert(pattern.to_string(), Arc::clone(&re));
    }
    Ok(re)
}

/// The characters that make a pattern more than its own text (outside a
/// class, `-`, `#`, `&` and `~` stand for themselves).
const METACHARACTERS: &[char] = &[
    '\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$',
];

/// `pattern` anchored at both ends (`^(?:…)$`), as kustomize anchors a
/// patch target's fields.
pub fn anchored(pattern: &str) -> Result<Pattern, regex::Error> {
    if !pattern.contains(METACHARACTERS) {
        return Ok(Pattern::Literal(pattern.into()));
    }
    regex(&format!("^(?:{pattern})$")).map(Pattern::Regex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_word_matches_only_itself() {
        let p = anchored("Deployment").unwrap();
        assert!(matches!(p, Pattern::Literal(_)));
        assert!(p.is_match("Deployment"));
        assert!(!p.is_match("Deployments"));
        assert!(!p.is_match("MyDeployment"));
        assert!(!p.is_match(""));
        assert!(matches!(anchored("my-app").unwrap(), Pattern::Literal(_)));
    }

    #[test]
    fn a_pattern_with_metacharacters_is_anchored() {
        let p = anchored("app-.*").unwrap();
        assert!(matches!(p, Pattern::Regex(_)));
        assert!(p.is_match("app-web"));
        assert!(!p.is_match("my-app-web"));
        let alternatives = anchored("a|b").unwrap();
        assert!(alternatives.is_match("a") && alternatives.is_match("b"));
        assert!(!alternatives.is_match("ab"));
        // A dot is a metacharacter: `v1.2` is a pattern, as in kustomize.
        assert!(anchored("v1.2").unwrap().is_match("v1x2"));
    }

    #[test]
    fn a_pattern_is_compiled_once_and_shared() {
        let one = regex("^shared-[0-9]+$").unwrap();
        let two = regex("^shared-[0-9]+$").unwrap();
        assert!(Arc::ptr_eq(&one, &two));
        assert!(regex("(").is_err());
    }
}
