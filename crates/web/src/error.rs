//! Errors at the HTTP edge. One mapping from use-case kinds to statuses, one JSON body for
//! every API error (`{"error": "…"}`, in our words), causes of internal errors logged and never
//! shown.

use app::{AppError, Kind};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An error answered to a client.
#[derive(Debug, Clone)]
pub struct WebError(pub AppError);

impl WebError {
    pub fn bad_request(message: impl Into<String>) -> WebError {
        WebError(AppError::invalid(message))
    }

    pub fn not_found(message: impl Into<String>) -> WebError {
        WebError(AppError::not_found(message))
    }

    pub fn too_large(message: impl Into<String>) -> WebError {
        WebError(AppError::new(Kind::TooLarge, message))
    }

    /// Refused for now: try again after `retry_after_s`.
    pub fn unavailable(message: impl Into<String>, retry_after_s: u64) -> WebError {
        WebError(AppError {
            retry_after_s: Some(retry_after_s),
            ..AppError::new(Kind::Unavailable, message)
        })
    }

    pub fn busy() -> WebError {
        WebError::unavailable("the server is busy; try again shortly", 2)
    }

    pub fn kind(&self) -> Kind {
        self.0.kind
    }

    /// The one mapping from kinds to statuses.
    pub fn status(&self) -> StatusCode {
        match self.0.kind {
            Kind::Invalid => StatusCode::BAD_REQUEST,
            Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
            Kind::Forbidden => StatusCode::FORBIDDEN,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::Conflict => StatusCode::CONFLICT,
            Kind::TooMany => StatusCode::TOO_MANY_REQUESTS,
            Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Kind::Corrupt | Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What a client may read.
    pub fn public_message(&self) -> &str {
        &self.0.message
    }

    pub(crate) fn log(&self) {
        match self.0.kind {
            Kind::Corrupt | Kind::Internal => {
                tracing::error!(
                    detail = self.0.detail.as_deref().unwrap_or(""),
                    "request failed"
                )
            }
            Kind::Unavailable => {
                tracing::warn!(
                    detail = self.0.detail.as_deref().unwrap_or(""),
                    "request refused: unavailable"
                )
            }
            _ => {}
        }
    }

    /// Headers that go with the status: a retry delay, an authentication challenge.
    pub(crate) fn decorate(&self, response: &mut Response) {
        let h = response.headers_mut();
        if let Some(s) = self.0.retry_after_s {
            h.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.0.kind == Kind::Unauthenticated {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"voisins\""),
            );
        }
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        WebError(e)
    }
}

impl From<runtime::Busy> for WebError {
    fn from(_: runtime::Busy) -> Self {
        WebError::busy()
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        let mut response = (
            self.status(),
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(serde_json::json!({ "error": self.public_message() })),
        )
            .into_response();
        self.decorate(&mut response);
        response
    }
}
