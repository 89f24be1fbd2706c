//! Container images: parsing references the way Docker does, finding images
//! in Helm values trees, and layering values (chart defaults < values files
//! < `spec.values`) so rules judge the image a release really runs.

use std::borrow::Cow;
use std::fmt;

use crate::yaml::scalar::{Typed, Typing};
use crate::yaml::NodeRef;

/// The registry an image without a host comes from.
pub const DOCKER_HUB: &str = "docker.io";

/// A parsed image reference: `[host[:port]/]path[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The registry host as written; `None` means Docker Hub. The first
    /// component is a host only if it contains `.` or `:`, or is
    /// `localhost` (Docker's rule).
    pub host: Option<String>,
    /// The repository below the host, as written (`my-org/app`, `nginx`).
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    /// The registry cannot be known: the host part holds a `${VAR}` (Flux
    /// post-build substitution) or `{{ }}` placeholder.
    pub host_is_placeholder: bool,
    /// The tag or digest holds a placeholder.
    pub tag_is_placeholder: bool,
}

impl ImageRef {
    /// Parses a reference; `None` when the text is not an image reference
    /// (empty, whitespace, characters a reference cannot hold).
    pub fn parse(text: &str) -> Option<ImageRef> {
        let outside = outside_placeholders(text);
        let at = |pred: &dyn Fn(u8) -> bool, rev: bool| {
            let mut it = text
                .bytes()
                .enumerate()
                .filter(|(i, b)| outside[*i] && pred(*b));
            if rev {
                it.last().map(|(i, _)| i)
            } else {
                it.next().map(|(i, _)| i)
            }
        };
        if text.is_empty() || at(&|b: u8| b.is_ascii_whitespace(), false).is_some() {
            return None;
        }
        let (rest, digest) = match at(&|b| b == b'@', false) {
            Some(i) => (&text[..i], Some(&text[i + 1..])),
            None => (text, None),
        };
        let last_slash = at(&|b| b == b'/', true).filter(|i| *i < rest.len());
        let colon = rest
            .bytes()
            .enumerate()
            .filter(|(i, b)| outside[*i] && *b == b':' && last_slash.is_none_or(|s| *i > s))
            .map(|(i, _)| i)
            .next_back();
        let (name, tag) = match colon {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (first, remainder) = match name.split_once('/') {
            Some((f, r)) => (f, Some(r)),
            None => (name, None),
        };
        let first_templated = has_placeholder(first);
        let is_host = remainder.is_some()
            && !first_templated
            && (first.contains(['.', ':']) || first == "localhost");
        let (host, path) = match (is_host, remainder) {
            (true, Some(r)) => (Some(first.to_string()), r),
            _ => (None, name),
        };
        let host_is_placeholder = first_templated;
        let tag_is_placeholder =
            tag.is_some_and(has_placeholder) || digest.is_some_and(has_placeholder);
        if path.is_empty() || (!has_placeholder(path) && !valid_path(path)) {
            return None;
        }
        if let Some(h) = &host {
            if !valid_host(h) {
                return None;
            }
        }
        if let Some(t) = tag {
            if !has_placeholder(t) && !valid_tag(t) {
                return None;
            }
        }
        if let Some(d) = digest {
            if !has_placeholder(d) && !valid_digest(d) {
                return None;
            }
        }
        Some(ImageRef {
            host,
            path: path.to_string(),
            tag: tag.map(String::from),
            digest: digest.map(String::from),
            host_is_placeholder,
            tag_is_placeholder,
        })
    }

    /// The registry host, lowercased; Docker Hub when none is written.
    pub fn registry(&self) -> String {
        match &self.host {
            Some(h) => {
                let h = h.to_ascii_lowercase();
                match h.as_str() {
                    "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
                    _ => h,
                }
            }
            None => DOCKER_HUB.to_string(),
        }
    }

    pub fn is_docker_hub(&self) -> bool {
        self.registry() == DOCKER_HUB
    }

    /// `registry/path`, with Docker Hub's implied `library/` for official
    /// images: what registry prefixes are matched against.
    pub fn full_name(&self) -> String {
        let registry = self.registry();
        if registry == DOCKER_HUB && !self.path.contains('/') {
            format!("{DOCKER_HUB}/library/{}", self.path)
        } else {
            format!("{registry}/{}", self.path)
        }
    }

    /// Whether the image comes from `allowed`: a host (`myacr.azurecr.io`)
    /// or a host/path prefix (`myacr.azurecr.io/team`), matched at `/`
    /// boundaries, never as a mere string prefix.
    pub fn is_from(&self, allowed: &str) -> bool {
        let allowed = allowed
            .trim()
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/');
        let (host, path) = allowed.split_once('/').unwrap_or((allowed, ""));
        let prefix = if path.is_empty() {
            host.to_ascii_lowercase()
        } else {
            format!("{}/{path}", host.to_ascii_lowercase())
        };
        let name = self.full_name();
        !prefix.is_empty()
            && (name == prefix
                || name.len() > prefix.len()
                    && name.starts_with(&prefix)
                    && name[prefix.len()..].starts_with('/'))
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(h) = &self.host {
            write!(f, "{h}/")?;
        }
        f.write_str(&self.path)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Whether `text` holds a `${VAR}` or `{{ }}` placeholder: not a concrete
/// value until Flux (post-build substitution) or Helm fills it in.
pub fn has_placeholder(text: &str) -> bool {
    text.contains("${") || text.contains("{{")
}

/// For each byte: true when it is outside every `${...}` and `{{...}}`.
fn outside_placeholders(text: &str) -> Vec<bool> {
    let bytes = text.as_bytes();
    let mut out = vec![true; bytes.len()];
    let mut i = 0;
    while i < bytes.len() {
        let close = match (bytes[i], bytes.get(i + 1)) {
            (b'$', Some(b'{')) => Some("}"),
            (b'{', Some(b'{')) => Some("}}"),
            _ => None,
        };
        let Some(close) = close else {
            i += 1;
            continue;
        };
        let end = text[i + 2..]
            .find(close)
            .map_or(bytes.len(), |e| i + 2 + e + close.len());
        for flag in &mut out[i..end] {
            *flag = false;
        }
        i = end;
    }
    out
}

fn valid_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    !name.is_empty()
        && name
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Path components: lowercase letters and digits, separated by `.`, `_`,
/// `__` or `-` runs, each starting and ending with a letter or digit.
fn valid_path(path: &str) -> bool {
    path.split('/').all(|c| {
        let b = c.as_bytes();
        !b.is_empty()
            && b.iter().all(|x| {
                x.is_ascii_lowercase() || x.is_ascii_digit() || matches!(x, b'.' | b'_' | b'-')
            })
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
    })
}

fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|x| x.is_ascii_alphanumeric() || matches!(x, b'.' | b'_' | b'-'))
}

fn valid_digest(digest: &str) -> bool {
    match digest.split_once(':') {
        Some((algo, hex)) => {
            !algo.is_empty()
                && algo
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'_' | b'-'))
                && hex.len() >= 32
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

// ---------------------------------------------------------------------------
// Images in values trees.

/// Where a part of an image was set: the layer (index into the layers
/// given to [`effective_images`]) and the node.
#[derive(Debug, Clone, Copy)]
pub struct SetAt<'a> {
    pub layer: usize,
    pub node: NodeRef<'a>,
}

#[derive(Debug, Clone, Copy)]
struct Part<'a> {
    value: &'a str,
    at: SetAt<'a>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Fields<'a> {
    registry: Option<Part<'a>>,
    repository: Option<Part<'a>>,
    tag: Option<Part<'a>>,
    digest: Option<Part<'a>>,
}

#[derive(Debug, Clone, Copy)]
enum Spec<'a> {
    /// `image: "host/repo:tag"`.
    Text(Part<'a>),
    /// `image: {registry, repository, tag, digest}`.
    Fields(Fields<'a>),
}

/// A key path in a values tree: keys borrowed from the tree, `[i]` for
/// sequence items (cheap to clone while walking).
type KeyPath<'a> = Vec<Cow<'a, str>>;

#[derive(Debug, Clone)]
struct Site<'a> {
    path: KeyPath<'a>,
    key: SetAt<'a>,
    spec: Spec<'a>,
}

/// An image found in values.
#[derive(Debug, Clone)]
pub struct ValuesImage<'a> {
    /// The key path of the `image` entry (`image`, `worker.image`,
    /// `sidecars[0].image`).
    pub key_path: String,
    /// The reference as the values assemble it.
    pub text: String,
    pub image: ImageRef,
    /// The `image` key, where it was last set.
    pub key: SetAt<'a>,
    /// Where what decides the registry was last set: the string, or the
    /// `registry` (or `global.imageRegistry`) or `repository` value.
    pub name_at: SetAt<'a>,
    /// Where the tag or digest was last set, if one was.
    pub tag_at: Option<SetAt<'a>>,
    /// Written as a mapping (`repository`/`tag`): a missing tag there means
    /// the chart's default (usually its appVersion), not `latest`.
    pub from_fields: bool,
}

