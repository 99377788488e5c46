//! What coordinators run from the browser: members and their meters, assigning a channel with
//! a preview of its curve, write tokens, and the audit log (which a resident reads for their
//! own member). Every change is a CSRF-checked form (`super::action`) and an audited use case.

use app::access::{Viewer, Withheld};
use app::coord::Assignment;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Form;
use domain::{ChannelKind, MemberKind, Point, TokenScope};
use serde_json::{json, Value};

use super::{action, page, render, Done, Fields};
use crate::i18n::Catalog;
use crate::{route, AppState, Route, WebError, GET, GET_POST, POST};

pub const TEMPLATES: &[(&str, &str)] = &[
    ("members.html", include_str!("../../templates/members.html")),
    (
        "member_settings.html",
        include_str!("../../templates/member_settings.html"),
    ),
    ("channel.html", include_str!("../../templates/channel.html")),
    ("tokens.html", include_str!("../../templates/tokens.html")),
    ("audit.html", include_str!("../../templates/audit.html")),
    ("_tabs.html", include_str!("../../templates/_tabs.html")),
    ("_audit.html", include_str!("../../templates/_audit.html")),
];

pub fn routes() -> Vec<Route> {
    vec![
        route("/members", GET_POST, false, get(members).post(add_member)),
        route(
            "/members/{id}/settings",
            GET_POST,
            false,
            get(member_settings).post(edit_member),
        ),
        route("/members/{id}/meters", POST, false, post(add_meter)),
        route(
            "/channels/{id}",
            GET_POST,
            false,
            get(channel).post(assign_channel),
        ),
        route("/tokens", GET_POST, false, get(tokens).post(create_token)),
        route("/tokens/{id}/revoke", POST, false, post(revoke_token)),
        route("/audit", GET, false, get(audit)),
    ]
}

const MEMBER_KINDS: [MemberKind; 4] = [
    MemberKind::Household,
    MemberKind::Shop,
    MemberKind::Office,
    MemberKind::Commons,
];
const CHANNEL_KINDS: [ChannelKind; 5] = [
    ChannelKind::Consumption,
    ChannelKind::Production,
    ChannelKind::GridImport,
    ChannelKind::GridExport,
    ChannelKind::Cabin,
];

fn coordinator_only(viewer: &Viewer) -> Result<(), WebError> {
    if viewer.is_coordinator() {
        Ok(())
    } else {
        Err(WebError(app::AppError::forbidden("coordinators only")))
    }
}

fn member_id(text: &str) -> Result<domain::MemberId, WebError> {
    domain::Id::parse(text).ok_or_else(|| WebError::not_found("no such member"))
}

fn field<'a>(fields: &'a Fields, name: &str) -> Result<&'a str, WebError> {
    match fields.get(name).map(|s| s.trim()) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(WebError::bad_request(format!("{name}: required"))),
    }
}

fn id_field(fields: &Fields, name: &str) -> Result<i64, WebError> {
    field(fields, name)?
        .parse()
        .map_err(|_| WebError::bad_request(format!("{name}: a number")))
}

fn member_kind(fields: &Fields) -> Result<MemberKind, WebError> {
    MemberKind::parse(field(fields, "kind")?).map_err(|e| WebError::bad_request(e.to_string()))
}

fn kind_options(catalog: &Catalog, selected: Option<MemberKind>) -> Vec<Value> {
    MEMBER_KINDS
        .iter()
        .map(|k| json!({ "value": k.as_str(), "label": catalog.t(&format!("kind_{}", k.as_str())), "selected": Some(*k) == selected }))
        .collect()
}

fn channel_kind_label(catalog: &Catalog, kind: Option<ChannelKind>) -> String {
    match kind {
        Some(k) => catalog.t(&format!("channel_{}", k.as_str())).to_string(),
        None => catalog.t("channel_unassigned").to_string(),
    }
}

