//! The embedded Flux schemas (written by hand in the project's notation) must
//! describe exactly what the upstream CRDs describe.
//!
//! For each kind the upstream CRD is read from `../shared/crds/<group>/<plural>.yaml`
//! and its served version's `openAPIV3Schema` is compared, recursively, with
//! the expanded notation. Every keyword must match — property names, types,
//! enums, required lists (as sets), formats, patterns, bounds, items,
//! additionalProperties, nullable and every `x-kubernetes-*` extension
//! (validations with rule and message included) — except `description` and
//! `default`, which the notation deliberately does not carry: descriptions are
//! upstream prose, and defaults are applied by the API server, not checked by
//! a linter.

use crate::common;

use std::path::{Path, PathBuf};

use gitops_lint::internals::base::source::LineIndex;
use gitops_lint::internals::schema::flux::{FluxKind, KINDS};
use gitops_lint::internals::yaml::scalar::Typing;
use gitops_lint::internals::yaml::to_json::to_json;
use serde_json::Value;

/// Keywords the notation leaves out on purpose (see the module docs).
const IGNORED: &[&str] = &["description", "default"];

/// `GITOPS_LINT_CRDS` if set; else `../shared/crds` beside the checkout
/// (see `common::shared`).
fn crds_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("GITOPS_LINT_CRDS") {
        return Some(PathBuf::from(dir));
    }
    common::shared("crds")
}

/// The served version's `openAPIV3Schema` of an upstream CRD file.
fn upstream_schema(dir: &Path, k: &FluxKind) -> Value {
    let path = dir.join(k.group).join(format!("{}.yaml", k.plural));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let stream = gitops_lint::internals::yaml::parse(&text, &LineIndex::new(&text));
    assert!(
        stream.errors.is_empty(),
        "{}: {:?}",
        path.display(),
        stream.errors
    );
    let crd = to_json(stream.docs[0].root(), Typing::Core);
    assert_eq!(crd["spec"]["names"]["kind"], k.kind, "{}", path.display());
    let versions = crd["spec"]["versions"].as_array().expect("versions");
    let v = versions
        .iter()
        .find(|v| v["name"] == k.version)
        .unwrap_or_else(|| panic!("{}: no version {}", path.display(), k.version));
    assert_eq!(v["served"], true, "{} {} not served", k.kind, k.version);
    v["schema"]["openAPIV3Schema"].clone()
}

/// Records every difference between `want` (upstream) and `got` (ours).
/// `in_properties` is true when the maps are a `properties` mapping, whose
/// keys are field names (a field may be called `default`), not keywords.
fn diff(path: &str, want: &Value, got: &Value, in_properties: bool, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            let keep = |k: &String| in_properties || !IGNORED.contains(&k.as_str());
            for (k, wv) in w.iter().filter(|(k, _)| keep(k)) {
                let sub = format!("{path}/{k}");
                match g.get(k) {
                    None => out.push(format!("{sub}: missing in embedded schema")),
                    Some(gv) if k == "required" && !in_properties => {
                        let set = |v: &Value| {
                            let mut s: Vec<String> = v
                                .as_array()
                                .map(|a| a.iter().map(|x| x.to_string()).collect())
                                .unwrap_or_default();
                            s.sort();
                            s
                        };
                        if set(wv) != set(gv) {
                            out.push(format!("{sub}: upstream {wv}, embedded {gv}"));
                        }
                    }
                    Some(gv) => {
                        let props = !in_properties && k == "properties";
                        diff(&sub, wv, gv, props, out);
                    }
                }
            }
            for k in g.keys().filter(|k| keep(k)) {
                if !w.contains_key(k) {
                    out.push(format!("{path}/{k}: not in upstream"));
                }
            }
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                diff(&format!("{path}/{i}"), wv, gv, false, out);
            }
        }
        _ if want == got => {}
        _ => out.push(format!("{path}: upstream {want}, embedded {got}")),
    }
}

#[test]
fn embedded_flux_schemas_match_upstream_crds() {
    let Some(dir) = crds_dir() else {
        return;
    };
    let mut failures = Vec::new();
    for k in KINDS {
        let want = upstream_schema(&dir, k);
        let got = match k.schema() {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{}: expansion failed: {e}", k.kind));
                continue;
            }
        };
        let mut out = Vec::new();
        diff("", &want, &got, false, &mut out);
        for d in out {
            failures.push(format!("{} {}: {d}", k.api_version(), k.kind));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn all_nineteen_kinds_are_embedded() {
    assert_eq!(KINDS.len(), 19);
}
