//! One mistake, one finding.
//!
//! Two rules may see the same mistake: an scp-like Git URL fails both
//! `no-scp-ssh-url` and the schema's URL pattern; a misspelt
//! `targetNamspace` is both an unknown field (`schema`) and a missing
//! `spec.targetNamespace` (`helmrelease-layout`). When one finding explains
//! another, only the more specific one is reported. The order is defined
//! here, once, and applied to the findings of one object (as rendered, or
//! one document as written), so a mistake in one cluster's rendering never
//! hides a finding of another's:
//!
//! 1. **A misspelt field explains its absence.** A finding that a key is
//!    unknown and most likely means field `F` outranks every finding (of
//!    any rule, `schema` included) that the object does not set `F`.
//! 2. **A dedicated rule outranks `schema` on the same value.** At the
//!    same file, line and column, a finding of another rule outranks the
//!    `schema` finding when it is at least as severe: it says why, and
//!    usually carries the fix.
//!
//! The finding that is kept says so in its help, so the cause of the other
//! is not lost.

use crate::base::finding::{Concern, Finding};
use crate::workspace::config::Config;

use super::severity_of;

const SCHEMA: &str = "schema";

/// The findings of one object, without those another finding explains.
pub fn resolve(batch: Vec<Finding>, config: &Config) -> Vec<Finding> {
    if batch.len() < 2 {
        return batch;
    }
    let explained_by: Vec<Option<usize>> = (0..batch.len())
        .map(|i| (0..batch.len()).find(|&j| j != i && explains(&batch[j], &batch[i], config)))
        .collect();
    let mut notes: Vec<Vec<String>> = vec![Vec::new(); batch.len()];
    for (i, by) in explained_by.iter().enumerate() {
        if let Some(j) = *by {
            let note = match batch[i].rule == batch[j].rule {
                true => format!("this is also why: {}", batch[i].message),
                false => format!(
                    "this is also why `{}` reports: {}",
                    batch[i].rule, batch[i].message
                ),
            };
            if !notes[j].contains(&note) {
                notes[j].push(note);
            }
        }
    }
    batch
        .into_iter()
        .zip(explained_by)
        .zip(notes)
        .filter(|((_, by), _)| by.is_none())
        .map(|((mut f, _), notes)| {
            for note in notes {
                f.help = Some(match f.help.take() {
                    Some(help) => format!("{help}\n{note}"),
                    None => note,
                });
            }
            f
        })
        .collect()
}

/// Whether `winner` explains `loser` (see the module's order).
fn explains(winner: &Finding, loser: &Finding, config: &Config) -> bool {
    if let (Some(Concern::Misspelt(meant)), Some(Concern::Unset(unset))) =
        (&winner.concern, &loser.concern)
    {
        return meant == unset;
    }
    loser.rule == SCHEMA
        && winner.rule != SCHEMA
        && winner.path == loser.path
        && winner.span.start == loser.span.start
        && severity_of(winner, config) >= severity_of(loser, config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::{Pos, Span};

    fn at(rule: &'static str, line: u32, col: u32) -> Finding {
        let pos = Pos {
            line,
            col,
            offset: 0,
        };
        Finding::new(
            rule,
            "f.yaml",
            Span {
                start: pos,
                end: pos,
            },
            format!("{rule} says"),
        )
    }

    fn rules(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.rule).collect()
    }

    #[test]
    fn a_dedicated_rule_outranks_schema_on_the_same_value_only() {
        let config = Config::default();
        let kept = resolve(vec![at(SCHEMA, 3, 8), at("no-scp-ssh-url", 3, 8)], &config);
        assert_eq!(rules(&kept), ["no-scp-ssh-url"]);
        assert_eq!(
            kept[0].help.as_deref(),
            Some("this is also why `schema` reports: schema says")
        );
        // Elsewhere in the object, both stand.
        let kept = resolve(vec![at(SCHEMA, 3, 9), at("no-scp-ssh-url", 3, 8)], &config);
        assert_eq!(rules(&kept), [SCHEMA, "no-scp-ssh-url"]);
        // A warning does not hide an error.
        let kept = resolve(vec![at(SCHEMA, 3, 8), at("yaml-truthy", 3, 8)], &config);
        assert_eq!(rules(&kept), [SCHEMA, "yaml-truthy"]);
    }

    #[test]
    fn a_misspelt_field_explains_its_absence() {
        let config = Config::default();
        let typo = at(SCHEMA, 7, 3).misspelt("spec.targetNamespace");
        let missing = at("helmrelease-layout", 5, 1).unset("spec.targetNamespace");
        let other = at("helmrelease-layout", 5, 1).unset("spec.install.createNamespace");
        let kept = resolve(vec![missing, typo, other], &config);
        assert_eq!(rules(&kept), [SCHEMA, "helmrelease-layout"]);
        assert_eq!(
            kept[1].concern,
            Some(Concern::Unset("spec.install.createNamespace".into()))
        );
    }

    /// Every rule over one file.
    fn all_rules(path: &str, text: &str) -> Vec<Finding> {
        let ws = crate::engine::testing::workspace(&[(path, text)], "");
        crate::engine::testing::run_rules(crate::rules::RULES, &ws)
    }

    #[test]
    fn an_scp_url_is_one_finding_with_its_fix() {
        let git = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: app, namespace: flux-system}\nspec:\n  interval: 5m\n  url: git@github.com:org/app.git\n  ref: {branch: main}\n";
        let f = all_rules("sources/app.yaml", git);
        assert_eq!(rules(&f), ["no-scp-ssh-url"], "{f:#?}");
        assert!(f[0].fix.is_some());
        // Alone, `schema` still says what the API server would say.
        let schema = crate::rules::RULES
            .iter()
            .find(|r| r.id() == SCHEMA)
            .unwrap();
        let f = crate::engine::testing::run_rule(*schema, &[("sources/app.yaml", git)], "");
        assert_eq!(rules(&f), [SCHEMA], "{f:#?}");
        assert!(
            f[0].message.contains("must match the pattern"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn a_misspelt_field_is_one_finding_at_the_typo() {
        let release = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n  namespace: flux-system\nspec:\n  interval: 10m\n  targetNamspace: web\n  chart:\n    spec:\n      chart: web\n      sourceRef: {kind: HelmRepository, name: charts}\n  install: {createNamespace: true}\n  upgrade: {cleanupOnFail: true}\n";
        let f = all_rules("apps/web.yaml", release);
        // References to objects and paths not in this one-file repository aside.
        let own: Vec<_> = f
            .iter()
            .filter(|f| !["dangling-ref", "missing-path"].contains(&f.rule))
            .collect();
        assert_eq!(own.len(), 1, "{f:#?}");
        assert_eq!(
            (own[0].rule, own[0].span.start.line, own[0].span.start.col),
            (SCHEMA, 8, 3)
        );
        assert!(
            own[0]
                .help
                .as_deref()
                .unwrap_or("")
                .contains("this is also why `helmrelease-layout`"),
            "{:?}",
            own[0].help
        );
        // The same typo in a Kustomization's `prune`: one finding too.
        let ks = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\nspec:\n  interval: 10m\n  path: ./apps\n  prnue: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n";
        let f = all_rules("clusters/dev/apps.yaml", ks);
        // References to objects and paths not in this one-file repository aside.
        let own: Vec<_> = f
            .iter()
            .filter(|f| !["dangling-ref", "missing-path"].contains(&f.rule))
            .collect();
        assert_eq!(
            rules(&own.into_iter().cloned().collect::<Vec<_>>()),
            [SCHEMA],
            "{f:#?}"
        );
    }
}
