//! The `schema` rule on every Flux kind: one realistic valid document per
//! kind passes, and typical mistakes derived from it by a text replacement —
//! a typo'd field, a wrong type, a missing required field, a bad enum value —
//! are reported with the rule, line and column (the key for an unknown field
//! or a missing one's mapping, the value for a wrong type or enum).

use gitops_lint::internals::engine::testing::{positions, run_rules, workspace};
use gitops_lint::internals::engine::Rule;
use gitops_lint::internals::rules::RULES;
use gitops_lint::internals::schema::flux::KINDS;
use gitops_lint::Finding;

const RULE: &str = "schema";

/// Both rules with id `schema` (document validation and Helm values schemas).
fn schema_rules() -> Vec<&'static dyn Rule> {
    let rules: Vec<&'static dyn Rule> = RULES.iter().copied().filter(|r| r.id() == RULE).collect();
    assert!(!rules.is_empty(), "no rule with id `{RULE}`");
    rules
}

fn lint(text: &str) -> Vec<Finding> {
    let ws = workspace(&[("clusters/prod/object.yaml", text)], "");
    let mut f = run_rules(&schema_rules(), &ws);
    f.sort_by_key(|f| (f.span.start.line, f.span.start.col, f.message.clone()));
    f
}

// ---------------------------------------------------------------- documents

const GIT_REPOSITORY: &str = r#"apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: k8s-payments
  namespace: flux-system
spec:
  interval: 1m
  url: https://dev.azure.com/org/project/_git/k8s-payments
  ref:
    branch: main
  provider: azure
  timeout: 60s
  suspend: false
"#;

const OCI_REPOSITORY: &str = r#"apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 10m
  url: oci://myregistry.azurecr.io/charts/podinfo
  ref:
    semver: ">=6.0.0"
  provider: azure
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
"#;

const HELM_REPOSITORY: &str = r#"apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: bitnami
  namespace: flux-system
spec:
  interval: 1h
  url: https://charts.bitnami.com/bitnami
  type: default
  timeout: 60s
  passCredentials: false
"#;

const HELM_CHART: &str = r#"apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata:
  name: flux-system-podinfo
  namespace: flux-system
spec:
  interval: 10m
  chart: podinfo
  version: "6.x"
  sourceRef:
    kind: HelmRepository
    name: podinfo
  reconcileStrategy: ChartVersion
  valuesFiles:
  - values.yaml
"#;

const BUCKET: &str = r#"apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata:
  name: manifests
  namespace: flux-system
spec:
  interval: 5m
  provider: azure
  bucketName: manifests
  endpoint: https://mystorageaccount.blob.core.windows.net
  prefix: clusters/prod
  suspend: false
"#;

const EXTERNAL_ARTIFACT: &str = r#"apiVersion: source.toolkit.fluxcd.io/v1
kind: ExternalArtifact
metadata:
  name: podinfo
  namespace: flux-system
spec:
  sourceRef:
    apiVersion: source.extensions.fluxcd.io/v1beta1
    kind: ArtifactGenerator
    name: podinfo
"#;

const KUSTOMIZATION: &str = r#"apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: payments
  namespace: flux-system
spec:
  interval: 10m
  retryInterval: 2m
  path: ./clusters/prod
  prune: true
  wait: true
  timeout: 5m
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
      cluster_name: prod
"#;

const HELM_RELEASE: &str = r#"apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: podinfo
spec:
  interval: 10m
  timeout: 5m
  chart:
    spec:
      chart: podinfo
      version: "6.5.*"
      sourceRef:
        kind: HelmRepository
        name: podinfo
        namespace: flux-system
      interval: 12h
  install:
    remediation:
      retries: 3
  upgrade:
    remediation:
      retries: 3
      strategy: rollback
  driftDetection:
    mode: enabled
  values:
    replicaCount: 2
"#;

const PROVIDER: &str = r#"apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: teams
  namespace: flux-system
spec:
  type: msteams
  secretRef:
    name: teams-webhook
  timeout: 30s
"#;

const ALERT: &str = r#"apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: on-call
  namespace: flux-system
spec:
  providerRef:
    name: teams
  eventSeverity: error
  eventSources:
    - kind: Kustomization
      name: '*'
    - kind: HelmRelease
      name: podinfo
      namespace: podinfo
  summary: prod cluster
  suspend: false
"#;

const RECEIVER: &str = r#"apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: github-receiver
  namespace: flux-system
spec:
  type: github
  events:
    - "ping"
    - "push"
  secretRef:
    name: receiver-token
  resources:
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: GitRepository
      name: flux-system
"#;

const IMAGE_REPOSITORY: &str = r#"apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  image: myregistry.azurecr.io/podinfo
  interval: 5m
  provider: azure
  exclusionList:
    - "^.*\\.sig$"
"#;

const IMAGE_POLICY: &str = r#"apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: podinfo
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: podinfo
  digestReflectionPolicy: IfNotPresent
  policy:
    semver:
      range: ">=6.0.0"
"#;

