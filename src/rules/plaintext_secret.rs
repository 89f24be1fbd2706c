//! `plaintext-secret`: a `v1` Secret whose `data` or `stringData` holds
//! values that are not SOPS-encrypted (`ENC[...]`). Reported once per
//! Secret and key, at the key. The finding redacts every value, so no
//! reporter prints one in a snippet, and no message or fix repeats a value.

use crate::engine::registry::ids;
use crate::engine::{declare_rule, DocContext, Rule};
use crate::workspace::discover::FileKind;
use crate::base::finding::{Findings, ObjectRef};
use crate::yaml::NodeRef;

declare_rule!(PlaintextSecret, ids::PLAINTEXT_SECRET);

impl Rule for PlaintextSecret {
    fn check_object(&self, cx: &DocContext<'_>, out: &mut Findings) {
        for secret in secrets(cx) {
            check_secret(cx, secret, out);
        }
    }
}

/// The `v1` Secrets of a document: the document itself, the items of a
/// `kind: List`, or, in a Helm values file, the `extraObjects` a chart
/// renders as they are.
fn secrets<'d>(cx: &DocContext<'d>) -> Vec<NodeRef<'d>> {
    let root = cx.root();
    let is_secret = |n: &NodeRef<'_>| {
        n.str_at(&["apiVersion"]) == Some("v1") && n.str_at(&["kind"]) == Some("Secret")
    };
    let nested = if cx.file.file.file.kind == FileKind::HelmValues {
        root.get("extraObjects")
    } else if root.str_at(&["apiVersion"]) == Some("v1")
        && root.str_at(&["kind"]).is_some_and(|k| k.ends_with("List"))
    {
        root.get("items")
    } else {
        None
    };
    match nested {
        Some(items) => items.items().filter(is_secret).collect(),
        None if is_secret(&root) => vec![root],
        None => Vec::new(),
    }
}

fn check_secret(cx: &DocContext<'_>, secret: NodeRef<'_>, out: &mut Findings) {
    let object = ObjectRef {
        api_version: "v1".into(),
        kind: "Secret".into(),
        namespace: secret.str_at(&["metadata", "namespace"]).map(String::from),
        name: secret.str_at(&["metadata", "name"]).map(String::from),
    };
    let sops = secret.get("sops").is_some_and(|s| s.is_map());
    for field in ["data", "stringData"] {
        let Some((key, values)) = secret.get_entry(field) else {
            continue;
        };
        let plain = values.entries().filter(|(_, v)| is_plaintext(*v)).count();
        if plain == 0 {
            continue;
        }
        let entries = if plain == 1 { "entry" } else { "entries" };
        let message = if sops {
            format!(
                "{object} is SOPS-encrypted but leaves {plain} `{field}` {entries} in plain text; encrypt them (e.g. `--encrypted-regex '^(data|stringData)$'`)"
            )
        } else {
            format!(
                "{object} has {plain} `{field}` {entries} in plain text; encrypt the file with SOPS before committing it"
            )
        };
        out.push(
            cx.finding(ID, key, message)
                .with_object(Some(object.clone()))
                .with_help("a secret committed in plain text is readable in the repository's history forever; rotate it, then commit it encrypted")
                .with_redacted(values.entries().map(|(_, v)| v.span())),
        );
    }
}

/// A value that reveals something: not empty, not `ENC[...]`, and not only a
/// Flux post-build substitution (`${DB_PASSWORD}`).
fn is_plaintext(value: NodeRef<'_>) -> bool {
    let Some(scalar) = value.as_scalar() else {
        return false;
    };
    let v = scalar.value.trim();
    !(v.is_empty()
        || v.starts_with("ENC[") && v.ends_with(']')
        || is_substitution(v)
        || is_secret_reference(v))
}

/// A reference a secret manager resolves before the Secret is applied, not
/// the secret itself: 1Password's `op://vault/item/[section/]field`, and
/// the `ref+<backend>://…` URIs of `vals` (Vault, Azure Key Vault, AWS…).
fn is_secret_reference(v: &str) -> bool {
    if v.contains(char::is_whitespace) {
        return false;
    }
    if let Some(path) = v.strip_prefix("op://") {
        let parts: Vec<&str> = path.split('/').collect();
        return parts.len() >= 3 && parts.iter().all(|p| !p.is_empty());
    }
    v.strip_prefix("ref+")
        .and_then(|rest| rest.split_once("://"))
        .is_some_and(|(backend, target)| {
            !backend.is_empty()
                && backend.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !target.is_empty()
        })
}

