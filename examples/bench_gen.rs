//! Generates a large synthetic platform for benchmarks.
//!
//! ```text
//! cargo run --release --example bench_gen -- OUT_DIR [--systems N]
//! ```
//!
//! Writes `OUT_DIR/platform` (the `k8s-gitops` repository: a `.gitops-lint.yaml`
//! whose `systemRepos` point at the generated system repositories, pipelines,
//! the vendored Flux Operator chart and, per environment, a FluxInstance and
//! one registration per system) and `OUT_DIR/systems/k8s-<system>` (Pattern A,
//! B and C system repositories plus the central chart). The output depends on
//! N only: the pseudo-random choices come from a fixed seed.
//!
//! With `--home-ops COPIES` it writes a home-ops fleet instead (see
//! `bench_gen/home_ops.rs`), the generated part of the real-shaped corpus.
//!
//! About one system in a hundred carries a typical mistake (prune disabled, an
//! image on `latest` or from Docker Hub, an unknown SKU), so that reporting is
//! part of what is measured.

use std::error::Error;
use std::fs;
use std::path::PathBuf;

#[path = "bench_gen/home_ops.rs"]
mod home_ops;

const ENVS: [(&str, &str); 3] = [
    ("experimental", "experimental"),
    ("dev", "dev"),
    ("prod", "master"),
];
const ACR: &str = "contosoacr.azurecr.io";
const ORG_URL: &str = "https://dev.azure.com/contoso/platform/_git";
const SKUS: [&str; 4] = ["sku-small", "sku-medium", "sku-large", "sku-batch"];
const NOUNS: [&str; 24] = [
    "orders",
    "payments",
    "inventory",
    "billing",
    "search",
    "catalog",
    "pricing",
    "shipping",
    "invoices",
    "ledger",
    "identity",
    "profiles",
    "reviews",
    "ratings",
    "carts",
    "checkout",
    "returns",
    "loyalty",
    "coupons",
    "reports",
    "notify",
    "gateway",
    "media",
    "audit",
];
const TEAMS: [&str; 8] = [
    "atlas", "borealis", "cobalt", "delta", "ember", "fjord", "granite", "helix",
];

/// xorshift64*: tiny, deterministic, good enough to vary synthetic content.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    fn uuid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48 & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    fn version(&mut self) -> String {
        format!(
            "{}.{}.{}",
            1 + self.below(5),
            self.below(20),
            self.below(30)
        )
    }
}

/// Writes files under the output root and keeps the totals.
struct Out {
    root: PathBuf,
    files: u64,
    bytes: u64,
    yaml_files: u64,
    yaml_bytes: u64,
    docs: u64,
}