/// The images of one values tree.
#[cfg(test)]
pub fn values_images(root: NodeRef<'_>) -> Vec<ValuesImage<'_>> {
    effective_images(&[root])
}

/// The images of layered values, as Helm merges them: later layers win,
/// mappings merge key by key, anything else (string, list, null) replaces
/// what was there. Each image says in which layer each part was last set.
pub fn effective_images<'a>(layers: &[NodeRef<'a>]) -> Vec<ValuesImage<'a>> {
    let mut layered = Layered::default();
    for root in layers {
        layered.apply(*root);
    }
    layered.images()
}

/// Values layered so far, as far as images go: what [`effective_images`]
/// folds over its layers. Kept between calls, the state after a chart's
/// `values.yaml` and values files is shared by every release that layers
/// its own values over them (the same chart is layered under each
/// environment's release, and again under each rendering of it).
#[derive(Debug, Clone, Default)]
pub struct Layered<'a> {
    sites: Vec<Site<'a>>,
    global_registry: Option<Part<'a>>,
    /// The layers applied: the next one's index.
    layers: usize,
}

impl<'a> Layered<'a> {
    /// Layers `root` over what is there.
    pub fn apply(&mut self, root: NodeRef<'a>) {
        let layer = self.layers;
        self.layers += 1;
        let sites = &mut self.sites;
        let mut stack: Vec<(NodeRef<'a>, KeyPath<'a>)> = vec![(root, Vec::new())];
        while let Some((node, path)) = stack.pop() {
            // Paths are built only for containers (walked further) and
            // for leaves that may replace a site below them.
            if node.is_seq() {
                for (i, item) in node.items().enumerate() {
                    let container = item.is_map() || item.is_seq();
                    if !container && !any_below(sites, &path) {
                        continue;
                    }
                    let mut p = path.clone();
                    p.push(Cow::Owned(format!("[{i}]")));
                    replace_below(sites, &p, item);
                    if container {
                        stack.push((item, p));
                    }
                }
                continue;
            }
            for (k, v) in node.entries() {
                let Some(key) = k.as_str() else { continue };
                let at = SetAt { layer, node: v };
                if key == "imageRegistry" && path.len() == 1 && path[0] == "global" {
                    self.global_registry = string_value(v).map(|value| Part { value, at });
                    continue;
                }
                if key == "image" {
                    let mut p = path.clone();
                    p.push(Cow::Borrowed(key));
                    set_site(sites, p, SetAt { layer, node: k }, v, layer);
                    continue;
                }
                let container = v.is_map() || v.is_seq();
                if !container && !any_below(sites, &path) {
                    continue;
                }
                let mut p = path.clone();
                p.push(Cow::Borrowed(key));
                replace_below(sites, &p, v);
                if container {
                    stack.push((v, p));
                }
            }
        }
    }

