//! The web edge: the axum router with the pages (server-rendered, French first), the JSON API,
//! the write endpoints for devices (`/write` line protocol, `/api/v1/readings` JSON), sessions,
//! CSRF protection and access rules. Only this crate knows HTTP.
//!
//! Main items: [`router`], [`AppState`], [`WebConfig`].

mod access;
mod api;
mod error;
pub mod i18n;
mod pages;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use store::Store;

pub use error::WebError;

/// The web section of the configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The community this server shows.
    pub community_id: i64,
    /// Mark cookies `Secure` (behind HTTPS).
    pub cookie_secure: bool,
    pub session_hours: i64,
    /// Line-protocol tag that names a series.
    pub series_tag: String,
    /// Extra catalogues (`LANG.toml`), e.g. Arabic for a community that speaks it.
    pub i18n_dir: Option<std::path::PathBuf>,
    /// A meter is shown as silent after this long without data.
    pub silent_after_minutes: i64,
    /// Largest accepted request body for writes.
    pub max_body_bytes: usize,
}

impl WebConfig {
    pub fn new(community_id: i64) -> WebConfig {
        WebConfig {
            community_id,
            cookie_secure: false,
            session_hours: 24 * 14,
            series_tag: "sensor".into(),
            i18n_dir: None,
            silent_after_minutes: 30,
            max_body_bytes: 64 * 1024 * 1024,
        }
    }
}

/// The server clock, injectable for tests (milliseconds since the epoch).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| jiff::Timestamp::now().as_millisecond())
}

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Arc<Store>,
    recorder: app::record::Recorder,
    config: WebConfig,
    catalogs: i18n::Catalogs,
    templates: minijinja::Environment<'static>,
    clock: Clock,
    /// Failed logins per (login) in the current window: (count, window start ms).
    login_failures: Mutex<HashMap<String, (u32, i64)>>,
}

impl AppState {
    pub fn new(store: Arc<Store>, config: WebConfig, clock: Clock) -> Result<AppState, String> {
        let catalogs = i18n::Catalogs::load(config.i18n_dir.as_deref())?;
        Ok(AppState(Arc::new(Inner {
            store,
            recorder: app::record::Recorder::new(),
            config,
            catalogs,
            templates: pages::templates(),
            clock,
            login_failures: Mutex::new(HashMap::new()),
        })))
    }

    fn now_ms(&self) -> i64 {
        (self.0.clock)()
    }

    /// Runs blocking store work off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&AppState) -> Result<T, WebError> + Send + 'static,
    ) -> Result<T, WebError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || f(&state))
            .await
            .map_err(|e| WebError::Internal(format!("blocking task: {e}")))?
    }
}

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    let limit = state.0.config.max_body_bytes;
    Router::new()
        .route("/", get(pages::root))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/lang/{code}", get(pages::set_lang))
        .route("/home", get(pages::home))
        .route("/community", get(pages::community))
        .route("/members", get(pages::members))
        .route("/members/{id}", get(pages::member))
        .route("/health", get(|| async { "ok" }))
        .route("/static/{file}", get(static_file))
        .route("/write", post(api::write_line_protocol))
        .route("/api/v1/readings", post(api::write_json))
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/me/live", get(api::me_live))
        .route("/api/v1/me/curve", get(api::me_curve))
        .route("/api/v1/community", get(api::community))
        .route("/api/v1/community/curve", get(api::community_curve))
        .route(
            "/api/v1/community/quarter-hours",
            get(api::community_quarter_hours),
        )
        .route("/api/v1/members", get(api::members))
        .route("/api/v1/members/{id}/live", get(api::member_live))
        .route("/api/v1/members/{id}/curve", get(api::member_curve))
        .route("/api/v1/openapi.json", get(openapi))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

const STATIC: &[(&str, &str, &str)] = &[
    (
        "uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/uPlot.iife.min.js"),
    ),
    (
        "uPlot.min.css",
        "text/css; charset=utf-8",
        include_str!("../static/uPlot.min.css"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../static/app.css"),
    ),
    (
        "chart.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/chart.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../static/favicon.svg"),
    ),
];

/// The API's description, OpenAPI 3.
pub const OPENAPI: &str = include_str!("../api/openapi.json");

async fn openapi() -> axum::response::Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn static_file(
    axum::extract::Path(file): axum::extract::Path<String>,
) -> axum::response::Response {
    match STATIC.iter().find(|(name, _, _)| *name == file) {
        Some((_, mime, body)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *body,
        )
            .into_response(),
        None => WebError::NotFound.into_response(),
    }
}