impl Out {
    fn file(&mut self, rel: &str, content: &str) -> Result<(), Box<dyn Error>> {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&path, content)?;
        self.files += 1;
        self.bytes += content.len() as u64;
        Ok(())
    }

    /// A YAML file the linter parses: documents joined with `---`.
    fn yaml(&mut self, rel: &str, header: &str, docs: &[String]) -> Result<(), Box<dyn Error>> {
        let mut text = String::from(header);
        for (i, doc) in docs.iter().enumerate() {
            if i > 0 || !header.is_empty() {
                text.push_str("---\n");
            }
            text.push_str(doc);
        }
        self.file(rel, &text)?;
        self.yaml_files += 1;
        self.yaml_bytes += text.len() as u64;
        self.docs += docs.len() as u64;
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Pattern {
    /// The system owns its chart.
    A,
    /// Values on the central chart.
    B,
    /// Plain YAML or a kustomize overlay.
    C,
}

struct System {
    name: String,
    team: &'static str,
    pattern: Pattern,
    /// New systems are registered in experimental only.
    experimental_only: bool,
    /// Whether the platform team approved this Pattern C system.
    approved: bool,
    /// Plants one typical mistake in this system.
    flawed: bool,
    /// Pattern C systems that also deliver a Deployment (the rest ship RBAC only).
    with_workload: bool,
    aad_group: String,
    sku: &'static str,
}

fn systems(n: usize, rng: &mut Rng) -> Vec<System> {
    (0..n)
        .map(|i| {
            let pattern = match i % 10 {
                0 | 5 => Pattern::A,
                3 => Pattern::C,
                _ => Pattern::B,
            };
            System {
                name: format!("{}-{:04}", NOUNS[i % NOUNS.len()], i),
                team: TEAMS[(i / 7) % TEAMS.len()],
                pattern,
                experimental_only: i % 50 == 49,
                approved: i % 100 != 13,
                flawed: i % 100 == 42,
                with_workload: i % 20 == 3,
                aad_group: rng.uuid(),
                sku: SKUS[(i / 3) % SKUS.len()],
            }
        })
        .collect()
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let mut out_dir = None;
    let mut count = 1000usize;
    let mut home_ops: Option<usize> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--home-ops" => {
                let value = args.next().ok_or("--home-ops needs a number")?;
                let copies = value
                    .parse()
                    .map_err(|_| format!("--home-ops: not a number: {value}"))?;
                home_ops = Some(copies);
            }
            "--systems" => {
                let value = args.next().ok_or("--systems needs a number")?;
                count = value
                    .parse()
                    .map_err(|_| format!("--systems: not a number: {value}"))?;
            }
            "-h" | "--help" => {
                println!("usage: bench_gen OUT_DIR [--systems N]   (default N = 1000)");
                println!("       bench_gen OUT_DIR --home-ops COPIES  (a home-ops fleet of COPIES clusters)");
                return Ok(());
            }
            _ if out_dir.is_none() && !arg.starts_with('-') => out_dir = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument: {arg}").into()),
        }
    }
    let root = out_dir.ok_or("usage: bench_gen OUT_DIR [--systems N]")?;
    if root.exists() && fs::read_dir(&root)?.next().is_some() {
        return Err(format!("{} exists and is not empty", root.display()).into());
    }

    if let Some(copies) = home_ops {
        let written = home_ops::fleet(&root, copies)?;
        println!(
            "generated a home-ops fleet of {copies} clusters under {}: {} files, {} bytes",
            root.display(),
            written.files,
            written.bytes
        );
        return Ok(());
    }

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let systems = systems(count, &mut rng);
    let mut out = Out {
        root,
        files: 0,
        bytes: 0,
        yaml_files: 0,
        yaml_bytes: 0,
        docs: 0,
    };

    platform(&mut out, &systems, &mut rng)?;
    central_chart(&mut out)?;
    for system in &systems {
        system_repo(&mut out, system, &mut rng)?;
    }

    println!(
        "generated {} systems under {}",
        systems.len(),
        out.root.display()
    );
    println!(
        "files:      {} ({} YAML files the linter parses)",
        out.files, out.yaml_files
    );
    println!("documents:  {}", out.docs);
    println!(
        "bytes:      {} ({} of parsed YAML, {:.1} MB)",
        out.bytes,
        out.yaml_bytes,
        out.yaml_bytes as f64 / 1e6
    );
    Ok(())
}

