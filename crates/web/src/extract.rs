//! Extractors that answer bad requests in our own words (a JSON error naming the parameter),
//! never with the framework's plain text: the API's credentials, the period a figure covers, a
//! member id in the path.

use app::access::Viewer;
use app::period::RangeRequest;
use app::AppError;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use domain::MemberId;
use serde::Deserialize;

use crate::access::{cookie, presented_token, session_viewer, SESSION_COOKIE};
use crate::{AppState, WebError};

/// The credentials of an API request: a session cookie first, then a read token. Without
/// either the request is refused at once; with them, the handler resolves the viewer
/// ([`ApiAuth::viewer`]) in the same trip to the blocking pool as its use case.
pub struct ApiAuth {
    session: Option<String>,
    token: Option<String>,
}

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, WebError> {
        let auth = ApiAuth {
            session: cookie(&parts.headers, SESSION_COOKIE),
            token: presented_token(&parts.headers, None),
        };
        if auth.session.is_none() && auth.token.is_none() {
            return Err(WebError(AppError::unauthenticated()));
        }
        Ok(auth)
    }
}

impl ApiAuth {
    /// Who is asking (on the blocking pool: it reads the store).
    pub fn viewer(&self, s: &AppState) -> Result<Viewer, WebError> {
        if let Some(v) = session_viewer(s, self.session.as_deref())? {
            return Ok(v);
        }
        match &self.token {
            Some(t) => Ok(s.app().token_viewer(t)?),
            None => Err(WebError(AppError::unauthenticated())),
        }
    }
}

#[derive(Deserialize, Default)]
struct RangeParams {
    range: Option<String>,
    date: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
    kind: Option<String>,
    lang: Option<String>,
}

/// The period a figure covers, the answer's format and (for totals per kind) the kind.
pub struct Range {
    pub request: RangeRequest,
    pub csv: bool,
    pub kind: Option<String>,
    /// The language a CSV is written for (its separators); `None`: the API's own.
    pub lang: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Range {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, WebError> {
        let Query(p) = Query::<RangeParams>::try_from_uri(&parts.uri)
            .map_err(|e| WebError::bad_request(format!("query string: {}", e.body_text())))?;
        let csv = match p.format.as_deref() {
            None | Some("json") => false,
            Some("csv") => true,
            Some(other) => {
                return Err(WebError::bad_request(format!(
                    "format: '{}' (json or csv)",
                    ingest::timestamp::shorten(other)
                )))
            }
        };
        let request = RangeRequest::parse(
            p.range.as_deref(),
            p.date.as_deref(),
            p.from.as_deref(),
            p.to.as_deref(),
        )?;
        if let Some(lang) = p.lang.as_deref() {
            if lang.is_empty()
                || lang.len() > 8
                || !lang.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
            {
                return Err(WebError::bad_request(format!(
                    "lang: '{}' is not a language code",
                    ingest::timestamp::shorten(lang)
                )));
            }
        }
        Ok(Range {
            request,
            csv,
            kind: p.kind,
            lang: p.lang,
        })
    }
}

/// A member id from the path; anything but a positive integer is a member that does not exist.
pub struct MemberPath(pub MemberId);

impl<S: Send + Sync> FromRequestParts<S> for MemberPath {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WebError> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| WebError::not_found("this member does not exist"))?;
        MemberId::parse(&raw).map(MemberPath).ok_or_else(|| {
            WebError::not_found(format!(
                "member {} does not exist",
                ingest::timestamp::shorten(&raw)
            ))
        })
    }
}
