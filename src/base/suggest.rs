//! "Did you mean …?": the one place that picks a suggestion for a name
//! that is not there.

/// The candidate a misspelt `word` most likely meant: the closest within a
/// small edit distance (a third of the longer name, at least one). Case
/// differences count as nothing (`sourceref` finds `sourceRef`); swapping
/// two neighbouring letters is one edit (optimal string alignment, so
/// `nmae` is next to `name`).
pub fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| {
            let other = c.to_lowercase();
            let d = if other == lower {
                0
            } else {
                strsim::osa_distance(&lower, &other)
            };
            (d, c)
        })
        .filter(|(d, c)| *d <= (c.chars().count().max(word.chars().count()) / 3).max(1))
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}

/// A name that `word` is part of, or that is part of `word` (`infra` and
/// `infra-base`): for object names, where a prefix or suffix is the usual
/// mistake. The first such name in sorted order.
pub fn related<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .filter(|c| !c.is_empty() && *c != word && (c.contains(word) || word.contains(*c)))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_prefers_case_fixes_and_small_edits() {
        let c = ["sourceRef", "interval", "prune", "path"];
        assert_eq!(closest("sourceref", c), Some("sourceRef"));
        assert_eq!(closest("intervall", c), Some("interval"));
        assert_eq!(closest("prnue", c), Some("prune"));
        assert_eq!(closest("completelyelse", c), None);
        assert_eq!(closest("path", c), None);
    }

    #[test]
    fn related_finds_names_that_contain_each_other() {
        let c = ["infra-base", "apps", "infra-controllers"];
        assert_eq!(related("infra", c), Some("infra-base"));
        assert_eq!(related("apps-dev", c), Some("apps"));
        assert_eq!(related("web", c), None);
    }
}
