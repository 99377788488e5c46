//! The JSON API behind the pages (described in `api/openapi.json`). Every answer is JSON (or
//! CSV when asked), every error `{"error": "…"}`.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::ChannelKind;
use serde_json::json;

use crate::dto::{slot_dto, CurveDto, LiveDto, PeriodDto, QuarterHoursDto, TotalsDto};
use crate::extract::{ApiAuth, MemberPath, Range};
use crate::{AppState, WebError};

fn respond<T: serde::Serialize>(r: Result<T, WebError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn me(State(state): State<AppState>, auth: ApiAuth) -> Response {
    respond(
        state
            .run(move |s| {
                let v = auth.viewer(s)?;
                Ok(json!({
                    "id": v.user.id,
                    "login": v.user.login,
                    "name": v.user.display_name,
                    "role": v.user.role,
                    "member_id": v.user.member_id,
                    "lang": v.user.lang,
                    "community_id": s.app().community_id(),
                }))
            })
            .await,
    )
}

async fn live(state: AppState, auth: ApiAuth, member: Option<domain::MemberId>) -> Response {
    respond(
        state
            .run(move |s| {
                let live = s.app().member_live(&auth.viewer(s)?, member)?;
                Ok(LiveDto::new(&live))
            })
            .await,
    )
}

pub async fn me_live(State(state): State<AppState>, auth: ApiAuth) -> Response {
    live(state, auth, None).await
}

pub async fn member_live(
    State(state): State<AppState>,
    auth: ApiAuth,
    MemberPath(id): MemberPath,
) -> Response {
    live(state, auth, Some(id)).await
}

async fn totals(
    state: AppState,
    auth: ApiAuth,
    member: Option<domain::MemberId>,
    range: Range,
) -> Response {
    respond(
        state
            .run(move |s| {
                let t = s
                    .app()
                    .member_totals(&auth.viewer(s)?, member, &range.request)?;
                Ok(TotalsDto::new(&t))
            })
            .await,
    )
}

pub async fn me_totals(State(state): State<AppState>, auth: ApiAuth, range: Range) -> Response {
    totals(state, auth, None, range).await
}

pub async fn member_totals(
    State(state): State<AppState>,
    auth: ApiAuth,
    MemberPath(id): MemberPath,
    range: Range,
) -> Response {
    totals(state, auth, Some(id), range).await
}

fn curve_response(
    result: Result<app::dashboard::Curve, WebError>,
    csv: bool,
    name: &str,
) -> Response {
    match result {
        Ok(curve) if csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"voisins-{name}.csv\""),
                ),
            ],
            CurveDto::csv(&curve),
        )
            .into_response(),
        Ok(curve) => Json(CurveDto::new(&curve)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn member_curve_for(
    state: AppState,
    auth: ApiAuth,
    member: Option<domain::MemberId>,
    range: Range,
) -> Response {
    let csv = range.csv;
    let result = state
        .run(move |s| {
            Ok(s.app()
                .member_curve(&auth.viewer(s)?, member, &range.request)?)
        })
        .await;
    curve_response(result, csv, "curve")
}

pub async fn me_curve(State(state): State<AppState>, auth: ApiAuth, range: Range) -> Response {
    member_curve_for(state, auth, None, range).await
}

pub async fn member_curve(
    State(state): State<AppState>,
    auth: ApiAuth,
    MemberPath(id): MemberPath,
    range: Range,
) -> Response {
    member_curve_for(state, auth, Some(id), range).await
}

pub async fn community(State(state): State<AppState>, auth: ApiAuth, range: Range) -> Response {
    respond(
        state
            .run(move |s| {
                let totals = s.app().community_totals(&auth.viewer(s)?, &range.request)?;
                let c = s.app().community()?;
                Ok(json!({
                    "id": c.id,
                    "name": c.name,
                    "timezone": c.timezone,
                    "totals": TotalsDto::new(&totals),
                }))
            })
            .await,
    )
}

pub async fn community_curve(
    State(state): State<AppState>,
    auth: ApiAuth,
    range: Range,
) -> Response {
    let csv = range.csv;
    let result = state
        .run(move |s| Ok(s.app().community_curve(&auth.viewer(s)?, &range.request)?))
        .await;
    curve_response(result, csv, "community-curve")
}

/// `GET /api/v1/community/quarter-hours?kind=consumption&…`: the community total of one
/// channel kind per quarter-hour.
pub async fn community_quarter_hours(
    State(state): State<AppState>,
    auth: ApiAuth,
    range: Range,
) -> Response {
    respond(
        state
            .run(move |s| {
                let viewer = auth.viewer(s)?;
                let kind = ChannelKind::parse(range.kind.as_deref().unwrap_or("consumption"))
                    .map_err(|e| WebError::bad_request(format!("kind: {e}")))?;
                let (window, until, rows) =
                    s.app()
                        .community_quarter_hours(&viewer, kind, &range.request)?;
                let period = PeriodDto::new(&window);
                Ok(QuarterHoursDto {
                    kind: kind.as_str(),
                    resolution_s: 900,
                    from: period.from.clone(),
                    to: crate::dto::local(until.start_ms(), &window.tz),
                    period,
                    slots: rows
                        .iter()
                        .map(|r| slot_dto(r.slot, r.energy_mwh, r.channels))
                        .collect(),
                })
            })
            .await,
    )
}

pub async fn members(State(state): State<AppState>, auth: ApiAuth) -> Response {
    respond(
        state
            .run(move |s| {
                let (rows, unassigned) = s.app().members_overview(&auth.viewer(s)?)?;
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
