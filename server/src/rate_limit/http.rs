//! The rate limits at the HTTP boundary: a handler takes [`Attempts`] and
//! counts one attempt with one line; over the limit it answers 429 with
//! `Retry-After` and a message a person understands.

use std::convert::Infallible;

use axum::{extract::FromRequestParts, http::request::Parts};
use domain::rate_limits::{Rule, Subject};

use super::{ClientAddr, RateLimiter};
use crate::{http::error::ApiError, state::AppState};

/// Attempts at limited actions by this request's client.
pub struct Attempts {
    limiter: RateLimiter,
    client: ClientAddr,
}

impl Attempts {
    /// Counts one attempt at `rule` on `target`.
    pub async fn admit(&self, rule: Rule, target: &str) -> Result<(), ApiError> {
        Ok(self.limiter.admit(rule, self.client.0, target).await?)
    }

    /// Counts one attempt at `rule` against the address only, where there
    /// is no target yet (a cart created with promotion codes).
    pub async fn admit_address(&self, rule: Rule) -> Result<(), ApiError> {
        Ok(self
            .limiter
            .check(rule, Subject::Address(self.client.0))
            .await?)
    }
}

impl FromRequestParts<AppState> for Attempts {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let client = ClientAddr::from_request_parts(parts, state).await?;
        Ok(Self {
            limiter: state.limits.clone(),
            client,
        })
    }
}
