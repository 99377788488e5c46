//! The pages residents open every day: my home, a member's page for coordinators, the
//! community.

use app::access::{Viewer, Withheld};
use app::dashboard::Curve;
use app::period::{RangeRequest, Window};
use app::AppError;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use domain::PeriodKind;
use serde_json::{json, Value};

use super::{page, render};
use crate::dto::CurveDto;
use crate::extract::MemberPath;
use crate::i18n::Catalog;
use crate::{route, AppState, Route, WebError, GET};
use axum::routing::get;

pub const TEMPLATES: &[(&str, &str)] = &[
    ("chart.html", include_str!("../../templates/chart.html")),
    ("home.html", include_str!("../../templates/home.html")),
    (
        "community.html",
        include_str!("../../templates/community.html"),
    ),
];

pub fn routes() -> Vec<Route> {
    vec![
        route("/home", GET, false, get(home)),
        route("/community", GET, false, get(community)),
        route("/members/{id}", GET, false, get(member)),
    ]
}

fn time_of_day(ts_ms: i64, tz: &jiff::tz::TimeZone) -> String {
    crate::dto::local_fmt(ts_ms, tz, "%H:%M")
}

fn chart(
    catalog: &Catalog,
    id: &str,
    title: &str,
    url: &str,
    range: &str,
    curve: &Curve,
) -> Result<Value, WebError> {
    let labels = json!({
        "consumption": catalog.t("chart_consumption"),
        "production": catalog.t("chart_production"),
        "self_consumed": catalog.t("chart_self_consumed"),
        "power": catalog.t("chart_power"),
        "time": catalog.t("chart_time"),
        "empty": catalog.t("chart_empty"),
        "failed": catalog.t("chart_failed"),
    });
    let data = serde_json::to_string(&CurveDto::compact(curve))
        .map_err(|e| WebError(AppError::internal(e.to_string())))?
        .replace("</", "<\\/");
    Ok(
        json!({ "id": id, "title": title, "url": url, "range": range, "labels": labels.to_string(), "data": data }),
    )
}

pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(
        state,
        headers,
        Box::new(|s, viewer, lang| match viewer.user.member_id {
            Some(_) => member_page(s, viewer, lang, None),
            None => {
                let catalog = s.0.catalogs.get(lang);
                let community = s.app().community()?;
                let tz = community
                    .time_zone()
                    .map_err(|e| AppError::internal(e.to_string()))?;
                let today = Window::resolve(&RangeRequest::default(), &tz, s.app().now_ms())?
                    .period
                    .map(|p| p.first)
                    .unwrap_or_default();
                let ctx = json!({ "title": catalog.t("home_title"), "heading": catalog.t("home_title"), "active": "home", "community_name": community.name, "today_label": catalog.date(today), "no_member": true, "member_name": viewer.user.display_name });
                render(s, "home.html", lang, "/home", Some(viewer), ctx)
            }
        }),
    )
    .await
}

/// A coordinator's view of one member: only for members who share their curve.
pub async fn member(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<MemberPath, WebError>,
) -> Response {
    page(
        state,
        headers,
        Box::new(move |s, viewer, lang| member_page(s, viewer, lang, Some(id?.0))),
    )
    .await
}

/// Live power, today's energy and the load curve of one member (the viewer's own with `None`).
fn member_page(
    s: &AppState,
    viewer: &Viewer,
    lang: &str,
    member: Option<domain::MemberId>,
) -> Result<String, WebError> {
    let catalog = s.0.catalogs.get(lang);
    let app = s.app();
    let community = app.community()?;
    let live = app.member_live(viewer, member)?;
    let tz = live.today.window.tz.clone();
    let own = member.is_none() || member == viewer.user.member_id;
    let member_id = member
        .or(viewer.user.member_id)
        .ok_or_else(|| WebError::not_found("no member"))?;
    let name = app.member_name(member_id)?;
    let curve = app.member_curve(viewer, member, &RangeRequest::default())?;
    let has_production = curve.series.len() > 1;
    let (heading, active, path, api) = if own {
        (
            catalog.t("home_title").to_string(),
            "home",
            "/home".to_string(),
            "/api/v1/me".to_string(),
        )
    } else {
        (
            name.clone(),
            "members",
            format!("/members/{member_id}"),
            format!("/api/v1/members/{member_id}"),
        )
    };
    let today = &live.today;
    let until = time_of_day(today.summed_to.start_ms(), &tz);
    let ctx = json!({
        "title": heading,
        "heading": heading,
        "active": active,
        "community_name": community.name,
        "today_label": catalog.date(today.window.period.as_ref().map(|p| p.first).unwrap_or_default()),
        "timezone": community.timezone,
        "charts": true,
        // The heading names the member on a coordinator's view; the line below it says where.
        "member_name": if own { name.clone() } else { community.name.clone() },
        "live_url": format!("{api}/live"),
        "live": {
            "power": live.consumption_w.map_or("—".to_string(), |w| catalog.power(w)),
            "production": live.production_w.map_or("—".to_string(), |w| catalog.power(w)),
            "has_production": has_production,
            "as_of": live.as_of_ms.map_or(catalog.t("home_live_none").to_string(), |t| format!("{} {}", catalog.t("home_live_as_of"), time_of_day(t, &tz))),
        },
        "today": {
            "until": catalog.t("home_today_until").replace("{time}", &until),
            "consumption": catalog.energy_mwh(today.totals.consumption_mwh),
            "production": catalog.energy_mwh(today.totals.production_mwh),
            "used_at_home": catalog.energy_mwh(today.totals.used_at_home_mwh),
            "injection": catalog.energy_mwh(today.totals.injection_mwh),
            "offtake": catalog.energy_mwh(today.totals.offtake_mwh),
        },
        "chart": chart(catalog, "curve", catalog.t(if own { "home_curve" } else { "member_curve" }), &format!("{api}/curve"), "day", &curve)?,
    });
    render(s, "home.html", lang, &path, Some(viewer), ctx)
}

