//! Every image a cluster would run, and where each part of its reference
//! was set (shared by `private-registry` and `image-tag-pinned`).

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::values::{releases, values_root, Layer, Release};
use super::Graph;
use crate::base::hash::FastSet;
use crate::base::ids::{DocId, FileId};
use crate::base::source::Span;
use crate::model::images::{effective_images, ImageRef, Layered, SetAt};
use crate::model::objects::{self, ObjectMeta};
use crate::workspace::discover::FileKind;
use crate::workspace::load::ParsedFile;
use crate::workspace::Workspace;
use crate::yaml::NodeRef;

/// A place in the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Place {
    pub file: FileId,
    /// The document, when the place is in an object (a workload, a
    /// HelmRelease's `spec.values`); `None` in a values file.
    pub doc: Option<DocId>,
    pub span: Span,
}

/// An image a cluster would run, and where its parts were (last) set.
#[derive(Debug, Clone)]
pub struct FoundImage {
    pub image: ImageRef,
    /// The reference as written or assembled from values.
    pub text: String,
    /// What uses it, for messages: ``Deployment 'web' container 'app'``,
    /// ``HelmRelease 'shop' value `image` ``, ``value `image` ``.
    pub owner: String,
    /// The environment whose registry list applies.
    pub env: Option<String>,
    /// Where what decides the registry was set.
    pub name_at: Place,
    /// Where the tag or digest was set; the `image` key when none was.
    pub tag_at: Place,
    /// A values mapping without a tag: the chart picks it (its appVersion).
    pub tag_from_chart: bool,
}

/// Every image of the workspace: containers of every workload, the
/// effective values of every HelmRelease, and every Helm values file no
/// release uses (Flux Operator values, charts and values files whose release
/// is not in the workspace). A values file a release uses is judged only
/// through that release, so a default the release overrides is not reported.
///
/// Several rules judge them: the engine finds them once per run.
///
/// Workloads of `rendered` documents are left out: their images are found
/// in what Flux applies (`crate::render::images`).
pub fn workspace_images(
    ws: &Workspace,
    graph: &Graph,
    rendered: &FastSet<(FileId, DocId)>,
    values: &ValuesFiles<'_>,
) -> Vec<FoundImage> {
    let releases = releases(ws, graph);
    // Images set in a shared values file, by place: the releases using it.
    let mut shared: Vec<(FoundImage, Vec<String>)> = Vec::new();
    // Their indexes in `shared`, by place (see [`place_key`]).
    let mut shared_at: HashMap<PlaceKey, usize> = HashMap::new();

    // Each file and each release is looked at on its own, in parallel;
    // only the shared values files' images are then joined, in order.
    let mut out: Vec<FoundImage> = ws
        .files
        .par_iter()
        .filter(|f| f.file.kind.holds_manifests())
        .flat_map_iter(|file| container_images(graph, file, rendered))
        .collect();
    let per_release: Vec<Vec<FoundImage>> = releases
        .list
        .par_iter()
        .map(|release| release_images(graph, release, values))
        .collect();
    for (release, images) in releases.list.iter().zip(per_release) {
        // A release a cluster applies: its own values' images are found
        // in the rendered release (`crate::render::images`).
        let covered = rendered.contains(&(release.file.id, release.position));
        for image in images {
            if image.name_at.doc.is_some() {
                if !covered {
                    out.push(image);
                }
                continue;
            }
            let user = release.meta.display_name();
            match shared_at.entry(place_key(&image)) {
                Entry::Occupied(e) => {
                    let users = &mut shared[*e.get()].1;
                    if !users.contains(&user) {
                        users.push(user);
                    }
                }
                Entry::Vacant(e) => {
                    e.insert(shared.len());
                    shared.push((image, vec![user]));
                }
            }
        }
    }
    for (mut image, users) in shared {
        image.owner = format!("{} (used by {})", image.owner, users.join(", "));
        out.push(image);
    }

    let unused: Vec<FoundImage> = ws
        .files
        .par_iter()
        .filter(|f| f.file.kind == FileKind::HelmValues && !releases.used_files.contains(&f.id))
        .flat_map_iter(|file| unused_values_images(graph, file))
        .collect();
    out.extend(unused);
    out
}

