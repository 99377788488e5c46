//! Server-rendered pages: login, my home, community, members and meters. Texts come from the
//! catalogues; numbers and dates are formatted for the viewer's language.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use domain::{LocalDay, Slot};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access::{self, Viewer, LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::api::{community_tz, resolve_range, RangeQuery};
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
        "csrf": viewer.map(|v| v.csrf.clone()).unwrap_or_default(),
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
        .map_err(|e| WebError::Internal(format!("template {template}: {e:#}")))
}

fn html(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// An error as a page, in the viewer's language.
fn error_page(state: &AppState, lang: &str, viewer: Option<&Viewer>, err: WebError) -> Response {
    err.log();
    if matches!(err, WebError::Unauthorized) {
        return Redirect::to("/login").into_response();
    }
    let catalog = state.0.catalogs.get(lang);
    let message = match &err {
        WebError::Forbidden(_) => catalog.t("error_forbidden").to_string(),
        WebError::NotFound => catalog.t("error_not_found").to_string(),
        WebError::Internal(_) => catalog.t("error_internal").to_string(),
        other => other.public_message(),
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
    (err.status(), html(body)).into_response()
}

/// Loads the session's viewer and language, then runs `page` on a blocking thread.
async fn page(
    state: AppState,
    headers: HeaderMap,
    page: impl FnOnce(&AppState, &Viewer, &str) -> Result<String, WebError> + Send + 'static,
) -> Response {
    let result = state
        .blocking(move |s| {
            let viewer = access::session_viewer(s, &headers)?;
            let lang = access::language(s, &headers, viewer.as_ref().map(|v| &v.user));
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
        Ok(Ok(body)) => html(body),
        Ok(Err(None)) => Redirect::to("/login").into_response(),
        Ok(Err(Some((e, lang, viewer)))) => error_page(&state, &lang, Some(&viewer), e),
        Err(e) => error_page(&state, crate::i18n::DEFAULT_LANG, None, e),
    }
}

pub async fn root(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let viewer = state
        .blocking(move |s| access::session_viewer(s, &headers))
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
    let csrf = app::auth::new_secret();
    let catalog = state.0.catalogs.get(&lang);
    let ctx = json!({ "title": catalog.t("login_title"), "csrf": csrf, "error": error.map(|k| catalog.t(k)), "login": login });
    match render(state, "login.html", &lang, "/login", None, ctx) {
        Ok(body) => {
            let mut r = (status, html(body)).into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                access::set_cookie(state, LOGIN_CSRF_COOKIE, &csrf, 3600)
                    .parse()
                    .expect("cookie header"),
            );
            r
        }
        Err(e) => error_page(state, &lang, None, e),
    }
}

pub async fn login_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    login_page(&state, &headers, None, "", StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    csrf: String,
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = access::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !app::auth::constant_time_eq(&expected, &form.csrf) {
        return error_page(
            &state,
            &access::language(&state, &headers, None),
            None,
            WebError::Forbidden("CSRF token mismatch".into()),
        );
    }
    if access::throttled(&state, &form.login, false) {
        return login_page(
            &state,
            &headers,
            Some("login_throttled"),
            &form.login,
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let login = form.login.trim().to_string();
    let password = form.password;
    let result = state
        .blocking(move |s| {
            let user = s.0.store.user_by_login(&login)?;
            let ok = match &user {
                Some(u) => app::auth::verify_password(&u.password_hash, &password),
                None => {
                    // Same cost whether or not the login exists.
                    let _ = app::auth::verify_password("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$2Qh6EhhdLHtmb1cHvkK1ho5g1mYE0yD0TpVxtrwPq1Y", &password);
                    false
                }
            };
            match user.filter(|_| ok) {
                Some(u) => {
                    let token = app::auth::new_secret();
                    let csrf = app::auth::new_secret();
                    let expires = s.now_ms() + s.0.config.session_hours * 3_600_000;
                    s.0.store.create_session(&app::auth::secret_hash(&token), u.id, &csrf, expires)?;
                    Ok(Some((token, u.member_id.is_some())))
                }
                None => Ok(None),
            }
        })
        .await;
    match result {
        Ok(Some((token, resident))) => {
            let mut r = Redirect::to(if resident { "/home" } else { "/community" }).into_response();
            let max_age = state.0.config.session_hours * 3600;
            let h = r.headers_mut();
            h.append(
                header::SET_COOKIE,
                access::set_cookie(&state, SESSION_COOKIE, &token, max_age)
                    .parse()
                    .expect("cookie"),
            );
            h.append(
                header::SET_COOKIE,
                access::set_cookie(&state, LOGIN_CSRF_COOKIE, "", 0)
                    .parse()
                    .expect("cookie"),
            );
            r
        }
        Ok(None) => {
            let throttled = access::throttled(&state, &form.login, true);
            let key = if throttled {
                "login_throttled"
            } else {
                "login_failed"
            };
            login_page(
                &state,
                &headers,
                Some(key),
                form.login.trim(),
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(e) => error_page(&state, &access::language(&state, &headers, None), None, e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let cookie = access::cookie(&headers, SESSION_COOKIE);
    let result = state
        .blocking(move |s| {
            let viewer = access::session_viewer(s, &headers)?.ok_or(WebError::Unauthorized)?;
            if !app::auth::constant_time_eq(&viewer.csrf, &form.csrf) {
                return Err(WebError::Forbidden("CSRF token mismatch".into()));
            }
            if let Some(token) = cookie {
                s.0.store.delete_session(&app::auth::secret_hash(&token))?;
            }
            Ok(())
        })
        .await;
    match result {
        Ok(()) | Err(WebError::Unauthorized) => {
            let mut r = Redirect::to("/login").into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                access::set_cookie(&state, SESSION_COOKIE, "", 0)
                    .parse()
                    .expect("cookie"),
            );
            r
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn set_lang(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = q
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    let mut r = Redirect::to(&next).into_response();
    if state.0.catalogs.has(&code) {
        r.headers_mut().append(
            header::SET_COOKIE,
            access::set_cookie(&state, LANG_COOKIE, &code, 365 * 86_400)
                .parse()
                .expect("cookie"),
        );
    }
    r
}

fn today(state: &AppState) -> Result<LocalDay, WebError> {
    let tz = community_tz(state)?;
    let now = jiff::Timestamp::from_millisecond(state.now_ms())
        .map_err(|e| WebError::Internal(e.to_string()))?;
    LocalDay::containing(now, &tz).map_err(|e| WebError::Internal(e.to_string()))
}

fn chart(
    catalog: &Catalog,
    id: &str,
    title: &str,
    url: &str,
    curve: &app::dashboard::Curve,
) -> Result<Value, WebError> {
    let labels = json!({
        "consumption": catalog.t("chart_consumption"),
        "production": catalog.t("chart_production"),
        "self_consumed": catalog.t("chart_self_consumed"),
        "power": catalog.t("chart_power"),
        "time": catalog.t("chart_time"),
    });
    let data = serde_json::to_string(curve)
        .map_err(|e| WebError::Internal(e.to_string()))?
        .replace("</", "<\\/");
    Ok(
        json!({ "id": id, "title": title, "url": url, "range": "day", "labels": labels.to_string(), "data": data }),
    )
}

fn time_of_day(state: &AppState, ts_ms: i64) -> String {
    let tz = community_tz(state).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(ts_ms)
        .map(|t| t.to_zoned(tz).strftime("%H:%M:%S").to_string())
        .unwrap_or_default()
}

pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(state, headers, |s, viewer, lang| {
        let catalog = s.0.catalogs.get(lang);
        match viewer.user.member_id {
            Some(member_id) => member_page(s, viewer, lang, member_id, true),
            None => {
                let community = s.0.store.community(viewer.user.community_id)?;
                let ctx = json!({ "title": catalog.t("home_title"), "heading": catalog.t("home_title"), "active": "home", "community_name": community.name, "today_label": catalog.date(today(s)?.date), "no_member": true, "member_name": viewer.user.display_name });
                render(s, "home.html", lang, "/home", Some(viewer), ctx)
            }
        }
    })
    .await
}

/// A coordinator's view of one member: only for members who share their curve.
pub async fn member(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    page(state, headers, move |s, viewer, lang| {
        let member = s.0.store.member(id).map_err(|_| WebError::NotFound)?;
        if !viewer.can_see_member(&member) {
            return Err(WebError::Forbidden(
                "this member does not share their curve".into(),
            ));
        }
        member_page(s, viewer, lang, id, viewer.user.member_id == Some(id))
    })
    .await
}

/// Live power, today's energy and the load curve of one member.
fn member_page(
    s: &AppState,
    viewer: &Viewer,
    lang: &str,
    member_id: i64,
    own: bool,
) -> Result<String, WebError> {
    let catalog = s.0.catalogs.get(lang);
    let store = &s.0.store;
    let community = store.community(viewer.user.community_id)?;
    let day = today(s)?;
    let member = store.member(member_id)?;
    let live = app::dashboard::member_live(store, community.id, member_id, s.now_ms())?;
    let channels = store.member_channels(member_id)?;
    let has_production = channels
        .iter()
        .any(|c| c.kind() == Some(domain::ChannelKind::Production));
    let (from, to) = resolve_range(&RangeQuery::default(), &community_tz(s)?, s.now_ms())?;
    let curve = app::dashboard::member_curve(store, community.id, member_id, from, to)?;
    let (heading, active, path, api) = if own {
        (
            catalog.t("home_title").to_string(),
            "home",
            "/home".to_string(),
            "/api/v1/me".to_string(),
        )
    } else {
        (
            member.name.clone(),
            "members",
            format!("/members/{member_id}"),
            format!("/api/v1/members/{member_id}"),
        )
    };
    let ctx = json!({
        "title": heading,
        "heading": heading,
        "active": active,
        "community_name": community.name,
        "today_label": catalog.date(day.date),
        "timezone": community.timezone,
        "charts": true,
        // The heading names the member on a coordinator's view; the line below it says where.
        "member_name": if own { member.name.clone() } else { community.name.clone() },
        "live_url": format!("{api}/live"),
        "live": {
            "power": live.power_w.map_or("—".to_string(), |w| catalog.power(w)),
            "production": live.production_w.map_or("—".to_string(), |w| catalog.power(w)),
            "has_production": has_production,
            "as_of": live.as_of_ms.map_or(catalog.t("home_live_none").to_string(), |t| format!("{} {}", catalog.t("home_live_as_of"), time_of_day(s, t))),
        },
        "today": {
            "consumption": catalog.energy(live.today.consumption_wh),
            "production": catalog.energy(live.today.production_wh),
            "self_consumed": catalog.energy(live.today.self_consumed_wh),
        },
        "chart": chart(catalog, "curve", catalog.t(if own { "home_curve" } else { "member_curve" }), &format!("{api}/curve"), &curve)?,
    });
    render(s, "home.html", lang, &path, Some(viewer), ctx)
}

pub async fn community(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(state, headers, |s, viewer, lang| {
        let catalog = s.0.catalogs.get(lang);
        let store = &s.0.store;
        let community = store.community(viewer.user.community_id)?;
        let day = today(s)?;
        let today_totals = app::dashboard::community_totals(store, community.id, day.first, day.end)?;
        let month_from = Slot::from_index(day.end.index() - 30 * 96);
        let month = app::dashboard::community_totals(store, community.id, month_from, day.end)?;
        let (from, to) = resolve_range(&RangeQuery::default(), &community_tz(s)?, s.now_ms())?;
        let curve = app::dashboard::community_curve(store, community.id, from, to, s.now_ms())?;
        let cabin = app::dashboard::cabin_view(store, community.id, day.first, day.end)?.map(|c| {
            json!({
                "measured": catalog.energy(c.measured_wh),
                "members": catalog.energy(c.members_net_wh),
                "coverage": catalog.percent(c.coverage),
                "reverse": format!("{} / {}", c.reverse_flow_slots, c.slots),
            })
        });
        let pct = |r: Option<f64>| (r.unwrap_or(0.0) * 100.0).clamp(0.0, 100.0).round();
        let ctx = json!({
            "title": catalog.t("community_title"),
            "active": "community",
            "charts": true,
            "community_name": community.name,
            "timezone": community.timezone,
            "today_label": catalog.date(day.date),
            "today": {
                "consumption": catalog.energy(today_totals.consumption_wh),
                "production": catalog.energy(today_totals.production_wh),
                "self_consumed": catalog.energy(today_totals.self_consumed_wh),
            },
            "month": {
                "self_consumption_rate": catalog.percent(month.self_consumption_rate),
                "self_sufficiency_rate": catalog.percent(month.self_sufficiency_rate),
                "self_consumption_pct": pct(month.self_consumption_rate),
                "self_sufficiency_pct": pct(month.self_sufficiency_rate),
            },
            "chart": chart(catalog, "community-curve", catalog.t("community_curve"), "/api/v1/community/curve", &curve)?,
            "cabin": cabin,
        });
        render(s, "community.html", lang, "/community", Some(viewer), ctx)
    })
    .await
}

pub async fn members(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(state, headers, |s, viewer, lang| {
        if !viewer.is_coordinator() {
            return Err(WebError::Forbidden("coordinators only".into()));
        }
        let catalog = s.0.catalogs.get(lang);
        let store = &s.0.store;
        let community = store.community(viewer.user.community_id)?;
        let meters = store.meters(community.id)?;
        let channels = store.channels(community.id)?;
        let now = s.now_ms();
        let silent_ms = s.0.config.silent_after_minutes * 60_000;
        let mut rows = Vec::new();
        for m in store.members(community.id)? {
            for meter in meters.iter().filter(|x| x.member_id == Some(m.id)) {
                let chans: Vec<Value> = channels
                    .iter()
                    .filter(|c| c.meter_id == Some(meter.id))
                    .map(|c| {
                        let kind = c.kind().map(|k| k.as_str()).unwrap_or("");
                        json!({ "key": c.series_key, "kind": catalog.t(&format!("channel_{kind}")), "kind_class": kind })
                    })
                    .collect();
                rows.push(json!({
                    "name": m.name,
                    "href": m.consent_individual.then(|| format!("/members/{}", m.id)),
                    "kind": catalog.t(&format!("kind_{}", m.kind.as_str())),
                    "meter": meter.name,
                    "channels": chans,
                    "last_contact": meter.last_contact_ms.map_or(catalog.t("members_never").to_string(), |t| catalog.ago(now - t)),
                    "silent": meter.last_contact_ms.is_none_or(|t| now - t > silent_ms),
                    "consent": catalog.t(if m.consent_individual { "members_yes" } else { "members_no" }),
                }));
            }
        }
        let unassigned: Vec<String> = channels.iter().filter(|c| c.configs.is_empty()).map(|c| c.series_key.clone()).collect();
        let ctx = json!({ "title": catalog.t("members_title"), "active": "members", "community_name": community.name, "rows": rows, "unassigned": unassigned });
        render(s, "members.html", lang, "/members", Some(viewer), ctx)
    })
    .await
}
