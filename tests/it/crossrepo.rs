//! Cross-repository checks, end to end: a platform repository and system
//! repositories of all three patterns written to a temporary directory, the
//! binary run from the platform repository and from a system repository,
//! and `--changed-since` on a Git history. Expected findings are written in
//! the files as `# expect: <rule>` markers on the line where they start.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use gitops_lint::docs;
use gitops_lint::internals::engine::testing;

/// The rules this suite owns.
const RULES: &[&str] = &[
    "dangling-ref",
    "missing-path",
    "pattern-c-approval",
    "pattern-c-content",
    "env-consistency",
    "env-parity",
    "duplicate-object",
    "schema",
];

const FILES: &[(&str, &str)] = &[
    (
        "platform/.gitops-lint.yaml",
        "systemRepos:
  k8s-orders: ../k8s-orders
  k8s-legacy: ../k8s-legacy
  k8s-crds: ../k8s-crds
  k8s-payments: ../k8s-payments
  k8s-platform-charts: ../k8s-platform-charts
patternC:
  approved: [crds]
",
    ),
    (
        "platform/clusters/dev/systems/orders.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: k8s-orders
  namespace: flux-system
spec:
  interval: 5m
  url: https://dev.azure.com/contoso/platform/_git/k8s-orders
  ref:
    branch: dev
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: orders
  namespace: flux-system
spec:
  interval: 5m
  path: ./environments/dev/flux
  prune: true
  dependsOn:
    - name: crd  # expect: dangling-ref
  sourceRef:
    kind: GitRepository
    name: k8s-orders
",
    ),
    (
        "platform/clusters/dev/systems/legacy.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: k8s-legacy
  namespace: flux-system
spec:
  interval: 5m
  url: https://dev.azure.com/contoso/platform/_git/k8s-legacy
  ref:
    branch: dev
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: legacy
  namespace: flux-system
spec:
  interval: 5m
  path: ./environments/dev/flux  # expect: pattern-c-approval
  prune: true
  sourceRef:
    kind: GitRepository
    name: k8s-legacy
",
    ),
    (
        "platform/clusters/dev/systems/crds.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: k8s-crds
  namespace: flux-system
spec:
  interval: 5m
  url: https://dev.azure.com/contoso/platform/_git/k8s-crds
  ref:
    branch: dev
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: crds
  namespace: flux-system
spec:
  interval: 5m
  path: ./environments/dev/flux
  prune: true
  sourceRef:
    kind: GitRepository
    name: k8s-crds
",
    ),
    (
        "platform/clusters/dev/systems/payments.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: k8s-payments
  namespace: flux-system
spec:
  interval: 5m
  url: https://dev.azure.com/contoso/platform/_git/k8s-payments
  ref:
    branch: dev
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: k8s-platform-charts
  namespace: flux-system
spec:
  interval: 5m
  url: https://dev.azure.com/contoso/platform/_git/k8s-platform-charts
  ref:
    branch: dev
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: payments
  namespace: flux-system
spec:
  interval: 5m
  path: ./environments/dev/flux
  prune: true
  sourceRef:
    kind: GitRepository
    name: k8s-payments
",
    ),
    (
        "platform/clusters/prod/systems/orders-old.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: k8s-orders
  namespace: flux-system
spec:
  interval: 5m
  url: https://dev.azure.com/contoso/platform/_git/k8s-orders
  ref:
    branch: master
",
    ),
    (
        "platform/clusters/prod/systems/orders.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: k8s-orders  # expect: duplicate-object
  namespace: flux-system
spec:
  interval: 5m
  url: https://dev.azure.com/contoso/platform/_git/k8s-orders
  ref:
    branch: dev  # expect: env-consistency
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: orders
  namespace: flux-system
spec:
  interval: 5m
  path: ./environments/prod/flux
  prune: true
  sourceRef:
    kind: GitRepository
    name: k8s-orders
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: search  # expect: env-parity
  namespace: flux-system
spec:
  interval: 5m
  path: ./environments/prod/flux
  prune: true
  sourceRef:
    kind: GitRepository
    name: k8s-orders
",
    ),
    (
        "k8s-orders/orders-chart/Chart.yaml",
        "apiVersion: v2\nname: orders\nversion: 1.0.0\n",
    ),
    ("k8s-orders/orders-chart/values.yaml", "replicaCount: 1\n"),
    (
        "k8s-orders/environments/prod/values.yaml",
        "replicaCount: 3\n",
    ),
    (
        "k8s-orders/environments/dev/flux/helmrelease.yaml",
        "apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: orders
  namespace: flux-system
spec:
  interval: 5m
  targetNamespace: orders
  chart:
    spec:
      chart: ./orders-chart
      sourceRef:
        kind: GitRepository
        name: k8s-orders
      valuesFiles:
        - ./orders-chart/values.yaml
        - ./environments/prod/values.yaml  # expect: env-consistency
",
    ),
    (
        "k8s-orders/environments/prod/flux/helmrelease.yaml",
        "apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: orders  # expect: duplicate-object
  namespace: flux-system
spec:
  interval: 5m
  targetNamespace: orders
  chart:
    spec:
      chart: ./orders-chart
      sourceRef:
        kind: GitRepository
        name: k8s-orders
      valuesFiles:
        - ./orders-chart/values.yaml
        - ./environments/prod/secrets.yaml  # expect: missing-path
",
    ),
    (
        "k8s-legacy/environments/dev/flux/deployment.yaml",
        "apiVersion: apps/v1
kind: Deployment  # expect: pattern-c-content
metadata:
  name: billing
  namespace: legacy
spec:
  selector: {matchLabels: {app: billing}}
  template:
    spec:
      containers:
        - name: billing
          image: contosoacr.azurecr.io/billing:1.0.0
",
    ),
    (
        "k8s-crds/base/kustomization.yaml",
        "resources:\n  - crd.yaml\n",
    ),
    (
        "k8s-crds/base/crd.yaml",
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object}
",
    ),
    (
        "k8s-crds/environments/dev/flux/kustomization.yaml",
        "resources:\n  - ../../../base\n  - ../../../extra  # expect: missing-path\n",
    ),
    (
        "k8s-payments/environments/dev/flux/helmrelease.yaml",
        "apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: payments
  namespace: flux-system
spec:
  interval: 5m
  targetNamespace: payments
  chart:
    spec:
      chart: ./platform-app-chart
      sourceRef:
        kind: GitRepository
        name: k8s-platform-charts
        namespace: flux-system
  values:
    replicaCount: \"3\"  # expect: schema
    sku: sku-small
",
    ),
    (
        "k8s-platform-charts/platform-app-chart/Chart.yaml",
        "apiVersion: v2\nname: platform-app-chart\nversion: 1.0.0\n",
    ),
    (
        "k8s-platform-charts/platform-app-chart/values.yaml",
        "replicaCount: 1\n",
    ),
];

