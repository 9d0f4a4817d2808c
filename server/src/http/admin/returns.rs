//! `/admin/returns`: returns of sent orders, received into a stock location
//! and refunded. Medusa builds a return in several steps (request, items,
//! confirm; receive, items, confirm); here a return is recorded with its
//! items in one request and received whole in one.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State, rejection::JsonRejection},
};
use domain::{
    returns::order_returns::{self, Requester, ReturnFilter},
    states,
};
use serde::Deserialize;

use super::{Listing, one, optional_body};
use crate::{
    http::{
        auth::AuthenticatedAdmin,
        error::ApiError,
        params::Params,
        store::returns::{CreateReturnBody, OrderReturn},
    },
    state::AppState,
};

pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<OrderReturn>>, ApiError> {
    let (offset, limit) = params.page()?;
    let filter = ReturnFilter {
        order_id: params.list("order_id")?,
        status: params
            .list("status")?
            .iter()
            .map(|s| states::parse(s, "a return status (requested, received or canceled)"))
            .collect::<Result<_, _>>()?,
        customer_id: None,
    };
    let page = order_returns::list(&state.db, &filter, offset, limit).await?;
    Ok(Listing::of("returns", page, OrderReturn::from))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let found = order_returns::find(&state.db, &id).await?;
    Ok(one("return", OrderReturn::from(found)))
}

pub async fn create(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<CreateReturnBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let created = order_returns::request(&state.db, Requester::Staff, body.request()?).await?;
    Ok(one("return", OrderReturn::from(created)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReceiveBody {
    location_id: Option<String>,
    #[allow(dead_code)]
    internal_note: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    #[allow(dead_code)]
    metadata: Option<serde_json::Value>,
}

/// `POST /admin/returns/{id}/receive`: every item back, stock restored, the
/// refund asked of the provider.
pub async fn receive(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let body: ReceiveBody = optional_body(&body)?;
    let received =
        order_returns::receive(&state.db, &state.payment_providers, &id, body.location_id).await?;
    Ok(one("return", OrderReturn::from(received)))
}

pub async fn cancel(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let canceled = order_returns::cancel(&state.db, &id).await?;
    Ok(one("return", OrderReturn::from(canceled)))
}