    /// The images the layers applied so far make, by key path.
    pub fn images(&self) -> Vec<ValuesImage<'a>> {
        let mut sites: Vec<&Site<'a>> = self.sites.iter().collect();
        sites.sort_by(|a, b| a.path.cmp(&b.path));
        sites
            .into_iter()
            .filter_map(|s| resolve(s, self.global_registry))
            .collect()
    }
}

/// Whether some site lies at least two levels below `path`: only then can
/// setting a child of `path` replace one.
fn any_below(sites: &[Site<'_>], path: &[Cow<'_, str>]) -> bool {
    sites
        .iter()
        .any(|s| s.path.len() > path.len() + 1 && s.path.starts_with(path))
}

/// A layer setting `path` to something other than a mapping replaces all
/// that earlier layers set below it.
fn replace_below(sites: &mut Vec<Site<'_>>, path: &[Cow<'_, str>], value: NodeRef<'_>) {
    if !value.is_map() {
        sites.retain(|s| !(s.path.len() > path.len() && s.path.starts_with(path)));
    }
}

/// Reads a field of an image mapping.
type ValueReader<'a> = fn(NodeRef<'a>) -> Option<&'a str>;

fn set_site<'a>(
    sites: &mut Vec<Site<'a>>,
    path: KeyPath<'a>,
    key: SetAt<'a>,
    value: NodeRef<'a>,
    layer: usize,
) {
    sites.retain(|s| !(s.path.len() > path.len() && s.path.starts_with(&path)));
    let existing = sites.iter().position(|s| s.path == path);
    let spec = if let Some(text) = string_value(value) {
        Some(Spec::Text(Part {
            value: text,
            at: SetAt { layer, node: value },
        }))
    } else if value.is_map() {
        let mut fields = match existing.map(|i| sites[i].spec) {
            Some(Spec::Fields(f)) => f,
            _ => Fields::default(),
        };
        let parts: [(&str, &mut Option<Part<'a>>, ValueReader<'a>); 4] = [
            ("registry", &mut fields.registry, string_value),
            ("repository", &mut fields.repository, string_value),
            ("tag", &mut fields.tag, tag_value),
            ("digest", &mut fields.digest, string_value),
        ];
        for (name, slot, read) in parts {
            if let Some(v) = value.get(name) {
                *slot = read(v).map(|value| Part {
                    value,
                    at: SetAt { layer, node: v },
                });
            }
        }
        Some(Spec::Fields(fields))
    } else {
        None
    };
    if let Some(i) = existing {
        sites.remove(i);
    }
    if let Some(spec) = spec {
        sites.push(Site { path, key, spec });
    }
}

