//! What InfluxDB clients ask besides writing: `/ping`, a `/query` that answers the statements
//! they send at start-up (Telegraf's `CREATE DATABASE`, Home Assistant's `SHOW SERIES LIMIT 1`),
//! and the version header they read. Voisins only receives data: any other statement is an
//! InfluxDB-shaped error saying so. Authentication failures carry a Basic challenge, as
//! InfluxDB's do, so clients that send credentials only when challenged can sign in.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access::presented_token;
use crate::AppState;

/// The InfluxDB version clients are told they talk to (1.8's API, which Telegraf, Home
/// Assistant and the `influx` shell speak).
pub const VERSION: &str = "1.8.10";

/// The database name Voisins answers to, besides any name a client asks about.
pub const DATABASE: &str = "voisins";

/// `GET|HEAD /ping`: 204 with the version, as InfluxDB answers.
pub async fn ping() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert("x-influxdb-build", HeaderValue::from_static("OSS"));
    r
}

/// `GET /health`: whether the server and its store answer, in InfluxDB's shape (`status`
/// `pass` or `fail`, 503 when the store does not answer).
pub async fn health(State(state): State<AppState>) -> Response {
    let store = state.run(|s| Ok(s.app().community()?)).await;
    let (status, pass, message) = match store {
        Ok(_) => (StatusCode::OK, "pass", "ready for writes".to_string()),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "fail",
            format!("the store does not answer: {}", e.0.message),
        ),
    };
    let body = json!({
        "name": "voisins",
        "message": message,
        "status": pass,
        "checks": [],
        "version": VERSION,
    });
    (status, Json(body)).into_response()
}

/// `GET /ready`: the server accepts requests (InfluxDB 2's readiness answer).
pub async fn ready() -> Response {
    Json(json!({ "status": "ready" })).into_response()
}

/// An InfluxDB-shaped authentication failure, with the challenge clients wait for.
pub fn unauthorized(message: &str) -> Response {
    let mut r = (StatusCode::UNAUTHORIZED, Json(json!({ "error": message }))).into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"InfluxDB\""),
    );
    r
}

#[derive(Deserialize, Default)]
struct QueryParams {
    q: Option<String>,
    db: Option<String>,
    p: Option<String>,
}

/// One statement's answer, in InfluxDB's `results` shape.
fn answer(id: usize, statement: &str, db: Option<&str>) -> Value {
    let words: Vec<String> = statement
        .split_whitespace()
        .take(3)
        .map(str::to_ascii_uppercase)
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["SHOW", "DATABASES", ..] => {
            let mut names = vec![DATABASE.to_string()];
            if let Some(db) = db.filter(|d| !d.is_empty() && *d != DATABASE) {
                names.push(db.chars().take(64).collect());
            }
            let values: Vec<Value> = names.into_iter().map(|n| json!([n])).collect();
            json!({ "statement_id": id, "series": [{ "name": "databases", "columns": ["name"], "values": values }] })
        }
        ["CREATE", "DATABASE", ..]
        | ["SHOW", "SERIES", ..]
        | ["SHOW", "MEASUREMENTS", ..]
        | ["SHOW", "TAG", ..]
        | ["SHOW", "FIELD", ..] => json!({ "statement_id": id }),
        ["SHOW", "RETENTION", ..] => json!({ "statement_id": id, "series": [{
            "columns": ["name", "duration", "shardGroupDuration", "replicaN", "default"],
            "values": [["autogen", "0s", "168h0m0s", 1, true]] }] }),
        _ => json!({ "statement_id": id, "error":
            "Voisins only receives data: read it with the Voisins API (/api/v1), not with InfluxQL" }),
    }
}

/// `GET|POST /query`: the start-up statements answered, anything else refused in words.
pub async fn query(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut params = Query::<QueryParams>::try_from_uri(&uri)
        .map(|Query(q)| q)
        .unwrap_or_default();
    // Telegraf posts the statement as a form.
    if params.q.is_none() {
        if let Ok(form) = serde_urlencoded::from_bytes::<QueryParams>(&body) {
            params.q = form.q;
            params.db = params.db.or(form.db);
            params.p = params.p.or(form.p);
        }
    }
    let Some(token) = presented_token(&headers, params.p.as_deref()) else {
        return unauthorized("unable to parse authentication credentials");
    };
    let known = state.run(move |s| Ok(s.app().token_scope(&token)?)).await;
    if known.is_err() {
        return unauthorized("authorization failed");
    }
    let Some(q) = params.q.filter(|q| !q.trim().is_empty()) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "missing required parameter \"q\"" })),
        )
            .into_response();
    };
    let results: Vec<Value> = q
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take(100)
        .enumerate()
        .map(|(i, s)| answer(i, s, params.db.as_deref()))
        .collect();
    Json(json!({ "results": results })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_up_statements_have_influxdb_s_shape() {
        assert_eq!(
            answer(0, "show databases", Some("home_assistant")),
            json!({ "statement_id": 0, "series": [{ "name": "databases", "columns": ["name"], "values": [["voisins"], ["home_assistant"]] }] })
        );
        assert_eq!(
            answer(1, "CREATE DATABASE \"telegraf\"", None),
            json!({ "statement_id": 1 })
        );
        assert_eq!(
            answer(0, "SHOW SERIES LIMIT 1", None),
            json!({ "statement_id": 0 })
        );
        let refused = answer(0, "SELECT * FROM power", None);
        assert!(refused["error"]
            .as_str()
            .unwrap()
            .contains("only receives data"));
    }
}
