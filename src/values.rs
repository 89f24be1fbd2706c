//! The Helm values a HelmRelease really uses, and every image a cluster
//! would run (shared by `private-registry` and `image-tag-pinned`).
//!
//! A HelmRelease's values are layered as helm-controller layers them: the
//! chart's `values.yaml` < each `spec.chart.spec.valuesFiles` entry in order
//! < `spec.values`. The chart and its values files live in the repository of
//! the chart's `sourceRef` GitRepository; when that repository is not in the
//! workspace, only `spec.values` is known. `valuesFrom` (ConfigMaps,
//! Secrets) is not read.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::discover::FileKind;
use crate::images::{effective_images, ImageRef, SetAt};
use crate::index::Workspace;
use crate::load::ParsedFile;
use crate::objects::{self, ObjectMeta, HELM_GROUP};
use crate::source::Span;
use crate::yaml::{Document, NodeRef};

/// One layer of a release's values.
#[derive(Debug, Clone, Copy)]
pub struct Layer<'a> {
    pub file: &'a ParsedFile,
    pub root: NodeRef<'a>,
    /// The HelmRelease, when the layer is its `spec.values`.
    pub object: Option<&'a ObjectMeta>,
    /// That HelmRelease's position among its file's documents.
    pub doc: Option<usize>,
    /// The chart's own `values.yaml` (defaults, not the team's choice).
    pub chart_defaults: bool,
}

/// A HelmRelease and the values it uses, lowest layer first.
#[derive(Debug)]
pub struct Release<'a> {
    pub file: &'a ParsedFile,
    pub doc: &'a Document,
    pub meta: &'a ObjectMeta,
    pub layers: Vec<Layer<'a>>,
}

/// Every HelmRelease of the workspace with its layers, and the values files
/// (indexes into `ws.files`) some release uses.
pub struct Releases<'a> {
    pub list: Vec<Release<'a>>,
    pub used_files: HashSet<usize>,
}

/// Finds the files of the workspace by repository and relative path.
struct FileIndex<'a> {
    by_path: HashMap<(usize, &'a str), usize>,
    /// Repositories by name (the first of a name).
    repo_by_name: HashMap<&'a str, usize>,
}

impl<'a> FileIndex<'a> {
    fn new(ws: &'a Workspace) -> Self {
        let by_path = ws
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| ((f.file.repo, f.file.rel.as_str()), i))
            .collect();
        let mut repo_by_name = HashMap::new();
        for (i, r) in ws.repos.iter().enumerate() {
            repo_by_name.entry(r.name.as_str()).or_insert(i);
        }
        FileIndex {
            by_path,
            repo_by_name,
        }
    }

    fn get(&self, repo: usize, rel: &str) -> Option<usize> {
        self.by_path.get(&(repo, rel)).copied()
    }
}

/// `a/./b/../c` → `a/c`; `None` if it climbs out of the root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

/// The first document of a values file, if it is a mapping.
fn values_root(file: &ParsedFile) -> Option<NodeRef<'_>> {
    file.stream
        .docs
        .first()
        .map(Document::root)
        .filter(|r| r.is_map())
}

pub fn is_helm_release(meta: &ObjectMeta) -> bool {
    meta.is(HELM_GROUP, "HelmRelease")
}

/// The repository holding a release's chart: the repository named like its
/// `sourceRef` GitRepository; failing that, the release's own repository
/// when the chart is there (a system repository checked on its own).
fn chart_repo(index: &FileIndex<'_>, file: &ParsedFile, root: NodeRef<'_>) -> Option<usize> {
    let chart = root.path(&["spec", "chart", "spec"])?;
    let source = chart.get("sourceRef")?;
    if source.str_at(&["kind"]) != Some("GitRepository") {
        return None;
    }
    let name = source.str_at(&["name"])?;
    if let Some(&i) = index.repo_by_name.get(name) {
        return Some(i);
    }
    let own = file.file.repo;
    let values = normalize(&format!("{}/values.yaml", chart.str_at(&["chart"])?))?;
    index.get(own, &values).map(|_| own)
}

