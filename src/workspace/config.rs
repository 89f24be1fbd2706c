//! `.gitops-lint.yaml`: every key optional, unknown keys an error with their
//! position. Read with the project's own YAML loader, so config errors point
//! at the line and column like any finding.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de;
use serde::Deserialize;
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
systemRepos:
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
rules:
  # image-tag-pinned: error
  # helmrelease-layout: {severity: warning}

kubernetesVersion: "1.33"

# Globs of repository paths not to read.
exclude:
  # - "flux-operator/**"

# Key names whose values are never shown in any output, besides the built-in
# ones (password, secret, token, apiKey, connectionString, privateKey, ...).
secretKeys: []             # e.g. [sasSignature]

# A registration whose system repository has no local checkout fails the run
# (for a pull-request gate); otherwise it is reported as info.
requireSystemRepos: false

# Objects that exist outside Git (made by the Secrets Store CSI driver,
# External Secrets, an operator, a bootstrap pipeline): never reported as
# missing by dangling-ref. Each of kind, namespace and name is a glob
# (`*` any text, `?` one character); one left out matches anything.
externalObjects:
  # - {kind: Secret, namespace: "*", name: "*-kv-sync"}

# Flux is installed by the Flux Operator (known anyway when a FluxInstance is
# in the repositories): Alerts and Receivers may then name its kinds.
fluxOperator: false

# Which rules run: `platform` (every rule) or `flux` (only the rules that hold
# for any Flux repository; the platform's conventions run when named under
# `rules:`). Left out: `platform` where the repository has
# clusters/<env>/systems/, or this file gives environments, centralChart,
# registries or patternC other values than these defaults; else `flux`.
# profile: platform
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
    /// Objects known to exist outside Git (`externalObjects`).
    pub external_objects: Vec<ExternalObject>,
    /// Flux is installed by the Flux Operator (`fluxOperator`; also known
    /// when the workspace holds a FluxInstance).
    pub flux_operator: bool,
    /// `profile:` in the file or `--profile`: which rules run (see
    /// [`crate::workspace::profile`]); `None` decides from the layout.
    pub profile: Option<ProfileSetting>,
    /// The platform's settings the file sets (`environments`,
    /// `centralChart`, `registries`, `patternC`): a repository configured
    /// as the platform is one.
    pub platform_keys: Vec<&'static str>,
    /// Where each setting that is not a default came from, by its key in
    /// the file (`registries`, `rules.image-tag-pinned`): a file's
    /// `path:line:col`, or the command-line option (`--show-settings`).
    pub origins: BTreeMap<String, String>,
}

/// A profile chosen by the user, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileSetting {
    pub profile: Profile,
    /// `--profile` or `` `profile:` in the config ``.
    pub from: &'static str,
}

/// Which rules a repository gets: every rule (`platform`), or only those
/// that hold for any Flux repository (`flux`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Platform,
    Flux,
}

impl Profile {
    pub fn parse(s: &str) -> Option<Profile> {
        match s {
            "platform" => Some(Profile::Platform),
            "flux" => Some(Profile::Flux),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Profile::Platform => "platform",
            Profile::Flux => "flux",
        }
    }
}

/// An object that exists outside Git: kind, namespace and name globs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalObject {
    #[serde(default = "any")]
    pub kind: String,
    #[serde(default = "any")]
    pub namespace: String,
    #[serde(default = "any")]
    pub name: String,
}

fn any() -> String {
    "*".to_string()
}

impl Config {
    /// Whether `externalObjects` lists `kind` `namespace/name` (a missing
    /// namespace matches any pattern).
    pub fn is_external(&self, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        self.external_objects.iter().any(|o| {
            glob_match(&o.kind, kind)
                && namespace.is_none_or(|ns| glob_match(&o.namespace, ns))
                && glob_match(&o.name, name)
        })
    }
}

