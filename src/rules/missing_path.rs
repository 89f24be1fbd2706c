//! `missing-path`: a Kustomization `spec.path`, a HelmRelease chart
//! directory (with its `Chart.yaml`), a `valuesFiles` entry, or a kustomize
//! resource/patch that does not exist in the repository it resolves to.
//! Only resolved repositories are judged: a registration whose repository has
//! no local checkout is one `info` finding, not a cascade of errors.
//!
//! The graph records where following the workspace broke ([`GapKind`]);
//! this rule says it.

use crate::base::finding::{Findings, Severity};
use std::collections::HashSet;

use crate::base::ids::{FileId, RepoId};
use crate::engine::registry::ids;
use crate::engine::{declare_rule, Rule, RunContext};
use crate::graph::{GapKind, Target};
use crate::render::kustomize::ProblemKind;

declare_rule!(MissingPath, ids::MISSING_PATH);

/// What a finding says about one gap.
struct Words<'g> {
    message: String,
    help: Option<&'static str>,
    severity: Option<Severity>,
    /// The place that was expected, and what was expected there.
    expected: Option<(&'g Target, &'static str)>,
}

impl<'g> Words<'g> {
    /// A path that is not there: an error, pointing at where it was
    /// expected.
    fn missing(message: String, help: &'static str, target: &'g Target, what: &'static str) -> Self {
        Words {
            message,
            help: Some(help),
            severity: None,
            expected: Some((target, what)),
        }
    }
}

impl Rule for MissingPath {
    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        for gap in &cx.graph().gaps {
            let Some(words) = words(cx, &gap.kind) else {
                continue;
            };
            let mut f = cx.finding_at(ID, gap.file, Some(gap.doc), gap.span, words.message);
            if let Some(help) = words.help {
                f = f.with_help(help);
            }
            if let Some(severity) = words.severity {
                f = f.with_severity(severity);
            }
            if let Some((target, what)) = words.expected {
                f = f.with_related(cx.related_at(target, format!("{what} expected here")));
            }
            out.push(f);
        }
        missing_in_renderings(cx, out);
    }
}

/// What the renderings found missing where the graph does not follow
/// (kustomizations reached only through what Flux applies: a child
/// Kustomization a parent's build produced), once per place.
fn missing_in_renderings(cx: &RunContext<'_>, out: &mut Findings) {
    let mut seen: HashSet<(FileId, usize)> = cx
        .graph()
        .gaps
        .iter()
        .map(|g| (g.file, g.span.start.offset))
        .collect();
    for rendering in cx.renderings().all() {
        for p in rendering.problems.iter().filter(|p| p.kind == ProblemKind::Missing) {
            if !seen.insert((p.file, p.span.start.offset)) {
                continue;
            }
            let mut f = cx
                .finding_at(ID, p.file, None, p.span, &p.message)
                .with_help("kustomize fails on a path that is not there: Flux applies nothing of this Kustomization until it is fixed");
            // Deleting the path is a change that causes this finding.
            if let Some((repo, rel)) = &p.missing {
                f = f.depends_on(format!("{}{rel}", cx.graph().display_prefix[*repo]));
            }
            out.push(f);
        }
    }
}

