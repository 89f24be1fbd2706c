//! The result cache (`--cache-dir`): a cached run reports exactly what an
//! uncached run reports, finding for finding, whatever input changed
//! between two runs — a patch, a variable source, an image transformer, a
//! values schema, a generator's file, a CRD, an imported schema, the
//! config, an ignore file, a file created or deleted.
//!
//! Each case first checks a repository with the cache (which writes an
//! entry), makes one change, then checks it again with the cache and
//! without. The change always changes the findings, so an entry wrongly
//! reused fails the test. Every case runs twice: with the files and
//! directories dated an hour back (their time stamps vouch for them, and
//! the walk is skipped while no directory changed) and as just written
//! (too recent to trust: contents are hashed, directories walked).

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::common;

/// The repository most cases start from: `testdata/home-ops` (a parent
/// Kustomization patching its children, post-build variables from a
/// Component, an `images:` transformer) with a custom resource and its
/// imported schema, a CRD and its resource, a generator reading a file,
/// and an ignore file. It has no finding.
fn base() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/home-ops"),
        root,
    );
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    write(
        "kubernetes/apps/default/whoami/app/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\n\
         kind: Kustomization\n\
         resources:\n  - ./deployment.yaml\n  - ./widget.yaml\n  - ./gadget.yaml\n  - ./gadget-crd.yaml\n\
         images:\n  - name: whoami-image\n    newName: contosoacr.azurecr.io/traefik/whoami\n    newTag: v1.10.3\n\
         configMapGenerator:\n  - name: whoami-settings\n    files:\n      - ./settings.properties\n",
    );
    write(
        "kubernetes/apps/default/whoami/app/settings.properties",
        "greeting=hello\n",
    );
    write(
        "kubernetes/apps/default/whoami/app/widget.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n",
    );
    write(WIDGET_SCHEMA, &widget_schema("integer"));
    write(
        "kubernetes/apps/default/whoami/app/gadget.yaml",
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\nspec:\n  size: 3\n",
    );
    write(
        "kubernetes/apps/default/whoami/app/gadget-crd.yaml",
        &gadget_crd("integer"),
    );
    write(".gitignore", "/scratch/\n");
    dir
}

/// A release of a local chart with a `values.schema.json`.
fn chart() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/rules/schema/passes"),
        dir.path(),
    );
    dir
}

/// The base repository before the Widget's schema was imported.
fn without_widget_schema() -> tempfile::TempDir {
    let dir = base();
    fs::remove_file(dir.path().join(WIDGET_SCHEMA)).unwrap();
    dir
}

/// The base repository with an ignore file that its own rules ignore (so
/// the walk never lists it, though its rules apply).
fn self_ignoring() -> tempfile::TempDir {
    let dir = base();
    fs::write(
        dir.path().join("kubernetes/apps/.gitignore"),
        "/.gitignore\n",
    )
    .unwrap();
    dir
}

fn widget_schema(size_type: &str) -> String {
    format!(
        r#"{{"x-kubernetes-group-version-kind": [{{"group": "example.com", "version": "v1", "kind": "Widget"}}],
"type": "object", "properties": {{"spec": {{"type": "object", "properties": {{"size": {{"type": "{size_type}"}}}}}}}}}}"#
    )
}

fn gadget_crd(size_type: &str) -> String {
    format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gadgets.example.com\n\
         spec:\n  group: example.com\n  scope: Namespaced\n  names:\n    kind: Gadget\n    plural: gadgets\n\
         \x20 versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n\
         \x20         type: object\n          properties:\n            spec:\n              type: object\n\
         \x20             properties:\n                size:\n                  type: {size_type}\n"
    )
}

const WIDGET_SCHEMA: &str = ".gitops-lint/schemas/example.com_v1_Widget.json";
const PARENT: &str = "clusters/main/cluster-apps.yaml";
const APP: &str = "kubernetes/apps/default/whoami/app";

