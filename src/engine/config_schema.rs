//! The JSON Schema of `.gitops-lint.yaml` (`gitops-lint config-schema`,
//! committed as `docs/config.schema.json`): editors complete and check the
//! file with it. Built from what the loader accepts — the keys of
//! [`crate::workspace::config`], every rule id and its options from the
//! rule docs, the embedded Kubernetes versions — so it cannot drift; a
//! test holds the loader and the schema to the same verdict on valid and
//! invalid files.

use serde_json::{json, Map, Value};

use super::docs;
use crate::schema::kubernetes::VERSIONS;

/// The schema, as pretty JSON with a final newline.
pub fn text() -> String {
    let mut out = serde_json::to_string_pretty(&schema()).expect("the schema serializes");
    out.push('\n');
    out
}

pub fn schema() -> Value {
    let mut schema = keys();
    // Every key may be left empty (`exclude:` with its examples commented
    // out, as `gitops-lint init` writes it): the loader reads that as unset.
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        for property in properties.values_mut() {
            nullable(property);
        }
    }
    schema
}

fn nullable(property: &mut Value) {
    let Value::Object(p) = property else { return };
    if let Some(Value::String(ty)) = p.get("type").cloned() {
        p.insert("type".into(), json!([ty, "null"]));
    } else if let Some(Value::Array(enums)) = p.get_mut("enum") {
        enums.push(Value::Null);
    } else if let Some(Value::Array(any)) = p.get_mut("anyOf") {
        any.push(json!({"type": "null"}));
    }
}

fn keys() -> Value {
    let strings = json!({"type": "array", "items": {"type": "string"}});
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": ".gitops-lint.yaml",
        "description": "Configuration of gitops-lint, a static policy linter for Flux CD GitOps repositories. Every key is optional.",
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": {
            "registries": {
                "description": "Allowed image registries: a host (myacr.azurecr.io) or a host/path prefix.",
                "type": ["object", "null"],
                "additionalProperties": false,
                "properties": {
                    "allowed": strings,
                    "environments": {
                        "description": "Per-environment allowed lists, used instead of `allowed` there.",
                        "type": "object",
                        "additionalProperties": strings
                    }
                }
            },
            "environments": {
                "description": "Environment directory name under clusters/ -> the branch its systems track (default: the name).",
                "type": ["object", "null"],
                "additionalProperties": {
                    "type": ["object", "null"],
                    "additionalProperties": false,
                    "properties": {"branch": {"type": "string"}}
                }
            },
            "promotion": {
                "description": "Environments in promotion order; each must be one of `environments`.",
                "type": "array",
                "items": {"type": "string"}
            },
            "systemRepos": {
                "description": "GitRepository name -> local checkout, relative to this file (--system-repo wins).",
                "type": ["object", "null"],
                "additionalProperties": {"type": "string"}
            },
            "platformRepo": {
                "description": "The platform repository, as context when this is a system repository; its .gitops-lint.yaml is read under this one.",
                "type": "string"
            },
            "centralChart": {
                "description": "Where the platform's central Helm chart is (Pattern B).",
                "type": ["object", "null"],
                "additionalProperties": false,
                "properties": {
                    "source": {"type": "string"},
                    "chart": {"type": "string"},
                    "skus": strings
                }
            },
            "patternC": {
                "description": "Pattern C approvals: system names, or an annotation on the Kustomization.",
                "type": ["object", "null"],
                "additionalProperties": false,
                "properties": {
                    "approved": strings,
                    "approvalAnnotation": {"type": "string"}
                }
            },
            "rules": rules(),
            "kubernetesVersion": {
                "description": "Kubernetes version whose embedded schemas are used.",
                "anyOf": [
                    {"enum": VERSIONS},
                    {"enum": VERSIONS.iter().filter_map(|v| v.parse::<f64>().ok()).collect::<Vec<_>>()}
                ]
            },
            "exclude": {
                "description": "Globs of files not read, relative to the repository root.",
                "type": "array",
                "items": {"type": "string"}
            },
            "secretKeys": {
                "description": "More key names whose values are secret and never shown.",
                "type": "array",
                "items": {"type": "string"}
            },
            "requireSystemRepos": {
                "description": "A registration whose system repository has no local checkout is an error.",
                "type": "boolean"
            },
            "externalObjects": {
                "description": "Objects that exist outside Git, never reported missing; `*` and `?` globs.",
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "kind": {"type": "string"},
                        "namespace": {"type": "string"},
                        "name": {"type": "string"}
                    }
                }
            },
            "fluxOperator": {
                "description": "Flux is installed by the Flux Operator.",
                "type": "boolean"
            },
            "profile": {
                "description": "platform: every rule; flux: only the rules that hold for any Flux repository.",
                "enum": ["platform", "flux"]
            }
        }
    })
}

