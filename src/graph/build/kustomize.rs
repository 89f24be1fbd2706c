//! Following a Flux Kustomization: its source's checkout, its `spec.path`,
//! and what kustomize builds there (overlays, resources, patches,
//! generators).

use crate::base::ids::{DocId, FileId, OccurrenceId, RepoId};
use std::collections::BTreeSet;

use crate::base::paths;
use crate::model::flux::KustomizationView;
use crate::model::kustomization::is_remote;
use crate::workspace::env_of_path;
use crate::yaml::NodeRef;

use super::{Builder, Ctx, GapKind, Occurrence, SourceState, Visit};

impl Builder<'_> {
    /// Follows a Flux Kustomization into its source's checkout and builds
    /// its `spec.path` there. `top_level`: a registration's own
    /// Kustomization, whose source and state the registration records.
    pub(super) fn follow_kustomization(
        &mut self,
        id: OccurrenceId,
        occ: &Occurrence,
        ctx: &Ctx,
        top_level: bool,
    ) {
        let ks = KustomizationView::of(self.doc(occ.file, occ.doc));
        let Some(repo) = self.source_checkout(occ, &ks, ctx, top_level) else {
            return;
        };
        let path_node = ks.path();
        let path_text = path_node.and_then(|n| n.as_str()).unwrap_or("");
        let Some(path) = paths::normalize(path_text) else {
            return;
        };
        if !self.dir_exists(repo, &path) {
            let span = path_node.or(ks.spec()).unwrap_or(ks.root).span();
            let kind = GapKind::KustomizationPath {
                kind: occ.kind.clone(),
                name: occ.name.clone(),
                path: path_text.to_string(),
                is_file: self.file_exists(repo, &path),
                target: self.target(repo, &path),
            };
            self.gap(occ.file, occ.doc, span, kind);
            return;
        }
        if let (false, Some(node)) = (top_level, path_node) {
            self.note_other_environment((occ.file, occ.doc), node, repo, &path, ctx);
        }
        let mut inner = ctx.clone();
        inner.applier = Some(id);
        if let Some(t) = ks.target_namespace() {
            inner.namespace = Some(t.to_string());
        }
        if let Some(p) = ks.name_prefix() {
            inner.prefix = format!("{p}{}", inner.prefix);
        }
        if let Some(s) = ks.name_suffix() {
            inner.suffix = format!("{}{s}", inner.suffix);
        }
        self.read_dir(repo, &path, &inner);
    }

    /// The checkout a Kustomization's GitRepository source stands for.
    /// Sources of other kinds, undefined sources and sources without a
    /// checkout are not followed (and leave the environment incomplete
    /// where what they define is unknown); a registration records which.
    fn source_checkout(
        &mut self,
        occ: &Occurrence,
        ks: &KustomizationView<'_>,
        ctx: &Ctx,
        top_level: bool,
    ) -> Option<RepoId> {
        let source_ref = ks.source_ref()?;
        let kind = source_ref.kind.unwrap_or("GitRepository");
        let name_node = source_ref.name_node?;
        let name = name_node.as_str()?;
        let registration = ctx.registration.filter(|_| top_level);
        if let Some(reg) = registration {
            self.index.registrations[reg].source = Some(name.to_string());
        }
        let env = ctx.env.as_deref();
        if kind != "GitRepository" {
            if matches!(kind, "OCIRepository" | "Bucket") {
                self.note_incomplete(env);
            }
            return None;
        }
        let ns = source_ref.namespace.or(occ.namespace.as_deref());
        if !self.source_defined(env, kind, name, ns) {
            return None; // dangling-ref's to report
        }
        let from_repo = self.files[occ.file].file.repo;
        let Some(repo) = self.checkout_of(name, from_repo) else {
            self.note_incomplete(env);
            if let Some(reg) = registration {
                self.index.registrations[reg].state = SourceState::NoCheckout(name.to_string());
                // One gap per repository, however many environments
                // register it.
                if self.no_checkout_reported.insert(name.to_string()) {
                    let kind = GapKind::NoCheckout {
                        source: name.to_string(),
                        kind: occ.kind.clone(),
                        name: occ.name.clone(),
                    };
                    self.gap(occ.file, occ.doc, name_node.span(), kind);
                }
            }
            return None;
        };
        if let Some(reg) = registration {
            self.index.registrations[reg].state = SourceState::Repo(repo);
        }
        Some(repo)
    }

    /// A walk in `env` reaching `environments/<other>/…` (the cross-file
    /// half of `env-consistency`).
    pub(super) fn note_other_environment(
        &mut self,
        at: (FileId, DocId),
        node: NodeRef<'_>,
        repo: RepoId,
        target: &str,
        ctx: &Ctx,
    ) {
        let Some(env) = ctx.env.as_deref() else {
            return;
        };
        if !target.starts_with("environments/") {
            return;
        }
        let Some(other) = env_of_path(self.config, target) else {
            return;
        };
        if other == env {
            return;
        }
        let kind = GapKind::OtherEnvironment {
            entry: node.as_str().unwrap_or(target).to_string(),
            env: env.to_string(),
            other: other.to_string(),
            target: self.target(repo, target),
        };
        self.gap(at.0, at.1, node.span(), kind);
    }

    /// What Flux applies from a directory: its kustomization overlay, or
    /// every manifest below it.
    fn read_dir(&mut self, repo: RepoId, dir: &str, ctx: &Ctx) {
        let visit = Visit {
            env: ctx.env.clone(),
            registration: ctx.registration,
            applier: ctx.applier,
            repo,
            dir: dir.to_string(),
        };
        if !self.visited.insert(visit) {
            return;
        }
        if let Some(k) = self.kustomization_file(repo, dir) {
            self.follow_overlay(repo, &k, ctx);
            return;
        }
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut overlays: BTreeSet<String> = BTreeSet::new();
        let mut plain = Vec::new();
        for f in self.files_below(repo, &prefix) {
            if f.file.repo != repo || !f.file.rel.starts_with(&prefix) {
                continue;
            }
            // A subdirectory with its own overlay is applied as that overlay.
            let mut d = paths::parent(&f.file.rel);
            let mut overlay = None;
            while d.len() > dir.len() {
                if self.kustomization_file(repo, d).is_some() {
                    overlay = Some(d.to_string());
                }
                d = paths::parent(d);
            }
            match overlay {
                Some(o) => {
                    overlays.insert(o);
                }
                None if f.file.kind.holds_manifests() => plain.push(f),
                None => {}
            }
        }
        for f in plain {
            self.apply(f.id, ctx);
            for doc in f.doc_ids() {
                self.index_doc(f.id, doc, ctx);
            }
        }
        for o in overlays {
            self.read_dir(repo, &o, ctx);
        }
    }

    fn follow_overlay(&mut self, repo: RepoId, kfile: &str, ctx: &Ctx) {
        let Some(file) = self.file(repo, kfile) else {
            return; // present on disk but not loaded (excluded): not read
        };
        self.reach(file, ctx);
        let Some(root) = self.files[file].stream.docs.first().map(|d| d.root()) else {
            return;
        };
        let dir = paths::parent(kfile).to_string();
        let mut inner = ctx.clone();
        if ctx.namespace.is_none() {
            if let Some(ns) = root.str_at(&["namespace"]) {
                inner.namespace = Some(ns.to_string());
            }
        }
        if let Some(p) = root.str_at(&["namePrefix"]) {
            inner.prefix = format!("{}{p}", ctx.prefix);
        }
        if let Some(s) = root.str_at(&["nameSuffix"]) {
            inner.suffix = format!("{s}{}", ctx.suffix);
        }
        for key in ["resources", "bases", "components"] {
            let Some(list) = root.get(key) else { continue };
            for item in list.items() {
                let Some(entry) = item.as_str() else { continue };
                self.follow_entry(repo, &dir, file, item, entry, key, &inner);
            }
        }
        // Patches are read for their existence; they are not objects.
        let mut patch_paths = Vec::new();
        for key in ["patches", "patchesJson6902"] {
            if let Some(list) = root.get(key) {
                patch_paths.extend(list.items().filter_map(|p| p.get("path")));
            }
        }
        if let Some(list) = root.get("patchesStrategicMerge") {
            patch_paths.extend(
                list.items()
                    .filter(|p| p.as_str().is_some_and(|s| !s.contains('\n'))),
            );
        }
        for node in patch_paths {
            let Some(entry) = node.as_str() else { continue };
            if is_remote(entry) {
                continue;
            }
            let Some(target) = paths::join(&dir, entry) else {
                continue;
            };
            if let Some(t) = self.file(repo, &target) {
                self.apply(t, ctx);
            } else if !self.file_exists(repo, &target) {
                let kind = GapKind::Patch {
                    entry: entry.to_string(),
                    target: self.target(repo, &target),
                };
                self.gap(file, DocId::FIRST, node.span(), kind);
            }
        }
        self.generators(repo, &dir, file, root, &inner);
    }

    #[allow(clippy::too_many_arguments)]
    fn follow_entry(
        &mut self,
        repo: RepoId,
        dir: &str,
        file: FileId,
        item: NodeRef<'_>,
        entry: &str,
        key: &str,
        ctx: &Ctx,
    ) {
        if is_remote(entry) {
            let kind = GapKind::RemoteEntry {
                key: key.to_string(),
                entry: entry.to_string(),
            };
            self.gap(file, DocId::FIRST, item.span(), kind);
            self.note_incomplete(ctx.env.as_deref());
            return;
        }
        let Some(target) = paths::join(dir, entry) else {
            return;
        };
        self.note_other_environment((file, DocId::FIRST), item, repo, &target, ctx);
        if let Some(t) = self.file(repo, &target) {
            self.apply(t, ctx);
            if self.files[t].file.kind.holds_manifests() {
                for doc in self.files[t].doc_ids() {
                    self.index_doc(t, doc, ctx);
                }
            }
            return;
        }
        if self.dir_exists(repo, &target) {
            if self.kustomization_file(repo, &target).is_some() {
                self.read_dir(repo, &target, ctx);
            } else {
                let kind = GapKind::DirectoryWithoutKustomization {
                    key: key.to_string(),
                    entry: entry.to_string(),
                    target: self.target(repo, &format!("{target}/kustomization.yaml")),
                };
                self.gap(file, DocId::FIRST, item.span(), kind);
            }
            return;
        }
        if self.file_exists(repo, &target) {
            return; // a file we do not read (excluded, not YAML)
        }
        let kind = GapKind::Resource {
            key: key.to_string(),
            entry: entry.to_string(),
            target: self.target(repo, &target),
        };
        self.gap(file, DocId::FIRST, item.span(), kind);
    }

    /// `configMapGenerator` / `secretGenerator`: the objects they make, and
    /// the files they read.
    fn generators(&mut self, repo: RepoId, dir: &str, file: FileId, root: NodeRef<'_>, ctx: &Ctx) {
        for (key, kind) in [
            ("configMapGenerator", "ConfigMap"),
            ("secretGenerator", "Secret"),
        ] {
            let Some(list) = root.get(key) else { continue };
            for gen in list.items() {
                if let Some(name) = gen.str_at(&["name"]) {
                    let behavior = gen.str_at(&["behavior"]).unwrap_or("create");
                    if behavior == "create" {
                        let occ = Occurrence {
                            file,
                            doc: DocId::FIRST,
                            env: ctx.env.clone(),
                            group: String::new(),
                            kind: kind.to_string(),
                            name: format!("{}{name}{}", ctx.prefix, ctx.suffix),
                            namespace: ctx
                                .namespace
                                .clone()
                                .or_else(|| gen.str_at(&["namespace"]).map(String::from)),
                            registration: ctx.registration,
                            generated: true,
                        };
                        self.index.push(occ);
                    }
                }
                let mut sources: Vec<(NodeRef<'_>, String)> = Vec::new();
                for k in ["files", "envs"] {
                    if let Some(l) = gen.get(k) {
                        for item in l.items() {
                            if let Some(s) = item.as_str() {
                                let path = s.split_once('=').map_or(s, |(_, p)| p);
                                sources.push((item, path.to_string()));
                            }
                        }
                    }
                }
                if let Some(item) = gen.get("env") {
                    if let Some(s) = item.as_str() {
                        sources.push((item, s.to_string()));
                    }
                }
                for (item, path) in sources {
                    let Some(target) = paths::join(dir, &path) else {
                        continue;
                    };
                    if let Some(t) = self.file(repo, &target) {
                        self.reach(t, ctx);
                    } else if !self.file_exists(repo, &target) && self.on_disk[repo] {
                        let kind = GapKind::GeneratorFile {
                            key: key.to_string(),
                            path: path.clone(),
                            target: self.target(repo, &target),
                        };
                        self.gap(file, DocId::FIRST, item.span(), kind);
                    }
                }
            }
        }
    }
}
