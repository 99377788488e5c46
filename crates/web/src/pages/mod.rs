//! Server-rendered pages: login, my home, community, members and meters. Texts come from the
//! catalogues; numbers and dates are formatted for the viewer's language.
//!
//! `session` (login, logout, language), `dashboards` (home, a member, the community) and
//! `coord` (what coordinators run) each bring their own templates and routes.

pub mod accounts;
pub mod coord;
pub mod dashboards;
pub mod session;

use app::access::Viewer;
use app::{AppError, Kind};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{json, Value};

use crate::access::{self, SESSION_COOKIE};
use crate::{AppState, WebError};

/// Every template: the shared ones and each area's.
pub fn templates() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    let shared: &[(&str, &str)] = &[
        ("base.html", include_str!("../../templates/base.html")),
        ("error.html", include_str!("../../templates/error.html")),
    ];
    for (name, source) in shared
        .iter()
        .chain(session::TEMPLATES)
        .chain(dashboards::TEMPLATES)
        .chain(coord::TEMPLATES)
        .chain(accounts::TEMPLATES)
    {
        env.add_template(name, source).expect("templates parse");
    }
    env
}
/// Renders a page with the common context (texts, language, user, navigation).
pub(crate) fn render(
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

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// An error as a page, in the viewer's language.
pub(crate) fn error_page(
    state: &AppState,
    lang: &str,
    viewer: Option<&Viewer>,
    err: WebError,
) -> Response {
    err.log();
    if err.kind() == Kind::Unauthenticated {
        return Redirect::to("/login").into_response();
    }
    let catalog = state.0.catalogs.get(lang);
    let message = match err.kind() {
        Kind::Forbidden if err.public_message() == FORM_EXPIRED => {
            catalog.t("error_form_expired").to_string()
        }
        Kind::Forbidden => catalog.t("error_forbidden").to_string(),
        Kind::NotFound => catalog.t("error_not_found").to_string(),
        Kind::Internal | Kind::Corrupt => catalog.t("error_internal").to_string(),
        Kind::Unavailable => catalog.t("error_busy").to_string(),
        _ => err.public_message().to_string(),
    };
    // The page names the community, unless the store is what failed.
    let community = match err.kind() {
        Kind::Internal | Kind::Corrupt | Kind::Unavailable => None,
        _ => state.app().community().ok().map(|c| c.name),
    };
    let body = render(
        state,
        "error.html",
        lang,
        "/",
        viewer,
        json!({ "title": catalog.t("error_title"), "message": message, "community_name": community }),
    )
    .unwrap_or_else(|_| message.clone());
    let mut r = html(err.status(), body);
    err.decorate(&mut r);
    r
}

pub(crate) type PageFn = dyn FnOnce(&AppState, &Viewer, &str) -> Result<String, WebError> + Send;

/// Loads the session's viewer and language, then renders `page` on the blocking pool.
pub(crate) async fn page(state: AppState, headers: HeaderMap, page: Box<PageFn>) -> Response {
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

pub(crate) fn append_cookie(r: &mut Response, cookie: String) {
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// A form's fields by name.
pub(crate) type Fields = std::collections::HashMap<String, String>;

/// What a form action leads to: another page (after a change, so a reload does not repeat
/// it) or a page shown once (a token's secret).
pub(crate) enum Done {
    Redirect(String),
    Page(String),
}

pub(crate) type ActionFn =
    dyn FnOnce(&AppState, &Viewer, &str, &Fields) -> Result<Done, WebError> + Send;

/// Runs a signed-in form action after checking the session's CSRF token; a refused or invalid
/// form is answered with the error page, in words that name the field.
pub(crate) async fn action(
    state: AppState,
    headers: HeaderMap,
    form: Result<axum::Form<Fields>, axum::extract::rejection::FormRejection>,
    act: Box<ActionFn>,
) -> Response {
    let fields = match form {
        Ok(axum::Form(f)) => f,
        Err(e) => {
            let lang = access::language(&state, &headers, None);
            return error_page(&state, &lang, None, form_rejection(e));
        }
    };
    let session = access::cookie(&headers, SESSION_COOKIE);
    let result = state
        .run(move |s| {
            let viewer = access::session_viewer(s, session.as_deref())?;
            let lang = access::language(s, &headers, viewer.as_ref().map(|v| v.user.lang.as_str()));
            let Some(viewer) = viewer else {
                return Ok(Err(None));
            };
            let expected = viewer.csrf.clone().unwrap_or_default();
            let sent = fields.get("csrf").map(String::as_str).unwrap_or_default();
            if !app::auth::constant_time_eq(&expected, sent) {
                let e = WebError(app::AppError::forbidden(FORM_EXPIRED));
                return Ok(Err(Some((e, lang, viewer))));
            }
            match act(s, &viewer, &lang, &fields) {
                Ok(done) => Ok(Ok(done)),
                Err(e) => Ok(Err(Some((e, lang, viewer)))),
            }
        })
        .await;
    match result {
        Ok(Ok(Done::Redirect(to))) => Redirect::to(&to).into_response(),
        Ok(Ok(Done::Page(body))) => {
            let mut r = html(StatusCode::OK, body);
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Ok(Err(None)) => Redirect::to("/login").into_response(),
        Ok(Err(Some((e, lang, viewer)))) => error_page(&state, &lang, Some(&viewer), e),
        Err(e) => error_page(&state, crate::i18n::DEFAULT_LANG, None, e),
    }
}

/// Why a form was refused when its CSRF token is not the session's (shown in words by
/// [`error_page`]).
pub(crate) const FORM_EXPIRED: &str =
    "the form was not ours or is too old: reload the page and try again";

pub(crate) fn form_rejection(e: axum::extract::rejection::FormRejection) -> WebError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        WebError::too_large("the form is larger than a form can be")
    } else {
        WebError::bad_request("the form is incomplete")
    }
}

/// Unknown paths: the styled page for a browser, `{"error": …}` for an API client.
pub async fn not_found(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let api = ["/api/", "/write", "/static/"]
        .iter()
        .any(|p| uri.path().starts_with(p));
    if api || !wants_html {
        return crate::security::not_found().await;
    }
    let session = access::cookie(&headers, SESSION_COOKIE);
    let found = state
        .run(move |s| {
            let viewer = access::session_viewer(s, session.as_deref()).ok().flatten();
            let lang = access::language(s, &headers, viewer.as_ref().map(|v| v.user.lang.as_str()));
            Ok((viewer, lang))
        })
        .await;
    let (viewer, lang) = found.unwrap_or((None, crate::i18n::DEFAULT_LANG.to_string()));
    error_page(
        &state,
        &lang,
        viewer.as_ref(),
        WebError::not_found("no such page"),
    )
}
