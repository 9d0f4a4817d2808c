//! The one error type of the HTTP boundary, answered as Medusa does:
//! `{"type": "...", "message": "..."}` with a matching status.

use axum::{
    Json,
    extract::rejection::JsonRejection,
    http::{HeaderValue, StatusCode, header::RETRY_AFTER},
    response::{IntoResponse, Response},
};
use domain::{DomainError, loyalty::LoyaltyError, rate_limits::RetryAfter};
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    /// Seconds for a `Retry-After` header (429, 503).
    retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn invalid_data(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_data", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound { .. } => {
                Self::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            DomainError::Invalid(m) => Self::invalid_data(m),
            DomainError::Conflict(m) => Self::new(StatusCode::CONFLICT, "duplicate_error", m),
            DomainError::NotAllowed(m) => Self::new(StatusCode::BAD_REQUEST, "not_allowed", m),
            DomainError::Unauthorized(m) => Self::unauthorized(m),
            DomainError::Forbidden(m) => Self::new(StatusCode::FORBIDDEN, "forbidden", m),
            DomainError::Busy(m) => Self {
                retry_after: Some(1),
                ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m)
            },
            DomainError::TooManyRequests {
                message,
                retry_after_secs,
            } => Self {
                retry_after: Some(retry_after_secs),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
            },
            DomainError::Db(db) => {
                tracing::error!(error = %db, "database error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "database_error",
                    "the store could not complete the request; try again",
                )
            }
        }
    }
}

/// The host being down, slow or switched off is no failure of the store:
/// 503, and the storefront goes on without loyalty.
impl From<LoyaltyError> for ApiError {
    fn from(e: LoyaltyError) -> Self {
        match e {
            LoyaltyError::Domain(e) => e.into(),
            LoyaltyError::Unavailable(message) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
            }
        }
    }
}

/// A failing search engine is the store's trouble, not the shopper's: 503.
impl From<domain::search::SearchError> for ApiError {
    fn from(e: domain::search::SearchError) -> Self {
        match e {
            domain::search::SearchError::Domain(e) => e.into(),
            domain::search::SearchError::Engine(message) => {
                tracing::error!(error = %message, "search failed");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "search is not available right now; try again",
                )
            }
        }
    }
}

/// Too many attempts: 429, saying when to try again.
impl From<RetryAfter> for ApiError {
    fn from(refused: RetryAfter) -> Self {
        Self {
            retry_after: Some(refused.seconds()),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                refused.to_string(),
            )
        }
    }
}

/// A body that is not the JSON a route expects is the client's mistake.
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        Self::invalid_data(rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(Body {
                kind: self.kind,
                message: &self.message,
            }),
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
