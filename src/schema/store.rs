//! Every schema a run can validate against, by apiVersion and kind:
//! Kubernetes built-ins for the configured version, the embedded Flux
//! schemas, CRDs discovered in the workspace, and imported schemas
//! (`.gitops-lint/schemas/`), later sources winning.
//!
//! Validators are compiled on first use, once per (apiVersion, kind), and
//! shared by every worker: each entry holds its own `OnceLock`, so there is
//! no lock on the hot path once compiled. The embedded entries (built-ins,
//! Flux) are process-wide, so they compile once per process, not per run.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use super::cel::{self, CelProgram, Skip};
use super::crd::{self, CrdVersion};
use super::flux;
use super::kubernetes::{self, KubeSchemas};
use super::structural::{self, CelRuleSpec};
use crate::workspace::Workspace;
use crate::yaml::scalar::Typing;
use crate::yaml::to_json::{to_json, FreeForm};

/// Where a schema comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaSource {
    /// Kubernetes built-in types of this minor version.
    Kubernetes(&'static str),
    /// Embedded Flux / Flux Operator schemas.
    Flux,
    /// A CustomResourceDefinition in this file of the workspace.
    Discovered(String),
    /// An imported schema file.
    Imported(PathBuf),
}

impl std::fmt::Display for SchemaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaSource::Kubernetes(v) => write!(f, "kubernetes {v}"),
            SchemaSource::Flux => write!(f, "embedded (Flux {})", super::apis::CURRENT_FLUX),
            SchemaSource::Discovered(p) => write!(f, "CRD in {p}"),
            SchemaSource::Imported(p) => write!(f, "imported ({})", p.display()),
        }
    }
}

enum Definition {
    /// A CRD `openAPIV3Schema`.
    Structural(Value),
    /// A definition of the embedded Kubernetes schemas.
    Kubernetes(Arc<KubeSchemas>, String),
}

/// One (apiVersion, kind) and its lazily compiled validator.
pub struct SchemaEntry {
    pub api_version: String,
    pub kind: String,
    pub source: SchemaSource,
    definition: Definition,
    compiled: OnceLock<Option<Arc<Compiled>>>,
}

impl std::fmt::Debug for SchemaEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SchemaEntry({} {} from {})",
            self.api_version, self.kind, self.source
        )
    }
}

/// A compiled schema: the validator, the schema (to name the fields an
/// object accepts), and the CEL rules.
pub struct Compiled {
    pub validator: jsonschema::Validator,
    /// The root schema of the kind.
    pub schema: Value,
    /// `$defs` that `$ref`s in `schema` point into (built-ins only).
    pub defs: Option<Arc<KubeSchemas>>,
    /// Free-form fields whose content validation skips.
    pub free_form: Option<FreeForm>,
    pub cel: Vec<(CelRuleSpec, CelProgram)>,
    /// CEL rules that will not be evaluated (transition rules, rules the
    /// CEL crate cannot compile).
    pub cel_skipped: Vec<(CelRuleSpec, Skip)>,
}

impl Compiled {
    pub fn defs(&self) -> Option<&Value> {
        self.defs
            .as_ref()
            .and_then(|k| k.definitions().get("$defs"))
    }
}

impl SchemaEntry {
    fn structural(api_version: String, kind: String, source: SchemaSource, schema: Value) -> Self {
        SchemaEntry {
            api_version,
            kind,
            source,
            definition: Definition::Structural(schema),
            compiled: OnceLock::new(),
        }
    }

    pub fn group(&self) -> &str {
        crate::model::objects::group_of(&self.api_version)
    }

    /// The compiled schema; `None` when it cannot be compiled (then the kind
    /// is known but not checked).
    pub fn compiled(&self) -> Option<&Arc<Compiled>> {
        self.compiled
            .get_or_init(|| self.compile().map(Arc::new))
            .as_ref()
    }

    fn compile(&self) -> Option<Compiled> {
        match &self.definition {
            Definition::Kubernetes(k, def) => {
                let validator = k.validator_for_definition(def).ok()?;
                Some(Compiled {
                    validator,
                    schema: k.definition(def)?.clone(),
                    defs: Some(k.clone()),
                    free_form: None,
                    cel: Vec::new(),
                    cel_skipped: Vec::new(),
                })
            }
            Definition::Structural(openapi) => {
                let converted = structural::convert(openapi);
                let validator = build(&converted.schema).or_else(|| {
                    // A pattern the regex engine rejects should not cost the
                    // whole kind its checks.
                    let mut lax = converted.schema.clone();
                    strip_patterns(&mut lax, 0);
                    build(&lax)
                })?;
                let mut cel = Vec::new();
                let mut cel_skipped = Vec::new();
                let free_form = structural::free_form(&converted.schema, &converted.rules);
                for spec in converted.rules {
                    match cel::compile(&spec.rule) {
                        Ok(p) => cel.push((spec, p)),
                        Err(skip) => cel_skipped.push((spec, skip)),
                    }
                }
                Some(Compiled {
                    validator,
                    schema: converted.schema,
                    defs: None,
                    free_form,
                    cel,
                    cel_skipped,
                })
            }
        }
    }
}

