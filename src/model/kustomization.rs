//! kustomize's own files: what a directory's kustomization is called, and
//! which files it applies as patches. A patch is a partial object — its
//! missing fields come from the base — so rules do not report a missing
//! field in one.

use crate::yaml::NodeRef;

/// The names kustomize accepts for a directory's kustomization, in the
/// order it looks for them.
pub const KUSTOMIZATION_FILES: &[&str] =
    &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Whether a repository-relative path names a kustomization file.
pub fn is_kustomization(rel: &str) -> bool {
    KUSTOMIZATION_FILES.contains(&crate::base::paths::file_name(rel))
}

/// A kustomize entry that names something remote (a URL, a Git address):
/// not fetched, so not followed or rendered.
pub fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.starts_with("git::")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
        || entry.contains("?ref=")
        || entry.contains(".git//")
}

/// The files a kustomization lists as patches (`patches` with a `path`,
/// `patchesStrategicMerge`, `patchesJson6902`), relative to its directory.
pub fn patch_paths(root: NodeRef<'_>) -> impl Iterator<Item = &str> {
    let listed = |key: &str| root.get(key).into_iter().flat_map(|l| l.items());
    let with_path = listed("patches")
        .chain(listed("patchesJson6902"))
        .filter_map(|p| p.get("path")?.as_str());
    let strategic = listed("patchesStrategicMerge")
        .filter_map(|p| p.as_str())
        // An inline strategic-merge patch, not a file.
        .filter(|p| !p.contains('\n'));
    with_path.chain(strategic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_every_kustomization_file_name() {
        assert!(is_kustomization("apps/kustomization.yaml"));
        assert!(is_kustomization("Kustomization"));
        assert!(!is_kustomization("apps/kustomization.json"));
    }

    #[test]
    fn lists_patches_of_every_form() {
        let text = "patches:\n  - path: a.yaml\n  - patch: '{}'\npatchesJson6902:\n  - path: j.yaml\npatchesStrategicMerge:\n  - ./sm.yaml\n  - |\n    kind: X\n    metadata: {name: y}\n";
        let stream = crate::yaml::parse(text, &crate::base::source::LineIndex::new(text));
        let paths: Vec<_> = patch_paths(stream.docs[0].root()).collect();
        assert_eq!(paths, ["a.yaml", "j.yaml", "./sm.yaml"]);
    }
}
