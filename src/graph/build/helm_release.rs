//! Following a HelmRelease whose chart comes from a Git source: the
//! chart's checkout and directory, its values files, its pattern.

use crate::base::ids::{FileId, OccurrenceId, RepoId};
use crate::base::paths;
use crate::model::flux::{ChartSpec, HelmReleaseView};
use crate::workspace::env_of_path;
use crate::yaml::NodeRef;

use super::{Builder, Ctx, GapKind, Occurrence, Pattern};
use crate::graph::HelmUse;

impl Builder<'_> {
    pub(super) fn follow_helm_release(&mut self, id: OccurrenceId, occ: &Occurrence, ctx: &Ctx) {
        let root = self.doc(occ.file, occ.doc);
        let Some(chart) = HelmReleaseView::of(root).chart() else {
            return;
        };
        let Some(repo) = self.chart_checkout(occ, &chart, ctx) else {
            return;
        };
        let pattern = self.pattern_of(occ, &chart, repo, ctx);
        let chart_dir = self.chart_dir(occ, &chart, repo, ctx);
        let values_files = self.values_files(occ, &chart, repo, ctx);
        self.index.helm.push(HelmUse {
            occurrence: id,
            chart_repo: repo,
            chart_dir,
            values_files,
            pattern,
        });
    }

    /// The checkout holding the chart of a release on a Git source that
    /// exists where it is deployed; `None` for a chart from a Helm or OCI
    /// repository (a package we cannot read) or an unknown source.
    fn chart_checkout(&self, occ: &Occurrence, chart: &ChartSpec<'_>, ctx: &Ctx) -> Option<RepoId> {
        let source_ref = chart.source_ref?;
        let source = source_ref.name?;
        let kind = source_ref.kind.unwrap_or("");
        if kind != "GitRepository" {
            return None;
        }
        let ns = source_ref.namespace.or(occ.namespace.as_deref());
        if !self.source_defined(ctx.env.as_deref(), kind, source, ns) {
            return None;
        }
        let from_repo = self.files[occ.file].file.repo;
        // Without a known checkout, the registration's own repository is
        // where this file is.
        self.checkout_of(source, from_repo)
            .or_else(|| (self.registration_source(ctx) == Some(source)).then_some(from_repo))
    }

    /// The source of the registration a walk started from.
    fn registration_source(&self, ctx: &Ctx) -> Option<&str> {
        ctx.registration
            .and_then(|r| self.index.registrations[r].source.as_deref())
    }

    /// Pattern A (the system's own chart), B (the central chart) or C.
    fn pattern_of(
        &self,
        occ: &Occurrence,
        chart: &ChartSpec<'_>,
        repo: RepoId,
        ctx: &Ctx,
    ) -> Pattern {
        let source = chart.source_ref.and_then(|s| s.name).unwrap_or("");
        let reg_source = self.registration_source(ctx);
        let from_repo = self.files[occ.file].file.repo;
        let central = &self.config.central_chart;
        if reg_source == Some(source) || (reg_source.is_none() && repo == from_repo) {
            Pattern::A
        } else if source == central.source
            && paths::normalize(chart.chart.unwrap_or("")) == paths::normalize(&central.chart)
        {
            Pattern::B
        } else {
            Pattern::C
        }
    }

    /// The chart directory, when it holds a `Chart.yaml` (its `values.yaml`
    /// is then reached); else a gap at `chart`.
    fn chart_dir(
        &mut self,
        release: &Occurrence,
        chart: &ChartSpec<'_>,
        repo: RepoId,
        ctx: &Ctx,
    ) -> Option<String> {
        let chart_node = chart.chart_node?;
        let text = chart_node.as_str().unwrap_or("");
        let dir = paths::normalize(text)?;
        let chart_yaml = paths::join(&dir, "Chart.yaml").unwrap_or_default();
        if !self.file_exists(repo, &chart_yaml) {
            let kind = GapKind::Chart {
                release: release.name.clone(),
                chart: text.to_string(),
                dir_exists: self.dir_exists(repo, &dir),
                target: self.target(repo, &chart_yaml),
            };
            self.gap(release.file, release.doc, chart_node.span(), kind);
            return None;
        }
        if let Some(v) = self.file(repo, &paths::join(&dir, "values.yaml").unwrap_or_default()) {
            self.reach(v, ctx);
        }
        Some(dir)
    }

    /// The `valuesFiles` that exist, in order, each reached; a gap for each
    /// that is missing (unless the release ignores missing ones) and for
    /// values of another environment.
    fn values_files(
        &mut self,
        release: &Occurrence,
        chart: &ChartSpec<'_>,
        repo: RepoId,
        ctx: &Ctx,
    ) -> Vec<FileId> {
        let at = (release.file, release.doc);
        let mut found = Vec::new();
        let mut seen_envs: Vec<String> = Vec::new();
        for (item, entry) in chart.values_file_entries() {
            let Some(target) = paths::normalize(entry) else {
                continue;
            };
            if ctx.env.is_some() {
                self.note_other_environment(at, item, repo, &target, ctx);
            } else {
                self.note_mixed_environments(release, item, &target, &mut seen_envs);
            }
            match self.file(repo, &target) {
                Some(t) => {
                    self.reach(t, ctx);
                    found.push(t);
                }
                None if self.file_exists(repo, &target) || chart.ignore_missing_values_files => {}
                None => {
                    let kind = GapKind::ValuesFile {
                        release: release.name.clone(),
                        entry: entry.to_string(),
                        target: self.target(repo, &target),
                    };
                    self.gap(release.file, release.doc, item.span(), kind);
                }
            }
        }
        found
    }

    /// Outside any environment: a values file of `environments/<e>/` after
    /// one of another environment.
    fn note_mixed_environments(
        &mut self,
        release: &Occurrence,
        item: NodeRef<'_>,
        target: &str,
        seen: &mut Vec<String>,
    ) {
        if !target.starts_with("environments/") {
            return;
        }
        let Some(env) = env_of_path(self.config, target) else {
            return;
        };
        if let Some(first) = seen.iter().find(|e| *e != env) {
            let kind = GapKind::MixedValuesEnvironments {
                release: release.name.clone(),
                first: first.clone(),
                second: env.to_string(),
            };
            self.gap(release.file, release.doc, item.span(), kind);
        }
        seen.push(env.to_string());
    }
}
