//! Shipping options: how an order reaches the shopper (delivery, or pickup
//! at a vending machine), per region and at a flat amount.

pub mod shipping_option;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::{DomainError, channels, ids::new_id, pricing};

#[derive(Debug, Clone)]
pub struct NewShippingOption {
    pub name: String,
    pub region_id: String,
    pub amount: i64,
    pub stock_location_id: Option<String>,
}

pub async fn create_option(
    db: &impl ConnectionTrait,
    new: NewShippingOption,
) -> Result<shipping_option::Model, DomainError> {
    let name = new.name.trim();
    if name.is_empty() {
        return Err(DomainError::Invalid(
            "a shipping option needs a name".into(),
        ));
    }
    if new.amount < 0 {
        return Err(DomainError::Invalid(
            "a shipping amount cannot be negative".into(),
        ));
    }
    pricing::find_region(db, &new.region_id).await?;
    if let Some(location) = &new.stock_location_id {
        channels::find_stock_location(db, location).await?;
    }
    let now = Utc::now();
    Ok(shipping_option::ActiveModel {
        id: Set(new_id("so")),
        name: Set(name.to_owned()),
        region_id: Set(new.region_id),
        amount: Set(new.amount),
        stock_location_id: Set(new.stock_location_id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
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

/// The options of a region, cheapest first. A cart without a region has none.
pub async fn options_in_region(
    db: &impl ConnectionTrait,
    region_id: Option<&str>,
) -> Result<Vec<shipping_option::Model>, DomainError> {
    let Some(region_id) = region_id else {
        return Ok(Vec::new());
    };
    Ok(shipping_option::Entity::find()
        .filter(shipping_option::Column::RegionId.eq(region_id))
        .order_by_asc(shipping_option::Column::Amount)
        .order_by_asc(shipping_option::Column::Name)
        .order_by_asc(shipping_option::Column::Id)
        .all(db)
        .await?)
}