fn platform(out: &mut Out, systems: &[System], rng: &mut Rng) -> Result<(), Box<dyn Error>> {
    let mut config = format!(
        "# gitops-lint configuration (generated by examples/bench_gen.rs)\n\
         registries:\n  allowed: [{ACR}]\n\
         environments:\n  experimental: {{branch: experimental}}\n  dev: {{branch: dev}}\n  prod: {{branch: master}}\n\
         promotion: [experimental, dev, prod]\n\
         centralChart:\n  source: k8s-platform-charts\n  chart: ./platform-app-chart\n  skus: [{}]\n\
         kubernetesVersion: \"1.33\"\n\
         systemRepos:\n  k8s-platform-charts: ../systems/k8s-platform-charts\n",
        SKUS.join(", ")
    );
    for s in systems {
        config.push_str(&format!("  k8s-{0}: ../systems/k8s-{0}\n", s.name));
    }
    config.push_str(
        "patternC:\n  approvalAnnotation: gitops-lint.io/pattern-c-approval\n  approved:\n",
    );
    for s in systems
        .iter()
        .filter(|s| s.pattern == Pattern::C && s.approved)
    {
        config.push_str(&format!("    - {}\n", s.name));
    }
    out.yaml("platform/.gitops-lint.yaml", "", &[config])?;

    out.yaml("platform/azure-pipelines.yaml", "", &[pipeline()])?;
    out.yaml(
        "platform/flux-operator/Chart.yaml",
        "",
        &["apiVersion: v2\nname: flux-operator\ntype: application\nversion: 0.33.0\nappVersion: \"v0.33.0\"\n".into()],
    )?;
    out.yaml(
        "platform/flux-operator/values.yaml",
        "",
        &[operator_values("ghcr.io/controlplaneio-fluxcd")],
    )?;
    out.file(
        "platform/flux-operator/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"flux-operator.fullname\" . }}\n  labels:\n    {{- include \"flux-operator.labels\" . | nindent 4 }}\n",
    )?;

    for (env, branch) in ENVS {
        out.yaml(
            &format!("platform/clusters/{env}/flux-instance.yaml"),
            "",
            &[flux_instance(env, branch, rng)],
        )?;
        out.yaml(
            &format!("platform/clusters/{env}/flux-operator-values.yaml"),
            "",
            &[operator_values(&format!("{ACR}/controlplaneio-fluxcd"))],
        )?;
        out.yaml(
            &format!("platform/clusters/{env}/systems/platform-charts.yaml"),
            "",
            &[git_repository("k8s-platform-charts", branch, "5m")],
        )?;
        for s in systems
            .iter()
            .filter(|s| env == "experimental" || !s.experimental_only)
        {
            let docs = [
                git_repository(&format!("k8s-{}", s.name), branch, "1m"),
                kustomization(s, env, rng),
            ];
            let header = format!(
                "# System registration: {} ({env}), owned by team {}.\n",
                s.name, s.team
            );
            out.yaml(
                &format!("platform/clusters/{env}/systems/{}.yaml", s.name),
                &header,
                &docs,
            )?;
        }
    }
    Ok(())
}

fn pipeline() -> String {
    let mut p = String::from(
        "name: k8s-gitops-flux\ntrigger:\n  branches:\n    include: [experimental, dev, master]\npool: contoso-linux-agents\nstages:\n",
    );
    for (env, branch) in ENVS {
        p.push_str(&format!(
            "  - template: ci-cd-templates/flux.yaml\n    parameters:\n      environment: \"{env}\"\n      branch: \"{branch}\"\n      \
             helmValuesFilePath: \"./clusters/{env}/flux-operator-values.yaml\"\n      containerImages:\n        \
             - ghcr.io/controlplaneio-fluxcd/flux-operator:v0.33.0\n        - ghcr.io/fluxcd/source-controller:v1.7.2\n"
        ));
    }
    p
}

fn operator_values(registry: &str) -> String {
    format!(
        "image:\n  repository: {registry}/flux-operator\n  tag: v0.33.0\n  pullPolicy: IfNotPresent\n\
         installCRDs: true\nresources:\n  limits:\n    cpu: 1000m\n    memory: 1Gi\n  requests:\n    cpu: 100m\n    memory: 128Mi\n\
         serviceAccount:\n  create: true\n  automount: true\nnodeSelector:\n  kubernetes.io/os: linux\n"
    )
}

fn flux_instance(env: &str, branch: &str, rng: &mut Rng) -> String {
    format!(
        "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n  namespace: flux-system\n\
         spec:\n  distribution:\n    version: \"2.7.2\"\n    registry: \"{ACR}/fluxcd\"\n    variant: \"upstream-alpine\"\n\
         \x20 components:\n    - source-controller\n    - kustomize-controller\n    - helm-controller\n    - notification-controller\n\
         \x20 cluster:\n    type: azure\n    size: large\n    networkPolicy: true\n\
         \x20 sync:\n    kind: GitRepository\n    provider: azure\n    url: \"{ORG_URL}/k8s-gitops\"\n    ref: \"refs/heads/{branch}\"\n    path: \"clusters/{env}/systems\"\n\
         \x20 kustomize:\n    patches:\n      - target:\n          kind: ServiceAccount\n          name: source-controller\n        patch: |-\n\
         \x20         apiVersion: v1\n          kind: ServiceAccount\n          metadata:\n            name: source-controller\n            annotations:\n\
         \x20             azure.workload.identity/client-id: \"{}\"\n",
        rng.uuid()
    )
}

