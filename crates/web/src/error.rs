//! Errors at the HTTP edge: typed, logged with their cause, shown to clients as a safe message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthorized,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("too many attempts")]
    TooMany,
    #[error("internal: {0}")]
    Internal(String),
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::TooMany => StatusCode::TOO_MANY_REQUESTS,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What a client may read: everything but internal details.
    pub fn public_message(&self) -> String {
        match self {
            WebError::Internal(_) => "internal error".into(),
            other => other.to_string(),
        }
    }

    pub(crate) fn log(&self) {
        if let WebError::Internal(detail) = self {
            tracing::error!(%detail, "request failed");
        }
    }
}

impl From<store::StoreError> for WebError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::NotFound(what) => WebError::BadRequest(format!("not found: {what}")),
            store::StoreError::Invalid(what) => WebError::BadRequest(what),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<app::AppError> for WebError {
    fn from(e: app::AppError) -> Self {
        match e {
            app::AppError::Store(s) => s.into(),
            app::AppError::Invalid(m) => WebError::BadRequest(m),
            app::AppError::Forbidden(m) => WebError::Forbidden(m),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        let mut response = (
            self.status(),
            axum::Json(serde_json::json!({ "error": self.public_message() })),
        )
            .into_response();
        if matches!(self, WebError::Unauthorized) {
            response.headers_mut().insert(
                "WWW-Authenticate",
                "Bearer realm=\"voisins\"".parse().expect("static header"),
            );
        }
        response
    }
}
