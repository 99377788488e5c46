//! Accounts from the browser: a coordinator invites a member's resident, makes a reset link,
//! changes a role or marks a member as gone (on the member's settings page); whoever holds a
//! one-time link chooses a password on `/welcome/{secret}` and is signed in.

use app::access::Viewer;
use app::accounts::{LinkPurpose, MemberAccount, NewLink};
use app::{AppError, Kind};
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use domain::{Role, UserId};
use serde_json::{json, Value};

use super::coord::{settings_page, when};
use super::{action, append_cookie, error_page, html, render, Done, Fields};
use crate::access::{self, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::i18n::Catalog;
use crate::{route, AppState, Route, WebError, GET_POST, POST};

pub const TEMPLATES: &[(&str, &str)] =
    &[("welcome.html", include_str!("../../templates/welcome.html"))];

pub fn routes() -> Vec<Route> {
    vec![
        route("/members/{id}/accounts", POST, false, post(invite)),
        route("/members/{id}/active", POST, false, post(set_active)),
        route("/accounts/{id}/reset", POST, false, post(reset)),
        route("/accounts/{id}/role", POST, false, post(set_role)),
        route(
            "/welcome/{secret}",
            GET_POST,
            false,
            get(welcome_form).post(welcome),
        ),
    ]
}

const ROLES: [Role; 3] = [Role::Resident, Role::Coordinator, Role::Operator];

/// The roles the viewer may give, for a select.
pub(crate) fn role_options(catalog: &Catalog, viewer: &Viewer, selected: Role) -> Vec<Value> {
    ROLES
        .iter()
        .filter(|r| **r != Role::Operator || viewer.user.role == Role::Operator || selected == Role::Operator)
        .map(|r| json!({ "value": r.as_str(), "label": catalog.t(&format!("role_{}", r.as_str())), "selected": *r == selected }))
        .collect()
}

/// A member's accounts as the settings page lists them.
pub(crate) fn account_rows(
    catalog: &Catalog,
    viewer: &Viewer,
    accounts: &[MemberAccount],
    tz: &jiff::tz::TimeZone,
) -> Vec<Value> {
    accounts
        .iter()
        .map(|a| {
            let state = match (&a.link, a.has_password) {
                (Some(l), false) => catalog
                    .t("accounts_invited_until")
                    .replace("{until}", &when(catalog, l.expires_ms, tz)),
                (None, false) => catalog.t("accounts_invite_expired").to_string(),
                (Some(l), true) => catalog
                    .t("accounts_reset_until")
                    .replace("{until}", &when(catalog, l.expires_ms, tz)),
                (None, true) => catalog.t("accounts_active").to_string(),
            };
            json!({
                "id": a.user.id, "login": a.user.login, "name": a.user.display_name,
                "state": state, "has_password": a.has_password,
                "me": a.user.id == viewer.user.id,
                "role": catalog.t(&format!("role_{}", a.user.role.as_str())),
                "roles": role_options(catalog, viewer, a.user.role),
            })
        })
        .collect()
}

/// Where this server is reached, for links a coordinator passes on: the scheme the cookies
/// assume and the host the coordinator used.
fn origin(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if state.0.config.cookie_secure {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

fn link_value(catalog: &Catalog, link: &NewLink, origin: &str, tz: &jiff::tz::TimeZone) -> Value {
    let text = match link.purpose {
        LinkPurpose::Invite => "accounts_link_invite",
        LinkPurpose::Reset => "accounts_link_reset",
    };
    json!({
        "url": format!("{origin}/welcome/{}", link.secret),
        "text": catalog.t(text).replace("{login}", &link.login).replace("{until}", &when(catalog, link.expires_ms, tz)),
    })
}

fn role_field(fields: &Fields) -> Result<Role, WebError> {
    let text = fields.get("role").map(|s| s.trim()).unwrap_or_default();
    Role::parse(text).map_err(|_| WebError::bad_request(format!("role: '{text}' is not a role")))
}

fn user_id(text: &str) -> Result<UserId, WebError> {
    domain::Id::parse(text).ok_or_else(|| WebError::not_found("no such account"))
}

fn member_id(text: &str) -> Result<domain::MemberId, WebError> {
    domain::Id::parse(text).ok_or_else(|| WebError::not_found("no such member"))
}

/// The member's settings page again, showing the new link once.
fn show_link(
    s: &AppState,
    viewer: &Viewer,
    lang: &str,
    link: &NewLink,
    origin: &str,
) -> Result<Done, WebError> {
    let Some(member) = link.member else {
        return Ok(Done::Redirect("/members".into()));
    };
    let catalog = s.0.catalogs.get(lang);
    let tz = s.app().time_zone()?;
    let value = link_value(catalog, link, origin, &tz);
    Ok(Done::Page(settings_page(
        s,
        viewer,
        lang,
        member,
        Some(value),
    )?))
}

pub async fn invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let origin = origin(&state, &headers);
    action(
        state,
        headers,
        form,
        Box::new(move |s, viewer, lang, f| {
            let member = member_id(&id)?;
            let get = |k: &str| f.get(k).map(|v| v.trim()).unwrap_or_default();
            if get("login").is_empty() {
                return Err(WebError::bad_request("login: required"));
            }
            let link =
                s.app()
                    .coord_invite(viewer, member, get("login"), get("name"), role_field(f)?)?;
            show_link(s, viewer, lang, &link, &origin)
        }),
    )
    .await
}

pub async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let origin = origin(&state, &headers);
    action(
        state,
        headers,
        form,
        Box::new(move |s, viewer, lang, _| {
            let link = s.app().coord_reset_link(viewer, user_id(&id)?)?;
            show_link(s, viewer, lang, &link, &origin)
        }),
    )
    .await
}

pub async fn set_role(
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
            let user = user_id(&id)?;
            let member = s.app().coord_set_role(viewer, user, role_field(f)?)?;
            // A coordinator who changed their own role signs in again with it.
            if user == viewer.user.id {
                return Ok(Done::Redirect("/login".into()));
            }
            Ok(match member {
                Some(m) => Done::Redirect(format!("/members/{m}/settings")),
                None => Done::Redirect("/members".into()),
            })
        }),
    )
    .await
}

