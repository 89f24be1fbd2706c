//! No planted secret reaches any output: a repository holding more than 50
//! secrets in every shape that ever leaked (broken Secret documents, Secrets
//! in `kind: List` and `extraObjects`, values brought in by anchors and
//! merges, explicit keys, URL credentials in comments, second URLs, with `/`
//! or a space in the password, an escaped `@`, a folded scalar, secret-like
//! keys in ConfigMaps, HelmRelease values and values files, a truthy word in
//! `stringData`) is checked in every format, with every rule, with only
//! non-secret rules and without `plaintext-secret`, to stdout and to
//! `--output`; no planted value, nor its base64 or decoded form, appears in
//! any output or on stderr.

use crate::common;

use std::path::Path;

use common::{repo_from, run};

/// A planted value: distinctive, so that finding it anywhere is a leak.
fn planted(n: usize) -> String {
    format!("Pl4nt{n:03}Qz")
}

fn base64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | (u32::from(c) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

struct Planted {
    files: Vec<(String, String)>,
    /// Every string that must never be printed.
    forbidden: Vec<String>,
    next: usize,
}

impl Planted {
    fn value(&mut self) -> String {
        self.next += 1;
        let v = planted(self.next);
        self.forbidden.push(v.clone());
        self.forbidden.push(base64(&v));
        v
    }

    /// A value stored base64-encoded (a Secret's `data`): both forms are
    /// secret.
    fn encoded(&mut self) -> String {
        base64(&self.value())
    }

    fn file(&mut self, path: &str, text: String) {
        self.files.push((path.to_string(), text));
    }
}

const SECRET_HEAD: &str =
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: apps\ntype: Opaque\n";

/// Every case, each a few times (different places in the file).
fn plant() -> Planted {
    let mut p = Planted {
        files: Vec::new(),
        forbidden: Vec::new(),
        next: 0,
    };
    for round in 0..2 {
        // Broken Secret documents: a second colon, an unterminated quote, a
        // tab, keys after the error; another document follows.
        let (a, b, c) = (p.value(), p.value(), p.value());
        p.file(
            &format!("broken/colon-{round}.yaml"),
            format!("{SECRET_HEAD}stringData:\n  password: {a}: oops\n  user: {b}\n  later: {c}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata: {{on: yes}}\n"),
        );
        let (a, b) = (p.value(), p.value());
        p.file(
            &format!("broken/quote-{round}.yaml"),
            format!("{SECRET_HEAD}stringData:\n  token: \"{a}\n  other: {b}\n"),
        );
        let (a, b) = (p.value(), p.encoded());
        p.file(
            &format!("broken/tab-{round}.yaml"),
            format!("{SECRET_HEAD}stringData:\n\tkey: {a}\ndata:\n  next: {b}\n"),
        );
        let (a, b) = (p.value(), p.value());
        p.file(
            &format!("broken/after-{round}.yaml"),
            format!("{SECRET_HEAD}stringData:\n  a: [{a}\n  b: {b}\n"),
        );
        // A Secret in a List, data and stringData.
        let (a, b) = (p.encoded(), p.value());
        p.file(
            &format!("list-{round}.yaml"),
            format!("apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata: {{name: l, namespace: apps}}\n    data:\n      a: {a}\n    stringData:\n      b: {b}\n      enabled: yes\n"),
        );
        // extraObjects and secret-like keys in a values file.
        let (a, b, c, d) = (p.value(), p.value(), p.value(), p.value());
        p.file(
            &format!("chart{round}/values.yaml"),
            format!("extraObjects:\n  - apiVersion: v1\n    kind: Secret\n    metadata: {{name: x}}\n    stringData:\n      pw: {a}\n    on: yes\ndatabase:\n  password: {b}\n  enabled: yes\napiKey: {c}\nauth:\n  token: |\n    {d}\n  on: yes\n"),
        );
        // Anchors, merges and explicit keys.
        let (a, b, c) = (p.value(), p.value(), p.value());
        p.file(
            &format!("anchors-{round}.yaml"),
            format!("{SECRET_HEAD}extra: &base\n  x: {a}\nlabelsish:\n  y: &one {b}\nstringData:\n  <<: *base\n  z: *one\n  ? explicit\n  : {c}\n  flag: yes\n"),
        );
        // URL credentials: in a comment, the second of two URLs, a `/` and
        // a space in the password, an escaped `@`, a folded plain scalar.
        let vals: Vec<String> = (0..6).map(|_| p.value()).collect();
        p.file(
            &format!("urls-{round}.yaml"),
            format!(
                "# cloned from https://ci:{}@dev.azure.com/org/_git/platform\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: urls\n  namespace: apps\ndata:\n  both: https://dev.azure.com/org/_git/a https://bot:{}@dev.azure.com/org/_git/b\n  slash: https://u:{}/x@host.example.com/p\n  space: https://u:{} y@host.example.com/p\n  escaped: \"https://u:{}\\x40host.example.com/p\"\n  folded: https://u:{}\n    @host.example.com/p\n  on: yes\n",
                vals[0], vals[1], vals[2], vals[3], vals[4], vals[5]
            ),
        );
        // Secret-like keys in a ConfigMap, each beside a finding.
        let vals: Vec<String> = (0..5).map(|_| p.value()).collect();
        p.file(
            &format!("configmap-{round}.yaml"),
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: apps\ndata:\n  password: {}\n  a: yes\n  connectionString: \"Server=db;Password={}\"\n  b: yes\n  apiKey: {}\n  c: yes\n  secret: {}\n  d: yes\n  GITHUB_TOKEN: {}\n  e: yes\n",
                vals[0], vals[1], vals[2], vals[3], vals[4]
            ),
        );
        // A HelmRelease's values.
        let (a, b) = (p.value(), p.value());
        p.file(
            &format!("release-{round}.yaml"),
            format!("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: r\n  namespace: flux-system\nspec:\n  interval: 5m\n  chart:\n    spec:\n      chart: x\n      sourceRef: {{kind: HelmRepository, name: h}}\n  values:\n    db:\n      password: {a}\n      tls: yes\n    auth: {{clientSecret: {b}, on: yes}}\n"),
        );
        // A plain Secret beside a schema error.
        let (a, b) = (p.encoded(), p.value());
        p.file(
            &format!("secret-{round}.yaml"),
            format!("{SECRET_HEAD}data:\n  a: {a}\n  n: 12345\nstringData:\n  b: {b}\n  unknownish: yes\nbogus: 1\n"),
        );
    }
    p
}