fn layers_of<'a>(
    ws: &'a Workspace,
    index: &FileIndex<'_>,
    file: &'a ParsedFile,
    doc: &'a Document,
    position: usize,
    meta: &'a ObjectMeta,
    used: &mut HashSet<usize>,
) -> Vec<Layer<'a>> {
    let root = doc.root();
    let mut layers = Vec::new();
    if let Some(repo) = chart_repo(index, file, root) {
        let chart = root.path(&["spec", "chart", "spec"]);
        let mut wanted: Vec<(String, bool)> = Vec::new();
        if let Some(dir) = chart.and_then(|c| c.str_at(&["chart"])) {
            wanted.push((format!("{dir}/values.yaml"), true));
        }
        if let Some(list) = chart.and_then(|c| c.get("valuesFiles")) {
            wanted.extend(
                list.items()
                    .filter_map(|i| i.as_str())
                    .map(|p| (p.to_string(), false)),
            );
        }
        for (path, chart_defaults) in wanted {
            let Some(i) = normalize(&path).and_then(|rel| index.get(repo, &rel)) else {
                continue;
            };
            let values_file = &ws.files[i];
            if let Some(root) = values_root(values_file) {
                used.insert(i);
                layers.push(Layer {
                    file: values_file,
                    root,
                    object: None,
                    doc: None,
                    chart_defaults,
                });
            }
        }
    }
    if let Some(values) = root.path(&["spec", "values"]).filter(|v| v.is_map()) {
        layers.push(Layer {
            file,
            root: values,
            object: Some(meta),
            doc: Some(position),
            chart_defaults: false,
        });
    }
    layers
}

/// Every HelmRelease in the workspace's manifests, with its values layers.
pub fn releases(ws: &Workspace) -> Releases<'_> {
    let index = FileIndex::new(ws);
    let mut used = HashSet::new();
    let mut list = Vec::new();
    for file in ws.files.iter().filter(|f| f.file.kind.holds_manifests()) {
        for (position, (doc, meta)) in file.stream.docs.iter().zip(&file.objects).enumerate() {
            let Some(meta) = meta.as_ref().filter(|m| is_helm_release(m)) else {
                continue;
            };
            let layers = layers_of(ws, &index, file, doc, position, meta, &mut used);
            list.push(Release {
                file,
                doc,
                meta,
                layers,
            });
        }
    }
    Releases {
        list,
        used_files: used,
    }
}

/// A place in the workspace.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub file: &'a ParsedFile,
    pub object: Option<&'a ObjectMeta>,
    /// The object's position among the file's documents (kept so that
    /// storing a place never searches the file for it).
    pub doc: Option<usize>,
    pub span: Span,
}

/// An image a cluster would run, and where its parts were (last) set.
#[derive(Debug, Clone)]
pub struct FoundImage<'a> {
    pub image: ImageRef,
    /// The reference as written or assembled from values.
    pub text: String,
    /// What uses it, for messages: ``Deployment 'web' container 'app'``,
    /// ``HelmRelease 'shop' value `image` ``, ``value `image` ``.
    pub owner: String,
    /// The environment whose registry list applies.
    pub env: Option<&'a str>,
    /// Where what decides the registry was set.
    pub name_at: Place<'a>,
    /// Where the tag or digest was set; the `image` key when none was.
    pub tag_at: Place<'a>,
    /// A values mapping without a tag: the chart picks it (its appVersion).
    pub tag_from_chart: bool,
}

/// Every image of the workspace: containers of every workload, the
/// effective values of every HelmRelease, and every Helm values file no
/// release uses (Flux Operator values, charts and values files whose release
/// is not in the workspace). A values file a release uses is judged only
/// through that release, so a default the release overrides is not reported.
///
/// Several rules judge them: they are found once per workspace and stored
/// by index; each call rebuilds the borrowed view.
pub fn workspace_images(ws: &Workspace) -> Vec<FoundImage<'_>> {
    let stored = ws.images.get_or_init(|| {
        find_images(ws)
            .par_iter()
            .map(|f| StoredImage::new(ws, f))
            .collect()
    });
    match stored {
        Some(list) => list.iter().map(|s| s.found(ws)).collect(),
        None => find_images(ws),
    }
}

/// A [`Place`] by indexes: the file in `ws.files`, the document in it.
#[derive(Debug, Clone, Copy)]
struct StoredPlace {
    file: usize,
    doc: Option<usize>,
    span: Span,
}