/// `5 décembre 2026 14:30` in the community's zone.
pub(crate) fn when(catalog: &Catalog, ts_ms: i64, tz: &jiff::tz::TimeZone) -> String {
    let Ok(t) = jiff::Timestamp::from_millisecond(ts_ms) else {
        return String::new();
    };
    let zoned = t.to_zoned(tz.clone());
    format!(
        "{} {}",
        catalog.date(zoned.date()),
        crate::dto::local_fmt(ts_ms, tz, "%H:%M")
    )
}

/// The coordinator pages' tabs.
fn tabs(catalog: &Catalog, active: &str) -> Value {
    json!([
        { "href": "/members", "label": catalog.t("coord_tab_members"), "active": active == "members" },
        { "href": "/tokens", "label": catalog.t("coord_tab_tokens"), "active": active == "tokens" },
        { "href": "/audit", "label": catalog.t("coord_tab_audit"), "active": active == "audit" },
    ])
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
                let meters: Vec<Value> = r
                    .meters
                    .iter()
                    .map(|(meter, channels)| {
                        let chans: Vec<Value> = channels
                            .iter()
                            .map(|c| json!({ "key": c.series_key, "kind": channel_kind_label(catalog, c.kind()), "kind_class": c.kind().map_or("", |k| k.as_str()) }))
                            .collect();
                        json!({
                            "name": meter.name,
                            "channels": chans,
                            "last_contact": meter.last_contact_ms.map_or(catalog.t("members_never").to_string(), |t| catalog.ago(now - t)),
                            "silent": meter.last_contact_ms.is_none_or(|t| now - t > silent_ms),
                        })
                    })
                    .collect();
                out.push(json!({
                    "name": r.member.name,
                    "href": r.curve_visible.then(|| format!("/members/{}", r.member.id)),
                    "settings": format!("/members/{}/settings", r.member.id),
                    "kind": catalog.t(&format!("kind_{}", r.member.kind.as_str())),
                    "meters": meters,
                    "consent": catalog.t(if r.member.consent_individual { "members_yes" } else { "members_no" }),
                    "active": r.member.is_active(),
                    "today": r.today_consumption_mwh.map(|e| catalog.energy_mwh(e)),
                    "coverage": catalog.t("members_coverage").replace("{n}", &r.today_covered.to_string()).replace("{total}", &r.today_slots.to_string()),
                    "coverage_low": r.today_slots > 0 && r.today_covered * 10 < r.today_slots * 9,
                }));
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
            let unassigned: Vec<Value> = unassigned
                .iter()
                .map(|c| json!({ "key": c.series_key, "href": format!("/channels/{}", c.id) }))
                .collect();
            let ctx = json!({
                "title": catalog.t("members_title"), "active": "members", "tabs": tabs(catalog, "members"),
                "community_name": community.name, "rows": out, "unassigned": unassigned, "withheld": withheld,
                "kinds": kind_options(catalog, Some(MemberKind::Household)),
            });
            render(s, "members.html", lang, "/members", Some(viewer), ctx)
        }),
    )
    .await
}

pub async fn add_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    action(
        state,
        headers,
        form,
        Box::new(|s, viewer, _, f| {
            coordinator_only(viewer)?;
            let id = s.app().coord_add_member(
                viewer,
                field(f, "name")?,
                member_kind(f)?,
                f.contains_key("consent"),
            )?;
            Ok(Done::Redirect(format!("/members/{id}/settings")))
        }),
    )
    .await
}

fn audit_rows(
    catalog: &Catalog,
    entries: &[app::coord::AuditEntry],
    tz: &jiff::tz::TimeZone,
) -> Vec<Value> {
    entries
        .iter()
        .map(|e| json!({ "when": when(catalog, e.at_ms, tz), "text": audit_text(catalog, e, tz) }))
        .collect()
}

fn yes_no(catalog: &Catalog, v: &Value) -> String {
    catalog
        .t(if v.as_bool() == Some(true) {
            "members_yes"
        } else {
            "members_no"
        })
        .to_string()
}

