//! `schema` (HelmRelease values): the effective values of a HelmRelease
//! whose chart is in a local checkout, checked against the chart's
//! `values.schema.json` as Helm checks them at install time. Shares the id
//! `schema` with the manifest schema check: both are "a document its JSON
//! Schema rejects". The layering and span mapping live in
//! [`crate::schema::helm_values`]; this file says what was found.

use crate::base::finding::{Finding, Findings};
use crate::engine::registry::ids;
use crate::engine::{declare_rule, DocContext, Rule};
use crate::graph::values::is_helm_release;
use crate::schema::helm_values::{self, ValuesViolation};
use crate::schema::postbuild;

declare_rule!(SchemaHelmValues, ids::SCHEMA);

impl Rule for SchemaHelmValues {
    /// A HelmRelease as a cluster applies it (values set by patches and
    /// post-build variables included), or as written when nothing renders
    /// it.
    fn check_object(&self, cx: &DocContext<'_>, out: &mut Findings) {
        if !cx.object.is_some_and(is_helm_release) {
            return;
        }
        let run = cx.file.run;
        let (ws, graph) = (run.workspace, run.graph());
        let Some(helm) = cx.written().and_then(|(file, doc)| graph.helm_use(file, doc)) else {
            return;
        };
        let schemas = run.chart_schemas();
        for v in helm_values::check(ws, graph, schemas, helm, cx.root(), cx.is_rendered()) {
            let (message, help) = words(&v);
            let path = ws.file(v.file).path();
            let object = cx.object.map(|o| o.to_ref());
            let mut f = Finding::new(ID, path, v.span, message).with_object(object);
            match &v.substituted {
                Some((vars, used)) => {
                    let (told, places) = postbuild::explain(ws, vars, used);
                    f = f.with_help(format!("{told}. {help}"));
                    for place in places {
                        f = f.with_related(place);
                    }
                }
                None => f = f.with_help(help),
            }
            out.push(f);
        }
    }
}

/// The message and help of a violation.
fn words(v: &ValuesViolation) -> (String, String) {
    let field = if v.pointer.is_empty() {
        "values".to_string()
    } else {
        format!("`{}`", v.pointer.trim_start_matches('/').replace('/', "."))
    };
    let mut message = format!(
        "HelmRelease '{}' values {field}: {}; chart `{}` rejects it (values.schema.json)",
        v.release, v.error, v.chart
    );
    if let Some((vars, _)) = &v.substituted {
        message.push_str(&postbuild::after(vars));
    }
    let help = format!(
        "Helm validates the merged values (chart values.yaml, valuesFiles, spec.values) against {}/values.schema.json at install time",
        v.chart_dir
    );
    (message, help)
}
