//! Creating, changing and deleting products and their variants, each call
//! one transaction: options, variants (SKU, barcode, weight, prices per
//! currency, stock per location), images, organisation and sales channels.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionSession,
};

use super::{
    OptionDetail, image, option_value, price, product, product_option, tag_link, taxonomy,
    valid_handle, variant, variant_option,
};
use crate::{
    DomainError,
    catalog::category_link,
    channels::{self, product_channel},
    ids::new_id,
    inventory, pricing,
};

pub mod options;

/// A new product. Missing fields take Medusa's defaults: a handle made from
/// the title, status draft.
#[derive(Debug, Clone, Default)]
pub struct ProductInput {
    pub title: String,
    pub handle: Option<String>,
    pub subtitle: Option<String>,
    pub description: Option<String>,
    pub thumbnail: Option<String>,
    pub status: Option<String>,
    /// Image URLs in display order.
    pub images: Vec<String>,
    pub options: Vec<OptionInput>,
    pub variants: Vec<VariantInput>,
    pub collection_id: Option<String>,
    pub category_ids: Vec<String>,
    /// Tag values; tags are created on first use.
    pub tags: Vec<String>,
    pub sales_channel_ids: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct OptionInput {
    pub title: String,
    pub values: Vec<String>,
}

/// A variant to create, or the changes to one (`id` set, `None` keeps a field).
#[derive(Debug, Clone, Default)]
pub struct VariantInput {
    pub id: Option<String>,
    pub title: Option<String>,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub weight_grams: Option<i32>,
    /// (currency code, amount in minor units); replaces every price when given.
    pub prices: Option<Vec<(String, i64)>>,
    /// Option title → value; a product with options needs one value of each.
    pub options: BTreeMap<String, String>,
    /// Whether an inventory item tracks the variant's stock (new variants: yes).
    pub manage_inventory: Option<bool>,
    /// (stock location id, stocked quantity) to set.
    pub stock: Vec<(String, i32)>,
}

/// Changes to a product; `None` keeps a field, an empty text clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct ProductChanges {
    pub title: Option<String>,
    pub handle: Option<String>,
    pub subtitle: Option<String>,
    pub description: Option<String>,
    pub thumbnail: Option<String>,
    pub status: Option<String>,
    pub images: Option<Vec<String>>,
    /// `Some("")` takes the product out of its collection.
    pub collection_id: Option<String>,
    pub category_ids: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub sales_channel_ids: Option<Vec<String>>,
    /// Variants with an id are changed, those without are added, and the
    /// product's variants not listed are deleted.
    pub variants: Option<Vec<VariantInput>>,
}

