//! `schema` (HelmRelease values): the effective values of a HelmRelease
//! whose chart is in a local checkout, checked against the chart's
//! `values.schema.json` as Helm checks them at install time. Shares the id
//! `schema` with the manifest schema check: both are "a document its JSON
//! Schema rejects". The layering and span mapping live in
//! [`crate::schema::helm_values`]; this file says what was found.

use crate::base::finding::Findings;
use crate::engine::registry::ids;
use crate::engine::{declare_rule, Rule, RunContext};
use crate::schema::helm_values::{self, ValuesViolation};
use crate::schema::postbuild;

declare_rule!(SchemaHelmValues, ids::SCHEMA);

impl Rule for SchemaHelmValues {
    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        let (ws, graph) = (cx.workspace, cx.graph());
        for v in helm_values::violations(ws, graph) {
            let (message, help) = words(&v);
            let mut f = cx.finding_at(ID, v.file, Some(v.doc), v.span, message);
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
