//! The web edge: pages (server-rendered, French first), the JSON API, the write endpoints for
//! devices (`/write` line protocol, `/api/v1/readings` JSON), sessions, CSRF protection,
//! security headers, and the HTTP server itself (timeouts, body limits). Only this crate knows
//! HTTP; what anyone may see or do is decided by `app`.
//!
//! Main items: [`router`], [`routes`], [`AppState`], [`WebConfig`], [`serve_connection`].

mod access;
mod api;
mod dto;
mod error;
mod extract;
pub mod i18n;
mod influx;
mod pages;
mod security;
mod server;
mod writes;

use std::sync::Arc;
use std::time::Duration;

use app::App;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, Method};
use axum::response::IntoResponse;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use runtime::Blocking;

pub use access::ClientAddr;
pub use error::WebError;
pub use server::{serve_connection, HttpLimits};

/// The web section of the configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (anything but plain HTTP on loopback).
    pub cookie_secure: bool,
    /// How line-protocol series are named and read.
    pub naming: ingest::line_protocol::Naming,
    /// Extra catalogues (`LANG.toml`), e.g. Arabic for a community that speaks it.
    pub i18n_dir: Option<std::path::PathBuf>,
    /// Largest accepted body for writes, compressed or not, in bytes.
    pub max_body_bytes: usize,
    /// Largest accepted body of a form (login, logout, language).
    pub max_form_bytes: usize,
    /// A request that takes longer is answered 503.
    pub request_timeout: Duration,
    /// Behind a reverse proxy: the header that carries the client's address.
    pub client_address_header: Option<String>,
    /// Password checks (argon2, 19 MiB each) at once; beyond, logins wait or are refused.
    pub hashing_concurrency: usize,
}

impl Default for WebConfig {
    fn default() -> WebConfig {
        WebConfig {
            cookie_secure: false,
            naming: ingest::line_protocol::Naming::default(),
            i18n_dir: None,
            max_body_bytes: 64 * 1024 * 1024,
            max_form_bytes: 16 * 1024,
            request_timeout: Duration::from_secs(60),
            client_address_header: None,
            hashing_concurrency: 2,
        }
    }
}

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    app: Arc<App>,
    blocking: Blocking,
    hashing: Blocking,
    config: WebConfig,
    catalogs: i18n::Catalogs,
    templates: minijinja::Environment<'static>,
}

impl AppState {
    /// `blocking` bounds the store work requests hand out.
    pub fn new(app: Arc<App>, blocking: Blocking, config: WebConfig) -> Result<AppState, String> {
        let catalogs = i18n::Catalogs::load(config.i18n_dir.as_deref())?;
        let hashing = Blocking::new(config.hashing_concurrency, 4 * config.hashing_concurrency);
        Ok(AppState(Arc::new(Inner {
            app,
            blocking,
            hashing,
            config,
            catalogs,
            templates: pages::templates(),
        })))
    }

    pub fn app(&self) -> &App {
        &self.0.app
    }

    /// Runs a use case on the bounded blocking pool.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&AppState) -> Result<T, WebError> + Send + 'static,
    ) -> Result<T, WebError> {
        let state = self.clone();
        self.0.blocking.run(move || f(&state)).await?
    }
}

/// One route: its path, its methods, and whether the API description must cover it.
pub struct Route {
    pub path: &'static str,
    pub methods: &'static [Method],
    /// Described in `api/openapi.json`.
    pub documented: bool,
    handler: MethodRouter<AppState>,
}

pub(crate) fn route(
    path: &'static str,
    methods: &'static [Method],
    documented: bool,
    handler: MethodRouter<AppState>,
) -> Route {
    Route {
        path,
        methods,
        documented,
        handler,
    }
}

pub(crate) const GET: &[Method] = &[Method::GET];
pub(crate) const POST: &[Method] = &[Method::POST];
pub(crate) const GET_POST: &[Method] = &[Method::GET, Method::POST];