/// The environment of a file, as the config names it (so it lives as long
/// as the workspace, not the graph).
fn env_of(graph: &Graph, file: FileId) -> Option<String> {
    graph.env_of(file).map(String::from)
}

/// The images of every container of every workload in a manifest file.
fn container_images(
    graph: &Graph,
    file: &ParsedFile,
    rendered: &FastSet<(FileId, DocId)>,
) -> Vec<FoundImage> {
    let mut out = Vec::new();
    let env = env_of(graph, file.id);
    for (position, (doc, meta)) in file.stream.docs.iter().zip(&file.objects).enumerate() {
        let Some(meta) = meta.as_ref() else { continue };
        if rendered.contains(&(file.id, DocId::new(position))) {
            continue;
        }
        let Some(spec) = objects::pod_spec(meta, doc.root()) else {
            continue;
        };
        let place = |value: NodeRef<'_>| Place {
            file: file.id,
            doc: Some(DocId::new(position)),
            span: value.span(),
        };
        out.extend(pod_images(meta, spec, &env, place));
    }
    out
}

/// The images of a pod spec's containers; `place` says where an `image`
/// value is.
pub fn pod_images<'d>(
    meta: &'d ObjectMeta,
    spec: NodeRef<'d>,
    env: &'d Option<String>,
    place: impl Fn(NodeRef<'_>) -> Place + 'd,
) -> impl Iterator<Item = FoundImage> + 'd {
    objects::containers(spec).filter_map(move |container| {
        let value = container.get("image")?;
        let text = value.as_str()?;
        let image = ImageRef::parse(text)?;
        let at = place(value);
        let name = container.str_at(&["name"]).unwrap_or("?");
        Some(FoundImage {
            image,
            text: text.to_string(),
            owner: format!("{} container '{name}'", meta.display_name()),
            env: env.clone(),
            name_at: at,
            tag_at: at,
            tag_from_chart: false,
        })
    })
}

/// The images of a release's effective values. Those set in the release
/// itself have `name_at.object`; the others were set in a values file.
fn release_images(
    graph: &Graph,
    release: &Release<'_>,
    values: &ValuesFiles<'_>,
) -> Vec<FoundImage> {
    let env = env_of(graph, release.file.id);
    let place = |layer: &Layer<'_>, node: NodeRef<'_>| Place {
        file: layer.file.id,
        doc: layer.doc,
        span: node.span(),
    };
    layered_images(graph, release.meta, &release.layers, values, env, place)
}

/// The images of a release's values `layers`; `place` says where a node
/// of a layer is.
pub fn layered_images(
    graph: &Graph,
    meta: &ObjectMeta,
    layers: &[Layer<'_>],
    values: &ValuesFiles<'_>,
    env: Option<String>,
    place: impl Fn(&Layer<'_>, NodeRef<'_>) -> Place,
) -> Vec<FoundImage> {
    values
        .layered(layers)
        .images()
        .into_iter()
        .map(|found| {
            let place = |at: SetAt<'_>| place(&layers[at.layer], at.node);
            let name_at = place(found.name_at);
            let tag_at = place(found.tag_at.unwrap_or(found.key));
            let in_release = name_at.doc.is_some();
            FoundImage {
                image: found.image,
                text: found.text,
                owner: if in_release {
                    format!("{} value `{}`", meta.display_name(), found.key_path)
                } else {
                    format!("value `{}`", found.key_path)
                },
                env: env.clone().or_else(|| env_of(graph, name_at.file)),
                name_at,
                tag_at,
                tag_from_chart: found.from_fields && found.tag_at.is_none(),
            }
        })
        .collect()
}

/// The values files releases layer their own values over, folded once per
/// distinct list (a chart's `values.yaml` and `valuesFiles`): the same
/// chart sits under each environment's release and again under each
/// rendering of it, and walking its values each time was 7% of a run on
/// the generated platform (perf).
pub struct ValuesFiles<'w> {
    ws: &'w Workspace,
    folded: Mutex<HashMap<Vec<FileId>, Arc<Layered<'w>>>>,
}