/// The words for a gap of this rule; `None` for other rules' gaps.
fn words<'g>(cx: &RunContext<'_>, gap: &'g GapKind) -> Option<Words<'g>> {
    let label = |target: &Target| repo_label(cx, target.repo);
    Some(match gap {
        GapKind::NoCheckout { source, kind, name } => Words {
            message: format!(
                "GitRepository '{source}' has no local checkout, so {kind} '{name}' (and every other registration of it) is not followed into it; pass `--system-repo {source}=DIR` or add it to `systemRepos`"
            ),
            help: Some("paths, charts and patterns of an unresolved system repository are not checked; `requireSystemRepos: true` makes this an error"),
            severity: Some(if cx.config.require_system_repos {
                Severity::Error
            } else {
                Severity::Info
            }),
            expected: None,
        },
        GapKind::KustomizationPath { kind, name, path, target, is_file } => {
            let what = if *is_file {
                format!("a file in {}; Flux needs a directory", label(target))
            } else {
                format!("which does not exist in {}", label(target))
            };
            Words::missing(
                format!("{kind} '{name}' has `spec.path: {path}`, {what}"),
                "create the directory, or point `spec.path` at an existing one",
                target,
                "directory",
            )
        }
        GapKind::Patch { entry, target } => Words::missing(
            format!("patch `{entry}` does not exist in {}", label(target)),
            "kustomize fails the whole build on a missing patch file",
            target,
            "patch file",
        ),
        GapKind::RemoteEntry { key, entry } => Words {
            message: format!("kustomize {key} entry `{entry}` is remote; it is not followed, so what it defines is not checked"),
            help: None,
            severity: Some(Severity::Info),
            expected: None,
        },
        GapKind::DirectoryWithoutKustomization { key, entry, target } => Words::missing(
            format!("kustomize {key} entry `{entry}` is a directory without a kustomization.yaml"),
            "add a kustomization.yaml there, or list its files one by one",
            target,
            "kustomization.yaml",
        ),
        GapKind::Resource { key, entry, target } => Words::missing(
            format!("kustomize {key} entry `{entry}` does not exist in {}", label(target)),
            "kustomize fails the whole build on a missing resource",
            target,
            "file or directory",
        ),
        GapKind::GeneratorFile { key, path, target } => Words::missing(
            format!("{key} file `{path}` does not exist in {}", label(target)),
            "kustomize fails the whole build on a missing generator file",
            target,
            "file",
        ),
        GapKind::Chart { release, chart, dir_exists, target } => {
            let (what, expected) = if *dir_exists {
                (format!("a directory without Chart.yaml in {}", label(target)), "Chart.yaml")
            } else {
                (format!("which does not exist in {}", label(target)), "chart directory")
            };
            Words::missing(
                format!("HelmRelease '{release}' uses chart `{chart}`, {what}"),
                "point `spec.chart.spec.chart` at a directory holding Chart.yaml",
                target,
                expected,
            )
        }
        GapKind::ValuesFile { release, entry, target } => Words::missing(
            format!("HelmRelease '{release}' lists values file `{entry}`, which does not exist in {}", label(target)),
            "fix the path, or set `spec.chart.spec.ignoreMissingValuesFiles: true` if the file is optional",
            target,
            "values file",
        ),
        GapKind::OtherEnvironment { .. } | GapKind::MixedValuesEnvironments { .. } => return None,
    })
}

/// "this repository", or "repository 'k8s-orders'".
fn repo_label(cx: &RunContext<'_>, repo: RepoId) -> String {
    if repo == RepoId::new(0) {
        "this repository".to_string()
    } else {
        format!("repository '{}'", cx.workspace.repos[repo].name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    const GIT: &str = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: flux-system, namespace: flux-system}\nspec: {url: https://example.com/x, ref: {branch: dev}}\n";

    fn ks(path: &str) -> String {
        format!("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: {path}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n")
    }

    #[test]
    fn reports_a_kustomization_path_that_is_not_there() {
        let text = ks("./apps/dev");
        let f = run_rule(
            RULE,
            &[("clusters/dev/sync.yaml", GIT), ("clusters/dev/apps.yaml", &text)],
            "",
        );
        assert_eq!(positions(&f), [(ID, 7, 9)]);
        assert!(f[0].message.contains("./apps/dev"), "{}", f[0].message);
        assert_eq!(f[0].related[0].path, "apps/dev");
    }

    #[test]
    fn an_existing_path_is_fine() {
        let text = ks("./apps/dev");
        let f = run_rule(
            RULE,
            &[
                ("clusters/dev/apps.yaml", &text),
                ("apps/dev/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"),
            ],
            "",
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn follows_overlays_and_reports_missing_resources_and_patches() {
        let text = ks("./apps");
        let f = run_rule(
            RULE,
            &[
                ("clusters/dev/apps.yaml", &text),
                (
                    "apps/kustomization.yaml",
                    "resources:\n  - base\n  - gone.yaml\n  - https://github.com/x/y//z?ref=v1\npatches:\n  - path: patch.yaml\n",
                ),
                ("apps/base/kustomization.yaml", "resources: [cm.yaml]\n"),
                ("apps/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"),
            ],
            "",
        );
        let p: Vec<_> = f.iter().map(|f| (f.path.as_str(), f.span.start.line, f.severity)).collect();
        use crate::base::finding::Severity::*;
        assert_eq!(
            p,
            [
                ("apps/kustomization.yaml", 3, Error),
                ("apps/kustomization.yaml", 4, Info),
                ("apps/kustomization.yaml", 6, Error),
            ]
        );
    }

    #[test]
    fn an_unresolved_system_repo_is_one_info() {
        let text = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: k8s-x, namespace: flux-system}\nspec: {url: https://example.com/x}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: x, namespace: flux-system}\nspec:\n  path: ./environments/dev/flux\n  sourceRef: {kind: GitRepository, name: k8s-x}\n";
        let f = run_rule(RULE, &[("clusters/dev/systems/x.yaml", text)], "");
        assert_eq!(positions(&f), [(ID, 11, 42)]);
        assert_eq!(f[0].severity, crate::base::finding::Severity::Info);
    }
}
