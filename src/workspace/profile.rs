//! Is this the platform? Which rules a run gets.
//!
//! The platform's conventions (`helmrelease-layout`, the Pattern B and C
//! rules, environments, the private registry) hold in repositories laid out
//! as `../shared/PLATFORM.md` describes, and nowhere else: applied to any
//! Flux repository they are noise. A run is on the `platform` profile when,
//! in this order:
//!
//! 1. `--profile platform` or `profile: platform` says so (and `flux` says
//!    it is not);
//! 2. a repository of the run has `clusters/<env>/systems/` (the checked
//!    repository, or the platform repository given as context);
//! 3. the config sets one of the platform's settings: `environments`,
//!    `centralChart`, `registries` or `patternC`.
//!
//! Otherwise it is on the `flux` profile: the rules marked `profile:
//! platform` in their docs run only when selected by name (`--select`, or a
//! severity under the config's `rules:`).

use super::config::{Config, Profile};

/// The profile of a run, and why, in words for `gitops-lint rules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub profile: Profile,
    pub why: String,
}

/// Decides the profile from the config and the repository-relative paths
/// of the run's files.
pub fn decide<'a>(config: &Config, paths: impl IntoIterator<Item = &'a str>) -> Decided {
    let decided = |profile, why: String| Decided { profile, why };
    if let Some(set) = config.profile {
        return decided(set.profile, format!("set by {}", set.from));
    }
    if let Some(dir) = paths.into_iter().find_map(systems_dir) {
        return decided(
            Profile::Platform,
            format!("the repository is laid out as the platform ({dir}/)"),
        );
    }
    if let Some(key) = config.platform_keys.first() {
        return decided(
            Profile::Platform,
            format!("the config sets the platform's `{key}`"),
        );
    }
    decided(
        Profile::Flux,
        "the repository is not laid out as the platform (no `clusters/<env>/systems/`, no `environments`, `centralChart`, `registries` or `patternC` in the config)".into(),
    )
}

/// `clusters/<env>/systems` when `path` is a file under one.
fn systems_dir(path: &str) -> Option<&str> {
    let mut parts = path.splitn(4, '/');
    let (clusters, env, systems, rest) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (clusters == "clusters" && systems == "systems" && !env.is_empty() && !rest.is_empty())
        .then(|| &path[..clusters.len() + env.len() + systems.len() + 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::config::ProfileSetting;

    #[test]
    fn the_layout_the_config_or_the_user_decides() {
        let config = Config::default();
        let platform = decide(&config, ["README.md", "clusters/dev/systems/payments.yaml"]);
        assert_eq!(platform.profile, Profile::Platform);
        assert_eq!(
            platform.why,
            "the repository is laid out as the platform (clusters/dev/systems/)"
        );
        // A file named `systems` or a directory elsewhere is not the layout.
        let flux = decide(
            &config,
            ["clusters/dev/systems", "apps/clusters/dev/systems/a.yaml"],
        );
        assert_eq!(flux.profile, Profile::Flux);

        let mut configured = Config {
            platform_keys: vec!["registries"],
            ..Config::default()
        };
        let platform = decide(&configured, ["apps/a.yaml"]);
        assert_eq!(platform.why, "the config sets the platform's `registries`");

        configured.profile = Some(ProfileSetting {
            profile: Profile::Flux,
            from: "--profile",
        });
        let flux = decide(&configured, ["clusters/dev/systems/a.yaml"]);
        assert_eq!(
            (flux.profile, flux.why.as_str()),
            (Profile::Flux, "set by --profile")
        );
    }
}
