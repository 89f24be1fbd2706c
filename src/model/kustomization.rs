//! kustomize's own files: what a directory's kustomization is called, and
//! which entries name something remote.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_every_kustomization_file_name() {
        assert!(is_kustomization("apps/kustomization.yaml"));
        assert!(is_kustomization("Kustomization"));
        assert!(!is_kustomization("apps/kustomization.json"));
    }
}