/// Replaces the one occurrence of `from` in the file at `rel`.
fn replace(root: &Path, rel: &str, from: &str, to: &str) {
    let path = root.join(rel);
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches(from).count(), 1, "`{from}` in {rel}");
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// One change to a repository, named for the assertion messages: the
/// repository, and what is changed.
type Change = (&'static str, fn() -> tempfile::TempDir, fn(&Path));

const CHANGES: &[Change] = &[
    ("a patch inside a parent's block scalar", base, |root| {
        replace(root, PARENT, "retryInterval: 2m", "retryInterval: 2")
    }),
    ("the same patch, edited to the same size", base, |root| {
        replace(root, PARENT, "retryInterval: 2m", "retryInterval: 2x")
    }),
    ("a variable source in a Component", base, |root| {
        replace(
            root,
            "kubernetes/components/common/cluster-settings.yaml",
            "APP_DOMAIN:",
            "APP_DOMAN:",
        )
    }),
    ("an images: transformer", base, |root| {
        replace(
            root,
            &format!("{APP}/kustomization.yaml"),
            "contosoacr.azurecr.io/traefik",
            "docker.io/traefik",
        )
    }),
    ("a chart's values schema", chart, |root| {
        replace(
            root,
            "charts/web/values.schema.json",
            r#""minimum": 1"#,
            r#""minimum": 5"#,
        )
    }),
    ("a generator's file, deleted", base, |root| {
        fs::remove_file(root.join(APP).join("settings.properties")).unwrap()
    }),
    ("an imported schema", base, |root| {
        fs::write(root.join(WIDGET_SCHEMA), widget_schema("string")).unwrap()
    }),
    ("an imported schema, deleted", base, |root| {
        fs::remove_file(root.join(WIDGET_SCHEMA)).unwrap()
    }),
    ("an imported schema, added", without_widget_schema, |root| {
        fs::write(root.join(WIDGET_SCHEMA), widget_schema("string")).unwrap()
    }),
    ("a CRD", base, |root| {
        fs::write(root.join(APP).join("gadget-crd.yaml"), gadget_crd("string")).unwrap()
    }),
    ("the config", base, |root| {
        replace(
            root,
            ".gitops-lint.yaml",
            "    - contosoacr.azurecr.io\n",
            "    - otheracr.azurecr.io\n",
        )
    }),
    ("an ignore file", base, |root| {
        replace(root, ".gitignore", "/scratch/\n", "/scratch/\n/clusters/\n")
    }),
    (
        "an ignore file that ignores itself",
        self_ignoring,
        |root| {
            replace(
                root,
                "kubernetes/apps/.gitignore",
                "/.gitignore\n",
                "/.gitignore\n/default/whoami/app/gadget.yaml\n",
            )
        },
    ),
    ("a resource file, deleted", base, |root| {
        fs::remove_file(root.join(APP).join("deployment.yaml")).unwrap()
    }),
    ("a file added to a walked directory", base, |root| {
        fs::write(
            root.join(APP).join("extra.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n",
        )
        .unwrap()
    }),
];

/// `check --format json` with the cache in `cache` (or none), as a JSON
/// value without the timing.
fn check(root: &Path, cache: Option<&Path>) -> Value {
    let mut args = vec!["check", ".", "--format", "json"];
    match cache {
        Some(dir) => args.extend(["--cache-dir", dir.to_str().unwrap()]),
        None => args.push("--no-cache"),
    }
    let out = common::run(root, &args);
    assert!(out.status == 0 || out.status == 1, "{}", out.stderr);
    let mut report: Value = serde_json::from_str(&out.stdout).unwrap();
    report["summary"]
        .as_object_mut()
        .unwrap()
        .remove("elapsed_ms");
    report
}

/// Dates every file and directory under `dir` an hour back.
fn age(dir: &Path) {
    let then = SystemTime::now() - Duration::from_secs(3600);
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            age(&path);
        } else {
            fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(then)
                .unwrap();
        }
    }
    fs::File::open(dir).unwrap().set_modified(then).unwrap();
}

#[test]
fn the_base_repository_has_no_finding() {
    let dir = base();
    let report = check(dir.path(), None);
    assert_eq!(report["findings"], Value::Array(vec![]), "{report:#}");
}