const SCHEMA: &str = r#"{"type": "object", "required": ["sku"],
 "properties": {"replicaCount": {"type": "integer"}, "sku": {"enum": ["sku-small"]}}}"#;

fn write_tree(dir: &Path) {
    for (path, text) in FILES {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    std::fs::write(
        dir.join("k8s-platform-charts/platform-app-chart/values.schema.json"),
        SCHEMA,
    )
    .unwrap();
}

/// (rule, path relative to the temp dir, line) of each `# expect:` marker.
fn markers(filter: impl Fn(&str) -> bool) -> BTreeSet<(String, String, u32)> {
    let mut out = BTreeSet::new();
    for (path, text) in FILES {
        if !filter(path) {
            continue;
        }
        for (i, line) in text.lines().enumerate() {
            if let Some((_, rules)) = line.split_once("# expect: ") {
                for r in rules.split(',') {
                    out.insert((r.trim().to_string(), path.to_string(), i as u32 + 1));
                }
            }
        }
    }
    out
}

/// Runs the binary in `repo` and returns (rule, path from the temp dir,
/// line) of its findings of this suite's rules, at warning or above.
fn run(tmp: &Path, repo: &str, extra: &[&str]) -> BTreeSet<(String, String, u32)> {
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-lint"))
        .current_dir(tmp.join(repo))
        .args(["check", ".", "--format", "json", "--severity", "warning"])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.code() != Some(2),
        "run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| RULES.contains(&f["rule"].as_str().unwrap()))
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            let from_tmp = match path.strip_prefix("../") {
                Some(p) => p.to_string(),
                None => format!("{repo}/{path}"),
            };
            (
                f["rule"].as_str().unwrap().to_string(),
                from_tmp,
                f["line"].as_u64().unwrap() as u32,
            )
        })
        .collect()
}

