//! `GET /store/products` and `GET /store/products/{id}`.

use std::collections::{HashMap, HashSet};

use axum::{
    Json,
    extract::{Path, Query, State, rejection::QueryRejection},
};
use chrono::{DateTime, Utc};
use domain::{
    catalog::{self, ProductDetail, ProductQuery, VariantDetail},
    inventory,
};
use serde::{Deserialize, Serialize};

use super::publishable_key::PublishableKey;
use crate::{http::error::ApiError, state::AppState};

const DEFAULT_LIMIT: u64 = 50;

#[derive(Debug, Deserialize)]
pub struct ListParams {
    q: Option<String>,
    sales_channel_id: Option<String>,
    fields: Option<String>,
    offset: Option<u64>,
    limit: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct RetrieveParams {
    sales_channel_id: Option<String>,
    fields: Option<String>,
}

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
    status: String,
    thumbnail: Option<String>,
    is_giftcard: bool,
    discountable: bool,
    #[serde(flatten)]
    physical: PhysicalAttributes,
    collection_id: Option<String>,
    type_id: Option<String>,
    external_id: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    variants: Vec<StoreProductVariant>,
    options: Vec<serde_json::Value>,
    images: Vec<serde_json::Value>,
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
    options: Vec<serde_json::Value>,
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
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ProductList>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::invalid_data(e.body_text()))?;
    let channel_ids = channels_in_scope(&key, params.sales_channel_id)?;
    let query = ProductQuery {
        q: params.q,
        sales_channel_ids: Some(channel_ids.clone()),
        offset: params.offset.unwrap_or(0),
        limit: params.limit.unwrap_or(DEFAULT_LIMIT),
    };
    let page = catalog::list_published(&state.db, &query).await?;
    let stock = Stock::of(&state, &page.products, &channel_ids, params.fields.as_deref()).await?;
    Ok(Json(ProductList {
        products: page.products.into_iter().map(|p| StoreProduct::new(p, &stock)).collect(),
        count: page.count,
        offset: page.offset,
        limit: page.limit,
    }))
}

pub async fn retrieve(
    key: PublishableKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Result<Query<RetrieveParams>, QueryRejection>,
) -> Result<Json<ProductResponse>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::invalid_data(e.body_text()))?;
    let channel_ids = channels_in_scope(&key, params.sales_channel_id)?;
    let product = catalog::find_published_in_channels(&state.db, &id, &channel_ids).await?;
    let stock = Stock::of(&state, std::slice::from_ref(&product), &channel_ids, params.fields.as_deref()).await?;
    Ok(Json(ProductResponse { product: StoreProduct::new(product, &stock) }))
}

/// The channels a request may see, as Medusa decides: the key's channels, or
/// the requested one if the key has it. A key without channels is refused.
fn channels_in_scope(key: &PublishableKey, requested: Option<String>) -> Result<Vec<String>, ApiError> {
    if key.sales_channel_ids.is_empty() {
        return Err(ApiError::invalid_data("Publishable key needs to have a sales channel configured."));
    }
    match requested {
        None => Ok(key.sales_channel_ids.clone()),
        Some(id) if key.sales_channel_ids.contains(&id) => Ok(vec![id]),
        Some(_) => Err(ApiError::invalid_data("Requested sales channel is not part of the publishable key")),
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
        let variant_ids: Vec<String> =
            products.iter().flat_map(|p| &p.variants).map(|v| v.variant.id.clone()).collect();
        let wants_quantity = fields
            .is_some_and(|f| f.split(',').any(|field| field.trim().trim_start_matches(['+', '*']) == "variants.inventory_quantity"));
        let managed = inventory::managed_variants(&state.db, &variant_ids).await?;
        let available = match channel_ids {
            _ if !wants_quantity => None,
            [_] => Some(inventory::available_in_channels(&state.db, &variant_ids, channel_ids).await?),
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
    fn new(detail: ProductDetail, stock: &Stock) -> Self {
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
            collection_id: None,
            type_id: None,
            external_id: None,
            created_at: p.created_at,
            updated_at: p.updated_at,
            deleted_at: None,
            variants: detail.variants.into_iter().map(|v| StoreProductVariant::new(v, stock)).collect(),
            options: Vec::new(),
            images: Vec::new(),
        }
    }
}

impl StoreProductVariant {
    fn new(detail: VariantDetail, stock: &Stock) -> Self {
        let v = detail.variant;
        Self {
            manage_inventory: stock.managed.contains(&v.id),
            inventory_quantity: stock.available.as_ref().map(|available| available.get(&v.id).copied()),
            id: v.id,
            title: v.title,
            sku: v.sku,
            barcode: None,
            ean: None,
            upc: None,
            allow_backorder: false,
            variant_rank: v.rank,
            product_id: v.product_id,
            physical: PhysicalAttributes { weight: v.weight_grams, ..Default::default() },
            options: Vec::new(),
            created_at: v.created_at,
            updated_at: v.updated_at,
            deleted_at: None,
        }
    }
}