const IMAGE_UPDATE_AUTOMATION: &str = r#"apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 30m
  sourceRef:
    kind: GitRepository
    name: flux-system
  git:
    checkout:
      ref:
        branch: main
    commit:
      author:
        email: fluxcdbot@users.noreply.github.com
        name: fluxcdbot
      messageTemplate: "Update images"
    push:
      branch: main
  update:
    path: ./clusters/prod
    strategy: Setters
"#;

const ARTIFACT_GENERATOR: &str = r#"apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata:
  name: podinfo
  namespace: flux-system
spec:
  sources:
    - alias: chart
      kind: GitRepository
      name: podinfo
  artifacts:
    - name: podinfo-chart
      copy:
        - from: "@chart/charts/podinfo/**"
          to: "@artifact/"
"#;

const FLUX_INSTANCE: &str = r#"apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata:
  name: flux
  namespace: flux-system
spec:
  distribution:
    version: "2.x"
    registry: ghcr.io/fluxcd
    variant: upstream-alpine
  components:
    - source-controller
    - kustomize-controller
    - helm-controller
    - notification-controller
  cluster:
    type: azure
    size: medium
    networkPolicy: true
  sync:
    kind: GitRepository
    url: https://dev.azure.com/org/project/_git/fleet
    ref: refs/heads/main
    path: clusters/prod
    provider: azure
"#;

const FLUX_REPORT: &str = r#"apiVersion: fluxcd.controlplane.io/v1
kind: FluxReport
metadata:
  name: flux
  namespace: flux-system
spec:
  distribution:
    entitlement: Issued by controlplane
    status: Installed
    version: v2.6.0
"#;

const RESOURCE_SET: &str = r#"apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: apps
  namespace: flux-system
spec:
  inputStrategy:
    name: Permute
  inputsFrom:
    - apiVersion: fluxcd.controlplane.io/v1
      kind: ResourceSetInputProvider
      name: tenants
  inputs:
    - tenant: team1
  resources:
    - apiVersion: v1
      kind: Namespace
      metadata:
        name: << inputs.tenant >>
  wait: true
"#;

const RESOURCE_SET_INPUT_PROVIDER: &str = r#"apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata:
  name: tenants
  namespace: flux-system
spec:
  type: AzureDevOpsBranch
  url: https://dev.azure.com/org/project/_git/apps
  serviceAccountName: flux-azdo
  filter:
    limit: 10
    includeBranch: "^feature/.*$"
  defaultValues:
    env: preview
"#;

/// `(kind, valid document)` for every Flux kind.
const DOCS: &[(&str, &str)] = &[
    ("GitRepository", GIT_REPOSITORY),
    ("OCIRepository", OCI_REPOSITORY),
    ("HelmRepository", HELM_REPOSITORY),
    ("HelmChart", HELM_CHART),
    ("Bucket", BUCKET),
    ("ExternalArtifact", EXTERNAL_ARTIFACT),
    ("Kustomization", KUSTOMIZATION),
    ("HelmRelease", HELM_RELEASE),
    ("Provider", PROVIDER),
    ("Alert", ALERT),
    ("Receiver", RECEIVER),
    ("ImageRepository", IMAGE_REPOSITORY),
    ("ImagePolicy", IMAGE_POLICY),
    ("ImageUpdateAutomation", IMAGE_UPDATE_AUTOMATION),
    ("ArtifactGenerator", ARTIFACT_GENERATOR),
    ("FluxInstance", FLUX_INSTANCE),
    ("FluxReport", FLUX_REPORT),
    ("ResourceSet", RESOURCE_SET),
    ("ResourceSetInputProvider", RESOURCE_SET_INPUT_PROVIDER),
];

// -------------------------------------------------------------------- cases

/// A mistake made in `doc` by replacing `from` (which must occur exactly
/// once) with `to`; `expect` lists every `schema` finding, in position order,
/// as `(line, column, text the message contains)`.
struct Case {
    kind: &'static str,
    name: &'static str,
    doc: &'static str,
    from: &'static str,
    to: &'static str,
    expect: &'static [(u32, u32, &'static str)],
}

const fn case(
    kind: &'static str,
    name: &'static str,
    doc: &'static str,
    (from, to): (&'static str, &'static str),
    expect: &'static [(u32, u32, &'static str)],
) -> Case {
    Case {
        kind,
        name,
        doc,
        from,
        to,
        expect,
    }
}

