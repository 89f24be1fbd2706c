//! The CI integrations: the GitHub Action, the pre-commit hook definition and
//! the Azure DevOps template validate against their schemas; the README's
//! snippets use them correctly and its commands run; the github, azure and
//! junit formats escape what their consumers require and round-trip every
//! finding.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use common::{run, small_repo};
use gitops_lint::internals::base::source::LineIndex;
use gitops_lint::internals::yaml::{self, scalar::Typing, to_json::to_json};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schemas() -> Option<PathBuf> {
    common::shared("schemas")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One YAML document as JSON (YAML 1.2 core typing, as GitHub, Azure DevOps
/// and pre-commit read these files); fails on syntax errors and duplicate
/// keys.
fn yaml_json(text: &str, what: &str) -> Value {
    let stream = yaml::parse(text, &LineIndex::new(text));
    assert!(stream.errors.is_empty(), "{what}: {:?}", stream.errors);
    assert_eq!(stream.docs.len(), 1, "{what}: one document");
    let doc = &stream.docs[0];
    let dups = duplicate_keys(doc.root());
    assert!(dups.is_empty(), "{what}: duplicate keys {dups:?}");
    to_json(doc.root(), Typing::Core)
}

fn duplicate_keys(node: yaml::NodeRef<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (k, v) in node.entries() {
        if let Some(key) = k.as_str() {
            if !seen.insert(key.to_string()) {
                out.push(key.to_string());
            }
        }
        out.extend(duplicate_keys(v));
    }
    for item in node.items() {
        out.extend(duplicate_keys(item));
    }
    out
}

fn validate(schema_file: &str, doc: &Value, what: &str) {
    let Some(dir) = schemas() else {
        eprintln!("skipped {what}: ../shared/schemas is absent");
        return;
    };
    let schema: Value = serde_json::from_str(&read(&dir.join(schema_file))).expect("schema JSON");
    let validator = jsonschema::options()
        .offline()
        .build(&schema)
        .unwrap_or_else(|e| panic!("{schema_file} does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

#[test]
fn action_validates_against_the_action_schema() {
    let action = yaml_json(&read(&root().join("action.yml")), "action.yml");
    validate("github-action.json", &action, "action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let inputs = action["inputs"].as_object().unwrap();
    for key in ["paths", "config", "format", "fail-on"] {
        assert!(inputs.contains_key(key), "action input {key}");
    }
    let steps = action["runs"]["steps"].as_array().unwrap();
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(uses
        .iter()
        .any(|u| u.starts_with("github/codeql-action/upload-sarif@")));
    assert!(uses.iter().any(|u| u.starts_with("actions/cache@")));
    let scripts: String = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    // The release binary when there is one, else the action's own source.
    assert!(scripts.contains(
        "GITOPS_LINT_CARGO_ARGS=\"--path $GITHUB_ACTION_PATH\" bash \"$GITHUB_ACTION_PATH/scripts/install.sh\""
    ));
    // One run: the chosen format and the SARIF file.
    assert!(scripts.contains("--format \"$INPUT_FORMAT\" --format \"sarif=$INPUT_SARIF_FILE\""));
    assert_eq!(scripts.matches("gitops-lint check").count(), 1, "{scripts}");
    // Every `inputs.X` the steps read is declared.
    let text = read(&root().join("action.yml"));
    for used in references(&text, "inputs.") {
        assert!(
            inputs.contains_key(&used),
            "action.yml reads undeclared input {used}"
        );
    }
    // Every format the action offers exists.
    let format_doc = inputs["format"]["description"].as_str().unwrap();
    for f in ["github", "human", "json", "azure", "junit"] {
        assert!(format_doc.contains(f));
        let out = run(&root().join("rules"), &["check", "--format", f, "--", "."]);
        assert!(out.status < 2, "--format {f}: {}", out.stderr);
    }
}

/// Writes `script` to a file and runs it exactly as the GitHub runner runs a
/// `shell: bash` step (`bash --noprofile --norc -eo pipefail {0}`), or as
/// Azure Pipelines runs a `bash` step (`bash --noprofile --norc {0}`).
fn run_step(
    script: &str,
    runner_flags: &[&str],
    dir: &Path,
    env: &[(&str, String)],
) -> std::process::Output {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), script).unwrap();
    let mut cmd = std::process::Command::new("bash");
    cmd.args(["--noprofile", "--norc"])
        .args(runner_flags)
        .arg(file.path())
        .current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

const GITHUB_BASH: &[&str] = &["-eo", "pipefail"];

/// `NAME=VALUE` lines a step wrote to a `$GITHUB_OUTPUT`-style file.
fn step_outputs(file: &Path) -> std::collections::BTreeMap<String, String> {
    read(file)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn action_steps() -> Vec<Value> {
    let action = yaml_json(&read(&root().join("action.yml")), "action.yml");
    let steps = action["runs"]["steps"].as_array().unwrap().clone();
    for step in &steps {
        if let Some(run) = step["run"].as_str() {
            assert_eq!(step["shell"], "bash", "{step}");
            assert!(
                !run.contains("${{"),
                "inputs reach scripts through env only: {run}"
            );
        }
    }
    steps
}

fn action_step<'a>(steps: &'a [Value], name: &str) -> &'a Value {
    steps
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("action step `{name}`"))
}

fn path_with_binary() -> String {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_gitops-lint"))
        .parent()
        .unwrap();
    format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The action's shell steps, run in order as the runner runs them, on a
/// clean repository, one with warnings only and one with errors, for each
/// `fail-on`: annotations always reach the log, the SARIF is always
/// written, and the job fails exactly when the findings reach `fail-on`.
#[test]
fn action_steps_run_as_the_runner_runs_them() {
    let steps = action_steps();
    let lint = action_step(&steps, "Run gitops-lint");
    let fail = action_step(&steps, "Fail on findings");
    assert_eq!(
        fail["if"],
        "inputs.fail-on != 'never' && steps.lint.outputs.exit-code == '1'"
    );
    let clean: &[(&str, &str)] = &[(
        "apps/clean.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: clean\n",
    )];
    let warnings: &[(&str, &str)] = &[("apps/values.yaml", "ingress:\n  enabled: yes\n")];
    let errors: &[(&str, &str)] = &[(
        "apps/web.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: \"1\"\n  a: \"2\"\n",
    )];
    let path = path_with_binary();
    for (repo_name, files, annotation) in [
        ("clean", clean, None),
        (
            "warnings",
            warnings,
            Some("::warning file=apps/values.yaml,"),
        ),
        ("errors", errors, Some("::error file=apps/web.yaml,line=7,")),
    ] {
        let repo = common::repo_from(files);
        std::fs::create_dir(repo.path().join(".git")).unwrap();
        for fail_on in ["error", "warning", "never"] {
            let what = format!("{repo_name} repository, fail-on: {fail_on}");
            let outputs = repo.path().join("github-output");
            std::fs::write(&outputs, "").unwrap();
            let env = [
                ("PATH", path.clone()),
                ("GITHUB_OUTPUT", outputs.display().to_string()),
                ("INPUT_PATHS", ".".to_string()),
                ("INPUT_CONFIG", String::new()),
                ("INPUT_FORMAT", "github".to_string()),
                ("INPUT_FAIL_ON", fail_on.to_string()),
                ("INPUT_SARIF_FILE", "out.sarif".to_string()),
                ("RUNNER_TEMP", repo.path().join("tmp").display().to_string()),
                (
                    "GITHUB_STEP_SUMMARY",
                    repo.path().join("summary.md").display().to_string(),
                ),
            ];
            std::fs::create_dir_all(repo.path().join("tmp")).unwrap();
            let out = run_step(
                lint["run"].as_str().unwrap(),
                GITHUB_BASH,
                repo.path(),
                &env,
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{what}: the lint step defers failing\n{stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            // The count in the log and in the job summary, findings or not.
            assert!(stdout.contains("gitops-lint: "), "{what}\n{stdout}");
            let summary = std::fs::read_to_string(repo.path().join("summary.md")).unwrap();
            assert!(
                summary.starts_with("## gitops-lint\n\n"),
                "{what}: {summary}"
            );
            std::fs::remove_file(repo.path().join("summary.md")).unwrap();
            if let Some(a) = annotation {
                assert!(stdout.contains(a), "{what}: annotations\n{stdout}");
            }
            let written = step_outputs(&outputs);
            assert_eq!(written["sarif-file"], "out.sarif", "{what}");
            let sarif: Value = serde_json::from_str(&read(&repo.path().join("out.sarif"))).unwrap();
            assert_eq!(sarif["version"], "2.1.0", "{what}");
            let expect_exit = match (repo_name, fail_on) {
                ("errors", _) | ("warnings", "warning") => "1",
                _ => "0",
            };
            assert_eq!(written["exit-code"], expect_exit, "{what}");

            let fail_runs = fail_on != "never" && written["exit-code"] == "1";
            let job_failed = fail_runs && {
                let out = run_step(
                    fail["run"].as_str().unwrap(),
                    GITHUB_BASH,
                    repo.path(),
                    &env,
                );
                assert!(
                    String::from_utf8_lossy(&out.stdout).contains("::error title=gitops-lint::")
                );
                !out.status.success()
            };
            let expect_fail = matches!(
                (repo_name, fail_on),
                ("errors", "error" | "warning") | ("warnings", "warning")
            );
            assert_eq!(job_failed, expect_fail, "{what}: the job's result");
        }
    }

    // A bad `fail-on` and a run that fails (exit 2) end the step at once.
    let repo = common::repo_from(clean);
    let outputs = repo.path().join("github-output");
    std::fs::write(&outputs, "").unwrap();
    let mut env = vec![
        ("PATH", path.clone()),
        ("GITHUB_OUTPUT", outputs.display().to_string()),
        ("INPUT_PATHS", ".".to_string()),
        ("INPUT_CONFIG", String::new()),
        ("INPUT_FORMAT", "github".to_string()),
        ("INPUT_FAIL_ON", "sometimes".to_string()),
        ("INPUT_SARIF_FILE", "out.sarif".to_string()),
    ];
    let script = lint["run"].as_str().unwrap();
    assert_eq!(
        run_step(script, GITHUB_BASH, repo.path(), &env)
            .status
            .code(),
        Some(2)
    );
    env[5].1 = "error".into();
    env[4].1 = "missing.yaml".into();
    assert_eq!(
        run_step(script, GITHUB_BASH, repo.path(), &env)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(step_outputs(&outputs)["exit-code"], "2");
}

/// The set-up steps as the runner runs them: the cache key, the install
/// (with a stand-in `cargo` that records its arguments) and the PATH entry.
#[test]
fn action_setup_steps_run_as_the_runner_runs_them() {
    let steps = action_steps();
    let temp = tempfile::tempdir().unwrap();
    let outputs = temp.path().join("github-output");
    std::fs::write(&outputs, "").unwrap();
    let env = [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("GITHUB_OUTPUT", outputs.display().to_string()),
        ("GITHUB_ACTION_PATH", root().display().to_string()),
        ("HOME", temp.path().display().to_string()),
    ];
    let key = action_step(&steps, "Compute the gitops-lint cache key");
    let out = run_step(key["run"].as_str().unwrap(), GITHUB_BASH, temp.path(), &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = step_outputs(&outputs);
    assert_eq!(written["hash"].len(), 32, "{written:?}");
    // Not at a release tag: built from the action's source, and cached so.
    assert_eq!(written["version"], "", "{written:?}");
    assert_eq!(written["key"], format!("source-{}", written["hash"]));
    // At the tag of its own version: that release is downloaded.
    let at_tag = temp.path().join("github-output-tag");
    std::fs::write(&at_tag, "").unwrap();
    let mut tag_env = env.to_vec();
    tag_env[1].1 = at_tag.display().to_string();
    tag_env.push((
        "GITHUB_ACTION_REF",
        format!("v{}", env!("CARGO_PKG_VERSION")),
    ));
    let out = run_step(
        key["run"].as_str().unwrap(),
        GITHUB_BASH,
        temp.path(),
        &tag_env,
    );
    assert!(out.status.success());
    let tagged = step_outputs(&at_tag);
    assert_eq!(tagged["version"], env!("CARGO_PKG_VERSION"));
    assert!(tagged["key"].starts_with(&format!("{}-", env!("CARGO_PKG_VERSION"))));
    assert_eq!(
        written["root"],
        format!("{}/.gitops-lint", temp.path().display())
    );

    let bin = temp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let args_file = temp.path().join("cargo-args");
    // A stand-in cargo: records its arguments, installs a stand-in binary.
    std::fs::write(
        bin.join("cargo"),
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\nmkdir -p \"$ROOT/bin\"\nprintf '#!/bin/sh\\necho gitops-lint 0.0.0\\n' > \"$ROOT/bin/gitops-lint\"\nchmod +x \"$ROOT/bin/gitops-lint\"\n",
            args_file.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x", &bin.join("cargo").display().to_string()])
        .status()
        .unwrap();
    let install = action_step(&steps, "Install gitops-lint");
    assert_eq!(install["if"], "steps.cache.outputs.cache-hit != 'true'");
    let mut env = env.to_vec();
    env[0].1 = format!("{}:{}", bin.display(), env[0].1);
    env.push(("ROOT", written["root"].clone()));
    env.push(("GITOPS_LINT_VERSION", String::new()));
    env.push(("GITOPS_LINT_RELEASES", String::new()));
    let out = run_step(
        install["run"].as_str().unwrap(),
        GITHUB_BASH,
        temp.path(),
        &env,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        read(&args_file).trim(),
        format!(
            "install --locked --path {} --root {}",
            root().display(),
            written["root"]
        )
    );

    let github_path = temp.path().join("github-path");
    env.push(("GITHUB_PATH", github_path.display().to_string()));
    let add = action_step(&steps, "Add gitops-lint to PATH");
    let out = run_step(add["run"].as_str().unwrap(), GITHUB_BASH, temp.path(), &env);
    assert!(out.status.success());
    assert_eq!(
        read(&github_path).trim(),
        format!("{}/bin", written["root"])
    );
}

/// Names after `prefix` in `${{ … }}` expressions (`inputs.fail-on` →
/// `fail-on`).
fn references(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for expr in text.split("${{").skip(1) {
        let expr = expr.split("}}").next().unwrap_or("");
        for part in expr.split(prefix).skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn pre_commit_hooks_validate_against_their_schema() {
    let hooks = yaml_json(
        &read(&root().join(".pre-commit-hooks.yaml")),
        ".pre-commit-hooks.yaml",
    );
    validate("pre-commit-hooks.json", &hooks, ".pre-commit-hooks.yaml");
    let hook = &hooks[0];
    assert_eq!(hook["id"], "gitops-lint");
    assert_eq!(hook["language"], "rust");
    assert_eq!(hook["entry"], "gitops-lint check");
    assert_eq!(hook["types"], serde_json::json!(["yaml"]));
}

/// The subset of the Azure Pipelines template syntax the template uses, as
/// a JSON Schema: a steps template with typed parameters, steps that are a
/// task (with inputs), a bash script, or a template-expression block.
const AZURE_STEPS_TEMPLATE_SCHEMA: &str = r##"{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "required": ["steps"],
  "properties": {
    "parameters": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["name", "type"],
        "properties": {
          "name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
          "displayName": {"type": "string"},
          "type": {"enum": ["string", "number", "boolean", "object", "step", "stepList",
                            "job", "jobList", "deployment", "deploymentList", "stage", "stageList"]},
          "default": {},
          "values": {"type": "array"}
        }
      }
    },
    "steps": {"$ref": "#/definitions/steps"}
  },
  "definitions": {
    "steps": {"type": "array", "items": {"$ref": "#/definitions/step"}},
    "common": {
      "displayName": {"type": "string"},
      "condition": {"type": "string"},
      "continueOnError": {"type": "boolean"},
      "enabled": {"type": "boolean"},
      "timeoutInMinutes": {"type": "integer"},
      "name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
      "env": {"type": "object", "additionalProperties": {"type": "string"}}
    },
    "step": {
      "oneOf": [
        {
          "type": "object",
          "required": ["task"],
          "additionalProperties": false,
          "properties": {
            "task": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9]*@[0-9]+$"},
            "inputs": {"type": "object", "additionalProperties": {"type": ["string", "boolean", "number"]}},
            "displayName": {"type": "string"}, "condition": {"type": "string"},
            "continueOnError": {"type": "boolean"}, "enabled": {"type": "boolean"},
            "timeoutInMinutes": {"type": "integer"}, "name": {"type": "string"},
            "env": {"type": "object", "additionalProperties": {"type": "string"}}
          }
        },
        {
          "type": "object",
          "required": ["bash"],
          "additionalProperties": false,
          "properties": {
            "bash": {"type": "string"},
            "workingDirectory": {"type": "string"},
            "failOnStderr": {"type": "boolean"},
            "displayName": {"type": "string"}, "condition": {"type": "string"},
            "continueOnError": {"type": "boolean"}, "enabled": {"type": "boolean"},
            "timeoutInMinutes": {"type": "integer"}, "name": {"type": "string"},
            "env": {"type": "object", "additionalProperties": {"type": "string"}}
          }
        },
        {
          "type": "object",
          "minProperties": 1,
          "maxProperties": 1,
          "patternProperties": {"^\\$\\{\\{ *(if|elseif|else|each) .*\\}\\}:?$|^\\$\\{\\{ *else *\\}\\}$": {"$ref": "#/definitions/steps"}},
          "additionalProperties": false
        }
      ]
    }
  }
}"##;

/// Required inputs of the tasks the template uses (from each task's
/// task.json), and the inputs each accepts.
const AZURE_TASKS: &[(&str, &[&str], &[&str])] = &[
    (
        "Cache@2",
        &["key", "path"],
        &["key", "path", "restoreKeys", "cacheHitVar"],
    ),
    (
        "PublishBuildArtifacts@1",
        &["PathtoPublish", "ArtifactName"],
        &[
            "PathtoPublish",
            "ArtifactName",
            "publishLocation",
            "TargetPath",
            "Parallel",
            "ParallelCount",
            "StoreAsTar",
        ],
    ),
    (
        "PublishTestResults@2",
        &["testResultsFormat", "testResultsFiles"],
        &[
            "testResultsFormat",
            "testResultsFiles",
            "searchFolder",
            "mergeTestResults",
            "failTaskOnFailedTests",
            "failTaskOnFailureToPublishResults",
            "failTaskOnMissingResultsFile",
            "testRunTitle",
            "buildPlatform",
            "buildConfiguration",
            "publishRunAttachments",
        ],
    ),
];

fn azure_template() -> (String, Value) {
    let path = root().join("integrations/azure-devops/gitops-lint.yml");
    let text = read(&path);
    let doc = yaml_json(&text, "gitops-lint.yml");
    (text, doc)
}

fn each_step(steps: &Value, f: &mut dyn FnMut(&Value)) {
    for step in steps.as_array().expect("steps") {
        let obj = step.as_object().expect("step");
        match obj.keys().next() {
            Some(k) if k.starts_with("${{") => each_step(&obj[k], f),
            _ => f(step),
        }
    }
}

#[test]
fn azure_devops_template_is_a_valid_steps_template() {
    let (text, doc) = azure_template();
    let schema: Value = serde_json::from_str(AZURE_STEPS_TEMPLATE_SCHEMA).unwrap();
    let validator = jsonschema::draft7::new(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "gitops-lint.yml:\n{}", errors.join("\n"));

    let params: BTreeSet<String> = doc["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    for used in references(&text, "parameters.") {
        assert!(params.contains(&used), "undeclared parameter {used}");
    }
    for p in doc["parameters"].as_array().unwrap() {
        if let (Some(values), Some(default)) = (p["values"].as_array(), p.get("default")) {
            assert!(
                values.contains(default),
                "default of {} not among its values",
                p["name"]
            );
        }
    }

    let mut tasks = Vec::new();
    let mut scripts = String::new();
    each_step(&doc["steps"], &mut |step| {
        if let Some(task) = step["task"].as_str() {
            let (_, required, known) = AZURE_TASKS
                .iter()
                .find(|(name, _, _)| *name == task)
                .unwrap_or_else(|| panic!("unknown task {task}"));
            let inputs = step["inputs"].as_object().expect("inputs");
            for r in *required {
                assert!(inputs.contains_key(*r), "{task} lacks input {r}");
            }
            for k in inputs.keys() {
                assert!(known.contains(&k.as_str()), "{task} has no input {k}");
            }
            tasks.push((task.to_string(), step.clone()));
        }
        if let Some(s) = step["bash"].as_str() {
            scripts.push_str(s);
        }
    });
    // One run writes the three reports.
    assert!(scripts.contains("--format \"azure=$out/azure.log\""));
    assert!(scripts.contains("--format \"sarif=$out/CodeAnalysisLogs/gitops-lint.sarif\""));
    assert!(scripts.contains("--format \"junit=$out/junit.xml\""));
    assert_eq!(scripts.matches("gitops-lint check").count(), 1, "{scripts}");
    assert!(scripts.contains("cargo install --locked"));
    let artifact = tasks
        .iter()
        .find(|(t, _)| t == "PublishBuildArtifacts@1")
        .expect("SARIF artifact");
    // The SARIF SAST Scans Tab reads this artifact name and nothing else.
    assert_eq!(artifact.1["inputs"]["ArtifactName"], "CodeAnalysisLogs");
    assert!(scripts.contains("CodeAnalysisLogs/gitops-lint.sarif"));
    let junit = tasks
        .iter()
        .find(|(t, _)| t == "PublishTestResults@2")
        .expect("JUnit results");
    assert_eq!(junit.1["inputs"]["testResultsFormat"], "JUnit");
    for (_, step) in &tasks {
        if step["task"] != "Cache@2" {
            assert_eq!(step["condition"], "succeededOrFailed()", "{}", step["task"]);
        }
    }
}

/// Runs the template's lint script as the agent does (`bash --noprofile
/// --norc FILE`, macros and template expressions substituted), and again
/// under `-e` (the script must mean the same), on a clean repository and one
/// with an error, for each `failOn`: the issues are logged, SARIF and JUnit
/// are written, and the step fails exactly when it should.
#[test]
fn azure_devops_template_script_runs() {
    let (_, doc) = azure_template();
    let mut script = None;
    each_step(&doc["steps"], &mut |step| {
        if step["displayName"] == "Run gitops-lint" {
            script = step["bash"].as_str().map(String::from);
        }
    });
    let script = script.expect("the Run gitops-lint step");
    let path = path_with_binary();
    let errors = small_repo();
    let clean = common::repo_from(&[(
        "apps/clean.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: clean\n",
    )]);
    for flags in [&[][..], &["-e"][..]] {
        for (repo, has_errors) in [(&errors, true), (&clean, false)] {
            for fail_on in ["error", "warning", "never"] {
                let what = format!("flags {flags:?}, errors: {has_errors}, failOn: {fail_on}");
                let temp = tempfile::tempdir().unwrap();
                let env = [
                    ("PATH", path.clone()),
                    ("AGENT_TEMPDIRECTORY", temp.path().display().to_string()),
                    ("PATHS", "apps".to_string()),
                    ("CONFIG", String::new()),
                    ("FAIL_ON", fail_on.to_string()),
                    ("SYSTEM_REPOS", String::new()),
                    ("KUBERNETES_VERSION", "1.33".to_string()),
                    ("EXTRA_ARGS", "--severity info".to_string()),
                ];
                let out = run_step(&script, flags, repo.path(), &env);
                let stdout = String::from_utf8_lossy(&out.stdout);
                let sarif = temp
                    .path()
                    .join("gitops-lint/CodeAnalysisLogs/gitops-lint.sarif");
                let sarif: Value = serde_json::from_str(&read(&sarif)).expect("SARIF written");
                assert_eq!(sarif["version"], "2.1.0");
                assert!(read(&temp.path().join("gitops-lint/junit.xml")).contains("<testsuites"));
                let should_fail = has_errors && fail_on != "never";
                assert_eq!(
                    out.status.code(),
                    Some(i32::from(should_fail)),
                    "{what}\n{stdout}"
                );
                assert_eq!(
                    stdout.contains("##vso[task.logissue type=error;"),
                    has_errors,
                    "{what}\n{stdout}"
                );
                assert_eq!(
                    stdout.contains("##vso[task.complete result=Failed;]"),
                    should_fail,
                    "{what}\n{stdout}"
                );
                // The count in the log, findings or not, and the summary.
                let count = if has_errors {
                    "Found "
                } else {
                    "No findings in 1 file"
                };
                assert!(
                    stdout.contains(&format!("gitops-lint: {count}")),
                    "{what}\n{stdout}"
                );
                let summary = temp.path().join("gitops-lint/summary.md");
                assert!(stdout.contains(&format!("##vso[task.uploadsummary]{}", summary.display())));
                let summary = read(&summary);
                assert!(
                    summary.starts_with(&format!("## gitops-lint\n\n{count}")),
                    "{what}: {summary}"
                );
            }
        }
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

/// The README's fenced blocks whose info string has `file=NAME`.
fn readme_block(file: &str) -> String {
    let readme = read(&root().join("README.md"));
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let info = line.trim_start();
        if info.starts_with("```") && info.split_whitespace().any(|w| w == format!("file={file}")) {
            let mut block = String::new();
            for l in lines.by_ref() {
                if l.trim_start().starts_with("```") {
                    return block;
                }
                block.push_str(l);
                block.push('\n');
            }
        }
    }
    panic!("README has no block with file={file}");
}

#[test]
fn readme_github_workflow_uses_the_action_correctly() {
    let wf = yaml_json(
        &readme_block(".github/workflows/gitops-lint.yml"),
        "README workflow",
    );
    let action = yaml_json(&read(&root().join("action.yml")), "action.yml");
    let inputs = action["inputs"].as_object().unwrap();
    let jobs = wf["jobs"].as_object().expect("jobs");
    let mut found = false;
    for job in jobs.values() {
        assert_eq!(
            job["permissions"]["security-events"], "write",
            "upload-sarif needs it"
        );
        for step in job["steps"].as_array().unwrap() {
            if step["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("gitops-lint/gitops-lint@"))
            {
                found = true;
                if let Some(with) = step["with"].as_object() {
                    for k in with.keys() {
                        assert!(inputs.contains_key(k), "README passes unknown input {k}");
                    }
                }
            }
        }
    }
    assert!(found, "README workflow uses the action");
    assert!(wf["on"]["pull_request"].is_object() || wf["on"]["pull_request"].is_null());
}

#[test]
fn readme_pre_commit_config_names_the_hook() {
    let cfg = yaml_json(
        &readme_block(".pre-commit-config.yaml"),
        "README pre-commit config",
    );
    let hooks = yaml_json(&read(&root().join(".pre-commit-hooks.yaml")), "hooks");
    let repo = &cfg["repos"][0];
    assert!(repo["repo"].as_str().unwrap().contains("gitops-lint"));
    assert!(repo["rev"].is_string());
    assert_eq!(repo["hooks"][0]["id"], hooks[0]["id"]);
}

#[test]
fn readme_azure_pipeline_passes_declared_parameters() {
    let pipeline = yaml_json(
        &readme_block("azure-pipelines-systems.yaml"),
        "README pipeline",
    );
    let (_, template) = azure_template();
    let declared: BTreeSet<&str> = template["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        pipeline["trigger"], "none",
        "a branch-policy pipeline has no push trigger"
    );
    let repo_alias = pipeline["resources"]["repositories"][0]["repository"]
        .as_str()
        .expect("the gitops-lint repository resource");
    let mut uses = 0;
    for stage in pipeline["stages"].as_array().expect("stages") {
        assert!(stage["condition"]
            .as_str()
            .unwrap()
            .contains("System.PullRequest.TargetBranch"));
        for job in stage["jobs"].as_array().unwrap() {
            for step in job["steps"].as_array().unwrap() {
                if let Some(t) = step["template"].as_str() {
                    assert_eq!(
                        t,
                        format!("integrations/azure-devops/gitops-lint.yml@{repo_alias}")
                    );
                    let path = t.split('@').next().unwrap();
                    assert!(root().join(path).is_file());
                    for k in step["parameters"].as_object().unwrap().keys() {
                        assert!(declared.contains(k.as_str()), "unknown parameter {k}");
                    }
                    uses += 1;
                }
            }
        }
    }
    assert!(uses >= 1);
}

/// Every `gitops-lint …` command in the README's Output formats section runs (in the
/// small fixture repository) without a usage or run error.
#[test]
fn readme_commands_run() {
    let readme = read(&root().join("README.md"));
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Output formats"))
        .expect("README has an Output formats section");
    let mut in_sh = false;
    let mut commands = Vec::new();
    for line in section.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_sh = !in_sh && (t == "```sh" || t == "```bash");
            continue;
        }
        if in_sh {
            let cmd = t.split(" #").next().unwrap_or("").trim();
            if let Some(args) = cmd.strip_prefix("gitops-lint ") {
                commands.push(args.to_string());
            }
        }
    }
    assert!(
        commands.len() >= 4,
        "README shows the format commands: {commands:?}"
    );
    for args in commands {
        let repo = small_repo();
        let argv: Vec<&str> = args.split_whitespace().collect();
        let out = run(repo.path(), &argv);
        assert!(out.status < 2, "gitops-lint {args}: {}", out.stderr);
        if let Some(i) = argv.iter().position(|a| *a == "--output") {
            assert!(
                repo.path().join(argv[i + 1]).is_file(),
                "gitops-lint {args}"
            );
        }
    }
}

/// The findings of the JSON format: (rule, severity, path, line, column).
fn json_findings(dir: &Path) -> Vec<(String, String, String, u64, u64)> {
    let out = run(dir, &["check", "--format", "json"]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Decodes as the GitHub runner does (`ActionCommand.Unescape*`).
fn github_unescape(s: &str, property: bool) -> String {
    let mut s = s.replace("%0D", "\r").replace("%0A", "\n");
    if property {
        s = s.replace("%3A", ":").replace("%2C", ",");
    }
    s.replace("%25", "%")
}

#[test]
fn github_annotations_escape_and_round_trip() {
    let repo = small_repo();
    let expected = json_findings(repo.path());
    let out = run(repo.path(), &["check", "--format", "github"]);
    assert_eq!(out.status, 1, "errors fail the run");
    let mut got = Vec::new();
    for line in out.stdout.lines() {
        let rest = line.strip_prefix("::").expect("every line is a command");
        let (cmd, message) = rest.split_once("::").expect("command::message");
        let (kind, props) = cmd.split_once(' ').expect("properties");
        assert!(!message.contains(['\r', '\n']));
        let mut map = std::collections::BTreeMap::new();
        for p in props.split(',') {
            let (k, v) = p.split_once('=').expect("key=value");
            assert!(!v.contains([':', ',']), "unescaped property {v}");
            map.insert(k, github_unescape(v, true));
        }
        let rule = map["title"]
            .strip_prefix("gitops-lint: ")
            .unwrap()
            .to_string();
        let severity = match kind {
            "error" => "error",
            "warning" => "warning",
            "notice" => "info",
            k => panic!("kind {k}"),
        };
        let _ = github_unescape(message, false);
        got.push((
            rule,
            severity.to_string(),
            map["file"].clone(),
            map["line"].parse::<u64>().unwrap(),
            map.get("col").map_or(0, |c| c.parse().unwrap()),
        ));
    }
    assert_eq!(got.len(), expected.len(), "{}", out.stdout);
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(&g.0, &e.0);
        assert_eq!(&g.1, &e.1);
        assert_eq!(&g.2, &e.2);
        assert_eq!(g.3, e.3);
        assert!(g.4 == 0 || g.4 == e.4);
    }
    assert!(
        out.stdout
            .contains("file=apps/broken%3A 50%25%2C a;b].yaml,"),
        "{}",
        out.stdout
    );
}

/// Decodes as the Azure DevOps agent does (`CommandStringConvertor.Unescape`
/// with percent decoding on).
fn azure_unescape(s: &str) -> String {
    s.replace("%3B", ";")
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%5D", "]")
        .replace("%AZP25", "%")
}

#[test]
fn azure_logging_commands_escape_and_round_trip() {
    let repo = small_repo();
    let expected: Vec<_> = json_findings(repo.path())
        .into_iter()
        .filter(|f| f.1 != "info")
        .collect();
    let out = run(repo.path(), &["check", "--format", "azure"]);
    assert_eq!(out.status, 1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let (last, issues) = lines.split_last().unwrap();
    assert!(last.starts_with("##vso[task.complete result=Failed;]"));
    assert_eq!(issues.len(), expected.len(), "{}", out.stdout);
    for (line, e) in issues.iter().zip(&expected) {
        let rest = line.strip_prefix("##vso[task.logissue ").expect("logissue");
        let (props, message) = rest.split_once(']').expect("]");
        assert!(!message.contains(['\r', '\n']));
        let mut map = std::collections::BTreeMap::new();
        for p in props.split(';').filter(|p| !p.is_empty()) {
            let (k, v) = p.split_once('=').expect("key=value");
            map.insert(k, azure_unescape(v));
        }
        assert_eq!(map["type"], e.1);
        assert_eq!(map["code"], e.0);
        assert_eq!(map["sourcepath"], e.2);
        assert_eq!(map["linenumber"], e.3.to_string());
        assert_eq!(map["columnnumber"], e.4.to_string());
    }
    assert!(
        out.stdout
            .contains("sourcepath=apps/broken: 50%AZP25, a%3Bb%5D.yaml;"),
        "{}",
        out.stdout
    );
    // No errors: no task.complete.
    let clean = run(
        repo.path(),
        &["check", "--format", "azure", "apps/clean.yaml"],
    );
    assert_eq!(clean.status, 0);
    assert!(!clean.stdout.contains("task.complete"), "{}", clean.stdout);
}

#[test]
fn junit_is_well_formed_with_one_case_per_file() {
    let repo = small_repo();
    let out = run(repo.path(), &["check", "--format", "junit"]);
    let again = run(repo.path(), &["check", "--format", "junit"]);
    assert_eq!(out.stdout, again.stdout, "deterministic");
    let xml = &out.stdout;
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
    let files = [
        "apps/broken: 50%, a;b].yaml",
        "apps/clean.yaml",
        "apps/legacy.yaml",
        "apps/values.yaml",
        "apps/web.yaml",
    ];
    assert_eq!(xml.matches("<testcase ").count(), files.len(), "{xml}");
    for f in files {
        assert!(xml.contains(&format!("name=\"{f}\"")), "{f}");
    }
    assert!(xml.contains(
        "<testcase classname=\"gitops-lint\" name=\"apps/clean.yaml\" file=\"apps/clean.yaml\"/>"
    ));
    // The suppressed finding does not fail its file.
    assert!(
        xml.contains("name=\"apps/legacy.yaml\" file=\"apps/legacy.yaml\"/>"),
        "{xml}"
    );
    let Some(python) = which("python3") else {
        eprintln!("skipped the XML parse: python3 is absent");
        return;
    };
    let check = r#"
import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
assert root.tag == 'testsuites'
cases = root.findall('./testsuite/testcase')
failed = [c for c in cases if c.find('failure') is not None]
assert int(root.get('tests')) == len(cases), (root.get('tests'), len(cases))
assert int(root.get('failures')) == len(failed)
for c in failed:
    assert len(c.findall('failure')) == 1
    text = c.find('failure').text
    print(c.get('file'), '|', sum(1 for l in text.splitlines() if not l.startswith('  help:')))
"#;
    let mut child = std::process::Command::new(python)
        .args(["-c", check])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let res = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let per_file: Vec<_> = json_findings(repo.path())
        .into_iter()
        .fold(std::collections::BTreeMap::new(), |mut m, f| {
            *m.entry(f.2).or_insert(0) += 1;
            m
        })
        .into_iter()
        .map(|(p, n)| format!("{p} | {n}"))
        .collect();
    assert_eq!(stdout.lines().collect::<Vec<_>>(), per_file);
}

/// The release archive name's target for this machine, as
/// `scripts/install.sh` computes it (None where no release is built).
fn release_target() -> Option<&'static str> {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Some("x86_64-unknown-linux-musl"),
        ("linux", "aarch64") => Some("aarch64-unknown-linux-musl"),
        ("macos", "x86_64") => Some("x86_64-apple-darwin"),
        ("macos", "aarch64") => Some("aarch64-apple-darwin"),
        _ => None,
    }
}

/// A directory laid out as the release workflow publishes: one archive
/// per target with its `.sha256`, under `v<version>/`.
fn local_release(dir: &Path, version: &str, target: &str) -> PathBuf {
    let name = format!("gitops-lint-v{version}-{target}");
    let stage = dir.join("stage").join(&name);
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_gitops-lint"), stage.join("gitops-lint")).unwrap();
    std::fs::copy(root().join("README.md"), stage.join("README.md")).unwrap();
    let release = dir.join("releases").join(format!("v{version}"));
    std::fs::create_dir_all(&release).unwrap();
    let archive = release.join(format!("{name}.tar.gz"));
    let status = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(dir.join("stage"))
        .arg(&name)
        .status()
        .unwrap();
    assert!(status.success());
    let digest = sha2_hex(&std::fs::read(&archive).unwrap());
    std::fs::write(
        release.join(format!("{name}.tar.gz.sha256")),
        format!("{digest}  {name}.tar.gz\n"),
    )
    .unwrap();
    archive
}

fn sha2_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The install script as the runner runs it: the release binary from a
/// `file://` release (no cargo), a checksum that does not match refused
/// (no fallback), a version without a release built with cargo.
#[test]
fn install_script_downloads_verifies_and_falls_back() {
    let Some(target) = release_target() else {
        eprintln!("skipped: no release is built for this machine");
        return;
    };
    if which("curl").is_none() {
        assert!(std::env::var_os("CI").is_none(), "curl is needed in CI");
        eprintln!("skipped: curl is absent");
        return;
    }
    let script = read(&root().join("scripts/install.sh"));
    let temp = tempfile::tempdir().unwrap();
    let version = "9.9.9";
    let archive = local_release(temp.path(), version, target);
    let releases = format!("file://{}", temp.path().join("releases").display());
    let bin = temp.path().join("stub-bin");
    std::fs::create_dir(&bin).unwrap();
    let cargo_log = temp.path().join("cargo-args");
    std::fs::write(
        bin.join("cargo"),
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\nmkdir -p \"$ROOT/bin\"\nprintf '#!/bin/sh\\necho built\\n' > \"$ROOT/bin/gitops-lint\"\nchmod +x \"$ROOT/bin/gitops-lint\"\n",
            cargo_log.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x", &bin.join("cargo").display().to_string()])
        .status()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let install = |root: &Path, version: &str| {
        run_step(
            &script,
            GITHUB_BASH,
            temp.path(),
            &[
                ("PATH", path.clone()),
                ("ROOT", root.display().to_string()),
                ("GITOPS_LINT_VERSION", version.to_string()),
                ("GITOPS_LINT_RELEASES", releases.clone()),
                ("GITOPS_LINT_CARGO_ARGS", String::new()),
            ],
        )
    };

    let root1 = temp.path().join("root1");
    let out = install(&root1, &format!("v{version}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "installed the v{version} release binary for {target}"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("gitops-lint {}", env!("CARGO_PKG_VERSION"))),
        "{stdout}"
    );
    assert!(
        !cargo_log.exists(),
        "cargo must not run when the release has a binary"
    );

    // The archive no longer matches its checksum: refused, nothing built.
    let mut bytes = std::fs::read(&archive).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&archive, bytes).unwrap();
    let root2 = temp.path().join("root2");
    let out = install(&root2, version);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SHA-256"));
    assert!(!root2.join("bin/gitops-lint").exists());
    assert!(!cargo_log.exists());

    // A version the releases do not hold: built with cargo at its tag.
    let root3 = temp.path().join("root3");
    let out = install(&root3, "1.2.3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        read(&cargo_log).trim(),
        format!(
            "install --locked --git https://github.com/gitops-lint/gitops-lint --tag v1.2.3 --root {}",
            root3.display()
        )
    );
}

/// The Azure DevOps template cannot run a file of this repository (only
/// its own YAML reaches the agent), so it holds the install script inline:
/// the same text, byte for byte.
#[test]
fn azure_template_installs_with_the_same_script() {
    let (_, doc) = azure_template();
    let mut inline = None;
    each_step(&doc["steps"], &mut |step| {
        if step["displayName"] == "Install gitops-lint" {
            inline = step["bash"].as_str().map(String::from);
            assert_eq!(
                step["condition"],
                "ne(variables.GITOPS_LINT_CACHED, 'true')"
            );
        }
    });
    assert_eq!(
        inline.expect("the Install gitops-lint step"),
        read(&root().join("scripts/install.sh")),
        "integrations/azure-devops/gitops-lint.yml: paste scripts/install.sh into the Install step"
    );
}

/// The release workflow: valid for GitHub (SchemaStore's workflow schema),
/// building every target the issue names, and naming its archives as
/// `scripts/install.sh` and `cargo binstall` (Cargo.toml) look for them.
#[test]
fn release_workflow_publishes_what_the_installers_download() {
    let text = read(&root().join(".github/workflows/release.yml"));
    let workflow = yaml_json(&text, "release.yml");
    validate(
        "github-workflows.json",
        &workflow,
        ".github/workflows/release.yml",
    );
    assert_eq!(workflow["on"]["push"]["tags"][0], "v[0-9]+.[0-9]+.[0-9]+");
    let targets: BTreeSet<&str> = workflow["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["target"].as_str().unwrap())
        .collect();
    let wanted = [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ];
    assert_eq!(targets, wanted.into_iter().collect());
    // Every target install.sh may ask for is built.
    let script = read(&root().join("scripts/install.sh"));
    for t in &wanted {
        assert!(
            script.contains(&format!("echo {t} ;;")),
            "install.sh lacks {t}"
        );
    }
    // One name for the archive everywhere: gitops-lint-v<version>-<target>.
    let steps = workflow["jobs"]["build"]["steps"].as_array().unwrap();
    let package = steps
        .iter()
        .find(|s| s["name"] == "Package")
        .and_then(|s| s["run"].as_str())
        .unwrap();
    assert!(package.contains("name=\"gitops-lint-$GITHUB_REF_NAME-$TARGET\""));
    assert!(package.contains("README.md LICENSE"));
    assert!(package.contains("\"$archive.sha256\""));
    assert!(script.contains("name=\"gitops-lint-v$version-$triple\""));
    assert!(script.contains("\"$releases/v$version/$archive.sha256\""));
    let cargo = read(&root().join("Cargo.toml"));
    let pkg_url = cargo
        .lines()
        .find_map(|l| l.strip_prefix("pkg-url = "))
        .expect("binstall pkg-url")
        .trim_matches('"');
    let expanded = pkg_url
        .replace("{ version }", "0.2.0")
        .replace("{ name }", "gitops-lint")
        .replace("{ target }", "aarch64-apple-darwin")
        .replace("{ archive-suffix }", ".tar.gz");
    assert_eq!(
        expanded,
        "https://github.com/gitops-lint/gitops-lint/releases/download/v0.2.0/gitops-lint-v0.2.0-aarch64-apple-darwin.tar.gz"
    );
    assert!(script.contains(
        "releases=\"${GITOPS_LINT_RELEASES:-https://github.com/gitops-lint/gitops-lint/releases/download}\""
    ));
    assert!(root().join("LICENSE").is_file());
}
