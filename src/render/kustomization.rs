//! The shape of a kustomization file, checked as strictly as kustomize
//! decodes it: an unknown field or a value of the wrong type (a number
//! where a string is expected, `newTag: 1.26`) fails the build.

use std::fmt;

use super::tree::{Node, Origin};

/// A field's type, as kustomize's Go structs declare it.
enum Ty {
    Str,
    Int,
    Bool,
    /// `map[string]string`.
    StrMap,
    /// `[]string`.
    Strs,
    /// Anything (fields this renderer does not interpret).
    Any,
    List(&'static Ty),
    Obj(&'static [(&'static str, Ty)]),
}

use Ty::*;

const SELECTOR: &[(&str, Ty)] = &[
    ("group", Str),
    ("version", Str),
    ("kind", Str),
    ("name", Str),
    ("namespace", Str),
    ("labelSelector", Str),
    ("annotationSelector", Str),
];

const PATCH: &[(&str, Ty)] = &[
    ("path", Str),
    ("patch", Str),
    ("target", Obj(SELECTOR)),
    (
        "options",
        Obj(&[("allowNameChange", Bool), ("allowKindChange", Bool)]),
    ),
];

const IMAGE: &[(&str, Ty)] = &[
    ("name", Str),
    ("newName", Str),
    ("newTag", Str),
    ("digest", Str),
    ("tagSuffix", Str),
];

const GENERATOR_OPTIONS: &[(&str, Ty)] = &[
    ("labels", StrMap),
    ("annotations", StrMap),
    ("disableNameSuffixHash", Bool),
    ("immutable", Bool),
];

const CONFIG_MAP_ARGS: &[(&str, Ty)] = &[
    ("name", Str),
    ("namespace", Str),
    ("behavior", Str),
    ("literals", Strs),
    ("files", Strs),
    ("envs", Strs),
    ("env", Str),
    ("options", Obj(GENERATOR_OPTIONS)),
];

const SECRET_ARGS: &[(&str, Ty)] = &[
    ("name", Str),
    ("namespace", Str),
    ("behavior", Str),
    ("literals", Strs),
    ("files", Strs),
    ("envs", Strs),
    ("env", Str),
    ("options", Obj(GENERATOR_OPTIONS)),
    ("type", Str),
];

const FIELD_SPEC: &[(&str, Ty)] = &[
    ("group", Str),
    ("version", Str),
    ("kind", Str),
    ("path", Str),
    ("create", Bool),
];

const LABEL: &[(&str, Ty)] = &[
    ("pairs", StrMap),
    ("includeSelectors", Bool),
    ("includeTemplates", Bool),
    ("includeVolumeClaimTemplates", Bool),
    ("fields", List(&Obj(FIELD_SPEC))),
];

const FIELD_OPTIONS: &[(&str, Ty)] = &[
    ("delimiter", Str),
    ("index", Int),
    ("encoding", Str),
    ("create", Bool),
];

const REPLACEMENT_SOURCE: &[(&str, Ty)] = &[
    ("group", Str),
    ("version", Str),
    ("kind", Str),
    ("name", Str),
    ("namespace", Str),
    ("fieldPath", Str),
    ("options", Obj(FIELD_OPTIONS)),
];

const REPLACEMENT_TARGET: &[(&str, Ty)] = &[
    ("select", Obj(SELECTOR)),
    ("reject", List(&Obj(SELECTOR))),
    ("fieldPaths", Strs),
    ("options", Obj(FIELD_OPTIONS)),
];

/// A replacement as a file holds it (kustomize's `types.Replacement`).
const REPLACEMENT: &[(&str, Ty)] = &[
    ("source", Obj(REPLACEMENT_SOURCE)),
    ("targets", List(&Obj(REPLACEMENT_TARGET))),
];

/// A `replacements` entry: a replacement, or the file that holds some.
const REPLACEMENT_FIELD: &[(&str, Ty)] = &[
    ("path", Str),
    ("source", Obj(REPLACEMENT_SOURCE)),
    ("targets", List(&Obj(REPLACEMENT_TARGET))),
];

/// The fields of a kustomization (kustomize's `types.Kustomization`).
const KUSTOMIZATION: &[(&str, Ty)] = &[
    ("apiVersion", Str),
    ("kind", Str),
    ("metadata", Any),
    ("openapi", StrMap),
    ("namePrefix", Str),
    ("nameSuffix", Str),
    ("namespace", Str),
    ("commonLabels", StrMap),
    ("labels", List(&Obj(LABEL))),
    ("commonAnnotations", StrMap),
    ("patchesStrategicMerge", Strs),
    ("patchesJson6902", List(&Obj(PATCH))),
    ("patches", List(&Obj(PATCH))),
    ("images", List(&Obj(IMAGE))),
    ("imageTags", List(&Obj(IMAGE))),
    ("replacements", List(&Obj(REPLACEMENT_FIELD))),
    ("replicas", List(&Obj(&[("name", Str), ("count", Int)]))),
    ("vars", Any),
    ("sortOptions", Any),
    ("resources", Strs),
    ("crds", Strs),
    ("bases", Strs),
    ("components", Strs),
    ("configMapGenerator", List(&Obj(CONFIG_MAP_ARGS))),
    ("secretGenerator", List(&Obj(SECRET_ARGS))),
    ("helmGlobals", Any),
    ("helmCharts", Any),
    ("helmChartInflationGenerator", Any),
    ("generatorOptions", Obj(GENERATOR_OPTIONS)),
    ("configurations", Strs),
    ("generators", Strs),
    ("transformers", Strs),
    ("validators", Strs),
    ("buildMetadata", Strs),
];