/// `rules:`: each rule id, with a severity or `{severity, <options>}`.
fn rules() -> Value {
    let severity = json!({"enum": ["error", "warning", "info", "off"]});
    let mut properties = Map::new();
    for d in docs::all() {
        let mut options = Map::new();
        options.insert("severity".into(), severity.clone());
        for option in &d.options {
            options.insert((*option).to_string(), json!({}));
        }
        properties.insert(
            d.id.clone(),
            json!({
                "description": d.summary,
                "anyOf": [
                    severity,
                    {"type": "object", "additionalProperties": false, "properties": options}
                ]
            }),
        );
    }
    json!({
        "description": "Rule id -> a severity (or off), or {severity, options}.",
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": properties
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::LineIndex;
    use crate::workspace::config;
    use crate::yaml::scalar::Typing;
    use std::path::Path;

    /// Whether the loader accepts `text`, and whether the schema does
    /// (reading YAML 1.2, as editors' YAML servers do: `off` is a string).
    fn verdicts(text: &str, validator: &jsonschema::Validator) -> (bool, bool) {
        let loaded = config::parse(
            text,
            Path::new("/repo"),
            Path::new(config::FILE_NAME),
            &docs::Catalog,
        )
        .is_ok();
        let lines = LineIndex::new(text);
        let stream = crate::yaml::parse(text, &lines);
        let value = stream.docs.first().map_or(Value::Null, |d| {
            crate::yaml::to_json::to_json(d.root(), Typing::Core)
        });
        (loaded, validator.is_valid(&value))
    }

    #[test]
    fn the_schema_and_the_loader_agree() {
        let validator = jsonschema::validator_for(&schema()).expect("a valid schema");
        let cases = [
            "",
            "registries: {allowed: [a.azurecr.io]}\n",
            "registries: {allowed: [a.azurecr.io], environments: {dev: [b.azurecr.io]}}\n",
            "registries: {allowd: [a]}\n",
            "registries: [a]\n",
            "environments: {dev: {branch: develop}, prod: {}}\npromotion: [dev, prod]\n",
            "environments: {dev: {brnch: x}}\n",
            "environments: {dev: {branch: develop}}\npromotion: [dev]\n",
            "promotion: dev\n",
            "systemRepos: {k8s-a: ../a}\n",
            "systemRepos: [../a]\n",
            "platformRepo: ../platform\n",
            "centralChart: {source: s, chart: ./c, skus: [a]}\n",
            "centralChart: {source: s, chrt: ./c}\n",
            "patternC: {approved: [x], approvalAnnotation: a/b}\n",
            "rules: {prune-enabled: off, yaml-truthy: warning}\n",
            "rules: {image-tag-pinned: {severity: error}}\n",
            "rules: {no-such-rule: error}\n",
            "rules: {prune-enabled: loud}\n",
            "rules: {prune-enabled: {sev: error}}\n",
            "kubernetesVersion: \"1.33\"\n",
            "kubernetesVersion: 1.32\n",
            "exclude: [\"a/**\"]\n",
            "exclude: a\n",
            "secretKeys: [sas]\n",
            "requireSystemRepos: true\n",
            "requireSystemRepos: \"yes\"\n",
            "externalObjects: [{kind: Secret, name: \"*-kv\"}]\n",
            "externalObjects: [{knd: Secret}]\n",
            "fluxOperator: true\n",
            "profile: flux\n",
            "profile: strict\n",
            "unknownKey: 1\n",
            "exclude:\nsecretKeys:\nkubernetesVersion:\nprofile:\nrequireSystemRepos:\n",
            "externalObjects:\n  -\n",
        ];
        let mut disagree = Vec::new();
        for text in cases {
            let (loaded, valid) = verdicts(text, &validator);
            if loaded != valid {
                disagree.push(format!("{text:?}: loader {loaded}, schema {valid}"));
            }
        }
        // The rules' options, each as written in a config.
        for d in docs::all() {
            for option in &d.options {
                let text = format!(
                    "rules:\n  {}:\n    severity: warning\n    {option}: true\n",
                    d.id
                );
                let (loaded, valid) = verdicts(&text, &validator);
                assert!(valid, "{text}");
                let _ = loaded;
            }
        }
        assert!(disagree.is_empty(), "{disagree:#?}");
    }

    #[test]
    fn the_init_file_with_every_example_is_valid() {
        let validator = jsonschema::validator_for(&schema()).unwrap();
        let (loaded, valid) = verdicts(config::INIT_TEMPLATE, &validator);
        assert!(loaded && valid);
    }

    #[test]
    fn the_readme_example_is_valid() {
        let readme = include_str!("../../README.md");
        let section = &readme[readme.find("## Configuration").unwrap()..];
        let start = section.find("```yaml\n").unwrap() + 8;
        let end = start + section[start..].find("```").unwrap();
        let validator = jsonschema::validator_for(&schema()).unwrap();
        assert_eq!(verdicts(&section[start..end], &validator), (true, true));
    }

    #[test]
    fn the_committed_copy_is_current() {
        let committed = include_str!("../../docs/config.schema.json");
        assert!(
            committed == text(),
            "docs/config.schema.json is stale: run `cargo run -- config-schema > docs/config.schema.json`"
        );
    }
}
