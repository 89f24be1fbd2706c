//! `--format sarif` end to end: the log of each fixture repository validates
//! against the SARIF 2.1.0 schema, round-trips every finding of the JSON
//! format (rule, file, region), reports suppressions, and is byte-identical
//! across two runs.

use crate::common;

use std::path::{Path, PathBuf};

use serde_json::Value;

use common::{fixture_repos, run};

fn shared() -> Option<PathBuf> {
    common::shared("schemas")
}

fn load_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The validator for SARIF 2.1.0: the official OASIS schema (draft-04) when
/// the `jsonschema` builder accepts it, else SchemaStore's draft-07 copy of
/// the same schema. Returns which one was used.
fn sarif_validator(dir: &Path) -> (jsonschema::Validator, &'static str) {
    let official = load_json(&dir.join("sarif-schema-2.1.0.json"));
    match jsonschema::draft4::options().offline().build(&official) {
        Ok(v) => (v, "sarif-schema-2.1.0.json (OASIS, draft-04)"),
        Err(e) => {
            eprintln!(
                "note: the official SARIF schema does not compile with jsonschema ({e}); \
                 validating against SchemaStore's draft-07 copy instead"
            );
            let store = load_json(&dir.join("sarif-2.1.0.schemastore.json"));
            let v = jsonschema::draft7::options()
                .offline()
                .build(&store)
                .expect("SchemaStore SARIF schema compiles");
            (v, "sarif-2.1.0.schemastore.json (draft-07)")
        }
    }
}

fn assert_valid(validator: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: invalid SARIF:\n{}",
        errors.join("\n")
    );
}

#[test]
fn sarif_of_fixture_repos_validates_round_trips_and_is_stable() {
    let Some(schemas) = shared() else {
        eprintln!("skipped: ../shared/schemas is absent (it holds the SARIF schema)");
        return;
    };
    let (validator, which) = sarif_validator(&schemas);
    eprintln!("validating against {which}");
    let repos = fixture_repos();
    assert!(!repos.is_empty());
    let mut total_results = 0;
    let mut in_other_repositories = 0;
    for repo in &repos {
        let name = repo.path.display().to_string();
        let first = run(&repo.path, &["check", "--format", "sarif"]);
        let second = run(&repo.path, &["check", "--format", "sarif"]);
        assert!(first.status <= 1, "{name}: {}", first.stderr);
        assert_eq!(
            first.stdout, second.stdout,
            "{name}: SARIF differs between runs"
        );
        let sarif: Value = serde_json::from_str(&first.stdout).expect("SARIF is JSON");
        assert_valid(&validator, &sarif, &name);

        let json_out = run(&repo.path, &["check", "--format", "json"]);
        let json: Value = serde_json::from_str(&json_out.stdout).expect("JSON report");
        let run0 = &sarif["runs"][0];
        let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
        let results = run0["results"].as_array().expect("results");
        let active: Vec<&Value> = results
            .iter()
            .filter(|r| r.get("suppressions").is_none())
            .collect();
        let findings = json["findings"].as_array().expect("findings");
        assert_eq!(active.len(), findings.len(), "{name}: result count");
        for (r, f) in active.iter().zip(findings) {
            assert_eq!(r["ruleId"], f["rule"], "{name}");
            let idx = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[idx]["id"], f["rule"], "{name}: ruleIndex");
            let loc = &r["locations"][0]["physicalLocation"];
            let uri = loc["artifactLocation"]["uri"].as_str().expect("uri");
            // Each repository has its base; no URI climbs out of its own.
            assert!(
                !uri.starts_with("..") && !uri.contains("/../"),
                "{name}: {uri}"
            );
            let base = loc["artifactLocation"]["uriBaseId"]
                .as_str()
                .expect("uriBaseId");
            let resolved = match base {
                "%SRCROOT%" => uri.to_string(),
                other => {
                    // The base's description says where its root was.
                    in_other_repositories += 1;
                    let entry = &run0["originalUriBaseIds"][other]["description"]["text"];
                    let text = entry.as_str().expect("base description");
                    let prefix = text
                        .split('`')
                        .nth(3)
                        .expect("the root's path in backticks");
                    format!("{}{uri}", encode(prefix))
                }
            };
            assert_eq!(resolved, encode(f["path"].as_str().unwrap()), "{name}");
            let region = &loc["region"];
            assert_eq!(region["startLine"], f["line"], "{name}: {uri}");
            assert_eq!(region["startColumn"], f["column"], "{name}: {uri}");
            assert_eq!(region["endLine"], f["end_line"], "{name}: {uri}");
            assert_eq!(region["endColumn"], f["end_column"], "{name}: {uri}");
            let level = match f["severity"].as_str() {
                Some("info") => "note",
                Some(s) => s,
                None => panic!("severity"),
            };
            assert_eq!(r["level"], level);
            assert!(r["partialFingerprints"]["gitopsLint/v1"].is_string());
            if !f["object"].is_null() {
                let logical = &r["locations"][0]["logicalLocations"][0];
                assert_eq!(logical["name"], f["object"]["name"]);
            }
            if !f["fix"].is_null() {
                let change = &r["fixes"][0]["artifactChanges"][0];
                assert_eq!(
                    change["replacements"][0]["insertedContent"]["text"],
                    f["fix"]["replacement"]
                );
            }
        }
        for rule in rules {
            let id = rule["id"].as_str().expect("rule id");
            assert!(rule["defaultConfiguration"]["level"].is_string());
            if gitops_lint::docs::doc(id).is_none() {
                eprintln!(
                    "note: rule `{id}` has no rules/{id}.md: its SARIF descriptor is minimal"
                );
                continue;
            }
            for key in [
                "id",
                "name",
                "shortDescription",
                "fullDescription",
                "help",
                "helpUri",
            ] {
                assert!(rule.get(key).is_some(), "rule {id} lacks {key}");
            }
        }
        assert_eq!(run0["columnKind"], "unicodeCodePoints");
        total_results += results.len();
    }
    assert!(total_results > 0, "the fixtures must produce findings");
    assert!(
        in_other_repositories > 0,
        "the fixtures must have findings in system repositories"
    );
}

