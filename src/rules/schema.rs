//! `schema`: a document its JSON Schema rejects — an unknown field (strict
//! validation), a wrong type, a missing required field, a bad enum value, a
//! failed CEL rule. Kubernetes built-ins, Flux kinds, imported schemas and
//! CRDs found in the workspace all count (see `crate::schema`).

use crate::engine::registry::ids;
use crate::engine::{declare_rule, DocContext, Rule};
use crate::base::finding::{Finding, Findings};
use crate::model::objects::ObjectMeta;
use crate::schema::postbuild::{self, Variables};
use crate::schema::validate::{self, CheckOptions, Problem};

declare_rule!(Schema, ids::SCHEMA);

impl Rule for Schema {
    fn check_object(&self, cx: &DocContext<'_>, out: &mut Findings) {
        let Some(meta) = cx.object else { return };
        let file = cx.file.file;
        if !file.file.kind.holds_manifests() {
            return;
        }
        if meta.is("apiextensions.k8s.io", "CustomResourceDefinition") {
            too_complex_cel_rules(cx, cx.root(), out, 0);
        }
        let store = cx.file.run.schemas();
        let Some(resolved) = validate::resolve(store, meta) else {
            return;
        };
        let Some(compiled) = resolved.entry.compiled() else {
            return;
        };
        let replaced = resolved.replacement.then_some(resolved.entry.api_version.as_str());
        let opts = CheckOptions {
            hide_values: meta.group().is_empty() && meta.kind == "Secret",
            flux_operator: cx.config().flux_operator || cx.file.run.graph().uses_flux_operator,
            vars: None,
        };
        // Checked once as written (placeholders stand for any value), or
        // once per distinct set of post-build variables that the Flux
        // Kustomizations applying it substitute.
        let sets = variable_sets(cx);
        let problems = postbuild::check_each(
            &sets,
            |vars| validate::check(compiled, cx.doc, meta, replaced, CheckOptions { vars, ..opts }),
            |p| (p.span, p.message.as_str()),
        );
        for (p, vars) in problems {
            out.push(finding(cx, p, replaced, meta, vars));
        }
    }
}

fn finding(
    cx: &DocContext<'_>,
    p: Problem,
    replaced: Option<&str>,
    meta: &ObjectMeta,
    vars: Option<&Variables>,
) -> Finding {
    let mut message = p.message;
    if let Some(to) = replaced {
        message.push_str(&format!(
            " (checked against {to}, which replaces the {} that is no longer served)",
            meta.api_version
        ));
    }
    let mut help = p.help;
    let mut related = Vec::new();
    if let (Some(vars), false) = (vars, p.substituted.is_empty()) {
        message.push_str(&postbuild::after(vars));
        let (told, places) = postbuild::explain(cx.file.run.workspace, vars, &p.substituted);
        help = Some(told);
        related = places;
    }
    let at = crate::yaml::NodeRef {
        doc: cx.doc,
        id: p.node,
    };
    let mut f = cx.finding(ID, at, message);
    f.concern = p.concern;
    if let Some(h) = help {
        f = f.with_help(h);
    }
    for r in related {
        f = f.with_related(r);
    }
    f
}

/// The post-build variable sets the document is checked with (a rendered
/// object has had its variables substituted already).
fn variable_sets(cx: &DocContext<'_>) -> Vec<Variables> {
    if cx.is_rendered() {
        return Vec::new();
    }
    let run = cx.file.run;
    postbuild::variable_sets(run.workspace, run.graph(), cx.file.file.id, cx.doc)
}