pub async fn set_active(
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
            let member = member_id(&id)?;
            let active = match f.get("active").map(String::as_str) {
                Some("true") => true,
                Some("false") => false,
                _ => return Err(WebError::bad_request("active: true or false")),
            };
            s.app().coord_set_active(viewer, member, active)?;
            Ok(Done::Redirect(format!("/members/{member}/settings")))
        }),
    )
    .await
}

/// The page behind a one-time link, rendered with a fresh form token (and its cookie).
fn welcome_page(
    state: &AppState,
    headers: &HeaderMap,
    secret: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let app = state.app();
    let found = match app.account_link(secret) {
        Ok(f) => f,
        Err(e) => {
            return error_page(state, crate::i18n::DEFAULT_LANG, None, e.into());
        }
    };
    let lang = access::language(state, headers, found.as_ref().map(|(u, _)| u.lang.as_str()));
    let catalog = state.0.catalogs.get(&lang);
    let csrf = match app.login_form_token() {
        Ok(t) => t,
        Err(e) => return error_page(state, &lang, None, e.into()),
    };
    let min = app::auth::MIN_PASSWORD_CHARS;
    let community = app.community().map(|c| c.name).unwrap_or_default();
    let ctx = match &found {
        None => {
            json!({ "title": catalog.t("welcome_gone_title"), "gone": true, "community_name": community })
        }
        Some((user, purpose)) => json!({
            "title": catalog.t(if *purpose == LinkPurpose::Invite { "welcome_title" } else { "welcome_reset_title" }),
            "invite": *purpose == LinkPurpose::Invite,
            "intro": catalog.t("welcome_intro").replace("{name}", &user.display_name).replace("{community}", &community),
            "login": user.login, "csrf": csrf, "community_name": community, "error": error, "min_chars": min,
            "rule": catalog.t("welcome_rule").replace("{n}", &min.to_string()),
            "action": format!("/welcome/{secret}"),
        }),
    };
    let status = if found.is_none() {
        StatusCode::NOT_FOUND
    } else {
        status
    };
    match render(state, "welcome.html", &lang, "/welcome", None, ctx) {
        Ok(body) => {
            let mut r = html(status, body);
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            append_cookie(
                &mut r,
                access::set_cookie(state, LOGIN_CSRF_COOKIE, &csrf, 3600),
            );
            r
        }
        Err(e) => error_page(state, &lang, None, e),
    }
}

