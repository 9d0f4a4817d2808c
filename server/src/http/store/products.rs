//! `GET /store/products` and `GET /store/products/{id}`.

use std::collections::{HashMap, HashSet};

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use domain::{
    catalog::{
        self, OptionDetail, ProductDetail, ProductOrder, ProductQuery, VariantDetail, image,
        option_value, tag,
    },
    inventory,
    pricing::{PriceContext, money::to_major_units},
};
use serde::Serialize;

use super::{
    collections::StoreCollection, product_categories::StoreProductCategory,
    publishable_key::PublishableKey,
};
use crate::{
    http::{error::ApiError, params::Params},
    state::AppState,
};

#[derive(Serialize)]
pub struct ProductList {
    products: Vec<StoreProduct>,
    count: u64,
    offset: u64,
    limit: u64,
}

#[derive(Serialize)]
pub struct ProductResponse {
    product: StoreProduct,
}

/// Medusa's `StoreProduct`: every required field is present, null where we
/// do not model it yet.
#[derive(Serialize)]
pub struct StoreProduct {
    id: String,
    title: String,
    subtitle: Option<String>,
    description: Option<String>,
    handle: String,
    status: domain::catalog::product::Status,
    thumbnail: Option<String>,
    is_giftcard: bool,
    discountable: bool,
    #[serde(flatten)]
    physical: PhysicalAttributes,
    collection_id: Option<String>,
    collection: Option<StoreCollection>,
    categories: Vec<StoreProductCategory>,
    tags: Vec<StoreProductTag>,
    type_id: Option<String>,
    external_id: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    variants: Vec<StoreProductVariant>,
    options: Vec<ProductOption>,
    images: Vec<ProductImage>,
}

