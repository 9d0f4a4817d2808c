use app::server_context::{SignIn, start_signed_in_session};
use axum::{
    Json,
    extract::{State, rejection::JsonRejection},
    http::StatusCode,
};
use domain::{
    DomainError, admin_users,
    credentials::{Email, Password},
    customers::{self, password_reset},
    rate_limits::Rule,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower_sessions::Session;

use super::{ACTOR_USER, BearerClaims, Claims};
use crate::{
    http::{error::ApiError, params::Params},
    rate_limit::Attempts,
    state::AppState,
};

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
    attempts: Attempts,
    body: Result<Json<EmailPass>, JsonRejection>,
) -> Result<Json<TokenResponse>, ApiError> {
    let Json(body) = body?;
    attempts.admit(Rule::Registration, &body.email).await?;
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
    attempts: Attempts,
    body: Result<Json<EmailPass>, JsonRejection>,
) -> Result<Json<TokenResponse>, ApiError> {
    let Json(body) = body?;
    attempts.admit(Rule::CustomerSignIn, &body.email).await?;
    let identity = customers::authenticate(&state.db, &body.email, &body.password).await?;
    Ok(Json(TokenResponse {
        token: state.jwt.issue(&identity),
    }))
}

/// An admin user's token for the Admin API.
pub async fn admin_login(
    State(state): State<AppState>,
    attempts: Attempts,
    body: Result<Json<EmailPass>, JsonRejection>,
) -> Result<Json<TokenResponse>, ApiError> {
    let Json(body) = body?;
    attempts.admit(Rule::AdminSignIn, &body.email).await?;
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
    let who = if claims.actor_type == ACTOR_USER {
        SignIn::Admin {
            id: claims.actor_id.clone(),
            generation: claims.generation,
            at: claims.auth_time.unwrap_or(claims.iat),
        }
    } else {
        SignIn::Customer {
            id: claims.actor_id.clone(),
            generation: claims.generation,
        }
    };
    start_signed_in_session(&session, who)
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

/// A fresh token for a valid one, so a storefront keeps its shopper signed
/// in. A customer's is issued from their identity as it is now: a
/// registration token refreshed after sign-up names the new customer.
pub async fn refresh_token(
    State(state): State<AppState>,
    BearerClaims(claims): BearerClaims,
) -> Result<Json<TokenResponse>, ApiError> {
    let token = if claims.actor_type == customers::ACTOR_CUSTOMER {
        let identity = customers::find_identity(&state.db, &claims.auth_identity_id)
            .await?
            .ok_or_else(|| ApiError::unauthorized("Unauthorized"))?;
        state.jwt.issue(&identity)
    } else {
        state.jwt.refresh_admin(claims)
    };
    Ok(Json(TokenResponse { token }))
}

#[derive(Deserialize)]
pub struct ResetRequest {
    identifier: String,
}

/// Starts a password reset: the customer gets an email with a link. 201 for
/// any well-formed email, so the answer does not tell who has an account.
pub async fn request_password_reset(
    State(state): State<AppState>,
    attempts: Attempts,
    body: Result<Json<ResetRequest>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(body) = body?;
    attempts
        .admit(Rule::PasswordReset, &body.identifier)
        .await?;
    let email = Email::parse(&body.identifier)?;
    password_reset::request(&state.db, &email).await?;
    Ok(StatusCode::CREATED)
}

/// Sets the new password with the token from the reset email, given as
/// `?token=` (Medusa 2.0) or as a bearer token (later Medusa versions).
pub async fn update_password(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    params: Params,
    body: Result<Json<EmailPass>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    let token = params
        .text("token")?
        .or_else(|| super::bearer_token(&headers).map(str::to_owned))
        .ok_or_else(|| ApiError::unauthorized("a password reset token is required"))?;
    let email = Email::parse(&body.email)?;
    let password = Password::parse(&body.password)?;
    password_reset::complete(&state.db, &token, &email, &password).await?;
    Ok(Json(json!({ "success": true })))
}
