//! `dependency-cycle`: Flux Kustomizations (or HelmReleases) of one
//! cluster whose `dependsOn` entries form a cycle. Each waits for another
//! to be ready, so none of them is ever applied.
//!
//! Each cycle is reported once, at the `dependsOn` entry of its first
//! member (in the order the cluster renders) that points into the cycle,
//! listing the whole cycle.

use std::collections::{BTreeSet, HashMap};

use crate::base::finding::Findings;
use crate::engine::registry::ids;
use crate::engine::{declare_rule, Rule, RunContext};
use crate::model::objects::{HELM_GROUP, KUSTOMIZE_GROUP};
use crate::render::flux::Rendering;
use crate::render::tree::Node;

declare_rule!(DependencyCycle, ids::DEPENDENCY_CYCLE);

impl Rule for DependencyCycle {
    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        let mut seen = BTreeSet::new();
        for rendering in cx.renderings().all() {
            for (group, kind) in [(KUSTOMIZE_GROUP, "Kustomization"), (HELM_GROUP, "HelmRelease")] {
                for cycle in cycles(rendering, group, kind) {
                    let names: Vec<String> = cycle.members.iter().map(|(ns, n)| format!("{ns}/{n}")).collect();
                    if !seen.insert((kind, names.iter().min().cloned())) {
                        continue;
                    }
                    let mut shown = names.clone();
                    shown.push(names[0].clone());
                    let message = format!(
                        "{kind}s depend on each other in a cycle ({}): Flux waits for each to be ready first, so none of them is ever applied",
                        shown.join(" → ")
                    );
                    let at = cycle.entry.get("name").map_or(cycle.entry.origin, |n| n.origin);
                    let help = "remove one `dependsOn` entry of the cycle; a dependency runs one way";
                    let span = at.span(cx.workspace);
                    let mut f = cx.finding_at(ID, at.file, None, span, message).with_help(help);
                    for (member, entry) in cycle.members.iter().zip(&cycle.entries).skip(1) {
                        let at = entry.get("name").map_or(entry.origin, |n| n.origin);
                        let what = format!("{kind} '{}/{}' depends on the next member of the cycle here", member.0, member.1);
                        f = f.with_related(cx.related_origin(&at, what));
                    }
                    out.push(f);
                }
            }
        }
    }
}

struct Cycle<'r> {
    /// (namespace, name), in dependency order from the reported member.
    members: Vec<(String, String)>,
    /// The reported `dependsOn` entry.
    entry: &'r Node,
    /// Each member's entry naming the next member.
    entries: Vec<&'r Node>,
}

/// The `dependsOn` cycles among the objects of one kind of a rendering.
fn cycles<'r>(rendering: &'r Rendering, group: &str, kind: &str) -> Vec<Cycle<'r>> {
    let objects: Vec<&Node> = rendering
        .objects
        .iter()
        .map(|a| &a.resource)
        .filter(|r| r.group() == group && r.kind() == kind)
        .map(|r| &r.root)
        .collect();
    let id = |n: &Node| {
        let ns = n.str_at(&["metadata", "namespace"]).unwrap_or("default").to_string();
        (ns, n.str_at(&["metadata", "name"]).unwrap_or("").to_string())
    };
    let index: HashMap<(String, String), usize> = objects.iter().enumerate().map(|(i, n)| (id(n), i)).collect();
    // Edges: object → (dependency, the entry that names it).
    let edges: Vec<Vec<(usize, &Node)>> = objects
        .iter()
        .map(|n| {
            let (ns, _) = id(n);
            let deps = n.path(&["spec", "dependsOn"]).map(Node::items).unwrap_or(&[]);
            deps.iter()
                .filter_map(|d| {
                    let target = (d.str_at(&["namespace"]).unwrap_or(&ns).to_string(), d.str_at(&["name"])?.to_string());
                    Some((*index.get(&target)?, d))
                })
                .collect()
        })
        .collect();
    let mut out = Vec::new();
    let mut in_cycle = vec![false; objects.len()];
    for start in 0..objects.len() {
        if in_cycle[start] {
            continue;
        }
        if let Some(path) = path_back(&edges, start) {
            for &(i, _) in &path {
                in_cycle[i] = true;
            }
            out.push(Cycle {
                members: path.iter().map(|&(i, _)| id(objects[i])).collect(),
                entry: path[0].1,
                entries: path.iter().map(|&(_, e)| e).collect(),
            });
        }
    }
    out
}

/// A path from `start` back to itself, as (member, its entry naming the
/// next member); `None` when `start` is on no cycle. Breadth-first, so the
/// shortest cycle is the one shown.
fn path_back<'n>(edges: &[Vec<(usize, &'n Node)>], start: usize) -> Option<Vec<(usize, &'n Node)>> {
    let mut came_from: Vec<Option<(usize, &'n Node)>> = vec![None; edges.len()];
    let mut queue = std::collections::VecDeque::from([start]);
    let mut visited = vec![false; edges.len()];
    while let Some(at) = queue.pop_front() {
        for &(next, entry) in &edges[at] {
            if next == start {
                let mut path = vec![(at, entry)];
                let mut here = at;
                while here != start {
                    let (prev, prev_entry) = came_from[here].expect("reached through a recorded step");
                    path.push((prev, prev_entry));
                    here = prev;
                }
                path.reverse();
                return Some(path);
            }
            if !visited[next] {
                visited[next] = true;
                came_from[next] = Some((at, entry));
                queue.push_back(next);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    fn ks(name: &str, deps: &[&str]) -> String {
        let deps: String = deps.iter().map(|d| format!("    - name: {d}\n")).collect();
        let depends = if deps.is_empty() { String::new() } else { format!("  dependsOn:\n{deps}") };
        format!("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {{name: {name}, namespace: flux-system}}\nspec:\n  interval: 10m\n  path: ./clusters/dev\n  prune: true\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n{depends}")
    }

    #[test]
    fn reports_each_cycle_once_at_a_depends_on_entry() {
        let (a, b, c) = (ks("a", &["b"]), ks("b", &["c"]), ks("c", &["a"]));
        let selfish = ks("d", &["d"]);
        let files = [
            ("clusters/dev/a.yaml", a.as_str()),
            ("clusters/dev/b.yaml", b.as_str()),
            ("clusters/dev/c.yaml", c.as_str()),
            ("clusters/dev/d.yaml", selfish.as_str()),
        ];
        let f = run_rule(RULE, &files, "");
        assert_eq!(positions(&f), [(ID, 10, 13), (ID, 10, 13)]);
        assert_eq!(f[0].path, "clusters/dev/a.yaml");
        assert!(f[0].message.contains("flux-system/a → flux-system/b → flux-system/c → flux-system/a"), "{}", f[0].message);
        assert_eq!(f[1].path, "clusters/dev/d.yaml");
        let related: Vec<_> = f[0].related.iter().map(|r| (r.path.as_str(), r.span.start.line)).collect();
        assert_eq!(related, [("clusters/dev/b.yaml", 10), ("clusters/dev/c.yaml", 10)]);
    }

    #[test]
    fn leaves_chains_alone() {
        let (a, b, c) = (ks("a", &["b"]), ks("b", &["c"]), ks("c", &[]));
        let files = [("clusters/dev/a.yaml", a.as_str()), ("clusters/dev/b.yaml", b.as_str()), ("clusters/dev/c.yaml", c.as_str())];
        assert!(run_rule(RULE, &files, "").is_empty());
    }
}
