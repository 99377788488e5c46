//! Server-rendered pages: login, my home, community, members and meters. Texts come from the
//! catalogues; numbers and dates are formatted for the viewer's language.

use app::access::{Viewer, Withheld};
use app::auth::Client;
use app::dashboard::Curve;
use app::period::{RangeRequest, Window};
use app::{AppError, Kind};
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use domain::PeriodKind;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access::{
    self, ClientAddr, DEVICE_COOKIE, LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::dto::CurveDto;
use crate::extract::MemberPath;
use crate::i18n::Catalog;
use crate::{AppState, WebError};

pub fn templates() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    for (name, source) in [
        ("base.html", include_str!("../templates/base.html")),
        ("login.html", include_str!("../templates/login.html")),
        ("chart.html", include_str!("../templates/chart.html")),
        ("home.html", include_str!("../templates/home.html")),
        (
            "community.html",
            include_str!("../templates/community.html"),
        ),
        ("members.html", include_str!("../templates/members.html")),
        ("error.html", include_str!("../templates/error.html")),
    ] {
        env.add_template(name, source).expect("templates parse");
    }
    env
}

/// Renders a page with the common context (texts, language, user, navigation).
fn render(
    state: &AppState,
    template: &str,
    lang: &str,
    path: &str,
    viewer: Option<&Viewer>,
    mut ctx: Value,
) -> Result<String, WebError> {
    let catalog = state.0.catalogs.get(lang);
    let languages: Vec<Value> = state
        .0
        .catalogs
        .languages()
        .into_iter()
        .map(|(code, name)| json!({ "code": code, "name": name, "href": format!("/lang/{code}?next={path}") }))
        .collect();
    let base = json!({
        "t": catalog.texts,
        "lang": lang,
        "rtl": catalog.rtl(),
        "languages": languages,
        "user": viewer.map(|v| json!({ "name": v.user.display_name, "member_id": v.user.member_id, "coordinator": v.is_coordinator() })),
        "csrf": viewer.and_then(|v| v.csrf.clone()).unwrap_or_default(),
    });
    if let (Value::Object(ctx), Value::Object(base)) = (&mut ctx, base) {
        for (k, v) in base {
            ctx.entry(k).or_insert(v);
        }
    }
    state
        .0
        .templates
        .get_template(template)
        .and_then(|t| t.render(&ctx))
        .map_err(|e| WebError(AppError::internal(format!("template {template}: {e:#}"))))
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// An error as a page, in the viewer's language.
fn error_page(state: &AppState, lang: &str, viewer: Option<&Viewer>, err: WebError) -> Response {
    err.log();
    if err.kind() == Kind::Unauthenticated {
        return Redirect::to("/login").into_response();
    }
    let catalog = state.0.catalogs.get(lang);
    let message = match err.kind() {
        Kind::Forbidden => catalog.t("error_forbidden").to_string(),
        Kind::NotFound => catalog.t("error_not_found").to_string(),
        Kind::Internal | Kind::Corrupt => catalog.t("error_internal").to_string(),
        Kind::Unavailable => catalog.t("error_busy").to_string(),
        _ => err.public_message().to_string(),
    };
    let body = render(
        state,
        "error.html",
        lang,
        "/",
        viewer,
        json!({ "title": catalog.t("error_title"), "message": message }),
    )
    .unwrap_or_else(|_| message.clone());
    let mut r = html(err.status(), body);
    err.decorate(&mut r);
    r
}

type PageFn = dyn FnOnce(&AppState, &Viewer, &str) -> Result<String, WebError> + Send;

/// Loads the session's viewer and language, then renders `page` on the blocking pool.
async fn page(state: AppState, headers: HeaderMap, page: Box<PageFn>) -> Response {
    let session = access::cookie(&headers, SESSION_COOKIE);
    let result = state
        .run(move |s| {
            let viewer = access::session_viewer(s, session.as_deref())?;
            let lang = access::language(s, &headers, viewer.as_ref().map(|v| v.user.lang.as_str()));
            let Some(viewer) = viewer else {
                return Ok(Err(None));
            };
            match page(s, &viewer, &lang) {
                Ok(body) => Ok(Ok(body)),
                Err(e) => Ok(Err(Some((e, lang, viewer)))),
            }
        })
        .await;
    match result {
        Ok(Ok(body)) => html(StatusCode::OK, body),
        Ok(Err(None)) => Redirect::to("/login").into_response(),
        Ok(Err(Some((e, lang, viewer)))) => error_page(&state, &lang, Some(&viewer), e),
        Err(e) => error_page(&state, crate::i18n::DEFAULT_LANG, None, e),
    }
}

pub async fn root(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = access::cookie(&headers, SESSION_COOKIE);
    let viewer = state
        .run(move |s| access::session_viewer(s, session.as_deref()))
        .await;
    match viewer {
        Ok(Some(v)) if v.user.member_id.is_some() => Redirect::to("/home").into_response(),
        Ok(Some(_)) => Redirect::to("/community").into_response(),
        _ => Redirect::to("/login").into_response(),
    }
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    error: Option<&str>,
    login: &str,
    status: StatusCode,
) -> Response {
    let lang = access::language(state, headers, None);
    let catalog = state.0.catalogs.get(&lang);
    let csrf = match state.app().login_form_token() {
        Ok(t) => t,
        Err(e) => return error_page(state, &lang, None, e.into()),
    };
    let ctx = json!({ "title": catalog.t("login_title"), "csrf": csrf, "error": error.map(|k| catalog.t(k)), "login": login });
    match render(state, "login.html", &lang, "/login", None, ctx) {
        Ok(body) => {
            let mut r = html(status, body);
            append_cookie(
                &mut r,
                access::set_cookie(state, LOGIN_CSRF_COOKIE, &csrf, 3600),
            );
            r
        }
        Err(e) => error_page(state, &lang, None, e),
    }
}

fn append_cookie(r: &mut Response, cookie: String) {
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The login page, rendered on the blocking pool (it signs a form token).
async fn login_page_async(
    state: AppState,
    headers: HeaderMap,
    error: Option<&'static str>,
    login: String,
    status: StatusCode,
) -> Response {
    let s = state.clone();
    state
        .run(move |st| Ok(login_page(st, &headers, error, &login, status)))
        .await
        .unwrap_or_else(|e| error_page(&s, crate::i18n::DEFAULT_LANG, None, e))
}

pub async fn login_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    login_page_async(state, headers, None, String::new(), StatusCode::OK).await
}

/// A form that could not be read: too large, or incomplete.
fn form_rejection(e: FormRejection) -> WebError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        WebError::too_large("the form is larger than a form can be")
    } else {
        WebError::bad_request("the form is incomplete")
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    csrf: String,
}

