//! The write endpoints for devices: `/write` (InfluxDB v1 line protocol) and
//! `/api/v1/readings` (JSON). A write token is required; gzip bodies are inflated up to the
//! same size limit as plain ones, so a small compressed bomb cannot grow without bound.

use std::io::Read;

use app::record::Writer;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ingest::line_protocol::Precision;
use serde::Deserialize;
use serde_json::json;

use crate::access::presented_token;
use crate::{AppState, WebError};

#[derive(Deserialize, Default)]
struct WriteQuery {
    precision: Option<String>,
    p: Option<String>,
}

/// The body, inflated when it says it is gzip, never beyond `limit` bytes.
fn body_bytes(headers: &HeaderMap, body: Bytes, limit: usize) -> Result<Bytes, WebError> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match encoding.as_str() {
        "" | "identity" => Ok(body),
        "gzip" | "x-gzip" => {
            let mut out = Vec::with_capacity((body.len() * 4).min(limit));
            flate2::read::GzDecoder::new(&body[..])
                .take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| WebError::bad_request(format!("invalid gzip body: {e}")))?;
            if out.len() > limit {
                return Err(WebError::too_large(format!(
                    "the body inflates to more than {} MiB, the limit",
                    limit / (1024 * 1024)
                )));
            }
            Ok(out.into())
        }
        other => Err(WebError::bad_request(format!(
            "Content-Encoding '{}' is not supported (gzip or none)",
            ingest::timestamp::shorten(other)
        ))),
    }
}

/// A body that could not be read, in our words (too large, or cut off).
pub(crate) fn body_rejection(state: &AppState, e: BytesRejection) -> Response {
    body_error(state, e).into_response()
}

fn body_error(state: &AppState, e: BytesRejection) -> WebError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        WebError::too_large(format!(
            "the body is larger than {} MiB, the limit",
            (state.0.config.max_body_bytes / (1024 * 1024)).max(1)
        ))
    } else {
        WebError::bad_request("the body could not be read")
    }
}

fn writer(state: &AppState, token: Option<String>) -> Result<Writer, WebError> {
    let token = token.ok_or_else(|| WebError(app::AppError::unauthenticated()))?;
    let (token_id, scope) = state.app().token_scope(&token)?;
    if !scope.can_write() {
        return Err(WebError(app::AppError::forbidden(
            "this token can read data, not write readings",
        )));
    }
    Ok(Writer { token_id, scope })
}

/// What a line-protocol write did: the lines refused (with the points they held) and the
/// lines ignored for having nothing to measure.
struct LinesWritten {
    errors: Vec<ingest::LineError>,
    dropped: usize,
    ignored: usize,
}

/// The InfluxDB dialect an answer is written in.
#[derive(Clone, Copy)]
enum Dialect {
    /// `{"error": "…"}`, as InfluxDB 1 answers.
    V1,
    /// `{"code": "…", "message": "…"}`, as InfluxDB 2 answers.
    V2,
}

impl Dialect {
    fn error(self, e: WebError) -> Response {
        let status = e.status();
        let mut r = match self {
            Dialect::V1 => e.into_response(),
            Dialect::V2 => {
                e.log();
                let code = match status {
                    StatusCode::UNAUTHORIZED => "unauthorized",
                    StatusCode::FORBIDDEN => "forbidden",
                    StatusCode::PAYLOAD_TOO_LARGE => "request too large",
                    StatusCode::TOO_MANY_REQUESTS => "too many requests",
                    StatusCode::SERVICE_UNAVAILABLE => "unavailable",
                    s if s.is_server_error() => "internal error",
                    _ => "invalid",
                };
                let body = json!({ "code": code, "message": e.public_message() });
                let mut r =
                    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response();
                e.decorate(&mut r);
                r
            }
        };
        // A client that sends its credentials only when challenged gets the challenge.
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Basic realm=\"InfluxDB\""),
            );
        }
        r
    }

    /// 204 when every line was stored, else a 400 "partial write" naming the refused lines
    /// (the others are stored); either says how many lines were ignored.
    fn answer(self, result: Result<LinesWritten, WebError>) -> Response {
        let written = match result {
            Ok(w) => w,
            Err(e) => return self.error(e),
        };
        let mut r = if written.errors.is_empty() {
            StatusCode::NO_CONTENT.into_response()
        } else {
            self.error(WebError::bad_request(format!(
                "partial write: {} dropped={}",
                app::record::describe_errors(&written.errors, 20),
                written.dropped
            )))
        };
        // Lines with only string fields (a text sensor) are valid and ignored.
        if written.ignored > 0 {
            r.headers_mut().insert(
                "x-voisins-ignored-lines",
                axum::http::HeaderValue::from(written.ignored),
            );
        }
        r
    }
}

/// `POST /write`: 204 when every line was stored; 400 "partial write" naming the refused lines
/// (the others are stored); 401/403 for a missing or wrong token; 413 beyond the size limit.
pub async fn line_protocol(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    Dialect::V1.answer(write_lines(state, uri, headers, body).await)
}

/// `POST /api/v2/write?org=&bucket=&precision=`: the same lines as InfluxDB 2 receives them
/// (`Authorization: Token …`), errors in its shape: `{"code": …, "message": …}`.
pub async fn line_protocol_v2(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    Dialect::V2.answer(write_lines(state, uri, headers, body).await)
}

async fn write_lines(
    state: AppState,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<LinesWritten, WebError> {
    let body = body.map_err(|e| body_error(&state, e))?;
    let Query(q) = Query::<WriteQuery>::try_from_uri(&uri)
        .map_err(|e| WebError::bad_request(format!("query string: {}", e.body_text())))?;
    state
        .run(move |s| {
            let writer = writer(s, presented_token(&headers, q.p.as_deref()))?;
            let precision_text = q.precision.unwrap_or_else(|| "ns".into());
            let precision = Precision::parse(&precision_text).ok_or_else(|| {
                WebError::bad_request(format!(
                    "unknown precision '{}' (ns, u, ms, s, m, h)",
                    ingest::timestamp::shorten(&precision_text)
                ))
            })?;
            let body = body_bytes(&headers, body, s.0.config.max_body_bytes)?;
            let decoded = ingest::line_protocol::decode_counting(
                &body,
                precision,
                &s.0.config.naming,
                s.app().now_ms(),
            );
            let mut errors = decoded.errors;
            let outcome = s.app().record(writer, decoded.points)?;
            let dropped = errors.len() + outcome.rejected_points;
            errors.extend(outcome.rejected);
            errors.sort_by_key(|e| e.line);
            Ok(LinesWritten {
                errors,
                dropped,
                ignored: decoded.ignored_lines,
            })
        })
        .await
}

/// `POST /api/v1/readings`: JSON batches (see `ingest::json`).
pub async fn json(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return body_rejection(&state, e),
    };
    let result = state
        .run(move |s| {
            let writer = writer(s, presented_token(&headers, None))?;
            let body = body_bytes(&headers, body, s.0.config.max_body_bytes)?;
            let (points, mut errors) =
                ingest::json::decode(&body).map_err(WebError::bad_request)?;
            let outcome = s.app().record(writer, points)?;
            errors.extend(outcome.rejected);
            Ok((errors, outcome.written.points))
        })
        .await;
    match result {
        Ok((errors, written)) if errors.is_empty() => {
            (StatusCode::OK, Json(json!({ "written": written }))).into_response()
        }
        Ok((errors, written)) => {
            let rejected: Vec<String> = errors.iter().map(|e| e.reason.clone()).collect();
            (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "some points were rejected", "written": written, "rejected": rejected })),
            )
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}
