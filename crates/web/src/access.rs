//! Credentials as HTTP carries them: cookies (session, login form, device, language), bearer
//! tokens in their InfluxDB spellings, and the client's address. What they allow is decided by
//! `app`.

use axum::http::HeaderMap;
use base64::Engine;

use crate::{AppState, WebError};

pub const SESSION_COOKIE: &str = "voisins_session";
pub const LOGIN_CSRF_COOKIE: &str = "voisins_login_csrf";
pub const DEVICE_COOKIE: &str = "voisins_device";
pub const LANG_COOKIE: &str = "voisins_lang";

/// The peer address of a connection, put on each request by the server.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub std::net::SocketAddr);

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

/// The viewer of a session cookie (`None` without one, or when it has ended). Reads the
/// store: call it on the blocking pool.
pub fn session_viewer(
    state: &AppState,
    session: Option<&str>,
) -> Result<Option<app::access::Viewer>, WebError> {
    match session {
        Some(c) => Ok(state.app().session_viewer(c)?),
        None => Ok(None),
    }
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure unless the server is plain HTTP on
/// loopback.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_s: i64) -> String {
    let secure = if state.0.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}")
}

/// The token of a request: `Authorization: Token X`, `Bearer X`, Basic (the password), or the
/// `p` query parameter as InfluxDB accepts it.
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

/// The client's address for throttling: the connection's peer, or the last hop of the
/// configured forwarding header behind a reverse proxy.
pub fn client_address(state: &AppState, headers: &HeaderMap, peer: Option<ClientAddr>) -> String {
    if let Some(name) = state.0.config.client_address_header.as_deref() {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            if let Some(last) = v
                .rsplit(',')
                .next()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                return last.chars().take(64).collect();
            }
        }
    }
    peer.map_or_else(|| "unknown".to_string(), |p| p.0.ip().to_string())
}

/// Language: the cookie, then the user's, then the browser's, then French.
pub fn language(state: &AppState, headers: &HeaderMap, user_lang: Option<&str>) -> String {
    let catalogs = &state.0.catalogs;
    if let Some(lang) = cookie(headers, LANG_COOKIE).filter(|l| catalogs.has(l)) {
        return lang;
    }
    if let Some(lang) = user_lang.filter(|l| catalogs.has(l)) {
        return lang.to_string();
    }
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for part in accept.split(',').take(16) {
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

/// A same-site path to go back to: starts with one `/`, has no backslash, no scheme or host,
/// no control characters. Anything else is `/`.
pub fn same_site_path(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.contains("://")
                && n.len() <= 512
                && !n.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_site_paths_are_followed() {
        for (next, expected) in [
            (Some("/community"), "/community"),
            (Some("/home?range=week"), "/home?range=week"),
            (Some("/\\evil.example"), "/"),
            (Some("//evil.example"), "/"),
            (Some("https://evil.example"), "/"),
            (Some("/x\nSet-Cookie: a"), "/"),
            (Some("evil"), "/"),
            (None, "/"),
        ] {
            assert_eq!(same_site_path(next), expected, "{next:?}");
        }
    }
}