/// The route table: every path the server answers, in one place.
pub fn routes(config: &WebConfig) -> Vec<Route> {
    // Every other route keeps the router's small form limit. Compressed bodies are inflated
    // up to the same limit (see `writes`).
    let write = DefaultBodyLimit::max(config.max_body_bytes);
    let pages = pages::session::routes()
        .into_iter()
        .chain(pages::dashboards::routes())
        .chain(pages::coord::routes())
        .chain(pages::accounts::routes());
    let api = vec![
        route("/", GET, false, get(pages::root)),
        route("/health", GET, true, get(influx::health)),
        route("/ready", GET, true, get(influx::ready)),
        route("/ping", GET, false, get(influx::ping)),
        route(
            "/query",
            GET_POST,
            false,
            get(influx::query).post(influx::query),
        ),
        route("/static/{file}", GET, false, get(static_file)),
        route(
            "/write",
            POST,
            true,
            post(writes::line_protocol).layer(write),
        ),
        route(
            "/api/v2/write",
            POST,
            false,
            post(writes::line_protocol_v2).layer(write),
        ),
        route(
            "/api/v1/readings",
            POST,
            true,
            post(writes::json).layer(write),
        ),
        route("/api/v1/me", GET, true, get(api::me)),
        route("/api/v1/me/live", GET, true, get(api::me_live)),
        route("/api/v1/me/totals", GET, true, get(api::me_totals)),
        route("/api/v1/me/curve", GET, true, get(api::me_curve)),
        route("/api/v1/me/energy", GET, true, get(api::me_energy)),
        route("/api/v1/community", GET, true, get(api::community)),
        route(
            "/api/v1/community/curve",
            GET,
            true,
            get(api::community_curve),
        ),
        route(
            "/api/v1/community/quarter-hours",
            GET,
            true,
            get(api::community_quarter_hours),
        ),
        route(
            "/api/v1/community/energy",
            GET,
            true,
            get(api::community_energy),
        ),
        route("/api/v1/members", GET, true, get(api::members)),
        route(
            "/api/v1/members/{id}/energy",
            GET,
            true,
            get(api::member_energy),
        ),
        route(
            "/api/v1/members/{id}/live",
            GET,
            true,
            get(api::member_live),
        ),
        route(
            "/api/v1/members/{id}/totals",
            GET,
            true,
            get(api::member_totals),
        ),
        route(
            "/api/v1/members/{id}/curve",
            GET,
            true,
            get(api::member_curve),
        ),
        route("/api/v1/openapi.json", GET, true, get(openapi)),
    ];
    // Static files and API answers are sent gzipped to clients that accept it. Pages are not:
    // they carry the session's CSRF token next to text a request can echo (BREACH).
    let api = api.into_iter().map(|mut r| {
        if r.path.starts_with("/api/") || r.path.starts_with("/static/") {
            r.handler = r
                .handler
                .layer(tower_http::compression::CompressionLayer::new());
        }
        r
    });
    pages.chain(api).collect()
}

/// Every route of the server, with the security headers, the request timeout and JSON
/// answers for unknown paths and methods.
pub fn router(state: AppState) -> Router {
    let mut r = Router::new();
    for route in routes(&state.0.config) {
        r = r.route(route.path, route.handler);
    }
    let timeout = state.0.config.request_timeout;
    r.fallback(pages::not_found)
        .method_not_allowed_fallback(security::method_not_allowed)
        .layer(DefaultBodyLimit::max(state.0.config.max_form_bytes))
        .layer(axum::middleware::from_fn(move |req, next| {
            security::timeout(timeout, req, next)
        }))
        .layer(axum::middleware::from_fn(security::headers))
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
        concat!(
            include_str!("../static/css/base.css"),
            include_str!("../static/css/dashboards.css"),
            include_str!("../static/css/coord.css"),
        ),
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
    (
        "manifest.webmanifest",
        "application/manifest+json",
        include_str!("../static/manifest.webmanifest"),
    ),
];

/// Binary static files: the app's icons.
const STATIC_BYTES: &[(&str, &str, &[u8])] = &[
    (
        "icon-180.png",
        "image/png",
        include_bytes!("../static/icon-180.png"),
    ),
    (
        "icon-192.png",
        "image/png",
        include_bytes!("../static/icon-192.png"),
    ),
    (
        "icon-512.png",
        "image/png",
        include_bytes!("../static/icon-512.png"),
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
        None => match STATIC_BYTES.iter().find(|(name, _, _)| *name == file) {
            Some((_, mime, body)) => (
                [
                    (header::CONTENT_TYPE, *mime),
                    (header::CACHE_CONTROL, "public, max-age=86400"),
                ],
                *body,
            )
                .into_response(),
            None => WebError::not_found("no such file").into_response(),
        },
    }
}