pub async fn login(
    State(state): State<AppState>,
    peer: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let lang = access::language(&state, &headers, None);
    let form = match form {
        Ok(Form(f)) => f,
        Err(e) => return error_page(&state, &lang, None, form_rejection(e)),
    };
    let cookie = access::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let client = Client {
        address: access::client_address(&state, &headers, peer.map(|Extension(p)| p)),
        device: access::cookie(&headers, DEVICE_COOKIE),
    };
    let login = form.login.trim().chars().take(64).collect::<String>();
    let (l, password, csrf) = (login.clone(), form.password, form.csrf);
    let checked = state
        .run(move |s| Ok(s.app().check_login_form(&cookie, &csrf)?))
        .await;
    if let Err(e) = checked {
        return error_page(&state, &lang, None, e);
    }
    // Password checks run on their own small pool: argon2 takes 19 MiB each.
    let s = state.clone();
    let result = state
        .0
        .hashing
        .run(move || s.app().login(&l, &password, &client))
        .await;
    match result {
        Ok(Ok(ok)) => {
            let mut r = Redirect::to(if ok.user.member_id.is_some() {
                "/home"
            } else {
                "/community"
            })
            .into_response();
            append_cookie(
                &mut r,
                access::set_cookie(&state, SESSION_COOKIE, &ok.session, ok.max_age_s),
            );
            append_cookie(&mut r, access::set_cookie(&state, LOGIN_CSRF_COOKIE, "", 0));
            append_cookie(
                &mut r,
                access::set_cookie(&state, DEVICE_COOKIE, &ok.device, 365 * 86_400),
            );
            r
        }
        Ok(Err(e)) if e.kind == Kind::TooMany => {
            let mut r = login_page_async(
                state,
                headers,
                Some("login_throttled"),
                login,
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
            WebError(e).decorate(&mut r);
            r
        }
        Ok(Err(e)) if e.kind == Kind::Unauthenticated => {
            login_page_async(
                state,
                headers,
                Some("login_failed"),
                login,
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
        Ok(Err(e)) => error_page(&state, &lang, None, e.into()),
        Err(busy) => error_page(&state, &lang, None, busy.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

async fn end_sessions(
    state: AppState,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
    everywhere: bool,
) -> Response {
    let lang = access::language(&state, &headers, None);
    let form = match form {
        Ok(Form(f)) => f,
        Err(e) => return error_page(&state, &lang, None, form_rejection(e)),
    };
    let cookie = access::cookie(&headers, SESSION_COOKIE);
    let result = state
        .run(move |s| {
            let viewer = access::session_viewer(s, cookie.as_deref())?
                .ok_or_else(|| WebError(AppError::unauthenticated()))?;
            let expected = viewer.csrf.clone().unwrap_or_default();
            if !app::auth::constant_time_eq(&expected, &form.csrf) {
                return Err(WebError(AppError::forbidden(
                    "the form was not ours: reload the page",
                )));
            }
            if everywhere {
                s.app().logout_everywhere(&viewer)?;
            } else {
                s.app().logout(cookie.as_deref().unwrap_or_default())?;
            }
            Ok(())
        })
        .await;
    match result {
        Ok(())
        | Err(WebError(AppError {
            kind: Kind::Unauthenticated,
            ..
        })) => {
            let mut r = Redirect::to("/login").into_response();
            append_cookie(&mut r, access::set_cookie(&state, SESSION_COOKIE, "", 0));
            r
        }
        Err(e) => error_page(&state, &lang, None, e),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    end_sessions(state, headers, form, false).await
}

/// Ends every session of the account, on every device.
pub async fn logout_everywhere(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    end_sessions(state, headers, form, true).await
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn set_lang(
    State(state): State<AppState>,
    Path(code): Path<String>,
    q: Result<Query<NextQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let next = access::same_site_path(q.as_ref().ok().and_then(|Query(q)| q.next.as_deref()));
    let mut r = Redirect::to(&next).into_response();
    if state.0.catalogs.has(&code) {
        append_cookie(
            &mut r,
            access::set_cookie(&state, LANG_COOKIE, &code, 365 * 86_400),
        );
    }
    r
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