impl StoredPlace {
    fn new(ws: &Workspace, place: &Place<'_>) -> Option<StoredPlace> {
        Some(StoredPlace {
            file: ws.file_index(place.file)?,
            doc: place.doc,
            span: place.span,
        })
    }

    fn place<'a>(&self, ws: &'a Workspace) -> Place<'a> {
        let file = &ws.files[self.file];
        Place {
            file,
            object: self
                .doc
                .and_then(|d| file.objects.get(d).and_then(Option::as_ref)),
            doc: self.doc,
            span: self.span,
        }
    }
}

/// A [`FoundImage`] as the workspace stores it.
#[derive(Debug, Clone)]
pub(crate) struct StoredImage {
    image: ImageRef,
    text: String,
    owner: String,
    env: Option<String>,
    name_at: StoredPlace,
    tag_at: StoredPlace,
    tag_from_chart: bool,
}

impl StoredImage {
    fn new(ws: &Workspace, f: &FoundImage<'_>) -> Option<StoredImage> {
        Some(StoredImage {
            image: f.image.clone(),
            text: f.text.clone(),
            owner: f.owner.clone(),
            env: f.env.map(String::from),
            name_at: StoredPlace::new(ws, &f.name_at)?,
            tag_at: StoredPlace::new(ws, &f.tag_at)?,
            tag_from_chart: f.tag_from_chart,
        })
    }

    fn found<'a>(&'a self, ws: &'a Workspace) -> FoundImage<'a> {
        FoundImage {
            image: self.image.clone(),
            text: self.text.clone(),
            owner: self.owner.clone(),
            env: self.env.as_deref(),
            name_at: self.name_at.place(ws),
            tag_at: self.tag_at.place(ws),
            tag_from_chart: self.tag_from_chart,
        }
    }
}

fn find_images(ws: &Workspace) -> Vec<FoundImage<'_>> {
    let releases = releases(ws);
    // Images set in a shared values file, by place: the releases using it.
    let mut shared: Vec<(FoundImage<'_>, Vec<String>)> = Vec::new();
    // Their indexes in `shared`, by place (see [`place_key`]).
    let mut shared_at: HashMap<PlaceKey<'_>, usize> = HashMap::new();

    // Each file and each release is looked at on its own, in parallel;
    // only the shared values files' images are then joined, in order.
    let mut out: Vec<FoundImage<'_>> = ws
        .files
        .par_iter()
        .filter(|f| f.file.kind.holds_manifests())
        .flat_map_iter(|file| container_images(ws, file))
        .collect();
    let per_release: Vec<Vec<FoundImage<'_>>> = releases
        .list
        .par_iter()
        .map(|release| release_images(ws, release))
        .collect();
    for (release, images) in releases.list.iter().zip(per_release) {
        for image in images {
            if image.name_at.object.is_some() {
                out.push(image);
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

    let unused: Vec<FoundImage<'_>> = ws
        .files
        .par_iter()
        .enumerate()
        .filter(|(i, f)| f.file.kind == FileKind::HelmValues && !releases.used_files.contains(i))
        .flat_map_iter(|(_, file)| unused_values_images(ws, file))
        .collect();
    out.extend(unused);
    out
}

/// The images of every container of every workload in a manifest file.
fn container_images<'w>(ws: &'w Workspace, file: &'w ParsedFile) -> Vec<FoundImage<'w>> {
    let mut out = Vec::new();
    let env = ws.env_of(file);
    for (position, (doc, meta)) in file.stream.docs.iter().zip(&file.objects).enumerate() {
        let Some(meta) = meta.as_ref() else { continue };
        let Some(spec) = objects::pod_spec(meta, doc.root()) else {
            continue;
        };
        for container in objects::containers(spec) {
            let Some(value) = container.get("image") else {
                continue;
            };
            let Some(text) = value.as_str() else { continue };
            let Some(image) = ImageRef::parse(text) else {
                continue;
            };
            let place = Place {
                file,
                object: Some(meta),
                doc: Some(position),
                span: value.span(),
            };
            let name = container.str_at(&["name"]).unwrap_or("?");
            out.push(FoundImage {
                image,
                text: text.to_string(),
                owner: format!("{} container '{name}'", meta.display_name()),
                env,
                name_at: place,
                tag_at: place,
                tag_from_chart: false,
            });
        }
    }
    out
}

/// The images of a release's effective values. Those set in the release
/// itself have `name_at.object`; the others were set in a values file.
fn release_images<'w>(ws: &'w Workspace, release: &Release<'w>) -> Vec<FoundImage<'w>> {
    let roots: Vec<NodeRef<'_>> = release.layers.iter().map(|l| l.root).collect();
    let env = ws.env_of(release.file);
    effective_images(&roots)
        .into_iter()
        .map(|found| {
            let place = |at: SetAt<'_>| {
                let layer = release.layers[at.layer];
                Place {
                    file: layer.file,
                    object: layer.object,
                    doc: layer.doc,
                    span: at.node.span(),
                }
            };
            let name_at = place(found.name_at);
            let tag_at = place(found.tag_at.unwrap_or(found.key));
            let in_release = name_at.object.is_some();
            FoundImage {
                image: found.image,
                text: found.text,
                owner: if in_release {
                    format!("{} value `{}`", release.meta.display_name(), found.key_path)
                } else {
                    format!("value `{}`", found.key_path)
                },
                env: env.or_else(|| ws.env_of(name_at.file)),
                name_at,
                tag_at,
                tag_from_chart: found.from_fields && found.tag_at.is_none(),
            }
        })
        .collect()
}

/// The images of a Helm values file no release in the workspace uses.
fn unused_values_images<'w>(ws: &'w Workspace, file: &'w ParsedFile) -> Vec<FoundImage<'w>> {
    let Some(root) = values_root(file) else {
        return Vec::new();
    };
    let env = ws.env_of(file);
    effective_images(&[root])
        .into_iter()
        .map(|found| {
            let place = |at: SetAt<'_>| Place {
                file,
                object: None,
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
                env,
            }
        })
        .collect()
}

/// Identifies an image found in a shared values file: the files (by
/// address) and byte ranges where its name and tag were set, its text and
/// its environment. Offsets identify a span within a file.
type PlaceKey<'a> = (
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
    String,
    Option<&'a str>,
);