/// Creates a product with everything in `input`, in one transaction.
pub async fn create(
    db: &impl crate::db::Writable,
    input: ProductInput,
) -> Result<String, DomainError> {
    let title = required_text(&input.title, "a product needs a title")?;
    let handle = match input.handle.as_deref().map(str::trim) {
        Some(handle) if !handle.is_empty() => valid_handle(handle)?,
        _ => handle_from(&title)?,
    };
    let status = match input.status.as_deref() {
        Some(status) => valid_status(status)?,
        None => product::Status::Draft,
    };
    let options = valid_options(&input.options)?;
    let txn = crate::db::begin_write(db).await?;
    ensure_handle_free(&txn, &handle, None).await?;
    let now = Utc::now();
    let product_id = new_id("prod");
    product::ActiveModel {
        id: Set(product_id.clone()),
        handle: Set(handle),
        title: Set(title),
        subtitle: Set(optional_text(input.subtitle)),
        description: Set(optional_text(input.description)),
        thumbnail: Set(optional_text(input.thumbnail)),
        status: Set(status),
        collection_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    replace_images(&txn, &product_id, &input.images).await?;
    for (rank, option) in options.iter().enumerate() {
        insert_option(&txn, &product_id, rank, option).await?;
    }
    let options = options_of(&txn, &product_id).await?;
    for (rank, variant) in input.variants.into_iter().enumerate() {
        if variant.id.is_some() {
            return Err(DomainError::Invalid(
                "a new product's variants cannot have ids".into(),
            ));
        }
        insert_variant(&txn, &product_id, rank, variant, &options).await?;
    }
    if let Some(collection_id) = optional_text(input.collection_id) {
        taxonomy::set_collection(&txn, &product_id, Some(&collection_id)).await?;
    }
    replace_categories(&txn, &product_id, &input.category_ids).await?;
    replace_tags(&txn, &product_id, &input.tags).await?;
    replace_channels(&txn, &product_id, &input.sales_channel_ids).await?;
    product_changed(&txn, super::PRODUCT_CREATED, &product_id).await?;
    txn.commit().await?;
    Ok(product_id)
}

/// Applies `changes` to a product, in one transaction.
pub async fn update(
    db: &impl crate::db::Writable,
    product_id: &str,
    changes: ProductChanges,
) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let product = existing_product(&txn, product_id).await?;
    let mut active = product.into_active_model();
    if let Some(title) = &changes.title {
        active.title = Set(required_text(title, "a product needs a title")?);
    }
    if let Some(handle) = &changes.handle {
        let handle = valid_handle(handle)?;
        ensure_handle_free(&txn, &handle, Some(product_id)).await?;
        active.handle = Set(handle);
    }
    if let Some(status) = &changes.status {
        active.status = Set(valid_status(status)?);
    }
    if changes.subtitle.is_some() {
        active.subtitle = Set(optional_text(changes.subtitle));
    }
    if changes.description.is_some() {
        active.description = Set(optional_text(changes.description));
    }
    if changes.thumbnail.is_some() {
        active.thumbnail = Set(optional_text(changes.thumbnail));
    }
    active.updated_at = Set(Utc::now());
    active.update(&txn).await?;
    if let Some(images) = &changes.images {
        replace_images(&txn, product_id, images).await?;
    }
    if let Some(collection_id) = changes.collection_id {
        let collection_id = optional_text(Some(collection_id));
        taxonomy::set_collection(&txn, product_id, collection_id.as_deref()).await?;
    }
    if let Some(category_ids) = &changes.category_ids {
        replace_categories(&txn, product_id, category_ids).await?;
    }
    if let Some(tags) = &changes.tags {
        replace_tags(&txn, product_id, tags).await?;
    }
    if let Some(channel_ids) = &changes.sales_channel_ids {
        replace_channels(&txn, product_id, channel_ids).await?;
    }
    if let Some(variants) = changes.variants {
        upsert_variants(&txn, product_id, variants).await?;
    }
    product_changed(&txn, super::PRODUCT_UPDATED, product_id).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes a product with its variants, prices, images, options, links and
/// inventory items. Refused while any of its units are reserved.
pub async fn delete(db: &impl crate::db::Writable, product_id: &str) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    existing_product(&txn, product_id).await?;
    let variant_ids: Vec<String> = variants_of(&txn, product_id)
        .await?
        .into_iter()
        .map(|v| v.id)
        .collect();
    ensure_nothing_reserved(&txn, &variant_ids).await?;
    product::Entity::delete_by_id(product_id).exec(&txn).await?;
    product_changed(&txn, super::PRODUCT_DELETED, product_id).await?;
    txn.commit().await?;
    Ok(())
}

/// Adds a variant to a product; its id.
pub async fn create_variant(
    db: &impl crate::db::Writable,
    product_id: &str,
    input: VariantInput,
) -> Result<String, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    existing_product(&txn, product_id).await?;
    let rank = variants_of(&txn, product_id).await?.len();
    let options = options_of(&txn, product_id).await?;
    let id = insert_variant(&txn, product_id, rank, input, &options).await?;
    product_changed(&txn, super::PRODUCT_UPDATED, product_id).await?;
    txn.commit().await?;
    Ok(id)
}

/// Changes one of a product's variants.
pub async fn update_variant(
    db: &impl crate::db::Writable,
    product_id: &str,
    variant_id: &str,
    input: VariantInput,
) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let variant = variant_of(&txn, product_id, variant_id).await?;
    let options = options_of(&txn, product_id).await?;
    change_variant(&txn, variant, input, &options).await?;
    product_changed(&txn, super::PRODUCT_UPDATED, product_id).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes one of a product's variants; refused while units of it are reserved.
pub async fn delete_variant(
    db: &impl crate::db::Writable,
    product_id: &str,
    variant_id: &str,
) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    variant_of(&txn, product_id, variant_id).await?;
    remove_variant(&txn, variant_id).await?;
    product_changed(&txn, super::PRODUCT_UPDATED, product_id).await?;
    txn.commit().await?;
    Ok(())
}

