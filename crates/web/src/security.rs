//! What every answer carries: a Content-Security-Policy that allows only our own scripts and
//! styles, no framing, no MIME sniffing, no referrer beyond our own origin; personal data is
//! never cached. A request that takes too long is cut with a 503; unknown paths and methods get
//! the same JSON errors as the API.

use std::time::Duration;

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::WebError;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'";

pub async fn headers(req: Request, next: Next) -> Response {
    let personal = !req.uri().path().starts_with("/static/");
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    // InfluxDB clients read the version from any answer (Python's `influxdb` from `/ping`).
    h.insert(
        "x-influxdb-version",
        HeaderValue::from_static(crate::influx::VERSION),
    );
    if personal {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

pub async fn timeout(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => WebError::unavailable("the request took too long", 5).into_response(),
    }
}

pub async fn not_found() -> Response {
    WebError::not_found("no such page or API route").into_response()
}

pub async fn method_not_allowed() -> Response {
    let mut r = WebError::bad_request("this method is not allowed here").into_response();
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r
}
