//! Inventory: an item per variant, levels per stock location (stocked and
//! reserved), and reservations held for line items.
//!
//! Nothing here ever goes negative, under any concurrency: every change to a
//! level is one conditional `UPDATE` whose `WHERE` re-checks the rule in the
//! database (`stocked - reserved >= wanted`), never a read followed by a write.

pub mod inventory_item;
pub mod inventory_level;
pub mod reservation;

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionSession,
    sea_query::{Expr, ExprTrait},
};

use crate::{DomainError, catalog::variant, channels, ids::new_id};

use inventory_level::Column as Level;

/// Creates the inventory item of a variant, carrying the variant's SKU.
pub async fn create_item(
    db: &impl ConnectionTrait,
    variant_id: &str,
) -> Result<inventory_item::Model, DomainError> {
    let variant = variant::Entity::find_by_id(variant_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Variant", variant_id))?;
    if find_item_by_variant(db, variant_id).await?.is_some() {
        return Err(DomainError::Conflict(format!(
            "variant {variant_id} already has an inventory item"
        )));
    }
    let now = Utc::now();
    Ok(inventory_item::ActiveModel {
        id: Set(new_id("iitem")),
        sku: Set(variant.sku),
        variant_id: Set(variant.id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

pub async fn find_item_by_variant(
    db: &impl ConnectionTrait,
    variant_id: &str,
) -> Result<Option<inventory_item::Model>, DomainError> {
    Ok(inventory_item::Entity::find()
        .filter(inventory_item::Column::VariantId.eq(variant_id))
        .one(db)
        .await?)
}

/// The level of an item at a location.
pub async fn level(
    db: &impl ConnectionTrait,
    item_id: &str,
    location_id: &str,
) -> Result<inventory_level::Model, DomainError> {
    inventory_level::Entity::find_by_id((item_id.to_owned(), location_id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| {
            DomainError::not_found("Inventory level", format!("{item_id} at {location_id}"))
        })
}

/// Sets how many units of an item a location holds. It cannot drop below what
/// is already reserved there.
pub async fn set_stocked(
    db: &impl ConnectionTrait,
    item_id: &str,
    location_id: &str,
    quantity: i32,
) -> Result<inventory_level::Model, DomainError> {
    if quantity < 0 {
        return Err(DomainError::Invalid(format!(
            "a stocked quantity cannot be negative (got {quantity})"
        )));
    }
    ensure_level(db, item_id, location_id).await?;
    let updated = inventory_level::Entity::update_many()
        .col_expr(Level::StockedQuantity, Expr::value(quantity))
        .col_expr(Level::UpdatedAt, Expr::value(Utc::now()))
        .filter(Level::InventoryItemId.eq(item_id))
        .filter(Level::LocationId.eq(location_id))
        .filter(Expr::col(Level::ReservedQuantity).lte(quantity))
        .exec(db)
        .await?;
    let level = level(db, item_id, location_id).await?;
    if updated.rows_affected == 0 {
        return Err(below_reserved(&level, quantity));
    }
    Ok(level)
}

/// Adds `delta` (negative to remove) to what a location holds. The result
/// can go neither below zero nor below what is reserved.
pub async fn adjust_stocked(
    db: &impl ConnectionTrait,
    item_id: &str,
    location_id: &str,
    delta: i32,
) -> Result<inventory_level::Model, DomainError> {
    both_exist(db, item_id, location_id).await?;
    let added = add_to_stocked(db, item_id, location_id, delta).await?;
    let level = level(db, item_id, location_id).await?;
    if !added {
        return Err(below_reserved(
            &level,
            i64::from(level.stocked_quantity) + i64::from(delta),
        ));
    }
    Ok(level)
}

/// [`adjust_stocked`] for an item and a location known to exist (their
/// foreign keys refuse any other), without reading anything: whether the
/// count changed. It does not when it would fall below what is reserved.
pub async fn add_to_stocked(
    db: &impl ConnectionTrait,
    item_id: &str,
    location_id: &str,
    delta: i32,
) -> Result<bool, DomainError> {
    insert_empty_level(db, item_id, location_id).await?;
    let updated = inventory_level::Entity::update_many()
        .col_expr(
            Level::StockedQuantity,
            Expr::col(Level::StockedQuantity).add(delta),
        )
        .col_expr(Level::UpdatedAt, Expr::value(Utc::now()))
        .filter(Level::InventoryItemId.eq(item_id))
        .filter(Level::LocationId.eq(location_id))
        .filter(
            Expr::col(Level::StockedQuantity)
                .add(delta)
                .gte(Expr::col(Level::ReservedQuantity)),
        )
        .exec(db)
        .await?;
    Ok(updated.rows_affected > 0)
}

fn below_reserved(level: &inventory_level::Model, wanted: impl std::fmt::Display) -> DomainError {
    DomainError::Invalid(format!(
        "the stocked quantity of {} at {} cannot become {wanted}: {} stocked, {} reserved",
        level.inventory_item_id, level.location_id, level.stocked_quantity, level.reserved_quantity
    ))
}

/// Creates an empty level, unless the item already has one at the location.
async fn ensure_level(
    db: &impl ConnectionTrait,
    item_id: &str,
    location_id: &str,
) -> Result<(), DomainError> {
    both_exist(db, item_id, location_id).await?;
    insert_empty_level(db, item_id, location_id).await
}

/// Not found, naming which, unless the item and the location both exist.
async fn both_exist(
    db: &impl ConnectionTrait,
    item_id: &str,
    location_id: &str,
) -> Result<(), DomainError> {
    inventory_item::Entity::find_by_id(item_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Inventory item", item_id))?;
    channels::find_stock_location(db, location_id).await?;
    Ok(())
}

async fn insert_empty_level(
    db: &impl ConnectionTrait,
    item_id: &str,
    location_id: &str,
) -> Result<(), DomainError> {
    let now = Utc::now();
    inventory_level::Entity::insert(inventory_level::ActiveModel {
        inventory_item_id: Set(item_id.to_owned()),
        location_id: Set(location_id.to_owned()),
        stocked_quantity: Set(0),
        reserved_quantity: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict_do_nothing()
    .exec(db)
    .await?;
    Ok(())
}

/// What to reserve, and for what.
#[derive(Debug, Clone, Default)]
pub struct NewReservation {
    pub inventory_item_id: String,
    pub location_id: String,
    pub quantity: i32,
    pub line_item_id: Option<String>,
    pub external_id: Option<String>,
    /// Why it is held (an admin's reservation).
    pub description: Option<String>,
    /// The admin user who made it.
    pub created_by: Option<String>,
}

/// Holds `quantity` units at a location, or fails with an "out of stock"
/// error when fewer are available there.
pub async fn reserve(
    db: &impl crate::db::Writable,
    new: NewReservation,
) -> Result<reservation::Model, DomainError> {
    if new.quantity <= 0 {
        return Err(DomainError::Invalid(format!(
            "a reservation needs a positive quantity (got {})",
            new.quantity
        )));
    }
    let description = crate::text::optional(
        new.description.as_deref(),
        "a reservation's description",
        crate::text::DESCRIPTION_CHARS,
    )?;
    let txn = crate::db::begin_write(db).await?;
    let now = Utc::now();
    let reserved = inventory_level::Entity::update_many()
        .col_expr(
            Level::ReservedQuantity,
            Expr::col(Level::ReservedQuantity).add(new.quantity),
        )
        .col_expr(Level::UpdatedAt, Expr::value(now))
        .filter(Level::InventoryItemId.eq(&new.inventory_item_id))
        .filter(Level::LocationId.eq(&new.location_id))
        .filter(
            Expr::col(Level::StockedQuantity)
                .sub(Expr::col(Level::ReservedQuantity))
                .gte(new.quantity),
        )
        .exec(&txn)
        .await?;
    if reserved.rows_affected == 0 {
        let level = level(&txn, &new.inventory_item_id, &new.location_id).await?;
        return Err(DomainError::Invalid(format!(
            "{} is out of stock at {}: {} requested, {} available",
            level.inventory_item_id,
            level.location_id,
            new.quantity,
            level.available_quantity()
        )));
    }
    let reservation = reservation::ActiveModel {
        id: Set(new_id("resitem")),
        inventory_item_id: Set(new.inventory_item_id),
        location_id: Set(new.location_id),
        quantity: Set(new.quantity),
        line_item_id: Set(new.line_item_id),
        external_id: Set(new.external_id),
        description: Set(description),
        created_by: Set(new.created_by),
        created_at: Set(now),
        updated_at: Set(Some(now)),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(reservation)
}

/// Gives a reservation's units back. Releasing one that is gone (released
/// or fulfilled already) does nothing and answers `false`.
pub async fn release(
    db: &impl crate::db::Writable,
    reservation_id: &str,
) -> Result<bool, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let Some(reservation) = take_reservation(&txn, reservation_id).await? else {
        return Ok(false);
    };
    let quantity = reservation.quantity;
    apply_to_level(
        &txn,
        &reservation,
        [(
            Level::ReservedQuantity,
            Expr::col(Level::ReservedQuantity).sub(quantity),
        )],
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// The reserved units leave the location (sold, vended, shipped): stocked and
/// reserved drop together, so what is available stays the same.
pub async fn fulfil(
    db: &impl crate::db::Writable,
    reservation_id: &str,
) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let reservation = take_reservation(&txn, reservation_id)
        .await?
        .ok_or_else(|| DomainError::not_found("Reservation", reservation_id))?;
    let quantity = reservation.quantity;
    apply_to_level(
        &txn,
        &reservation,
        [
            (
                Level::StockedQuantity,
                Expr::col(Level::StockedQuantity).sub(quantity),
            ),
            (
                Level::ReservedQuantity,
                Expr::col(Level::ReservedQuantity).sub(quantity),
            ),
        ],
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Which reservations to list; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct ReservationFilter {
    pub inventory_item_id: Option<String>,
    pub location_id: Option<String>,
    pub line_item_id: Option<String>,
}

/// Reservations, newest first, one page at a time.
pub async fn list_reservations(
    db: &impl ConnectionTrait,
    filter: &ReservationFilter,
    offset: u64,
    limit: u64,
) -> Result<crate::paging::Page<reservation::Model>, DomainError> {
    use sea_orm::QueryOrder;
    crate::catalog::check_page_size(limit)?;
    let mut select = reservation::Entity::find();
    if let Some(item) = &filter.inventory_item_id {
        select = select.filter(reservation::Column::InventoryItemId.eq(item));
    }
    if let Some(location) = &filter.location_id {
        select = select.filter(reservation::Column::LocationId.eq(location));
    }
    if let Some(line) = &filter.line_item_id {
        select = select.filter(reservation::Column::LineItemId.eq(line));
    }
    let select = select
        .order_by_desc(reservation::Column::CreatedAt)
        .order_by_desc(reservation::Column::Id);
    crate::paging::page_of(db, select, offset, limit).await
}

pub async fn find_reservation(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<reservation::Model, DomainError> {
    reservation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Reservation", id))
}

/// What an admin may change of a reservation they made.
#[derive(Debug, Clone, Default)]
pub struct ReservationChanges {
    pub quantity: Option<i32>,
    /// Only the location it is at: a reservation does not move.
    pub location_id: Option<String>,
    /// `Some(None)` clears it.
    pub description: Option<Option<String>>,
}

/// Changes a reservation made by hand: more units only while the location
/// has them available. One held for an order changes with the order.
pub async fn update_reservation(
    db: &impl crate::db::Writable,
    id: &str,
    changes: ReservationChanges,
) -> Result<reservation::Model, DomainError> {
    let description = match &changes.description {
        Some(text) => Some(crate::text::optional(
            text.as_deref(),
            "a reservation's description",
            crate::text::DESCRIPTION_CHARS,
        )?),
        None => None,
    };
    if let Some(quantity) = changes.quantity
        && quantity <= 0
    {
        return Err(DomainError::Invalid(format!(
            "a reservation needs a positive quantity (got {quantity}); delete it to give the units back"
        )));
    }
    let txn = crate::db::begin_write(db).await?;
    let held = find_reservation(&txn, id).await?;
    refuse_if_for_an_order(&held)?;
    if let Some(location) = &changes.location_id
        && *location != held.location_id
    {
        return Err(DomainError::NotAllowed(format!(
            "a reservation stays at its location ({}); delete it and reserve at {location} instead",
            held.location_id
        )));
    }
    let now = Utc::now();
    if let Some(quantity) = changes.quantity {
        let more = quantity - held.quantity;
        let mut update = inventory_level::Entity::update_many()
            .col_expr(
                Level::ReservedQuantity,
                Expr::col(Level::ReservedQuantity).add(more),
            )
            .col_expr(Level::UpdatedAt, Expr::value(now))
            .filter(Level::InventoryItemId.eq(&held.inventory_item_id))
            .filter(Level::LocationId.eq(&held.location_id));
        if more > 0 {
            update = update.filter(
                Expr::col(Level::StockedQuantity)
                    .sub(Expr::col(Level::ReservedQuantity))
                    .gte(more),
            );
        }
        if update.exec(&txn).await?.rows_affected == 0 {
            let level = level(&txn, &held.inventory_item_id, &held.location_id).await?;
            return Err(DomainError::Invalid(format!(
                "{} more of {} are not available at {}: {} available",
                more,
                held.inventory_item_id,
                held.location_id,
                level.available_quantity()
            )));
        }
    }
    let mut active: reservation::ActiveModel = held.into();
    if let Some(quantity) = changes.quantity {
        active.quantity = Set(quantity);
    }
    if let Some(description) = description {
        active.description = Set(description);
    }
    active.updated_at = Set(Some(now));
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes a reservation made by hand, giving its units back.
pub async fn delete_reservation(
    db: &impl crate::db::Writable,
    id: &str,
) -> Result<(), DomainError> {
    let held = find_reservation(db, id).await?;
    refuse_if_for_an_order(&held)?;
    if !release(db, id).await? {
        return Err(DomainError::not_found("Reservation", id));
    }
    Ok(())
}

fn refuse_if_for_an_order(held: &reservation::Model) -> Result<(), DomainError> {
    if held.for_an_order() {
        return Err(DomainError::NotAllowed(format!(
            "reservation {} holds stock for an order's line {}; it goes when the order is fulfilled or canceled",
            held.id,
            held.line_item_id.as_deref().unwrap_or_default()
        )));
    }
    Ok(())
}

/// Deletes a reservation and returns it, or `None` when it is gone already.
/// One `DELETE … RETURNING`, so two concurrent takers cannot both win (and
/// SQLite never has to upgrade a read lock to a write lock).
async fn take_reservation(
    db: &impl ConnectionTrait,
    reservation_id: &str,
) -> Result<Option<reservation::Model>, DomainError> {
    Ok(reservation::Entity::delete_many()
        .filter(reservation::Column::Id.eq(reservation_id))
        .exec_with_returning(db)
        .await?
        .pop())
}

async fn apply_to_level(
    db: &impl ConnectionTrait,
    reservation: &reservation::Model,
    changes: impl IntoIterator<Item = (Level, Expr)>,
) -> Result<(), DomainError> {
    let mut update = inventory_level::Entity::update_many()
        .col_expr(Level::UpdatedAt, Expr::value(Utc::now()))
        .filter(Level::InventoryItemId.eq(&reservation.inventory_item_id))
        .filter(Level::LocationId.eq(&reservation.location_id));
    for (column, value) in changes {
        update = update.col_expr(column, value);
    }
    update.exec(db).await?;
    Ok(())
}

/// The variants among `variant_ids` whose stock is managed (they have an
/// inventory item).
pub async fn managed_variants(
    db: &impl ConnectionTrait,
    variant_ids: &[String],
) -> Result<HashSet<String>, DomainError> {
    Ok(inventory_item::Entity::find()
        .filter(inventory_item::Column::VariantId.is_in(variant_ids.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|item| item.variant_id)
        .collect())
}

/// Units available (stocked − reserved) of each managed variant among
/// `variant_ids`, summed over the stock locations of `channel_ids`.
/// Unmanaged variants are absent; managed ones without stock there answer 0.
pub async fn available_in_channels(
    db: &impl ConnectionTrait,
    variant_ids: &[String],
    channel_ids: &[String],
) -> Result<HashMap<String, i64>, DomainError> {
    let items = inventory_item::Entity::find()
        .filter(inventory_item::Column::VariantId.is_in(variant_ids.iter().cloned()))
        .all(db)
        .await?;
    let locations = channels::stock_location_ids(db, channel_ids).await?;
    let levels = inventory_level::Entity::find()
        .filter(Level::InventoryItemId.is_in(items.iter().map(|i| i.id.clone())))
        .filter(Level::LocationId.is_in(locations))
        .all(db)
        .await?;
    let mut by_item: HashMap<String, i64> = HashMap::new();
    for level in levels {
        *by_item.entry(level.inventory_item_id.clone()).or_default() +=
            i64::from(level.available_quantity());
    }
    Ok(items
        .into_iter()
        .map(|item| (item.variant_id, by_item.get(&item.id).copied().unwrap_or(0)))
        .collect())
}

/// Units of a variant available in a sales channel; `None` when its stock is
/// not managed.
pub async fn variant_availability(
    db: &impl ConnectionTrait,
    variant_id: &str,
    channel_id: &str,
) -> Result<Option<i64>, DomainError> {
    channels::find_sales_channel(db, channel_id).await?;
    let ids = [variant_id.to_owned()];
    Ok(available_in_channels(db, &ids, &[channel_id.to_owned()])
        .await?
        .remove(variant_id))
}

/// Units reserved of the variants among `variant_ids`, over every location.
pub async fn reserved_units(
    db: &impl ConnectionTrait,
    variant_ids: &[String],
) -> Result<i64, DomainError> {
    let items = inventory_item::Entity::find()
        .filter(inventory_item::Column::VariantId.is_in(variant_ids.iter().cloned()))
        .all(db)
        .await?;
    Ok(inventory_level::Entity::find()
        .filter(Level::InventoryItemId.is_in(items.into_iter().map(|i| i.id)))
        .all(db)
        .await?
        .iter()
        .map(|level| i64::from(level.reserved_quantity))
        .sum())
}

/// Stops tracking a variant's stock; refused while units of it are reserved.
pub async fn delete_item(db: &impl ConnectionTrait, item_id: &str) -> Result<(), DomainError> {
    let levels = levels_of(db, item_id).await?;
    if levels.iter().any(|l| l.reserved_quantity > 0) {
        return Err(DomainError::Conflict(format!(
            "units of {item_id} are reserved; release them first"
        )));
    }
    inventory_item::Entity::delete_by_id(item_id)
        .exec(db)
        .await?;
    Ok(())
}

/// An item with its levels, by location.
#[derive(Debug, Clone)]
pub struct ItemDetail {
    pub item: inventory_item::Model,
    pub levels: Vec<inventory_level::Model>,
}

/// Inventory items, by SKU, one page at a time; `q` matches the SKU.
pub async fn list_items(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<crate::paging::Page<ItemDetail>, DomainError> {
    use sea_orm::{PaginatorTrait, QueryOrder, QuerySelect};
    crate::catalog::check_page_size(limit)?;
    let mut select = inventory_item::Entity::find();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(inventory_item::Column::Sku.contains(q));
    }
    let count = select.clone().count(db).await?;
    let items = select
        .order_by_asc(inventory_item::Column::Sku)
        .order_by_asc(inventory_item::Column::Id)
        .offset(crate::paging::row_offset(offset))
        .limit(limit)
        .all(db)
        .await?;
    let mut levels: HashMap<String, Vec<inventory_level::Model>> = HashMap::new();
    for level in inventory_level::Entity::find()
        .filter(Level::InventoryItemId.is_in(items.iter().map(|i| i.id.clone())))
        .all(db)
        .await?
    {
        levels
            .entry(level.inventory_item_id.clone())
            .or_default()
            .push(level);
    }
    Ok(crate::paging::Page {
        items: items
            .into_iter()
            .map(|item| ItemDetail {
                levels: levels.remove(&item.id).unwrap_or_default(),
                item,
            })
            .collect(),
        count,
        offset,
        limit,
    })
}

pub async fn find_item(
    db: &impl ConnectionTrait,
    item_id: &str,
) -> Result<ItemDetail, DomainError> {
    let item = inventory_item::Entity::find_by_id(item_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Inventory item", item_id))?;
    Ok(ItemDetail {
        levels: levels_of(db, item_id).await?,
        item,
    })
}

/// An item's levels, by location id.
pub async fn levels_of(
    db: &impl ConnectionTrait,
    item_id: &str,
) -> Result<Vec<inventory_level::Model>, DomainError> {
    use sea_orm::QueryOrder;
    Ok(inventory_level::Entity::find()
        .filter(Level::InventoryItemId.eq(item_id))
        .order_by_asc(Level::LocationId)
        .all(db)
        .await?)
}

/// Stops stocking an item at a location; refused while units are reserved there.
pub async fn delete_level(
    db: &impl ConnectionTrait,
    item_id: &str,
    location_id: &str,
) -> Result<(), DomainError> {
    let level = level(db, item_id, location_id).await?;
    if level.reserved_quantity > 0 {
        return Err(below_reserved(&level, 0));
    }
    inventory_level::Entity::delete_by_id((item_id.to_owned(), location_id.to_owned()))
        .exec(db)
        .await?;
    Ok(())
}

/// The item whose SKU is `sku` (as typed: trimmed, exact).
pub async fn find_item_by_sku(
    db: &impl ConnectionTrait,
    sku: &str,
) -> Result<inventory_item::Model, DomainError> {
    let sku = sku.trim();
    inventory_item::Entity::find()
        .filter(inventory_item::Column::Sku.eq(sku))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Inventory item with SKU", sku))
}

/// What people call each item among `item_ids`: its SKU (if any) and
/// "Product — Variant".
pub async fn item_labels(
    db: &impl ConnectionTrait,
    item_ids: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, (Option<String>, String)>, DomainError> {
    let items = inventory_item::Entity::find()
        .filter(inventory_item::Column::Id.is_in(item_ids))
        .all(db)
        .await?;
    let mut labels =
        crate::catalog::variant_labels(db, items.iter().map(|i| i.variant_id.clone())).await?;
    Ok(items
        .into_iter()
        .map(|item| {
            let label = labels.remove(&item.variant_id).unwrap_or_default();
            (item.id, (item.sku, label))
        })
        .collect())
}

/// The inventory item id of each managed variant among `variant_ids`.
pub async fn items_by_variant(
    db: &impl ConnectionTrait,
    variant_ids: &[String],
) -> Result<HashMap<String, String>, DomainError> {
    Ok(inventory_item::Entity::find()
        .filter(inventory_item::Column::VariantId.is_in(variant_ids.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|item| (item.variant_id, item.id))
        .collect())
}
