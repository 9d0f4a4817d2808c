//! Sales channels and stock locations: a channel per online store and per
//! vending machine, each supplied by stock locations. Products are published
//! to channels, and a publishable API key sees only its channels' products.

pub mod channel_location;
pub mod key_channel;
pub mod product_channel;
pub mod sales_channel;
pub mod stock_location;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::{DomainError, api_keys::api_key, catalog::product, devices::device, ids::new_id};

pub async fn create_sales_channel(
    db: &impl ConnectionTrait,
    name: &str,
    description: Option<&str>,
) -> Result<sales_channel::Model, DomainError> {
    let name = required_name(name, "sales channel")?;
    let now = Utc::now();
    Ok(sales_channel::ActiveModel {
        id: Set(new_id("sc")),
        name: Set(name),
        description: Set(description.map(str::to_owned)),
        is_disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

pub async fn list_sales_channels(
    db: &impl ConnectionTrait,
) -> Result<Vec<sales_channel::Model>, DomainError> {
    Ok(sales_channel::Entity::find()
        .order_by_asc(sales_channel::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn find_sales_channel(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<sales_channel::Model, DomainError> {
    sales_channel::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Sales channel", id))
}

/// A stock location's name and (optional) address.
#[derive(Debug, Clone, Default)]
pub struct NewStockLocation {
    pub name: String,
    pub address_1: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub country_code: Option<String>,
}

pub async fn create_stock_location(
    db: &impl ConnectionTrait,
    new: NewStockLocation,
) -> Result<stock_location::Model, DomainError> {
    let name = required_name(&new.name, "stock location")?;
    let now = Utc::now();
    Ok(stock_location::ActiveModel {
        id: Set(new_id("sloc")),
        name: Set(name),
        address_1: Set(new.address_1),
        city: Set(new.city),
        postal_code: Set(new.postal_code),
        country_code: Set(new.country_code.map(|c| c.to_lowercase())),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

pub async fn find_stock_location(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<stock_location::Model, DomainError> {
    stock_location::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Stock location", id))
}

/// Lets `location_id` supply `channel_id`. Linking twice is harmless.
pub async fn link_stock_location(
    db: &impl ConnectionTrait,
    channel_id: &str,
    location_id: &str,
) -> Result<(), DomainError> {
    find_sales_channel(db, channel_id).await?;
    find_stock_location(db, location_id).await?;
    channel_location::Entity::insert(channel_location::ActiveModel {
        sales_channel_id: Set(channel_id.to_owned()),
        stock_location_id: Set(location_id.to_owned()),
    })
    .on_conflict_do_nothing()
    .exec(db)
    .await?;
    Ok(())
}

/// The distinct stock locations supplying any of `channel_ids`.
pub async fn stock_location_ids(
    db: &impl ConnectionTrait,
    channel_ids: &[String],
) -> Result<Vec<String>, DomainError> {
    Ok(channel_location::Entity::find()
        .select_only()
        .column(channel_location::Column::StockLocationId)
        .distinct()
        .filter(channel_location::Column::SalesChannelId.is_in(channel_ids.iter().cloned()))
        .into_tuple()
        .all(db)
        .await?)
}

/// Publishes a product to a channel. Publishing twice is harmless.
pub async fn publish_product(
    db: &impl ConnectionTrait,
    product_id: &str,
    channel_id: &str,
) -> Result<(), DomainError> {
    product::Entity::find_by_id(product_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Product", product_id))?;
    find_sales_channel(db, channel_id).await?;
    product_channel::Entity::insert(product_channel::ActiveModel {
        product_id: Set(product_id.to_owned()),
        sales_channel_id: Set(channel_id.to_owned()),
    })
    .on_conflict_do_nothing()
    .exec(db)
    .await?;
    Ok(())
}

/// Whether a product is published to a channel.
pub async fn is_published_to(
    db: &impl ConnectionTrait,
    product_id: &str,
    channel_id: &str,
) -> Result<bool, DomainError> {
    Ok(
        product_channel::Entity::find_by_id((product_id.to_owned(), channel_id.to_owned()))
            .one(db)
            .await?
            .is_some(),
    )
}

/// Binds a publishable key to a channel. Binding twice is harmless.
pub async fn bind_publishable_key(
    db: &impl ConnectionTrait,
    api_key_id: &str,
    channel_id: &str,
) -> Result<(), DomainError> {
    api_key::Entity::find_by_id(api_key_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("API key", api_key_id))?;
    find_sales_channel(db, channel_id).await?;
    key_channel::Entity::insert(key_channel::ActiveModel {
        api_key_id: Set(api_key_id.to_owned()),
        sales_channel_id: Set(channel_id.to_owned()),
    })
    .on_conflict_do_nothing()
    .exec(db)
    .await?;
    Ok(())
}

/// The channels a publishable key gives access to.
pub async fn publishable_key_channel_ids(
    db: &impl ConnectionTrait,
    api_key_id: &str,
) -> Result<Vec<String>, DomainError> {
    Ok(key_channel::Entity::find()
        .select_only()
        .column(key_channel::Column::SalesChannelId)
        .filter(key_channel::Column::ApiKeyId.eq(api_key_id))
        .order_by_asc(key_channel::Column::SalesChannelId)
        .into_tuple()
        .all(db)
        .await?)
}

/// Makes `channel_id` the channel a vending machine sells through.
pub async fn assign_device(
    db: &impl ConnectionTrait,
    device_id: &str,
    channel_id: &str,
) -> Result<device::Model, DomainError> {
    find_sales_channel(db, channel_id).await?;
    let device = device::Entity::find_by_id(device_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Device", device_id))?;
    let mut active = device.into_active_model();
    active.sales_channel_id = Set(Some(channel_id.to_owned()));
    Ok(active.update(db).await?)
}

fn required_name(name: &str, what: &str) -> Result<String, DomainError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(DomainError::Invalid(format!("a {what} needs a name")));
    }
    Ok(name.to_owned())
}
