//! `/admin/orders`: Medusa v2's admin order list, detail, cancel, fulfilment
//! (ship, deliver or hand over at pick-up) and archive.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    orders::{self, FulfilmentRequest, OrderDetail, OrderFilter, Tracking, fulfillment, order},
    states,
};
use serde::{Deserialize, Serialize};

use super::optional_body;
use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

/// Medusa's `AdminOrder`, with the fields we keep.
#[derive(Serialize)]
pub struct AdminOrder {
    id: String,
    status: order::Status,
    payment_status: &'static str,
    fulfillment_status: &'static str,
    email: Option<String>,
    customer_id: Option<String>,
    currency_code: String,
    items: Vec<AdminOrderItem>,
    fulfillments: Vec<AdminFulfillment>,
    item_total: i64,
    subtotal: i64,
    total: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    canceled_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
pub struct AdminOrderItem {
    id: String,
    title: String,
    subtitle: String,
    variant_id: String,
    product_id: String,
    quantity: i32,
    unit_price: i64,
    subtotal: i64,
    total: i64,
}

/// Medusa's `AdminOrderFulfillment`: one per order here (whole orders).
#[derive(Serialize)]
pub struct AdminFulfillment {
    id: String,
    location_id: Option<String>,
    packed_at: Option<DateTime<Utc>>,
    shipped_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
    canceled_at: Option<DateTime<Utc>>,
    labels: Vec<Label>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Serialize)]
pub struct Label {
    tracking_number: Option<String>,
    tracking_url: Option<String>,
    label_url: Option<String>,
}

impl From<fulfillment::Model> for AdminFulfillment {
    fn from(f: fulfillment::Model) -> Self {
        let labels = if f.tracking_number.is_some() || f.tracking_url.is_some() {
            vec![Label {
                tracking_number: f.tracking_number,
                tracking_url: f.tracking_url,
                label_url: None,
            }]
        } else {
            Vec::new()
        };
        let updated_at = f.delivered_at.or(f.shipped_at).unwrap_or(f.created_at);
        Self {
            id: f.id,
            location_id: f.location_id,
            packed_at: Some(f.created_at),
            shipped_at: f.shipped_at,
            delivered_at: f.delivered_at,
            canceled_at: None,
            labels,
            created_at: f.created_at,
            updated_at,
        }
    }
}

impl From<OrderDetail> for AdminOrder {
    fn from(detail: OrderDetail) -> Self {
        let order = detail.order;
        let items: Vec<AdminOrderItem> = detail
            .items
            .into_iter()
            .map(|item| {
                let line_total = item.unit_price * i64::from(item.quantity);
                AdminOrderItem {
                    id: item.id,
                    title: item.title,
                    subtitle: item.variant_title,
                    variant_id: item.variant_id,
                    product_id: item.product_id,
                    quantity: item.quantity,
                    unit_price: item.unit_price,
                    subtotal: line_total,
                    total: line_total,
                }
            })
            .collect();
        Self {
            item_total: items.iter().map(|i| i.total).sum(),
            items,
            fulfillments: detail
                .fulfillment
                .into_iter()
                .map(AdminFulfillment::from)
                .collect(),
            id: order.id,
            status: order.status,
            payment_status: detail.payment_status,
            fulfillment_status: detail.fulfillment_status,
            email: order.email,
            customer_id: order.customer_id,
            currency_code: order.currency_code,
            subtotal: order.subtotal,
            total: order.total,
            created_at: order.created_at,
            updated_at: order.canceled_at.unwrap_or(order.created_at),
            canceled_at: order.canceled_at,
        }
    }
}

#[derive(Serialize)]
pub struct OrderList {
    orders: Vec<AdminOrder>,
    count: u64,
    offset: u64,
    limit: u64,
}

#[derive(Serialize)]
pub struct OrderResponse {
    order: AdminOrder,
}

