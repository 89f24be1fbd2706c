//! A repository laid out like the most-copied home-ops template
//! (`testdata/home-ops`), checked as Flux applies it: a cluster
//! Kustomization whose `spec.patches` set defaults on the child
//! Kustomizations it selects by label (one child opts out) and, nested, on
//! their HelmReleases; `${CLUSTER}` in a child's path; a Component adding
//! the ConfigMap a child's `substituteFrom` reads in its own namespace; an
//! `images:` transformer; an OCIRepository `flux-system` source.
//!
//! The correct repository has no finding. Each defect is then planted on
//! its own, and its finding must be at the exact line and column where the
//! value was written, with the chain that put it there (SARIF
//! `relatedLocations`).

use crate::common;

use std::path::Path;

use serde_json::Value;

/// One SARIF result: rule, path, line, column, and the related locations
/// as `(path, line, column, message)`.
#[derive(Debug)]
struct Found {
    rule: String,
    path: String,
    line: u64,
    col: u64,
    related: Vec<(String, u64, u64, String)>,
}

/// The repository with `edits` made: `(file, text, replacement)`, each
/// text present exactly once.
fn repo_with(edits: &[(&str, &str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/home-ops");
    crate::common::copy_tree(&source, dir.path());
    for (file, from, to) in edits {
        let path = dir.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches(from).count(), 1, "`{from}` in {file}");
        std::fs::write(&path, text.replace(from, to)).unwrap();
    }
    dir
}

fn check(dir: &Path) -> Vec<Found> {
    let out = common::run(dir, &["check", ".", "--format", "sarif"]);
    assert!(out.status == 0 || out.status == 1, "{}", out.stderr);
    let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
    let location = |l: &Value| {
        let p = &l["physicalLocation"];
        (
            p["artifactLocation"]["uri"].as_str().unwrap().to_string(),
            p["region"]["startLine"].as_u64().unwrap(),
            p["region"]["startColumn"].as_u64().unwrap(),
        )
    };
    sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_none())
        .map(|r| {
            let (path, line, col) = location(&r["locations"][0]);
            let related = r["relatedLocations"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|l| {
                    let (p, line, col) = location(l);
                    (
                        p,
                        line,
                        col,
                        l["message"]["text"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect();
            Found {
                rule: r["ruleId"].as_str().unwrap().to_string(),
                path,
                line,
                col,
                related,
            }
        })
        .collect()
}

/// The one finding of a repository with one defect.
fn only(found: Vec<Found>) -> Found {
    assert_eq!(found.len(), 1, "{found:#?}");
    found.into_iter().next().unwrap()
}

fn has_related(f: &Found, path: &str, line: u64, col: u64, message: &str) {
    assert!(
        f.related
            .iter()
            .any(|(p, l, c, m)| (p.as_str(), *l, *c) == (path, line, col) && m.starts_with(message)),
        "no related {path}:{line}:{col} `{message}…` in {:#?}",
        f.related
    );
}

const PARENT: &str = "clusters/main/cluster-apps.yaml";
const ECHO_KS: &str = "kubernetes/apps/default/echo/ks.yaml";
const WHOAMI_KS: &str = "kubernetes/apps/default/whoami/ks.yaml";
const WHOAMI_APP: &str = "kubernetes/apps/default/whoami/app/kustomization.yaml";
const ECHO_RELEASE: &str = "kubernetes/apps/default/echo/main/helmrelease.yaml";

#[test]
fn the_correct_repository_has_no_finding() {
    // As written, the children miss `interval`, `prune` and their source's
    // namespace, the HelmRelease its `interval`, the Deployment runs an
    // image from Docker Hub, and `${CLUSTER}` is in a path: none of that is
    // what Flux applies.
    let dir = repo_with(&[]);
    let found = check(dir.path());
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_wrong_type_set_inside_a_parents_block_scalar_patch() {
    let dir = repo_with(&[(PARENT, "retryInterval: 2m", "retryInterval: 2")]);
    let f = only(check(dir.path()));
    // Reported once, on the line inside `patch: |-`, for the one child the
    // patch selects (the opted-out child never gets it).
    assert_eq!(
        (f.rule.as_str(), f.path.as_str(), f.line, f.col),
        ("schema", PARENT, 27, 26)
    );
    has_related(&f, PARENT, 19, 7, "set by this patch");
    has_related(&f, ECHO_KS, 6, 9, "on Kustomization default/echo");
    has_related(
        &f,
        PARENT,
        4,
        9,
        "applied by Kustomization flux-system/cluster-apps",
    );
}

#[test]
fn the_opted_out_child_must_set_its_own_interval() {
    let dir = repo_with(&[(WHOAMI_KS, "  interval: 30m\n", "")]);
    let f = only(check(dir.path()));
    assert_eq!(
        (f.rule.as_str(), f.path.as_str(), f.line, f.col),
        ("schema", WHOAMI_KS, 8, 1)
    );
    has_related(
        &f,
        PARENT,
        4,
        9,
        "applied by Kustomization flux-system/cluster-apps",
    );
}

#[test]
fn a_public_image_set_by_an_images_transformer() {
    let dir = repo_with(&[(
        WHOAMI_APP,
        "newName: contosoacr.azurecr.io/traefik/whoami",
        "newName: docker.io/traefik/whoami",
    )]);
    let f = only(check(dir.path()));
    assert_eq!(
        (f.rule.as_str(), f.path.as_str(), f.line, f.col),
        ("private-registry", WHOAMI_APP, 7, 14)
    );
}

#[test]
fn an_undefined_variable_at_its_placeholder() {
    let dir = repo_with(&[(ECHO_RELEASE, "${APP_DOMAIN}", "${APP_DOMAN}")]);
    let f = only(check(dir.path()));
    assert_eq!(
        (f.rule.as_str(), f.path.as_str(), f.line, f.col),
        ("undefined-variable", ECHO_RELEASE, 14, 13)
    );
    // The child's `postBuild` comes from the parent's patch.
    has_related(
        &f,
        PARENT,
        32,
        13,
        "Kustomization 'echo' takes its variables from here",
    );
}

#[test]
fn a_depends_on_cycle() {
    let dir = repo_with(&[(
        ECHO_KS,
        "  targetNamespace: default\n",
        "  targetNamespace: default\n  dependsOn:\n    - name: whoami\n",
    )]);
    let f = only(check(dir.path()));
    assert_eq!(f.rule, "dependency-cycle");
    let at = (f.path.as_str(), f.line, f.col);
    assert!(
        at == (ECHO_KS, 10, 13) || at == (WHOAMI_KS, 17, 13),
        "{f:#?}"
    );
}

#[test]
fn a_missing_resource() {
    let dir = repo_with(&[(
        WHOAMI_APP,
        "  - ./deployment.yaml\n",
        "  - ./deployment.yaml\n  - ./service.yaml\n",
    )]);
    let f = only(check(dir.path()));
    assert_eq!(
        (f.rule.as_str(), f.path.as_str(), f.line, f.col),
        ("missing-path", WHOAMI_APP, 5, 5)
    );
}
