//! What a run hands to the reporters: findings scrubbed of secrets, the
//! masked sources of the files shown, and what the run could not check.

use std::time::Instant;

use rayon::prelude::*;

use crate::engine::RunContext;
use crate::graph::{Graph, SourceState};
use crate::report::{Report, RepositoryBase};
use crate::workspace::discover::display_path;
use crate::workspace::load::ParsedFile;
use crate::workspace::redact;
use crate::workspace::Workspace;

/// The report of a run: the sources of the files `shown` keeps, masked,
/// the findings scrubbed of what is masked (see [`redact`]), and what the
/// run could not check.
pub(super) fn masked_report(
    cx: &RunContext<'_>,
    mut findings: Vec<crate::Finding>,
    started: Instant,
    shown: impl Fn(&ParsedFile) -> bool + Sync,
) -> Report {
    let workspace = cx.workspace;
    let secret_keys = redact::SecretKeys::with_extra(&workspace.config.secret_keys);
    let sources = redact::shown_sources(
        workspace.files.par_iter().filter(|f| shown(f)),
        &mut findings,
        &secret_keys,
    );
    // The files checked are those whose findings are reported (`check f1
    // f2`: two), not every file read as context.
    let (files, documents) = workspace
        .files
        .iter()
        .filter(|f| shown(f))
        .fold((0, 0), |(n, d), f| (n + 1, d + f.stream.docs.len()));
    Report {
        root: workspace
            .repos
            .iter()
            .next()
            .map(|r| r.root.clone())
            .unwrap_or_default(),
        findings,
        files,
        documents,
        elapsed: started.elapsed(),
        sources,
        notices: unchecked_system_repos(workspace, cx.graph())
            .into_iter()
            .collect(),
        repositories: other_repositories(workspace),
    }
}

/// "2 of 5 system repositories were not checked: …" when registrations
/// name Git sources with no local checkout.
/// The repositories besides the checked one, with their report paths.
fn other_repositories(ws: &Workspace) -> Vec<RepositoryBase> {
    let Some(checked) = ws.repos.iter().next() else {
        return Vec::new();
    };
    ws.repos
        .iter()
        .skip(1)
        .map(|repo| RepositoryBase {
            name: repo.name.clone(),
            prefix: format!("{}/", display_path(&checked.root, &repo.root)),
        })
        .collect()
}

fn unchecked_system_repos(ws: &Workspace, graph: &Graph) -> Option<String> {
    let mut all = std::collections::BTreeSet::new();
    let mut missing = std::collections::BTreeSet::new();
    for reg in &graph.registrations {
        match &reg.state {
            SourceState::NoCheckout(name) => {
                all.insert(name.as_str());
                missing.insert(name.as_str());
            }
            SourceState::Repo(repo) if *repo != ws.files[reg.file].file.repo => {
                if let Some(name) = &reg.source {
                    all.insert(name.as_str());
                }
            }
            _ => {}
        }
    }
    if missing.is_empty() {
        return None;
    }
    let names: Vec<&str> = missing.iter().copied().collect();
    Some(format!(
        "{} of {} system repositories were not checked: {}; pass --system-repo NAME=DIR or set systemRepos",
        missing.len(),
        all.len(),
        names.join(", ")
    ))
}