/// `GET /admin/orders?status=…&customer_id=…&sales_channel_id=…&created_at[$gte]=…&created_at[$lte]=…&q=…`
pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<OrderList>, ApiError> {
    let (offset, limit) = params.page()?;
    let filter = OrderFilter {
        status: params
            .list("status")?
            .iter()
            .map(|s| {
                states::parse(
                    s,
                    "an order status (pending, completed, canceled or archived)",
                )
            })
            .collect::<Result<_, _>>()?,
        customer_id: params.list("customer_id")?,
        sales_channel_id: params.list("sales_channel_id")?,
        created_from: date_param(&params, "created_at[$gte]", Bound::From)?,
        created_until: date_param(&params, "created_at[$lte]", Bound::Until)?,
        q: params.text("q")?,
    };
    let (found, count) = orders::list(&state.db, &filter, offset, limit).await?;
    Ok(Json(OrderList {
        orders: found.into_iter().map(AdminOrder::from).collect(),
        count,
        offset,
        limit,
    }))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<OrderResponse>, ApiError> {
    let order = orders::find(&state.db, &id).await?;
    Ok(Json(OrderResponse {
        order: order.into(),
    }))
}

/// `POST /admin/orders/{id}/cancel`: refunds or releases the payment and the
/// stock; canceling again answers the canceled order.
pub async fn cancel(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<OrderResponse>, ApiError> {
    let order = orders::cancel(&state.db, &state.payment_providers, &id).await?;
    Ok(Json(OrderResponse {
        order: order.into(),
    }))
}

/// An item and quantity of Medusa's fulfilment and shipment bodies.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemQuantity {
    id: String,
    quantity: i64,
}

/// Medusa's `AdminCreateOrderFulfillment`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FulfilBody {
    #[serde(default)]
    items: Vec<ItemQuantity>,
    location_id: Option<String>,
    #[allow(dead_code)]
    shipping_option_id: Option<String>,
    #[allow(dead_code)]
    no_notification: Option<bool>,
    #[allow(dead_code)]
    metadata: Option<serde_json::Value>,
}

/// `POST /admin/orders/{id}/fulfillments`: the whole order leaves the store
/// (every item with its full quantity, or no items to mean all).
pub async fn fulfil(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<OrderResponse>, ApiError> {
    let body: FulfilBody = optional_body(&body)?;
    let request = FulfilmentRequest {
        items: body.items.into_iter().map(|i| (i.id, i.quantity)).collect(),
        location_id: body.location_id,
    };
    let order = orders::fulfil(&state.db, &state.payment_providers, &id, &request).await?;
    Ok(Json(OrderResponse {
        order: order.into(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelBody {
    tracking_number: Option<String>,
    tracking_url: Option<String>,
    #[allow(dead_code)]
    label_url: Option<String>,
}

/// Medusa's `AdminCreateOrderShipment`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ShipBody {
    #[serde(default)]
    #[allow(dead_code)]
    items: Vec<ItemQuantity>,
    #[serde(default)]
    labels: Vec<LabelBody>,
    #[allow(dead_code)]
    no_notification: Option<bool>,
    #[allow(dead_code)]
    metadata: Option<serde_json::Value>,
}

/// `POST /admin/orders/{id}/fulfillments/{fulfillment_id}/shipments`: the
/// parcel went to the carrier; the first label's tracking is kept.
pub async fn ship(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path((id, fulfillment_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<OrderResponse>, ApiError> {
    let body: ShipBody = optional_body(&body)?;
    if body.labels.len() > 1 {
        return Err(ApiError::invalid_data(
            "one label per shipment: give one tracking number",
        ));
    }
    let tracking = body
        .labels
        .into_iter()
        .next()
        .map(|l| Tracking {
            number: l.tracking_number,
            url: l.tracking_url,
        })
        .unwrap_or_default();
    let order = orders::mark_shipped(&state.db, &id, &fulfillment_id, tracking).await?;
    Ok(Json(OrderResponse {
        order: order.into(),
    }))
}

/// `POST /admin/orders/{id}/fulfillments/{fulfillment_id}/mark-as-delivered`:
/// delivered, or picked up.
pub async fn mark_delivered(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path((id, fulfillment_id)): Path<(String, String)>,
) -> Result<Json<OrderResponse>, ApiError> {
    let order = orders::mark_delivered(&state.db, &id, &fulfillment_id).await?;
    Ok(Json(OrderResponse {
        order: order.into(),
    }))
}

/// `POST /admin/orders/{id}/archive`.
pub async fn archive(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<OrderResponse>, ApiError> {
    let order = orders::archive(&state.db, &id).await?;
    Ok(Json(OrderResponse {
        order: order.into(),
    }))
}

pub(super) enum Bound {
    From,
    Until,
}

/// An RFC 3339 time, or a calendar day (which then starts or ends the range
/// with the whole day, in UTC).
pub(super) fn date_param(
    params: &Params,
    key: &str,
    bound: Bound,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(raw) = params.text(key)? else {
        return Ok(None);
    };
    let raw = raw.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(time.with_timezone(&Utc)));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        ApiError::invalid_data(format!(
            "{key} must be a date (2026-11-22) or a time (2026-11-22T10:00:00Z), not {raw:?}"
        ))
    })?;
    let time = match bound {
        Bound::From => day.and_hms_opt(0, 0, 0),
        Bound::Until => day.and_hms_micro_opt(23, 59, 59, 999_999),
    };
    Ok(time.map(|t| t.and_utc()))
}
