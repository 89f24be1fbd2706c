//! `schema` (HelmRelease values): the effective values of a HelmRelease
//! whose chart is in a local checkout, checked against the chart's
//! `values.schema.json` as Helm checks them at install time. Shares the id
//! `schema` with the manifest schema check: both are "a document its JSON
//! Schema rejects". The layering and span mapping live in
//! [`crate::values_schema`].

use crate::check::{Rule, RunContext};
use crate::finding::Findings;

pub(crate) static RULE: &dyn Rule = &SchemaHelmValues;

struct SchemaHelmValues;

const ID: &str = "schema";

impl Rule for SchemaHelmValues {
    fn id(&self) -> &'static str {
        ID
    }

    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        for f in crate::values_schema::check(cx.workspace) {
            out.push(f);
        }
    }
}
