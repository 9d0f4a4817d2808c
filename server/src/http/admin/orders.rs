//! `/admin/orders`: Medusa v2's admin order list, detail and cancel.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    orders::{self, OrderDetail, OrderFilter, order},
    states,
};
use serde::Serialize;

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
            .map(|s| states::parse(s, "an order status (pending, completed or canceled)"))
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
