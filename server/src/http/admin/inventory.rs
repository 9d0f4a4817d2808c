//! `/admin/inventory-items` and their levels per stock location.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::{
    inventory::{self, ItemDetail, inventory_level},
    paging::Page,
};
use serde::{Deserialize, Serialize};

use super::{Deleted, Listing, one};
use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

/// Medusa's `AdminInventoryItem`, with its levels and totals over locations.
#[derive(Serialize)]
pub struct AdminInventoryItem {
    id: String,
    sku: Option<String>,
    variant_id: String,
    requires_shipping: bool,
    stocked_quantity: i64,
    reserved_quantity: i64,
    location_levels: Vec<AdminLevel>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

/// Medusa's `AdminInventoryLevel`.
#[derive(Serialize)]
pub struct AdminLevel {
    id: String,
    inventory_item_id: String,
    location_id: String,
    stocked_quantity: i32,
    reserved_quantity: i32,
    incoming_quantity: i32,
    available_quantity: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Deserialize)]
pub struct CreateLevel {
    location_id: String,
    #[serde(default)]
    stocked_quantity: i32,
}

#[derive(Deserialize)]
pub struct UpdateLevel {
    stocked_quantity: i32,
}

pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminInventoryItem>>, ApiError> {
    let (offset, limit) = params.page()?;
    let sku = params.text("sku")?.or(params.text("q")?);
    let page = inventory::list_items(&state.db, sku.as_deref(), offset, limit).await?;
    Ok(Listing::of(
        "inventory_items",
        page,
        AdminInventoryItem::from,
    ))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    item_response(&state, &id).await
}

pub async fn list_levels(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Listing<AdminLevel>>, ApiError> {
    let (offset, limit) = params.page()?;
    domain::catalog::check_page_size(limit)?;
    let levels = inventory::find_item(&state.db, &id).await?.levels;
    let count = levels.len() as u64;
    let items = levels
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    let page = Page {
        items,
        count,
        offset,
        limit,
    };
    Ok(Listing::of("inventory_levels", page, AdminLevel::from))
}

/// Stocks the item at a location (Medusa's create level).
pub async fn create_level(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<CreateLevel>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    inventory::set_stocked(&state.db, &id, &body.location_id, body.stocked_quantity).await?;
    item_response(&state, &id).await
}

/// Sets the stocked quantity at a location; never below what is reserved there.
pub async fn update_level(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path((id, location_id)): Path<(String, String)>,
    body: Result<Json<UpdateLevel>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    inventory::set_stocked(&state.db, &id, &location_id, body.stocked_quantity).await?;
    item_response(&state, &id).await
}

pub async fn delete_level(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path((id, location_id)): Path<(String, String)>,
) -> Result<Json<Deleted>, ApiError> {
    inventory::delete_level(&state.db, &id, &location_id).await?;
    Ok(Deleted::of(
        "inventory-level",
        format!("{id}:{location_id}"),
    ))
}

async fn item_response(state: &AppState, id: &str) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(one(
        "inventory_item",
        AdminInventoryItem::from(inventory::find_item(&state.db, id).await?),
    ))
}

impl From<ItemDetail> for AdminInventoryItem {
    fn from(detail: ItemDetail) -> Self {
        let item = detail.item;
        Self {
            stocked_quantity: detail
                .levels
                .iter()
                .map(|l| i64::from(l.stocked_quantity))
                .sum(),
            reserved_quantity: detail
                .levels
                .iter()
                .map(|l| i64::from(l.reserved_quantity))
                .sum(),
            location_levels: detail.levels.into_iter().map(AdminLevel::from).collect(),
            id: item.id,
            sku: item.sku,
            variant_id: item.variant_id,
            requires_shipping: true,
            created_at: item.created_at,
            updated_at: item.updated_at,
            deleted_at: None,
        }
    }
}

impl From<inventory_level::Model> for AdminLevel {
    fn from(l: inventory_level::Model) -> Self {
        Self {
            id: format!("{}:{}", l.inventory_item_id, l.location_id),
            available_quantity: l.available_quantity(),
            inventory_item_id: l.inventory_item_id,
            location_id: l.location_id,
            stocked_quantity: l.stocked_quantity,
            reserved_quantity: l.reserved_quantity,
            incoming_quantity: 0,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}
