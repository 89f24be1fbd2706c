//! `image-tag-pinned`: an image without a tag, or tagged `latest`, runs
//! whatever that tag points to at pull time. A digest always pins.

use crate::engine::registry::ids;
use crate::engine::{declare_rule, Rule, RunContext};
use crate::base::finding::Findings;
use crate::model::images::has_placeholder;

declare_rule!(ImageTagPinned, ids::IMAGE_TAG_PINNED);

impl Rule for ImageTagPinned {
    fn check_workspace(&self, cx: &RunContext<'_>, out: &mut Findings) {
        for found in cx.images() {
            let image = &found.image;
            if image.digest.is_some() || image.tag_is_placeholder || found.tag_from_chart {
                continue;
            }
            let message = match image.tag.as_deref() {
                Some("latest") => format!(
                    "{}: image `{}` uses the `latest` tag, which moves; pin a version tag or a digest (`@sha256:…`)",
                    found.owner, found.text
                ),
                Some(_) => continue,
                // `${IMAGE}` may carry its tag once substituted.
                None if has_placeholder(&found.text) => continue,
                None => format!(
                    "{}: image `{}` has no tag, so it runs whatever `latest` is when pulled; pin a version tag (`:1.2.3`) or a digest (`@sha256:…`)",
                    found.owner, found.text
                ),
            };
            let place = found.tag_at;
            out.push(cx.finding_at(ID, place.file, place.doc, place.span, message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{positions, run_rule};

    fn pod(images: &[&str]) -> String {
        let mut s = String::from("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers:\n");
        for img in images {
            s.push_str(&format!("    - image: {img}\n"));
        }
        s
    }

    #[test]
    fn flags_missing_and_latest_tags() {
        let p = pod(&["nginx", "myacr.azurecr.io/app:latest", "myacr.azurecr.io/app:1.2"]);
        let f = run_rule(RULE, &[("p.yaml", &p)], "");
        assert_eq!(positions(&f), [(ID, 6, 14), (ID, 7, 14)]);
        assert!(f[0].message.contains("has no tag"));
        assert!(f[1].message.contains("`latest`"));
        assert!(f[0].message.starts_with("Pod 'p' container '?'"));
    }

    #[test]
    fn look_alikes() {
        let p = pod(&[
            "myacr.azurecr.io/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "myacr.azurecr.io/app:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "\"myacr.azurecr.io/app:${TAG}\"",
            "\"${IMAGE}\"",
            "localhost:5000/app:1",
            "latest-app:2",
        ]);
        let f = run_rule(RULE, &[("p.yaml", &p)], "");
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn values_tags_are_reported_where_set() {
        let values = "image:\n  repository: myacr.azurecr.io/app\n  tag: latest\nchart:\n  image: {repository: myacr.azurecr.io/x}\nimage2:\n  image: {pullPolicy: Always}\n";
        let f = run_rule(RULE, &[("environments/dev/values.yaml", values)], "");
        // A mapping without a tag leaves it to the chart (its appVersion).
        assert_eq!(positions(&f), [(ID, 3, 8)]);
    }
}
