//! The one error type of the HTTP boundary, answered as Medusa does:
//! `{"type": "...", "message": "..."}` with a matching status.

use axum::{
    Json,
    extract::rejection::JsonRejection,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use domain::{DomainError, loyalty::LoyaltyError};
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
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
        }
    }

    pub fn invalid_data(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_data", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
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

/// A body that is not the JSON a route expects is the client's mistake.
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        Self::invalid_data(rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(Body {
                kind: self.kind,
                message: &self.message,
            }),
        )
            .into_response()
    }
}
