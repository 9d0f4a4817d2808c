//! Payment providers that talk to the outside world (the trait and the
//! built-in provider live in `domain`, which has no HTTP client).

pub mod finix;
pub mod finix_webhook;
pub mod operations;
pub mod stripe;
pub mod stripe_webhook;

use axum::Json;
use domain::payments::{self, Applied, ProviderEvent};
use serde_json::{Value, json};

use crate::{http::error::ApiError, state::AppState};

/// What every provider's webhook does once it has checked and read an event:
/// applies it once, places the order a late authorization belongs to (the
/// shopper finished 3-D Secure after the storefront gave up waiting, as
/// Medusa's webhooks do), and answers the provider. A cart that cannot be
/// completed is answered 500, so that the provider delivers the event again.
pub(crate) async fn apply_webhook_event(
    state: &AppState,
    provider_id: &str,
    event_id: &str,
    event_type: &str,
    news: &ProviderEvent,
) -> Result<Json<Value>, ApiError> {
    let applied = payments::apply_event(&state.db, provider_id, event_id, event_type, news).await?;
    if let Applied::CompleteCart(cart_id) = &applied {
        let order = domain::checkout::complete_cart(&state.db, &state.payment_providers, cart_id)
            .await
            .map_err(|failure| {
                tracing::warn!(cart_id, error = %failure.error, "a webhook could not complete its cart");
                ApiError::from(domain::DomainError::from(failure))
            })?;
        tracing::info!(cart_id, order = %order.order.id, provider = provider_id, "order placed from a webhook");
        payments::record_event(&state.db, provider_id, event_id, event_type).await?;
    }
    Ok(Json(json!({
        "received": true,
        "handled": !matches!(applied, Applied::Seen | Applied::NotOurs),
    })))
}