fn place_key<'a>(image: &FoundImage<'a>) -> PlaceKey<'a> {
    let (n, t) = (&image.name_at, &image.tag_at);
    (
        std::ptr::from_ref(n.file) as usize,
        n.span.start.offset,
        n.span.end.offset,
        std::ptr::from_ref(t.file) as usize,
        t.span.start.offset,
        t.span.end.offset,
        image.text.clone(),
        image.env,
    )
}

/// The value of a top-level key in layered values: the last layer that sets
/// it, with its key and value nodes. A `null` in a later layer removes it.
pub fn top_level<'a>(
    layers: &[Layer<'a>],
    key: &str,
) -> Option<(Layer<'a>, NodeRef<'a>, NodeRef<'a>)> {
    let (layer, (k, v)) = layers
        .iter()
        .rev()
        .find_map(|l| l.root.get_entry(key).map(|e| (*l, e)))?;
    (!v.is_null()).then_some((layer, k, v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::workspace;

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
        let r = releases(&ws);
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
        let images = workspace_images(&ws);
        assert_eq!(images.len(), 1, "{images:?}");
        let i = &images[0];
        assert_eq!(i.text, "myacr.azurecr.io/shop:3");
        assert_eq!(i.name_at.file.file.rel, "environments/dev/values.yaml");
        assert_eq!(
            i.tag_at.file.file.rel,
            "environments/dev/flux/helmrelease.yaml"
        );
        assert_eq!(
            (i.tag_at.span.start.line, i.tag_at.span.start.col),
            (12, 12)
        );
        assert_eq!(i.env, Some("dev"));
        assert!(
            i.owner.contains("used by HelmRelease 'shop'"),
            "{}",
            i.owner
        );
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
        let r = releases(&ws);
        assert_eq!(r.list[0].layers.len(), 1);
        // The values file is then judged on its own; spec.values alone has
        // no repository, so no image.
        let images = workspace_images(&ws);
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].owner, "value `image`");
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize("./a/./b/../c.yaml").as_deref(), Some("a/c.yaml"));
        assert_eq!(normalize("../x"), None);
    }
}
