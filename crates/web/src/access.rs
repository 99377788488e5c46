//! Who is asking and what they may see: session cookies, API and write tokens, and the rules
//! (a resident sees only their own detailed data; coordinators see individual curves only of
//! members who consented; write tokens never read).

use axum::http::HeaderMap;
use base64::Engine;
use domain::Role;
use store::{Member, TokenScope, User};

use crate::{AppState, WebError};

pub const SESSION_COOKIE: &str = "voisins_session";
pub const LOGIN_CSRF_COOKIE: &str = "voisins_login_csrf";
pub const LANG_COOKIE: &str = "voisins_lang";

/// A logged-in user, from a session cookie or a read token.
#[derive(Clone)]
pub struct Viewer {
    pub user: User,
    /// The session's CSRF token (empty for token-authenticated API calls).
    pub csrf: String,
}

impl std::fmt::Debug for Viewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Viewer")
            .field("user", &self.user)
            .field("csrf", &"<redacted>")
            .finish()
    }
}

impl Viewer {
    pub fn is_coordinator(&self) -> bool {
        matches!(self.user.role, Role::Coordinator | Role::Operator)
    }

    /// May this viewer see the member's individual data?
    pub fn can_see_member(&self, member: &Member) -> bool {
        if member.community_id != self.user.community_id {
            return false;
        }
        self.user.member_id == Some(member.id)
            || (self.is_coordinator() && member.consent_individual)
    }
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_s: i64) -> String {
    let secure = if state.0.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}")
}

/// The session's viewer, if the cookie names a live session (blocking).
pub fn session_viewer(state: &AppState, headers: &HeaderMap) -> Result<Option<Viewer>, WebError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = app::auth::secret_hash(&token);
    Ok(state
        .0
        .store
        .session(&hash, state.now_ms())?
        .map(|s| Viewer {
            user: s.user,
            csrf: s.csrf,
        }))
}

/// The bearer token of a request: `Authorization: Token X`, `Bearer X`, Basic (password), or
/// the `p` query parameter as InfluxDB accepts it.
pub fn presented_token(headers: &HeaderMap, query_p: Option<&str>) -> Option<String> {
    if let Some(value) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let value = value.trim();
        for scheme in ["Token ", "Bearer ", "token ", "bearer "] {
            if let Some(t) = value.strip_prefix(scheme) {
                return Some(t.trim().to_string());
            }
        }
        if let Some(b64) = value
            .strip_prefix("Basic ")
            .or_else(|| value.strip_prefix("basic "))
        {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()?;
            let text = String::from_utf8(decoded).ok()?;
            return text.split_once(':').map(|(_, p)| p.to_string());
        }
    }
    query_p.filter(|p| !p.is_empty()).map(str::to_string)
}

/// The viewer of an API request: session cookie first, then a read token (blocking).
pub fn api_viewer(state: &AppState, headers: &HeaderMap) -> Result<Viewer, WebError> {
    if let Some(v) = session_viewer(state, headers)? {
        return Ok(v);
    }
    let token = presented_token(headers, None).ok_or(WebError::Unauthorized)?;
    let found = state
        .0
        .store
        .token(&app::auth::secret_hash(&token))?
        .ok_or(WebError::Unauthorized)?;
    match found.scope {
        TokenScope::UserRead { user_id } => Ok(Viewer {
            user: state.0.store.user(user_id)?,
            csrf: String::new(),
        }),
        _ => Err(WebError::Forbidden(
            "this token can write readings, not read data".into(),
        )),
    }
}

/// The community and scope of a write request (blocking).
pub fn write_scope(
    state: &AppState,
    headers: &HeaderMap,
    query_p: Option<&str>,
) -> Result<(i64, TokenScope), WebError> {
    let token = presented_token(headers, query_p).ok_or(WebError::Unauthorized)?;
    let found = state
        .0
        .store
        .token(&app::auth::secret_hash(&token))?
        .ok_or(WebError::Unauthorized)?;
    match found.scope {
        TokenScope::UserRead { .. } => Err(WebError::Forbidden(
            "this token can read data, not write readings".into(),
        )),
        scope => Ok((found.community_id, scope)),
    }
}

/// Language: the cookie, then the user's, then the browser's, then French.
pub fn language(state: &AppState, headers: &HeaderMap, user: Option<&User>) -> String {
    let catalogs = &state.0.catalogs;
    if let Some(lang) = cookie(headers, LANG_COOKIE).filter(|l| catalogs.has(l)) {
        return lang;
    }
    if let Some(user) = user.filter(|u| catalogs.has(&u.lang)) {
        return user.lang.clone();
    }
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for part in accept.split(',') {
        let code = part
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .split('-')
            .next()
            .unwrap_or("")
            .to_lowercase();
        if catalogs.has(&code) {
            return code;
        }
    }
    crate::i18n::DEFAULT_LANG.to_string()
}

/// Records a failed login; `true` if the login is now throttled.
pub fn throttled(state: &AppState, login: &str, failed: bool) -> bool {
    const WINDOW_MS: i64 = 15 * 60_000;
    const MAX_FAILURES: u32 = 10;
    let now = state.now_ms();
    let mut map = state
        .0
        .login_failures
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let entry = map.entry(login.to_lowercase()).or_insert((0, now));
    if now - entry.1 > WINDOW_MS {
        *entry = (0, now);
    }
    if failed {
        entry.0 += 1;
    }
    entry.0 >= MAX_FAILURES
}