fn git_repository(name: &str, branch: &str, interval: &str) -> String {
    format!(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: {name}\n  namespace: flux-system\n\
         spec:\n  interval: {interval}\n  url: {ORG_URL}/{name}\n  ref:\n    branch: {branch}\n  provider: azure\n"
    )
}

fn kustomization(s: &System, env: &str, rng: &mut Rng) -> String {
    let prune = if s.flawed && env == "dev" {
        "false"
    } else {
        "true"
    };
    let mut k = format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {}\n  namespace: flux-system\n  labels:\n    \
         platform.contoso.io/team: {}\n",
        s.name, s.team
    );
    if s.pattern == Pattern::C && !s.approved {
        k.push_str(
            "  annotations:\n    platform.contoso.io/requested-by: \"PR without approval\"\n",
        );
    }
    k.push_str(&format!(
        "spec:\n  interval: {}m\n  path: ./environments/{env}/flux\n  prune: {prune}\n  timeout: 5m\n",
        5 + rng.below(6)
    ));
    if rng.below(4) == 0 {
        k.push_str("  postBuild:\n    substitute:\n");
        k.push_str(&format!(
            "      CLUSTER_ENV: {env}\n      TEAM: {}\n",
            s.team
        ));
    }
    k.push_str(&format!(
        "  sourceRef:\n    kind: GitRepository\n    name: k8s-{}\n",
        s.name
    ));
    k
}

fn central_chart(out: &mut Out) -> Result<(), Box<dyn Error>> {
    let dir = "systems/k8s-platform-charts/platform-app-chart";
    out.yaml(
        &format!("{dir}/Chart.yaml"),
        "",
        &["apiVersion: v2\nname: platform-app-chart\ntype: application\nversion: 1.12.0\nappVersion: \"1.12.0\"\n".into()],
    )?;
    out.yaml(
        &format!("{dir}/values.yaml"),
        "",
        &["replicaCount: 1\nimage:\n  pullPolicy: IfNotPresent\nservice:\n  port: 80\n  targetPort: 8080\nenv: []\nconfig: {}\n".into()],
    )?;
    let skus = SKUS.map(|s| format!("\"{s}\"")).join(", ");
    out.file(
        &format!("{dir}/values.schema.json"),
        &format!(
            r#"{{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": ["image", "aadGroupId", "sku"],
  "properties": {{
    "replicaCount": {{"type": "integer", "minimum": 1}},
    "image": {{"type": "object", "required": ["repository", "tag"],
      "properties": {{"repository": {{"type": "string"}}, "tag": {{"type": "string"}}, "pullPolicy": {{"type": "string"}}}}}},
    "aadGroupId": {{"type": "string", "pattern": "^[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}$"}},
    "sku": {{"enum": [{skus}]}},
    "env": {{"type": "array", "items": {{"type": "object", "required": ["name"]}}}},
    "config": {{"type": "object"}}
  }}
}}
"#
        ),
    )?;
    out.file(
        &format!("{dir}/templates/deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicaCount }}\n",
    )?;
    Ok(())
}

