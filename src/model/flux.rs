//! Typed views of Flux objects over their YAML: every rule and the graph
//! read a HelmRelease's chart or a Kustomization's source through these,
//! never by walking `spec.chart.spec` by hand. A view borrows the document;
//! each field keeps its node, so a finding can point at it.

use crate::yaml::NodeRef;

/// A view of an object over its document's root, built by `of(root)`.
macro_rules! view {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name<'d> {
            pub root: NodeRef<'d>,
        }

        impl<'d> $name<'d> {
            pub fn of(root: NodeRef<'d>) -> $name<'d> {
                $name { root }
            }

            /// `spec`, when there is one.
            pub fn spec(&self) -> Option<NodeRef<'d>> {
                self.root.get("spec")
            }
        }
    };
}

/// A `sourceRef` (or `chartRef`): what kind of source, which one.
#[derive(Debug, Clone, Copy)]
pub struct SourceRef<'d> {
    pub kind: Option<&'d str>,
    pub name: Option<&'d str>,
    pub name_node: Option<NodeRef<'d>>,
    pub namespace: Option<&'d str>,
}

impl<'d> SourceRef<'d> {
    pub fn of(node: NodeRef<'d>) -> SourceRef<'d> {
        SourceRef {
            kind: node.str_at(&["kind"]),
            name: node.str_at(&["name"]),
            name_node: node.get("name"),
            namespace: node.str_at(&["namespace"]),
        }
    }
}

view! {
    /// A HelmRelease: `spec.chart.spec` or `spec.chartRef`, its values.
    HelmReleaseView
}

/// A HelmRelease's `spec.chart.spec`.
#[derive(Debug, Clone, Copy)]
pub struct ChartSpec<'d> {
    /// `chart`: a chart name, or a path in a Git source.
    pub chart: Option<&'d str>,
    pub chart_node: Option<NodeRef<'d>>,
    pub source_ref: Option<SourceRef<'d>>,
    /// `valuesFiles`, the list node.
    pub values_files: Option<NodeRef<'d>>,
    pub ignore_missing_values_files: bool,
}

impl<'d> HelmReleaseView<'d> {
    /// `spec.chart.spec`, when the release names its chart that way.
    pub fn chart(&self) -> Option<ChartSpec<'d>> {
        let node = self.spec()?.path(&["chart", "spec"])?;
        Some(ChartSpec {
            chart: node.str_at(&["chart"]),
            chart_node: node.get("chart"),
            source_ref: node.get("sourceRef").map(SourceRef::of),
            values_files: node.get("valuesFiles"),
            ignore_missing_values_files: node
                .str_at(&["ignoreMissingValuesFiles"])
                .is_some_and(|s| matches!(s, "true" | "True" | "TRUE")),
        })
    }

    /// `spec.chartRef` (an OCIRepository or HelmChart holding the chart).
    pub fn chart_ref(&self) -> Option<SourceRef<'d>> {
        self.spec()?.get("chartRef").map(SourceRef::of)
    }

    /// `spec.values`, when it is a mapping.
    pub fn values(&self) -> Option<NodeRef<'d>> {
        self.spec()?.get("values").filter(|v| v.is_map())
    }

    /// `spec.valuesFrom` entries.
    pub fn values_from(&self) -> impl Iterator<Item = NodeRef<'d>> {
        self.spec()
            .and_then(|s| s.get("valuesFrom"))
            .into_iter()
            .flat_map(|l| l.items())
    }
}

impl<'d> ChartSpec<'d> {
    /// The `valuesFiles` entries that are strings, with their nodes.
    pub fn values_file_entries(&self) -> impl Iterator<Item = (NodeRef<'d>, &'d str)> {
        self.values_files
            .into_iter()
            .flat_map(|l| l.items())
            .filter_map(|item| Some((item, item.as_str()?)))
    }
}

view! {
    /// A Flux Kustomization's `spec`.
    KustomizationView
}

impl<'d> KustomizationView<'d> {
    pub fn source_ref(&self) -> Option<SourceRef<'d>> {
        self.spec()?.get("sourceRef").map(SourceRef::of)
    }

    /// `spec.path`, its node.
    pub fn path(&self) -> Option<NodeRef<'d>> {
        self.spec()?.get("path")
    }

    fn spec_str(&self, key: &str) -> Option<&'d str> {
        self.spec()?.str_at(&[key])
    }

    pub fn target_namespace(&self) -> Option<&'d str> {
        self.spec_str("targetNamespace")
    }

    pub fn name_prefix(&self) -> Option<&'d str> {
        self.spec_str("namePrefix")
    }

    pub fn name_suffix(&self) -> Option<&'d str> {
        self.spec_str("nameSuffix")
    }
}

