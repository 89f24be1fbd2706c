//! `configurations`: files that add field specs to kustomize's built-in
//! transformers — most often a `nameReference` that makes a generated
//! ConfigMap's hashed name follow into a HelmRelease's `valuesFrom`.
//!
//! kustomize merges the configuration of every kustomization it builds
//! into the accumulated one, so a nested kustomization's specs also apply
//! to the transformers of the kustomizations above it, and to the name
//! references fixed at the end of the build.

use std::borrow::Cow;

use super::fields::FieldSpec;
use super::tree::{Node, Origin};

/// Field specs added by `configurations`.
#[derive(Debug, Clone, Default)]
pub struct Configured {
    /// (kind referred to, referrer, path): where objects name one of that
    /// kind.
    pub name_refs: Vec<(String, FieldSpec, String)>,
    /// Where `commonLabels` (and labels with `includeSelectors`) go.
    pub labels: Vec<(FieldSpec, String)>,
    /// Where `commonAnnotations` go.
    pub annotations: Vec<(FieldSpec, String)>,
    /// Fields holding an image that `images` entries update.
    pub images: Vec<(FieldSpec, String)>,
}

/// Fields of a configuration this renderer does not apply, and so reports
/// as not rendered.
const NOT_APPLIED: &[&str] = &[
    "namePrefix",
    "nameSuffix",
    "namespace",
    "labels",
    "templateLabels",
    "volumeClaimTemplateLabels",
    "varReference",
    "replicas",
];

impl Configured {
    /// Adds `other`'s specs (a nested kustomization's, or a file's).
    pub fn merge(&mut self, other: Configured) {
        self.name_refs.extend(other.name_refs);
        self.labels.extend(other.labels);
        self.annotations.extend(other.annotations);
        self.images.extend(other.images);
    }

    /// Reads one configuration file; also returns its fields that are not
    /// applied, at their keys.
    pub fn read(tree: &Node) -> (Configured, Vec<(Origin, String)>) {
        let mut out = Configured::default();
        let mut not_applied = Vec::new();
        for e in tree.entries() {
            match e.key.as_str() {
                "commonLabels" => out.labels.extend(specs(&e.value)),
                "commonAnnotations" => out.annotations.extend(specs(&e.value)),
                "images" => out.images.extend(specs(&e.value)),
                "nameReference" => {
                    for target in e.value.items() {
                        let Some(kind) = target.str_at(&["kind"]) else {
                            continue;
                        };
                        for (spec, path) in target.get("fieldSpecs").map(specs).unwrap_or_default() {
                            out.name_refs.push((kind.to_string(), spec, path));
                        }
                    }
                }
                key if NOT_APPLIED.contains(&key) => not_applied.push((
                    e.key_origin,
                    format!("the `{key}` field specs of this configuration are not applied: what they change is not checked"),
                )),
                _ => {}
            }
        }
        (out, not_applied)
    }
}

/// A list of field specs (`group`, `version`, `kind`, `path`, `create`).
fn specs(list: &Node) -> Vec<(FieldSpec, String)> {
    list.items()
        .iter()
        .filter_map(|item| {
            let path = item.str_at(&["path"])?.to_string();
            let text = |f: &str| Cow::Owned(item.str_at(&[f]).unwrap_or("").to_string());
            let spec = FieldSpec {
                group: text("group"),
                version: text("version"),
                kind: text("kind"),
                path: Cow::Owned(path.clone()),
                create: item.str_at(&["create"]) == Some("true"),
            };
            Some((spec, path))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tree::parse_tree;

    #[test]
    fn reads_name_references_and_specs() {
        let text = "nameReference:\n- kind: ConfigMap\n  version: v1\n  fieldSpecs:\n  - {path: spec/valuesFrom/name, kind: HelmRelease}\ncommonLabels:\n- {path: spec/selector, kind: Thing, create: true}\nvarReference:\n- {path: spec/x}\n";
        let (c, not_applied) = Configured::read(&parse_tree(text));
        assert_eq!(c.name_refs.len(), 1);
        let (kind, spec, path) = &c.name_refs[0];
        assert_eq!(
            (kind.as_str(), &*spec.kind, path.as_str()),
            ("ConfigMap", "HelmRelease", "spec/valuesFrom/name")
        );
        assert!(c.labels[0].0.create);
        assert_eq!(not_applied.len(), 1);
        assert!(not_applied[0].1.contains("`varReference`"));
    }
}