#[test]
fn from_the_platform_repo_every_planted_violation_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    write_tree(tmp.path());
    let found = run(tmp.path(), "platform", &[]);
    assert_eq!(found, markers(|_| true));
}

#[test]
fn from_a_system_repo_with_the_platform_as_context() {
    let tmp = tempfile::tempdir().unwrap();
    write_tree(tmp.path());
    let found = run(
        tmp.path(),
        "k8s-orders",
        &["--platform-repo", "../platform"],
    );
    // The system's own files, and the platform files that register it.
    // `dangling-ref` needs every dev registration followed: without the
    // other system repositories it stays silent.
    let expected = markers(|p| {
        p.starts_with("k8s-orders/") || p.starts_with("platform/clusters/prod/systems/orders.yaml")
    });
    assert_eq!(found, expected);
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn changed_since_reports_only_what_the_change_caused() {
    let tmp = tempfile::tempdir().unwrap();
    write_tree(tmp.path());
    git(tmp.path(), &["init", "-q", "-b", "main"]);
    git(tmp.path(), &["add", "-A"]);
    git(tmp.path(), &["commit", "-qm", "init"]);
    // A system team renames its environment directory; the platform
    // registration still points at the old one.
    let legacy = tmp.path().join("k8s-legacy/environments");
    std::fs::rename(legacy.join("dev"), legacy.join("development")).unwrap();
    let found = run(tmp.path(), "platform", &["--changed-since", "HEAD"]);
    let expected: BTreeSet<_> = [(
        "missing-path".to_string(),
        "platform/clusters/dev/systems/legacy.yaml".to_string(),
        // The `path:` line of the Kustomization.
        19,
    )]
    .into();
    assert_eq!(found, expected);
    // Without the filter, the old findings are all still there.
    let all = run(tmp.path(), "platform", &[]);
    assert!(all.len() > 5, "{all:?}");
}

#[test]
fn changed_since_needs_a_git_repository() {
    let tmp = tempfile::tempdir().unwrap();
    write_tree(tmp.path());
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-lint"))
        .current_dir(tmp.path().join("platform"))
        .args(["check", ".", "--changed-since", "HEAD"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Each of this suite's rule docs: its Example fires, its Use instead does
/// not (one in-memory repository per section).
#[test]
fn rule_doc_examples() {
    for id in RULES.iter().filter(|id| **id != "schema") {
        let doc = docs::doc(id).unwrap_or_else(|| panic!("no doc for {id}"));
        let rule = gitops_lint::internals::rules::RULES
            .iter()
            .copied()
            .find(|r| r.id() == *id)
            .unwrap();
        for (section, should_fire) in [("Example", true), ("Use instead", false)] {
            let blocks = doc.code_blocks(section);
            let config = blocks
                .iter()
                .find(|b| b.path.as_deref() == Some(".gitops-lint.yaml"))
                .map_or(String::new(), |b| b.code.clone());
            let files: Vec<(&str, &str)> = blocks
                .iter()
                .filter_map(|b| Some((b.path.as_deref()?, b.code.as_str())))
                .filter(|(p, _)| *p != ".gitops-lint.yaml")
                .collect();
            let ws = testing::workspace(&files, &config);
            let found = testing::run_rules(&[rule], &ws);
            assert_eq!(
                !found.is_empty(),
                should_fire,
                "{id} {section}: {:?}",
                testing::positions(&found)
            );
        }
    }
}

/// On repositories with their own layouts, resolution that cannot apply is
/// skipped: no cross-repo error is invented.
#[test]
fn corpus_gets_no_invented_errors() {
    let Some(corpus) = common::shared("corpus") else {
        return;
    };
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let repo = entry.unwrap().path();
        if !repo.is_dir() {
            continue;
        }
        let out = Command::new(env!("CARGO_BIN_EXE_gitops-lint"))
            .args(["check", "--format", "json"])
            .arg(&repo)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let ours: Vec<_> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| RULES.contains(&f["rule"].as_str().unwrap()) && f["rule"] != "schema")
            .filter(|f| f["severity"] != "info")
            .collect();
        assert!(ours.is_empty(), "{}: {ours:#?}", repo.display());
    }
}

/// Writes `(path, text)` files under `dir`.
fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// `gitops-lint check . --format json` in `dir`.
fn check_json(dir: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-lint"))
        .current_dir(dir)
        .args(["check", ".", "--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The `schema` findings of a JSON report.
fn schema_findings(report: &serde_json::Value) -> Vec<&serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "schema")
        .collect()
}

/// HelmRelease values are layered as Helm layers them (chart values.yaml <
/// valuesFiles in order < spec.values, `null` deletes) and each violation is
/// reported where the offending value was written.
#[test]
fn values_schema_reports_where_each_value_was_set() {
    let tmp = tempfile::tempdir().unwrap();
    let files: &[(&str, &str)] = &[
        (".gitops-lint.yaml", "systemRepos:\n  k8s-app: .\n"),
        (
            "clusters/dev/app.yaml",
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: k8s-app, namespace: flux-system}\nspec: {interval: 1m, url: \"https://dev.azure.com/contoso/platform/_git/k8s-app\", ref: {branch: dev}}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: app, namespace: flux-system}\nspec:\n  interval: 5m\n  path: ./environments/dev/flux\n  sourceRef: {kind: GitRepository, name: k8s-app}\n",
        ),
        ("chart/Chart.yaml", "apiVersion: v2\nname: chart\nversion: 1.0.0\n"),
        ("chart/values.yaml", "replicas: 1\nport: 80\nmode: fast\n"),
        ("environments/dev/values.yaml", "replicas: many\nport: null\n"),
        (
            "environments/dev/flux/hr.yaml",
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app, namespace: flux-system}\nspec:\n  chart:\n    spec:\n      chart: ./chart\n      sourceRef: {kind: GitRepository, name: k8s-app}\n      valuesFiles: [./chart/values.yaml, ./environments/dev/values.yaml]\n  values:\n    mode: slow\n    extra: 1\n    owner: \"${OWNER}\"\n  interval: 5m\n",
        ),
    ];
    write_files(tmp.path(), files);
    std::fs::write(
        tmp.path().join("chart/values.schema.json"),
        r#"{"type": "object", "required": ["port"], "additionalProperties": false,
            "properties": {"replicas": {"type": "integer"}, "port": {"type": "integer"},
                           "mode": {"enum": ["fast"]}, "owner": {"pattern": "^[a-z]+$"}}}"#,
    )
    .unwrap();
    let report = check_json(tmp.path());
    let found: Vec<(String, u64, u64)> = schema_findings(&report)
        .into_iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            // `port` deleted by `null`, then required: at the `values:` key.
            ("environments/dev/flux/hr.yaml".to_string(), 10, 3),
            // `mode: slow` from spec.values.
            ("environments/dev/flux/hr.yaml".to_string(), 11, 11),
            // `extra` not allowed: at its key.
            ("environments/dev/flux/hr.yaml".to_string(), 12, 5),
            // `replicas: many` from the env values file.
            ("environments/dev/values.yaml".to_string(), 1, 11),
        ]
    );
}