/// A CRD's `x-kubernetes-validations` rule too large or too deeply nested
/// to evaluate safely: never evaluated (that would overflow the stack), and
/// reported at the rule, so that the skipped check is not a silent pass.
fn too_complex_cel_rules(
    cx: &DocContext<'_>,
    node: crate::yaml::NodeRef<'_>,
    out: &mut Findings,
    depth: u32,
) {
    if depth > 200 {
        return;
    }
    for (k, v) in node.entries() {
        if k.as_str() == Some("x-kubernetes-validations") {
            for rule in v.items().filter_map(|i| i.get("rule")) {
                let Some(text) = rule.as_str() else { continue };
                if let Some(why) = crate::schema::cel::complexity(text) {
                    out.push(
                        cx.finding(
                            ID,
                            rule,
                            format!("this CEL validation rule is too complex to evaluate ({why}); gitops-lint does not check it"),
                        )
                        .with_help("split the rule into smaller ones; the API server's cost limit rejects rules this large too")
                        .with_severity(crate::base::finding::Severity::Warning),
                    );
                }
            }
        } else {
            too_complex_cel_rules(cx, v, out, depth + 1);
        }
    }
    for item in node.items() {
        too_complex_cel_rules(cx, item, out, depth + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};
    use crate::base::finding::Finding;

    fn run(files: &[(&str, &str)]) -> Vec<Finding> {
        run_rule(RULE, files, "")
    }

    const KS: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: payments
  namespace: flux-system
spec:
  interval: 5m
  path: ./environments/dev/flux
  prune: true
  sourceRef:
    kind: GitRepository
    name: k8s-payments
";

    const GIT: &str = "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: k8s-payments
  namespace: flux-system
spec:
  interval: 1m
  url: https://dev.azure.com/org/project/_git/k8s-payments
  ref:
    branch: dev
  provider: azure
";

    #[test]
    fn valid_flux_objects_pass() {
        let f = run(&[("ks.yaml", KS), ("git.yaml", GIT)]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn typo_in_a_field_name_is_reported_at_the_key_with_a_suggestion() {
        let f = run(&[("ks.yaml", &KS.replace("  sourceRef:", "  sourceref:"))]);
        // The unknown key; the now missing `sourceRef` is the same mistake
        // (the engine's precedence), said in the help.
        assert_eq!(positions(&f), [(ID, 10, 3)]);
        assert_eq!(
            f[0].message,
            "unknown field `sourceref` in Kustomization.spec — did you mean `sourceRef`?"
        );
        assert_eq!(
            f[0].help.as_deref(),
            Some("this is also why: Kustomization.spec is missing the required field `sourceRef`")
        );
        assert_eq!((f[0].span.end.line, f[0].span.end.col), (10, 12));
    }

    #[test]
    fn metadata_typos_are_caught() {
        let f = run(&[("ks.yaml", &KS.replace("  name: payments", "  nmae: payments"))]);
        assert_eq!(positions(&f), [(ID, 4, 3)]);
        assert!(f[0].message.contains("did you mean `name`?"), "{}", f[0].message);
    }

    /// A Secret's values are never quoted, and the message still reads.
    #[test]
    fn wrong_types_in_secrets_name_the_type_once() {
        let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: a}\ndata:\n  n: 12345\nstringData:\n  b: true\n";
        let f = run(&[("s.yaml", secret)]);
        let messages: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`data.n` must be a string; got integer",
                "`stringData.b` must be a string; got boolean"
            ]
        );
    }

    #[test]
    fn wrong_type_is_reported_at_the_value() {
        let f = run(&[("ks.yaml", &KS.replace("interval: 5m", "interval: 5"))]);
        assert_eq!(positions(&f), [(ID, 7, 13)]);
        assert_eq!(f[0].message, "`spec.interval` must be a string; got integer `5`");
        // A bad pattern, also at the value.
        let f = run(&[("ks.yaml", &KS.replace("interval: 5m", "interval: 5 minutes"))]);
        assert_eq!(positions(&f), [(ID, 7, 13)]);
        assert!(f[0].message.starts_with("`spec.interval` must match the pattern"), "{}", f[0].message);
    }

    #[test]
    fn missing_required_fields_are_reported_at_the_mapping_key() {
        let text = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: payments\nspec:\n  path: ./x\n  prune: true\n";
        let f = run(&[("ks.yaml", text)]);
        assert_eq!(positions(&f), [(ID, 5, 1), (ID, 5, 1)]);
        let mut messages: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        messages.sort();
        assert_eq!(
            messages,
            [
                "Kustomization.spec is missing the required field `interval`",
                "Kustomization.spec is missing the required field `sourceRef`"
            ]
        );
    }

    #[test]
    fn missing_prune_is_left_to_prune_enabled() {
        let f = run(&[("ks.yaml", &KS.replace("  prune: true\n", ""))]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn bad_enum_value_lists_the_allowed_ones() {
        let f = run(&[("git.yaml", &GIT.replace("provider: azure", "provider: Azure"))]);
        assert_eq!(positions(&f), [(ID, 11, 13)]);
        assert_eq!(
            f[0].message,
            "`spec.provider` must be one of generic, aws, azure, github; got `Azure`"
        );
    }

    #[test]
    fn cel_rules_report_their_message_where_they_apply() {
        let text = GIT.replace("provider: azure", "provider: generic\n  serviceAccountName: sa");
        let f = run(&[("git.yaml", &text)]);
        assert_eq!(positions(&f), [(ID, 6, 1)]);
        assert_eq!(
            f[0].message,
            "GitRepository.spec: serviceAccountName can only be set when provider is 'azure' or 'aws'"
        );
    }

    #[test]
    fn yaml_1_1_typing_is_what_kubernetes_sees() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: versions}\ndata:\n  tag: 1.10\n  ok: \"1.10\"\n";
        let f = run(&[("cm.yaml", text)]);
        assert_eq!(positions(&f), [(ID, 5, 8)]);
        assert_eq!(f[0].message, "`data.tag` must be a string; got number `1.1`");
        assert!(f[0].help.as_deref().is_some_and(|h| h.contains("quote")));
    }

    #[test]
    fn kubernetes_builtins_are_strict() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: two\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        imagePullPolicyy: Always\n";
        let f = run(&[("d.yaml", text)]);
        assert_eq!(positions(&f), [(ID, 5, 13), (ID, 13, 9)]);
        assert_eq!(f[0].message, "`spec.replicas` must be an integer; got string `two`");
        assert_eq!(
            f[1].message,
            "unknown field `imagePullPolicyy` in Deployment.spec.template.spec.containers[0] — did you mean `imagePullPolicy`?"
        );
    }

    #[test]
    fn sops_ciphertexts_and_placeholders_are_not_schema_errors() {
        let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  password: ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]\nsops:\n  version: 3.9.0\n  mac: ENC[AES256_GCM,data:x]\n";
        let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: ${REPLICAS:=2}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx}]\n";
        let git = GIT.replace("provider: azure", "provider: ${git_provider}");
        let f = run(&[("s.yaml", secret), ("d.yaml", deploy), ("git.yaml", &git)]);
        assert!(f.is_empty(), "{f:?}");
    }

    /// A Flux Kustomization in `clusters/<env>/` applying `./apps/<env>`
    /// with `postBuild` (the text of its `postBuild:` block).
    fn applier(env: &str, post_build: &str) -> String {
        format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps/{env}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
{post_build}"
        )
    }

    const REPLICAS: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