/// Every place the kustomization `k` breaks kustomize's decoding, with
/// the message to report there.
pub fn check(k: &Node) -> Vec<(Origin, String)> {
    let mut out = Vec::new();
    check_value(k, &Obj(KUSTOMIZATION), &At::Root, &mut out);
    out
}

/// Every place replacements read from a file break kustomize's decoding.
pub fn check_replacements(items: &[Node]) -> Vec<(Origin, String)> {
    let mut out = Vec::new();
    let list = At::Key(&At::Root, "replacements");
    for (i, item) in items.iter().enumerate() {
        check_value(item, &Obj(REPLACEMENT), &At::Index(&list, i), &mut out);
    }
    out
}

/// Where a value is in a kustomization (`images[0].newTag`), spelled out
/// only for a message: every build checks its kustomization, and the
/// paths of values without a problem were most of the check's work.
enum At<'a> {
    Root,
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Root => Ok(()),
            At::Key(At::Root, key) => f.write_str(key),
            At::Key(up, key) => write!(f, "{up}.{key}"),
            At::Index(up, i) => write!(f, "{up}[{i}]"),
        }
    }
}

fn check_value(node: &Node, ty: &Ty, path: &At<'_>, out: &mut Vec<(Origin, String)>) {
    if node.is_null() {
        return;
    }
    let mut wrong = |what: &str| {
        let shown = node
            .as_str()
            .map(|s| format!(" (`{s}`)"))
            .unwrap_or_default();
        out.push((
            node.origin,
            format!("`{path}` must be {what}{shown}: kustomize refuses the kustomization"),
        ));
    };
    let json = || node.to_json();
    match ty {
        Any => {}
        Str if !json().is_string() => wrong("a string; quote it"),
        Int if !json().is_i64() => wrong("an integer"),
        Bool if !json().is_boolean() => wrong("`true` or `false`"),
        Str | Int | Bool => {}
        StrMap if !node.is_map() => wrong("a mapping of strings"),
        StrMap => {
            for e in node.entries() {
                check_value(&e.value, &Str, &At::Key(path, &e.key), out);
            }
        }
        Strs => check_value(node, &List(&Str), path, out),
        List(item) if !node.is_seq() => {
            let _ = item;
            wrong("a list")
        }
        List(item) => {
            for (i, n) in node.items().iter().enumerate() {
                check_value(n, item, &At::Index(path, i), out);
            }
        }
        Obj(_) if !node.is_map() => wrong("a mapping"),
        Obj(fields) => check_object(node, fields, path, out),
    }
}

fn check_object(
    node: &Node,
    fields: &[(&str, Ty)],
    path: &At<'_>,
    out: &mut Vec<(Origin, String)>,
) {
    for e in node.entries() {
        let at = At::Key(path, &e.key);
        match fields.iter().find(|(name, _)| *name == e.key) {
            Some((_, ty)) => check_value(&e.value, ty, &at, out),
            None => {
                let names = fields.iter().map(|(n, _)| *n);
                let hint = crate::base::suggest::closest(&e.key, names)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                let message = format!("kustomize does not know the field `{at}`{hint}");
                out.push((e.key_origin, message));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tree::parse_tree;

    fn problems(text: &str) -> Vec<(u32, u32, String)> {
        let lines = crate::base::source::LineIndex::new(text);
        check(&parse_tree(text))
            .into_iter()
            .map(|(o, m)| {
                let at = lines.pos_of_offset(text, o.offset());
                (at.line, at.col, m)
            })
            .collect()
    }

    #[test]
    fn refuses_what_kustomize_cannot_decode() {
        let got = problems("resources: [a.yaml]\nnamePrefx: x-\nimages:\n  - {name: app, newTag: 1.26}\ncommonLabels: {v: 1}\n");
        let at: Vec<_> = got.iter().map(|(l, c, _)| (*l, *c)).collect();
        assert_eq!(at, [(2, 1), (4, 25), (5, 19)]);
        assert!(got[0].2.contains("did you mean `namePrefix`"), "{got:?}");
        assert!(
            got[1].2.contains("`images[0].newTag` must be a string"),
            "{got:?}"
        );
    }

    #[test]
    fn problems_name_the_path_of_the_value() {
        let got = problems(
            "commonAnnotations: {a: 1}\nlabels:\n  - pairs: {b: [x]}\n    includeSelector: true\n",
        );
        let messages: Vec<&str> = got.iter().map(|(_, _, m)| m.as_str()).collect();
        assert!(
            messages[0].starts_with("`commonAnnotations.a` must be a string"),
            "{messages:?}"
        );
        assert!(
            messages[1].starts_with("`labels[0].pairs.b` must be a string"),
            "{messages:?}"
        );
        assert!(
            messages[2].contains("the field `labels[0].includeSelector`"),
            "{messages:?}"
        );
        let file = parse_tree("- source: {kind: X}\n- sorce: {}\n");
        let items = match &file.value {
            crate::render::tree::Value::Seq(items) => items.clone(),
            _ => Vec::new(),
        };
        let found = check_replacements(&items);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].1.contains("the field `replacements[1].sorce`"),
            "{found:?}"
        );
    }

    #[test]
    fn accepts_every_documented_form() {
        let text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a]\nimages: [{name: a, newTag: '1'}]\nreplicas: [{name: a, count: 2}]\nlabels: [{pairs: {a: b}, includeSelectors: true}]\npatches: [{path: p.yaml, target: {kind: X, labelSelector: 'a=b'}}]\nconfigMapGenerator: [{name: c, literals: [a=b], options: {disableNameSuffixHash: true}}]\n";
        assert!(problems(text).is_empty(), "{:?}", problems(text));
    }
}