/// A HelmRelease's own values are substituted by the Flux Kustomization
/// that applies it before Helm sees them; values files are not.
#[test]
fn values_schema_sees_post_build_values() {
    let tmp = tempfile::tempdir().unwrap();
    let files: &[(&str, &str)] = &[
        (".gitops-lint.yaml", "systemRepos:\n  k8s-app: .\n"),
        (
            "clusters/dev/app.yaml",
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: k8s-app, namespace: flux-system}\nspec: {interval: 1m, url: \"https://dev.azure.com/contoso/platform/_git/k8s-app\", ref: {branch: dev}}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: app, namespace: flux-system}\nspec:\n  interval: 5m\n  path: ./environments/dev/flux\n  prune: true\n  sourceRef: {kind: GitRepository, name: k8s-app}\n  postBuild:\n    substitute:\n      OWNER: Team-A\n      REPLICAS: \"3\"\n",
        ),
        ("chart/Chart.yaml", "apiVersion: v2\nname: chart\nversion: 1.0.0\n"),
        ("chart/values.yaml", "replicas: 1\nowner: ops\n"),
        // Not substituted by Flux: helm-controller reads it from the source.
        ("environments/dev/values.yaml", "region: ${REGION}\n"),
        (
            "environments/dev/flux/hr.yaml",
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app, namespace: flux-system}\nspec:\n  interval: 5m\n  chart:\n    spec:\n      chart: ./chart\n      sourceRef: {kind: GitRepository, name: k8s-app}\n      valuesFiles: [./chart/values.yaml, ./environments/dev/values.yaml]\n  values:\n    replicas: ${REPLICAS}\n    owner: ${OWNER}\n",
        ),
    ];
    write_files(tmp.path(), files);
    std::fs::write(
        tmp.path().join("chart/values.schema.json"),
        r#"{"type": "object", "properties": {"replicas": {"type": "integer"},
            "owner": {"type": "string", "pattern": "^[a-z]+$"}, "region": {"type": "string", "pattern": "^[a-z]+$"}}}"#,
    )
    .unwrap();
    let report = check_json(tmp.path());
    let found = schema_findings(&report);
    // `replicas` is the integer 3 once substituted; `owner` breaks the
    // pattern; `${REGION}` in a values file is left alone.
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = found[0];
    assert_eq!(f["path"], "environments/dev/flux/hr.yaml");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(13), Some(12))
    );
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("\"Team-A\" does not match"), "{message}");
    assert!(
        message.ends_with("after post-build substitution by Kustomization 'app'"),
        "{message}"
    );
    let help = f["help"].as_str().unwrap();
    assert!(
        help.starts_with("`${OWNER}` is `Team-A`, set at clusters/dev/app.yaml:16:14"),
        "{help}"
    );
}

