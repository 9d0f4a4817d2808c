//! Payment for a cart, Medusa-style: `GET /store/payment-providers`,
//! `POST /store/payment-collections` and
//! `POST /store/payment-collections/{id}/payment-sessions`.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::{
    carts, checkout,
    payments::{self, collection, session},
    pricing::{self, money::to_major_units},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::publishable_key::PublishableKey;
use crate::{
    http::{auth::AuthenticatedCustomer, error::ApiError, params::Params},
    state::AppState,
};

#[derive(Serialize)]
pub struct ProviderList {
    payment_providers: Vec<StorePaymentProvider>,
    count: usize,
    offset: u64,
    limit: u64,
}

#[derive(Serialize)]
pub struct StorePaymentProvider {
    id: String,
    is_enabled: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCollection {
    cart_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitializeSession {
    provider_id: String,
    /// Extra input for providers that need it; the built-in one needs none.
    #[serde(rename = "context")]
    _context: Option<Value>,
    /// What the provider needs from the browser (Finix: `{"token": "TK…"}`
    /// from Finix.js); the built-in provider and Stripe need none.
    data: Option<Value>,
}

#[derive(Serialize)]
pub struct CollectionResponse {
    payment_collection: StorePaymentCollection,
}

/// Medusa's `StorePaymentCollection`, amounts in major units.
#[derive(Serialize)]
pub struct StorePaymentCollection {
    id: String,
    currency_code: String,
    amount: f64,
    status: collection::Status,
    payment_providers: Vec<StorePaymentProvider>,
    payment_sessions: Vec<StorePaymentSession>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Serialize)]
pub struct StorePaymentSession {
    id: String,
    payment_collection_id: String,
    provider_id: String,
    amount: f64,
    currency_code: String,
    status: session::Status,
    data: Value,
    created_at: DateTime<Utc>,
}

/// The providers the region offers that the store has.
pub async fn list_providers(
    _key: PublishableKey,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<ProviderList>, ApiError> {
    let region_id = params
        .text("region_id")?
        .ok_or_else(|| ApiError::invalid_data("region_id is required"))?;
    pricing::find_region(&state.db, &region_id).await?;
    let (offset, limit) = params.page()?;
    let all: Vec<StorePaymentProvider> = pricing::payment_providers(&state.db, &region_id)
        .await?
        .into_iter()
        .filter(|id| state.payment_providers.has(id))
        .map(|id| StorePaymentProvider {
            id,
            is_enabled: true,
        })
        .collect();
    let count = all.len();
    Ok(Json(ProviderList {
        payment_providers: all
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect(),
        count,
        offset,
        limit,
    }))
}

fn providers(state: &AppState) -> Vec<StorePaymentProvider> {
    state
        .payment_providers
        .ids()
        .into_iter()
        .map(|id| StorePaymentProvider {
            id,
            is_enabled: true,
        })
        .collect()
}

async fn respond(
    state: &AppState,
    collection: collection::Model,
) -> Result<Json<CollectionResponse>, ApiError> {
    let sessions = payments::sessions_of(&state.db, &collection.id).await?;
    let money = |amount: i64| to_major_units(amount, &collection.currency_code);
    let payment_sessions = sessions
        .into_iter()
        .map(|s: session::Model| StorePaymentSession {
            amount: money(s.amount),
            data: serde_json::from_str(&s.data).unwrap_or(Value::Null),
            id: s.id,
            payment_collection_id: s.payment_collection_id,
            provider_id: s.provider_id,
            currency_code: s.currency_code,
            status: s.status,
            created_at: s.created_at,
        })
        .collect();
    Ok(Json(CollectionResponse {
        payment_collection: StorePaymentCollection {
            amount: money(collection.amount),
            payment_providers: providers(state),
            payment_sessions,
            id: collection.id,
            currency_code: collection.currency_code,
            status: collection.status,
            created_at: collection.created_at,
            updated_at: collection.updated_at,
        },
    }))
}

/// The cart's payment collection for its current total (a new one when the
/// total changed since the last).
pub async fn create_collection(
    key: PublishableKey,
    State(state): State<AppState>,
    body: Result<Json<CreateCollection>, JsonRejection>,
) -> Result<Json<CollectionResponse>, ApiError> {
    let Json(body) = body?;
    key.ensure_cart(&state, &body.cart_id).await?;
    let collection = checkout::payment_collection_for_cart(&state.db, &body.cart_id).await?;
    respond(&state, collection).await
}

#[derive(Deserialize, Default)]
pub struct SaveCard {
    /// A card tokenized in the browser (Finix.js's `TK…`), to save now.
    token: Option<String>,
}

/// `POST /store/customers/me/payment-methods/{provider_id}`: starts saving
/// a card for payments without the shopper (opening a machine): the
/// customer's account at the provider is opened if need be, and the answer
/// carries what the browser needs (Stripe.js: a SetupIntent's
/// `client_secret`; Finix.js: the application and Identity). With
/// `{"token": …}` (Finix), the tokenized card is saved and answered as
/// `payment_method`.
pub async fn start_saving_card(
    _key: PublishableKey,
    State(state): State<AppState>,
    me: AuthenticatedCustomer,
    Path(provider_id): Path<String>,
    body: Option<Json<SaveCard>>,
) -> Result<Json<Value>, ApiError> {
    let customer = domain::customers::retrieve(&state.db, &me.id)
        .await?
        .customer;
    if let Some(token) = body.and_then(|Json(b)| b.token) {
        let card = payments::account::save_card(
            &state.db,
            &state.payment_providers,
            &provider_id,
            &me.id,
            Some(customer.email.as_str()),
            &token,
        )
        .await?;
        return Ok(Json(serde_json::json!({
            "payment_method": StoreSavedCard::of(&provider_id, card),
        })));
    }
    let setup = payments::account::start_saving_card(
        &state.db,
        &state.payment_providers,
        &provider_id,
        &me.id,
        Some(customer.email.as_str()),
        &domain::ids::new_id("attempt"),
    )
    .await?;
    Ok(Json(serde_json::json!({ "card_setup": setup })))
}

/// A saved card as Medusa's `StorePaymentMethod` (`id`, `provider_id`,
/// `data`), `data` shaped like the provider's PaymentMethod (`card.brand`,
/// `card.last4`, `card.exp_month`, `card.exp_year`).
#[derive(Serialize)]
pub struct StoreSavedCard {
    id: String,
    provider_id: String,
    data: Value,
}

impl StoreSavedCard {
    fn of(provider_id: &str, card: payments::SavedCard) -> Self {
        Self {
            data: serde_json::json!({
                "id": card.id,
                "type": "card",
                "card": {
                    "brand": card.brand,
                    "last4": card.last4,
                    "exp_month": card.exp_month,
                    "exp_year": card.exp_year,
                },
            }),
            id: card.id,
            provider_id: provider_id.to_owned(),
        }
    }
}

#[derive(Serialize)]
pub struct SavedCardList {
    payment_methods: Vec<StoreSavedCard>,
    count: usize,
}

/// `GET /store/customers/me/payment-methods/{provider_id}`: the signed-in
/// customer's saved cards at the provider (none before they saved one).
pub async fn list_saved_cards(
    _key: PublishableKey,
    State(state): State<AppState>,
    me: AuthenticatedCustomer,
    Path(provider_id): Path<String>,
) -> Result<Json<SavedCardList>, ApiError> {
    let cards =
        payments::account::saved_cards(&state.db, &state.payment_providers, &provider_id, &me.id)
            .await?;
    let payment_methods: Vec<StoreSavedCard> = cards
        .into_iter()
        .map(|card| StoreSavedCard::of(&provider_id, card))
        .collect();
    Ok(Json(SavedCardList {
        count: payment_methods.len(),
        payment_methods,
    }))
}

/// `DELETE /store/customers/me/payment-methods/{provider_id}/{id}`: removes
/// one of the signed-in customer's saved cards; another's is 404.
pub async fn remove_saved_card(
    _key: PublishableKey,
    State(state): State<AppState>,
    me: AuthenticatedCustomer,
    Path((provider_id, card_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    payments::account::remove_saved_card(
        &state.db,
        &state.payment_providers,
        &provider_id,
        &me.id,
        &card_id,
    )
    .await?;
    Ok(Json(serde_json::json!({
        "id": card_id,
        "object": "payment_method",
        "deleted": true,
    })))
}

pub async fn create_session(
    key: PublishableKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<InitializeSession>, JsonRejection>,
) -> Result<Json<CollectionResponse>, ApiError> {
    let Json(body) = body?;
    if let Some(cart_id) = carts::cart_of_payment_collection(&state.db, &id).await? {
        key.ensure_cart(&state, &cart_id).await?;
    }
    payments::create_session_with(
        &state.db,
        &state.payment_providers,
        &id,
        &body.provider_id,
        body.data,
    )
    .await?;
    let collection = payments::find_collection(&state.db, &id).await?;
    respond(&state, collection).await
}
