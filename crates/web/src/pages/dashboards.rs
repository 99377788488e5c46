//! The pages residents open every day: my home, a member's page for coordinators, the
//! community. Each page is a period (day, week, month, year, browsed with previous/next and a
//! date) with its figures, a flow picture and its charts; the parts that change with the
//! period or with time are fragments the page fetches again (`…/panel`, `…/live`), rendered
//! here so a refreshed figure is formatted exactly as the first one.

use app::access::{Viewer, Withheld};
use app::dashboard::{Curve, MemberLive};
use app::energy::{Comparison, Energy};
use app::period::{RangeRequest, Window};
use app::AppError;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use domain::{MemberId, PeriodKind};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{page, render};
use crate::dto::{CurveDto, EnergyDto, EnergyParts};
use crate::extract::MemberPath;
use crate::i18n::Catalog;
use crate::{route, AppState, Route, WebError, GET};

pub const TEMPLATES: &[(&str, &str)] = &[
    ("chart.html", include_str!("../../templates/chart.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("live.html", include_str!("../../templates/live.html")),
    ("panel.html", include_str!("../../templates/panel.html")),
    ("flow.html", include_str!("../../templates/flow.html")),
    (
        "community.html",
        include_str!("../../templates/community.html"),
    ),
];

pub fn routes() -> Vec<Route> {
    vec![
        route("/home", GET, false, get(home)),
        route("/home/panel", GET, false, get(home_panel)),
        route("/home/live", GET, false, get(home_live)),
        route("/community", GET, false, get(community)),
        route("/community/panel", GET, false, get(community_panel)),
        route("/members/{id}", GET, false, get(member)),
        route("/members/{id}/panel", GET, false, get(member_panel)),
        route("/members/{id}/live", GET, false, get(member_live)),
    ]
}

/// A meter whose latest reading is older than this is shown as silent: no pulse, and how long
/// ago it last measured.
const STALE_AFTER_MS: i64 = 5 * 60_000;

/// The period a page shows: `?range=week&date=2024-05-01` (today's day by default).
#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    range: Option<String>,
    date: Option<String>,
}

impl PeriodQuery {
    fn request(q: Result<Query<PeriodQuery>, QueryRejection>) -> Result<RangeRequest, WebError> {
        let Query(q) =
            q.map_err(|e| WebError::bad_request(format!("query string: {}", e.body_text())))?;
        let range = q.range.as_deref().filter(|r| !r.is_empty());
        if let Some(r) = range {
            if !["day", "week", "month", "year"].contains(&r) {
                return Err(WebError::bad_request(format!(
                    "range: '{}' (day, week, month or year)",
                    ingest::timestamp::shorten(r)
                )));
            }
        }
        let date = q.date.as_deref().filter(|d| !d.is_empty());
        Ok(RangeRequest::parse(range, date, None, None)?)
    }
}

fn time_of_day(ts_ms: i64, tz: &jiff::tz::TimeZone) -> String {
    crate::dto::local_fmt(ts_ms, tz, "%H:%M")
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, WebError> {
    Ok(serde_json::to_string(v)
        .map_err(|e| WebError(AppError::internal(e.to_string())))?
        .replace("</", "<\\/"))
}

/// What a person calls the window: `mercredi 1 mai 2024`, `semaine du 29 avril 2024`,
/// `mai 2024`, `2024`.
fn period_label(catalog: &Catalog, window: &Window) -> String {
    let Some(p) = &window.period else {
        return String::new();
    };
    match window.kind {
        Some(PeriodKind::Week) => catalog
            .t("period_week")
            .replace("{date}", &catalog.date(p.first)),
        Some(PeriodKind::Month) => catalog.month(p.first),
        Some(PeriodKind::Year) => p.first.year().to_string(),
        _ => catalog.date(p.first),
    }
}

/// The period's navigation: its kind and date, the dates before and after, whether it holds
/// today (nothing to browse after it).
fn period_ctx(catalog: &Catalog, window: &Window, now_ms: i64) -> Value {
    let p = window.period.as_ref();
    let kind = window.kind.map_or("day".to_string(), |k| k.as_string());
    let first = p.map(|p| p.first.to_string()).unwrap_or_default();
    let current = p.is_some() && window.from_ms() <= now_ms && now_ms < window.to_ms();
    let future = window.from_ms() > now_ms;
    let today = jiff::Timestamp::from_millisecond(now_ms)
        .map(|t| t.to_zoned(window.tz.clone()).date().to_string())
        .unwrap_or_default();
    let step = |n: i64| -> String {
        let Some(p) = p else { return String::new() };
        let span = match window.kind {
            Some(PeriodKind::Week) => jiff::Span::new().days(7 * n),
            Some(PeriodKind::Month) => jiff::Span::new().months(n),
            Some(PeriodKind::Year) => jiff::Span::new().years(n),
            _ => jiff::Span::new().days(n),
        };
        p.first
            .checked_add(span)
            .ok()
            .filter(|d| (1900..=2199).contains(&d.year()))
            .map(|d| d.to_string())
            .unwrap_or_else(|| first.clone())
    };
    json!({
        "range": kind,
        "date": first,
        "prev": step(-1),
        "next": step(1),
        "label": period_label(catalog, window),
        "current": current,
        "future": future,
        "today": today,
    })
}

/// A chart's data and texts, embedded in the page so it draws at once.
fn chart(
    catalog: &Catalog,
    title: &str,
    api: &str,
    curve: Option<&Curve>,
    energy: &EnergyDto,
    who: &str,
) -> Result<Value, WebError> {
    let labels = json!({
        "consumption": catalog.t("chart_consumption"),
        "production": catalog.t("chart_production"),
        "self_consumed": catalog.t("chart_self_consumed"),
        "used_at_home": catalog.t("flow_used_at_home"),
        "from_neighbours": catalog.t("flow_from_neighbours"),
        "from_grid": catalog.t("flow_from_grid"),
        "to_neighbours": catalog.t("flow_to_neighbours"),
        "to_grid": catalog.t("flow_to_grid"),
        "shared": catalog.t("community_shared"),
        "compare": catalog.t("chart_compare"),
        "partial": catalog.t("chart_partial"),
        "power": catalog.t("chart_power"),
        "energy": catalog.t("chart_energy"),
        "time": catalog.t("chart_time"),
        "empty": catalog.t("chart_empty"),
        "failed": catalog.t("chart_failed"),
        "bars_hour": catalog.t("bars_hour"),
        "bars_day": catalog.t("bars_day"),
        "bars_month": catalog.t("bars_month"),
    });
    Ok(json!({
        "title": title,
        "api": api,
        "who": who,
        "labels": labels.to_string(),
        "curve": curve.map(|c| to_json(&CurveDto::compact(c))).transpose()?,
        "energy": to_json(energy)?,
        "unit": energy.unit,
    }))
}

/// The power curve is drawn for a day or a week; longer periods are bars only.
fn wants_curve(window: &Window) -> bool {
    window.span_ms() <= 8 * 86_400_000
}

/// Energy figures, rates, the flow picture and the table of a period's bars.
fn panel_ctx(
    catalog: &Catalog,
    energy: &Energy,
    community: bool,
    share_withheld: Option<String>,
) -> Value {
    let p = EnergyParts::new(&energy.total, energy.share, community);
    let e = |mwh: i64| catalog.energy_mwh(mwh);
    let tz = &energy.window.tz;
    let in_progress = energy.bars.last().is_some_and(|b| b.partial);
    let rows: Vec<Value> = energy
        .bars
        .iter()
        .map(|b| {
            let bp = EnergyParts::new(&b.totals, b.share, community);
            let label = match energy.unit {
                app::energy::BarUnit::Hour => format!(
                    "{}–{}",
                    time_of_day(b.start_ms, tz),
                    time_of_day(b.end_ms, tz)
                ),
                app::energy::BarUnit::Day => jiff::Timestamp::from_millisecond(b.start_ms)
                    .map(|t| catalog.date(t.to_zoned(tz.clone()).date()))
                    .unwrap_or_default(),
                app::energy::BarUnit::Month => jiff::Timestamp::from_millisecond(b.start_ms)
                    .map(|t| catalog.month(t.to_zoned(tz.clone()).date()))
                    .unwrap_or_default(),
            };
            json!({
                "label": label,
                "partial": b.partial,
                "consumption": e(bp.consumption),
                "production": e(bp.production),
                "used_at_home": e(bp.used_at_home),
                "from_neighbours": bp.from_neighbours.map(e),
                "from_grid": e(bp.from_grid),
                "to_grid": e(bp.to_grid),
            })
        })
        .collect();
    // Arrow widths follow the energies (1.5 to 9 px), so the picture reads at a glance.
    let biggest = [
        p.used_at_home,
        p.from_neighbours.unwrap_or(0),
        p.to_neighbours.unwrap_or(0),
        p.from_grid,
        p.to_grid,
    ]
    .into_iter()
    .max()
    .unwrap_or(0)
    .max(1);
    let width = |mwh: i64| {
        if mwh <= 0 {
            0.0
        } else {
            (1.5 + 7.5 * mwh as f64 / biggest as f64).round()
        }
    };
    let flow = json!({
        "community": community,
        "used_at_home": e(p.used_at_home), "w_used_at_home": width(p.used_at_home),
        "self_consumed": e(p.used_at_home + p.from_neighbours.unwrap_or(0)),
        "w_self_consumed": width(p.used_at_home + p.from_neighbours.unwrap_or(0)),
        "from_neighbours": p.from_neighbours.map(e), "w_from_neighbours": width(p.from_neighbours.unwrap_or(0)),
        "to_neighbours": p.to_neighbours.map(e), "w_to_neighbours": width(p.to_neighbours.unwrap_or(0)),
        "from_grid": e(p.from_grid), "w_from_grid": width(p.from_grid),
        "to_grid": e(p.to_grid), "w_to_grid": width(p.to_grid),
        "production": e(p.production),
        "consumption": e(p.consumption),
        "has_production": p.production > 0,
        "has_neighbours": p.from_neighbours.is_some(),
    });
    json!({
        "community": community,
        "label": period_label(catalog, &energy.window),
        "until": in_progress.then(|| catalog.t("home_today_until").replace("{time}", &time_of_day(energy.summed_to.start_ms(), tz))),
        "empty": energy.total.quarter_hours == 0,
        "consumption": e(p.consumption),
        "production": e(p.production),
        "has_production": p.production > 0 || community,
        "used_at_home": e(p.used_at_home),
        "from_neighbours": p.from_neighbours.map(e),
        "to_neighbours": p.to_neighbours.map(e),
        "from_grid": e(p.from_grid),
        "to_grid": e(p.to_grid),
        "offtake": e(energy.total.offtake_mwh),
        "injection": e(energy.total.injection_mwh),
        "self_sufficiency": catalog.percent(p.self_sufficiency_rate()),
        "self_consumption": catalog.percent(p.self_consumption_rate()),
        "self_sufficiency_pct": pct(p.self_sufficiency_rate()),
        "self_consumption_pct": pct(p.self_consumption_rate()),
        "share_withheld": share_withheld,
        "rows": rows,
        "flow": flow,
    })
}

fn pct(rate: Option<f64>) -> f64 {
    (rate.unwrap_or(0.0) * 100.0).clamp(0.0, 100.0).round()
}

/// The live card and today's figures.
fn live_ctx(catalog: &Catalog, live: &MemberLive, has_production: bool, now_ms: i64) -> Value {
    let tz = &live.today.window.tz;
    let today = &live.today;
    let until = time_of_day(today.summed_to.start_ms(), tz);
    let fresh = live.as_of_ms.is_some_and(|t| now_ms - t <= STALE_AFTER_MS);
    let last = live.as_of_ms.or(live.last_contact_ms);
    let (state, as_of) = match (fresh, last) {
        (true, Some(t)) => (
            "live",
            format!("{} {}", catalog.t("home_live_as_of"), time_of_day(t, tz)),
        ),
        (false, Some(t)) => (
            "stale",
            catalog
                .t("home_live_stale")
                .replace("{ago}", &catalog.ago(now_ms - t))
                .replace("{time}", &time_of_day(t, tz)),
        ),
        (_, None) => ("none", catalog.t("home_live_none").to_string()),
    };
    let w = |v: Option<f64>| match (fresh, v) {
        (true, Some(w)) => catalog.power(w),
        _ => "—".to_string(),
    };
    json!({
        "state": state,
        "power": w(live.consumption_w),
        "production": w(live.production_w),
        "has_production": has_production,
        "as_of": as_of,
        "summed_to": today.summed_to.start_ms(),
        "today": {
            "until": catalog.t("home_today_until").replace("{time}", &until),
            "consumption": catalog.energy_mwh(today.totals.consumption_mwh),
            "production": catalog.energy_mwh(today.totals.production_mwh),
            "used_at_home": catalog.energy_mwh(today.totals.used_at_home_mwh),
            "injection": catalog.energy_mwh(today.totals.injection_mwh),
            "offtake": catalog.energy_mwh(today.totals.offtake_mwh),
        },
    })
}

/// Today against other days and the typical household.
fn comparison_ctx(catalog: &Catalog, c: &Comparison) -> Value {
    let e = |v: Option<i64>| v.map_or(catalog.t("cmp_none").to_string(), |m| catalog.energy_mwh(m));
    // Bars relative to the largest figure.
    let values = [
        c.today_mwh,
        c.yesterday_mwh,
        c.same_weekday_mean_mwh(),
        c.neighbours_median_mwh,
    ];
    let max = values.iter().flatten().copied().max().unwrap_or(0).max(1);
    let pct = |v: Option<i64>| v.map_or(0.0, |v| (100.0 * v as f64 / max as f64).round());
    let diff = |other: Option<i64>| match (c.today_mwh, other) {
        (Some(t), Some(o)) if o > 0 => {
            let d = (t - o) as f64 / o as f64;
            let key = if d >= 0.0 { "cmp_more" } else { "cmp_less" };
            Some(
                catalog
                    .t(key)
                    .replace("{pct}", &catalog.percent(Some(d.abs()))),
            )
        }
        _ => None,
    };
    json!({
        "today_label": catalog.t("cmp_today").replace("{time}", &c.until),
        "today": e(c.today_mwh), "today_pct": pct(c.today_mwh),
        "yesterday": e(c.yesterday_mwh), "yesterday_pct": pct(c.yesterday_mwh), "yesterday_diff": diff(c.yesterday_mwh),
        "weekday_label": catalog.t("cmp_weekday").replace("{n}", &c.same_weekday.len().to_string()),
        "weekday": e(c.same_weekday_mean_mwh()), "weekday_pct": pct(c.same_weekday_mean_mwh()), "weekday_diff": diff(c.same_weekday_mean_mwh()),
        "neighbours_label": catalog.t("cmp_neighbours").replace("{n}", &c.neighbours.to_string()),
        "neighbours": c.neighbours_median_mwh.map(|m| catalog.energy_mwh(m)),
        "neighbours_pct": pct(c.neighbours_median_mwh),
        "neighbours_diff": diff(c.neighbours_median_mwh),
        "neighbours_withheld": catalog.t("cmp_neighbours_withheld").replace("{k}", &c.min_group.max(2).to_string()),
    })
}

/// Why community figures are not shown to this viewer (`None`: they are), in the words of the
/// catalogue's `key` (`{others}` other members, fewer than `{k}`).
fn withheld_text(
    s: &AppState,
    catalog: &Catalog,
    key: &str,
    visibility: &app::access::Visibility,
) -> Option<String> {
    (!visibility.community).then(|| {
        let (others, k) = match visibility.withheld {
            Some(Withheld::CommunityFigures { others, k }) => (others, k),
            _ => (0, s.app().settings().min_group_size),
        };
        catalog
            .t(key)
            .replace("{others}", &others.to_string())
            .replace("{k}", &k.to_string())
    })
}

/// Why a member's share of the neighbourhood is not shown.
fn share_withheld(
    s: &AppState,
    catalog: &Catalog,
    viewer: &Viewer,
) -> Result<Option<String>, WebError> {
    let visibility = s.app().visibility(viewer)?;
    Ok(withheld_text(s, catalog, "share_withheld", &visibility))
}

/// Which member a page is about: the viewer's own (`/home`) or one a coordinator may see
/// (`/members/3`). Whether the viewer may see it is the app's to say, with the data.
struct MemberView {
    own: bool,
    member_id: MemberId,
}

impl MemberView {
    fn new(viewer: &Viewer, member: Option<MemberId>) -> Result<MemberView, WebError> {
        let member_id = member
            .or(viewer.user.member_id)
            .ok_or_else(|| WebError::not_found("no member"))?;
        Ok(MemberView {
            own: member.is_none() || member == viewer.user.member_id,
            member_id,
        })
    }

    /// The page, and the base of its fragments.
    fn path(&self) -> String {
        if self.own {
            "/home".into()
        } else {
            format!("/members/{}", self.member_id)
        }
    }

    fn api(&self) -> String {
        if self.own {
            "/api/v1/me".into()
        } else {
            format!("/api/v1/members/{}", self.member_id)
        }
    }
}

/// Who a download or picture is about, in its file name.
fn who(viewer: &Viewer, view: &MemberView, name: &str) -> String {
    if view.own {
        crate::api::slug(&viewer.user.login).unwrap_or_else(|| "me".into())
    } else {
        crate::api::slug(name).unwrap_or_else(|| format!("member-{}", view.member_id))
    }
}

/// `…/panel`: a period's figures, and where to browse from it, for the page to swap in.
fn panel_fragment(
    s: &AppState,
    viewer: &Viewer,
    lang: &str,
    path: &str,
    energy: &Energy,
    community: bool,
    withheld: Option<String>,
) -> Result<String, WebError> {
    let catalog = s.0.catalogs.get(lang);
    let now = s.app().now_ms();
    let ctx = json!({
        "panel": panel_ctx(catalog, energy, community, withheld),
        "period": period_ctx(catalog, &energy.window, now),
    });
    render(s, "panel.html", lang, path, Some(viewer), ctx)
}

pub async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    page(
        state,
        headers,
        Box::new(move |s, viewer, lang| {
            let req = PeriodQuery::request(q)?;
            match viewer.user.member_id {
                Some(_) => member_page(s, viewer, lang, None, &req),
                None => {
                    let catalog = s.0.catalogs.get(lang);
                    let community = s.app().community()?;
                    let ctx = json!({ "title": catalog.t("home_title"), "heading": catalog.t("home_title"), "active": "home", "community_name": community.name, "no_member": true, "member_name": viewer.user.display_name });
                    render(s, "home.html", lang, "/home", Some(viewer), ctx)
                }
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
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    page(
        state,
        headers,
        Box::new(move |s, viewer, lang| {
            let id = id?.0;
            member_page(s, viewer, lang, Some(id), &PeriodQuery::request(q)?)
        }),
    )
    .await
}

/// A member's period: live power, the period's energy and share, the charts, and today's
/// comparison.
fn member_page(
    s: &AppState,
    viewer: &Viewer,
    lang: &str,
    member: Option<MemberId>,
    req: &RangeRequest,
) -> Result<String, WebError> {
    let catalog = s.0.catalogs.get(lang);
    let app = s.app();
    let now = app.now_ms();
    let community = app.community()?;
    let view = MemberView::new(viewer, member)?;
    let name = app.member_name(view.member_id)?;
    let path = view.path();
    let live = app.member_live(viewer, member)?;
    let energy = app.member_energy(viewer, member, req)?;
    let window = energy.window.clone();
    let curve = if wants_curve(&window) {
        Some(app.member_curve(viewer, member, req)?)
    } else {
        None
    };
    let has_production = curve.as_ref().is_some_and(|c| c.series.len() > 1)
        || energy.total.production_mwh > 0
        || live.today.totals.production_mwh > 0
        || live.production_w.is_some();
    let comparison = app.member_comparison(viewer, member)?;
    let heading = if view.own {
        catalog.t("home_title").to_string()
    } else {
        name.clone()
    };
    let withheld = share_withheld(s, catalog, viewer)?;
    let energy_dto = EnergyDto::new(&energy, false);
    let who = who(viewer, &view, &name);
    let ctx = json!({
        "title": heading,
        "heading": heading,
        "active": if view.own { "home" } else { "members" },
        "community_name": community.name,
        "timezone": community.timezone,
        "charts": true,
        "member_name": if view.own { name.clone() } else { community.name.clone() },
        "back": (!view.own).then_some("/members"),
        "page_path": path,
        "live_url": format!("{path}/live"),
        "panel_url": format!("{path}/panel"),
        "live": live_ctx(catalog, &live, has_production, now),
        "period": period_ctx(catalog, &window, now),
        "panel": panel_ctx(catalog, &energy, false, withheld),
        "comparison": comparison_ctx(catalog, &comparison),
        "chart": chart(catalog, catalog.t(if view.own { "home_curve" } else { "member_curve" }), &view.api(), curve.as_ref(), &energy_dto, &who)?,
    });
    render(s, "home.html", lang, &path, Some(viewer), ctx)
}

/// `…/live`: the live card and today's figures, for the page to refresh.
fn live_fragment(
    s: &AppState,
    viewer: &Viewer,
    lang: &str,
    member: Option<MemberId>,
) -> Result<String, WebError> {
    let catalog = s.0.catalogs.get(lang);
    let app = s.app();
    let live = app.member_live(viewer, member)?;
    let has_production = live.today.totals.production_mwh > 0 || live.production_w.is_some();
    let path = MemberView::new(viewer, member)?.path();
    let ctx = json!({ "live": live_ctx(catalog, &live, has_production, app.now_ms()), "live_url": format!("{path}/live") });
    render(s, "live.html", lang, &path, Some(viewer), ctx)
}

pub async fn home_live(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(
        state,
        headers,
        Box::new(|s, viewer, lang| live_fragment(s, viewer, lang, None)),
    )
    .await
}

pub async fn member_live(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<MemberPath, WebError>,
) -> Response {
    page(
        state,
        headers,
        Box::new(move |s, viewer, lang| live_fragment(s, viewer, lang, Some(id?.0))),
    )
    .await
}

/// `…/panel?range&date`: a member's figures for a period, for the page to swap in.
fn member_panel_fragment(
    s: &AppState,
    viewer: &Viewer,
    lang: &str,
    member: Option<MemberId>,
    req: &RangeRequest,
) -> Result<String, WebError> {
    let catalog = s.0.catalogs.get(lang);
    let path = MemberView::new(viewer, member)?.path();
    let energy = s.app().member_energy(viewer, member, req)?;
    let withheld = share_withheld(s, catalog, viewer)?;
    panel_fragment(s, viewer, lang, &path, &energy, false, withheld)
}

pub async fn home_panel(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    page(
        state,
        headers,
        Box::new(move |s, viewer, lang| {
            member_panel_fragment(s, viewer, lang, None, &PeriodQuery::request(q)?)
        }),
    )
    .await
}

pub async fn member_panel(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<MemberPath, WebError>,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    page(
        state,
        headers,
        Box::new(move |s, viewer, lang| {
            let id = id?.0;
            member_panel_fragment(s, viewer, lang, Some(id), &PeriodQuery::request(q)?)
        }),
    )
    .await
}

pub async fn community(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    page(
        state,
        headers,
        Box::new(move |s, viewer, lang| {
            let req = PeriodQuery::request(q)?;
            let catalog = s.0.catalogs.get(lang);
            let app = s.app();
            let now = app.now_ms();
            let community = app.community()?;
            let visibility = app.visibility(viewer)?;
            let mut ctx = json!({
                "title": catalog.t("community_title"),
                "active": "community",
                "community_name": community.name,
                "timezone": community.timezone,
                "page_path": "/community",
                "panel_url": "/community/panel",
            });
            if let Some(text) = withheld_text(s, catalog, "community_withheld", &visibility) {
                ctx["withheld"] = json!(text);
                return render(s, "community.html", lang, "/community", Some(viewer), ctx);
            }
            let energy = app.community_energy(viewer, &req)?;
            let window = energy.window.clone();
            let curve = if wants_curve(&window) {
                Some(app.community_curve(viewer, &req)?)
            } else {
                None
            };
            let today = RangeRequest::default();
            let cabin = app.cabin(viewer, &today)?.map(|c| {
                json!({
                    "measured": catalog.energy_mwh(c.measured_mwh),
                    "members": catalog.energy_mwh(c.members_net_mwh),
                    "coverage": catalog.percent(c.coverage),
                    "reverse": format!("{} / {}", c.reverse_flow_slots, c.slots),
                })
            });
            let dto = EnergyDto::new(&energy, true);
            ctx["charts"] = json!(true);
            ctx["period"] = period_ctx(catalog, &window, now);
            ctx["panel"] = panel_ctx(catalog, &energy, true, None);
            ctx["chart"] = chart(
                catalog,
                catalog.t("community_curve"),
                "/api/v1/community",
                curve.as_ref(),
                &dto,
                "community",
            )?;
            ctx["cabin"] = json!(cabin);
            render(s, "community.html", lang, "/community", Some(viewer), ctx)
        }),
    )
    .await
}

pub async fn community_panel(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    page(
        state,
        headers,
        Box::new(move |s, viewer, lang| {
            let energy = s
                .app()
                .community_energy(viewer, &PeriodQuery::request(q)?)?;
            panel_fragment(s, viewer, lang, "/community", &energy, true, None)
        }),
    )
    .await
}