impl<'w> ValuesFiles<'w> {
    pub fn new(ws: &'w Workspace) -> Self {
        ValuesFiles {
            ws,
            folded: Mutex::default(),
        }
    }

    /// `layers` folded: the values files' part from what was folded
    /// before, the release's own values over it.
    fn layered<'a>(&self, layers: &[Layer<'a>]) -> Layered<'a>
    where
        'w: 'a,
    {
        // Values files come first, the release's own values last
        // (`crate::graph::values::layers`).
        let files = layers.iter().take_while(|l| l.doc.is_none()).count();
        let key: Vec<FileId> = layers[..files].iter().map(|l| l.file.id).collect();
        let mut layered: Layered<'a> = Layered::clone(&self.files_folded(key));
        for layer in &layers[files..] {
            layered.apply(layer.root);
        }
        layered
    }

    fn files_folded(&self, key: Vec<FileId>) -> Arc<Layered<'w>> {
        if let Some(done) = self.folded.lock().ok().and_then(|f| f.get(&key).cloned()) {
            return done;
        }
        let mut layered = Layered::default();
        // Each is a layer because it has a values root (`values::layers`).
        for root in key.iter().filter_map(|id| values_root(self.ws.file(*id))) {
            layered.apply(root);
        }
        let layered = Arc::new(layered);
        if let Ok(mut folded) = self.folded.lock() {
            folded.insert(key, Arc::clone(&layered));
        }
        layered
    }
}

/// The images of a Helm values file no release in the workspace uses.
fn unused_values_images(graph: &Graph, file: &ParsedFile) -> Vec<FoundImage> {
    let Some(root) = values_root(file) else {
        return Vec::new();
    };
    let env = env_of(graph, file.id);
    effective_images(&[root])
        .into_iter()
        .map(|found| {
            let place = |at: SetAt<'_>| Place {
                file: file.id,
                doc: None,
                span: at.node.span(),
            };
            FoundImage {
                owner: format!("value `{}`", found.key_path),
                name_at: place(found.name_at),
                tag_at: place(found.tag_at.unwrap_or(found.key)),
                tag_from_chart: found.from_fields && found.tag_at.is_none(),
                image: found.image,
                text: found.text,
                env: env.clone(),
            }
        })
        .collect()
}

/// Identifies an image found in a shared values file: where its name and
/// tag were set, its text and its environment.
type PlaceKey = (Place, Place, String, Option<String>);