/// A non-empty string value (quoted, or plain and typed as a string the
/// way Kubernetes reads it: not a number, boolean or null).
fn string_value<'a>(node: NodeRef<'a>) -> Option<&'a str> {
    let s = node.as_scalar()?;
    (s.typed(node.tag(), Typing::Kubernetes) == Typed::Str && !s.value.trim().is_empty())
        .then_some(s.value.as_str())
}

/// A tag as Helm renders it: `tag: 1.25` (a number to YAML) is `1.25`.
fn tag_value<'a>(node: NodeRef<'a>) -> Option<&'a str> {
    let s = node.as_scalar()?;
    match s.typed(node.tag(), Typing::Kubernetes) {
        Typed::Str | Typed::Int(_) | Typed::UInt(_) | Typed::Float(_)
            if !s.value.trim().is_empty() =>
        {
            Some(s.value.as_str())
        }
        _ => None,
    }
}

fn resolve<'a>(site: &Site<'a>, global_registry: Option<Part<'a>>) -> Option<ValuesImage<'a>> {
    let key_path = site.path.iter().fold(String::new(), |mut acc, p| {
        if !acc.is_empty() && !p.starts_with('[') {
            acc.push('.');
        }
        acc.push_str(p);
        acc
    });
    match site.spec {
        Spec::Text(part) => Some(ValuesImage {
            key_path,
            image: ImageRef::parse(part.value)?,
            text: part.value.to_string(),
            key: site.key,
            name_at: part.at,
            tag_at: Some(part.at),
            from_fields: false,
        }),
        Spec::Fields(f) => {
            let repository = f.repository?;
            let registry = global_registry.or(f.registry);
            let mut text = match registry {
                Some(r) => format!("{}/{}", r.value.trim_end_matches('/'), repository.value),
                None => repository.value.to_string(),
            };
            if let Some(t) = f.tag {
                text.push(':');
                text.push_str(t.value);
            }
            if let Some(d) = f.digest {
                text.push('@');
                text.push_str(d.value);
            }
            Some(ValuesImage {
                key_path,
                image: ImageRef::parse(&text)?,
                text,
                key: site.key,
                name_at: registry.unwrap_or(repository).at,
                tag_at: f.digest.or(f.tag).map(|p| p.at),
                from_fields: true,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::LineIndex;
    use crate::yaml::Document;

    fn parse(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn parses_docker_references() {
        let r = parse("nginx");
        assert_eq!(
            (r.host.as_deref(), r.path.as_str(), r.tag.as_deref()),
            (None, "nginx", None)
        );
        assert_eq!(r.full_name(), "docker.io/library/nginx");
        let r = parse("bitnami/redis:7.2");
        assert_eq!((r.host.as_deref(), r.tag.as_deref()), (None, Some("7.2")));
        assert_eq!(r.full_name(), "docker.io/bitnami/redis");
        let r = parse("myacr.azurecr.io/team/app:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        assert_eq!(r.registry(), "myacr.azurecr.io");
        assert_eq!(r.path, "team/app");
        assert_eq!(r.tag.as_deref(), Some("1.0"));
        assert!(r.digest.is_some());
        let r = parse("localhost:5000/app");
        assert_eq!((r.registry().as_str(), r.tag), ("localhost:5000", None));
        let r = parse("localhost/app:2");
        assert_eq!(r.registry(), "localhost");
        // A colon after the last slash is a tag; before it, a port.
        let r = parse("registry:5000/app");
        assert_eq!(
            (r.registry().as_str(), r.path.as_str()),
            ("registry:5000", "app")
        );
        assert_eq!(
            parse("index.docker.io/library/nginx:1").registry(),
            "docker.io"
        );
        assert_eq!(parse("nginx:1.25").to_string(), "nginx:1.25");
    }

    #[test]
    fn rejects_what_is_not_a_reference() {
        for s in [
            "",
            "Always",
            "my app",
            "app:",
            "app@sha256:xyz",
            "UPPER/case",
            "a//b",
            "-a",
        ] {
            assert!(ImageRef::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn placeholders_are_not_concrete() {
        let r = parse("${REGISTRY}/app:1.0");
        assert!(r.host_is_placeholder && !r.tag_is_placeholder);
        let r = parse("myacr.azurecr.io/app:${TAG:=1.0}");
        assert_eq!(r.registry(), "myacr.azurecr.io");
        assert!(!r.host_is_placeholder && r.tag_is_placeholder);
        assert!(parse("${IMAGE}").host_is_placeholder);
    }

    #[test]
    fn matches_registries_at_path_boundaries() {
        let r = parse("myacr.azurecr.io/x/y:1");
        assert!(r.is_from("myacr.azurecr.io"));
        assert!(r.is_from("MyAcr.azurecr.io/"));
        assert!(r.is_from("myacr.azurecr.io/x"));
        assert!(!r.is_from("myacr.azurecr.io/team"));
        assert!(!r.is_from("myacr.azurecr.io/x/y/z"));
        assert!(!parse("myacr.azurecr.io.evil.com/x").is_from("myacr.azurecr.io"));
        assert!(!parse("myacr.azurecr.io/xy").is_from("myacr.azurecr.io/x"));
        assert!(parse("nginx").is_from("docker.io"));
        assert!(!parse("nginx").is_from(""));
    }

    fn doc(text: &str) -> Document {
        let mut s = crate::yaml::parse(text, &LineIndex::new(text));
        s.docs.remove(0)
    }

    fn line_col(at: SetAt<'_>) -> (usize, u32, u32) {
        let s = at.node.span().start;
        (at.layer, s.line, s.col)
    }

    #[test]
    fn finds_image_shapes_anywhere() {
        let d = doc("image: nginx:1\nworker:\n  image:\n    registry: ghcr.io\n    repository: org/w\n    tag: \"2\"\nsidecars:\n  - image: {repository: busybox}\n");
        let found = values_images(d.root());
        let got: Vec<_> = found
            .iter()
            .map(|i| (i.key_path.as_str(), i.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("image", "nginx:1"),
                ("sidecars[0].image", "busybox"),
                ("worker.image", "ghcr.io/org/w:2")
            ]
        );
        let w = &found[2];
        assert_eq!(line_col(w.name_at), (0, 4, 15));
        assert_eq!(line_col(w.tag_at.unwrap()), (0, 6, 10));
        assert_eq!(line_col(w.key), (0, 3, 3));
        assert!(found[1].from_fields && found[1].tag_at.is_none());
    }

    #[test]
    fn image_keys_that_are_not_images() {
        let d = doc("image: {pullPolicy: Always}\na:\n  image: true\nb:\n  image: 5\nc:\n  image: ~\nd:\n  image: [x]\ne:\n  image: \"Not An Image\"\n");
        assert!(values_images(d.root()).is_empty());
    }

    #[test]
    fn global_image_registry_wins() {
        let d = doc("global:\n  imageRegistry: myacr.azurecr.io\nimage: {registry: docker.io, repository: bitnami/redis, tag: '7'}\n");
        let found = values_images(d.root());
        assert_eq!(found[0].text, "myacr.azurecr.io/bitnami/redis:7");
        assert_eq!(line_col(found[0].name_at), (0, 2, 18));
    }

    #[test]
    fn later_layers_override_part_by_part() {
        let chart = doc("image:\n  repository: nginx\n  tag: latest\n  pullPolicy: Always\nextra:\n  - image: busybox\n");
        let env = doc("image:\n  tag: 1.2\n");
        let release = doc("image:\n  repository: myacr.azurecr.io/app\nextra: []\n");
        let found = effective_images(&[chart.root(), env.root(), release.root()]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].text, "myacr.azurecr.io/app:1.2");
        assert_eq!(line_col(found[0].name_at), (2, 2, 15));
        assert_eq!(line_col(found[0].tag_at.unwrap()), (1, 2, 8));
        assert_eq!(found[0].key.layer, 2);
    }

    #[test]
    fn a_string_or_null_replaces_a_mapping() {
        let chart = doc("image: {repository: nginx, tag: '1'}\n");
        let text = doc("image: myacr.azurecr.io/app\n");
        let found = effective_images(&[chart.root(), text.root()]);
        assert_eq!(found[0].text, "myacr.azurecr.io/app");
        assert!(!found[0].from_fields);
        let null = doc("image: null\n");
        assert!(effective_images(&[chart.root(), null.root()]).is_empty());
        let tag_null = doc("image: {tag: null}\n");
        let found = effective_images(&[chart.root(), tag_null.root()]);
        assert_eq!(found[0].text, "nginx");
    }
}