/// Adds a picture after a product's others; the first becomes its thumbnail.
pub async fn add_image(
    db: &impl crate::db::Writable,
    product_id: &str,
    url: &str,
) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let product = existing_product(&txn, product_id).await?;
    let url = image_url(url)?;
    // Appended, so the other pictures keep their ids (a page may hold them).
    let rank = images_of(&txn, product_id)
        .await?
        .last()
        .map_or(0, |i| i.rank + 1);
    insert_image(&txn, product_id, url, rank).await?;
    if product.thumbnail.is_none() {
        let mut active = product.into_active_model();
        active.thumbnail = Set(Some(url.to_owned()));
        active.updated_at = Set(Utc::now());
        active.update(&txn).await?;
    }
    product_changed(&txn, super::PRODUCT_UPDATED, product_id).await?;
    txn.commit().await?;
    Ok(())
}

/// Takes a picture off a product; if it was the thumbnail, the next
/// picture (or none) takes its place.
pub async fn remove_image(
    db: &impl crate::db::Writable,
    product_id: &str,
    image_id: &str,
) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let product = existing_product(&txn, product_id).await?;
    let images = images_of(&txn, product_id).await?;
    let removed = images
        .iter()
        .find(|i| i.id == image_id)
        .ok_or_else(|| DomainError::not_found("product image", image_id))?
        .url
        .clone();
    image::Entity::delete_by_id(image_id).exec(&txn).await?;
    if product.thumbnail.as_deref() == Some(removed.as_str()) {
        let next = images
            .iter()
            .find(|i| i.id != image_id)
            .map(|i| i.url.clone());
        let mut active = product.into_active_model();
        active.thumbnail = Set(next);
        active.updated_at = Set(Utc::now());
        active.update(&txn).await?;
    }
    product_changed(&txn, super::PRODUCT_UPDATED, product_id).await?;
    txn.commit().await?;
    Ok(())
}

async fn images_of(
    db: &impl ConnectionTrait,
    product_id: &str,
) -> Result<Vec<image::Model>, DomainError> {
    Ok(image::Entity::find()
        .filter(image::Column::ProductId.eq(product_id))
        .order_by_asc(image::Column::Rank)
        .all(db)
        .await?)
}

/// Records a change of the product in the outbox (search keeps up from it),
/// inside the change's transaction.
pub(crate) async fn product_changed(
    txn: &impl ConnectionTrait,
    name: &str,
    product_id: &str,
) -> Result<(), DomainError> {
    crate::events::emit(txn, name, &serde_json::json!({ "id": product_id })).await?;
    Ok(())
}

/// Images, options and channels of `product_ids`, and the option values of
/// `variant_ids`, with a fixed number of queries.
pub(super) struct Media {
    pub images: HashMap<String, Vec<image::Model>>,
    pub options: HashMap<String, Vec<OptionDetail>>,
    pub variant_options: HashMap<String, Vec<(String, option_value::Model)>>,
    pub channels: HashMap<String, Vec<String>>,
}