#[derive(Serialize)]
pub struct StoreProductVariant {
    id: String,
    title: String,
    sku: Option<String>,
    barcode: Option<String>,
    ean: Option<String>,
    upc: Option<String>,
    allow_backorder: bool,
    manage_inventory: bool,
    /// Present only when `fields` asks for it; null for unmanaged stock.
    #[serde(skip_serializing_if = "Option::is_none")]
    inventory_quantity: Option<Option<i64>>,
    variant_rank: i32,
    product_id: String,
    #[serde(flatten)]
    physical: PhysicalAttributes,
    options: Vec<VariantOptionValue>,
    /// Present only when the request names a region or currency; null when
    /// the variant has no price in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    calculated_price: Option<Option<CalculatedPrice>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

/// Medusa's `BaseCalculatedPriceSet`, amounts in major units. Without price
/// lists the calculated and the original price are the same.
#[derive(Serialize)]
pub struct CalculatedPrice {
    id: String,
    is_calculated_price_price_list: bool,
    is_calculated_price_tax_inclusive: bool,
    calculated_amount: f64,
    calculated_amount_with_tax: f64,
    calculated_amount_without_tax: f64,
    is_original_price_price_list: bool,
    is_original_price_tax_inclusive: bool,
    original_amount: f64,
    currency_code: String,
}

/// Medusa's `StoreProductImage` (the Admin API's is the same).
#[derive(Serialize)]
pub struct ProductImage {
    id: String,
    url: String,
    rank: i32,
}

/// Medusa's `StoreProductOption` (the Admin API's is the same).
#[derive(Serialize)]
pub struct ProductOption {
    id: String,
    title: String,
    product_id: String,
    values: Vec<OptionValue>,
}

#[derive(Serialize)]
pub struct OptionValue {
    id: String,
    value: String,
    option_id: String,
}

/// The value a variant has of one option, with the option's title.
#[derive(Serialize)]
pub struct VariantOptionValue {
    #[serde(flatten)]
    value: OptionValue,
    option: OptionTitle,
}

#[derive(Serialize)]
pub struct OptionTitle {
    id: String,
    title: String,
}

/// Medusa's `StoreProductTag`.
#[derive(Serialize)]
pub struct StoreProductTag {
    id: String,
    value: String,
    metadata: Option<serde_json::Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

/// Shipping and customs attributes products and variants share.
#[derive(Serialize, Default)]
pub struct PhysicalAttributes {
    weight: Option<i32>,
    length: Option<f64>,
    height: Option<f64>,
    width: Option<f64>,
    origin_country: Option<String>,
    hs_code: Option<String>,
    mid_code: Option<String>,
    material: Option<String>,
}

pub async fn list(
    key: PublishableKey,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<ProductList>, ApiError> {
    let (offset, limit) = params.page()?;
    let channel_ids = channels_in_scope(&key, params.text("sales_channel_id")?)?;
    let prices = price_context(&state, &params).await?;
    let query = ProductQuery {
        q: params.text("q")?,
        ids: params.list("id")?,
        handle: params.text("handle")?,
        category_ids: params.list("category_id")?,
        collection_ids: params.list("collection_id")?,
        sales_channel_ids: Some(channel_ids.clone()),
        // Medusa's `order`, and `price` / `-price` in the request's region or currency.
        order: ProductOrder::parse(
            params.text("order")?.as_deref().unwrap_or_default(),
            prices.as_ref().map(PriceContext::currency_code),
        )?,
        ranked: false,
        offset,
        limit,
    };
    // Medusa's `q` filters the list; here the search index finds the words.
    let page = domain::search::list_published(&state.db, state.search.as_ref(), query).await?;
    let stock = Stock::of(
        &state,
        &page.products,
        &channel_ids,
        params.text("fields")?.as_deref(),
    )
    .await?;
    Ok(Json(ProductList {
        products: page
            .products
            .into_iter()
            .map(|p| StoreProduct::new(p, prices.as_ref(), &stock))
            .collect(),
        count: page.count,
        offset: page.offset,
        limit: page.limit,
    }))
}

/// At most this many suggestions are given, whatever `limit` asks.
const MAX_SUGGESTIONS: u64 = 10;

#[derive(Serialize)]
pub struct SuggestionList {
    suggestions: Vec<Suggestion>,
}

#[derive(Serialize)]
pub struct Suggestion {
    id: String,
    title: String,
    handle: String,
}

/// `GET /store/products/search-suggestions?q=`: published products of the
/// key's channels whose title has words starting as typed, best first.
pub async fn suggestions(
    key: PublishableKey,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<SuggestionList>, ApiError> {
    let channel_ids = channels_in_scope(&key, params.text("sales_channel_id")?)?;
    // Like every list, a limit above the most is the most.
    let limit = params
        .count("limit")?
        .unwrap_or(5)
        .clamp(1, MAX_SUGGESTIONS);
    let q = params.text("q")?.unwrap_or_default();
    // Ranked by the index, then only what this key's shoppers may see.
    let hits = state.search.suggest(&q, domain::search::MAX_HITS).await?;
    let ids: Vec<String> = hits.iter().map(|h| h.product_id.clone()).collect();
    let visible: HashSet<String> = if ids.is_empty() {
        HashSet::new()
    } else {
        catalog::visible_ids(&state.db, &ids, &channel_ids).await?
    };
    Ok(Json(SuggestionList {
        suggestions: hits
            .into_iter()
            .filter(|h| visible.contains(&h.product_id))
            .take(limit as usize)
            .map(|h| Suggestion {
                id: h.product_id,
                title: h.title,
                handle: h.handle,
            })
            .collect(),
    }))
}

pub async fn retrieve(
    key: PublishableKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<ProductResponse>, ApiError> {
    let channel_ids = channels_in_scope(&key, params.text("sales_channel_id")?)?;
    let prices = price_context(&state, &params).await?;
    let product = catalog::find_published_in_channels(&state.db, &id, &channel_ids).await?;
    let stock = Stock::of(
        &state,
        std::slice::from_ref(&product),
        &channel_ids,
        params.text("fields")?.as_deref(),
    )
    .await?;
    Ok(Json(ProductResponse {
        product: StoreProduct::new(product, prices.as_ref(), &stock),
    }))
}

/// Prices are calculated for `region_id`, else for `currency_code`, else not at all.
async fn price_context(
    state: &AppState,
    params: &Params,
) -> Result<Option<PriceContext>, ApiError> {
    let region_id = params.text("region_id")?;
    let currency_code = params.text("currency_code")?;
    Ok(PriceContext::resolve(&state.db, region_id.as_deref(), currency_code.as_deref()).await?)
}

/// The channels a request may see, as Medusa decides: the key's channels, or
/// the requested one if the key has it. A key without channels is refused.
fn channels_in_scope(
    key: &PublishableKey,
    requested: Option<String>,
) -> Result<Vec<String>, ApiError> {
    if key.sales_channel_ids.is_empty() {
        return Err(ApiError::invalid_data(
            "Publishable key needs to have a sales channel configured.",
        ));
    }
    match requested {
        None => Ok(key.sales_channel_ids.clone()),
        Some(id) if key.sales_channel_ids.contains(&id) => Ok(vec![id]),
        Some(_) => Err(ApiError::invalid_data(
            "Requested sales channel is not part of the publishable key",
        )),
    }
}

/// Which variants have managed stock and, when `fields` asks for
/// `variants.inventory_quantity` (`+…` or `*…`, as in Medusa), how much is
/// available. Like Medusa, that needs exactly one channel in scope.
struct Stock {
    managed: HashSet<String>,
    available: Option<HashMap<String, i64>>,
}

impl Stock {
    async fn of(
        state: &AppState,
        products: &[ProductDetail],
        channel_ids: &[String],
        fields: Option<&str>,
    ) -> Result<Self, ApiError> {
        let variant_ids: Vec<String> = products
            .iter()
            .flat_map(|p| &p.variants)
            .map(|v| v.variant.id.clone())
            .collect();
        let wants_quantity = fields.is_some_and(|f| {
            f.split(',').any(|field| {
                field.trim().trim_start_matches(['+', '*']) == "variants.inventory_quantity"
            })
        });
        let managed = inventory::managed_variants(&state.db, &variant_ids).await?;
        let available = match channel_ids {
            _ if !wants_quantity => None,
            [_] => {
                Some(inventory::available_in_channels(&state.db, &variant_ids, channel_ids).await?)
            }
            _ => {
                return Err(ApiError::invalid_data(
                    "Inventory availability cannot be calculated in the given context. Either provide a sales channel id or configure a single sales channel in the publishable key",
                ));
            }
        };
        Ok(Self { managed, available })
    }
}

impl StoreProduct {
    fn new(detail: ProductDetail, prices: Option<&PriceContext>, stock: &Stock) -> Self {
        let p = detail.product;
        Self {
            id: p.id,
            title: p.title,
            subtitle: p.subtitle,
            description: p.description,
            handle: p.handle,
            status: p.status,
            thumbnail: p.thumbnail,
            is_giftcard: false,
            discountable: true,
            physical: PhysicalAttributes::default(),
            collection_id: p.collection_id,
            collection: detail.collection.map(StoreCollection::from),
            categories: detail
                .categories
                .into_iter()
                .map(StoreProductCategory::from)
                .collect(),
            tags: detail.tags.into_iter().map(StoreProductTag::from).collect(),
            type_id: None,
            external_id: None,
            created_at: p.created_at,
            updated_at: p.updated_at,
            deleted_at: None,
            variants: detail
                .variants
                .into_iter()
                .map(|v| StoreProductVariant::new(v, prices, stock))
                .collect(),
            options: detail
                .options
                .into_iter()
                .map(ProductOption::from)
                .collect(),
            images: detail.images.into_iter().map(ProductImage::from).collect(),
        }
    }
}

impl StoreProductVariant {
    fn new(detail: VariantDetail, prices: Option<&PriceContext>, stock: &Stock) -> Self {
        let calculated_price = prices.map(|context| CalculatedPrice::of(&detail, context));
        let options = variant_options(detail.options);
        let v = detail.variant;
        Self {
            manage_inventory: stock.managed.contains(&v.id),
            inventory_quantity: stock
                .available
                .as_ref()
                .map(|available| available.get(&v.id).copied()),
            id: v.id,
            title: v.title,
            sku: v.sku,
            barcode: None,
            ean: None,
            upc: None,
            allow_backorder: false,
            variant_rank: v.rank,
            product_id: v.product_id,
            physical: PhysicalAttributes {
                weight: v.weight_grams,
                ..Default::default()
            },
            options,
            calculated_price,
            created_at: v.created_at,
            updated_at: v.updated_at,
            deleted_at: None,
        }
    }
}

impl CalculatedPrice {
    fn of(variant: &VariantDetail, context: &PriceContext) -> Option<Self> {
        let currency_code = context.currency_code();
        let price = variant.price_for(currency_code)?;
        let taxed = context.taxed(price.amount);
        let major = |amount| to_major_units(amount, currency_code);
        Some(Self {
            id: price.id.clone(),
            is_calculated_price_price_list: false,
            is_calculated_price_tax_inclusive: context.tax_inclusive(),
            calculated_amount: major(taxed.amount),
            calculated_amount_with_tax: major(taxed.with_tax),
            calculated_amount_without_tax: major(taxed.without_tax),
            is_original_price_price_list: false,
            is_original_price_tax_inclusive: context.tax_inclusive(),
            original_amount: major(taxed.amount),
            currency_code: currency_code.to_owned(),
        })
    }
}

impl From<tag::Model> for StoreProductTag {
    fn from(t: tag::Model) -> Self {
        Self {
            id: t.id,
            value: t.value,
            metadata: None,
            created_at: t.created_at,
            updated_at: t.updated_at,
            deleted_at: None,
        }
    }
}

impl From<image::Model> for ProductImage {
    fn from(i: image::Model) -> Self {
        Self {
            id: i.id,
            url: i.url,
            rank: i.rank,
        }
    }
}

impl From<option_value::Model> for OptionValue {
    fn from(v: option_value::Model) -> Self {
        Self {
            id: v.id,
            value: v.value,
            option_id: v.option_id,
        }
    }
}

impl From<OptionDetail> for ProductOption {
    fn from(detail: OptionDetail) -> Self {
        Self {
            values: detail.values.into_iter().map(OptionValue::from).collect(),
            id: detail.option.id,
            title: detail.option.title,
            product_id: detail.option.product_id,
        }
    }
}

/// A variant's (option title, value) pairs in Medusa's shape.
pub fn variant_options(options: Vec<(String, option_value::Model)>) -> Vec<VariantOptionValue> {
    options
        .into_iter()
        .map(|(title, value)| VariantOptionValue {
            option: OptionTitle {
                id: value.option_id.clone(),
                title,
            },
            value: value.into(),
        })
        .collect()
}