/// The values checked are the HelmRelease a cluster applies: a value set
/// by the applying Kustomization's patch is judged, and reported at its
/// line inside the patch, with the chain that put it there.
#[test]
fn values_schema_sees_values_set_by_a_kustomization_patch() {
    let tmp = tempfile::tempdir().unwrap();
    let files: &[(&str, &str)] = &[
        (".gitops-lint.yaml", "systemRepos:\n  k8s-app: .\n"),
        (
            "clusters/dev/app.yaml",
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: k8s-app, namespace: flux-system}\nspec: {interval: 1m, url: \"https://dev.azure.com/contoso/platform/_git/k8s-app\", ref: {branch: dev}}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: app, namespace: flux-system}\nspec:\n  interval: 5m\n  path: ./environments/dev/flux\n  prune: true\n  sourceRef: {kind: GitRepository, name: k8s-app}\n  patches:\n    - target: {kind: HelmRelease}\n      patch: |-\n        - op: add\n          path: /spec/values/replicas\n          value: lots\n",
        ),
        ("chart/Chart.yaml", "apiVersion: v2\nname: chart\nversion: 1.0.0\n"),
        ("chart/values.yaml", "replicas: 1\n"),
        (
            "environments/dev/flux/hr.yaml",
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app, namespace: flux-system}\nspec:\n  interval: 5m\n  chart:\n    spec:\n      chart: ./chart\n      sourceRef: {kind: GitRepository, name: k8s-app}\n  values:\n    replicas: 2\n",
        ),
    ];
    write_files(tmp.path(), files);
    std::fs::write(
        tmp.path().join("chart/values.schema.json"),
        r#"{"type": "object", "properties": {"replicas": {"type": "integer"}}}"#,
    )
    .unwrap();
    let report = check_json(tmp.path());
    let found = schema_findings(&report);
    // The written `replicas: 2` is fine; the patch's `lots` is not.
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = found[0];
    assert_eq!(f["path"], "clusters/dev/app.yaml");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(19), Some(18))
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("\"lots\" is not of type \"integer\""),
        "{f:#?}"
    );
}