/// One audit entry as a sentence in the viewer's language.
fn audit_text(catalog: &Catalog, e: &app::coord::AuditEntry, tz: &jiff::tz::TimeZone) -> String {
    let d = &e.detail;
    let s = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let member_kind = |v: &Value| {
        catalog
            .t(&format!("kind_{}", v.as_str().unwrap_or("")))
            .to_string()
    };
    let text = catalog.t(&format!("audit_{}", e.action)).to_string();
    let changes = || {
        let mut parts = Vec::new();
        if let Some([a, b]) = d.get("name").and_then(Value::as_array).map(Vec::as_slice) {
            parts.push(format!(
                "{} : {} → {}",
                catalog.t("audit_field_name"),
                a.as_str().unwrap_or(""),
                b.as_str().unwrap_or("")
            ));
        }
        if let Some([a, b]) = d.get("kind").and_then(Value::as_array).map(Vec::as_slice) {
            parts.push(format!(
                "{} : {} → {}",
                catalog.t("members_kind"),
                member_kind(a),
                member_kind(b)
            ));
        }
        if let Some([a, b]) = d
            .get("consent")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            parts.push(format!(
                "{} : {} → {}",
                catalog.t("members_consent"),
                yes_no(catalog, a),
                yes_no(catalog, b)
            ));
        }
        if parts.is_empty() {
            catalog.t("audit_nothing_changed").to_string()
        } else {
            parts.join(" ; ")
        }
    };
    let kind = d
        .get("kind")
        .and_then(Value::as_str)
        .and_then(|k| ChannelKind::parse(k).ok());
    let role = |k: &str| catalog.t(&format!("role_{}", s(k))).to_string();
    text.replace("{actor}", &e.actor)
        .replace("{name}", &s("name"))
        .replace("{login}", &s("login"))
        .replace("{role}", &role("role"))
        .replace(
            "{from}",
            &if e.action == "role_changed" {
                role("from")
            } else {
                String::from("{from}")
            },
        )
        .replace("{to}", &role("to"))
        .replace("{meter}", &s("meter"))
        .replace("{channel}", &s("channel"))
        .replace("{label}", &s("label"))
        .replace(
            "{token}",
            &d.get("token").map(|t| t.to_string()).unwrap_or_default(),
        )
        .replace("{kind}", &channel_kind_label(catalog, kind))
        .replace(
            "{from}",
            &d.get("valid_from_ms")
                .and_then(Value::as_i64)
                .map(|t| when(catalog, t, tz))
                .unwrap_or_default(),
        )
        .replace(
            "{changes}",
            &if e.action == "member_edited" {
                changes()
            } else {
                String::new()
            },
        )
}

pub async fn member_settings(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    page(
        state,
        headers,
        Box::new(move |s, viewer, lang| settings_page(s, viewer, lang, member_id(&id)?, None)),
    )
    .await
}