fn place_key(image: &FoundImage) -> PlaceKey {
    (
        image.name_at,
        image.tag_at,
        image.text.clone(),
        image.env.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::workspace;
    use crate::graph::values::releases;

    const HR: &str = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: shop, namespace: flux-system}\nspec:\n  chart:\n    spec:\n      chart: ./chart\n      sourceRef: {kind: GitRepository, name: k8s-shop}\n      valuesFiles: [./chart/values.yaml, ./environments/dev/values.yaml, ./missing.yaml]\n  values:\n    image:\n      tag: \"3\"\n";

    #[test]
    fn layers_a_release_from_its_own_repository() {
        let ws = workspace(
            &[
                (
                    "chart/values.yaml",
                    "image: {repository: nginx, tag: latest}\n",
                ),
                (
                    "environments/dev/values.yaml",
                    "image: {repository: myacr.azurecr.io/shop}\n",
                ),
                ("environments/dev/flux/helmrelease.yaml", HR),
            ],
            "",
        );
        let graph = Graph::build(&ws);
        let r = releases(&ws, &graph);
        assert_eq!(r.list.len(), 1);
        let paths: Vec<_> = r.list[0]
            .layers
            .iter()
            .map(|l| l.file.file.rel.as_str())
            .collect();
        assert_eq!(
            paths,
            [
                "chart/values.yaml",
                "chart/values.yaml",
                "environments/dev/values.yaml",
                "environments/dev/flux/helmrelease.yaml"
            ]
        );
        let images = workspace_images(
            &ws,
            &Graph::build(&ws),
            &FastSet::default(),
            &ValuesFiles::new(&ws),
        );
        assert_eq!(images.len(), 1, "{images:?}");
        let i = &images[0];
        assert_eq!(i.text, "myacr.azurecr.io/shop:3");
        assert_eq!(
            ws.file(i.name_at.file).file.rel,
            "environments/dev/values.yaml"
        );
        assert_eq!(
            ws.file(i.tag_at.file).file.rel,
            "environments/dev/flux/helmrelease.yaml"
        );
        assert_eq!(
            (i.tag_at.span.start.line, i.tag_at.span.start.col),
            (12, 12)
        );
        assert_eq!(i.env.as_deref(), Some("dev"));
        assert!(
            i.owner.contains("used by HelmRelease 'shop'"),
            "{}",
            i.owner
        );
    }

    #[test]
    fn values_files_are_folded_once_and_layered_as_a_whole() {
        let hr = |env: &str, tag: &str| {
            HR.replace(
                "environments/dev/values",
                &format!("environments/{env}/values"),
            )
            .replace("name: shop,", &format!("name: shop-{env},"))
            .replace("tag: \"3\"", &format!("tag: \"{tag}\""))
        };
        let (dev, prod) = (hr("dev", "3"), hr("prod", "4"));
        let ws = workspace(
            &[
                (
                    "chart/values.yaml",
                    "global: {imageRegistry: myacr.azurecr.io}\nimage: {repository: shop, tag: latest}\nworker:\n  image: shop-worker:1\n",
                ),
                ("environments/dev/values.yaml", "worker: null\n"),
                ("environments/prod/values.yaml", "replicas: 2\n"),
                ("environments/dev/flux/helmrelease.yaml", &dev),
                ("environments/prod/flux/helmrelease.yaml", &prod),
            ],
            "",
        );
        let graph = Graph::build(&ws);
        let values = ValuesFiles::new(&ws);
        let r = releases(&ws, &graph);
        assert_eq!(r.list.len(), 2);
        for release in &r.list {
            let roots: Vec<NodeRef<'_>> = release.layers.iter().map(|l| l.root).collect();
            let direct = effective_images(&roots);
            assert!(!direct.is_empty());
            let folded = values.layered(&release.layers).images();
            let show = |images: &[crate::model::images::ValuesImage<'_>]| {
                images
                    .iter()
                    .map(|i| {
                        (
                            i.key_path.clone(),
                            i.text.clone(),
                            i.name_at.layer,
                            i.name_at.node.span(),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(show(&folded), show(&direct));
        }
        // One fold per distinct list of values files (dev's and prod's).
        assert_eq!(values.folded.lock().unwrap().len(), 2);
        let again = values.layered(&r.list[0].layers).images();
        assert_eq!(values.folded.lock().unwrap().len(), 2);
        assert_eq!(again[0].text, "myacr.azurecr.io/shop:3");
    }

    #[test]
    fn unknown_source_means_spec_values_only() {
        let hr = HR.replace("./chart\n", "./elsewhere\n");
        let ws = workspace(
            &[
                (
                    "environments/dev/values.yaml",
                    "image: {repository: nginx}\n",
                ),
                ("environments/dev/flux/helmrelease.yaml", &hr),
            ],
            "",
        );
        let graph = Graph::build(&ws);
        let r = releases(&ws, &graph);
        assert_eq!(r.list[0].layers.len(), 1);
        // The values file is then judged on its own; spec.values alone has
        // no repository, so no image.
        let images = workspace_images(
            &ws,
            &Graph::build(&ws),
            &FastSet::default(),
            &ValuesFiles::new(&ws),
        );
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].owner, "value `image`");
    }
}