fn is_substitution(v: &str) -> bool {
    v.strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        .is_some_and(|name| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-' | '='))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule, workspace};
    use crate::base::finding::Finding;
    use crate::report::{self, Report};
    use std::collections::HashMap;

    #[test]
    fn secret_manager_references_are_not_secrets() {
        for v in [
            "op://platform/payments-db/password",
            "op://platform/payments-db/credentials/password",
            "ref+azurekeyvault://platform-kv/payments-db-password",
            "ref+vault://secret/data/payments#/password",
        ] {
            assert!(is_secret_reference(v), "{v}");
        }
        for v in ["op://platform", "op://a//c", "ref+://x", "ref+vault:/x", "op://a/b/c d", "hunter2"] {
            assert!(!is_secret_reference(v), "{v}");
        }
        let text = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  user: op://platform/db/username\n  password: ref+azurekeyvault://kv/db-password\n";
        assert!(run_rule(RULE, &[("secret.yaml", text)], "").is_empty());
        // A reference beside a real value: the real one is still reported.
        let mixed = format!("{text}  token: not-a-reference\n");
        let f = run_rule(RULE, &[("secret.yaml", &mixed)], "");
        assert_eq!(positions(&f), [(ID, 4, 1)]);
        assert!(f[0].message.contains("1 `stringData` entry"), "{}", f[0].message);
    }
    use std::time::Duration;

    const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: payments}\ntype: Opaque\n";

    #[test]
    fn reports_each_plaintext_key_once() {
        let text = format!("{SECRET}data:\n  user: YWRtaW4=\n  password: aHVudGVyMg==\nstringData:\n  token: hunter2-plain\n");
        let f = run_rule(RULE, &[("s.yaml", &text)], "");
        assert_eq!(positions(&f), [(ID, 5, 1), (ID, 8, 1)]);
        assert!(f[0].message.contains("Secret 'db' has 2 `data` entries"), "{}", f[0].message);
        assert!(f.iter().all(|f| f.fix.is_none()));
        assert_eq!(f[0].redact.len(), 2);
    }

    #[test]
    fn values_never_reach_any_output() {
        let text = format!("{SECRET}stringData:\n  password: hunter2-plain\n  other: c2VjcmV0LWIK\n");
        let files = [("environments/dev/secret.yaml", text.as_str())];
        let mut findings = run_rule(RULE, &files, "");
        assert_eq!(findings.len(), 1);
        // Another rule's finding on a value line: its snippet is masked too.
        let mut value_span = findings[0].span;
        value_span.start.line += 1;
        value_span.start.offset = text.find("password").unwrap();
        value_span.end = value_span.start;
        findings.push(Finding::new("yaml-truthy", files[0].0, value_span, "other"));
        let ws = workspace(&files, "");
        let sources = ws
            .files
            .iter()
            .map(|p| (p.file.display.clone(), crate::workspace::redact::shown_source(p, &findings)))
            .collect::<HashMap<_, _>>();
        let report = Report {
            findings,
            files: 1,
            documents: 1,
            elapsed: Duration::ZERO,
            sources,
            notices: Vec::new(),
        };
        let opts = report::RenderOptions { color: false, width: 100 };
        for format in [report::Format::Human, report::Format::Json] {
            let out = report::render(&report, format, opts);
            assert!(out.contains("plaintext-secret"), "{out}");
            if format == report::Format::Human {
                assert!(out.contains("password: *************"), "{out}");
            }
            for value in ["hunter2-plain", "c2VjcmV0LWIK"] {
                assert!(!out.contains(value), "{format:?} output shows a value:\n{out}");
            }
        }
    }

    #[test]
    fn reports_secrets_in_lists_and_extra_objects() {
        let list = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    data: {a: b}\n  - apiVersion: v1\n    kind: Secret\n    metadata: {name: in-list}\n    stringData:\n      a: plain\n";
        let values = "replicas: 1\nextraObjects:\n  - apiVersion: v1\n    kind: Secret\n    metadata: {name: extra}\n    data:\n      a: cGxhaW4=\n";
        let f = run_rule(RULE, &[("list.yaml", list), ("chart/values.yaml", values)], "");
        assert_eq!(positions(&f), [(ID, 6, 5), (ID, 10, 5)]);
        assert!(f[0].message.contains("Secret 'extra'"), "{}", f[0].message);
        assert_eq!(f[1].object.as_ref().unwrap().name.as_deref(), Some("in-list"));
        // `extraObjects` outside a values file is not a chart's input.
        let other = values.replace("replicas: 1\n", "apiVersion: v1\nkind: ConfigMap\n");
        assert!(run_rule(RULE, &[("cm.yaml", &other)], "").is_empty());
    }

    #[test]
    fn reports_values_a_sops_file_left_unencrypted() {
        let text = format!("{SECRET}data:\n  a: ENC[AES256_GCM,data:abc,type:str]\n  b: cGxhaW4=\nsops:\n  version: 3.9.0\n");
        let f = run_rule(RULE, &[("s.yaml", &text)], "");
        assert_eq!(positions(&f), [(ID, 5, 1)]);
        assert!(f[0].message.contains("SOPS-encrypted but leaves 1 `data` entry"));
    }

    #[test]
    fn leaves_encrypted_empty_and_substituted_secrets_alone() {
        let sops = format!("{SECRET}stringData:\n  password: ENC[AES256_GCM,data:Zm9v,iv:x,tag:y,type:str]\nsops:\n  age: []\n  version: 3.9.0\n");
        let empty = format!("{SECRET}data: {{}}\nstringData:\n  a: \"\"\n");
        let substituted = format!("{SECRET}stringData:\n  password: ${{DB_PASSWORD}}\n");
        let config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: plain\n";
        let other_group = "apiVersion: example.com/v1\nkind: Secret\nmetadata: {name: c}\ndata:\n  a: plain\n";
        let f = run_rule(
            RULE,
            &[
                ("a.yaml", &sops),
                ("b.yaml", &empty),
                ("c.yaml", &substituted),
                ("d.yaml", config_map),
                ("e.yaml", other_group),
            ],
            "",
        );
        assert!(f.is_empty(), "{f:?}");
    }
}
