//! The JSON API behind the pages (described in `api/openapi.json`). Every answer is JSON (or
//! CSV when asked), every error `{"error": "…"}`.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::ChannelKind;
use serde_json::json;

use crate::dto::{slot_dto, CurveDto, LiveDto, PeriodDto, QuarterHoursDto, TotalsDto};
use crate::extract::{ApiViewer, MemberPath, Range};
use crate::{AppState, WebError};

fn respond<T: serde::Serialize>(r: Result<T, WebError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn me(State(state): State<AppState>, ApiViewer(v): ApiViewer) -> Response {
    respond::<serde_json::Value>(Ok(json!({
        "id": v.user.id,
        "login": v.user.login,
        "name": v.user.display_name,
        "role": v.user.role,
        "member_id": v.user.member_id,
        "lang": v.user.lang,
        "community_id": state.app().community_id(),
    })))
}

async fn live(
    state: AppState,
    v: app::access::Viewer,
    member: Option<domain::MemberId>,
) -> Response {
    respond(
        state
            .run(move |s| {
                let tz = s.app().time_zone()?;
                let live = s.app().member_live(&v, member)?;
                Ok(LiveDto::new(&live, &tz))
            })
            .await,
    )
}

pub async fn me_live(State(state): State<AppState>, ApiViewer(v): ApiViewer) -> Response {
    live(state, v, None).await
}

pub async fn member_live(
    State(state): State<AppState>,
    ApiViewer(v): ApiViewer,
    MemberPath(id): MemberPath,
) -> Response {
    live(state, v, Some(id)).await
}

async fn totals(
    state: AppState,
    v: app::access::Viewer,
    member: Option<domain::MemberId>,
    range: Range,
) -> Response {
    respond(
        state
            .run(move |s| {
                let tz = s.app().time_zone()?;
                let t = s.app().member_totals(&v, member, &range.request)?;
                Ok(TotalsDto::new(&t, &tz))
            })
            .await,
    )
}

pub async fn me_totals(
    State(state): State<AppState>,
    ApiViewer(v): ApiViewer,
    range: Range,
) -> Response {
    totals(state, v, None, range).await
}

pub async fn member_totals(
    State(state): State<AppState>,
    ApiViewer(v): ApiViewer,
    MemberPath(id): MemberPath,
    range: Range,
) -> Response {
    totals(state, v, Some(id), range).await
}

fn curve_response(
    result: Result<(app::dashboard::Curve, jiff::tz::TimeZone), WebError>,
    csv: bool,
    name: &str,
) -> Response {
    match result {
        Ok((curve, tz)) if csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"voisins-{name}.csv\""),
                ),
            ],
            CurveDto::csv(&curve, &tz),
        )
            .into_response(),
        Ok((curve, tz)) => Json(CurveDto::new(&curve, &tz)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn member_curve_for(
    state: AppState,
    v: app::access::Viewer,
    member: Option<domain::MemberId>,
    range: Range,
) -> Response {
    let csv = range.csv;
    let result = state
        .run(move |s| {
            Ok((
                s.app().member_curve(&v, member, &range.request)?,
                s.app().time_zone()?,
            ))
        })
        .await;
    curve_response(result, csv, "curve")
}

pub async fn me_curve(
    State(state): State<AppState>,
    ApiViewer(v): ApiViewer,
    range: Range,
) -> Response {
    member_curve_for(state, v, None, range).await
}

pub async fn member_curve(
    State(state): State<AppState>,
    ApiViewer(v): ApiViewer,
    MemberPath(id): MemberPath,
    range: Range,
) -> Response {
    member_curve_for(state, v, Some(id), range).await
}

pub async fn community(
    State(state): State<AppState>,
    ApiViewer(v): ApiViewer,
    range: Range,
) -> Response {
    respond(
        state
            .run(move |s| {
                let c = s.app().community()?;
                let tz = s.app().time_zone()?;
                let totals = s.app().community_totals(&v, &range.request)?;
                Ok(json!({
                    "id": c.id,
                    "name": c.name,
                    "timezone": c.timezone,
                    "totals": TotalsDto::new(&totals, &tz),
                }))
            })
            .await,
    )
}

pub async fn community_curve(
    State(state): State<AppState>,
    ApiViewer(v): ApiViewer,
    range: Range,
) -> Response {
    let csv = range.csv;
    let result = state
        .run(move |s| {
            Ok((
                s.app().community_curve(&v, &range.request)?,
                s.app().time_zone()?,
            ))
        })
        .await;
    curve_response(result, csv, "community-curve")
}

/// `GET /api/v1/community/quarter-hours?kind=consumption&…`: the community total of one
/// channel kind per quarter-hour.
pub async fn community_quarter_hours(
    State(state): State<AppState>,
    ApiViewer(v): ApiViewer,
    range: Range,
) -> Response {
    respond(
        state
            .run(move |s| {
                let kind = ChannelKind::parse(range.kind.as_deref().unwrap_or("consumption"))
                    .map_err(|e| WebError::bad_request(format!("kind: {e}")))?;
                let tz = s.app().time_zone()?;
                let (window, until, rows) =
                    s.app().community_quarter_hours(&v, kind, &range.request)?;
                Ok(QuarterHoursDto {
                    kind: kind.as_str(),
                    resolution_s: 900,
                    period: PeriodDto::new(&window, &tz),
                    from: crate::dto::local(window.from_ms(), &tz),
                    to: crate::dto::local(until.start_ms(), &tz),
                    slots: rows
                        .iter()
                        .map(|r| slot_dto(r.slot, r.energy_mwh, r.channels))
                        .collect(),
                })
            })
            .await,
    )
}

pub async fn members(State(state): State<AppState>, ApiViewer(v): ApiViewer) -> Response {
    respond(
        state
            .run(move |s| {
                let (rows, unassigned) = s.app().members_overview(&v)?;
                let members: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|r| {
                        json!({
                            "id": r.member.id,
                            "name": r.member.name,
                            "kind": r.member.kind,
                            "consent_individual": r.member.consent_individual,
                            "curve_visible": r.curve_visible,
                            "meters": r.meters.iter().map(|(m, channels)| json!({
                                "id": m.id,
                                "name": m.name,
                                "last_contact_ms": m.last_contact_ms,
                                "channels": channels.iter().map(|c| json!({ "id": c.id, "key": c.series_key, "unit": c.unit, "kind": c.kind() })).collect::<Vec<_>>(),
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                let unassigned: Vec<serde_json::Value> = unassigned
                    .iter()
                    .map(|c| json!({ "id": c.id, "key": c.series_key, "unit": c.unit, "meter_id": c.meter_id }))
                    .collect();
                Ok(json!({ "members": members, "unassigned_channels": unassigned }))
            })
            .await,
    )
}
