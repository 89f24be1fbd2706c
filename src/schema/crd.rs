//! CustomResourceDefinitions: their per-version schemas, the JSON files
//! `gitops-lint schemas import` writes to `.gitops-lint/schemas/`, and
//! reading those files back.
//!
//! An imported file is the version's structural `openAPIV3Schema`, as the
//! CRD has it, with the Kubernetes `x-kubernetes-group-version-kind`
//! extension naming what it validates. Keeping the CRD form (not the strict
//! JSON Schema it becomes) keeps its CEL rules and lets one conversion serve
//! embedded, imported and discovered schemas alike.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::base::source::LineIndex;
use crate::yaml::scalar::Typing;
use crate::yaml::to_json::to_json;

/// Where imported schemas live, relative to the repository root.
pub const IMPORT_DIR: &str = ".gitops-lint/schemas";

/// One served version of a CRD.
#[derive(Debug, Clone, PartialEq)]
pub struct CrdVersion {
    pub group: String,
    pub version: String,
    pub kind: String,
    /// The structural `openAPIV3Schema`.
    pub schema: Value,
    pub deprecated: bool,
}

impl CrdVersion {
    pub fn api_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }

    /// The file name `schemas import` writes it to.
    pub fn file_name(&self) -> String {
        format!("{}_{}_{}.json", self.group, self.version, self.kind)
    }

    /// The JSON written to an imported file.
    pub fn to_import_json(&self) -> Value {
        let mut schema = self.schema.clone();
        if let Value::Object(m) = &mut schema {
            m.insert(
                "x-kubernetes-group-version-kind".into(),
                json!([{"group": self.group, "version": self.version, "kind": self.kind}]),
            );
        }
        schema
    }
}

/// Whether a JSON object is an `apiextensions.k8s.io/v1` CRD.
pub fn is_crd(obj: &Value) -> bool {
    obj.get("apiVersion").and_then(Value::as_str) == Some("apiextensions.k8s.io/v1")
        && obj.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition")
}

/// The served versions of a CRD that carry a schema.
pub fn versions(crd: &Value) -> Vec<CrdVersion> {
    let spec = &crd["spec"];
    let (Some(group), Some(kind)) = (
        spec.get("group").and_then(Value::as_str),
        spec.pointer("/names/kind").and_then(Value::as_str),
    ) else {
        return Vec::new();
    };
    let Some(Value::Array(versions)) = spec.get("versions") else {
        return Vec::new();
    };
    versions
        .iter()
        .filter(|v| v.get("served").and_then(Value::as_bool) != Some(false))
        .filter_map(|v| {
            Some(CrdVersion {
                group: group.to_string(),
                version: v.get("name")?.as_str()?.to_string(),
                kind: kind.to_string(),
                schema: v.pointer("/schema/openAPIV3Schema")?.clone(),
                deprecated: v.get("deprecated").and_then(Value::as_bool) == Some(true),
            })
        })
        .collect()
}

/// What `schemas import` did with one input document.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportNote {
    Written {
        path: PathBuf,
        api_version: String,
        kind: String,
    },
    Skipped {
        document: usize,
        reason: String,
    },
}

/// Reads CRDs from YAML text (any number of documents) and writes each
/// served version's schema into `dir`. Non-CRD documents are skipped with a
/// note. Fails on YAML errors and on I/O errors.
pub fn import(text: &str, dir: &Path) -> Result<Vec<ImportNote>, String> {
    let lines = LineIndex::new(text);
    let stream = crate::yaml::parse(text, &lines);
    if let Some(e) = stream.errors.first() {
        return Err(format!(
            "YAML error at line {}, column {}: {}",
            e.pos.line, e.pos.col, e.message
        ));
    }
    let mut notes = Vec::new();
    for (i, doc) in stream.docs.iter().enumerate() {
        if doc.is_empty() {
            continue;
        }
        let obj = to_json(doc.root(), Typing::Kubernetes);
        if !is_crd(&obj) {
            let what = match (obj.get("apiVersion"), obj.get("kind")) {
                (Some(Value::String(a)), Some(Value::String(k))) => format!("{k} ({a})"),
                _ => "not a Kubernetes object".to_string(),
            };
            notes.push(ImportNote::Skipped {
                document: i + 1,
                reason: format!("{what}: not an apiextensions.k8s.io/v1 CustomResourceDefinition"),
            });
            continue;
        }
        let vs = versions(&obj);
        if vs.is_empty() {
            notes.push(ImportNote::Skipped {
                document: i + 1,
                reason: "CustomResourceDefinition without a served version schema".into(),
            });
        }
        for v in vs {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            let path = dir.join(v.file_name());
            let mut body = serde_json::to_string_pretty(&v.to_import_json())
                .map_err(|e| format!("cannot serialise {}: {e}", v.file_name()))?;
            body.push('\n');
            std::fs::write(&path, body)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            notes.push(ImportNote::Written {
                path,
                api_version: v.api_version(),
                kind: v.kind.clone(),
            });
        }
    }
    Ok(notes)
}