/// A member's settings page; `new_link` is an account link just made, shown on this answer
/// only.
pub(crate) fn settings_page(
    s: &AppState,
    viewer: &Viewer,
    lang: &str,
    id: domain::MemberId,
    new_link: Option<Value>,
) -> Result<String, WebError> {
    coordinator_only(viewer)?;
    let catalog = s.0.catalogs.get(lang);
    let app = s.app();
    let (rows, _) = app.members_overview(viewer)?;
    let row = rows
        .iter()
        .find(|r| r.member.id == id)
        .ok_or_else(|| WebError::not_found("no such member"))?;
    let community = app.community()?;
    let tz = app.time_zone()?;
    let now = app.now_ms();
    let meters: Vec<Value> = row
        .meters
        .iter()
        .map(|(meter, channels)| {
            let chans: Vec<Value> = channels
                .iter()
                .map(|c| {
                    let history: Vec<Value> = c
                        .configs
                        .iter()
                        .map(|cfg| json!({
                            "kind": channel_kind_label(catalog, Some(cfg.kind)),
                            "from": when(catalog, cfg.valid_from_ms, &tz),
                            "phase": cfg.phase,
                        }))
                        .collect();
                    json!({ "key": c.series_key, "href": format!("/channels/{}", c.id), "history": history,
                            "last": c.last_ts_ms.map(|t| catalog.ago(now - t)) })
                })
                .collect();
            json!({ "name": meter.name, "channels": chans,
                    "last_contact": meter.last_contact_ms.map_or(catalog.t("members_never").to_string(), |t| catalog.ago(now - t)) })
        })
        .collect();
    let entries = app.audit_log(viewer, Some(id))?;
    let accounts = super::accounts::account_rows(
        catalog,
        viewer,
        &app.coord_member_accounts(viewer, id)?,
        &tz,
    );
    let m = &row.member;
    let ctx = json!({
        "title": m.name, "active": "members", "tabs": tabs(catalog, "members"),
        "community_name": community.name,
        "member": { "id": m.id, "name": m.name, "consent": m.consent_individual, "dashboard": row.curve_visible.then(|| format!("/members/{}", m.id)),
                    "active": m.is_active(), "left": m.deactivated_ms.map(|t| when(catalog, t, &tz)) },
        "kinds": kind_options(catalog, Some(m.kind)),
        "roles": super::accounts::role_options(catalog, viewer, domain::Role::Resident),
        "accounts": accounts,
        "new_link": new_link,
        "meters": meters,
        "audit": audit_rows(catalog, &entries, &tz),
    });
    render(
        s,
        "member_settings.html",
        lang,
        &format!("/members/{}/settings", m.id),
        Some(viewer),
        ctx,
    )
}

pub async fn edit_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    action(
        state,
        headers,
        form,
        Box::new(move |s, viewer, _, f| {
            coordinator_only(viewer)?;
            let id = member_id(&id)?;
            s.app().coord_edit_member(
                viewer,
                id,
                field(f, "name")?,
                member_kind(f)?,
                f.contains_key("consent"),
            )?;
            Ok(Done::Redirect(format!("/members/{id}/settings")))
        }),
    )
    .await
}

pub async fn add_meter(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    action(
        state,
        headers,
        form,
        Box::new(move |s, viewer, _, f| {
            coordinator_only(viewer)?;
            let id = member_id(&id)?;
            s.app().coord_add_meter(viewer, id, field(f, "meter")?)?;
            Ok(Done::Redirect(format!("/members/{id}/settings")))
        }),
    )
    .await
}

/// The preview's path in a 600 × 160 box, and its highest value.
fn preview_path(points: &[Point]) -> (String, f64) {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return (String::new(), 0.0);
    };
    let span = (last.ts_ms - first.ts_ms).max(1) as f64;
    let max = points
        .iter()
        .map(|p| p.value)
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let min = points
        .iter()
        .map(|p| p.value)
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::min);
    let range = (max - min).max(1e-9);
    // At most one vertex per horizontal pixel keeps the page light.
    let mut d = String::new();
    let mut last_x = -1i64;
    for p in points.iter().filter(|p| p.value.is_finite()) {
        let x = ((p.ts_ms - first.ts_ms) as f64 / span * 600.0).round() as i64;
        if x == last_x {
            continue;
        }
        let y = 160.0 - (p.value - min) / range * 150.0;
        d.push_str(&format!(
            "{}{x} {y:.1}",
            if last_x < 0 { "M" } else { " L" }
        ));
        last_x = x;
    }
    (d, max)
}

