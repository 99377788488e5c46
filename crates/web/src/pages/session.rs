//! Login, logout and the choice of language.

use app::auth::Client;
use app::{AppError, Kind};
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use serde_json::json;

use super::{append_cookie, error_page, form_rejection, html, render};
use crate::access::{
    self, ClientAddr, DEVICE_COOKIE, LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::{route, AppState, Route, WebError, GET, GET_POST, POST};
use axum::routing::{get, post};

pub const TEMPLATES: &[(&str, &str)] =
    &[("login.html", include_str!("../../templates/login.html"))];

pub fn routes() -> Vec<Route> {
    vec![
        route("/login", GET_POST, false, get(login_form).post(login)),
        route("/logout", POST, false, post(logout)),
        route("/logout/everywhere", POST, false, post(logout_everywhere)),
        route("/lang/{code}", GET, false, get(set_lang)),
    ]
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
    let community = state.app().community().ok().map(|c| c.name);
    let ctx = json!({ "title": catalog.t("login_title"), "community_name": community, "csrf": csrf, "error": error.filter(|k| *k != "login_signed_out").map(|k| catalog.t(k)), "notice": error.filter(|k| *k == "login_signed_out").map(|k| catalog.t(k)), "login": login });
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

#[derive(Deserialize)]
pub struct LoginQuery {
    signed_out: Option<String>,
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let signed_out = q.is_ok_and(|Query(q)| q.signed_out.is_some());
    let notice = signed_out.then_some("login_signed_out");
    login_page_async(state, headers, notice, String::new(), StatusCode::OK).await
}

/// A form that could not be read: too large, or incomplete.

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
        // A missing field: the form again, asking to try once more.
        Err(e) if e.status() != StatusCode::PAYLOAD_TOO_LARGE => {
            return login_page_async(
                state,
                headers,
                Some("login_try_again"),
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
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
    match checked {
        Ok(()) => {}
        // A form left open past its lifetime (or not ours): a fresh form, the login kept.
        Err(e) if e.kind() == Kind::Forbidden => {
            return login_page_async(
                state,
                headers,
                Some("login_expired"),
                login,
                StatusCode::FORBIDDEN,
            )
            .await;
        }
        Err(e) => return error_page(&state, &lang, None, e),
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
        Ok(Err(e)) if e.kind == Kind::Forbidden => {
            login_page_async(
                state,
                headers,
                Some("login_deactivated"),
                login,
                StatusCode::FORBIDDEN,
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
            let mut r = Redirect::to("/login?signed_out=1").into_response();
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

/// Sets the language for this browser and, when signed in, on the user's profile, so every
/// device follows.
pub async fn set_lang(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    q: Result<Query<NextQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let next = access::same_site_path(q.as_ref().ok().and_then(|Query(q)| q.next.as_deref()));
    let mut r = Redirect::to(&next).into_response();
    if state.0.catalogs.has(&code) {
        let session = access::cookie(&headers, SESSION_COOKIE);
        let lang = code.clone();
        let saved = state
            .run(move |s| {
                if let Some(viewer) = access::session_viewer(s, session.as_deref())? {
                    s.app().set_language(&viewer, &lang)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = saved {
            e.log();
        }
        append_cookie(
            &mut r,
            access::set_cookie(&state, LANG_COOKIE, &code, 365 * 86_400),
        );
    }
    r
}
