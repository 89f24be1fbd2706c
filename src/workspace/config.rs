//! `.gitops-lint.yaml`: every key optional, unknown keys an error with their
//! position. Read with the project's own YAML loader, so config errors point
//! at the line and column like any finding.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::base::finding::Severity;
use crate::base::source::{LineIndex, Pos};
use crate::yaml::scalar::Typing;
use crate::yaml::to_json::to_json;
use crate::yaml::{self, NodeRef};

pub const FILE_NAME: &str = ".gitops-lint.yaml";

/// What `gitops-lint init` writes: the defaults, commented.
pub const INIT_TEMPLATE: &str = r#"# gitops-lint configuration. Every key is optional; unknown keys are errors.
# See `gitops-lint rules` and `gitops-lint explain <rule>`.

# Registries images may come from: a host, or a host/path prefix.
# With none configured, `private-registry` warns once instead of flagging images.
registries:
  allowed: []              # e.g. [myacr.azurecr.io]
  # environments:          # per-environment lists, used instead of `allowed` there
  #   prod: [myacrprod.azurecr.io]

# Directory name under clusters/ -> the branch that environment tracks.
environments:
  experimental: {branch: experimental}
  dev: {branch: dev}
  prod: {branch: master}

# Promotion order: a system in a later environment should exist in the earlier ones.
promotion: [experimental, dev, prod]

# GitRepository name -> local checkout of that system repository
# (relative to this file; `--system-repo NAME=DIR` wins).
systemRepos: {}
  # k8s-payments: ../k8s-payments

# The central chart of Pattern B.
centralChart:
  source: k8s-platform-charts
  chart: ./platform-app-chart
  skus: [sku-small, sku-medium, sku-large, sku-batch]

# Pattern C registrations need platform approval: list the system, or annotate its Kustomization.
patternC:
  approved: []
  approvalAnnotation: gitops-lint.io/pattern-c-approval

# Per-rule severity (error, warning, info, off) or options:
rules: {}
  # image-tag-pinned: error
  # helmrelease-layout: {severity: warning}

kubernetesVersion: "1.33"

# Globs of repository paths not to read.
exclude: []
  # - "flux-operator/**"

# Key names whose values are never shown in any output, besides the built-in
# ones (password, secret, token, apiKey, connectionString, privateKey, ...).
secretKeys: []             # e.g. [sasSignature]

# A registration whose system repository has no local checkout fails the run
# (for a pull-request gate); otherwise it is reported as info.
requireSystemRepos: false
"#;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub registries: Registries,
    /// Environment directory name under `clusters/` → its settings, in
    /// promotion order where known.
    pub environments: Vec<(String, Environment)>,
    pub promotion: Vec<String>,
    /// GitRepository name → local checkout (relative paths resolved
    /// against the config file's directory).
    pub system_repos: BTreeMap<String, PathBuf>,
    pub platform_repo: Option<PathBuf>,
    pub central_chart: CentralChart,
    pub pattern_c: PatternC,
    pub rules: BTreeMap<String, RuleSetting>,
    pub kubernetes_version: String,
    pub exclude: Vec<String>,
    /// Key names whose values are secret, besides
    /// [`crate::workspace::redact::DEFAULT_SECRET_KEYS`]: never shown in any output.
    pub secret_keys: Vec<String>,
    /// A registration whose system repository has no local checkout is an
    /// error, not an `info` (`requireSystemRepos`, `--require-system-repos`).
    pub require_system_repos: bool,
    /// Where each `systemRepos` entry is written in the config file.
    pub system_repo_positions: BTreeMap<String, Pos>,
    /// The `systemRepos` entries `--system-repo` set (or replaced).
    pub system_repos_from_cli: std::collections::BTreeSet<String>,
    /// Where the config was read from, if from a file.
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Registries {
    /// Allowed registries: a host (`myacr.azurecr.io`) or host/path prefix.
    pub allowed: Vec<String>,
    /// Per-environment allowed lists, used instead of `allowed` there.
    pub environments: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    pub branch: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CentralChart {
    /// The GitRepository that holds the central chart.
    pub source: String,
    pub chart: String,
    pub skus: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatternC {
    pub approved: Vec<String>,
    pub approval_annotation: String,
}

/// `rules: {id: error}` or `rules: {id: {severity: warning, option: value}}`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleSetting {
    /// `None`: the rule's default. `Some(None)`: off.
    pub severity: Option<Option<Severity>>,
    pub options: serde_json::Map<String, Value>,
}

impl Default for Config {
    fn default() -> Self {
        let env = |name: &str, branch: &str| {
            (
                name.to_string(),
                Environment {
                    branch: branch.to_string(),
                },
            )
        };
        Config {
            registries: Registries::default(),
            environments: vec![
                env("experimental", "experimental"),
                env("dev", "dev"),
                env("prod", "master"),
            ],
            promotion: vec!["experimental".into(), "dev".into(), "prod".into()],
            system_repos: BTreeMap::new(),
            platform_repo: None,
            central_chart: CentralChart {
                source: "k8s-platform-charts".into(),
                chart: "./platform-app-chart".into(),
                skus: ["sku-small", "sku-medium", "sku-large", "sku-batch"]
                    .map(String::from)
                    .to_vec(),
            },
            pattern_c: PatternC {
                approved: Vec::new(),
                approval_annotation: "gitops-lint.io/pattern-c-approval".into(),
            },
            rules: BTreeMap::new(),
            kubernetes_version: "1.33".into(),
            exclude: Vec::new(),
            secret_keys: Vec::new(),
            require_system_repos: false,
            system_repo_positions: BTreeMap::new(),
            system_repos_from_cli: Default::default(),
            source: None,
        }
    }
}

impl Config {
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e)
    }

    /// The environment whose branch is `branch`.
    pub fn environment_of_branch(&self, branch: &str) -> Option<&str> {
        self.environments
            .iter()
            .find(|(_, e)| e.branch == branch)
            .map(|(n, _)| n.as_str())
    }

    /// Allowed registries in `env` (its own list if it has one).
    pub fn allowed_registries(&self, env: Option<&str>) -> &[String] {
        env.and_then(|e| self.registries.environments.get(e))
            .unwrap_or(&self.registries.allowed)
    }

    /// A rule option from `rules: {id: {name: value}}`.
    pub fn rule_option(&self, rule: &str, name: &str) -> Option<&Value> {
        self.rules.get(rule)?.options.get(name)
    }
}

