//! What coordinators run from the browser: members, meters and channels.

use app::access::Withheld;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};

use super::{page, render};
use crate::{route, AppState, Route, GET};
use axum::routing::get;

pub const TEMPLATES: &[(&str, &str)] =
    &[("members.html", include_str!("../../templates/members.html"))];

pub fn routes() -> Vec<Route> {
    vec![route("/members", GET, false, get(members))]
}

pub async fn members(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(
        state,
        headers,
        Box::new(|s, viewer, lang| {
            let catalog = s.0.catalogs.get(lang);
            let app = s.app();
            let (rows, unassigned) = app.members_overview(viewer)?;
            let community = app.community()?;
            let visibility = app.visibility(viewer)?;
            let now = app.now_ms();
            let silent_ms = app.settings().silent_after_minutes * 60_000;
            let mut out = Vec::new();
            for r in &rows {
                for (meter, channels) in &r.meters {
                    let chans: Vec<Value> = channels
                        .iter()
                        .map(|c| {
                            let kind = c.kind().map(|k| k.as_str()).unwrap_or("");
                            json!({ "key": c.series_key, "kind": catalog.t(&format!("channel_{kind}")), "kind_class": kind })
                        })
                        .collect();
                    out.push(json!({
                        "name": r.member.name,
                        "href": r.curve_visible.then(|| format!("/members/{}", r.member.id)),
                        "kind": catalog.t(&format!("kind_{}", r.member.kind.as_str())),
                        "meter": meter.name,
                        "channels": chans,
                        "last_contact": meter.last_contact_ms.map_or(catalog.t("members_never").to_string(), |t| catalog.ago(now - t)),
                        "silent": meter.last_contact_ms.is_none_or(|t| now - t > silent_ms),
                        "consent": catalog.t(if r.member.consent_individual { "members_yes" } else { "members_no" }),
                    }));
                }
            }
            let withheld = match visibility.withheld {
                Some(Withheld::IndividualCurves { private_members, k }) => Some(
                    catalog
                        .t("members_curves_withheld")
                        .replace("{n}", &private_members.to_string())
                        .replace("{k}", &k.to_string()),
                ),
                _ => None,
            };
            let unassigned: Vec<String> = unassigned.iter().map(|c| c.series_key.clone()).collect();
            let ctx = json!({ "title": catalog.t("members_title"), "active": "members", "community_name": community.name, "rows": out, "unassigned": unassigned, "withheld": withheld });
            render(s, "members.html", lang, "/members", Some(viewer), ctx)
        }),
    )
    .await
}