pub(super) async fn media_of(
    db: &impl ConnectionTrait,
    product_ids: &[String],
    variant_ids: &[String],
) -> Result<Media, DomainError> {
    let mut images: HashMap<String, Vec<image::Model>> = HashMap::new();
    for image in image::Entity::find()
        .filter(image::Column::ProductId.is_in(product_ids.iter().cloned()))
        .order_by_asc(image::Column::Rank)
        .all(db)
        .await?
    {
        images
            .entry(image.product_id.clone())
            .or_default()
            .push(image);
    }
    let option_rows = product_option::Entity::find()
        .filter(product_option::Column::ProductId.is_in(product_ids.iter().cloned()))
        .order_by_asc(product_option::Column::Rank)
        .all(db)
        .await?;
    let mut values_by_option: HashMap<String, Vec<option_value::Model>> = HashMap::new();
    for value in option_value::Entity::find()
        .filter(option_value::Column::OptionId.is_in(option_rows.iter().map(|o| o.id.clone())))
        .order_by_asc(option_value::Column::Rank)
        .all(db)
        .await?
    {
        values_by_option
            .entry(value.option_id.clone())
            .or_default()
            .push(value);
    }
    let mut option_titles: HashMap<String, (i32, String)> = HashMap::new();
    let mut values_by_id: HashMap<String, option_value::Model> = HashMap::new();
    let mut options: HashMap<String, Vec<OptionDetail>> = HashMap::new();
    for option in option_rows {
        let values = values_by_option.remove(&option.id).unwrap_or_default();
        option_titles.insert(option.id.clone(), (option.rank, option.title.clone()));
        values_by_id.extend(values.iter().map(|v| (v.id.clone(), v.clone())));
        options
            .entry(option.product_id.clone())
            .or_default()
            .push(OptionDetail { option, values });
    }
    let mut variant_options: HashMap<String, Vec<(i32, String, option_value::Model)>> =
        HashMap::new();
    for link in variant_option::Entity::find()
        .filter(variant_option::Column::VariantId.is_in(variant_ids.iter().cloned()))
        .all(db)
        .await?
    {
        let Some(value) = values_by_id.get(&link.option_value_id) else {
            continue;
        };
        let Some((rank, title)) = option_titles.get(&value.option_id) else {
            continue;
        };
        variant_options.entry(link.variant_id).or_default().push((
            *rank,
            title.clone(),
            value.clone(),
        ));
    }
    let mut channels: HashMap<String, Vec<String>> = HashMap::new();
    for link in product_channel::Entity::find()
        .filter(product_channel::Column::ProductId.is_in(product_ids.iter().cloned()))
        .order_by_asc(product_channel::Column::SalesChannelId)
        .all(db)
        .await?
    {
        channels
            .entry(link.product_id)
            .or_default()
            .push(link.sales_channel_id);
    }
    Ok(Media {
        images,
        options,
        variant_options: variant_options
            .into_iter()
            .map(|(variant_id, mut values)| {
                values.sort_by_key(|(rank, ..)| *rank);
                let values = values.into_iter().map(|(_, t, v)| (t, v)).collect();
                (variant_id, values)
            })
            .collect(),
        channels,
    })
}

/// A handle from a title: "Cold Brew 0.5 l" → "cold-brew-0-5-l".
pub fn handle_from(title: &str) -> Result<String, DomainError> {
    let mut handle = String::new();
    for c in title.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            handle.push(c);
        } else if !handle.is_empty() && !handle.ends_with('-') {
            handle.push('-');
        }
    }
    let handle = handle.trim_end_matches('-');
    if handle.is_empty() {
        return Err(DomainError::Invalid(
            "a handle cannot be made from this title; give one".into(),
        ));
    }
    Ok(handle.to_owned())
}

fn valid_status(status: &str) -> Result<product::Status, DomainError> {
    crate::states::parse(status.trim(), "a product status (draft or published)")
}

fn required_text(text: &str, message: &str) -> Result<String, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DomainError::Invalid(message.to_owned()));
    }
    Ok(text.to_owned())
}