const FORMATS: &[&str] = &["human", "json", "sarif", "github", "azure", "junit"];

const SELECTIONS: &[&[&str]] = &[
    &[],
    &[
        "--select",
        "yaml-syntax,yaml-truthy,yaml-duplicate-key,schema,unknown-kind,deprecated-api",
    ],
    &["--ignore", "plaintext-secret"],
];

fn assert_clean(what: &str, text: &str, forbidden: &[String]) {
    for v in forbidden {
        assert!(!text.contains(v.as_str()), "{what}: `{v}` leaked:\n{text}");
    }
}

#[test]
fn no_planted_secret_reaches_any_output() {
    let planted = plant();
    assert!(planted.next >= 50, "only {} planted secrets", planted.next);
    let files: Vec<(&str, &str)> = planted
        .files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .chain([(
            ".gitops-lint.yaml",
            "registries:\n  allowed: [myacr.azurecr.io]\n",
        )])
        .collect();
    let repo = repo_from(&files);
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    let mut runs = 0;
    for format in FORMATS {
        for selection in SELECTIONS {
            let mut args = vec!["check", "--format", format];
            args.extend_from_slice(selection);
            let out = run(repo.path(), &args);
            let what = format!("{args:?}");
            assert_eq!(
                out.status, 1,
                "{what}: the planted repository has errors\n{}",
                out.stderr
            );
            assert!(!out.stdout.is_empty(), "{what}: no output");
            assert_clean(&what, &out.stdout, &planted.forbidden);
            assert_clean(&format!("{what} stderr"), &out.stderr, &planted.forbidden);

            let target = repo.path().join(format!("out.{format}"));
            let target_arg = target.to_string_lossy().into_owned();
            let mut with_output = args.clone();
            with_output.extend_from_slice(&["--output", &target_arg]);
            let out = run(repo.path(), &with_output);
            let written = std::fs::read_to_string(&target).unwrap();
            assert!(!written.is_empty(), "{what} --output: nothing written");
            assert_clean(&format!("{what} --output"), &written, &planted.forbidden);
            assert_clean(
                &format!("{what} --output stderr"),
                &out.stderr,
                &planted.forbidden,
            );
            std::fs::remove_file(&target).unwrap();
            runs += 2;
        }
    }
    assert_eq!(runs, 36);
}

/// Pre-commit passes only the changed files: a broken Secret given alone is
/// masked too.
#[test]
fn a_broken_secret_given_alone_is_masked() {
    let planted = plant();
    let files: Vec<(&str, &str)> = planted
        .files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let repo = repo_from(&files);
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    for (path, _) in planted
        .files
        .iter()
        .filter(|(p, _)| p.starts_with("broken/"))
    {
        for format in FORMATS {
            let out = run(
                repo.path(),
                &["check", "--format", format, "--select", "yaml-syntax", path],
            );
            assert_eq!(
                out.status, 1,
                "{path} {format}: a yaml-syntax error\n{}",
                out.stdout
            );
            assert_clean(&format!("{path} {format}"), &out.stdout, &planted.forbidden);
        }
    }
}

/// The truthy word in a Secret's `stringData` is reported without quoting
/// it, and without a fix that would print it.
#[test]
fn truthy_findings_in_secrets_do_not_quote_the_value() {
    let repo = repo_from(&[(
        "s.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: a}\nstringData:\n  flag: Yes\n",
    )]);
    let out = run(
        repo.path(),
        &[
            "check",
            "--format",
            "json",
            "--select",
            "yaml-truthy",
            "s.yaml",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{}", out.stdout);
    let message = findings[0]["message"].as_str().unwrap();
    assert!(!message.contains("Yes"), "{message}");
    assert!(findings[0]["fix"].is_null(), "{}", out.stdout);
}

#[test]
fn base64_helper_matches_the_standard() {
    assert_eq!(base64("hunter2"), "aHVudGVyMg==");
    assert_eq!(base64("abc"), "YWJj");
    assert!(Path::new(env!("CARGO_BIN_EXE_gitops-lint")).exists());
}