fn check(cases: &[Case]) {
    let mut failures = Vec::new();
    for c in cases {
        let label = format!("{} / {}", c.kind, c.name);
        assert_eq!(
            c.doc.matches(c.from).count(),
            1,
            "{label}: `{}` must occur exactly once in the document",
            c.from
        );
        let text = c.doc.replacen(c.from, c.to, 1);
        assert_ne!(text, c.doc, "{label}: the mutation changes nothing");
        let f = lint(&text);
        let got = positions(&f);
        let want: Vec<_> = c.expect.iter().map(|&(l, col, _)| (RULE, l, col)).collect();
        if got != want {
            let messages: Vec<_> = f.iter().map(|f| f.message.as_str()).collect();
            failures.push(format!(
                "{label}: want {want:?}\n    got {got:?}\n    messages {messages:#?}"
            ));
            continue;
        }
        for (finding, &(_, _, needle)) in f.iter().zip(c.expect) {
            if !finding.message.contains(needle) {
                failures.push(format!(
                    "{label}: message at {}:{} does not contain `{needle}`: {}",
                    finding.span.start.line, finding.span.start.col, finding.message
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The message of an unknown field.
const UNKNOWN: &str = "did you mean";

// -------------------------------------------------------------------- tests

#[test]
fn every_flux_kind_has_a_valid_document_that_passes() {
    for k in KINDS {
        let doc = DOCS.iter().find(|(kind, _)| *kind == k.kind);
        let Some((_, doc)) = doc else {
            panic!("no valid document for {} {}", k.api_version(), k.kind);
        };
        assert!(
            doc.starts_with(&format!(
                "apiVersion: {}\nkind: {}\n",
                k.api_version(),
                k.kind
            )),
            "{}: the document must use the served version {}",
            k.kind,
            k.api_version()
        );
    }
    let mut failures = Vec::new();
    for (kind, doc) in DOCS {
        let f = lint(doc);
        if !f.is_empty() {
            let all: Vec<_> = f
                .iter()
                .map(|f| (f.span.start.line, f.span.start.col, &f.message))
                .collect();
            failures.push(format!("{kind}: valid document has findings {all:#?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_flux_kind_has_a_typo_and_a_wrong_type_case() {
    for (kind, _) in DOCS {
        for (category, cases) in [("typo", typo_cases()), ("wrong type", wrong_type_cases())] {
            assert!(
                cases.iter().any(|c| c.kind == *kind),
                "{kind}: no {category} case"
            );
        }
    }
}

fn typo_cases() -> Vec<Case> {
    vec![
        // A required field misspelled: the unknown key only (the field now
        // missing from `spec` is the same mistake: the engine's precedence).
        case(
            "GitRepository",
            "interval → intervall",
            GIT_REPOSITORY,
            ("  interval: 1m", "  intervall: 1m"),
            &[(
                7,
                3,
                "unknown field `intervall` in GitRepository.spec — did you mean `interval`?",
            )],
        ),
        case(
            "OCIRepository",
            "ref → reff",
            OCI_REPOSITORY,
            ("  ref:", "  reff:"),
            &[(9, 3, "did you mean `ref`?")],
        ),
        case(
            "HelmRepository",
            "passCredentials → passCredential",
            HELM_REPOSITORY,
            ("passCredentials:", "passCredential:"),
            &[(11, 3, "did you mean `passCredentials`?")],
        ),
        case(
            "HelmChart",
            "valuesFiles → valueFiles",
            HELM_CHART,
            ("valuesFiles:", "valueFiles:"),
            &[(14, 3, "did you mean `valuesFiles`?")],
        ),
        case(
            "Bucket",
            "bucketName → bucketname",
            BUCKET,
            ("bucketName:", "bucketname:"),
            &[(9, 3, "did you mean `bucketName`?")],
        ),
        case(
            "ExternalArtifact",
            "sourceRef → sourceref",
            EXTERNAL_ARTIFACT,
            ("sourceRef:", "sourceref:"),
            &[(7, 3, "did you mean `sourceRef`?")],
        ),
        case(
            "Kustomization",
            "retryInterval → retryIntervall",
            KUSTOMIZATION,
            ("retryInterval:", "retryIntervall:"),
            &[(8, 3, "did you mean `retryInterval`?")],
        ),
        case(
            "Kustomization",
            "interval → intervall",
            KUSTOMIZATION,
            ("  interval: 10m", "  intervall: 10m"),
            &[(
                7,
                3,
                "unknown field `intervall` in Kustomization.spec — did you mean `interval`?",
            )],
        ),
        case(
            "HelmRelease",
            "driftDetection → driftDetecton",
            HELM_RELEASE,
            ("driftDetection:", "driftDetecton:"),
            &[(25, 3, "did you mean `driftDetection`?")],
        ),
        case(
            "HelmRelease",
            "nested install.remediation → remedation",
            HELM_RELEASE,
            (
                "  install:\n    remediation:",
                "  install:\n    remedation:",
            ),
            &[(
                19,
                5,
                "HelmRelease.spec.install — did you mean `remediation`?",
            )],
        ),
        case(
            "Provider",
            "secretRef → secretref",
            PROVIDER,
            ("secretRef:", "secretref:"),
            &[(8, 3, "did you mean `secretRef`?")],
        ),
        case(
            "Alert",
            "eventSeverity → eventSeverty",
            ALERT,
            ("eventSeverity:", "eventSeverty:"),
            &[(9, 3, "did you mean `eventSeverity`?")],
        ),
        // The CEL rule `secretRef is required when type is not generic-oidc`
        // is not repeated where the schema already found `spec` wrong.
        case(
            "Receiver",
            "secretRef → secretRefs",
            RECEIVER,
            ("secretRef:", "secretRefs:"),
            &[(
                11,
                3,
                "unknown field `secretRefs` in Receiver.spec — did you mean `secretRef`?",
            )],
        ),
        case(
            "Receiver",
            "events → event",
            RECEIVER,
            ("events:", "event:"),
            &[(8, 3, "did you mean `events`?")],
        ),
        case(
            "ImageRepository",
            "exclusionList → exclusionlist",
            IMAGE_REPOSITORY,
            ("exclusionList:", "exclusionlist:"),
            &[(10, 3, "did you mean `exclusionList`?")],
        ),
        case(
            "ImagePolicy",
            "imageRepositoryRef → imageRepositoryref",
            IMAGE_POLICY,
            ("imageRepositoryRef:", "imageRepositoryref:"),
            &[(7, 3, "did you mean `imageRepositoryRef`?")],
        ),
        case(
            "ImageUpdateAutomation",
            "git.commit.messageTemplate → messageTemplat",
            IMAGE_UPDATE_AUTOMATION,
            ("messageTemplate:", "messageTemplat:"),
            &[(19, 7, "did you mean `messageTemplate`?")],
        ),
        case(
            "ArtifactGenerator",
            "artifacts → artifact",
            ARTIFACT_GENERATOR,
            ("  artifacts:", "  artifact:"),
            &[(11, 3, "did you mean `artifacts`?")],
        ),
        case(
            "FluxInstance",
            "distribution → distrbution",
            FLUX_INSTANCE,
            ("distribution:", "distrbution:"),
            &[(7, 3, "did you mean `distribution`?")],
        ),
        case(
            "FluxInstance",
            "cluster.networkPolicy → networkPolicies",
            FLUX_INSTANCE,
            ("networkPolicy:", "networkPolicies:"),
            &[(19, 5, "did you mean `networkPolicy`?")],
        ),
        case(
            "FluxReport",
            "distribution.status → stauts",
            FLUX_REPORT,
            ("status:", "stauts:"),
            &[(9, 5, "did you mean `status`?")],
        ),
        case(
            "ResourceSet",
            "inputsFrom → inputFrom",
            RESOURCE_SET,
            ("inputsFrom:", "inputFrom:"),
            &[(9, 3, "did you mean `inputsFrom`?")],
        ),
        case(
            "ResourceSetInputProvider",
            "filter.includeBranch → includeBranches",
            RESOURCE_SET_INPUT_PROVIDER,
            ("includeBranch:", "includeBranches:"),
            &[(12, 5, "did you mean `includeBranch`?")],
        ),
    ]
}

#[test]
fn typo_fields_are_reported_at_the_key_with_a_suggestion() {
    let cases = typo_cases();
    for c in &cases {
        assert!(
            c.expect.iter().any(|(_, _, m)| m.contains(UNKNOWN)),
            "{} / {}: a typo case must expect a suggestion",
            c.kind,
            c.name
        );
    }
    check(&cases);
}

fn wrong_type_cases() -> Vec<Case> {
    vec![
        case(
            "GitRepository",
            "suspend: \"yes\"",
            GIT_REPOSITORY,
            ("suspend: false", "suspend: \"yes\""),
            &[
                (13, 12, "`spec.suspend` must be a boolean"),
            ],
        ),
        case(
            "GitRepository",
            "url without a scheme",
            GIT_REPOSITORY,
            ("url: https://", "url: "),
            &[
                (8, 8, "`spec.url` must match the pattern"),
            ],
        ),
        case(
            "OCIRepository",
            "interval: 10 (integer)",
            OCI_REPOSITORY,
            ("interval: 10m", "interval: 10"),
            &[
                (7, 13, "`spec.interval` must be a string; got integer `10`"),
            ],
        ),
        case(
            "HelmRepository",
            "passCredentials: 1",
            HELM_REPOSITORY,
            ("passCredentials: false", "passCredentials: 1"),
            &[
                (11, 20, "`spec.passCredentials` must be a boolean"),
            ],
        ),
        case(
            "HelmChart",
            "version: 6 (integer)",
            HELM_CHART,
            ("version: \"6.x\"", "version: 6"),
            &[
                (9, 12, "`spec.version` must be a string"),
            ],
        ),
        case(
            "HelmChart",
            "valuesFiles: a string",
            HELM_CHART,
            ("valuesFiles:\n  - values.yaml", "valuesFiles: values.yaml"),
            &[
                (14, 16, "`spec.valuesFiles` must be an array"),
            ],
        ),
        case(
            "Bucket",
            "suspend: \"yes\"",
            BUCKET,
            ("suspend: false", "suspend: \"yes\""),
            &[
                (12, 12, "must be a boolean"),
            ],
        ),
        case(
            "ExternalArtifact",
            "sourceRef.name: 42",
            EXTERNAL_ARTIFACT,
            ("    name: podinfo\n", "    name: 42\n"),
            &[
                (10, 11, "`spec.sourceRef.name` must be a string"),
            ],
        ),
        case(
            "Kustomization",
            "prune: \"true\"",
            KUSTOMIZATION,
            ("prune: true", "prune: \"true\""),
            &[
                (10, 10, "`spec.prune` must be a boolean"),
            ],
        ),
        case(
            "Kustomization",
            "timeout: 5 minutes",
            KUSTOMIZATION,
            ("timeout: 5m", "timeout: 5 minutes"),
            &[
                (12, 12, "`spec.timeout` must match the pattern"),
            ],
        ),
        case(
            "HelmRelease",
            "install.remediation.retries: three",
            HELM_RELEASE,
            ("retries: 3\n  upgrade", "retries: three\n  upgrade"),
            &[
                (20, 16, "`spec.install.remediation.retries` must be an integer"),
            ],
        ),
        case(
            "HelmRelease",
            "chart.spec: a string",
            HELM_RELEASE,
            ("  chart:\n    spec:\n      chart: podinfo\n      version: \"6.5.*\"\n      sourceRef:\n        kind: HelmRepository\n        name: podinfo\n        namespace: flux-system\n      interval: 12h\n", "  chart:\n    spec: podinfo\n"),
            &[
                (10, 11, "`spec.chart.spec` must be an object"),
            ],
        ),
        // YAML 1.1, as Kubernetes reads it: an unquoted `on` is a boolean.
        case(
            "HelmRelease",
            "driftDetection.mode: on (a YAML 1.1 boolean)",
            HELM_RELEASE,
            ("mode: enabled", "mode: on"),
            &[
                (26, 11, "`spec.driftDetection.mode` must be a string; got boolean `true`"),
            ],
        ),
        case(
            "Provider",
            "timeout: 30 (integer)",
            PROVIDER,
            ("timeout: 30s", "timeout: 30"),
            &[
                (10, 12, "`spec.timeout` must be a string"),
            ],
        ),
        case(
            "Alert",
            "suspend: \"no\"",
            ALERT,
            ("suspend: false", "suspend: \"no\""),
            &[
                (17, 12, "`spec.suspend` must be a boolean"),
            ],
        ),
        case(
            "Receiver",
            "events item: 1",
            RECEIVER,
            ("- \"ping\"", "- 1"),
            &[
                (9, 7, "`spec.events[0]` must be a string"),
            ],
        ),
        case(
            "ImageRepository",
            "interval: 5 (integer)",
            IMAGE_REPOSITORY,
            ("interval: 5m", "interval: 5"),
            &[
                (8, 13, "`spec.interval` must be a string"),
            ],
        ),
        case(
            "ImagePolicy",
            "semver.range: 6",
            IMAGE_POLICY,
            ("range: \">=6.0.0\"", "range: 6"),
            &[
                (12, 14, "`spec.policy.semver.range` must be a string"),
            ],
        ),
        case(
            "ImageUpdateAutomation",
            "interval: 30 (integer)",
            IMAGE_UPDATE_AUTOMATION,
            ("interval: 30m", "interval: 30"),
            &[
                (7, 13, "`spec.interval` must be a string"),
            ],
        ),
        case(
            "ArtifactGenerator",
            "copy.to outside @artifact",
            ARTIFACT_GENERATOR,
            ("to: \"@artifact/\"", "to: charts/"),
            &[
                (15, 15, "`spec.artifacts[0].copy[0].to` must match the pattern"),
            ],
        ),
        case(
            "ArtifactGenerator",
            "sources: a mapping",
            ARTIFACT_GENERATOR,
            ("  sources:\n    - alias: chart\n      kind: GitRepository\n      name: podinfo\n", "  sources: {}\n"),
            &[
                (7, 12, "`spec.sources` must be an array"),
            ],
        ),
        case(
            "FluxInstance",
            "cluster.networkPolicy: \"true\"",
            FLUX_INSTANCE,
            ("networkPolicy: true", "networkPolicy: \"true\""),
            &[
                (19, 20, "`spec.cluster.networkPolicy` must be a boolean"),
            ],
        ),
        case(
            "FluxReport",
            "distribution.version: 2 (integer)",
            FLUX_REPORT,
            ("version: v2.6.0", "version: 2"),
            &[
                (10, 14, "`spec.distribution.version` must be a string"),
            ],
        ),
        case(
            "ResourceSet",
            "wait: \"true\"",
            RESOURCE_SET,
            ("wait: true", "wait: \"true\""),
            &[
                (20, 9, "`spec.wait` must be a boolean"),
            ],
        ),
        case(
            "ResourceSetInputProvider",
            "filter.limit: ten",
            RESOURCE_SET_INPUT_PROVIDER,
            ("limit: 10", "limit: ten"),
            &[
                (11, 12, "`spec.filter.limit` must be an integer"),
            ],
        ),
    ]
}

#[test]
fn wrong_types_are_reported_at_the_value() {
    check(&wrong_type_cases());
}

#[test]
fn missing_required_fields_are_reported_at_the_mapping_key() {
    check(&[
        case(
            "GitRepository",
            "no interval",
            GIT_REPOSITORY,
            ("  interval: 1m\n", ""),
            &[
                (6, 1, "GitRepository.spec is missing the required field `interval`"),
            ],
        ),
        case(
            "GitRepository",
            "no url",
            GIT_REPOSITORY,
            ("  url: https://dev.azure.com/org/project/_git/k8s-payments\n", ""),
            &[
                (6, 1, "GitRepository.spec is missing the required field `url`"),
            ],
        ),
        case(
            "OCIRepository",
            "no url",
            OCI_REPOSITORY,
            ("  url: oci://myregistry.azurecr.io/charts/podinfo\n", ""),
            &[
                (6, 1, "OCIRepository.spec is missing the required field `url`"),
            ],
        ),
        case(
            "OCIRepository",
            "no interval",
            OCI_REPOSITORY,
            ("  interval: 10m\n", ""),
            &[
                (6, 1, "OCIRepository.spec is missing the required field `interval`"),
            ],
        ),
        case(
            "HelmRepository",
            "no url",
            HELM_REPOSITORY,
            ("  url: https://charts.bitnami.com/bitnami\n", ""),
            &[
                (6, 1, "HelmRepository.spec is missing the required field `url`"),
            ],
        ),
        case(
            "HelmChart",
            "no sourceRef",
            HELM_CHART,
            ("  sourceRef:\n    kind: HelmRepository\n    name: podinfo\n", ""),
            &[
                (6, 1, "HelmChart.spec is missing the required field `sourceRef`"),
            ],
        ),
        case(
            "HelmChart",
            "no sourceRef.name",
            HELM_CHART,
            ("    name: podinfo\n", ""),
            &[
                (10, 3, "HelmChart.spec.sourceRef is missing the required field `name`"),
            ],
        ),
        case(
            "Bucket",
            "no endpoint",
            BUCKET,
            ("  endpoint: https://mystorageaccount.blob.core.windows.net\n", ""),
            &[
                (6, 1, "Bucket.spec is missing the required field `endpoint`"),
            ],
        ),
        case(
            "Bucket",
            "no interval",
            BUCKET,
            ("  interval: 5m\n", ""),
            &[
                (6, 1, "Bucket.spec is missing the required field `interval`"),
            ],
        ),
        case(
            "ExternalArtifact",
            "no sourceRef.kind",
            EXTERNAL_ARTIFACT,
            ("    kind: ArtifactGenerator\n", ""),
            &[
                (7, 3, "ExternalArtifact.spec.sourceRef is missing the required field `kind`"),
            ],
        ),
        case(
            "Kustomization",
            "no sourceRef",
            KUSTOMIZATION,
            ("  sourceRef:\n    kind: GitRepository\n    name: flux-system\n", ""),
            &[
                (6, 1, "Kustomization.spec is missing the required field `sourceRef`"),
            ],
        ),
        case(
            "Kustomization",
            "no interval",
            KUSTOMIZATION,
            ("  interval: 10m\n", ""),
            &[
                (6, 1, "Kustomization.spec is missing the required field `interval`"),
            ],
        ),
        case(
            "HelmRelease",
            "no interval",
            HELM_RELEASE,
            ("  interval: 10m\n", ""),
            &[
                (6, 1, "HelmRelease.spec is missing the required field `interval`"),
            ],
        ),
        case(
            "HelmRelease",
            "no chart.spec.sourceRef",
            HELM_RELEASE,
            ("      sourceRef:\n        kind: HelmRepository\n        name: podinfo\n        namespace: flux-system\n", ""),
            &[
                (10, 5, "HelmRelease.spec.chart.spec is missing the required field `sourceRef`"),
            ],
        ),
        case(
            "Provider",
            "no type",
            PROVIDER,
            ("  type: msteams\n", ""),
            &[
                (6, 1, "Provider.spec is missing the required field `type`"),
            ],
        ),
        case(
            "Alert",
            "no providerRef",
            ALERT,
            ("  providerRef:\n    name: teams\n", ""),
            &[
                (6, 1, "Alert.spec is missing the required field `providerRef`"),
            ],
        ),
        case(
            "Alert",
            "no eventSources[1].name",
            ALERT,
            ("      name: podinfo\n", ""),
            &[
                (13, 7, "Alert.spec.eventSources[1] is missing the required field `name`"),
            ],
        ),
        case(
            "Receiver",
            "no resources",
            RECEIVER,
            ("  resources:\n    - apiVersion: source.toolkit.fluxcd.io/v1\n      kind: GitRepository\n      name: flux-system\n", ""),
            &[
                (6, 1, "Receiver.spec is missing the required field `resources`"),
            ],
        ),
        case(
            "ImageRepository",
            "no image",
            IMAGE_REPOSITORY,
            ("  image: myregistry.azurecr.io/podinfo\n", ""),
            &[
                (6, 1, "ImageRepository.spec is missing the required field `image`"),
            ],
        ),
        case(
            "ImageRepository",
            "no interval",
            IMAGE_REPOSITORY,
            ("  interval: 5m\n", ""),
            &[
                (6, 1, "ImageRepository.spec is missing the required field `interval`"),
            ],
        ),
        case(
            "ImagePolicy",
            "no policy",
            IMAGE_POLICY,
            ("  policy:\n    semver:\n      range: \">=6.0.0\"\n", ""),
            &[
                (6, 1, "ImagePolicy.spec is missing the required field `policy`"),
            ],
        ),
        case(
            "ImageUpdateAutomation",
            "no sourceRef",
            IMAGE_UPDATE_AUTOMATION,
            ("  sourceRef:\n    kind: GitRepository\n    name: flux-system\n", ""),
            &[
                (6, 1, "ImageUpdateAutomation.spec is missing the required field `sourceRef`"),
            ],
        ),
        case(
            "ImageUpdateAutomation",
            "no interval",
            IMAGE_UPDATE_AUTOMATION,
            ("  interval: 30m\n", ""),
            &[
                (6, 1, "ImageUpdateAutomation.spec is missing the required field `interval`"),
            ],
        ),
        case(
            "ArtifactGenerator",
            "no sources",
            ARTIFACT_GENERATOR,
            ("  sources:\n    - alias: chart\n      kind: GitRepository\n      name: podinfo\n", ""),
            &[
                (6, 1, "ArtifactGenerator.spec is missing the required field `sources`"),
            ],
        ),
        case(
            "FluxInstance",
            "no distribution.registry",
            FLUX_INSTANCE,
            ("    registry: ghcr.io/fluxcd\n", ""),
            &[
                (7, 3, "FluxInstance.spec.distribution is missing the required field `registry`"),
            ],
        ),
        case(
            "FluxReport",
            "no distribution",
            FLUX_REPORT,
            ("  distribution:\n    entitlement: Issued by controlplane\n    status: Installed\n    version: v2.6.0\n", "  {}\n"),
            &[
                (6, 1, "FluxReport.spec is missing the required field `distribution`"),
            ],
        ),
        case(
            "ResourceSet",
            "no resources (CEL: one of steps, resources, resourcesTemplate)",
            RESOURCE_SET,
            ("  resources:\n    - apiVersion: v1\n      kind: Namespace\n      metadata:\n        name: << inputs.tenant >>\n", ""),
            &[
                (6, 1, "at least one of steps, resources or resourcesTemplate must be set"),
            ],
        ),
        case(
            "ResourceSetInputProvider",
            "no type",
            RESOURCE_SET_INPUT_PROVIDER,
            ("  type: AzureDevOpsBranch\n", ""),
            &[
                (6, 1, "ResourceSetInputProvider.spec is missing the required field `type`"),
            ],
        ),
    ]);
}

#[test]
fn bad_enum_values_are_reported_at_the_value_with_the_allowed_ones() {
    check(&[
        case(
            "GitRepository",
            "provider: Azure",
            GIT_REPOSITORY,
            ("provider: azure", "provider: Azure"),
            &[
                (11, 13, "`spec.provider` must be one of generic, aws, azure, github; got `Azure`"),
            ],
        ),
        case(
            "OCIRepository",
            "provider: Azure",
            OCI_REPOSITORY,
            ("provider: azure", "provider: Azure"),
            &[
                (11, 13, "`spec.provider` must be one of generic, aws, azure, gcp; got `Azure`"),
            ],
        ),
        case(
            "OCIRepository",
            "layerSelector.operation: Copy",
            OCI_REPOSITORY,
            ("operation: copy", "operation: Copy"),
            &[
                (14, 16, "`spec.layerSelector.operation` must be one of extract, copy; got `Copy`"),
            ],
        ),
        case(
            "HelmRepository",
            "type: OCI",
            HELM_REPOSITORY,
            ("type: default", "type: OCI"),
            &[
                (9, 9, "`spec.type` must be one of default, oci; got `OCI`"),
            ],
        ),
        case(
            "HelmChart",
            "sourceRef.kind: OCIRepository",
            HELM_CHART,
            ("kind: HelmRepository", "kind: OCIRepository"),
            &[
                (11, 11, "`spec.sourceRef.kind` must be one of HelmRepository, GitRepository, Bucket; got `OCIRepository`"),
            ],
        ),
        case(
            "Bucket",
            "provider: Azure",
            BUCKET,
            ("provider: azure", "provider: Azure"),
            &[
                (8, 13, "`spec.provider` must be one of generic, aws, gcp, azure; got `Azure`"),
            ],
        ),
        case(
            "Kustomization",
            "sourceRef.kind: Gitrepository",
            KUSTOMIZATION,
            ("kind: GitRepository", "kind: Gitrepository"),
            &[
                (14, 11, "`spec.sourceRef.kind` must be one of OCIRepository, GitRepository, Bucket, ExternalArtifact; got `Gitrepository`"),
            ],
        ),
        case(
            "HelmRelease",
            "driftDetection.mode: enable",
            HELM_RELEASE,
            ("mode: enabled", "mode: enable"),
            &[
                (26, 11, "`spec.driftDetection.mode` must be one of enabled, warn, disabled; got `enable`"),
            ],
        ),
        case(
            "HelmRelease",
            "upgrade.remediation.strategy: Rollback",
            HELM_RELEASE,
            ("strategy: rollback", "strategy: Rollback"),
            &[
                (24, 17, "`spec.upgrade.remediation.strategy` must be one of rollback, uninstall; got `Rollback`"),
            ],
        ),
        case(
            "Provider",
            "type: teams",
            PROVIDER,
            ("type: msteams", "type: teams"),
            &[
                (7, 9, "`spec.type` must be one of slack, discord, msteams"),
            ],
        ),
        case(
            "Alert",
            "eventSeverity: warning",
            ALERT,
            ("eventSeverity: error", "eventSeverity: warning"),
            &[
                (9, 18, "`spec.eventSeverity` must be one of info, error; got `warning`"),
            ],
        ),
        case(
            "Alert",
            "eventSources[1].kind: Helmrelease",
            ALERT,
            ("kind: HelmRelease", "kind: Helmrelease"),
            &[
                (13, 13, "`spec.eventSources[1].kind` must be one of Bucket, GitRepository, Kustomization, HelmRelease"),
            ],
        ),
        case(
            "Receiver",
            "type: GitHub",
            RECEIVER,
            ("type: github", "type: GitHub"),
            &[
                (7, 9, "`spec.type` must be one of generic, generic-hmac"),
            ],
        ),
        case(
            "ImageRepository",
            "provider: Azure",
            IMAGE_REPOSITORY,
            ("provider: azure", "provider: Azure"),
            &[
                (9, 13, "`spec.provider` must be one of generic, aws, azure, gcp; got `Azure`"),
            ],
        ),
        case(
            "ImagePolicy",
            "digestReflectionPolicy: Sometimes",
            IMAGE_POLICY,
            ("IfNotPresent", "Sometimes"),
            &[
                (9, 27, "`spec.digestReflectionPolicy` must be one of Always, IfNotPresent, Never; got `Sometimes`"),
            ],
        ),
        case(
            "ImageUpdateAutomation",
            "update.strategy: setters",
            IMAGE_UPDATE_AUTOMATION,
            ("strategy: Setters", "strategy: setters"),
            &[
                (24, 15, "`spec.update.strategy` must be one of Setters; got `setters`"),
            ],
        ),
        case(
            "ImageUpdateAutomation",
            "sourceRef.kind: OCIRepository",
            IMAGE_UPDATE_AUTOMATION,
            ("kind: GitRepository", "kind: OCIRepository"),
            &[
                (9, 11, "`spec.sourceRef.kind` must be one of GitRepository; got `OCIRepository`"),
            ],
        ),
        case(
            "ArtifactGenerator",
            "sources[0].kind: Kustomization",
            ARTIFACT_GENERATOR,
            ("kind: GitRepository", "kind: Kustomization"),
            &[
                (9, 13, "`spec.sources[0].kind` must be one of Bucket, GitRepository, OCIRepository, HelmChart, ExternalArtifact; got `Kustomization`"),
            ],
        ),
        case(
            "FluxInstance",
            "distribution.variant: alpine",
            FLUX_INSTANCE,
            ("variant: upstream-alpine", "variant: alpine"),
            &[
                (10, 14, "`spec.distribution.variant` must be one of upstream-alpine, enterprise-alpine"),
            ],
        ),
        case(
            "FluxInstance",
            "components: helm-controler",
            FLUX_INSTANCE,
            ("- helm-controller", "- helm-controler"),
            &[
                (14, 7, "`spec.components[2]` must be one of source-controller, kustomize-controller"),
            ],
        ),
        case(
            "FluxInstance",
            "sync.provider: Azure",
            FLUX_INSTANCE,
            ("provider: azure", "provider: Azure"),
            &[
                (25, 15, "`spec.sync.provider` must be one of generic, aws, azure, gcp, github; got `Azure`"),
            ],
        ),
        case(
            "ResourceSet",
            "inputStrategy.name: Cartesian",
            RESOURCE_SET,
            ("name: Permute", "name: Cartesian"),
            &[
                (8, 11, "`spec.inputStrategy.name` must be one of Flatten, Permute; got `Cartesian`"),
            ],
        ),
        case(
            "ResourceSetInputProvider",
            "type: AzureDevopsBranch",
            RESOURCE_SET_INPUT_PROVIDER,
            ("type: AzureDevOpsBranch", "type: AzureDevopsBranch"),
            &[
                (7, 9, "`spec.type` must be one of Static, GitHubBranch"),
            ],
        ),
    ]);
}

#[test]
fn cel_rules_are_reported_where_they_apply() {
    check(&[
        // A rule on the whole object is reported at its `kind` value.
        case(
            "FluxInstance",
            "metadata.name: fluxx",
            FLUX_INSTANCE,
            ("name: flux\n", "name: fluxx\n"),
            &[
                (2, 7, "FluxInstance: the only accepted name for a FluxInstance is 'flux'"),
            ],
        ),
        case(
            "HelmRelease",
            "both chart and chartRef",
            HELM_RELEASE,
            ("  install:\n", "  chartRef:\n    kind: OCIRepository\n    name: podinfo\n  install:\n"),
            &[
                (6, 1, "HelmRelease.spec: either chart or chartRef must be set"),
            ],
        ),
        case(
            "Receiver",
            "no secretRef for a github receiver",
            RECEIVER,
            ("  secretRef:\n    name: receiver-token\n", ""),
            &[
                (6, 1, "Receiver.spec: secretRef is required when type is not generic-oidc"),
            ],
        ),
        case(
            "GitRepository",
            "serviceAccountName with provider generic",
            GIT_REPOSITORY,
            ("provider: azure", "provider: generic\n  serviceAccountName: flux"),
            &[
                (6, 1, "GitRepository.spec: serviceAccountName can only be set when provider is 'azure' or 'aws'"),
            ],
        ),
    ]);
}