/// A configuration error, with the place it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub path: PathBuf,
    pub pos: Option<Pos>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                p.line,
                p.col,
                self.message
            ),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// What the config needs to know about rules to check `rules:` keys.
pub trait RuleCatalog {
    fn has_rule(&self, id: &str) -> bool;
    fn rule_options(&self, id: &str) -> &[&'static str];
}

/// Finds the config: the nearest `.gitops-lint.yaml` at or above `root`.
pub fn discover(root: &Path) -> Option<PathBuf> {
    root.ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|p| p.is_file())
}

pub fn load(path: &Path, rules: &dyn RuleCatalog) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_path_buf(),
        pos: None,
        message: format!("cannot read config: {e}"),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut config = parse(&text, base, path, rules)?;
    config.source = Some(path.to_path_buf());
    Ok(config)
}

/// Parses config text; relative paths are resolved against `base`.
pub fn parse(
    text: &str,
    base: &Path,
    path: &Path,
    rules: &dyn RuleCatalog,
) -> Result<Config, ConfigError> {
    let lines = LineIndex::new(text);
    let stream = yaml::parse(text, &lines);
    let err = |pos: Option<Pos>, message: String| ConfigError {
        path: path.to_path_buf(),
        pos,
        message,
    };
    if let Some(e) = stream.errors.first() {
        return Err(err(Some(e.pos), format!("invalid YAML: {}", e.message)));
    }
    let mut config = Config::default();
    let Some(doc) = stream.docs.first() else {
        return Ok(config);
    };
    let root = doc.root();
    if root.is_null() {
        return Ok(config);
    }
    let reader = Reader { path };
    reader.map(root, "the config")?;
    for (k, v) in root.entries() {
        let key = k.as_str().unwrap_or_default();
        match key {
            "registries" => {
                reader.keys(v, key, &["allowed", "environments"])?;
                if let Some(a) = v.get("allowed") {
                    config.registries.allowed = reader.strings(a, "registries.allowed")?;
                }
                if let Some(envs) = v.get("environments") {
                    reader.map(envs, "registries.environments")?;
                    for (ek, ev) in envs.entries() {
                        let name = reader.string(ek, "environment name")?;
                        let list = reader.strings(ev, "registries.environments.*")?;
                        config.registries.environments.insert(name, list);
                    }
                }
            }
            "environments" => {
                reader.map(v, key)?;
                config.environments.clear();
                for (ek, ev) in v.entries() {
                    let name = reader.string(ek, "environment name")?;
                    reader.keys(ev, "environments.*", &["branch"])?;
                    let branch = match ev.get("branch") {
                        Some(b) => reader.string(b, "branch")?,
                        None => name.clone(),
                    };
                    config.environments.push((name, Environment { branch }));
                }
            }
            "promotion" => config.promotion = reader.strings(v, key)?,
            "systemRepos" => {
                reader.map(v, key)?;
                for (rk, rv) in v.entries() {
                    let name = reader.string(rk, "repository name")?;
                    let dir = reader.string(rv, "repository path")?;
                    config.system_repo_positions.insert(name.clone(), rv.span().start);
                    config.system_repos.insert(name, base.join(dir));
                }
            }
            "platformRepo" => config.platform_repo = Some(base.join(reader.string(v, key)?)),
            "centralChart" => {
                reader.keys(v, key, &["source", "chart", "skus"])?;
                if let Some(s) = v.get("source") {
                    config.central_chart.source = reader.string(s, "centralChart.source")?;
                }
                if let Some(c) = v.get("chart") {
                    config.central_chart.chart = reader.string(c, "centralChart.chart")?;
                }
                if let Some(s) = v.get("skus") {
                    config.central_chart.skus = reader.strings(s, "centralChart.skus")?;
                }
            }
            "patternC" => {
                reader.keys(v, key, &["approved", "approvalAnnotation"])?;
                if let Some(a) = v.get("approved") {
                    config.pattern_c.approved = reader.strings(a, "patternC.approved")?;
                }
                if let Some(a) = v.get("approvalAnnotation") {
                    config.pattern_c.approval_annotation =
                        reader.string(a, "patternC.approvalAnnotation")?;
                }
            }
            "rules" => {
                reader.map(v, key)?;
                for (rk, rv) in v.entries() {
                    let id = reader.string(rk, "rule id")?;
                    if !rules.has_rule(&id) {
                        return Err(err(
                            Some(rk.span().start),
                            format!("unknown rule `{id}` (see `gitops-lint rules`)"),
                        ));
                    }
                    let setting = reader.rule_setting(rv, &id, rules.rule_options(&id))?;
                    config.rules.insert(id, setting);
                }
            }
            "kubernetesVersion" => {
                config.kubernetes_version = match v.as_scalar() {
                    Some(s) => s.value.to_string(),
                    None => return Err(err(Some(v.span().start), "expected a version such as \"1.33\"".into())),
                }
            }
            "exclude" => config.exclude = reader.strings(v, key)?,
            "secretKeys" => config.secret_keys = reader.strings(v, key)?,
            "requireSystemRepos" => config.require_system_repos = reader.bool(v, key)?,
            other => {
                return Err(err(
                    Some(k.span().start),
                    format!(
                        "unknown key `{other}`; expected one of: registries, environments, promotion, systemRepos, platformRepo, centralChart, patternC, rules, kubernetesVersion, exclude, secretKeys, requireSystemRepos"
                    ),
                ))
            }
        }
    }
    for env in &config.promotion {
        if config.environment(env).is_none() {
            return Err(err(
                None,
                format!("promotion names `{env}`, which is not an environment"),
            ));
        }
    }
    Ok(config)
}

