//! A home-ops fleet: the layout of the most-copied home-ops template,
//! `copies` times over in one repository. Each copy is one cluster
//! (`clusters/c<N>`) whose `cluster-apps` Kustomization patches defaults
//! into its 300 child Kustomizations (selected by label; every tenth opts
//! out and sets its own) and, nested, into their HelmReleases; children
//! read `${CLUSTER}` in their path and `substituteFrom` a ConfigMap a
//! Component adds to each namespace; a third of the apps are Deployments
//! whose image an `images:` transformer sets. It has no mistakes: every
//! finding on it is a false one.

use std::error::Error;
use std::fs;
use std::path::Path;

const NAMESPACES: usize = 30;
const APPS_PER_NAMESPACE: usize = 10;
const ACR: &str = "contosoacr.azurecr.io";

/// Files and bytes written.
pub struct Written {
    pub files: u64,
    pub bytes: u64,
}

pub fn fleet(root: &Path, copies: usize) -> Result<Written, Box<dyn Error>> {
    let mut w = Writer {
        root,
        written: Written { files: 0, bytes: 0 },
    };
    w.file(
        ".gitops-lint.yaml",
        &format!("registries:\n  allowed: [{ACR}]\nrules:\n  helmrelease-layout: \"off\"\n"),
    )?;
    for c in 1..=copies {
        cluster(&mut w, c)?;
    }
    Ok(w.written)
}

struct Writer<'a> {
    root: &'a Path,
    written: Written,
}

impl Writer<'_> {
    fn file(&mut self, rel: &str, text: &str) -> Result<(), Box<dyn Error>> {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(path, text)?;
        self.written.files += 1;
        self.written.bytes += text.len() as u64;
        Ok(())
    }
}

fn cluster(w: &mut Writer<'_>, c: usize) -> Result<(), Box<dyn Error>> {
    let dir = format!("clusters/c{c}");
    let fleet = format!("kubernetes/fleet-{c}");
    w.file(&format!("{dir}/flux-system/gotk-sync.yaml"), &format!(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n  url: oci://{ACR}/home-ops/manifests\n  ref:\n    tag: main\n  provider: azure\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./{dir}\n  prune: true\n  sourceRef:\n    kind: OCIRepository\n    name: flux-system\n"
    ))?;
    w.file(&format!("{dir}/cluster-settings.yaml"), &format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\ndata:\n  CLUSTER: c{c}\n"
    ))?;
    w.file(&format!("{dir}/cluster-apps.yaml"), &cluster_apps(&fleet))?;
    w.file(
        &format!("{fleet}/components/common/kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./cluster-settings.yaml\n",
    )?;
    w.file(
        &format!("{fleet}/components/common/cluster-settings.yaml"),
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\ndata:\n  APP_DOMAIN: c{c}.contoso.example\n"),
    )?;
    for n in 0..NAMESPACES {
        let ns = format!("ns{n}");
        let apps: Vec<String> = (0..APPS_PER_NAMESPACE).map(|a| format!("app{a}")).collect();
        let resources: String = apps
            .iter()
            .map(|a| format!("  - ./{a}/ks.yaml\n"))
            .collect();
        w.file(&format!("{fleet}/apps/{ns}/kustomization.yaml"), &format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {ns}\ncomponents:\n  - ../../components/common\nresources:\n{resources}"
        ))?;
        for (i, app) in apps.iter().enumerate() {
            application(w, &fleet, &ns, app, c, n * APPS_PER_NAMESPACE + i)?;
        }
    }
    Ok(())
}

fn cluster_apps(fleet: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 30m
  path: ./{fleet}/apps
  prune: true
  sourceRef:
    kind: OCIRepository
    name: flux-system
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
  patches:
    - patch: |-
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: _
        spec:
          interval: 1h
          prune: true
          retryInterval: 2m
          timeout: 5m
          sourceRef:
            namespace: flux-system
          postBuild:
            substituteFrom:
              - kind: ConfigMap
                name: cluster-settings
          patches:
            - patch: |-
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata:
                  name: _
                spec:
                  interval: 1h
                  install:
                    remediation:
                      retries: -1
                  upgrade:
                    cleanupOnFail: true
                    remediation:
                      retries: 3
              target:
                group: helm.toolkit.fluxcd.io
                kind: HelmRelease
      target:
        group: kustomize.toolkit.fluxcd.io
        kind: Kustomization
        labelSelector: substitution.flux.home.arpa/disabled notin (true)
"
    )
}

/// One app: its child Kustomization and what it applies.
fn application(
    w: &mut Writer<'_>,
    fleet: &str,
    ns: &str,
    app: &str,
    c: usize,
    index: usize,
) -> Result<(), Box<dyn Error>> {
    let base = format!("{fleet}/apps/{ns}/{app}");
    let opted_out = index % 10 == 9;
    let own = if opted_out {
        "  labels:\n    substitution.flux.home.arpa/disabled: \"true\"\n"
    } else {
        ""
    };
    let defaults = if opted_out {
        "  interval: 30m\n  prune: true\n"
    } else {
        ""
    };
    w.file(&format!("{base}/ks.yaml"), &format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {app}\n{own}spec:\n{defaults}  targetNamespace: {ns}\n  path: ./{base}/${{CLUSTER}}\n  sourceRef:\n    kind: OCIRepository\n    name: flux-system\n    namespace: flux-system\n"
    ))?;
    let dir = format!("{base}/c{c}");
    if index % 3 == 2 {
        w.file(&format!("{dir}/kustomization.yaml"), &format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./deployment.yaml\nimages:\n  - name: app-image\n    newName: {ACR}/apps/{app}\n    newTag: v1.{index}.0\n"
        ))?;
        return w.file(&format!("{dir}/deployment.yaml"), &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {app}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: {app}\n  template:\n    metadata:\n      labels:\n        app: {app}\n    spec:\n      containers:\n        - name: {app}\n          image: app-image\n          env:\n            - name: DOMAIN\n              value: {app}.${{APP_DOMAIN}}\n"
        ));
    }
    w.file(&format!("{dir}/kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./ocirepository.yaml\n  - ./helmrelease.yaml\n",
    )?;
    w.file(&format!("{dir}/ocirepository.yaml"), &format!(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: {app}\nspec:\n  interval: 1h\n  url: oci://{ACR}/charts/{app}\n  ref:\n    tag: 1.{index}.0\n  provider: azure\n"
    ))?;
    w.file(&format!("{dir}/helmrelease.yaml"), &format!(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {app}\nspec:\n  interval: 1h\n  chartRef:\n    kind: OCIRepository\n    name: {app}\n  values:\n    image:\n      repository: {ACR}/apps/{app}\n      tag: \"1.{index}.0\"\n    ingress:\n      host: {app}.${{APP_DOMAIN}}\n"
    ))
}
