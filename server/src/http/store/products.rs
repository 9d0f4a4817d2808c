//! `GET /store/products` and `GET /store/products/{id}`.

use axum::{
    Json,
    extract::{Path, Query, State, rejection::QueryRejection},
};
use chrono::{DateTime, Utc};
use domain::catalog::{self, ProductDetail, ProductQuery, VariantDetail};
use serde::{Deserialize, Serialize};

use super::publishable_key::PublishableKey;
use crate::{http::error::ApiError, state::AppState};

const DEFAULT_LIMIT: u64 = 50;

#[derive(Debug, Deserialize)]
pub struct ListParams {
    q: Option<String>,
    offset: Option<u64>,
    limit: Option<u64>,
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
    _key: PublishableKey,
    State(state): State<AppState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ProductList>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::invalid_data(e.body_text()))?;
    let query = ProductQuery { q: params.q, offset: params.offset.unwrap_or(0), limit: params.limit.unwrap_or(DEFAULT_LIMIT) };
    let page = catalog::list_published(&state.db, &query).await?;
    Ok(Json(ProductList {
        products: page.products.into_iter().map(StoreProduct::from).collect(),
        count: page.count,
        offset: page.offset,
        limit: page.limit,
    }))
}

pub async fn retrieve(
    _key: PublishableKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ProductResponse>, ApiError> {
    let product = catalog::find_published(&state.db, &id).await?;
    Ok(Json(ProductResponse { product: product.into() }))
}

impl From<ProductDetail> for StoreProduct {
    fn from(detail: ProductDetail) -> Self {
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
            variants: detail.variants.into_iter().map(StoreProductVariant::from).collect(),
            options: Vec::new(),
            images: Vec::new(),
        }
    }
}

impl From<VariantDetail> for StoreProductVariant {
    fn from(detail: VariantDetail) -> Self {
        let v = detail.variant;
        Self {
            id: v.id,
            title: v.title,
            sku: v.sku,
            barcode: None,
            ean: None,
            upc: None,
            allow_backorder: false,
            manage_inventory: false,
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