fn build(schema: &Value) -> Option<jsonschema::Validator> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(false)
        .build(schema)
        .ok()
}

fn strip_patterns(v: &mut Value, depth: usize) {
    if depth > 200 {
        return;
    }
    match v {
        Value::Object(m) => {
            if m.get("pattern").is_some_and(Value::is_string) {
                m.remove("pattern");
            }
            for (_, c) in m.iter_mut() {
                strip_patterns(c, depth + 1);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| strip_patterns(c, depth + 1)),
        _ => {}
    }
}

type Table = HashMap<String, HashMap<String, Arc<SchemaEntry>>>;

fn insert(table: &mut Table, entry: Arc<SchemaEntry>) {
    table
        .entry(entry.api_version.clone())
        .or_default()
        .insert(entry.kind.clone(), entry);
}

/// The embedded Flux schemas, expanded and shared by every run.
fn flux_entries() -> &'static [Arc<SchemaEntry>] {
    static FLUX: OnceLock<Vec<Arc<SchemaEntry>>> = OnceLock::new();
    FLUX.get_or_init(|| {
        // The notation files are tested to expand; if one ever did not, its
        // kinds are simply unknown rather than the run failing.
        flux::embedded()
            .unwrap_or_default()
            .into_iter()
            .map(|e| {
                Arc::new(SchemaEntry::structural(
                    format!("{}/{}", e.group, e.version),
                    e.kind.to_string(),
                    SchemaSource::Flux,
                    e.schema,
                ))
            })
            .collect()
    })
}

/// The built-in kinds of one Kubernetes version, shared by every run.
fn kube_entries(version: &str) -> Option<&'static Table> {
    static TABLES: [OnceLock<Option<Table>>; 8] = [const { OnceLock::new() }; 8];
    let resolved = kubernetes::resolve_version(version)?;
    let slot = kubernetes::VERSIONS.iter().position(|v| *v == resolved)?;
    TABLES
        .get(slot)?
        .get_or_init(|| {
            let k = kubernetes::load(resolved)?;
            let mut table = Table::new();
            for (api_version, kind) in k.kinds() {
                let Some(def) = k.definition_for(api_version, kind) else {
                    continue;
                };
                insert(
                    &mut table,
                    Arc::new(SchemaEntry {
                        api_version: api_version.to_string(),
                        kind: kind.to_string(),
                        source: SchemaSource::Kubernetes(resolved),
                        definition: Definition::Kubernetes(k.clone(), def.to_string()),
                        compiled: OnceLock::new(),
                    }),
                );
            }
            Some(table)
        })
        .as_ref()
}

/// Decodes what every run uses, ahead of need: the schema tables of the
/// built-in kinds of `kubernetes_version` and of the embedded Flux kinds.
/// Runs while the files are found. Each kind's validator is compiled on
/// first use only: compiling all twenty-odd Flux kinds up front cost a
/// one-file run 11 ms of its 28 (measured), most of them never used.
pub fn warm(kubernetes_version: &str) {
    kube_entries(kubernetes_version);
    flux_entries();
}

/// The schemas of one run.
#[derive(Debug, Default)]
pub struct SchemaStore {
    table: Table,
    /// The Kubernetes version whose built-ins are loaded (`None`: the
    /// configured version is not embedded).
    pub kubernetes_version: Option<&'static str>,
    /// Imported schema files that could not be read.
    pub problems: Vec<String>,
}

impl SchemaStore {
    /// A store from its sources (the building block of [`SchemaStore::for_workspace`]).
    pub fn new(
        kubernetes_version: &str,
        discovered: Vec<(String, CrdVersion)>,
        imported: Vec<(PathBuf, CrdVersion)>,
    ) -> SchemaStore {
        let mut table = kube_entries(kubernetes_version)
            .cloned()
            .unwrap_or_default();
        let resolved = kubernetes::resolve_version(kubernetes_version);
        for e in flux_entries() {
            insert(&mut table, e.clone());
        }
        for (path, v) in discovered {
            insert(
                &mut table,
                Arc::new(SchemaEntry::structural(
                    v.api_version(),
                    v.kind,
                    SchemaSource::Discovered(path),
                    v.schema,
                )),
            );
        }
        for (path, v) in imported {
            insert(
                &mut table,
                Arc::new(SchemaEntry::structural(
                    v.api_version(),
                    v.kind,
                    SchemaSource::Imported(path),
                    v.schema,
                )),
            );
        }
        SchemaStore {
            table,
            kubernetes_version: resolved,
            problems: Vec::new(),
        }
    }

