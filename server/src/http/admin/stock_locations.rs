//! `/admin/stock-locations`, and which sales channels they supply.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::channels::{self, NewStockLocation, stock_location};
use serde::{Deserialize, Serialize};

use super::{Deleted, LinkBatch, Listing, one};
use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

/// Medusa's `AdminStockLocation`, the address inline.
#[derive(Serialize)]
pub struct AdminStockLocation {
    id: String,
    name: String,
    address_id: Option<String>,
    address: Option<Address>,
    sales_channels: Vec<ChannelId>,
    metadata: Option<serde_json::Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize, Default)]
pub struct Address {
    address_1: Option<String>,
    city: Option<String>,
    postal_code: Option<String>,
    country_code: Option<String>,
}

#[derive(Serialize)]
struct ChannelId {
    id: String,
}

#[derive(Deserialize)]
pub struct StockLocationBody {
    name: Option<String>,
    address: Option<Address>,
}

pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminStockLocation>>, ApiError> {
    let (offset, limit) = params.page()?;
    let q = params.text("q")?;
    let page = channels::list_stock_location_page(&state.db, q.as_deref(), offset, limit).await?;
    let ids: Vec<String> = page.items.iter().map(|l| l.id.clone()).collect();
    let links = channels::channels_of_locations(&state.db, &ids).await?;
    Ok(Listing::of("stock_locations", page, |location| {
        let channels = links
            .iter()
            .filter(|l| l.stock_location_id == location.id)
            .map(|l| l.sales_channel_id.clone())
            .collect();
        AdminStockLocation::new(location, channels)
    }))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    location_response(&state, &id).await
}

pub async fn create(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<StockLocationBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let location = channels::create_stock_location(&state.db, body.into()).await?;
    location_response(&state, &location.id).await
}

pub async fn update(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<StockLocationBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    channels::update_stock_location(&state.db, &id, body.into()).await?;
    location_response(&state, &id).await
}

pub async fn delete(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    channels::delete_stock_location(&state.db, &id).await?;
    Ok(Deleted::of("stock_location", id))
}

/// Lets the location supply channels (`add`) or stop supplying them (`remove`).
pub async fn batch_sales_channels(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<LinkBatch>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(batch) = body?;
    for channel_id in &batch.remove {
        channels::unlink_stock_location(&state.db, channel_id, &id).await?;
    }
    for channel_id in &batch.add {
        channels::link_stock_location(&state.db, channel_id, &id).await?;
    }
    location_response(&state, &id).await
}

async fn location_response(
    state: &AppState,
    id: &str,
) -> Result<Json<serde_json::Value>, ApiError> {
    let location = channels::find_stock_location(&state.db, id).await?;
    let channels = channels::channels_of_locations(&state.db, &[id.to_owned()])
        .await?
        .into_iter()
        .map(|l| l.sales_channel_id)
        .collect();
    Ok(one(
        "stock_location",
        AdminStockLocation::new(location, channels),
    ))
}

impl AdminStockLocation {
    fn new(l: stock_location::Model, channel_ids: Vec<String>) -> Self {
        let has_address = l.address_1.is_some()
            || l.city.is_some()
            || l.postal_code.is_some()
            || l.country_code.is_some();
        Self {
            address_id: has_address.then(|| l.id.clone()),
            address: has_address.then_some(Address {
                address_1: l.address_1,
                city: l.city,
                postal_code: l.postal_code,
                country_code: l.country_code,
            }),
            id: l.id,
            name: l.name,
            sales_channels: channel_ids.into_iter().map(|id| ChannelId { id }).collect(),
            metadata: None,
            created_at: l.created_at,
            updated_at: l.updated_at,
            deleted_at: None,
        }
    }
}

/// A blank name keeps the current one on update (and is refused on create).
impl From<StockLocationBody> for NewStockLocation {
    fn from(body: StockLocationBody) -> Self {
        let address = body.address.unwrap_or_default();
        Self {
            name: body.name.unwrap_or_default(),
            address_1: address.address_1,
            city: address.city,
            postal_code: address.postal_code,
            country_code: address.country_code,
        }
    }
}
