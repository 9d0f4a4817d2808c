//! Shipping options: how an order reaches the shopper (delivery, or pickup
//! at a vending machine), per region and at a flat amount; each serves a
//! shipping profile, and an admin may keep one back from the store.

pub mod profiles;
pub mod shipping_option;
pub mod shipping_profile;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession,
};

pub use profiles::{DEFAULT_PROFILE_ID, ProfileFields};

use crate::{
    DomainError, carts, channels,
    error::referenced,
    ids::new_id,
    paging::{Page, page_of},
    pricing, text,
};

#[derive(Debug, Clone)]
pub struct NewShippingOption {
    pub name: String,
    pub region_id: String,
    pub amount: i64,
    pub stock_location_id: Option<String>,
    /// The default profile when absent.
    pub shipping_profile_id: Option<String>,
    pub enabled_in_store: bool,
}

/// What an admin may change of an option; `None` leaves a field as it is.
/// The region and the pickup location stay: a different one is a new option.
#[derive(Debug, Clone, Default)]
pub struct OptionChanges {
    pub name: Option<String>,
    pub amount: Option<i64>,
    pub shipping_profile_id: Option<String>,
    pub enabled_in_store: Option<bool>,
}

/// Which options an admin list shows; every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct OptionFilter {
    pub region_id: Option<String>,
    pub stock_location_id: Option<String>,
    pub shipping_profile_id: Option<String>,
    pub q: Option<String>,
}

pub async fn create_option(
    db: &impl ConnectionTrait,
    new: NewShippingOption,
) -> Result<shipping_option::Model, DomainError> {
    let name = option_name(&new.name)?;
    check_amount(new.amount)?;
    referenced(
        pricing::find_region(db, &new.region_id).await,
        "region",
        &new.region_id,
    )?;
    if let Some(location) = &new.stock_location_id {
        referenced(
            channels::find_stock_location(db, location).await,
            "stock location",
            location,
        )?;
    }
    let profile_id = new
        .shipping_profile_id
        .unwrap_or_else(|| DEFAULT_PROFILE_ID.to_owned());
    referenced(
        profiles::find_profile(db, &profile_id).await,
        "shipping profile",
        &profile_id,
    )?;
    let now = Utc::now();
    Ok(shipping_option::ActiveModel {
        id: Set(new_id("so")),
        name: Set(name),
        region_id: Set(new.region_id),
        amount: Set(new.amount),
        stock_location_id: Set(new.stock_location_id),
        shipping_profile_id: Set(profile_id),
        enabled_in_store: Set(new.enabled_in_store),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

/// Changes an option. Carts that chose it keep the amount they were offered
/// (like a line keeps its price); one kept back from the store leaves the
/// open carts that chose it, whose shoppers choose again.
pub async fn update_option(
    db: &impl crate::db::Writable,
    id: &str,
    changes: OptionChanges,
) -> Result<shipping_option::Model, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let mut option = find_option(&txn, id).await?.into_active_model();
    if let Some(name) = &changes.name {
        option.name = Set(option_name(name)?);
    }
    if let Some(amount) = changes.amount {
        check_amount(amount)?;
        option.amount = Set(amount);
    }
    if let Some(profile_id) = changes.shipping_profile_id {
        referenced(
            profiles::find_profile(&txn, &profile_id).await,
            "shipping profile",
            &profile_id,
        )?;
        option.shipping_profile_id = Set(profile_id);
    }
    if let Some(enabled) = changes.enabled_in_store {
        if !enabled {
            carts::drop_shipping_option(&txn, id).await?;
        }
        option.enabled_in_store = Set(enabled);
    }
    option.updated_at = Set(Utc::now());
    let option = option.update(&txn).await?;
    txn.commit().await?;
    Ok(option)
}

/// Deletes an option; the open carts that chose it choose again. Orders
/// keep the name and amount they were placed with.
pub async fn delete_option(db: &impl crate::db::Writable, id: &str) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    find_option(&txn, id).await?;
    carts::drop_shipping_option(&txn, id).await?;
    shipping_option::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes every option of a region, inside the caller's transaction.
pub(crate) async fn delete_options_of_region(
    db: &impl ConnectionTrait,
    region_id: &str,
) -> Result<(), DomainError> {
    let options: Vec<String> = shipping_option::Entity::find()
        .select_only()
        .column(shipping_option::Column::Id)
        .filter(shipping_option::Column::RegionId.eq(region_id))
        .into_tuple()
        .all(db)
        .await?;
    for option in &options {
        carts::drop_shipping_option(db, option).await?;
    }
    shipping_option::Entity::delete_many()
        .filter(shipping_option::Column::RegionId.eq(region_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn find_option(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<shipping_option::Model, DomainError> {
    shipping_option::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Shipping option", id))
}

/// The options offered to shoppers in a region, cheapest first. A cart
/// without a region has none.
pub async fn options_in_region(
    db: &impl ConnectionTrait,
    region_id: Option<&str>,
) -> Result<Vec<shipping_option::Model>, DomainError> {
    let Some(region_id) = region_id else {
        return Ok(Vec::new());
    };
    Ok(shipping_option::Entity::find()
        .filter(shipping_option::Column::RegionId.eq(region_id))
        .filter(shipping_option::Column::EnabledInStore.eq(true))
        .order_by_asc(shipping_option::Column::Amount)
        .order_by_asc(shipping_option::Column::Name)
        .order_by_asc(shipping_option::Column::Id)
        .all(db)
        .await?)
}

/// Every option, offered or kept back, for admins: by region, then cheapest.
pub async fn list_option_page(
    db: &impl ConnectionTrait,
    filter: &OptionFilter,
    offset: u64,
    limit: u64,
) -> Result<Page<shipping_option::Model>, DomainError> {
    let mut condition = Condition::all();
    if let Some(region) = &filter.region_id {
        condition = condition.add(shipping_option::Column::RegionId.eq(region));
    }
    if let Some(location) = &filter.stock_location_id {
        condition = condition.add(shipping_option::Column::StockLocationId.eq(location));
    }
    if let Some(profile) = &filter.shipping_profile_id {
        condition = condition.add(shipping_option::Column::ShippingProfileId.eq(profile));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        condition = condition.add(crate::db::contains_ignoring_case(
            shipping_option::Column::Name,
            q,
        ));
    }
    let select = shipping_option::Entity::find()
        .filter(condition)
        .order_by_asc(shipping_option::Column::RegionId)
        .order_by_asc(shipping_option::Column::Amount)
        .order_by_asc(shipping_option::Column::Name)
        .order_by_asc(shipping_option::Column::Id);
    page_of(db, select, offset, limit).await
}

fn option_name(name: &str) -> Result<String, DomainError> {
    text::required(
        name,
        "a shipping option's name",
        text::NAME_CHARS,
        "a shipping option needs a name",
    )
}

fn check_amount(amount: i64) -> Result<(), DomainError> {
    if amount < 0 {
        return Err(DomainError::Invalid(
            "a shipping amount cannot be negative".into(),
        ));
    }
    Ok(())
}
