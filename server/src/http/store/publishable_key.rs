//! Every Store API request names the storefront it comes from with a
//! publishable key, as Medusa requires.

use axum::{extract::FromRequestParts, http::request::Parts};
use domain::{api_keys, carts, channels};

use crate::{http::error::ApiError, state::AppState};

pub const HEADER: &str = "x-publishable-api-key";

/// Longer tokens are refused unread: no key is that long, and each token
/// asked about is remembered a while.
const MAX_TOKEN_LEN: usize = 128;

/// Proof that the request carries an active publishable key, with the sales
/// channels it gives access to.
#[derive(Debug, Clone)]
pub struct PublishableKey {
    /// The key's id (not its token).
    pub id: String,
    pub sales_channel_ids: Vec<String>,
}

impl FromRequestParts<AppState> for PublishableKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .unwrap_or_default();
        if token.is_empty() {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "not_allowed",
                format!(
                    "Publishable API key required in the request header: {HEADER}. You can manage your keys in settings in the dashboard."
                ),
            ));
        }
        let key = if token.len() > MAX_TOKEN_LEN {
            None
        } else {
            state
                .publishable_keys
                .get_or_load(token, active_key(state, token))
                .await?
        };
        key.ok_or_else(|| {
            ApiError::unauthorized(format!(
                "A valid publishable key is required to proceed with the request (the {HEADER} header names no active key)."
            ))
        })
    }
}

/// The active publishable key `token` with its sales channels; `None` when
/// no active key has it.
async fn active_key(
    state: &AppState,
    token: &str,
) -> Result<Option<PublishableKey>, domain::DomainError> {
    match api_keys::find_publishable(&state.db, token).await? {
        Some(key) => Ok(Some(PublishableKey {
            sales_channel_ids: channels::publishable_key_channel_ids(&state.db, &key.id).await?,
            id: key.id,
        })),
        None => Ok(None),
    }
}

impl PublishableKey {
    /// Refuses a cart that sells through none of the key's sales channels,
    /// as a product of another channel is not found: a storefront sees and
    /// edits only its own channels' carts.
    pub async fn ensure_cart(&self, state: &AppState, cart_id: &str) -> Result<(), ApiError> {
        let channel = carts::sales_channel_of(&state.db, cart_id).await?;
        self.ensure_cart_channel(cart_id, channel.as_deref())
    }

    /// [`Self::ensure_cart`] for a cart already read.
    pub fn ensure_cart_channel(
        &self,
        cart_id: &str,
        channel: Option<&str>,
    ) -> Result<(), ApiError> {
        match channel {
            Some(channel) if self.sales_channel_ids.iter().any(|id| id == channel) => Ok(()),
            _ => Err(ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                format!(
                    "Cart with id {cart_id} was not found in the sales channels of the publishable key"
                ),
            )),
        }
    }
}
