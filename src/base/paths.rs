//! Repository-relative paths: `/`-separated, no leading `./`, never
//! climbing out of the repository. The one normaliser every stage uses.

/// `base` joined with `entry`, `.` and `..` resolved; an `entry` starting
/// with `/` starts from the repository root. `None` when the result would
/// climb out of the repository.
pub fn join(base: &str, entry: &str) -> Option<String> {
    let mut parts: Vec<&str> = if entry.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|p| !p.is_empty()).collect()
    };
    for part in entry.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// `a/./b/../c` → `a/c`; `None` if it climbs out of the root.
pub fn normalize(path: &str) -> Option<String> {
    join("", path)
}

/// The directory of a repository-relative path (`""` at the root).
pub fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The last component of a repository-relative path.
pub fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// A file-system path with `.` and `name/..` taken out, without asking the
/// file system (a link is not followed; a report path may name a file
/// that is gone). `..` at the root stays at the root.
pub fn lexical(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            Component::ParentDir if out.has_root() => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_dots_and_refuses_to_leave_the_repository() {
        assert_eq!(normalize("./a/./b/../c.yaml").as_deref(), Some("a/c.yaml"));
        assert_eq!(normalize("../x"), None);
        assert_eq!(
            join("apps/base", "../dev/x.yaml").as_deref(),
            Some("apps/dev/x.yaml")
        );
        assert_eq!(join("apps/base", "/clusters").as_deref(), Some("clusters"));
        assert_eq!(join("", "a/../..").as_deref(), None);
    }

    #[test]
    fn splits_directory_and_name() {
        assert_eq!(parent("a/b/c.yaml"), "a/b");
        assert_eq!(parent("c.yaml"), "");
        assert_eq!(file_name("a/b/c.yaml"), "c.yaml");
        assert_eq!(file_name("c.yaml"), "c.yaml");
    }
}
