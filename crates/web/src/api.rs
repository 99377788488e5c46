//! The JSON API behind the pages (described in `api/openapi.json`). Every answer is JSON (or
//! CSV when asked), every error `{"error": "…"}`.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::ChannelKind;
use serde_json::json;

use app::energy::Energy;

use crate::dto::{
    slot_dto, CsvStyle, CurveDto, EnergyDto, LiveDto, PeriodDto, QuarterHoursDto, TotalsDto,
};
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
                Ok(TotalsDto::new(&t, false))
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

/// A CSV download: its file name and how it is written.
pub(crate) struct Download {
    name: String,
    style: CsvStyle,
}

/// `dupont-12` from `Dupont — 12`; letters with accents lose them; `None` when nothing is left.
pub(crate) fn slug(text: &str) -> Option<String> {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if c != '-' || !(out.is_empty() || out.ends_with('-')) {
            out.push(c);
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    (!out.is_empty()).then_some(out)
}

impl Download {
    /// `voisins-h001-2026-12-04-day.csv`: who, when (the period's first day and its kind, or
    /// the two dates of an explicit range) and, after `what`, what it holds.
    pub(crate) fn new(
        s: &AppState,
        who: &str,
        window: &app::period::Window,
        what: &str,
        lang: Option<&str>,
    ) -> Download {
        let when = match (&window.period, window.kind) {
            (Some(p), Some(kind)) => format!("{}-{}", p.first, kind.as_string()),
            _ => format!(
                "{}-{}",
                crate::dto::local_fmt(window.from_ms(), &window.tz, "%Y-%m-%d"),
                crate::dto::local_fmt(window.to_ms() - 1, &window.tz, "%Y-%m-%d")
            ),
        };
        let style = match lang {
            Some(l) => CsvStyle::for_decimal_separator(s.0.catalogs.get(l).t("decimal_separator")),
            None => CsvStyle::API,
        };
        Download {
            name: format!("voisins-{who}-{when}{what}.csv"),
            style,
        }
    }

    fn respond(self, body: impl FnOnce(CsvStyle) -> String) -> Response {
        let body = body(self.style);
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", self.name),
                ),
            ],
            body,
        )
            .into_response()
    }
}

/// Who a member's download is about: the viewer's own login, or the member's name.
fn member_slug(
    s: &AppState,
    viewer: &app::access::Viewer,
    member: Option<domain::MemberId>,
) -> Result<String, WebError> {
    match member {
        Some(id) if Some(id) != viewer.user.member_id => {
            let name = s.app().member_name(id)?;
            Ok(slug(&name).unwrap_or_else(|| format!("member-{id}")))
        }
        _ => Ok(slug(&viewer.user.login).unwrap_or_else(|| "me".into())),
    }
}

fn curve_response(result: Result<(app::dashboard::Curve, Option<Download>), WebError>) -> Response {
    match result {
        Ok((curve, Some(d))) => d.respond(|style| CurveDto::csv(&curve, style)),
        Ok((curve, None)) => Json(CurveDto::new(&curve)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn member_curve_for(
    state: AppState,
    auth: ApiAuth,
    member: Option<domain::MemberId>,
    range: Range,
) -> Response {
    let result = state
        .run(move |s| {
            let viewer = auth.viewer(s)?;
            let curve = s.app().member_curve(&viewer, member, &range.request)?;
            let download = match range.csv {
                true => Some(Download::new(
                    s,
                    &member_slug(s, &viewer, member)?,
                    &curve.window,
                    "",
                    range.lang.as_deref(),
                )),
                false => None,
            };
            Ok((curve, download))
        })
        .await;
    curve_response(result)
}

fn energy_response(result: Result<(Energy, bool, Option<Download>), WebError>) -> Response {
    match result {
        Ok((e, community, Some(d))) => d.respond(|style| EnergyDto::csv(&e, community, style)),
        Ok((e, community, None)) => Json(EnergyDto::new(&e, community)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn member_energy_for(
    state: AppState,
    auth: ApiAuth,
    member: Option<domain::MemberId>,
    range: Range,
) -> Response {
    let result = state
        .run(move |s| {
            let viewer = auth.viewer(s)?;
            let energy = s.app().member_energy(&viewer, member, &range.request)?;
            let download = match range.csv {
                true => Some(Download::new(
                    s,
                    &member_slug(s, &viewer, member)?,
                    &energy.window,
                    "-energy",
                    range.lang.as_deref(),
                )),
                false => None,
            };
            Ok((energy, false, download))
        })
        .await;
    energy_response(result)
}

pub async fn me_energy(State(state): State<AppState>, auth: ApiAuth, range: Range) -> Response {
    member_energy_for(state, auth, None, range).await
}

pub async fn member_energy(
    State(state): State<AppState>,
    auth: ApiAuth,
    MemberPath(id): MemberPath,
    range: Range,
) -> Response {
    member_energy_for(state, auth, Some(id), range).await
}

pub async fn community_energy(
    State(state): State<AppState>,
    auth: ApiAuth,
    range: Range,
) -> Response {
    let result = state
        .run(move |s| {
            let energy = s.app().community_energy(&auth.viewer(s)?, &range.request)?;
            let download = range.csv.then(|| {
                Download::new(
                    s,
                    "community",
                    &energy.window,
                    "-energy",
                    range.lang.as_deref(),
                )
            });
            Ok((energy, true, download))
        })
        .await;
    energy_response(result)
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
                    "totals": TotalsDto::new(&totals, true),
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
    let result = state
        .run(move |s| {
            let curve = s.app().community_curve(&auth.viewer(s)?, &range.request)?;
            let download = range
                .csv
                .then(|| Download::new(s, "community", &curve.window, "", range.lang.as_deref()));
            Ok((curve, download))
        })
        .await;
    curve_response(result)
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
