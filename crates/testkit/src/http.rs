//! Driving a router in process (`oneshot`), with the few request shapes tests need and a login
//! that goes through the real form, cookies and CSRF token.

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use tower::ServiceExt;

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The value a `Set-Cookie` header gives `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.strip_prefix(&format!("{name}="))
                    .map(|r| r.split(';').next().unwrap_or("").to_string())
            })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn send(router: &Router, req: Request<Body>) -> Reply {
    let response = router
        .clone()
        .oneshot(req)
        .await
        .expect("infallible router");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    Reply {
        status,
        headers,
        // Templates escape "/" in attributes.
        body: String::from_utf8_lossy(&bytes).replace("&#x2f;", "/"),
    }
}

pub fn get(uri: &str, cookie: &str) -> Request<Body> {
    let mut r = Request::get(uri);
    if !cookie.is_empty() {
        r = r.header(header::COOKIE, cookie);
    }
    r.body(Body::empty()).expect("request")
}

pub fn get_auth(uri: &str, authorization: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::AUTHORIZATION, authorization)
        .body(Body::empty())
        .expect("request")
}

pub fn post(uri: &str, authorization: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut r = Request::post(uri);
    if let Some(a) = authorization {
        r = r.header(header::AUTHORIZATION, a);
    }
    r.body(body.into()).expect("request")
}

pub fn post_form(uri: &str, cookie: &str, body: &str) -> Request<Body> {
    let mut r =
        Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if !cookie.is_empty() {
        r = r.header(header::COOKIE, cookie);
    }
    r.body(Body::from(body.to_string())).expect("request")
}

/// Logs in through the form and returns the `Cookie` header value of the session.
pub async fn login(router: &Router, login: &str, password: &str) -> Result<String, Reply> {
    let form = send(router, get("/login", "")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let csrf = form
        .cookie("voisins_login_csrf")
        .expect("login CSRF cookie");
    assert!(form.body.contains(&csrf), "the form carries the CSRF token");
    let body = format!(
        "login={}&password={}&csrf={csrf}",
        urlencode(login),
        urlencode(password)
    );
    let reply = send(
        router,
        post_form("/login", &format!("voisins_login_csrf={csrf}"), &body),
    )
    .await;
    match reply.cookie("voisins_session").filter(|s| !s.is_empty()) {
        Some(session) => Ok(format!("voisins_session={session}")),
        None => Err(reply),
    }
}

/// Percent-encodes a form value.
pub fn urlencode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
