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
    QueryOrder, QuerySelect, Set, TransactionSession,
};

use crate::{
    DomainError,
    api_keys::api_key,
    catalog::product,
    devices::device,
    ids::new_id,
    paging::{Page, page_of},
    text,
};

pub async fn create_sales_channel(
    db: &impl ConnectionTrait,
    name: &str,
    description: Option<&str>,
) -> Result<sales_channel::Model, DomainError> {
    let name = required_name(name, "sales channel")?;
    let description = text::optional(description, "a description", text::DESCRIPTION_CHARS)?;
    let now = Utc::now();
    Ok(sales_channel::ActiveModel {
        id: Set(new_id("sc")),
        name: Set(name),
        description: Set(description),
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

/// The sales channels called `name` (names are not unique), oldest first.
pub async fn find_sales_channels_named(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Vec<sales_channel::Model>, DomainError> {
    Ok(sales_channel::Entity::find()
        .filter(sales_channel::Column::Name.eq(name))
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
        address_1: Set(address_line(new.address_1.as_deref())?),
        city: Set(city(new.city.as_deref())?),
        postal_code: Set(postal_code(new.postal_code.as_deref())?),
        country_code: Set(country_code(new.country_code.as_deref())?),
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

/// Creates a stock location that supplies `channel_id`.
pub async fn create_linked_stock_location(
    db: &impl ConnectionTrait,
    channel_id: &str,
    new: NewStockLocation,
) -> Result<stock_location::Model, DomainError> {
    let location = create_stock_location(db, new).await?;
    link_stock_location(db, channel_id, &location.id).await?;
    Ok(location)
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
    text::required(
        name,
        &format!("a {what}'s name"),
        text::NAME_CHARS,
        &format!("a {what} needs a name"),
    )
}

fn address_line(line: Option<&str>) -> Result<Option<String>, DomainError> {
    text::optional(line, "an address", text::ADDRESS_CHARS)
}

fn city(city: Option<&str>) -> Result<Option<String>, DomainError> {
    text::optional(city, "a city", text::NAME_CHARS)
}

fn postal_code(code: Option<&str>) -> Result<Option<String>, DomainError> {
    text::optional(code, "a postal code", 20)
}

/// Two letters (ISO 3166-1 alpha-2), kept lowercase as Medusa does.
fn country_code(code: Option<&str>) -> Result<Option<String>, DomainError> {
    let Some(code) = text::optional(code, "a country code", 2)? else {
        return Ok(None);
    };
    if code.len() != 2 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(DomainError::Invalid(format!(
            "{code} is not a country code: use two letters, e.g. de"
        )));
    }
    Ok(Some(code.to_ascii_lowercase()))
}

/// Sales channels by name, one page at a time; `q` matches the name.
pub async fn list_sales_channel_page(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<Page<sales_channel::Model>, DomainError> {
    let mut select = sales_channel::Entity::find();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(sales_channel::Column::Name.contains(q));
    }
    let select = select
        .order_by_asc(sales_channel::Column::Name)
        .order_by_asc(sales_channel::Column::Id);
    page_of(db, select, offset, limit).await
}

/// Changes to a sales channel; `None` keeps a field, an empty description clears it.
#[derive(Debug, Clone, Default)]
pub struct SalesChannelChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub is_disabled: Option<bool>,
}

pub async fn update_sales_channel(
    db: &impl ConnectionTrait,
    id: &str,
    changes: SalesChannelChanges,
) -> Result<sales_channel::Model, DomainError> {
    let mut active = find_sales_channel(db, id).await?.into_active_model();
    if let Some(name) = &changes.name {
        active.name = Set(required_name(name, "sales channel")?);
    }
    if let Some(description) = changes.description {
        active.description = Set(text::optional(
            Some(&description),
            "a description",
            text::DESCRIPTION_CHARS,
        )?);
    }
    if let Some(disabled) = changes.is_disabled {
        active.is_disabled = Set(disabled);
    }
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// Deletes a sales channel with its links; machines selling through it keep
/// running without a channel.
pub async fn delete_sales_channel(
    db: &impl crate::db::Writable,
    id: &str,
) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    find_sales_channel(&txn, id).await?;
    device::Entity::update_many()
        .col_expr(
            device::Column::SalesChannelId,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .filter(device::Column::SalesChannelId.eq(id))
        .exec(&txn)
        .await?;
    sales_channel::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Publishes each of `product_ids` to the channel, all or none.
pub async fn add_products(
    db: &impl crate::db::Writable,
    channel_id: &str,
    product_ids: &[String],
) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    for product_id in product_ids {
        publish_product(&txn, product_id, channel_id).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Withdraws each of `product_ids` from the channel.
pub async fn remove_products(
    db: &impl ConnectionTrait,
    channel_id: &str,
    product_ids: &[String],
) -> Result<(), DomainError> {
    find_sales_channel(db, channel_id).await?;
    product_channel::Entity::delete_many()
        .filter(product_channel::Column::SalesChannelId.eq(channel_id))
        .filter(product_channel::Column::ProductId.is_in(product_ids.iter().cloned()))
        .exec(db)
        .await?;
    Ok(())
}

/// Stock locations by name, one page at a time; `q` matches the name.
pub async fn list_stock_location_page(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<Page<stock_location::Model>, DomainError> {
    let mut select = stock_location::Entity::find();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(stock_location::Column::Name.contains(q));
    }
    let select = select
        .order_by_asc(stock_location::Column::Name)
        .order_by_asc(stock_location::Column::Id);
    page_of(db, select, offset, limit).await
}

/// Changes to a stock location: the name when given, and the address fields
/// given (an empty one clears it).
pub async fn update_stock_location(
    db: &impl ConnectionTrait,
    id: &str,
    changes: NewStockLocation,
) -> Result<stock_location::Model, DomainError> {
    let mut active = find_stock_location(db, id).await?.into_active_model();
    if !changes.name.trim().is_empty() {
        active.name = Set(required_name(&changes.name, "stock location")?);
    }
    if let Some(v) = changes.address_1 {
        active.address_1 = Set(address_line(Some(&v))?);
    }
    if let Some(v) = changes.city {
        active.city = Set(city(Some(&v))?);
    }
    if let Some(v) = changes.postal_code {
        active.postal_code = Set(postal_code(Some(&v))?);
    }
    if let Some(v) = changes.country_code {
        active.country_code = Set(country_code(Some(&v))?);
    }
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// Deletes a stock location and its stock; refused while units are reserved there.
pub async fn delete_stock_location(db: &impl ConnectionTrait, id: &str) -> Result<(), DomainError> {
    use crate::inventory::inventory_level;
    find_stock_location(db, id).await?;
    let reserved = inventory_level::Entity::find()
        .filter(inventory_level::Column::LocationId.eq(id))
        .filter(inventory_level::Column::ReservedQuantity.gt(0))
        .one(db)
        .await?;
    if reserved.is_some() {
        return Err(DomainError::Conflict(format!(
            "units at stock location {id} are reserved; release them first"
        )));
    }
    stock_location::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Stops `location_id` supplying `channel_id`.
pub async fn unlink_stock_location(
    db: &impl ConnectionTrait,
    channel_id: &str,
    location_id: &str,
) -> Result<(), DomainError> {
    find_sales_channel(db, channel_id).await?;
    find_stock_location(db, location_id).await?;
    channel_location::Entity::delete_by_id((channel_id.to_owned(), location_id.to_owned()))
        .exec(db)
        .await?;
    Ok(())
}

/// The channels each of `location_ids` supplies.
pub async fn channels_of_locations(
    db: &impl ConnectionTrait,
    location_ids: &[String],
) -> Result<Vec<channel_location::Model>, DomainError> {
    Ok(channel_location::Entity::find()
        .filter(channel_location::Column::StockLocationId.is_in(location_ids.iter().cloned()))
        .all(db)
        .await?)
}

/// The channels each of `api_key_ids` opens, in one query.
pub async fn channels_of_keys(
    db: &impl ConnectionTrait,
    api_key_ids: &[String],
) -> Result<Vec<key_channel::Model>, DomainError> {
    Ok(key_channel::Entity::find()
        .filter(key_channel::Column::ApiKeyId.is_in(api_key_ids.iter().cloned()))
        .order_by_asc(key_channel::Column::SalesChannelId)
        .all(db)
        .await?)
}

/// Unbinds a publishable key from a channel.
pub async fn unbind_publishable_key(
    db: &impl ConnectionTrait,
    api_key_id: &str,
    channel_id: &str,
) -> Result<(), DomainError> {
    api_key::Entity::find_by_id(api_key_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("API key", api_key_id))?;
    key_channel::Entity::delete_by_id((api_key_id.to_owned(), channel_id.to_owned()))
        .exec(db)
        .await?;
    Ok(())
}
