//! `/store/carts/*`: Medusa's cart routes, from creation to completion.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use domain::{
    carts::{
        self, Address, CartDetail, CartPlace, CartUpdate, NewCart, NewLineItem,
        totals::{DiscountTarget, LineTotals},
    },
    checkout::{self, PaymentFailure},
    credentials::Email,
    idempotency::{KeyOwner, KeyScope},
    payments,
    pricing::money::{to_major_units, to_minor_units},
    promotions::promotion,
    rate_limits::Rule,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{orders::StoreOrder, publishable_key::PublishableKey, regions::StoreRegion};
use crate::{
    http::{auth::AuthenticatedCustomer, error::ApiError, idempotency},
    rate_limit::Attempts,
    state::AppState,
};

/// Serialized only to fingerprint the request for its idempotency key.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCart {
    region_id: Option<String>,
    currency_code: Option<String>,
    sales_channel_id: Option<String>,
    email: Option<String>,
    shipping_address: Option<Address>,
    billing_address: Option<Address>,
    items: Option<Vec<AddLineItem>>,
    promo_codes: Option<Vec<String>>,
    metadata: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateCart {
    region_id: Option<String>,
    sales_channel_id: Option<String>,
    email: Option<String>,
    shipping_address: Option<Address>,
    billing_address: Option<Address>,
    promo_codes: Option<Vec<String>>,
    metadata: Option<Map<String, Value>>,
    /// Not Medusa's: a tip in major units, paid with the order.
    tip: Option<f64>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AddLineItem {
    variant_id: String,
    quantity: i32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateLineItem {
    quantity: i32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddShippingMethod {
    option_id: String,
    /// What a calculated option's provider needs; flat options need nothing.
    #[serde(rename = "data")]
    _data: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromoCodes {
    promo_codes: Vec<String>,
}

#[derive(Serialize)]
pub struct CartResponse {
    cart: StoreCart,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum CompleteResponse {
    Order {
        order: Box<StoreOrder>,
    },
    Cart {
        cart: Box<StoreCart>,
        error: CompleteError,
    },
}

#[derive(Serialize)]
pub struct CompleteError {
    message: String,
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// Medusa's `StoreCart`, amounts in major units.
#[derive(Serialize)]
pub struct StoreCart {
    id: String,
    currency_code: String,
    region_id: Option<String>,
    region: Option<StoreRegion>,
    sales_channel_id: Option<String>,
    customer_id: Option<String>,
    email: Option<String>,
    shipping_address: Option<Address>,
    billing_address: Option<Address>,
    metadata: Option<Value>,
    items: Vec<StoreCartLineItem>,
    shipping_methods: Vec<StoreCartShippingMethod>,
    promotions: Vec<StoreCartPromotion>,
    payment_collection: Option<StoreCartPaymentCollection>,
    completed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    original_item_total: f64,
    original_item_subtotal: f64,
    original_item_tax_total: f64,
    item_total: f64,
    item_subtotal: f64,
    item_tax_total: f64,
    original_total: f64,
    original_subtotal: f64,
    original_tax_total: f64,
    total: f64,
    subtotal: f64,
    tax_total: f64,
    discount_total: f64,
    discount_tax_total: f64,
    gift_card_total: f64,
    gift_card_tax_total: f64,
    shipping_total: f64,
    shipping_subtotal: f64,
    shipping_tax_total: f64,
    original_shipping_total: f64,
    original_shipping_subtotal: f64,
    original_shipping_tax_total: f64,
    /// Not Medusa's: the tip, included in `total`.
    tip: f64,
}

#[derive(Serialize)]
pub struct StoreCartLineItem {
    id: String,
    cart_id: String,
    title: String,
    subtitle: String,
    thumbnail: Option<String>,
    quantity: i32,
    product_id: String,
    product_title: String,
    variant_id: String,
    variant_title: String,
    requires_shipping: bool,
    is_discountable: bool,
    is_tax_inclusive: bool,
    unit_price: f64,
    tax_lines: Vec<StoreTaxLine>,
    adjustments: Vec<StoreAdjustment>,
    #[serde(flatten)]
    amounts: LineAmounts,
    created_at: DateTime<Utc>,
}

/// A line's totals, in major units.
#[derive(Serialize)]
pub struct LineAmounts {
    original_total: f64,
    original_subtotal: f64,
    original_tax_total: f64,
    item_total: f64,
    item_subtotal: f64,
    item_tax_total: f64,
    total: f64,
    subtotal: f64,
    tax_total: f64,
    discount_total: f64,
    discount_tax_total: f64,
}

impl LineAmounts {
    fn new(line: &LineTotals, money: impl Fn(i64) -> f64) -> Self {
        Self {
            original_total: money(line.original_total),
            original_subtotal: money(line.subtotal),
            original_tax_total: money(line.original_tax_total),
            item_total: money(line.total),
            item_subtotal: money(line.subtotal),
            item_tax_total: money(line.tax_total),
            total: money(line.total),
            subtotal: money(line.subtotal),
            tax_total: money(line.tax_total),
            discount_total: money(line.discount_total),
            discount_tax_total: money(line.discount_tax_total),
        }
    }
}

#[derive(Serialize)]
pub struct StoreTaxLine {
    item_id: String,
    /// Percent, as Medusa gives it: 20 for 20 %.
    rate: f64,
    code: Option<String>,
}

#[derive(Serialize)]
pub struct StoreAdjustment {
    item_id: String,
    code: String,
    promotion_id: String,
    amount: f64,
}

#[derive(Serialize)]
pub struct StoreCartShippingMethod {
    id: String,
    cart_id: String,
    name: String,
    shipping_option_id: String,
    amount: f64,
    is_tax_inclusive: bool,
    original_total: f64,
    original_subtotal: f64,
    original_tax_total: f64,
    total: f64,
    subtotal: f64,
    tax_total: f64,
    discount_total: f64,
    discount_tax_total: f64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Serialize)]
pub struct StoreCartPromotion {
    id: String,
    code: String,
    is_automatic: bool,
    application_method: StoreApplicationMethod,
}

#[derive(Serialize)]
pub struct StoreApplicationMethod {
    #[serde(rename = "type")]
    kind: promotion::ValueType,
    target_type: DiscountTarget,
    /// Percent for a percentage (10 for 10 %), major units when fixed.
    value: f64,
    currency_code: String,
}

#[derive(Serialize)]
pub struct StoreCartPaymentCollection {
    id: String,
    currency_code: String,
    amount: f64,
    status: payments::collection::Status,
}

/// Percent from basis points: 2000 → 20.
fn percent(basis_points: i64) -> f64 {
    basis_points as f64 / 100.0
}

impl StoreCartPromotion {
    fn new(p: &promotion::Model, currency_code: &str) -> Self {
        let value = match p.value_type {
            promotion::ValueType::Percentage => percent(p.value),
            promotion::ValueType::Fixed => to_major_units(p.value, currency_code),
        };
        Self {
            id: p.id.clone(),
            code: p.code.clone(),
            is_automatic: p.is_automatic,
            application_method: StoreApplicationMethod {
                kind: p.value_type,
                target_type: p.target_type,
                value,
                currency_code: currency_code.to_owned(),
            },
        }
    }
}

/// The cart as the Store API shows it, with its region and payment collection.
async fn store_cart(state: &AppState, detail: CartDetail) -> Result<StoreCart, ApiError> {
    let region = detail.region.clone().map(StoreRegion::from);
    let payment_collection = match &detail.cart.payment_collection_id {
        Some(id) => Some(payments::find_collection(&state.db, id).await?),
        None => None,
    };
    let currency = detail.cart.currency_code.clone();
    let money = |amount: i64| to_major_units(amount, &currency);
    let t = &detail.totals;
    let tax_rate = detail
        .region
        .as_ref()
        .map_or(0.0, |r| percent(i64::from(r.region.tax_rate_basis_points)));
    let shipping_address = detail.shipping_address();
    let billing_address = detail.billing_address();
    let metadata = detail.metadata();
    let items = detail
        .items
        .iter()
        .zip(&t.items)
        .map(|(item, line)| StoreCartLineItem {
            id: item.id.clone(),
            cart_id: item.cart_id.clone(),
            title: item.title.clone(),
            subtitle: item.variant_title.clone(),
            thumbnail: None,
            quantity: item.quantity,
            product_id: item.product_id.clone(),
            product_title: item.title.clone(),
            variant_id: item.variant_id.clone(),
            variant_title: item.variant_title.clone(),
            requires_shipping: true,
            is_discountable: true,
            is_tax_inclusive: t.tax_inclusive,
            unit_price: money(item.unit_price),
            tax_lines: detail
                .region
                .iter()
                .map(|_| StoreTaxLine {
                    item_id: item.id.clone(),
                    rate: tax_rate,
                    code: None,
                })
                .collect(),
            adjustments: line
                .adjustments
                .iter()
                .map(|a| StoreAdjustment {
                    item_id: item.id.clone(),
                    code: a.code.clone(),
                    promotion_id: a.promotion_id.clone(),
                    amount: money(a.amount),
                })
                .collect(),
            amounts: LineAmounts::new(line, money),
            created_at: item.created_at,
        })
        .collect();
    let shipping_methods = detail
        .shipping_method
        .iter()
        .map(|m| StoreCartShippingMethod {
            id: m.id.clone(),
            cart_id: m.cart_id.clone(),
            name: m.name.clone(),
            shipping_option_id: m.shipping_option_id.clone(),
            amount: money(m.amount),
            is_tax_inclusive: t.tax_inclusive,
            original_total: money(t.shipping.total),
            original_subtotal: money(t.shipping.subtotal),
            original_tax_total: money(t.shipping.tax_total),
            total: money(t.shipping.total),
            subtotal: money(t.shipping.subtotal),
            tax_total: money(t.shipping.tax_total),
            discount_total: 0.0,
            discount_tax_total: 0.0,
            created_at: m.created_at,
            updated_at: m.created_at,
        })
        .collect();
    Ok(StoreCart {
        id: detail.cart.id.clone(),
        currency_code: currency.clone(),
        region_id: detail.cart.region_id.clone(),
        region,
        sales_channel_id: detail.cart.sales_channel_id.clone(),
        customer_id: detail.cart.customer_id.clone(),
        email: detail.cart.email.clone(),
        shipping_address,
        billing_address,
        metadata,
        items,
        shipping_methods,
        promotions: detail
            .promotions
            .iter()
            .map(|p| StoreCartPromotion::new(p, &currency))
            .collect(),
        payment_collection: payment_collection.map(|c| StoreCartPaymentCollection {
            amount: money(c.amount),
            id: c.id,
            currency_code: c.currency_code,
            status: c.status,
        }),
        completed_at: detail.cart.completed_at,
        created_at: detail.cart.created_at,
        updated_at: detail.cart.updated_at,
        original_item_total: money(t.original_item_total),
        original_item_subtotal: money(t.item_subtotal),
        original_item_tax_total: money(t.original_item_tax_total),
        item_total: money(t.item_total),
        item_subtotal: money(t.item_subtotal),
        item_tax_total: money(t.item_tax_total),
        original_total: money(t.original_total),
        original_subtotal: money(t.subtotal),
        original_tax_total: money(t.original_tax_total),
        total: money(t.total),
        subtotal: money(t.subtotal),
        tax_total: money(t.tax_total),
        discount_total: money(t.discount_total),
        discount_tax_total: money(t.discount_tax_total),
        gift_card_total: 0.0,
        gift_card_tax_total: 0.0,
        shipping_total: money(t.shipping.total),
        shipping_subtotal: money(t.shipping.subtotal),
        shipping_tax_total: money(t.shipping.tax_total),
        original_shipping_total: money(t.shipping.total),
        original_shipping_subtotal: money(t.shipping.subtotal),
        original_shipping_tax_total: money(t.shipping.tax_total),
        tip: money(t.tip),
    })
}

/// Answers with the cart, kept for the shopper's next edit.
async fn respond(state: &AppState, detail: CartDetail) -> Result<Json<CartResponse>, ApiError> {
    state
        .recent_carts
        .keep(detail.cart.id.clone(), detail.clone());
    Ok(Json(CartResponse {
        cart: store_cart(state, detail).await?,
    }))
}

/// The sales channel a cart may use: the requested one if the key has it,
/// else the key's first.
fn channel_of_key(key: &PublishableKey, requested: Option<String>) -> Result<String, ApiError> {
    match requested {
        Some(id) if key.sales_channel_ids.contains(&id) => Ok(id),
        Some(id) => Err(ApiError::invalid_data(format!(
            "Sales channel {id} is not associated with the publishable key"
        ))),
        None => key.sales_channel_ids.first().cloned().ok_or_else(|| {
            ApiError::invalid_data("Publishable key needs to have a sales channel configured.")
        }),
    }
}

fn email(raw: Option<String>) -> Result<Option<Email>, ApiError> {
    Ok(raw.as_deref().map(Email::parse).transpose()?)
}

/// Whose an `Idempotency-Key` is: the signed-in customer's, else the
/// storefront's.
fn key_owner(key: &PublishableKey, customer_id: Option<&str>) -> KeyOwner {
    match customer_id {
        Some(id) => KeyOwner::Customer(id.to_owned()),
        None => KeyOwner::PublishableKey(key.id.clone()),
    }
}

/// What the `Idempotency-Key` of a cart creation is for.
const CREATE_SCOPE: &str = "store.carts.create";

/// Creates a cart; with an `Idempotency-Key` a repeat gets the same cart.
pub async fn create(
    key: PublishableKey,
    State(state): State<AppState>,
    customer: Option<AuthenticatedCustomer>,
    attempts: Attempts,
    headers: HeaderMap,
    body: Result<Json<CreateCart>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    if body
        .promo_codes
        .as_ref()
        .is_some_and(|codes| !codes.is_empty())
    {
        // No cart to count against yet: the codes count against the address.
        attempts.admit_address(Rule::PromotionCode).await?;
    }
    let customer_id = customer.map(|c| c.id);
    // The key's channels and the customer belong to the request: the same
    // body from another storefront or shopper is another request.
    let request =
        serde_json::to_string(&(&key.sales_channel_ids, &customer_id, &body)).unwrap_or_default();
    let fingerprint = format!(
        "creating a cart, request {}",
        domain::idempotency::digest(&request)
    );
    let attempt = async {
        create_cart(&state, &key, customer_id.clone(), body)
            .await
            .into_response()
    };
    let scope = KeyScope::new(CREATE_SCOPE, key_owner(&key, customer_id.as_deref()));
    idempotency::run(&state.db, &headers, &scope, fingerprint, attempt).await
}

async fn create_cart(
    state: &AppState,
    key: &PublishableKey,
    customer_id: Option<String>,
    body: CreateCart,
) -> Result<Json<CartResponse>, ApiError> {
    let sales_channel_id = channel_of_key(key, body.sales_channel_id)?;
    let new = NewCart {
        region_id: body.region_id,
        currency_code: body.currency_code,
        sales_channel_id: Some(sales_channel_id),
        email: email(body.email)?,
        customer_id,
        shipping_address: body.shipping_address,
        billing_address: body.billing_address,
        metadata: body.metadata,
        items: body
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|i| NewLineItem {
                variant_id: i.variant_id,
                quantity: i.quantity,
            })
            .collect(),
        promo_codes: body.promo_codes.unwrap_or_default(),
    };
    let asked = serde_json::to_string(&(&new.region_id, &new.currency_code, &new.sales_channel_id))
        .unwrap_or_default();
    let place = state
        .cart_places
        .get_or_load(&asked, CartPlace::of(&state.db, &new))
        .await?;
    let detail = state.cart_writer.create_cart_at(place, new).await?;
    respond(state, detail).await
}

pub async fn retrieve(
    key: PublishableKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CartResponse>, ApiError> {
    let detail = carts::get_cart(&state.db, &id).await?;
    key.ensure_cart_channel(&id, detail.cart.sales_channel_id.as_deref())?;
    respond(&state, detail).await
}

pub async fn update(
    key: PublishableKey,
    State(state): State<AppState>,
    customer: Option<AuthenticatedCustomer>,
    attempts: Attempts,
    Path(id): Path<String>,
    body: Result<Json<UpdateCart>, JsonRejection>,
) -> Result<Json<CartResponse>, ApiError> {
    let Json(body) = body?;
    if body
        .promo_codes
        .as_ref()
        .is_some_and(|codes| !codes.is_empty())
    {
        attempts.admit(Rule::PromotionCode, &id).await?;
    }
    let sales_channel_id = body
        .sales_channel_id
        .map(|requested| channel_of_key(&key, Some(requested)))
        .transpose()?;
    let current = carts::get_cart(&state.db, &id).await?;
    key.ensure_cart_channel(&id, current.cart.sales_channel_id.as_deref())?;
    let tip = body
        .tip
        .map(|tip| to_minor_units(tip, &current.cart.currency_code))
        .transpose()?;
    let detail = carts::update_cart(
        &state.db,
        &id,
        CartUpdate {
            region_id: body.region_id,
            sales_channel_id,
            email: email(body.email)?,
            customer_id: customer.map(|c| c.id),
            shipping_address: body.shipping_address,
            billing_address: body.billing_address,
            metadata: body.metadata,
            tip,
            promo_codes: body.promo_codes.unwrap_or_default(),
        },
    )
    .await?;
    respond(&state, detail).await
}

pub async fn add_line_item(
    key: PublishableKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<AddLineItem>, JsonRejection>,
) -> Result<Json<CartResponse>, ApiError> {
    let Json(body) = body?;
    let seen = match state.recent_carts.take(&id) {
        Some(kept) => kept,
        None => carts::get_cart(&state.db, &id).await?,
    };
    key.ensure_cart_channel(&id, seen.cart.sales_channel_id.as_deref())?;
    let detail = state
        .cart_writer
        .add_line_item_to(seen, &body.variant_id, body.quantity)
        .await?;
    respond(&state, detail).await
}

pub async fn update_line_item(
    key: PublishableKey,
    State(state): State<AppState>,
    Path((id, line_id)): Path<(String, String)>,
    body: Result<Json<UpdateLineItem>, JsonRejection>,
) -> Result<Json<CartResponse>, ApiError> {
    let Json(body) = body?;
    key.ensure_cart(&state, &id).await?;
    if body.quantity < 1 {
        return Err(ApiError::invalid_data(
            "quantity must be at least 1; delete the line item to remove it",
        ));
    }
    let detail = carts::update_line_item(&state.db, &id, &line_id, body.quantity).await?;
    respond(&state, detail).await
}

#[derive(Serialize)]
pub struct LineItemDeleted {
    id: String,
    object: &'static str,
    deleted: bool,
    parent: StoreCart,
}

pub async fn delete_line_item(
    key: PublishableKey,
    State(state): State<AppState>,
    Path((id, line_id)): Path<(String, String)>,
) -> Result<Json<LineItemDeleted>, ApiError> {
    key.ensure_cart(&state, &id).await?;
    let detail = carts::update_line_item(&state.db, &id, &line_id, 0).await?;
    Ok(Json(LineItemDeleted {
        id: line_id,
        object: "line-item",
        deleted: true,
        parent: store_cart(&state, detail).await?,
    }))
}

pub async fn add_shipping_method(
    key: PublishableKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<AddShippingMethod>, JsonRejection>,
) -> Result<Json<CartResponse>, ApiError> {
    let Json(body) = body?;
    key.ensure_cart(&state, &id).await?;
    let detail = carts::add_shipping_method(&state.db, &id, &body.option_id).await?;
    respond(&state, detail).await
}

pub async fn add_promotions(
    key: PublishableKey,
    State(state): State<AppState>,
    attempts: Attempts,
    Path(id): Path<String>,
    body: Result<Json<PromoCodes>, JsonRejection>,
) -> Result<Json<CartResponse>, ApiError> {
    let Json(body) = body?;
    key.ensure_cart(&state, &id).await?;
    attempts.admit(Rule::PromotionCode, &id).await?;
    let detail = carts::apply_promotions(&state.db, &id, &body.promo_codes).await?;
    respond(&state, detail).await
}

pub async fn remove_promotions(
    key: PublishableKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<PromoCodes>, JsonRejection>,
) -> Result<Json<CartResponse>, ApiError> {
    let Json(body) = body?;
    key.ensure_cart(&state, &id).await?;
    let detail = carts::remove_promotions(&state.db, &id, &body.promo_codes).await?;
    respond(&state, detail).await
}

/// Medusa's "transfer cart": the signed-in customer takes over a guest cart
/// (their email fills it), e.g. after signing in halfway through shopping.
pub async fn transfer(
    key: PublishableKey,
    State(state): State<AppState>,
    customer: AuthenticatedCustomer,
    Path(id): Path<String>,
) -> Result<Json<CartResponse>, ApiError> {
    key.ensure_cart(&state, &id).await?;
    carts::set_customer(&state.db, &id, &customer.id).await?;
    respond(&state, carts::get_cart(&state.db, &id).await?).await
}

/// Medusa's explicit tax calculation. Our totals, taxes included, are worked
/// out on every read, so this answers the cart as it stands.
pub async fn calculate_taxes(
    key: PublishableKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CartResponse>, ApiError> {
    let detail = carts::get_cart(&state.db, &id).await?;
    key.ensure_cart_channel(&id, detail.cart.sales_channel_id.as_deref())?;
    respond(&state, detail).await
}

/// What the `Idempotency-Key` of a completion is for.
const COMPLETE_SCOPE: &str = "store.carts.complete";

/// Places the order. A payment that fails answers 200 with the cart and the
/// error, as Medusa does, so the storefront can offer another payment; any
/// other failure is an error response. With an `Idempotency-Key` a repeat
/// gets the first answer again, whatever happened to the cart since.
pub async fn complete(
    key: PublishableKey,
    State(state): State<AppState>,
    customer: Option<AuthenticatedCustomer>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    key.ensure_cart(&state, &id).await?;
    let fingerprint = format!("completing cart {id}");
    let attempt = async { complete_cart(&state, &id).await.into_response() };
    let owner = key_owner(&key, customer.as_ref().map(|c| c.id.as_str()));
    let scope = KeyScope::new(COMPLETE_SCOPE, owner);
    idempotency::run(&state.db, &headers, &scope, fingerprint, attempt).await
}

async fn complete_cart(state: &AppState, id: &str) -> Result<Json<CompleteResponse>, ApiError> {
    match checkout::complete_cart(&state.db, &state.payment_providers, id).await {
        Ok(order) => Ok(Json(CompleteResponse::Order {
            order: Box::new(order.into()),
        })),
        Err(failure) => {
            let Some(payment) = failure.payment else {
                return Err(failure.error.into());
            };
            let kind = match payment {
                PaymentFailure::Authorization => "payment_authorization_error",
                PaymentFailure::RequiresMore => "payment_requires_more_error",
            };
            let cart = store_cart(state, carts::get_cart(&state.db, id).await?).await?;
            Ok(Json(CompleteResponse::Cart {
                cart: Box::new(cart),
                error: CompleteError {
                    message: failure.error.to_string(),
                    name: "Error",
                    kind,
                },
            }))
        }
    }
}