fn cached_equals_uncached(aged: bool) {
    for (name, repo, change) in CHANGES {
        let dir = repo();
        let cache = tempfile::tempdir().unwrap();
        let before = check(dir.path(), None);
        if aged {
            age(dir.path());
        }
        let first = check(dir.path(), Some(cache.path()));
        assert_eq!(first, before, "{name}: the first run");
        change(dir.path());
        let cached = check(dir.path(), Some(cache.path()));
        let uncached = check(dir.path(), None);
        assert_ne!(uncached, first, "{name}: the change changes the findings");
        assert_eq!(cached, uncached, "{name}: cached and uncached runs differ");
    }
}

#[test]
fn a_cached_run_equals_an_uncached_one_after_each_change_of_trusted_files() {
    cached_equals_uncached(true);
}

#[test]
fn a_cached_run_equals_an_uncached_one_after_each_change_of_recent_files() {
    cached_equals_uncached(false);
}

/// The one entry file in `cache`, and when it was written.
fn entry(cache: &Path) -> (std::path::PathBuf, SystemTime) {
    let entries: Vec<_> = fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let modified = fs::metadata(&entries[0]).unwrap().modified().unwrap();
    (entries[0].clone(), modified)
}

#[test]
fn an_unchanged_repository_is_answered_from_the_cache() {
    let dir = base();
    age(dir.path());
    replace(dir.path(), PARENT, "retryInterval: 2m", "retryInterval: 2");
    let cache = tempfile::tempdir().unwrap();
    let first = check(dir.path(), Some(cache.path()));
    let (path, written) = entry(cache.path());
    let second = check(dir.path(), Some(cache.path()));
    assert_eq!(second, first);
    // A hit reads the entry and writes nothing.
    assert_eq!(entry(cache.path()), (path.clone(), written));
    // An entry that cannot be decoded is a miss, not an error.
    fs::write(&path, "{ not json").unwrap();
    assert_eq!(check(dir.path(), Some(cache.path())), first);
    assert_ne!(fs::read_to_string(&path).unwrap(), "{ not json");
}

#[test]
fn a_different_config_or_rule_selection_has_its_own_entry() {
    let dir = base();
    let cache = tempfile::tempdir().unwrap();
    let c = cache.path().to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["check", ".", "--format", "json", "--cache-dir", c];
        args.extend(extra);
        common::run(dir.path(), &args)
    };
    assert_eq!(run(&[]).status, 0);
    replace(dir.path(), PARENT, "retryInterval: 2m", "retryInterval: 2");
    assert_eq!(run(&[]).status, 1);
    // The schema finding is not selected: a different entry, not the one
    // the full run wrote.
    assert_eq!(run(&["--select", "private-registry"]).status, 0);
    assert_eq!(run(&[]).status, 1);
    assert_eq!(fs::read_dir(cache.path()).unwrap().count(), 2);
}

#[test]
fn fix_applies_the_fixes_of_a_cached_report() {
    // The shared small repository has findings with fixes.
    let dir = common::small_repo();
    let cache = tempfile::tempdir().unwrap();
    let c = cache.path().to_str().unwrap();
    let uncached = {
        let copy = tempfile::tempdir().unwrap();
        common::copy_tree(dir.path(), copy.path());
        common::run(
            copy.path(),
            &["check", ".", "--fix", "--unsafe-fixes", "--no-cache"],
        );
        snapshot(copy.path())
    };
    common::run(dir.path(), &["check", ".", "--cache-dir", c]);
    common::run(
        dir.path(),
        &["check", ".", "--fix", "--unsafe-fixes", "--cache-dir", c],
    );
    let fixed = snapshot(dir.path());
    assert_ne!(fixed, snapshot_of_small_repo());
    assert_eq!(fixed, uncached);
}

/// Every file under `root` with its text.
fn snapshot(root: &Path) -> Vec<(String, String)> {
    common::SMALL_REPO
        .iter()
        .map(|(rel, _)| {
            let text = fs::read_to_string(root.join(rel)).unwrap();
            (rel.to_string(), text)
        })
        .collect()
}

fn snapshot_of_small_repo() -> Vec<(String, String)> {
    common::SMALL_REPO
        .iter()
        .map(|(rel, text)| (rel.to_string(), text.to_string()))
        .collect()
}