struct Reader<'p> {
    path: &'p Path,
}

impl Reader<'_> {
    fn error(&self, node: NodeRef<'_>, message: String) -> ConfigError {
        ConfigError {
            path: self.path.to_path_buf(),
            pos: Some(node.span().start),
            message,
        }
    }

    fn map(&self, node: NodeRef<'_>, what: &str) -> Result<(), ConfigError> {
        if node.is_map() {
            Ok(())
        } else {
            Err(self.error(node, format!("{what} must be a mapping")))
        }
    }

    fn keys(&self, node: NodeRef<'_>, what: &str, allowed: &[&str]) -> Result<(), ConfigError> {
        self.map(node, what)?;
        for (k, _) in node.entries() {
            let key = k.as_str().unwrap_or_default();
            if !allowed.contains(&key) {
                return Err(self.error(
                    k,
                    format!(
                        "unknown key `{key}` in {what}; expected one of: {}",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    fn string(&self, node: NodeRef<'_>, what: &str) -> Result<String, ConfigError> {
        match node.as_scalar() {
            Some(s) if !node.is_null() => Ok(s.value.to_string()),
            _ => Err(self.error(node, format!("{what} must be a string"))),
        }
    }

    fn bool(&self, node: NodeRef<'_>, what: &str) -> Result<bool, ConfigError> {
        match node.typed(Typing::Core) {
            Some(crate::yaml::scalar::Typed::Bool(b)) => Ok(b),
            _ => Err(self.error(node, format!("{what} must be true or false"))),
        }
    }

    fn strings(&self, node: NodeRef<'_>, what: &str) -> Result<Vec<String>, ConfigError> {
        if !node.is_seq() {
            return Err(self.error(node, format!("{what} must be a list of strings")));
        }
        node.items().map(|i| self.string(i, what)).collect()
    }

    fn severity(&self, node: NodeRef<'_>) -> Result<Option<Severity>, ConfigError> {
        let s = self.string(node, "a severity")?;
        if s == "off" {
            return Ok(None);
        }
        Severity::parse(&s).map(Some).ok_or_else(|| {
            self.error(
                node,
                format!("unknown severity `{s}`; expected error, warning, info or off"),
            )
        })
    }

    fn rule_setting(
        &self,
        node: NodeRef<'_>,
        id: &str,
        options: &[&str],
    ) -> Result<RuleSetting, ConfigError> {
        let mut setting = RuleSetting::default();
        if !node.is_map() {
            setting.severity = Some(self.severity(node)?);
            return Ok(setting);
        }
        for (k, v) in node.entries() {
            let key = k.as_str().unwrap_or_default();
            if key == "severity" {
                setting.severity = Some(self.severity(v)?);
            } else if options.contains(&key) {
                setting
                    .options
                    .insert(key.to_string(), to_json(v, Typing::Kubernetes));
            } else {
                let known = if options.is_empty() {
                    "it takes only `severity`".to_string()
                } else {
                    format!("expected severity, {}", options.join(", "))
                };
                return Err(self.error(
                    k,
                    format!("unknown option `{key}` for rule `{id}`; {known}"),
                ));
            }
        }
        Ok(setting)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rules;
    impl RuleCatalog for Rules {
        fn has_rule(&self, id: &str) -> bool {
            id == "image-tag-pinned"
        }
        fn rule_options(&self, _: &str) -> &[&'static str] {
            &["allowLatest"]
        }
    }

    fn parse_str(text: &str) -> Result<Config, ConfigError> {
        parse(
            text,
            Path::new("/repo"),
            Path::new(".gitops-lint.yaml"),
            &Rules,
        )
    }

    #[test]
    fn empty_config_gives_defaults() {
        assert_eq!(parse_str("").unwrap(), Config::default());
        assert!(Config::default().registries.allowed.is_empty());
    }

    #[test]
    fn reads_every_key() {
        let c = parse_str(
            "registries:\n  allowed: [myacr.azurecr.io]\nenvironments:\n  dev: {branch: develop}\npromotion: [dev]\nsystemRepos:\n  k8s-a: ../k8s-a\nrules:\n  image-tag-pinned: {severity: error, allowLatest: true}\nkubernetesVersion: \"1.32\"\nexclude: [\"x/**\"]\n",
        )
        .unwrap();
        assert_eq!(c.registries.allowed, ["myacr.azurecr.io"]);
        assert_eq!(c.environment("dev").unwrap().branch, "develop");
        assert_eq!(c.system_repos["k8s-a"], Path::new("/repo/../k8s-a"));
        let r = &c.rules["image-tag-pinned"];
        assert_eq!(r.severity, Some(Some(Severity::Error)));
        assert_eq!(r.options["allowLatest"], Value::Bool(true));
        assert_eq!(c.kubernetes_version, "1.32");
    }

    #[test]
    fn unknown_keys_are_errors_with_positions() {
        let e = parse_str("registries:\n  allowd: []\n").unwrap_err();
        let pos = e.pos.unwrap();
        assert_eq!((pos.line, pos.col), (2, 3));
        assert!(e.message.contains("allowd"));
        let e = parse_str("rules:\n  no-such-rule: off\n").unwrap_err();
        assert_eq!(e.pos.unwrap().line, 2);
        let e = parse_str("rules:\n  image-tag-pinned: {sev: error}\n").unwrap_err();
        assert_eq!(e.pos.unwrap().col, 22);
    }

    #[test]
    fn init_template_is_the_defaults() {
        assert_eq!(parse_str(INIT_TEMPLATE).unwrap(), Config::default());
    }

    #[test]
    fn rules_can_be_turned_off() {
        let c = parse_str("rules:\n  image-tag-pinned: off\n").unwrap();
        assert_eq!(c.rules["image-tag-pinned"].severity, Some(None));
    }
}