pub async fn channel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    page(
        state,
        headers,
        Box::new(move |s, viewer, lang| {
            coordinator_only(viewer)?;
            let catalog = s.0.catalogs.get(lang);
            let app = s.app();
            let id: domain::ChannelId = domain::Id::parse(&id).ok_or_else(|| WebError::not_found("no such channel"))?;
            let p = app.channel_preview(viewer, id)?;
            let tz = app.time_zone()?;
            let community = app.community()?;
            let (path, max) = preview_path(&p.points);
            let unit = match p.channel.unit {
                domain::Unit::Watt => "W",
                domain::Unit::WattHour => "Wh",
            };
            let current = p.channel.configs.last();
            let meters: Vec<Value> = p
                .meters
                .iter()
                .map(|(m, member)| json!({
                    "id": m.id,
                    "label": match member { Some(name) => format!("{} · {name}", m.name), None => m.name.clone() },
                    "selected": Some(m.id) == p.channel.meter_id,
                }))
                .collect();
            let kinds: Vec<Value> = CHANNEL_KINDS
                .iter()
                .map(|k| json!({ "value": k.as_str(), "label": channel_kind_label(catalog, Some(*k)), "selected": current.map(|c| c.kind) == Some(*k) }))
                .collect();
            let default_from = p.first_ts_ms.unwrap_or_else(|| app.now_ms());
            let default_from = crate::dto::local_fmt(default_from, &tz, "%Y-%m-%dT%H:%M");
            let ctx = json!({
                "title": format!("{} · {}", catalog.t("channel_title"), p.channel.series_key),
                "active": "members", "tabs": tabs(catalog, "members"), "community_name": community.name,
                "channel": {
                    "id": p.channel.id, "key": p.channel.series_key, "unit": unit,
                    "kind": channel_kind_label(catalog, p.channel.kind()),
                    "meter": p.meter.as_ref().map(|m| m.name.clone()),
                    "last": p.channel.last_ts_ms.map(|t| when(catalog, t, &tz)),
                    "first": p.first_ts_ms.map(|t| when(catalog, t, &tz)),
                },
                "preview": {
                    "path": path, "points": p.points.len(), "max": catalog.number(max, 0),
                    "from": p.points.first().map(|x| when(catalog, x.ts_ms, &tz)),
                    "to": p.points.last().map(|x| when(catalog, x.ts_ms, &tz)),
                },
                "meters": meters, "kinds": kinds, "default_from": default_from,
                "phase": current.and_then(|c| c.phase),
            });
            render(s, "channel.html", lang, &format!("/channels/{id}"), Some(viewer), ctx)
        }),
    )
    .await
}

fn local_instant(text: &str, tz: &jiff::tz::TimeZone) -> Result<i64, WebError> {
    let dt: jiff::civil::DateTime = text.parse().map_err(|_| {
        WebError::bad_request("valid_from: a date and time such as 2026-12-05T14:30")
    })?;
    let z = dt
        .to_zoned(tz.clone())
        .map_err(|e| WebError::bad_request(format!("valid_from: {e}")))?;
    Ok(z.timestamp().as_millisecond())
}

pub async fn assign_channel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    action(
        state,
        headers,
        form,
        Box::new(move |s, viewer, _, f| {
            coordinator_only(viewer)?;
            let app = s.app();
            let id: domain::ChannelId =
                domain::Id::parse(&id).ok_or_else(|| WebError::not_found("no such channel"))?;
            let kind = ChannelKind::parse(field(f, "kind")?)
                .map_err(|e| WebError::bad_request(e.to_string()))?;
            let phase = match f.get("phase").map(|p| p.trim()).filter(|p| !p.is_empty()) {
                None => None,
                Some(p) => Some(
                    p.parse()
                        .map_err(|_| WebError::bad_request("phase: 1, 2 or 3, or none"))?,
                ),
            };
            let tz = app.time_zone()?;
            let a = Assignment {
                meter: domain::Id::new(id_field(f, "meter")?),
                kind,
                phase,
                valid_from_ms: local_instant(field(f, "valid_from")?, &tz)?,
            };
            app.coord_assign_channel(viewer, id, &a)?;
            Ok(Done::Redirect("/members".into()))
        }),
    )
    .await
}