    /// The store of a workspace: built-ins for its `kubernetesVersion`,
    /// Flux, the CRDs in its files, and the checked repository's imports.
    pub fn for_workspace(ws: &Workspace) -> SchemaStore {
        let mut discovered = Vec::new();
        for file in &ws.files {
            if !file.file.kind.holds_manifests() {
                continue;
            }
            for (doc, meta) in file.stream.docs.iter().zip(&file.objects) {
                let is_crd = meta.as_ref().is_some_and(|m| {
                    m.api_version == "apiextensions.k8s.io/v1"
                        && m.kind == "CustomResourceDefinition"
                });
                if is_crd {
                    let obj = to_json(doc.root(), Typing::Kubernetes);
                    for v in crd::versions(&obj) {
                        discovered.push((file.file.display.clone(), v));
                    }
                }
            }
        }
        let (imported, problems) = match ws.repos.first() {
            Some(repo) => crd::load_imported(&repo.root),
            None => (Vec::new(), Vec::new()),
        };
        let mut store = SchemaStore::new(&ws.config.kubernetes_version, discovered, imported);
        store.problems = problems;
        store
    }

    pub fn get(&self, api_version: &str, kind: &str) -> Option<&Arc<SchemaEntry>> {
        self.table.get(api_version)?.get(kind)
    }

    /// Another schema of the same group and kind, preferring `api_version`
    /// when given: what a removed API's object is checked against.
    pub fn same_kind(
        &self,
        group: &str,
        kind: &str,
        prefer: Option<&str>,
    ) -> Option<&Arc<SchemaEntry>> {
        if let Some(e) = prefer.and_then(|p| self.get(p, kind)) {
            return Some(e);
        }
        let mut candidates: Vec<&Arc<SchemaEntry>> = self
            .table
            .values()
            .filter_map(|kinds| kinds.get(kind))
            .filter(|e| e.group() == group)
            .collect();
        candidates.sort_by(|a, b| a.api_version.cmp(&b.api_version));
        candidates.first().copied()
    }

    /// Every entry, sorted by apiVersion then kind.
    pub fn entries(&self) -> Vec<&Arc<SchemaEntry>> {
        let mut all: Vec<&Arc<SchemaEntry>> =
            self.table.values().flat_map(|k| k.values()).collect();
        all.sort_by(|a, b| (&a.api_version, &a.kind).cmp(&(&b.api_version, &b.kind)));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_sources_win_and_builtins_resolve() {
        let crd = CrdVersion {
            group: "kustomize.toolkit.fluxcd.io".into(),
            version: "v1".into(),
            kind: "Kustomization".into(),
            schema: serde_json::json!({"type": "object"}),
            deprecated: false,
        };
        let store = SchemaStore::new("1.33", vec![("crds.yaml".into(), crd)], Vec::new());
        let k = store
            .get("kustomize.toolkit.fluxcd.io/v1", "Kustomization")
            .unwrap();
        assert_eq!(k.source, SchemaSource::Discovered("crds.yaml".into()));
        let g = store
            .get("source.toolkit.fluxcd.io/v1", "GitRepository")
            .unwrap();
        assert_eq!(g.source, SchemaSource::Flux);
        let d = store.get("apps/v1", "Deployment").unwrap();
        assert_eq!(d.source, SchemaSource::Kubernetes("1.33"));
        assert!(d.compiled().is_some());
        assert!(g.compiled().is_some());
        assert_eq!(store.kubernetes_version, Some("1.33"));
        let s = store
            .same_kind("source.toolkit.fluxcd.io", "GitRepository", None)
            .unwrap();
        assert_eq!(s.api_version, "source.toolkit.fluxcd.io/v1");
    }

    #[test]
    fn every_embedded_flux_schema_compiles() {
        let store = SchemaStore::new("1.33", Vec::new(), Vec::new());
        let mut skipped = 0;
        for e in flux_entries() {
            let e = store.get(&e.api_version, &e.kind).unwrap();
            let c = e
                .compiled()
                .unwrap_or_else(|| panic!("{e:?} does not compile"));
            skipped += c
                .cel_skipped
                .iter()
                .filter(|(_, s)| *s != Skip::Transition)
                .count();
        }
        // Every CEL rule of the embedded Flux schemas compiles with the crate.
        assert_eq!(skipped, 0);
    }
}