/// The shape GitHub documents for relative URIs.
fn encode(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn suppressed_findings_are_sarif_suppressions() {
    let repo = common::small_repo();
    let out = run(repo.path(), &["check", "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&out.stdout).expect("SARIF");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1, "{}", out.stdout);
    let s = &suppressed[0]["suppressions"][0];
    assert_eq!(s["kind"], "inSource");
    assert_eq!(s["justification"], "kept for the legacy chart");
    assert_eq!(suppressed[0]["ruleId"], "yaml-truthy");
    // The other formats leave it out.
    let gh = run(repo.path(), &["check", "--format", "github"]);
    assert!(!gh.stdout.contains("apps/legacy.yaml"), "{}", gh.stdout);
}

#[test]
fn sarif_fingerprints_survive_a_line_move() {
    let repo = common::small_repo();
    let before = run(repo.path(), &["check", "--format", "sarif"]);
    let file = repo.path().join("apps/web.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("# a comment\n\n{text}")).unwrap();
    let after = run(repo.path(), &["check", "--format", "sarif"]);
    let prints = |s: &str| -> Vec<(String, String, u64)> {
        let v: Value = serde_json::from_str(s).unwrap();
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "apps/web.yaml"
            })
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["partialFingerprints"]["gitopsLint/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                )
            })
            .collect()
    };
    let (b, a) = (prints(&before.stdout), prints(&after.stdout));
    assert!(!b.is_empty());
    assert_eq!(b.len(), a.len());
    for (x, y) in b.iter().zip(&a) {
        assert_eq!(x.0, y.0);
        assert_eq!(x.1, y.1, "fingerprint changed with a line move");
        assert_eq!(x.2 + 2, y.2, "the line did move");
    }
}

/// The SARIF multitool from the npm registry (`@microsoft/sarif-multitool`,
/// pinned), installed once under the target directory. `None` (a visible
/// skip) without npm, except in CI, where it must be there.
fn sarif_multitool() -> Option<PathBuf> {
    const PACKAGE: &str = "@microsoft/sarif-multitool@5.7.0";
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sarif-multitool-5.7.0");
    let find = |dir: &Path| -> Option<PathBuf> {
        let scope = dir.join("node_modules/@microsoft");
        std::fs::read_dir(scope)
            .ok()?
            .flatten()
            .map(|e| e.path().join("Sarif.Multitool"))
            .find(|p| p.is_file())
    };
    if find(&dir).is_none() {
        let npm = std::process::Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(PACKAGE)
            .status();
        match npm {
            Ok(s) if s.success() => {}
            other => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "npm install {PACKAGE}: {other:?}"
                );
                eprintln!("SKIPPED: npm could not install {PACKAGE} ({other:?})");
                return None;
            }
        }
    }
    let tool = find(&dir).expect("the multitool's platform package holds Sarif.Multitool");
    // npm runs no install scripts here: the package's own `chmod u+x`.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    Some(tool)
}