fn system_repo(out: &mut Out, s: &System, rng: &mut Rng) -> Result<(), Box<dyn Error>> {
    let repo = format!("systems/k8s-{}", s.name);
    let chart_dir = format!("{}-chart", s.name);
    if s.pattern == Pattern::A {
        out.yaml(
            &format!("{repo}/{chart_dir}/Chart.yaml"),
            "",
            &[format!(
                "apiVersion: v2\nname: {}\ndescription: {} service of team {}\ntype: application\nversion: {}\nappVersion: \"{}\"\n",
                s.name,
                s.name,
                s.team,
                rng.version(),
                rng.version()
            )],
        )?;
        out.yaml(
            &format!("{repo}/{chart_dir}/values.yaml"),
            "# Base values.\n",
            &[values(s, "base", rng)],
        )?;
        out.file(
            &format!("{repo}/{chart_dir}/templates/deployment.yaml"),
            &format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{{{ .Release.Name }}}}\n  labels:\n    {{{{- include \"{}.labels\" . | nindent 4 }}}}\n\
                 spec:\n  replicas: {{{{ .Values.replicaCount }}}}\n  template:\n    spec:\n      containers:\n        - name: app\n          \
                 image: \"{{{{ .Values.image.repository }}}}:{{{{ .Values.image.tag }}}}\"\n",
                s.name
            ),
        )?;
    }
    let envs: &[(&str, &str)] = if s.experimental_only {
        &ENVS[..1]
    } else {
        &ENVS
    };
    for (env, _) in envs {
        let base = format!("{repo}/environments/{env}");
        match s.pattern {
            Pattern::A => {
                out.yaml(&format!("{base}/values.yaml"), "", &[values(s, env, rng)])?;
                out.yaml(
                    &format!("{base}/flux/helmrelease.yaml"),
                    "",
                    &[helm_release_a(s, env, &chart_dir)],
                )?;
            }
            Pattern::B => {
                out.yaml(
                    &format!("{base}/flux/helmrelease.yaml"),
                    "",
                    &[helm_release_b(s, env, rng)],
                )?;
            }
            Pattern::C => {
                let mut resources = String::from("  - rbac.yaml\n");
                out.yaml(&format!("{base}/flux/rbac.yaml"), "", &rbac(s))?;
                if s.with_workload {
                    resources.push_str("  - workload.yaml\n");
                    out.yaml(
                        &format!("{base}/flux/workload.yaml"),
                        "",
                        &workload(s, env, rng),
                    )?;
                }
                out.yaml(
                    &format!("{base}/flux/kustomization.yaml"),
                    "",
                    &[format!("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n{resources}")],
                )?;
            }
        }
    }
    Ok(())
}

fn image_tag(s: &System, env: &str, rng: &mut Rng) -> String {
    if s.flawed && env == "experimental" {
        "latest".into()
    } else {
        rng.version()
    }
}

/// Helm values, nested the way real charts nest them (used by Pattern A and B).
fn values_body(s: &System, env: &str, indent: &str, rng: &mut Rng) -> String {
    let mut v = String::new();
    let mut line = |text: String| {
        v.push_str(indent);
        v.push_str(&text);
        v.push('\n');
    };
    line(format!("replicaCount: {}", 1 + rng.below(4)));
    line("image:".into());
    let registry = if s.flawed && env == "dev" {
        "docker.io/contoso"
    } else {
        ACR
    };
    line(format!("  repository: {registry}/{}/{}", s.team, s.name));
    line(format!("  tag: \"{}\"", image_tag(s, env, rng)));
    line("  pullPolicy: IfNotPresent".into());
    line("podAnnotations:".into());
    line(format!("  platform.contoso.io/team: {}", s.team));
    line("  prometheus.io/scrape: \"true\"".into());
    line(format!(
        "  prometheus.io/port: \"{}\"",
        8080 + rng.below(10)
    ));
    line("env:".into());
    for k in 0..(30 + rng.below(20)) {
        line(format!("  - name: {}_SETTING_{k}", s.team.to_uppercase()));
        line(format!(
            "    value: \"{}-{env}-{}\"",
            rng.pick(&NOUNS),
            rng.below(10_000)
        ));
    }
    line("config:".into());
    line("  features:".into());
    for k in 0..8 {
        line(format!(
            "    {}Enabled: {}",
            NOUNS[(k * 5 + s.name.len()) % NOUNS.len()],
            rng.below(2) == 0
        ));
    }
    line("  endpoints:".into());
    for k in 0..5 {
        let target = rng.pick(&NOUNS);
        line(format!(
            "    {target}{k}: http://{target}.{target}.svc.cluster.local:8080/api/v{}",
            1 + rng.below(3)
        ));
    }
    line("  regions:".into());
    for region in [
        "westeurope",
        "northeurope",
        "swedencentral",
        "germanywestcentral",
        "francecentral",
        "uksouth",
    ] {
        line(format!("    - name: {region}"));
        line(format!("      weight: {}", rng.below(100)));
        line("      limits:".into());
        line(format!(
            "        requestsPerSecond: {}",
            100 + rng.below(900)
        ));
        line(format!("        burst: {}", 10 + rng.below(90)));
        line("      tags: [primary, \"tier-1\"]".into());
    }
    line("  alerts:".into());
    for k in 0..8 {
        line(format!(
            "    - name: {}-{}-{k}",
            s.name,
            rng.pick(&["latency", "errors", "saturation", "restarts"])
        ));
        line(format!(
            "      expr: rate(http_requests_total{{service=\"{}\",code=~\"5..\"}}[5m]) > {}",
            s.name,
            rng.below(50)
        ));
        line(format!("      for: {}m", 1 + rng.below(15)));
        line(format!(
            "      severity: {}",
            rng.pick(&["warning", "critical"])
        ));
    }
    line("  database:".into());
    line(format!(
        "    host: {}-db.postgres.database.azure.com",
        s.name
    ));
    line("    port: 5432".into());
    line(format!("    name: {}", s.name.replace('-', "_")));
    line("    pool: {min: 2, max: 20, idleTimeoutSeconds: 300}".into());
    v
}

fn values(s: &System, env: &str, rng: &mut Rng) -> String {
    let mut v = values_body(s, env, "", rng);
    v.push_str(&format!(
        "service:\n  type: ClusterIP\n  port: 80\n  targetPort: 8080\nresources:\n  requests:\n    cpu: {}m\n    memory: {}Mi\n  limits:\n    memory: {}Mi\n\
         probes:\n  liveness:\n    httpGet: {{path: /healthz, port: http}}\n    periodSeconds: 10\n  readiness:\n    httpGet: {{path: /ready, port: http}}\n    periodSeconds: 5\n\
         ingress:\n  enabled: true\n  className: nginx-internal\n  host: {}.{env}.internal.contoso.example\n",
        50 * (1 + rng.below(8)),
        128 * (1 + rng.below(8)),
        256 * (1 + rng.below(8)),
        s.name
    ));
    v
}

fn helm_release_a(s: &System, env: &str, chart_dir: &str) -> String {
    format!(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {0}\n  namespace: flux-system\n\
         spec:\n  interval: 10m\n  targetNamespace: {0}\n  install:\n    createNamespace: true\n    remediation:\n      retries: 3\n\
         \x20 upgrade:\n    cleanupOnFail: true\n  chart:\n    spec:\n      chart: ./{chart_dir}\n      reconcileStrategy: Revision\n\
         \x20     sourceRef:\n        kind: GitRepository\n        name: k8s-{0}\n        namespace: flux-system\n\
         \x20     valuesFiles:\n        - ./{chart_dir}/values.yaml\n        - ./environments/{env}/values.yaml\n",
        s.name
    )
}

fn helm_release_b(s: &System, env: &str, rng: &mut Rng) -> String {
    let sku = if s.flawed && env == "prod" {
        "sku-xlarge"
    } else {
        s.sku
    };
    format!(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {0}\n  namespace: flux-system\n  labels:\n    \
         platform.contoso.io/team: {1}\nspec:\n  interval: 10m\n  targetNamespace: {0}\n  install:\n    createNamespace: true\n\
         \x20 upgrade:\n    cleanupOnFail: true\n  chart:\n    spec:\n      chart: ./platform-app-chart\n      sourceRef:\n        \
         kind: GitRepository\n        name: k8s-platform-charts\n        namespace: flux-system\n  values:\n    aadGroupId: \"{2}\"\n    sku: {3}\n{4}",
        s.name,
        s.team,
        s.aad_group,
        sku,
        values_body(s, env, "    ", rng)
    )
}

fn rbac(s: &System) -> Vec<String> {
    vec![
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {0}-reader\nrules:\n\
             \x20 - apiGroups: [\"\"]\n    resources: [namespaces, nodes]\n    verbs: [get, list, watch]\n\
             \x20 - apiGroups: [apps]\n    resources: [deployments, statefulsets]\n    verbs: [get, list, watch]\n",
            s.name
        ),
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {0}-reader\nroleRef:\n  \
             apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {0}-reader\nsubjects:\n  - kind: ServiceAccount\n    \
             name: {0}\n    namespace: {0}\n  - apiGroup: rbac.authorization.k8s.io\n    kind: Group\n    name: \"{1}\"\n",
            s.name, s.aad_group
        ),
    ]
}

fn workload(s: &System, env: &str, rng: &mut Rng) -> Vec<String> {
    let name = &s.name;
    let mut config = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-config\n  namespace: {name}\ndata:\n  ENVIRONMENT: {env}\n"
    );
    for k in 0..20 {
        config.push_str(&format!(
            "  SETTING_{k}: \"{}-{}\"\n",
            rng.pick(&NOUNS),
            rng.below(100_000)
        ));
    }
    config.push_str("  app.yaml: |\n    server:\n      port: 8080\n      gracefulShutdownSeconds: 20\n    logging:\n      level: info\n");
    let env_list: String = (0..10)
        .map(|k| format!("            - name: SETTING_{k}\n              valueFrom:\n                configMapKeyRef: {{name: {name}-config, key: SETTING_{k}}}\n"))
        .collect();
    let deployment = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {name}\n  labels:\n    app.kubernetes.io/name: {name}\n    \
         platform.contoso.io/team: {team}\nspec:\n  replicas: {replicas}\n  revisionHistoryLimit: 5\n  selector:\n    matchLabels:\n      \
         app.kubernetes.io/name: {name}\n  strategy:\n    type: RollingUpdate\n    rollingUpdate: {{maxSurge: 1, maxUnavailable: 0}}\n  template:\n    \
         metadata:\n      labels:\n        app.kubernetes.io/name: {name}\n        azure.workload.identity/use: \"true\"\n    spec:\n      \
         serviceAccountName: {name}\n      securityContext:\n        runAsNonRoot: true\n        seccompProfile: {{type: RuntimeDefault}}\n      \
         containers:\n        - name: app\n          image: {ACR}/{team}/{name}:{tag}\n          ports:\n            - name: http\n              \
         containerPort: 8080\n          env:\n{env_list}          livenessProbe:\n            httpGet: {{path: /healthz, port: http}}\n            \
         periodSeconds: 10\n          readinessProbe:\n            httpGet: {{path: /ready, port: http}}\n          resources:\n            \
         requests: {{cpu: 100m, memory: 256Mi}}\n            limits: {{memory: 512Mi}}\n          securityContext:\n            \
         allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true\n            capabilities: {{drop: [ALL]}}\n          \
         volumeMounts:\n            - name: config\n              mountPath: /etc/{name}\n      volumes:\n        - name: config\n          \
         configMap:\n            name: {name}-config\n",
        team = s.team,
        replicas = 1 + rng.below(3),
        tag = image_tag(s, env, rng),
    );
    vec![
        format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    platform.contoso.io/team: {}\n", s.team),
        format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: {name}\n  annotations:\n    \
             azure.workload.identity/client-id: \"{}\"\n",
            rng.uuid()
        ),
        config,
        deployment,
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {name}\nspec:\n  selector:\n    \
             app.kubernetes.io/name: {name}\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n"
        ),
        format!(
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {name}\n  namespace: {name}\nspec:\n  minAvailable: 1\n  \
             selector:\n    matchLabels:\n      app.kubernetes.io/name: {name}\n"
        ),
    ]
}
