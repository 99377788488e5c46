//! The JSON API and the write endpoints.

use std::io::Read;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::{ChannelKind, LocalDay, Slot};
use ingest::line_protocol::{Naming, Precision};
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde_json::json;

use crate::access::{api_viewer, write_scope, Viewer};
use crate::{AppState, WebError};

#[derive(Deserialize)]
pub struct WriteQuery {
    precision: Option<String>,
    p: Option<String>,
    #[allow(dead_code)]
    u: Option<String>,
    #[allow(dead_code)]
    db: Option<String>,
}

fn body_bytes(headers: &HeaderMap, body: Bytes) -> Result<Vec<u8>, WebError> {
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    if !gzip {
        return Ok(body.to_vec());
    }
    let mut out = Vec::with_capacity(body.len() * 8);
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut out)
        .map_err(|e| WebError::BadRequest(format!("invalid gzip body: {e}")))?;
    Ok(out)
}

fn partial_write(errors: &[ingest::LineError], rejected: &[String], dropped: usize) -> Response {
    let mut parts: Vec<String> = Vec::new();
    if !errors.is_empty() {
        parts.push(app::record::describe_errors(errors, 20));
    }
    parts.extend(rejected.iter().take(20).cloned());
    let message = format!("partial write: {} dropped={dropped}", parts.join("; "));
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

/// `POST /write`: InfluxDB v1 line protocol. 204 when every line was stored; 400 "partial write"
/// naming the bad lines (the good ones are stored); 401/403 for a missing or wrong token.
pub async fn write_line_protocol(
    State(state): State<AppState>,
    Query(q): Query<WriteQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = state
        .blocking(move |s| {
            let (community_id, scope) = write_scope(s, &headers, q.p.as_deref())?;
            let precision_text = q.precision.unwrap_or_default();
            let precision = Precision::parse(&precision_text).ok_or_else(|| {
                WebError::BadRequest(format!(
                    "unknown precision '{precision_text}' (ns, u, ms, s, m, h)"
                ))
            })?;
            let body = body_bytes(&headers, body)?;
            let now = s.now_ms();
            let naming = Naming {
                series_tag: s.0.config.series_tag.clone(),
            };
            let (points, errors) = ingest::line_protocol::decode(&body, precision, &naming, now);
            let outcome =
                s.0.recorder
                    .record(&s.0.store, community_id, scope, points, now)?;
            Ok((errors, outcome))
        })
        .await;
    match result {
        Ok((errors, outcome)) if errors.is_empty() && outcome.rejected.is_empty() => {
            StatusCode::NO_CONTENT.into_response()
        }
        Ok((errors, outcome)) => partial_write(
            &errors,
            &outcome.rejected,
            errors.len() + outcome.rejected_points,
        ),
        Err(e) => e.into_response(),
    }
}

/// `POST /api/v1/readings`: JSON batches (see `ingest::json`).
pub async fn write_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = state
        .blocking(move |s| {
            let (community_id, scope) = write_scope(s, &headers, None)?;
            let body = body_bytes(&headers, body)?;
            let (points, errors) = ingest::json::decode(&body).map_err(|e| match e {
                ingest::json::JsonError::Body(m) => WebError::BadRequest(m),
                ingest::json::JsonError::Points(_) => WebError::BadRequest("invalid points".into()),
            })?;
            let now = s.now_ms();
            let outcome =
                s.0.recorder
                    .record(&s.0.store, community_id, scope, points, now)?;
            Ok((errors, outcome))
        })
        .await;
    match result {
        Ok((errors, outcome)) if errors.is_empty() && outcome.rejected.is_empty() => (
            StatusCode::OK,
            Json(json!({ "written": outcome.written.points })),
        )
            .into_response(),
        Ok((errors, outcome)) => {
            let rejected: Vec<String> = errors
                .iter()
                .map(|e| e.reason.clone())
                .chain(outcome.rejected.iter().cloned())
                .collect();
            (StatusCode::BAD_REQUEST, Json(json!({ "error": "some points were rejected", "written": outcome.written.points, "rejected": rejected }))).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// Which period a chart shows: `range` (day, week, month, year) ending on local `date`
/// (default today), or explicit `from`/`to` (RFC 3339 or Unix seconds).
#[derive(Deserialize, Default)]
pub struct RangeQuery {
    pub range: Option<String>,
    pub date: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub format: Option<String>,
    pub kind: Option<String>,
}

fn instant(text: &str, what: &str) -> Result<i64, WebError> {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    text.parse::<f64>()
        .map(|s| (s * 1000.0) as i64)
        .map_err(|_| {
            WebError::BadRequest(format!(
                "{what}: '{text}' is neither RFC 3339 nor Unix seconds"
            ))
        })
}

pub(crate) fn resolve_range(
    q: &RangeQuery,
    tz: &TimeZone,
    now_ms: i64,
) -> Result<(i64, i64), WebError> {
    if let (Some(from), Some(to)) = (&q.from, &q.to) {
        let (from, to) = (instant(from, "from")?, instant(to, "to")?);
        if to <= from || to - from > 400 * 86_400_000 {
            return Err(WebError::BadRequest(
                "to must be after from, at most 400 days later".into(),
            ));
        }
        return Ok((from, to));
    }
    let end_day = match &q.date {
        Some(d) => {
            let date: jiff::civil::Date = d
                .parse()
                .map_err(|_| WebError::BadRequest(format!("date: '{d}' is not YYYY-MM-DD")))?;
            LocalDay::new(date, tz)
        }
        None => LocalDay::containing(
            jiff::Timestamp::from_millisecond(now_ms)
                .map_err(|e| WebError::Internal(e.to_string()))?,
            tz,
        ),
    }
    .map_err(|e| WebError::BadRequest(e.to_string()))?;
    let days = match q.range.as_deref().unwrap_or("day") {
        "day" => 1,
        "week" => 7,
        "month" => 30,
        "year" => 365,
        other => {
            return Err(WebError::BadRequest(format!(
                "range: '{other}' (day, week, month, year)"
            )))
        }
    };
    let first = end_day
        .date
        .checked_sub(jiff::Span::new().days(days - 1))
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
    let first = LocalDay::new(first, tz).map_err(|e| WebError::BadRequest(e.to_string()))?;
    Ok((first.first.start_ms(), end_day.end.start_ms()))
}

pub(crate) fn community_tz(state: &AppState) -> Result<TimeZone, WebError> {
    let c = state.0.store.community(state.0.config.community_id)?;
    TimeZone::get(&c.timezone).map_err(|e| WebError::Internal(e.to_string()))
}

fn curve_response(curve: app::dashboard::Curve, csv: bool) -> Response {
    if !csv {
        return Json(curve).into_response();
    }
    let mut out = String::from("timestamp");
    for s in &curve.series {
        out.push_str(&format!(",{}_w", s.key));
    }
    out.push('\n');
    for (i, ts) in curve.ts.iter().enumerate() {
        let stamp = jiff::Timestamp::from_second(*ts)
            .map(|t| t.to_string())
            .unwrap_or_default();
        out.push_str(&stamp);
        for s in &curve.series {
            out.push(',');
            if let Some(v) = s.values[i] {
                out.push_str(&format!("{v:.1}"));
            }
        }
        out.push('\n');
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"voisins-curve.csv\"",
            ),
        ],
        out,
    )
        .into_response()
}

fn respond<T: serde::Serialize>(r: Result<T, WebError>) -> Response {
    respond_with(r, |v| Json(v).into_response())
}

/// The answer for a result: `ok` for a value, the error's own response otherwise.
fn respond_with<T>(r: Result<T, WebError>, ok: impl FnOnce(T) -> Response) -> Response {
    match r {
        Ok(v) => ok(v),
        Err(e) => e.into_response(),
    }
}

pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Response {
    respond(
        state
            .blocking(move |s| {
                let v = api_viewer(s, &headers)?;
                Ok(json!({ "id": v.user.id, "login": v.user.login, "name": v.user.display_name, "role": v.user.role, "member_id": v.user.member_id, "lang": v.user.lang }))
            })
            .await,
    )
}

fn member_of(s: &AppState, viewer: &Viewer, member_id: i64) -> Result<store::Member, WebError> {
    let member =
        s.0.store
            .member(member_id)
            .map_err(|_| WebError::NotFound)?;
    if !viewer.can_see_member(&member) {
        return Err(WebError::Forbidden(
            "you may not see this member's data".into(),
        ));
    }
    Ok(member)
}

fn own_member(viewer: &Viewer) -> Result<i64, WebError> {
    viewer
        .user
        .member_id
        .ok_or_else(|| WebError::BadRequest("this account is not linked to a member".into()))
}

pub async fn me_live(State(state): State<AppState>, headers: HeaderMap) -> Response {
    respond(
        state
            .blocking(move |s| {
                let v = api_viewer(s, &headers)?;
                let member = own_member(&v)?;
                Ok(app::dashboard::member_live(
                    &s.0.store,
                    v.user.community_id,
                    member,
                    s.now_ms(),
                )?)
            })
            .await,
    )
}

pub async fn member_live(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    respond(
        state
            .blocking(move |s| {
                let v = api_viewer(s, &headers)?;
                let member = member_of(s, &v, id)?;
                Ok(app::dashboard::member_live(
                    &s.0.store,
                    member.community_id,
                    member.id,
                    s.now_ms(),
                )?)
            })
            .await,
    )
}

async fn member_curve_for(
    state: AppState,
    headers: HeaderMap,
    q: RangeQuery,
    id: Option<i64>,
) -> Response {
    let csv = q.format.as_deref() == Some("csv");
    let result = state
        .blocking(move |s| {
            let v = api_viewer(s, &headers)?;
            let member = match id {
                Some(id) => member_of(s, &v, id)?.id,
                None => own_member(&v)?,
            };
            let (from, to) = resolve_range(&q, &community_tz(s)?, s.now_ms())?;
            Ok(app::dashboard::member_curve(
                &s.0.store,
                v.user.community_id,
                member,
                from,
                to,
            )?)
        })
        .await;
    respond_with(result, |curve| curve_response(curve, csv))
}

pub async fn me_curve(
    State(state): State<AppState>,
    Query(q): Query<RangeQuery>,
    headers: HeaderMap,
) -> Response {
    member_curve_for(state, headers, q, None).await
}

pub async fn member_curve(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<RangeQuery>,
    headers: HeaderMap,
) -> Response {
    member_curve_for(state, headers, q, Some(id)).await
}

pub async fn community(
    State(state): State<AppState>,
    Query(q): Query<RangeQuery>,
    headers: HeaderMap,
) -> Response {
    respond(
        state
            .blocking(move |s| {
                let v = api_viewer(s, &headers)?;
                let (from, to) = resolve_range(&q, &community_tz(s)?, s.now_ms())?;
                let c = s.0.store.community(v.user.community_id)?;
                let totals = app::dashboard::community_totals(&s.0.store, c.id, Slot::containing_ms(from), Slot::containing_ms(to - 1).next())?;
                Ok(json!({ "id": c.id, "name": c.name, "timezone": c.timezone, "from": from / 1000, "to": to / 1000, "totals": totals }))
            })
            .await,
    )
}

pub async fn community_curve(
    State(state): State<AppState>,
    Query(q): Query<RangeQuery>,
    headers: HeaderMap,
) -> Response {
    let csv = q.format.as_deref() == Some("csv");
    let result = state
        .blocking(move |s| {
            let v = api_viewer(s, &headers)?;
            let (from, to) = resolve_range(&q, &community_tz(s)?, s.now_ms())?;
            Ok(app::dashboard::community_curve(
                &s.0.store,
                v.user.community_id,
                from,
                to,
                s.now_ms(),
            )?)
        })
        .await;
    respond_with(result, |curve| curve_response(curve, csv))
}

/// `GET /api/v1/community/quarter-hours?kind=consumption&from=…&to=…`: the community total of
/// one channel kind per quarter-hour.
pub async fn community_quarter_hours(
    State(state): State<AppState>,
    Query(q): Query<RangeQuery>,
    headers: HeaderMap,
) -> Response {
    let result = state
        .blocking(move |s| {
            let v = api_viewer(s, &headers)?;
            let kind = ChannelKind::parse(q.kind.as_deref().unwrap_or("consumption"))
                .map_err(|e| WebError::BadRequest(e.to_string()))?;
            let (from, to) = resolve_range(&q, &community_tz(s)?, s.now_ms())?;
            let rows = s.0.store.community_series(
                v.user.community_id,
                kind,
                Slot::containing_ms(from),
                Slot::containing_ms(to - 1).next(),
            )?;
            let mut body = String::with_capacity(64 + rows.len() * 56);
            body.push_str(&format!(
                "{{\"kind\":\"{kind}\",\"resolution_s\":900,\"slots\":["
            ));
            for (i, r) in rows.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(&format!(
                    "{{\"start\":{},\"energy_wh\":{},\"channels\":{}}}",
                    r.slot.start_ms() / 1000,
                    r.energy_wh,
                    r.channels
                ));
            }
            body.push_str("]}");
            Ok(body)
        })
        .await;
    match result {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn members(State(state): State<AppState>, headers: HeaderMap) -> Response {
    respond(
        state
            .blocking(move |s| {
                let v = api_viewer(s, &headers)?;
                if !v.is_coordinator() {
                    return Err(WebError::Forbidden("coordinators only".into()));
                }
                let store = &s.0.store;
                let meters = store.meters(v.user.community_id)?;
                let members: Vec<serde_json::Value> = store
                    .members(v.user.community_id)?
                    .into_iter()
                    .map(|m| {
                        let ms: Vec<serde_json::Value> = meters
                            .iter()
                            .filter(|x| x.member_id == Some(m.id))
                            .map(|x| json!({ "id": x.id, "name": x.name, "last_contact_ms": x.last_contact_ms }))
                            .collect();
                        json!({ "id": m.id, "name": m.name, "kind": m.kind, "consent_individual": m.consent_individual, "meters": ms })
                    })
                    .collect();
                Ok(json!({ "members": members }))
            })
            .await,
    )
}
