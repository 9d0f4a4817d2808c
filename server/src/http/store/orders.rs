//! `GET /store/orders` (the signed-in customer's) and `GET /store/orders/{id}`.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use domain::{
    carts::Address,
    orders::{self, OrderDetail, order},
    pricing::money::to_major_units,
};
use serde::Serialize;

use super::publishable_key::PublishableKey;
use crate::{
    http::{auth::AuthenticatedCustomer, error::ApiError, params::Params},
    state::AppState,
};

#[derive(Serialize)]
pub struct OrderList {
    orders: Vec<StoreOrder>,
    count: u64,
    offset: u64,
    limit: u64,
}

#[derive(Serialize)]
pub struct OrderResponse {
    order: StoreOrder,
}

/// Medusa's `StoreOrder`, amounts in major units.
#[derive(Serialize)]
pub struct StoreOrder {
    id: String,
    status: order::Status,
    email: Option<String>,
    currency_code: String,
    region_id: Option<String>,
    customer_id: Option<String>,
    sales_channel_id: Option<String>,
    payment_status: &'static str,
    fulfillment_status: &'static str,
    items: Vec<StoreOrderLineItem>,
    shipping_methods: Vec<StoreOrderShippingMethod>,
    shipping_address: Option<Address>,
    billing_address: Option<Address>,
    promo_codes: Vec<String>,
    summary: OrderSummary,
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
pub struct StoreOrderLineItem {
    id: String,
    title: String,
    subtitle: String,
    product_id: String,
    product_title: String,
    variant_id: String,
    variant_title: String,
    quantity: i32,
    unit_price: f64,
    subtotal: f64,
    discount_total: f64,
    tax_total: f64,
    total: f64,
}

#[derive(Serialize)]
pub struct StoreOrderShippingMethod {
    name: String,
    shipping_option_id: Option<String>,
    amount: f64,
    is_tax_inclusive: bool,
    subtotal: f64,
    tax_total: f64,
    total: f64,
}

#[derive(Serialize)]
pub struct OrderSummary {
    current_order_total: f64,
    original_order_total: f64,
    paid_total: f64,
}

fn parse_address(stored: Option<&str>) -> Option<Address> {
    stored.and_then(|s| serde_json::from_str(s).ok())
}

impl From<OrderDetail> for StoreOrder {
    fn from(detail: OrderDetail) -> Self {
        let o = detail.order;
        let currency = o.currency_code.clone();
        let money = |amount: i64| to_major_units(amount, &currency);
        let original_item_total = o.original_total - o.shipping_total - o.tip;
        let original_item_tax_total = o.item_tax_total + o.discount_tax_total;
        let items = detail
            .items
            .into_iter()
            .map(|i| StoreOrderLineItem {
                subtitle: i.variant_title.clone(),
                product_title: i.title.clone(),
                id: i.id,
                title: i.title,
                product_id: i.product_id,
                variant_id: i.variant_id,
                variant_title: i.variant_title,
                quantity: i.quantity,
                unit_price: money(i.unit_price),
                subtotal: money(i.subtotal),
                discount_total: money(i.discount_total),
                tax_total: money(i.tax_total),
                total: money(i.total),
            })
            .collect();
        let shipping_methods = o
            .shipping_method_name
            .clone()
            .map(|name| StoreOrderShippingMethod {
                name,
                shipping_option_id: o.shipping_option_id.clone(),
                amount: money(if o.is_tax_inclusive {
                    o.shipping_total
                } else {
                    o.shipping_subtotal
                }),
                is_tax_inclusive: o.is_tax_inclusive,
                subtotal: money(o.shipping_subtotal),
                tax_total: money(o.shipping_tax_total),
                total: money(o.shipping_total),
            })
            .into_iter()
            .collect();
        Self {
            status: o.status,
            email: o.email.clone(),
            region_id: o.region_id.clone(),
            customer_id: o.customer_id.clone(),
            sales_channel_id: o.sales_channel_id.clone(),
            payment_status: detail.payment_status,
            fulfillment_status: detail.fulfillment_status,
            items,
            shipping_methods,
            shipping_address: parse_address(o.shipping_address.as_deref()),
            billing_address: parse_address(o.billing_address.as_deref()),
            promo_codes: o
                .promo_codes
                .as_deref()
                .map(|codes| codes.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
            summary: OrderSummary {
                current_order_total: money(o.total),
                original_order_total: money(o.original_total),
                paid_total: 0.0,
            },
            created_at: o.created_at,
            updated_at: o.created_at,
            original_item_total: money(original_item_total),
            original_item_subtotal: money(o.item_subtotal),
            original_item_tax_total: money(original_item_tax_total),
            item_total: money(o.item_total),
            item_subtotal: money(o.item_subtotal),
            item_tax_total: money(o.item_tax_total),
            original_total: money(o.original_total),
            original_subtotal: money(o.subtotal),
            original_tax_total: money(o.tax_total + o.discount_tax_total),
            total: money(o.total),
            subtotal: money(o.subtotal),
            tax_total: money(o.tax_total),
            discount_total: money(o.discount_total),
            discount_tax_total: money(o.discount_tax_total),
            gift_card_total: 0.0,
            gift_card_tax_total: 0.0,
            shipping_total: money(o.shipping_total),
            shipping_subtotal: money(o.shipping_subtotal),
            shipping_tax_total: money(o.shipping_tax_total),
            original_shipping_total: money(o.shipping_total),
            original_shipping_subtotal: money(o.shipping_subtotal),
            original_shipping_tax_total: money(o.shipping_tax_total),
            tip: money(o.tip),
            id: o.id,
            currency_code: o.currency_code,
        }
    }
}

pub async fn list(
    _key: PublishableKey,
    customer: AuthenticatedCustomer,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<OrderList>, ApiError> {
    let (offset, limit) = params.page()?;
    let (orders, count) = orders::for_customer(&state.db, &customer.id, offset, limit).await?;
    Ok(Json(OrderList {
        orders: orders.into_iter().map(StoreOrder::from).collect(),
        count,
        offset,
        limit,
    }))
}

/// Anyone with the order's id may read it, as in Medusa (the confirmation page
/// of a guest checkout needs it).
pub async fn retrieve(
    _key: PublishableKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<OrderResponse>, ApiError> {
    Ok(Json(OrderResponse {
        order: orders::find(&state.db, &id).await?.into(),
    }))
}