/// Reads the imported schemas of a repository (`<root>/.gitops-lint/schemas/*.json`),
/// sorted by file name. Unreadable or unidentifiable files are returned as
/// problems, not errors: a broken import must not stop the run.
pub fn load_imported(root: &Path) -> (Vec<(PathBuf, CrdVersion)>, Vec<String>) {
    let dir = root.join(IMPORT_DIR);
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(_) => return (Vec::new(), Vec::new()),
    };
    paths.sort();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        match read_imported(&path) {
            Ok(v) => out.push((path, v)),
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    (out, problems)
}

fn read_imported(path: &Path) -> Result<CrdVersion, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let schema: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let gvk = schema
        .get("x-kubernetes-group-version-kind")
        .and_then(|g| g.get(0));
    let from_gvk = gvk.and_then(|g| {
        Some((
            g.get("group")?.as_str()?.to_string(),
            g.get("version")?.as_str()?.to_string(),
            g.get("kind")?.as_str()?.to_string(),
        ))
    });
    let from_name = || {
        let stem = path.file_stem()?.to_str()?;
        let mut parts = stem.rsplitn(3, '_');
        let kind = parts.next()?.to_string();
        let version = parts.next()?.to_string();
        let group = parts.next()?.to_string();
        Some((group, version, kind))
    };
    let (group, version, kind) = from_gvk.or_else(from_name).ok_or_else(|| {
        "cannot tell which kind it is for: no x-kubernetes-group-version-kind and the name is not <group>_<version>_<kind>.json".to_string()
    })?;
    Ok(CrdVersion {
        group,
        version,
        kind,
        schema,
        deprecated: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer, minimum: 1}}}
  - name: v0
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: x}
";

    #[test]
    fn import_writes_served_versions_and_skips_other_documents() {
        let dir = tempfile::tempdir().unwrap();
        let notes = import(CRD, dir.path()).unwrap();
        assert_eq!(notes.len(), 2, "{notes:?}");
        let ImportNote::Written {
            path,
            api_version,
            kind,
        } = &notes[0]
        else {
            panic!("{notes:?}")
        };
        assert_eq!(
            (api_version.as_str(), kind.as_str()),
            ("example.com/v1", "Widget")
        );
        assert!(path.ends_with("example.com_v1_Widget.json"));
        assert!(
            matches!(&notes[1], ImportNote::Skipped { document: 2, reason } if reason.contains("ConfigMap"))
        );

        let root = dir.path().parent().unwrap();
        let target = root.join(IMPORT_DIR);
        std::fs::create_dir_all(&target).unwrap();
        std::fs::copy(path, target.join("example.com_v1_Widget.json")).unwrap();
        let (loaded, problems) = load_imported(root);
        assert!(problems.is_empty(), "{problems:?}");
        let v = &loaded.iter().find(|(_, v)| v.kind == "Widget").unwrap().1;
        assert_eq!(v.api_version(), "example.com/v1");
        assert_eq!(
            v.schema["properties"]["spec"]["properties"]["size"]["minimum"],
            1
        );
    }

    #[test]
    fn import_rejects_broken_yaml() {
        let dir = tempfile::tempdir().unwrap();
        assert!(import("a: [1,\n", dir.path()).is_err());
    }
}