/// `*` matches any text, `?` one character; everything else itself.
fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Classic two-pointer match with one backtrack point for `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
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
            external_objects: Vec::new(),
            flux_operator: false,
            profile: None,
            platform_keys: Vec::new(),
            origins: BTreeMap::new(),
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
    /// The message for an id that is not a rule (with the nearest id).
    fn unknown_rule(&self, id: &str) -> String;
    fn rule_options(&self, id: &str) -> &[&'static str];
}

/// Finds the config: the nearest `.gitops-lint.yaml` at or above `root`.
pub fn discover(root: &Path) -> Option<PathBuf> {
    root.ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|p| p.is_file())
}

pub fn load(path: &Path, rules: &dyn RuleCatalog) -> Result<Config, ConfigError> {
    load_onto(Config::default(), path, rules)
}

/// The config file at `path` over `under`: what the file sets wins, key by
/// key (a rule by rule under `rules:`); the rest is `under`'s.
pub fn load_onto(
    under: Config,
    path: &Path,
    rules: &dyn RuleCatalog,
) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_path_buf(),
        pos: None,
        message: format!("cannot read config: {e}"),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut config = parse_onto(under, &text, base, path, rules)?;
    config.source = Some(path.to_path_buf());
    Ok(config)
}

impl Config {
    /// Every setting as the file would write it, resolved (defaults
    /// included), in the order `gitops-lint init` lists them; `rules` as
    /// one entry per configured rule (`rules.<id>`).
    pub fn settings(&self) -> Vec<(String, Value)> {
        use serde_json::json;
        let strings = |v: &[String]| json!(v);
        let mut out: Vec<(String, Value)> = vec![
            ("kubernetesVersion".into(), json!(self.kubernetes_version)),
            (
                "profile".into(),
                json!(self.profile.map(|p| p.profile.name())),
            ),
            (
                "registries".into(),
                json!({"allowed": self.registries.allowed, "environments": self.registries.environments}),
            ),
            (
                "environments".into(),
                Value::Object(
                    self.environments
                        .iter()
                        .map(|(name, e)| (name.clone(), json!({"branch": e.branch})))
                        .collect(),
                ),
            ),
            ("promotion".into(), strings(&self.promotion)),
            (
                "systemRepos".into(),
                Value::Object(
                    self.system_repos
                        .iter()
                        .map(|(name, dir)| (name.clone(), json!(dir.display().to_string())))
                        .collect(),
                ),
            ),
            (
                "platformRepo".into(),
                json!(self.platform_repo.as_ref().map(|p| p.display().to_string())),
            ),
            (
                "centralChart".into(),
                json!({"source": self.central_chart.source, "chart": self.central_chart.chart, "skus": self.central_chart.skus}),
            ),
            (
                "patternC".into(),
                json!({"approved": self.pattern_c.approved, "approvalAnnotation": self.pattern_c.approval_annotation}),
            ),
            ("exclude".into(), strings(&self.exclude)),
            ("secretKeys".into(), strings(&self.secret_keys)),
            (
                "requireSystemRepos".into(),
                json!(self.require_system_repos),
            ),
            (
                "externalObjects".into(),
                Value::Array(
                    self.external_objects
                        .iter()
                        .map(|o| json!({"kind": o.kind, "namespace": o.namespace, "name": o.name}))
                        .collect(),
                ),
            ),
            ("fluxOperator".into(), json!(self.flux_operator)),
        ];
        for (id, setting) in &self.rules {
            let mut v = setting.options.clone();
            if let Some(severity) = setting.severity {
                let name = severity.map_or("off", |s| s.as_str());
                v.insert("severity".into(), json!(name));
            }
            out.push((format!("rules.{id}"), Value::Object(v)));
        }
        out
    }

    /// The settings a system repository's run inherits from the platform's
    /// config (`--platform-repo`): everything but what names the platform
    /// repository's own checkouts (`systemRepos`, `platformRepo`).
    pub fn inherited(mut self) -> Config {
        self.system_repos.clear();
        self.system_repo_positions.clear();
        self.platform_repo = None;
        self.origins
            .retain(|k, _| k != "systemRepos" && k != "platformRepo");
        self.source = None;
        self
    }
}

/// The config file as written: every key optional, unknown keys refused
/// (with their line, column and the keys that are accepted).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawConfig {
    registries: Option<RawRegistries>,
    environments: Option<Ordered<RawEnvironment>>,
    promotion: Option<Vec<String>>,
    system_repos: Option<Ordered<String>>,
    platform_repo: Option<String>,
    central_chart: Option<RawCentralChart>,
    #[serde(rename = "patternC")]
    pattern_c: Option<RawPatternC>,
    /// Read with the rule catalog, which knows each rule's options.
    #[serde(rename = "rules")]
    _rules: Option<de::IgnoredAny>,
    kubernetes_version: Option<String>,
    exclude: Option<Vec<String>>,
    secret_keys: Option<Vec<String>>,
    require_system_repos: Option<bool>,
    external_objects: Option<Vec<ExternalObject>>,
    flux_operator: Option<bool>,
    /// Checked against [`Profile::parse`] where its position is known.
    #[serde(rename = "profile")]
    _profile: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistries {
    allowed: Option<Vec<String>>,
    environments: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvironment {
    branch: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCentralChart {
    source: Option<String>,
    chart: Option<String>,
    skus: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawPatternC {
    approved: Option<Vec<String>>,
    approval_annotation: Option<String>,
}

/// A mapping read in the order it is written (environments keep theirs).
struct Ordered<T>(Vec<(String, T)>);

impl<'d, T: Deserialize<'d>> Deserialize<'d> for Ordered<T> {
    fn deserialize<D: de::Deserializer<'d>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<T>(std::marker::PhantomData<T>);
        impl<'d, T: Deserialize<'d>> de::Visitor<'d> for Entries<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: de::MapAccess<'d>>(self, mut map: A) -> Result<Ordered<T>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(Entries(std::marker::PhantomData))
    }
}

/// Parses config text; relative paths are resolved against `base`.
pub fn parse(
    text: &str,
    base: &Path,
    path: &Path,
    rules: &dyn RuleCatalog,
) -> Result<Config, ConfigError> {
    parse_onto(Config::default(), text, base, path, rules)
}

/// Parses config text over `under` (see [`load_onto`]).
fn parse_onto(
    under: Config,
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
    let Some(root) = stream
        .docs
        .first()
        .map(|d| d.root())
        .filter(|r| !r.is_null())
    else {
        return Ok(under);
    };
    let raw: RawConfig = yaml::de::from_node(root).map_err(|e| err(e.pos, e.message))?;
    let mut config = under;
    raw.apply(&mut config, base);
    let at = |node: NodeRef<'_>| {
        let pos = node.span().start;
        format!("{}:{}:{}", path.display(), pos.line, pos.col)
    };
    for (k, _) in root.entries() {
        if let Some(key) = k.as_str().filter(|k| *k != "rules") {
            config.origins.insert(key.to_string(), at(k));
        }
    }
    config.platform_keys = platform_keys(&config);
    if let Some(node) = root.get("systemRepos") {
        for (k, v) in node.entries() {
            if let Some(name) = k.as_str() {
                config
                    .system_repo_positions
                    .insert(name.to_string(), v.span().start);
            }
        }
    }
    if let Some(node) = root.get("rules") {
        let reader = Reader { path };
        config.rules.extend(reader.rules(node, rules)?);
        for (k, _) in node.entries() {
            if let Some(id) = k.as_str() {
                config.origins.insert(format!("rules.{id}"), at(k));
            }
        }
    }
    if let Some(node) = root.get("profile").filter(|n| !n.is_null()) {
        let profile = node.as_str().and_then(Profile::parse).ok_or_else(|| {
            err(
                Some(node.span().start),
                "profile must be `platform` or `flux`".into(),
            )
        })?;
        config.profile = Some(ProfileSetting {
            profile,
            from: "`profile:` in the config",
        });
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

/// The platform's settings a config gives other values than the defaults
/// (the commented file `gitops-lint init` writes gives none).
fn platform_keys(config: &Config) -> Vec<&'static str> {
    let default = Config::default();
    [
        ("environments", config.environments != default.environments),
        (
            "centralChart",
            config.central_chart != default.central_chart,
        ),
        ("registries", config.registries != default.registries),
        ("patternC", config.pattern_c != default.pattern_c),
    ]
    .into_iter()
    .filter_map(|(key, set)| set.then_some(key))
    .collect()
}

impl RawConfig {
    /// Sets what the file sets; the rest keeps its default.
    fn apply(self, config: &mut Config, base: &Path) {
        if let Some(r) = self.registries {
            set(&mut config.registries.allowed, r.allowed);
            set(&mut config.registries.environments, r.environments);
        }
        if let Some(envs) = self.environments {
            config.environments = envs
                .0
                .into_iter()
                .map(|(name, e)| {
                    let branch = e.branch.unwrap_or_else(|| name.clone());
                    (name, Environment { branch })
                })
                .collect();
        }
        set(&mut config.promotion, self.promotion);
        for (name, dir) in self.system_repos.map(|o| o.0).unwrap_or_default() {
            config.system_repos.insert(name, base.join(dir));
        }
        config.platform_repo = self.platform_repo.map(|p| base.join(p));
        if let Some(c) = self.central_chart {
            set(&mut config.central_chart.source, c.source);
            set(&mut config.central_chart.chart, c.chart);
            set(&mut config.central_chart.skus, c.skus);
        }
        if let Some(p) = self.pattern_c {
            set(&mut config.pattern_c.approved, p.approved);
            set(
                &mut config.pattern_c.approval_annotation,
                p.approval_annotation,
            );
        }
        set(&mut config.kubernetes_version, self.kubernetes_version);
        set(&mut config.exclude, self.exclude);
        set(&mut config.secret_keys, self.secret_keys);
        set(&mut config.require_system_repos, self.require_system_repos);
        set(&mut config.external_objects, self.external_objects);
        set(&mut config.flux_operator, self.flux_operator);
    }
}

/// `field = value` when the file gives a value.
fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}

struct Reader<'p> {
    path: &'p Path,
}

impl Reader<'_> {
    /// `rules:`: each id must be a rule of the catalog, each option one
    /// the rule takes.
    fn rules(
        &self,
        node: NodeRef<'_>,
        catalog: &dyn RuleCatalog,
    ) -> Result<BTreeMap<String, RuleSetting>, ConfigError> {
        let mut out = BTreeMap::new();
        if !node.is_map() && !node.is_null() {
            return Err(self.error(node, "rules must be a mapping".into()));
        }
        for (k, v) in node.entries() {
            let id = self.string(k, "rule id")?;
            if !catalog.has_rule(&id) {
                return Err(self.error(k, catalog.unknown_rule(&id)));
            }
            let setting = self.rule_setting(v, &id, catalog.rule_options(&id))?;
            out.insert(id, setting);
        }
        Ok(out)
    }

    fn error(&self, node: NodeRef<'_>, message: String) -> ConfigError {
        ConfigError {
            path: self.path.to_path_buf(),
            pos: Some(node.span().start),
            message,
        }
    }

    fn string(&self, node: NodeRef<'_>, what: &str) -> Result<String, ConfigError> {
        match node.as_scalar() {
            Some(s) if !node.is_null() => Ok(s.value.to_string()),
            _ => Err(self.error(node, format!("{what} must be a string"))),
        }
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
            ["image-tag-pinned", "helmrelease-layout"].contains(&id)
        }
        fn unknown_rule(&self, id: &str) -> String {
            format!("unknown rule `{id}`")
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
        // Every key is written (with its default value), so every key has
        // the template as its origin.
        let mut config = parse_str(INIT_TEMPLATE).unwrap();
        assert!(config.origins.contains_key("registries"));
        config.origins.clear();
        assert_eq!(config, Config::default());
    }

    /// A commented example of the template: `# key: …` or `# - …` (prose
    /// comments start with words).
    fn example_line(line: &str) -> Option<String> {
        let indent = line.len() - line.trim_start().len();
        let body = line.trim_start().strip_prefix("# ")?;
        let text = body.trim_start();
        let key = text.split_once(':').is_some_and(|(k, _)| {
            !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        (key || text.starts_with("- ")).then(|| format!("{}{body}", " ".repeat(indent)))
    }

    #[test]
    fn every_example_of_init_uncommented_is_valid() {
        let lines: Vec<&str> = INIT_TEMPLATE.lines().collect();
        // Each run of consecutive example lines is one example.
        let mut examples: Vec<Vec<usize>> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if example_line(line).is_none() {
                continue;
            }
            match examples.last_mut() {
                Some(run) if run.last() == Some(&(i - 1)) => run.push(i),
                _ => examples.push(vec![i]),
            }
        }
        assert!(examples.len() >= 6, "{examples:?}");
        let uncomment = |which: &[usize]| -> String {
            let mut out = String::new();
            for (i, line) in lines.iter().enumerate() {
                match which.contains(&i) {
                    true => out.push_str(&example_line(line).unwrap()),
                    false => out.push_str(line),
                }
                out.push('\n');
            }
            out
        };
        for run in &examples {
            let text = uncomment(run);
            let config = parse_str(&text).unwrap_or_else(|e| {
                panic!(
                    "uncommenting line {} of the template: {e:?}\n{text}",
                    run[0] + 1
                )
            });
            assert_ne!(
                config,
                Config::default(),
                "line {}: the example sets nothing",
                run[0] + 1
            );
        }
        let all: Vec<usize> = examples.concat();
        parse_str(&uncomment(&all)).expect("every example at once");
    }

    #[test]
    fn profile_and_the_platform_settings_a_config_gives() {
        let c = parse_str("registries: {allowed: [myacr.azurecr.io]}\nenvironments: {dev: {branch: dev}}\npromotion: [dev]\n").unwrap();
        assert_eq!(c.platform_keys, ["environments", "registries"]);
        // The defaults written out are not the platform's settings.
        let c =
            parse_str("registries: {allowed: []}\ncentralChart: {source: k8s-platform-charts}\n")
                .unwrap();
        assert!(c.platform_keys.is_empty(), "{:?}", c.platform_keys);
        let c = parse_str("profile: flux\n").unwrap();
        assert_eq!(c.profile.map(|p| p.profile), Some(Profile::Flux));
        let e = parse_str("profile: platfrom\n").unwrap_err();
        assert_eq!(e.pos.map(|p| (p.line, p.col)), Some((1, 10)));
        assert_eq!(e.message, "profile must be `platform` or `flux`");
    }

    #[test]
    fn wrong_types_are_errors_at_the_value() {
        let e = parse_str("registries:\n  allowed: myacr.azurecr.io\n").unwrap_err();
        assert_eq!(e.pos.map(|p| (p.line, p.col)), Some((2, 12)));
        assert!(e.message.contains("expected a sequence"), "{}", e.message);
        let e = parse_str("environments:\n  dev: {branch: [a]}\n").unwrap_err();
        assert_eq!(e.pos.map(|p| (p.line, p.col)), Some((2, 17)));
        let e = parse_str("externalObjects: [{kind: Secret, nmae: x}]\n").unwrap_err();
        assert!(e.message.contains("nmae"), "{}", e.message);
        let e = parse_str("requireSystemRepos: maybe\n").unwrap_err();
        assert_eq!(e.pos.map(|p| (p.line, p.col)), Some((1, 21)));
        let e = parse_str("rules: [image-tag-pinned]\n").unwrap_err();
        assert_eq!(e.pos.map(|p| p.line), Some(1));
    }

    #[test]
    fn unknown_keys_name_the_accepted_ones() {
        let e = parse_str("centralChart:\n  charts: x\n").unwrap_err();
        assert_eq!(e.pos.map(|p| (p.line, p.col)), Some((2, 3)));
        assert!(
            e.message.contains("`charts`") && e.message.contains("`skus`"),
            "{}",
            e.message
        );
        let e = parse_str("patternc: {}\n").unwrap_err();
        assert!(e.message.contains("`patternC`"), "{}", e.message);
    }

    #[test]
    fn a_version_is_read_as_written() {
        assert_eq!(
            parse_str("kubernetesVersion: 1.30\n")
                .unwrap()
                .kubernetes_version,
            "1.30"
        );
    }

    #[test]
    fn environments_keep_their_order_and_default_their_branch() {
        let c =
            parse_str("environments:\n  prod: {branch: main}\n  dev: {}\npromotion: [dev, prod]\n")
                .unwrap();
        let names: Vec<_> = c
            .environments
            .iter()
            .map(|(n, e)| (n.as_str(), e.branch.as_str()))
            .collect();
        assert_eq!(names, [("prod", "main"), ("dev", "dev")]);
    }

    #[test]
    fn rules_can_be_turned_off() {
        let c = parse_str("rules:\n  image-tag-pinned: off\n").unwrap();
        assert_eq!(c.rules["image-tag-pinned"].severity, Some(None));
    }

    #[test]
    fn external_objects_match_by_glob() {
        let c = parse_str("externalObjects:\n  - {kind: Secret, name: '*-kv-sync'}\n  - {kind: ConfigMap, namespace: 'team-?', name: settings}\n").unwrap();
        assert!(c.is_external("Secret", Some("apps"), "db-kv-sync"));
        assert!(!c.is_external("Secret", Some("apps"), "db-kv-sync-2"));
        assert!(c.is_external("ConfigMap", Some("team-a"), "settings"));
        assert!(!c.is_external("ConfigMap", Some("team-ab"), "settings"));
        assert!(!c.is_external("ConfigMap", Some("team-a"), "other"));
        assert!(glob_match("*a*b", "xxaybzb"));
        assert!(!glob_match("a*", "ba"));
    }
}
