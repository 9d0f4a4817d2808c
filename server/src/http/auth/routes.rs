use axum::{
    Json,
    extract::{State, rejection::JsonRejection},
};
use domain::{
    DomainError, admin_users,
    credentials::{Email, Password},
    customers,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower_sessions::Session;

use super::{ACTOR_USER, BearerClaims, Claims};
use crate::{http::error::ApiError, state::AppState};

#[derive(Deserialize)]
pub struct EmailPass {
    email: String,
    password: String,
}

#[derive(Serialize)]
pub struct TokenResponse {
    token: String,
}

/// A registration token: the identity exists, its customer not yet.
pub async fn register(
    State(state): State<AppState>,
    body: Result<Json<EmailPass>, JsonRejection>,
) -> Result<Json<TokenResponse>, ApiError> {
    let Json(body) = body?;
    let email = Email::parse(&body.email)?;
    let password = Password::parse(&body.password)?;
    let identity = customers::register(&state.db, &email, &password)
        .await
        .map_err(|e| match e {
            // Medusa answers a taken email as a failed authentication.
            DomainError::Conflict(message) => ApiError::unauthorized(message),
            other => other.into(),
        })?;
    Ok(Json(TokenResponse {
        token: state.jwt.issue(&identity),
    }))
}

pub async fn login(
    State(state): State<AppState>,
    body: Result<Json<EmailPass>, JsonRejection>,
) -> Result<Json<TokenResponse>, ApiError> {
    let Json(body) = body?;
    let identity = customers::authenticate(&state.db, &body.email, &body.password).await?;
    Ok(Json(TokenResponse {
        token: state.jwt.issue(&identity),
    }))
}

/// An admin user's token for the Admin API.
pub async fn admin_login(
    State(state): State<AppState>,
    body: Result<Json<EmailPass>, JsonRejection>,
) -> Result<Json<TokenResponse>, ApiError> {
    let Json(body) = body?;
    let user = admin_users::authenticate(&state.db, &body.email, &body.password).await?;
    Ok(Json(TokenResponse {
        token: state.jwt.issue_for_admin(&user),
    }))
}

#[derive(Serialize)]
pub struct SessionResponse {
    user: Claims,
}

/// Trades a customer's or admin user's token for the session cookie.
pub async fn create_session(
    session: Session,
    BearerClaims(claims): BearerClaims,
) -> Result<Json<SessionResponse>, ApiError> {
    if claims.actor_id.is_empty() {
        return Err(ApiError::unauthorized("Unauthorized"));
    }
    let session_error = |e: tower_sessions::session::Error| {
        tracing::error!(error = %e, "cannot store the session");
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "unknown_error",
            "the session could not be stored; try again",
        )
    };
    // A new id on sign-in, so a session fixed before sign-in is worthless after it.
    session.cycle_id().await.map_err(session_error)?;
    let key = if claims.actor_type == ACTOR_USER {
        app::session_keys::ADMIN_USER_ID
    } else {
        app::session_keys::CUSTOMER_ID
    };
    session
        .insert(key, &claims.actor_id)
        .await
        .map_err(session_error)?;
    Ok(Json(SessionResponse { user: claims }))
}

pub async fn delete_session(session: Session) -> Result<Json<Value>, ApiError> {
    session.flush().await.map_err(|e| {
        tracing::error!(error = %e, "cannot end the session");
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "unknown_error",
            "the session could not be ended; try again",
        )
    })?;
    Ok(Json(json!({ "success": true })))
}