/// The errors and warnings the multitool reports on `sarif` with the rules
/// of `kinds` (its exit code is 0 even when it reports errors: its own log
/// is read).
fn multitool_problems(tool: &Path, sarif: &Path, kinds: &str) -> Vec<String> {
    let out = sarif.with_extension("validation.sarif");
    let _ = std::fs::remove_file(&out);
    let status = std::process::Command::new(tool)
        .arg("validate")
        .arg(sarif)
        .args(["--rule-kind", kinds, "--level", "Error;Warning", "-o"])
        .arg(&out)
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .status()
        .expect("run the SARIF multitool");
    assert!(status.success(), "multitool failed on {}", sarif.display());
    let log = load_json(&out);
    let mut problems = Vec::new();
    for run in log["runs"].as_array().into_iter().flatten() {
        for result in run["results"].as_array().into_iter().flatten() {
            let level = result["level"].as_str().unwrap_or("warning");
            if level == "error" || level == "warning" {
                problems.push(format!(
                    "{level} {}: {}",
                    result["ruleId"].as_str().unwrap_or("?"),
                    result["message"]["text"].as_str().unwrap_or("")
                ));
            }
        }
    }
    problems
}

/// Microsoft's SARIF validator, from npm, as GitHub Advanced Security for
/// Azure DevOps and GitHub code scanning use it: no error and no warning on
/// the fixture SARIF — with the GitHub rules outside a pipeline, and with
/// the GHAzDO rules too inside an Azure Pipelines build.
#[test]
#[ignore = "installs @microsoft/sarif-multitool from npm; run by .ci/run"]
fn microsoft_sarif_multitool_accepts_the_fixture_sarif() {
    let Some(tool) = sarif_multitool() else {
        return;
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/platform");
    let dir = tempfile::tempdir().unwrap();
    let github = dir.path().join("github.sarif");
    let azure = dir.path().join("azure.sarif");
    let check = |out: &Path, env: &[(&str, &str)]| {
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_gitops-lint"))
            .args(["check", "--format", "sarif", "--output"])
            .arg(out)
            .current_dir(&repo)
            .env_remove("TF_BUILD")
            .envs(env.iter().copied())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(1), "the fixture has error findings");
    };
    check(&github, &[]);
    check(&azure, &AZURE_PIPELINE);
    let problems = multitool_problems(&tool, &github, "Sarif;Gh;Ghas");
    assert!(problems.is_empty(), "GitHub:\n{}", problems.join("\n"));
    let problems = multitool_problems(&tool, &azure, "Sarif;Gh;Ghas;GHAzDO");
    assert!(
        problems.is_empty(),
        "Azure DevOps:\n{}",
        problems.join("\n")
    );
    let log = load_json(&azure);
    assert!(
        log["runs"][0]["automationDetails"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("azuredevops/pipeline/build/contoso/platform/42/")),
        "{}",
        log["runs"][0]["automationDetails"]
    );
}

/// The variables of an Azure Pipelines build.
const AZURE_PIPELINE: [(&str, &str); 9] = [
    ("TF_BUILD", "True"),
    ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/contoso/"),
    ("SYSTEM_TEAMPROJECT", "platform"),
    ("SYSTEM_DEFINITIONID", "42"),
    ("BUILD_DEFINITIONNAME", "platform-pr"),
    ("SYSTEM_PHASEID", "3b1f1a5e-9f3c-5d8e-8a50-4f0c6a2a9b11"),
    ("SYSTEM_PHASENAME", "GitopsLint"),
    ("BUILD_SOURCEBRANCH", "refs/pull/7/merge"),
    ("BUILD_BUILDID", "1234"),
];
