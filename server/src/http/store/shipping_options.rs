//! `GET /store/shipping-options?cart_id=`: how the cart can reach the shopper.

use axum::{Json, extract::State};
use domain::{
    carts,
    pricing::money::to_major_units,
    shipping::{self, shipping_option},
};
use serde::Serialize;
use serde_json::{Value, json};

use super::publishable_key::PublishableKey;
use crate::{
    http::{error::ApiError, params::Params},
    state::AppState,
};

/// Every option is a flat amount fulfilled by hand (delivery or pickup).
pub const PROVIDER_ID: &str = "manual_manual";

#[derive(Serialize)]
pub struct ShippingOptionList {
    shipping_options: Vec<StoreShippingOption>,
}

/// Medusa's `StoreShippingOption`. The service zone is the region; a pickup
/// option names its stock location in `data`.
#[derive(Serialize)]
pub struct StoreShippingOption {
    id: String,
    name: String,
    price_type: &'static str,
    service_zone_id: String,
    provider_id: &'static str,
    provider: Value,
    shipping_option_type_id: &'static str,
    #[serde(rename = "type")]
    kind: Value,
    shipping_profile_id: String,
    amount: f64,
    is_tax_inclusive: bool,
    data: Value,
    metadata: Value,
}

impl StoreShippingOption {
    pub fn new(
        option: shipping_option::Model,
        currency_code: &str,
        is_tax_inclusive: bool,
    ) -> Self {
        let (type_code, label) = match &option.stock_location_id {
            Some(_) => ("pickup", "Pickup"),
            None => ("delivery", "Delivery"),
        };
        Self {
            amount: to_major_units(option.amount, currency_code),
            price_type: "flat",
            service_zone_id: option.region_id,
            provider_id: PROVIDER_ID,
            provider: json!({ "id": PROVIDER_ID, "is_enabled": true }),
            shipping_option_type_id: type_code,
            kind: json!({ "id": type_code, "label": label, "description": label, "code": type_code }),
            shipping_profile_id: option.shipping_profile_id,
            is_tax_inclusive,
            data: json!({ "stock_location_id": option.stock_location_id }),
            metadata: json!({}),
            id: option.id,
            name: option.name,
        }
    }
}

pub async fn list(
    key: PublishableKey,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<ShippingOptionList>, ApiError> {
    let cart_id = params
        .text("cart_id")?
        .ok_or_else(|| ApiError::invalid_data("cart_id is required"))?;
    let cart = carts::get_cart(&state.db, &cart_id).await?;
    key.ensure_cart_channel(&cart_id, cart.cart.sales_channel_id.as_deref())?;
    let options = shipping::options_in_region(&state.db, cart.cart.region_id.as_deref()).await?;
    Ok(Json(ShippingOptionList {
        shipping_options: options
            .into_iter()
            .map(|o| {
                StoreShippingOption::new(o, &cart.cart.currency_code, cart.totals.tax_inclusive)
            })
            .collect(),
    }))
}