";

    #[test]
    fn post_build_values_are_substituted_before_validation() {
        let ks = applier("dev", "  postBuild:\n    substitute:\n      replicas: \"three\"\n");
        let f = run(&[("clusters/dev/apps.yaml", &ks), ("apps/dev/web.yaml", REPLICAS)]);
        assert_eq!(positions(&f), [(ID, 5, 13)]);
        assert_eq!(
            f[0].message,
            "`spec.replicas` must be an integer; got string `three`, after post-build substitution by Kustomization 'apps'"
        );
        assert_eq!(
            f[0].help.as_deref(),
            Some("`${replicas}` is `three`, set at clusters/dev/apps.yaml:15:17 (`spec.postBuild.substitute` of Kustomization 'apps')")
        );
        let r = &f[0].related[0];
        assert_eq!(r.path, "clusters/dev/apps.yaml");
        assert_eq!((r.span.start.line, r.span.start.col), (15, 17));

        // A plain scalar is read again as YAML: "3" makes an integer.
        let ks = applier("dev", "  postBuild:\n    substitute:\n      replicas: \"3\"\n");
        let f = run(&[("clusters/dev/apps.yaml", &ks), ("apps/dev/web.yaml", REPLICAS)]);
        assert!(f.is_empty(), "{f:?}");
        // A quoted placeholder stays a string, whatever its value.
        let quoted = REPLICAS.replace("${replicas}", "\"${replicas}\"");
        let f = run(&[("clusters/dev/apps.yaml", &ks), ("apps/dev/web.yaml", &quoted)]);
        assert_eq!(positions(&f), [(ID, 5, 13)]);
        assert!(f[0].message.starts_with("`spec.replicas` must be an integer; got string `3`"), "{}", f[0].message);
    }

    #[test]
    fn substituted_enums_and_cel_rules_are_checked() {
        let git = GIT.replace("provider: azure", "provider: ${git_provider}");
        let ks = applier("dev", "  postBuild:\n    substitute:\n      git_provider: Azure\n");
        let f = run(&[("clusters/dev/apps.yaml", &ks), ("apps/dev/git.yaml", &git)]);
        assert_eq!(positions(&f), [(ID, 11, 13)]);
        assert!(
            f[0].message.starts_with("`spec.provider` must be one of generic, aws, azure, github; got `Azure`"),
            "{}",
            f[0].message
        );
        // `generic` is a valid provider, but not with a service account: the
        // CEL rule sees the substituted value.
        let git = git.replace("provider: ${git_provider}", "provider: ${git_provider}\n  serviceAccountName: sa");
        let ks = applier("dev", "  postBuild:\n    substitute:\n      git_provider: generic\n");
        let f = run(&[("clusters/dev/apps.yaml", &ks), ("apps/dev/git.yaml", &git)]);
        assert_eq!(positions(&f), [(ID, 6, 1)]);
        assert!(f[0].message.contains("serviceAccountName can only be set"), "{}", f[0].message);
    }

    #[test]
    fn defaults_apply_only_when_every_variable_source_is_known() {
        let deploy = REPLICAS.replace("${replicas}", "${replicas:=many}");
        // Known sources, `replicas` unset: the default is what Flux applies.
        let ks = applier("dev", "  postBuild:\n    substitute:\n      other: x\n");
        let f = run(&[("clusters/dev/apps.yaml", &ks), ("apps/dev/web.yaml", &deploy)]);
        assert_eq!(positions(&f), [(ID, 5, 13)]);
        assert!(f[0].message.contains("got string `many`"), "{}", f[0].message);
        // A ConfigMap that is not in the repository may set it.
        let ks = applier(
            "dev",
            "  postBuild:\n    substitute:\n      other: x\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-vars\n",
        );
        let f = run(&[("clusters/dev/apps.yaml", &ks), ("apps/dev/web.yaml", &deploy)]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn config_maps_in_the_repository_supply_variables_and_secrets_never_do() {
        let vars = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-vars\n  namespace: flux-system\ndata:\n  replicas: two\n";
        let ks = applier(
            "dev",
            "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-vars\n",
        );
        let files = [
            ("clusters/dev/apps.yaml", ks.as_str()),
            ("clusters/dev/vars.yaml", vars),
            ("apps/dev/web.yaml", REPLICAS),
        ];
        let f = run(&files);
        assert_eq!(positions(&f), [(ID, 5, 13)]);
        assert!(f[0].message.contains("got string `two`"), "{}", f[0].message);
        assert_eq!(f[0].help.as_deref(), Some("`${replicas}` is `two`, set at clusters/dev/vars.yaml:7:13 (ConfigMap 'cluster-vars')"));
        assert_eq!(f[0].related[0].path, "clusters/dev/vars.yaml");
        assert_eq!(f[0].related[0].span.start.line, 7);
        // The same key in a Secret: its value is never read, so the
        // placeholder stays open.
        let secret = vars.replace("kind: ConfigMap", "kind: Secret").replace("\ndata:", "\nstringData:");
        let ks = ks.replace("kind: ConfigMap", "kind: Secret");
        let f = run(&[
            ("clusters/dev/apps.yaml", ks.as_str()),
            ("clusters/dev/vars.yaml", secret.as_str()),
            ("apps/dev/web.yaml", REPLICAS),
        ]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn substitute_wins_over_substitute_from() {
        // As in kustomize-controller: ConfigMaps and Secrets in order, then
        // `substitute` over all of them.
        let vars = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-vars\n  namespace: flux-system\ndata:\n  replicas: two\n";
        let ks = applier(
            "dev",
            "  postBuild:\n    substitute:\n      replicas: \"3\"\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-vars\n",
        );
        let f = run(&[
            ("clusters/dev/apps.yaml", ks.as_str()),
            ("clusters/dev/vars.yaml", vars),
            ("apps/dev/web.yaml", REPLICAS),
        ]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn each_environment_checks_its_own_values() {
        // One base, applied by dev and prod with different values: only
        // prod's is wrong, and the finding names prod's Kustomization.
        let kz = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base]\n";
        let dev = applier("dev", "  postBuild:\n    substitute:\n      replicas: \"2\"\n");
        let prod = applier("prod", "  postBuild:\n    substitute:\n      replicas: lots\n")
            .replace("name: apps", "name: apps-prod");
        let f = run(&[
            ("clusters/dev/apps.yaml", &dev),
            ("clusters/prod/apps.yaml", &prod),
            ("apps/dev/kustomization.yaml", kz),
            ("apps/prod/kustomization.yaml", kz),
            ("apps/base/kustomization.yaml", "resources: [web.yaml]\n"),
            ("apps/base/web.yaml", REPLICAS),
        ]);
        assert_eq!(positions(&f), [(ID, 5, 13)]);
        assert!(f[0].message.ends_with("by Kustomization 'apps-prod'"), "{}", f[0].message);
        assert_eq!(f[0].related[0].path, "clusters/prod/apps.yaml");
    }

    #[test]
    fn placeholders_stay_open_without_post_build_or_when_disabled() {
        // No postBuild: nothing is substituted (and nothing is known).
        let ks = applier("dev", "");
        let f = run(&[("clusters/dev/apps.yaml", &ks), ("apps/dev/web.yaml", REPLICAS)]);
        assert!(f.is_empty(), "{f:?}");
        // Substitution turned off on the object.
        let ks = applier("dev", "  postBuild:\n    substitute:\n      replicas: three\n");
        let disabled = REPLICAS.replace(
            "metadata: {name: web}",
            "metadata:\n  name: web\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled",
        );
        let f = run(&[("clusters/dev/apps.yaml", &ks), ("apps/dev/web.yaml", &disabled)]);
        assert!(f.is_empty(), "{f:?}");
        // `$${replicas}` is the escape for a literal placeholder.
        let escaped = REPLICAS.replace("${replicas}", "$${replicas}");
        let f = run(&[("clusters/dev/apps.yaml", &ks), ("apps/dev/web.yaml", &escaped)]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn placeholders_in_free_form_values_do_not_matter() {
        let hr = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: h, namespace: flux-system}\nspec:\n  interval: 5m\n  chart:\n    spec:\n      chart: ./c\n      sourceRef: {kind: GitRepository, name: g}\n  values:\n    replicas: ${replicas}\n    nested: {list: [1, {a: b}]}\n";
        let ks = applier("dev", "  postBuild:\n    substitute:\n      replicas: three\n");
        let f = run(&[("clusters/dev/apps.yaml", &ks), ("apps/dev/hr.yaml", hr)]);
        assert!(f.is_empty(), "{f:?}");
        // The fields beside them are still checked.
        let typo = hr.replace("  interval: 5m", "  intervall: 5m");
        let f = run(&[("clusters/dev/apps.yaml", &ks), ("apps/dev/hr.yaml", &typo)]);
        assert_eq!(positions(&f), [(ID, 5, 3)]);
    }

    #[test]
    fn secret_values_are_never_echoed() {
        let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: 12345\n";
        let f = run(&[("s.yaml", secret)]);
        assert_eq!(positions(&f), [(ID, 5, 13)]);
        assert!(!f[0].message.contains("12345"), "{}", f[0].message);
    }

    const WIDGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            x-kubernetes-validations:
            - rule: self.size <= self.maxSize
              message: size must not exceed maxSize
              fieldPath: .size
            - rule: self.size == oldSelf.size
            properties:
              size: {type: integer, minimum: 1}
              maxSize: {type: integer}
              color: {type: string, enum: [red, green]}
";

    #[test]
    fn crds_in_the_repository_validate_their_objects() {
        let good = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  size: 2\n  maxSize: 3\n  color: red\n";
        assert!(run(&[("crd.yaml", WIDGET_CRD), ("w.yaml", good)]).is_empty());
        let bad = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  size: 0\n  color: blue\n  colour: red\n";
        let f = run(&[("crd.yaml", WIDGET_CRD), ("w.yaml", bad)]);
        assert_eq!(positions(&f), [(ID, 5, 9), (ID, 6, 10), (ID, 7, 3)]);
        assert_eq!(f[0].message, "`spec.size` is less than the minimum of 1");
        assert_eq!(f[1].message, "`spec.color` must be one of red, green; got `blue`");
        assert_eq!(f[2].message, "unknown field `colour` in Widget.spec — did you mean `color`?");
        let too_big = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  size: 5\n  maxSize: 3\n";
        let f = run(&[("crd.yaml", WIDGET_CRD), ("w.yaml", too_big)]);
        assert_eq!(positions(&f), [(ID, 5, 3)]);
        assert_eq!(f[0].message, "Widget.spec: size must not exceed maxSize");
    }

    #[test]
    fn removed_apis_are_checked_against_their_replacement() {
        let hr = "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata: {name: h, namespace: flux-system}\nspec:\n  interval: 5m\n  chart:\n    spec:\n      chart: ./c\n      sourceRef: {kind: GitRepository, name: g}\n  valuesFile: x.yaml\n";
        let f = run(&[("hr.yaml", hr)]);
        assert_eq!(positions(&f), [(ID, 10, 3)]);
        assert!(
            f[0].message.ends_with("(checked against helm.toolkit.fluxcd.io/v2, which replaces the helm.toolkit.fluxcd.io/v2beta1 that is no longer served)"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn kustomize_patches_are_judged_as_part_of_what_they_patch() {
        let kz = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base]\npatches:\n  - path: podinfo-patch.yaml\n";
        let patch = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: podinfo}\nspec:\n  values:\n    replicaCount: 2\n";
        let base = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: podinfo}\nspec:\n  interval: 5m\n  chart:\n    spec: {chart: podinfo, sourceRef: {kind: HelmRepository, name: podinfo}}\n";
        let files = |patch: &str| -> Vec<(&str, String)> {
            vec![
                ("apps/prod/kustomization.yaml", kz.to_string()),
                ("apps/prod/podinfo-patch.yaml", patch.to_string()),
                ("apps/base/kustomization.yaml", "resources: [release.yaml]\n".to_string()),
                ("apps/base/release.yaml", base.to_string()),
            ]
        };
        let run_on = |patch: &str| {
            let owned = files(patch);
            let refs: Vec<(&str, &str)> = owned.iter().map(|(p, t)| (*p, t.as_str())).collect();
            run(&refs)
        };
        // The patch lacks `interval` and `chart`: its base has them.
        assert!(run_on(patch).is_empty(), "{:?}", run_on(patch));
        // A field the patch adds that the kind does not have is reported
        // at its line in the patch.
        let f = run_on(&patch.replace("  values:", "  valuez:"));
        assert_eq!(positions(&f), [(ID, 5, 3)]);
        assert_eq!(f[0].path, "apps/prod/podinfo-patch.yaml");
    }

    #[test]
    fn null_is_not_set() {
        // An empty `postBuild:` (a parent patch fills it in) and a null
        // `timeout`: the API server prunes them before validating.
        let ks = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: a, namespace: flux-system}\nspec:\n  interval: 5m\n  path: ./\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n  postBuild:\n  timeout: ~\n";
        let f = run(&[("clusters/dev/a.yaml", ks)]);
        assert!(f.is_empty(), "{f:?}");
        // A required field left null is not set: reported at the null.
        let f = run(&[("clusters/dev/a.yaml", &ks.replace("interval: 5m", "interval: null"))]);
        assert_eq!(positions(&f), [(ID, 5, 13)]);
        assert!(f[0].message.contains("`spec.interval` is required"), "{}", f[0].message);
        // A null where a field is unknown is still an unknown field.
        let f = run(&[("clusters/dev/a.yaml", &ks.replace("timeout: ~", "timeuot: ~"))]);
        assert_eq!(positions(&f), [(ID, 10, 3)]);
    }

    #[test]
    fn flux_operator_kinds_are_event_sources_where_the_operator_installs_flux() {
        let alert = "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata: {name: a, namespace: flux-system}\nspec:\n  providerRef: {name: slack}\n  eventSources:\n    - {kind: FluxInstance, name: flux}\n    - {kind: ResourceSet, name: apps}\n";
        // Without the operator, the kinds are not Flux's.
        let f = run(&[("clusters/dev/alert.yaml", alert)]);
        assert_eq!(positions(&f), [(ID, 7, 14), (ID, 8, 14)]);
        // A FluxInstance in the repositories, or the config, says Flux is
        // installed by the operator.
        let instance = "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {name: flux, namespace: flux-system}\nspec:\n  distribution: {version: '2.x', registry: ghcr.io/fluxcd}\n";
        let f = run(&[("clusters/dev/alert.yaml", alert), ("clusters/dev/flux.yaml", instance)]);
        assert!(f.iter().all(|f| f.path != "clusters/dev/alert.yaml"), "{f:?}");
        let f = run_rule(RULE, &[("clusters/dev/alert.yaml", alert)], "fluxOperator: true\n");
        assert!(f.is_empty(), "{f:?}");
        // Other kinds stay refused.
        let typo = alert.replace("ResourceSet,", "ResourceSets,");
        let f = run_rule(RULE, &[("clusters/dev/alert.yaml", &typo)], "fluxOperator: true\n");
        assert_eq!(positions(&f), [(ID, 8, 14)]);
    }

    #[test]
    fn values_files_and_non_objects_are_not_validated() {
        let f = run(&[
            ("charts/app/values.yaml", "apiVersion: v1\nkind: ConfigMap\nfoo: bar\n"),
            ("notes.yaml", "just: data\n"),
        ]);
        assert!(f.is_empty(), "{f:?}");
    }
}