async fn welcome_async(
    state: AppState,
    headers: HeaderMap,
    secret: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let s = state.clone();
    state
        .run(move |st| Ok(welcome_page(st, &headers, &secret, error, status)))
        .await
        .unwrap_or_else(|e| error_page(&s, crate::i18n::DEFAULT_LANG, None, e))
}

pub async fn welcome_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Response {
    welcome_async(state, headers, secret, None, StatusCode::OK).await
}

pub async fn welcome(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(secret): Path<String>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let lang = access::language(&state, &headers, None);
    let catalog = state.0.catalogs.get(&lang);
    let fields = match form {
        Ok(Form(f)) => f,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return error_page(&state, &lang, None, super::form_rejection(e));
        }
        Err(_) => Fields::new(),
    };
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let (password, confirm, csrf) = (get("password"), get("confirm"), get("csrf"));
    let again = |key: &str| Some(catalog.t(key).to_string());
    if password.is_empty() || confirm.is_empty() {
        let e = again("login_try_again");
        return welcome_async(state, headers, secret, e, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let cookie = access::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let checked = state
        .run(move |s| Ok(s.app().check_login_form(&cookie, &csrf)?))
        .await;
    match checked {
        Ok(()) => {}
        Err(e) if e.kind() == Kind::Forbidden => {
            let e = again("login_expired");
            return welcome_async(state, headers, secret, e, StatusCode::FORBIDDEN).await;
        }
        Err(e) => return error_page(&state, &lang, None, e),
    }
    let min = app::auth::MIN_PASSWORD_CHARS;
    if password.chars().count() < min {
        let e = Some(catalog.t("welcome_rule").replace("{n}", &min.to_string()));
        return welcome_async(state, headers, secret, e, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if password != confirm {
        let e = again("welcome_differ");
        return welcome_async(state, headers, secret, e, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    // argon2 runs on its own small pool.
    let s = state.clone();
    let sec = secret.clone();
    let result = state
        .0
        .hashing
        .run(move || s.app().use_account_link(&sec, &password, &confirm))
        .await;
    match result {
        Ok(Ok(ok)) => {
            let to = if ok.user.member_id.is_some() {
                "/home"
            } else {
                "/community"
            };
            let mut r = Redirect::to(to).into_response();
            append_cookie(
                &mut r,
                access::set_cookie(&state, SESSION_COOKIE, &ok.session, ok.max_age_s),
            );
            append_cookie(&mut r, access::set_cookie(&state, LOGIN_CSRF_COOKIE, "", 0));
            r
        }
        Ok(Err(AppError {
            kind: Kind::NotFound,
            ..
        })) => welcome_async(state, headers, secret, None, StatusCode::NOT_FOUND).await,
        Ok(Err(e)) if e.kind == Kind::Invalid => {
            let e = Some(e.message.clone());
            welcome_async(state, headers, secret, e, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Ok(Err(e)) => error_page(&state, &lang, None, e.into()),
        Err(busy) => error_page(&state, &lang, None, busy.into()),
    }
}