view! {
    /// A Flux source (GitRepository, OCIRepository, HelmRepository, Bucket):
    /// where it pulls from.
    SourceView
}

impl<'d> SourceView<'d> {
    /// `spec.url`, its node.
    pub fn url(&self) -> Option<NodeRef<'d>> {
        self.spec()?.get("url")
    }
}

view! {
    /// A Flux Operator FluxInstance: its `spec.sync` and `spec.kustomize`.
    FluxInstanceView
}

impl<'d> FluxInstanceView<'d> {
    /// `spec.sync`, the source the operator creates for the cluster.
    pub fn sync(&self) -> Option<NodeRef<'d>> {
        self.spec()?.get("sync")
    }

    /// `spec.sync.url` of a sync from a GitRepository, its node.
    pub fn git_sync_url(&self) -> Option<NodeRef<'d>> {
        let sync = self.sync()?;
        (sync.str_at(&["kind"]) == Some("GitRepository")).then(|| sync.get("url"))?
    }

    /// The name of the source and Kustomization `spec.sync` creates
    /// (`flux-system` unless it says otherwise), when it syncs.
    pub fn sync_name(&self) -> Option<&'d str> {
        let sync = self.sync()?;
        Some(
            sync.str_at(&["name"])
                .unwrap_or(crate::model::objects::SELF_SOURCE),
        )
    }

    /// `spec.kustomize.patches` entries.
    pub fn patches(&self) -> impl Iterator<Item = NodeRef<'d>> {
        self.spec()
            .and_then(|s| s.path(&["kustomize", "patches"]))
            .into_iter()
            .flat_map(|l| l.items())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::LineIndex;

    fn root(text: &str) -> crate::yaml::Stream {
        crate::yaml::parse(text, &LineIndex::new(text))
    }

    #[test]
    fn a_release_chart_is_read_once_with_its_nodes() {
        let s = root("spec:\n  chart:\n    spec:\n      chart: ./charts/web\n      version: '1.2'\n      sourceRef: {kind: GitRepository, name: k8s-web, namespace: flux-system}\n      valuesFiles: [a.yaml, 3, b.yaml]\n      ignoreMissingValuesFiles: true\n  values: {replicas: 2}\n  valuesFrom: [{kind: ConfigMap, name: x}]\n");
        let hr = HelmReleaseView::of(s.docs[0].root());
        let chart = hr.chart().unwrap();
        assert_eq!(chart.chart, Some("./charts/web"));
        let source = chart.source_ref.unwrap();
        assert_eq!(
            (source.kind, source.name, source.namespace),
            (Some("GitRepository"), Some("k8s-web"), Some("flux-system"))
        );
        let files: Vec<_> = chart.values_file_entries().map(|(_, p)| p).collect();
        assert_eq!(files, ["a.yaml", "3", "b.yaml"]);
        assert!(chart.ignore_missing_values_files);
        assert!(hr.values().is_some());
        assert_eq!(hr.values_from().count(), 1);
        assert!(hr.chart_ref().is_none());
    }

    #[test]
    fn a_release_with_a_chart_ref_has_no_chart_spec() {
        let s = root(
            "spec:\n  chartRef: {kind: OCIRepository, name: podinfo}\n  values: [not, a, map]\n",
        );
        let hr = HelmReleaseView::of(s.docs[0].root());
        assert!(hr.chart().is_none());
        assert_eq!(hr.chart_ref().unwrap().kind, Some("OCIRepository"));
        assert!(hr.values().is_none());
    }

    #[test]
    fn kustomization_and_instance_fields() {
        let s = root("spec:\n  path: ./apps\n  sourceRef: {kind: GitRepository, name: flux-system}\n  targetNamespace: web\n  namePrefix: a-\n---\nspec:\n  sync: {kind: GitRepository, url: https://x}\n  kustomize:\n    patches: [{patch: x}]\n");
        let ks = KustomizationView::of(s.docs[0].root());
        assert_eq!(ks.path().and_then(|p| p.as_str()), Some("./apps"));
        assert_eq!(ks.source_ref().unwrap().name, Some("flux-system"));
        assert_eq!(
            (ks.target_namespace(), ks.name_prefix(), ks.name_suffix()),
            (Some("web"), Some("a-"), None)
        );
        let fi = FluxInstanceView::of(s.docs[1].root());
        assert_eq!(fi.sync_name(), Some("flux-system"));
        assert_eq!(fi.patches().count(), 1);
    }
}
