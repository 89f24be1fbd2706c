//! kustomize overlays: which files a `kustomization.yaml` applies as
//! patches. A patch is a partial object — its missing fields come from the
//! base — so rules do not report a missing field in one.

use std::collections::{HashMap, HashSet};

use crate::load::ParsedFile;
use crate::yaml::NodeRef;

const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

fn patch_paths(root: NodeRef<'_>) -> impl Iterator<Item = &str> {
    let listed = |key: &str| root.get(key).into_iter().flat_map(|l| l.items());
    let with_path = listed("patches")
        .chain(listed("patchesJson6902"))
        .filter_map(|p| p.get("path")?.as_str());
    let strategic = listed("patchesStrategicMerge")
        .filter_map(|p| p.as_str())
        .filter(|p| !p.contains('\n'));
    with_path.chain(strategic)
}

/// Every file that the kustomization files among `files` list as a patch
/// (`patches` with a `path`, `patchesStrategicMerge`, `patchesJson6902`), as
/// repository-relative paths by repository index. The workspace computes it
/// once per run ([`crate::index::Workspace::is_patch`]).
pub fn patch_files(files: &[ParsedFile]) -> HashMap<usize, HashSet<String>> {
    let mut out: HashMap<usize, HashSet<String>> = HashMap::new();
    for k in files {
        let name = k.file.rel.rsplit('/').next().unwrap_or(&k.file.rel);
        if !KUSTOMIZATION_FILES.contains(&name) {
            continue;
        }
        let dir = k.file.rel.rsplit_once('/').map_or("", |(d, _)| d);
        for doc in &k.stream.docs {
            for path in patch_paths(doc.root()) {
                if let Some(joined) = join(dir, path) {
                    out.entry(k.file.repo).or_default().insert(joined);
                }
            }
        }
    }
    out
}

/// `dir/path` with `.` and `..` resolved; `None` when it leaves the
/// repository.
fn join(dir: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::workspace;

    #[test]
    fn joins_patch_paths() {
        assert_eq!(
            join("apps/prod", "./p.yaml").as_deref(),
            Some("apps/prod/p.yaml")
        );
        assert_eq!(
            join("apps/prod", "../base/p.yaml").as_deref(),
            Some("apps/base/p.yaml")
        );
        assert_eq!(join("", "../x.yaml"), None);
    }

    #[test]
    fn finds_patches_of_every_form() {
        let ws = workspace(
            &[
                ("apps/prod/kustomization.yaml", "resources: [../base]\npatches:\n  - path: values.yaml\n    target: {kind: HelmRelease}\npatchesStrategicMerge:\n  - ./sm.yaml\n  - ../shared/p.yaml\n"),
                ("apps/prod/values.yaml", "kind: HelmRelease\n"),
                ("apps/prod/sm.yaml", "kind: HelmRelease\n"),
                ("apps/shared/p.yaml", "kind: HelmRelease\n"),
                ("apps/base/release.yaml", "kind: HelmRelease\n"),
            ],
            "",
        );
        let patch = |rel: &str| {
            let f = ws.files.iter().find(|f| f.file.rel == rel).unwrap();
            ws.is_patch(f)
        };
        assert!(patch("apps/prod/values.yaml"));
        assert!(patch("apps/prod/sm.yaml"));
        assert!(patch("apps/shared/p.yaml"));
        assert!(!patch("apps/base/release.yaml"));
    }

    #[test]
    fn joins_relative_paths() {
        assert_eq!(join("a/b", "../c/./d.yaml").as_deref(), Some("a/c/d.yaml"));
        assert_eq!(join("", "x.yaml").as_deref(), Some("x.yaml"));
        assert_eq!(join("a", "../../x.yaml"), None);
    }
}
