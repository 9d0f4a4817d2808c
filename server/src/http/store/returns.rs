//! `POST /store/returns`: a signed-in customer asks to send items of one of
//! their orders back (Medusa's Store API; `POST /store/return` answers too).
//! `GET /store/returns[/{id}]`: their returns. The Admin API answers the
//! same shape.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::{
    pricing::money::to_major_units,
    returns::{
        order_return,
        order_returns::{self, Requester, ReturnDetail, ReturnFilter, ReturnRequest},
        rules::ReturnLine,
    },
};
use serde::{Deserialize, Serialize};

use super::publishable_key::PublishableKey;
use crate::{
    http::{
        admin::{Listing, one},
        auth::AuthenticatedCustomer,
        error::ApiError,
        params::Params,
    },
    state::AppState,
};

/// Medusa's `Return`: amounts in major units, as Medusa answers them.
#[derive(Serialize)]
pub struct OrderReturn {
    id: String,
    order_id: String,
    status: order_return::Status,
    location_id: Option<String>,
    note: Option<String>,
    currency_code: String,
    refund_amount: f64,
    items: Vec<OrderReturnItem>,
    created_at: DateTime<Utc>,
    received_at: Option<DateTime<Utc>>,
    canceled_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
pub struct OrderReturnItem {
    id: String,
    return_id: String,
    /// The order item sent back.
    item_id: String,
    quantity: i32,
    received_quantity: i32,
    reason_id: Option<String>,
    note: Option<String>,
}

impl From<ReturnDetail> for OrderReturn {
    fn from(detail: ReturnDetail) -> Self {
        let r = detail.order_return;
        Self {
            refund_amount: to_major_units(r.refund_amount, &detail.currency_code),
            currency_code: detail.currency_code,
            items: detail
                .items
                .into_iter()
                .map(|i| OrderReturnItem {
                    id: i.id,
                    return_id: i.return_id,
                    item_id: i.order_item_id,
                    quantity: i.quantity,
                    received_quantity: i.received_quantity,
                    reason_id: i.reason_id,
                    note: i.note,
                })
                .collect(),
            id: r.id,
            order_id: r.order_id,
            status: r.status,
            location_id: r.location_id,
            note: r.note,
            created_at: r.created_at,
            received_at: r.received_at,
            canceled_at: r.canceled_at,
        }
    }
}

/// Medusa's `StoreCreateReturn` (and, with `location_id`, the Admin API's).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateReturnBody {
    order_id: String,
    items: Vec<ReturnItemBody>,
    /// Medusa's return shipping; there are no return shipping options here,
    /// so it is accepted and not charged.
    #[allow(dead_code)]
    return_shipping: Option<serde_json::Value>,
    note: Option<String>,
    location_id: Option<String>,
    #[allow(dead_code)]
    receive_now: Option<bool>,
    #[allow(dead_code)]
    metadata: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnItemBody {
    id: String,
    quantity: i64,
    reason_id: Option<String>,
    note: Option<String>,
}

impl CreateReturnBody {
    pub fn request(self) -> Result<ReturnRequest, ApiError> {
        if self.receive_now == Some(true) {
            return Err(ApiError::invalid_data(
                "receive_now is not supported: the store receives a return when the goods arrive",
            ));
        }
        Ok(ReturnRequest {
            order_id: self.order_id,
            lines: self
                .items
                .into_iter()
                .map(|i| ReturnLine {
                    order_item_id: i.id,
                    quantity: i.quantity,
                    reason_id: i.reason_id,
                    note: i.note,
                })
                .collect(),
            note: self.note,
            location_id: self.location_id,
        })
    }
}

pub async fn create(
    _key: PublishableKey,
    customer: AuthenticatedCustomer,
    State(state): State<AppState>,
    body: Result<Json<CreateReturnBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    if body.location_id.is_some() {
        return Err(ApiError::invalid_data(
            "location_id is for staff: the store chooses where a return goes",
        ));
    }
    let created = order_returns::request(
        &state.db,
        Requester::Customer(&customer.id),
        body.request()?,
    )
    .await?;
    Ok(one("return", OrderReturn::from(created)))
}

/// The signed-in customer's returns, newest first.
pub async fn list(
    _key: PublishableKey,
    customer: AuthenticatedCustomer,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<OrderReturn>>, ApiError> {
    let (offset, limit) = params.page()?;
    let filter = ReturnFilter {
        order_id: params.list("order_id")?,
        customer_id: Some(customer.id),
        ..Default::default()
    };
    let page = order_returns::list(&state.db, &filter, offset, limit).await?;
    Ok(Listing::of("returns", page, OrderReturn::from))
}

pub async fn retrieve(
    _key: PublishableKey,
    customer: AuthenticatedCustomer,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let found = order_returns::find_for_customer(&state.db, &customer.id, &id).await?;
    Ok(one("return", OrderReturn::from(found)))
}
