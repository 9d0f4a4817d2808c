//! `/admin/inventory-items` and their levels per stock location;
//! `/admin/reservations`, the stock held for orders and by admins.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::{
    inventory::{
        self, ItemDetail, NewReservation, ReservationChanges, ReservationFilter, inventory_level,
        reservation,
    },
    paging::Page,
};
use serde::{Deserialize, Serialize};

use super::{Deleted, Listing, one, present};
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

/// Medusa's `AdminReservation`.
#[derive(Serialize)]
pub struct AdminReservation {
    id: String,
    inventory_item_id: String,
    location_id: String,
    quantity: i32,
    /// The cart or order line it holds stock for; `null` for an admin's.
    line_item_id: Option<String>,
    external_id: Option<String>,
    description: Option<String>,
    created_by: Option<String>,
    metadata: Option<serde_json::Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

impl From<reservation::Model> for AdminReservation {
    fn from(r: reservation::Model) -> Self {
        Self {
            updated_at: r.updated_at.unwrap_or(r.created_at),
            id: r.id,
            inventory_item_id: r.inventory_item_id,
            location_id: r.location_id,
            quantity: r.quantity,
            line_item_id: r.line_item_id,
            external_id: r.external_id,
            description: r.description,
            created_by: r.created_by,
            metadata: None,
            created_at: r.created_at,
            deleted_at: None,
        }
    }
}

/// Medusa's create-reservation body. Stock for an order's line is held by
/// its checkout, so `line_item_id` is refused here.
#[derive(Deserialize)]
pub struct CreateReservation {
    inventory_item_id: String,
    location_id: String,
    quantity: i32,
    description: Option<String>,
    line_item_id: Option<String>,
}

#[derive(Deserialize)]
pub struct UpdateReservation {
    quantity: Option<i32>,
    location_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
}

/// `GET /admin/reservations?inventory_item_id=&location_id=&line_item_id=&offset=&limit=`
pub async fn list_reservations(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminReservation>>, ApiError> {
    let (offset, limit) = params.page()?;
    let filter = ReservationFilter {
        inventory_item_id: params.text("inventory_item_id")?,
        location_id: params.text("location_id")?,
        line_item_id: params.text("line_item_id")?,
    };
    let page = inventory::list_reservations(&state.db, &filter, offset, limit).await?;
    Ok(Listing::of("reservations", page, AdminReservation::from))
}

pub async fn retrieve_reservation(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let found = inventory::find_reservation(&state.db, &id).await?;
    Ok(one("reservation", AdminReservation::from(found)))
}

/// Holds stock by hand (a phone order, a display), if the location has it.
pub async fn create_reservation(
    admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<CreateReservation>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    if body.line_item_id.is_some() {
        return Err(domain::DomainError::NotAllowed(
            "stock for an order's line is reserved by its checkout; leave out line_item_id".into(),
        )
        .into());
    }
    let held = inventory::reserve(
        &state.db,
        NewReservation {
            inventory_item_id: body.inventory_item_id,
            location_id: body.location_id,
            quantity: body.quantity,
            description: body.description,
            created_by: Some(admin.id),
            ..Default::default()
        },
    )
    .await?;
    Ok(one("reservation", AdminReservation::from(held)))
}

pub async fn update_reservation(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<UpdateReservation>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let changes = ReservationChanges {
        quantity: body.quantity,
        location_id: body.location_id,
        description: body.description,
    };
    let updated = inventory::update_reservation(&state.db, &id, changes).await?;
    Ok(one("reservation", AdminReservation::from(updated)))
}

/// Gives an admin's reservation back to the location.
pub async fn delete_reservation(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    inventory::delete_reservation(&state.db, &id).await?;
    Ok(Deleted::of("reservation", id))
}