/// Trimmed, and `None` when blank.
fn optional_text(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// Options with trimmed, non-empty, distinct titles and values.
fn valid_options(options: &[OptionInput]) -> Result<Vec<OptionInput>, DomainError> {
    let mut valid: Vec<OptionInput> = Vec::new();
    for option in options {
        let title = required_text(&option.title, "an option needs a title")?;
        if valid.iter().any(|o| o.title == title) {
            return Err(DomainError::Invalid(format!(
                "option {title} is given twice"
            )));
        }
        let mut values: Vec<String> = Vec::new();
        for value in &option.values {
            let value = required_text(value, "an option value cannot be empty")?;
            if !values.contains(&value) {
                values.push(value);
            }
        }
        if values.is_empty() {
            return Err(DomainError::Invalid(format!("option {title} needs values")));
        }
        valid.push(OptionInput { title, values });
    }
    Ok(valid)
}

async fn insert_option(
    db: &impl ConnectionTrait,
    product_id: &str,
    rank: usize,
    option: &OptionInput,
) -> Result<(), DomainError> {
    let option_id = new_id("opt");
    product_option::ActiveModel {
        id: Set(option_id.clone()),
        product_id: Set(product_id.to_owned()),
        title: Set(option.title.clone()),
        rank: Set(rank as i32),
    }
    .insert(db)
    .await?;
    for (rank, value) in option.values.iter().enumerate() {
        option_value::ActiveModel {
            id: Set(new_id("optval")),
            option_id: Set(option_id.clone()),
            value: Set(value.clone()),
            rank: Set(rank as i32),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

async fn options_of(
    db: &impl ConnectionTrait,
    product_id: &str,
) -> Result<Vec<OptionDetail>, DomainError> {
    Ok(media_of(db, &[product_id.to_owned()], &[])
        .await?
        .options
        .remove(product_id)
        .unwrap_or_default())
}

/// The option values `chosen` names: one per option of the product, each
/// among the option's values.
fn chosen_values(
    options: &[OptionDetail],
    chosen: &BTreeMap<String, String>,
) -> Result<Vec<String>, DomainError> {
    if let Some(unknown) = chosen
        .keys()
        .find(|title| !options.iter().any(|o| &o.option.title == *title))
    {
        return Err(DomainError::Invalid(format!(
            "the product has no option {unknown}"
        )));
    }
    options
        .iter()
        .map(|o| {
            let title = &o.option.title;
            let value = chosen.get(title).ok_or_else(|| {
                DomainError::Invalid(format!("a variant needs a value for option {title}"))
            })?;
            o.values
                .iter()
                .find(|v| v.value == value.trim())
                .map(|v| v.id.clone())
                .ok_or_else(|| {
                    DomainError::Invalid(format!("{value:?} is not a value of option {title}"))
                })
        })
        .collect()
}

async fn insert_variant(
    db: &impl ConnectionTrait,
    product_id: &str,
    rank: usize,
    input: VariantInput,
    options: &[OptionDetail],
) -> Result<String, DomainError> {
    let value_ids = chosen_values(options, &input.options)?;
    options::ensure_combination_free(db, product_id, &value_ids, None).await?;
    let title = match input.title.as_deref().map(str::trim) {
        Some(title) if !title.is_empty() => title.to_owned(),
        // The values in the product's option order ("500 ml / Peach").
        _ if !input.options.is_empty() => options
            .iter()
            .filter_map(|o| input.options.get(&o.option.title))
            .map(|value| value.trim())
            .collect::<Vec<_>>()
            .join(" / "),
        _ => "Default".to_owned(),
    };
    let sku = optional_text(input.sku.clone());
    if let Some(sku) = &sku {
        ensure_sku_free(db, sku, None).await?;
    }
    check_weight(input.weight_grams)?;
    let now = Utc::now();
    let variant = variant::ActiveModel {
        id: Set(new_id("variant")),
        product_id: Set(product_id.to_owned()),
        title: Set(title),
        sku: Set(sku),
        barcode: Set(optional_text(input.barcode.clone())),
        weight_grams: Set(input.weight_grams),
        rank: Set(rank as i32),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    link_values(db, &variant.id, &value_ids).await?;
    replace_prices(db, &variant.id, input.prices.as_deref().unwrap_or_default()).await?;
    let managed = input.manage_inventory.unwrap_or(true);
    if managed {
        inventory::create_item(db, &variant.id).await?;
    }
    set_stock(db, &variant.id, managed, &input.stock).await?;
    Ok(variant.id)
}

async fn change_variant(
    db: &impl ConnectionTrait,
    variant: variant::Model,
    input: VariantInput,
    options: &[OptionDetail],
) -> Result<(), DomainError> {
    let variant_id = variant.id.clone();
    let product_id = variant.product_id.clone();
    let mut active = variant.into_active_model();
    if let Some(title) = &input.title {
        active.title = Set(required_text(title, "a variant needs a title")?);
    }
    if input.sku.is_some() {
        let sku = optional_text(input.sku.clone());
        if let Some(sku) = &sku {
            ensure_sku_free(db, sku, Some(&variant_id)).await?;
        }
        active.sku = Set(sku);
    }
    if input.barcode.is_some() {
        active.barcode = Set(optional_text(input.barcode.clone()));
    }
    if input.weight_grams.is_some() {
        check_weight(input.weight_grams)?;
        active.weight_grams = Set(input.weight_grams);
    }
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    if !input.options.is_empty() {
        let value_ids = chosen_values(options, &input.options)?;
        options::ensure_combination_free(db, &product_id, &value_ids, Some(&variant_id)).await?;
        variant_option::Entity::delete_many()
            .filter(variant_option::Column::VariantId.eq(&variant_id))
            .exec(db)
            .await?;
        link_values(db, &variant_id, &value_ids).await?;
    }
    if let Some(prices) = &input.prices {
        replace_prices(db, &variant_id, prices).await?;
    }
    let item = inventory::find_item_by_variant(db, &variant_id).await?;
    let managed = match (input.manage_inventory, item) {
        (Some(true), None) => {
            inventory::create_item(db, &variant_id).await?;
            true
        }
        (Some(false), Some(item)) => {
            inventory::delete_item(db, &item.id).await?;
            false
        }
        (_, item) => item.is_some(),
    };
    set_stock(db, &variant_id, managed, &input.stock).await
}

async fn upsert_variants(
    db: &impl ConnectionTrait,
    product_id: &str,
    inputs: Vec<VariantInput>,
) -> Result<(), DomainError> {
    let existing = variants_of(db, product_id).await?;
    let options = options_of(db, product_id).await?;
    for gone in existing
        .iter()
        .filter(|v| !inputs.iter().any(|i| i.id.as_ref() == Some(&v.id)))
    {
        remove_variant(db, &gone.id).await?;
    }
    for (rank, input) in inputs.into_iter().enumerate() {
        match input.id.clone() {
            Some(id) => {
                let variant = existing
                    .iter()
                    .find(|v| v.id == id)
                    .cloned()
                    .ok_or_else(|| DomainError::not_found("Variant", &id))?;
                let mut active = variant.clone().into_active_model();
                active.rank = Set(rank as i32);
                active.update(db).await?;
                change_variant(db, variant, input, &options).await?;
            }
            None => {
                insert_variant(db, product_id, rank, input, &options).await?;
            }
        }
    }
    Ok(())
}

async fn remove_variant(db: &impl ConnectionTrait, variant_id: &str) -> Result<(), DomainError> {
    ensure_nothing_reserved(db, &[variant_id.to_owned()]).await?;
    variant::Entity::delete_by_id(variant_id).exec(db).await?;
    Ok(())
}

async fn ensure_nothing_reserved(
    db: &impl ConnectionTrait,
    variant_ids: &[String],
) -> Result<(), DomainError> {
    let reserved = inventory::reserved_units(db, variant_ids).await?;
    if reserved > 0 {
        return Err(DomainError::Conflict(format!(
            "{reserved} units are reserved for open orders or carts; release them first"
        )));
    }
    Ok(())
}

fn check_weight(weight_grams: Option<i32>) -> Result<(), DomainError> {
    if weight_grams.is_some_and(|w| w < 0) {
        return Err(DomainError::Invalid("a weight cannot be negative".into()));
    }
    Ok(())
}

async fn link_values(
    db: &impl ConnectionTrait,
    variant_id: &str,
    value_ids: &[String],
) -> Result<(), DomainError> {
    for value_id in value_ids {
        variant_option::ActiveModel {
            variant_id: Set(variant_id.to_owned()),
            option_value_id: Set(value_id.clone()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Replaces a variant's prices: one per currency, none negative.
async fn replace_prices(
    db: &impl ConnectionTrait,
    variant_id: &str,
    prices: &[(String, i64)],
) -> Result<(), DomainError> {
    let mut seen: Vec<String> = Vec::new();
    for (currency_code, amount) in prices {
        let code = pricing::valid_currency_code(currency_code)?;
        if *amount < 0 {
            return Err(DomainError::Invalid("a price cannot be negative".into()));
        }
        if seen.contains(&code) {
            return Err(DomainError::Invalid(format!(
                "a variant has one price in {code}"
            )));
        }
        seen.push(code);
    }
    price::Entity::delete_many()
        .filter(price::Column::VariantId.eq(variant_id))
        .exec(db)
        .await?;
    for (code, (_, amount)) in seen.into_iter().zip(prices) {
        price::ActiveModel {
            id: Set(new_id("price")),
            variant_id: Set(variant_id.to_owned()),
            currency_code: Set(code),
            amount: Set(*amount),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

async fn set_stock(
    db: &impl ConnectionTrait,
    variant_id: &str,
    managed: bool,
    stock: &[(String, i32)],
) -> Result<(), DomainError> {
    if stock.is_empty() {
        return Ok(());
    }
    if !managed {
        return Err(DomainError::Invalid(
            "stock is kept only for variants whose inventory is managed".into(),
        ));
    }
    let item = inventory::find_item_by_variant(db, variant_id)
        .await?
        .ok_or_else(|| DomainError::not_found("Inventory item", variant_id))?;
    for (location_id, quantity) in stock {
        inventory::set_stocked(db, &item.id, location_id, *quantity).await?;
    }
    Ok(())
}

async fn replace_images(
    db: &impl ConnectionTrait,
    product_id: &str,
    urls: &[String],
) -> Result<(), DomainError> {
    image::Entity::delete_many()
        .filter(image::Column::ProductId.eq(product_id))
        .exec(db)
        .await?;
    for (rank, url) in urls.iter().enumerate() {
        insert_image(db, product_id, image_url(url)?, rank as i32).await?;
    }
    Ok(())
}

fn image_url(url: &str) -> Result<&str, DomainError> {
    let url = url.trim();
    if url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/') {
        Ok(url)
    } else {
        Err(DomainError::Invalid(format!(
            "an image is an http(s) URL or a path on this site, not {url:?}"
        )))
    }
}

async fn insert_image(
    db: &impl ConnectionTrait,
    product_id: &str,
    url: &str,
    rank: i32,
) -> Result<(), DomainError> {
    image::ActiveModel {
        id: Set(new_id("img")),
        product_id: Set(product_id.to_owned()),
        url: Set(url.to_owned()),
        rank: Set(rank),
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn replace_categories(
    db: &impl ConnectionTrait,
    product_id: &str,
    category_ids: &[String],
) -> Result<(), DomainError> {
    category_link::Entity::delete_many()
        .filter(category_link::Column::ProductId.eq(product_id))
        .exec(db)
        .await?;
    let ids: Vec<&str> = category_ids.iter().map(String::as_str).collect();
    taxonomy::add_to_categories(db, product_id, &ids).await
}

async fn replace_tags(
    db: &impl ConnectionTrait,
    product_id: &str,
    tags: &[String],
) -> Result<(), DomainError> {
    tag_link::Entity::delete_many()
        .filter(tag_link::Column::ProductId.eq(product_id))
        .exec(db)
        .await?;
    for value in tags {
        taxonomy::tag_product(db, product_id, value).await?;
    }
    Ok(())
}

async fn replace_channels(
    db: &impl ConnectionTrait,
    product_id: &str,
    channel_ids: &[String],
) -> Result<(), DomainError> {
    product_channel::Entity::delete_many()
        .filter(product_channel::Column::ProductId.eq(product_id))
        .exec(db)
        .await?;
    for channel_id in channel_ids {
        channels::publish_product(db, product_id, channel_id).await?;
    }
    Ok(())
}

async fn existing_product(
    db: &impl ConnectionTrait,
    product_id: &str,
) -> Result<product::Model, DomainError> {
    product::Entity::find_by_id(product_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Product", product_id))
}

async fn variants_of(
    db: &impl ConnectionTrait,
    product_id: &str,
) -> Result<Vec<variant::Model>, DomainError> {
    Ok(variant::Entity::find()
        .filter(variant::Column::ProductId.eq(product_id))
        .order_by_asc(variant::Column::Rank)
        .all(db)
        .await?)
}

async fn variant_of(
    db: &impl ConnectionTrait,
    product_id: &str,
    variant_id: &str,
) -> Result<variant::Model, DomainError> {
    existing_product(db, product_id).await?;
    variant::Entity::find_by_id(variant_id)
        .filter(variant::Column::ProductId.eq(product_id))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Variant", variant_id))
}

async fn ensure_handle_free(
    db: &impl ConnectionTrait,
    handle: &str,
    except: Option<&str>,
) -> Result<(), DomainError> {
    let taken = product::Entity::find()
        .filter(product::Column::Handle.eq(handle))
        .one(db)
        .await?;
    if taken.is_some_and(|p| Some(p.id.as_str()) != except) {
        return Err(DomainError::Conflict(format!(
            "a product with handle {handle} already exists"
        )));
    }
    Ok(())
}

async fn ensure_sku_free(
    db: &impl ConnectionTrait,
    sku: &str,
    except: Option<&str>,
) -> Result<(), DomainError> {
    let taken = variant::Entity::find()
        .filter(variant::Column::Sku.eq(sku))
        .one(db)
        .await?;
    if taken.is_some_and(|v| Some(v.id.as_str()) != except) {
        return Err(DomainError::Conflict(format!(
            "a variant with SKU {sku} already exists"
        )));
    }
    Ok(())
}