fn pct(rate: Option<f64>) -> f64 {
    (rate.unwrap_or(0.0) * 100.0).clamp(0.0, 100.0).round()
}

pub async fn community(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(
        state,
        headers,
        Box::new(|s, viewer, lang| {
            let catalog = s.0.catalogs.get(lang);
            let app = s.app();
            let community = app.community()?;
            let visibility = app.visibility(viewer)?;
            let today = RangeRequest::default();
            let mut ctx = json!({
                "title": catalog.t("community_title"),
                "active": "community",
                "community_name": community.name,
                "timezone": community.timezone,
            });
            if !visibility.community {
                let (others, k) = match visibility.withheld {
                    Some(Withheld::CommunityFigures { others, k }) => (others, k),
                    _ => (0, app.settings().min_group_size),
                };
                ctx["withheld"] = json!(catalog
                    .t("community_withheld")
                    .replace("{others}", &others.to_string())
                    .replace("{k}", &k.to_string()));
                return render(s, "community.html", lang, "/community", Some(viewer), ctx);
            }
            let day = app.community_totals(viewer, &today)?;
            let month = app.community_totals(
                viewer,
                &RangeRequest::Period {
                    kind: PeriodKind::Days(30),
                    date: None,
                },
            )?;
            let curve = app.community_curve(viewer, &today)?;
            let cabin = app.cabin(viewer, &today)?.map(|c| {
                json!({
                    "measured": catalog.energy_mwh(c.measured_mwh),
                    "members": catalog.energy_mwh(c.members_net_mwh),
                    "coverage": catalog.percent(c.coverage),
                    "reverse": format!("{} / {}", c.reverse_flow_slots, c.slots),
                })
            });
            let t = &day.totals;
            let m = &month.totals;
            ctx["charts"] = json!(true);
            ctx["today_label"] = json!(catalog.date(day.window.period.as_ref().map(|p| p.first).unwrap_or_default()));
            ctx["today"] = json!({
                "until": catalog.t("home_today_until").replace("{time}", &time_of_day(day.summed_to.start_ms(), &day.window.tz)),
                "consumption": catalog.energy_mwh(t.consumption_mwh),
                "production": catalog.energy_mwh(t.production_mwh),
                "used_at_home": catalog.energy_mwh(t.used_at_home_mwh),
                "shared": catalog.energy_mwh(t.shared_mwh),
            });
            ctx["month"] = json!({
                "days": month.window.period.as_ref().map_or(30, |p| p.days()),
                "from": catalog.date(month.window.period.as_ref().map(|p| p.first).unwrap_or_default()),
                "self_consumption_rate": catalog.percent(m.self_consumption_rate()),
                "self_sufficiency_rate": catalog.percent(m.self_sufficiency_rate()),
                "used_at_home_rate": catalog.percent(m.used_at_home_rate()),
                "shared_rate": catalog.percent(m.shared_rate()),
                "self_consumption_pct": pct(m.self_consumption_rate()),
                "self_sufficiency_pct": pct(m.self_sufficiency_rate()),
                "used_at_home_pct": pct(m.used_at_home_rate()),
                "shared_pct": pct(m.shared_rate()),
            });
            ctx["chart"] = chart(
                catalog,
                "community-curve",
                catalog.t("community_curve"),
                "/api/v1/community/curve",
                "day",
                &curve,
            )?;
            ctx["cabin"] = json!(cabin);
            render(s, "community.html", lang, "/community", Some(viewer), ctx)
        }),
    )
    .await
}
