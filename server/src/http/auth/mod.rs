//! Medusa's auth routes for customers (`/auth/customer/emailpass[/register]`,
//! `/auth/session`) and admin users (`/auth/user/emailpass`) and the extractors that tell who is calling.

mod jwt;
mod routes;
mod sign_ins;

pub use jwt::{ACTOR_USER, AppMetadata, Claims, JwtKeys, SECRET_SETTING};
pub use sign_ins::{SignInCheck, end_outdated_sessions};

use axum::{
    Router,
    extract::{FromRequestParts, OptionalFromRequestParts},
    http::{StatusCode, header::AUTHORIZATION, request::Parts},
    routing::post,
};
use domain::customers::ACTOR_CUSTOMER;
use tower_sessions::Session;

use crate::{http::error::ApiError, state::AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/customer/emailpass/register", post(routes::register))
        .route("/auth/customer/emailpass", post(routes::login))
        .route(
            "/auth/customer/emailpass/reset-password",
            post(routes::request_password_reset),
        )
        .route(
            "/auth/customer/emailpass/update",
            post(routes::update_password),
        )
        .route("/auth/user/emailpass", post(routes::admin_login))
        .route("/auth/token/refresh", post(routes::refresh_token))
        .route(
            "/auth/session",
            post(routes::create_session).delete(routes::delete_session),
        )
}

/// The token of an `Authorization: Bearer` header.
pub(crate) fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The verified claims of the request's `Authorization: Bearer` token,
/// issued under its account's current sign-in generation.
pub struct BearerClaims(pub Claims);

impl FromRequestParts<AppState> for BearerClaims {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token =
            bearer_token(&parts.headers).ok_or_else(|| ApiError::unauthorized("Unauthorized"))?;
        let claims = state.jwt.verify(token)?;
        if !state
            .sign_ins
            .stands(&claims.account(), claims.generation)
            .await?
        {
            return Err(ApiError::unauthorized(
                "this sign-in has ended (signed out everywhere, or the password changed); sign in again",
            ));
        }
        Ok(Self(claims))
    }
}

/// The signed-in customer, by bearer token or by session cookie. Routes that
/// act for a customer (profile, addresses, carts, orders) take this.
pub struct AuthenticatedCustomer {
    pub id: String,
}

impl FromRequestParts<AppState> for AuthenticatedCustomer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(AUTHORIZATION) {
            let BearerClaims(claims) = BearerClaims::from_request_parts(parts, state).await?;
            return match claims {
                Claims {
                    actor_type,
                    actor_id,
                    ..
                } if actor_type == ACTOR_CUSTOMER && !actor_id.is_empty() => {
                    Ok(Self { id: actor_id })
                }
                _ => Err(ApiError::unauthorized("Unauthorized")),
            };
        }
        let session = Session::from_request_parts(parts, state).await.ok();
        let id = match session {
            Some(session) => session
                .get::<String>(app::session_keys::CUSTOMER_ID)
                .await
                .ok()
                .flatten(),
            None => None,
        };
        id.map(|id| Self { id })
            .ok_or_else(|| ApiError::unauthorized("Unauthorized"))
    }
}

/// A customer when one is signed in: carts and orders are also for guests.
/// As in Medusa, a bearer token that is not a customer's valid token (expired,
/// forged, ended, an admin's) makes a guest, not a refusal: a storefront with
/// a stale token can still shop. Only a failure to check (the database) is an
/// error.
impl OptionalFromRequestParts<AppState> for AuthenticatedCustomer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        let signed_in =
            <Self as FromRequestParts<AppState>>::from_request_parts(parts, state).await;
        match signed_in {
            Ok(customer) => Ok(Some(customer)),
            Err(e) if e.status() == StatusCode::UNAUTHORIZED => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The signed-in admin user, by bearer token (`/auth/user/emailpass`) or by the
/// dashboard's session cookie. Every `/admin` route takes this; the admin
/// router's access layer (`admin::access`) has found it already, and checked
/// the user's role, by the time a handler runs.
#[derive(Clone)]
pub struct AuthenticatedAdmin {
    pub id: String,
}

impl FromRequestParts<AppState> for AuthenticatedAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(admin) = parts.extensions.get::<Self>() {
            return Ok(admin.clone());
        }
        if parts.headers.contains_key(AUTHORIZATION) {
            let BearerClaims(claims) = BearerClaims::from_request_parts(parts, state).await?;
            return match claims {
                Claims {
                    actor_type,
                    actor_id,
                    ..
                } if actor_type == ACTOR_USER && !actor_id.is_empty() => Ok(Self { id: actor_id }),
                _ => Err(ApiError::unauthorized("Unauthorized")),
            };
        }
        let session = Session::from_request_parts(parts, state).await.ok();
        let id = match session {
            Some(session) => session
                .get::<String>(app::session_keys::ADMIN_USER_ID)
                .await
                .ok()
                .flatten(),
            None => None,
        };
        id.map(|id| Self { id })
            .ok_or_else(|| ApiError::unauthorized("Unauthorized"))
    }
}