fn tokens_ctx(
    s: &AppState,
    viewer: &Viewer,
    lang: &str,
    secret: Option<(i64, String)>,
) -> Result<String, WebError> {
    coordinator_only(viewer)?;
    let catalog = s.0.catalogs.get(lang);
    let app = s.app();
    let tz = app.time_zone()?;
    let community = app.community()?;
    let meters = app.list_meters()?;
    let users = app.list_users()?;
    let rows: Vec<Value> = app
        .list_tokens()?
        .iter()
        .map(|t| {
            let scope = match t.scope {
                TokenScope::MeterWrite { meter_id } => catalog.t("tokens_scope_meter").replace(
                    "{meter}",
                    &meters.iter().find(|m| m.meter.id == meter_id).map_or(meter_id.to_string(), |m| m.meter.name.clone()),
                ),
                TokenScope::CommunityWrite => catalog.t("tokens_scope_community").to_string(),
                TokenScope::UserRead { user_id } => catalog.t("tokens_scope_read").replace(
                    "{user}",
                    &users.iter().find(|u| u.id == user_id).map_or(user_id.to_string(), |u| u.display_name.clone()),
                ),
            };
            json!({ "id": t.id, "label": t.label, "scope": scope, "created": if t.created_ms > 0 { when(catalog, t.created_ms, &tz) } else { String::new() } })
        })
        .collect();
    let meter_options: Vec<Value> = meters
        .iter()
        .map(|m| json!({ "id": m.meter.id, "label": match &m.member { Some(n) => format!("{} · {n}", m.meter.name), None => m.meter.name.clone() } }))
        .collect();
    let ctx = json!({
        "title": catalog.t("tokens_title"), "active": "members", "tabs": tabs(catalog, "tokens"),
        "community_name": community.name, "tokens": rows, "meters": meter_options,
        "created": secret.map(|(id, secret)| json!({ "id": id, "secret": secret })),
    });
    render(s, "tokens.html", lang, "/tokens", Some(viewer), ctx)
}

pub async fn tokens(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(
        state,
        headers,
        Box::new(|s, viewer, lang| tokens_ctx(s, viewer, lang, None)),
    )
    .await
}

pub async fn create_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    action(
        state,
        headers,
        form,
        Box::new(|s, viewer, lang, f| {
            coordinator_only(viewer)?;
            let meter = match field(f, "scope")? {
                "community" => None,
                _ => Some(domain::Id::new(id_field(f, "meter")?)),
            };
            let created = s
                .app()
                .coord_create_token(viewer, meter, field(f, "label")?)?;
            // The secret is shown on this answer only; it is never stored.
            Ok(Done::Page(tokens_ctx(s, viewer, lang, Some(created))?))
        }),
    )
    .await
}

pub async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    action(
        state,
        headers,
        form,
        Box::new(move |s, viewer, _, _| {
            coordinator_only(viewer)?;
            let id: i64 = id
                .parse()
                .map_err(|_| WebError::not_found("no such token"))?;
            s.app().coord_revoke_token(viewer, id)?;
            Ok(Done::Redirect("/tokens".into()))
        }),
    )
    .await
}

/// The audit log: everything for a coordinator, what concerns their own home for a resident.
pub async fn audit(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(
        state,
        headers,
        Box::new(|s, viewer, lang| {
            let catalog = s.0.catalogs.get(lang);
            let app = s.app();
            let tz = app.time_zone()?;
            let community = app.community()?;
            let entries = app.audit_log(viewer, None)?;
            let coordinator = viewer.is_coordinator();
            let ctx = json!({
                "title": catalog.t("audit_title"), "active": if coordinator { "members" } else { "home" },
                "tabs": coordinator.then(|| tabs(catalog, "audit")),
                "intro": catalog.t(if coordinator { "audit_intro_coord" } else { "audit_intro_resident" }),
                "community_name": community.name, "entries": audit_rows(catalog, &entries, &tz),
            });
            render(s, "audit.html", lang, "/audit", Some(viewer), ctx)
        }),
    )
    .await
}
