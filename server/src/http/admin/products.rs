//! `/admin/products`, `/admin/products/{id}/variants` and `/admin/product-variants`.

use std::collections::{BTreeMap, HashMap};

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::{
    catalog::{
        self, ProductDetail, ProductOrder, ProductQuery, VariantDetail, VariantQuery,
        editing::{self, OptionInput, ProductChanges, ProductInput, VariantInput},
    },
    channels, inventory,
    paging::Page,
    pricing::money::{to_major_units, to_minor_units},
};
use serde::{Deserialize, Serialize};

use super::{Deleted, Listing, one};
use crate::{
    http::{
        auth::AuthenticatedAdmin,
        error::ApiError,
        params::Params,
        store::products::{ProductImage, ProductOption, VariantOptionValue, variant_options},
    },
    state::AppState,
};

/// Medusa's `AdminProduct`, without the fields we do not model (null there).
#[derive(Serialize)]
pub struct AdminProduct {
    id: String,
    title: String,
    subtitle: Option<String>,
    description: Option<String>,
    handle: String,
    status: domain::catalog::product::Status,
    thumbnail: Option<String>,
    is_giftcard: bool,
    discountable: bool,
    collection_id: Option<String>,
    collection: Option<IdTitle>,
    categories: Vec<IdName>,
    tags: Vec<IdValue>,
    images: Vec<ProductImage>,
    options: Vec<ProductOption>,
    variants: Vec<AdminVariant>,
    sales_channels: Vec<IdName>,
    type_id: Option<String>,
    external_id: Option<String>,
    metadata: Option<serde_json::Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
struct IdName {
    id: String,
    name: String,
}

#[derive(Serialize)]
struct IdTitle {
    id: String,
    title: String,
    handle: String,
}

#[derive(Serialize)]
struct IdValue {
    id: String,
    value: String,
}

/// Medusa's `AdminProductVariant`; amounts in major units.
#[derive(Serialize)]
pub struct AdminVariant {
    id: String,
    title: String,
    sku: Option<String>,
    barcode: Option<String>,
    ean: Option<String>,
    upc: Option<String>,
    allow_backorder: bool,
    manage_inventory: bool,
    weight: Option<i32>,
    variant_rank: i32,
    product_id: String,
    options: Vec<VariantOptionValue>,
    prices: Vec<AdminPrice>,
    inventory_items: Vec<VariantInventoryItem>,
    /// Only where variants of many products are listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    product: Option<VariantProduct>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
struct VariantProduct {
    id: String,
    title: String,
    handle: String,
    status: domain::catalog::product::Status,
    thumbnail: Option<String>,
}

#[derive(Serialize)]
struct AdminPrice {
    id: String,
    currency_code: String,
    amount: f64,
    variant_id: String,
}

#[derive(Serialize)]
struct VariantInventoryItem {
    inventory_item_id: String,
    variant_id: String,
    required_quantity: i32,
}

/// Medusa's `AdminCreateProduct` (the fields we keep).
#[derive(Deserialize)]
pub struct CreateProduct {
    title: String,
    handle: Option<String>,
    subtitle: Option<String>,
    description: Option<String>,
    thumbnail: Option<String>,
    status: Option<String>,
    #[serde(default)]
    images: Vec<ImageBody>,
    #[serde(default)]
    options: Vec<OptionBody>,
    #[serde(default)]
    variants: Vec<VariantBody>,
    collection_id: Option<String>,
    #[serde(default)]
    categories: Vec<IdBody>,
    #[serde(default)]
    tags: Vec<TagBody>,
    #[serde(default)]
    sales_channels: Vec<IdBody>,
}

/// Medusa's `AdminUpdateProduct`: only the fields given change; `null`
/// clears an optional one.
#[derive(Deserialize)]
pub struct UpdateProduct {
    title: Option<String>,
    handle: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    subtitle: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    thumbnail: Option<String>,
    status: Option<String>,
    images: Option<Vec<ImageBody>>,
    #[serde(default, deserialize_with = "nullable")]
    collection_id: Option<String>,
    categories: Option<Vec<IdBody>>,
    tags: Option<Vec<TagBody>>,
    sales_channels: Option<Vec<IdBody>>,
    variants: Option<Vec<VariantBody>>,
}

#[derive(Deserialize)]
struct ImageBody {
    url: String,
}

#[derive(Deserialize)]
struct OptionBody {
    title: String,
    values: Vec<String>,
}

#[derive(Deserialize)]
struct IdBody {
    id: String,
}

#[derive(Deserialize)]
struct TagBody {
    value: String,
}

/// A variant to create or change (Medusa's `AdminCreateProductVariant` /
/// `AdminUpdateProductVariant`); prices in major units.
#[derive(Deserialize)]
pub struct VariantBody {
    id: Option<String>,
    title: Option<String>,
    sku: Option<String>,
    barcode: Option<String>,
    weight: Option<i32>,
    manage_inventory: Option<bool>,
    prices: Option<Vec<PriceBody>>,
    #[serde(default)]
    options: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct PriceBody {
    currency_code: String,
    amount: f64,
}

pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminProduct>>, ApiError> {
    let (offset, limit) = params.page()?;
    let channel_ids = params.list("sales_channel_id")?;
    let query = ProductQuery {
        q: params.text("q")?,
        ids: params.list("id")?,
        handle: params.text("handle")?,
        category_ids: params.list("category_id")?,
        collection_ids: params.list("collection_id")?,
        sales_channel_ids: (!channel_ids.is_empty()).then_some(channel_ids),
        order: ProductOrder::parse(
            params.text("order")?.as_deref().unwrap_or_default(),
            params.text("currency_code")?.as_deref(),
        )?,
        ranked: false,
        offset,
        limit,
    };
    let statuses = params
        .list("status")?
        .iter()
        .map(|s| domain::states::parse(s, "a product status (draft or published)"))
        .collect::<Result<Vec<_>, _>>()?;
    let page = catalog::list_in_statuses(&state.db, &query, &statuses).await?;
    let products = shape_products(&state, page.products).await?;
    Ok(Listing::new(
        "products",
        Page {
            items: products,
            count: page.count,
            offset: page.offset,
            limit: page.limit,
        },
    ))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    product_response(&state, &id).await
}

pub async fn create(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<CreateProduct>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let input = ProductInput {
        title: body.title,
        handle: body.handle,
        subtitle: body.subtitle,
        description: body.description,
        thumbnail: body.thumbnail,
        status: body.status,
        images: body.images.into_iter().map(|i| i.url).collect(),
        options: body
            .options
            .into_iter()
            .map(|o| OptionInput {
                title: o.title,
                values: o.values,
            })
            .collect(),
        variants: body
            .variants
            .into_iter()
            .map(VariantInput::try_from)
            .collect::<Result<_, _>>()?,
        collection_id: body.collection_id,
        category_ids: ids(body.categories),
        tags: body.tags.into_iter().map(|t| t.value).collect(),
        sales_channel_ids: ids(body.sales_channels),
    };
    let id = editing::create(&state.db, input).await?;
    product_response(&state, &id).await
}

pub async fn update(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<UpdateProduct>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let changes = ProductChanges {
        title: body.title,
        handle: body.handle,
        subtitle: body.subtitle,
        description: body.description,
        thumbnail: body.thumbnail,
        status: body.status,
        images: body
            .images
            .map(|images| images.into_iter().map(|i| i.url).collect()),
        collection_id: body.collection_id,
        category_ids: body.categories.map(ids),
        tags: body
            .tags
            .map(|tags| tags.into_iter().map(|t| t.value).collect()),
        sales_channel_ids: body.sales_channels.map(ids),
        variants: body
            .variants
            .map(|variants| {
                variants
                    .into_iter()
                    .map(VariantInput::try_from)
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?,
    };
    editing::update(&state.db, &id, changes).await?;
    product_response(&state, &id).await
}

pub async fn delete(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    editing::delete(&state.db, &id).await?;
    Ok(Deleted::of("product", id))
}

pub async fn list_variants(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Listing<AdminVariant>>, ApiError> {
    let (offset, limit) = params.page()?;
    catalog::check_page_size(limit)?;
    let product = shape_product(&state, catalog::find_product(&state.db, &id).await?).await?;
    let count = product.variants.len() as u64;
    let items = product
        .variants
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    Ok(Listing::new(
        "variants",
        Page {
            items,
            count,
            offset,
            limit,
        },
    ))
}

pub async fn retrieve_variant(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path((id, variant_id)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let product = shape_product(&state, catalog::find_product(&state.db, &id).await?).await?;
    let variant = product
        .variants
        .into_iter()
        .find(|v| v.id == variant_id)
        .ok_or_else(|| domain::DomainError::not_found("Variant", &variant_id))?;
    Ok(one("variant", variant))
}

pub async fn create_variant(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<VariantBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    editing::create_variant(&state.db, &id, body.try_into()?).await?;
    product_response(&state, &id).await
}

pub async fn update_variant(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path((id, variant_id)): Path<(String, String)>,
    body: Result<Json<VariantBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    editing::update_variant(&state.db, &id, &variant_id, body.try_into()?).await?;
    product_response(&state, &id).await
}

pub async fn delete_variant(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path((id, variant_id)): Path<(String, String)>,
) -> Result<Json<Deleted>, ApiError> {
    editing::delete_variant(&state.db, &id, &variant_id).await?;
    Ok(Deleted::of("variant", variant_id))
}

/// `/admin/product-variants`: variants of every product (Medusa's
/// `sdk.admin.productVariant.list`), each with its product.
pub async fn list_all_variants(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminVariant>>, ApiError> {
    let (offset, limit) = params.page()?;
    let query = VariantQuery {
        q: params.text("q")?,
        ids: params.list("id")?,
        skus: params.list("sku")?,
        product_ids: params.list("product_id")?,
        offset,
        limit,
    };
    let page = catalog::list_variants(&state.db, &query).await?;
    let variant_ids: Vec<String> = page
        .items
        .iter()
        .map(|(v, _)| v.variant.id.clone())
        .collect();
    let items = inventory::items_by_variant(&state.db, &variant_ids).await?;
    Ok(Listing::of("variants", page, |(detail, product)| {
        let mut variant = AdminVariant::new(detail, &items);
        variant.product = Some(VariantProduct {
            id: product.id,
            title: product.title,
            handle: product.handle,
            status: product.status,
            thumbnail: product.thumbnail,
        });
        variant
    }))
}

/// A field given as `null` becomes `Some("")`, which the domain reads as
/// "clear it"; a missing field stays `None`, "keep it".
fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Some(Option::<String>::deserialize(d)?.unwrap_or_default()))
}

fn ids(bodies: Vec<IdBody>) -> Vec<String> {
    bodies.into_iter().map(|b| b.id).collect()
}

impl TryFrom<VariantBody> for VariantInput {
    type Error = ApiError;

    fn try_from(body: VariantBody) -> Result<Self, ApiError> {
        let prices = body
            .prices
            .map(|prices| {
                prices
                    .into_iter()
                    .map(|p| {
                        let minor = to_minor_units(p.amount, &p.currency_code)?;
                        Ok((p.currency_code, minor))
                    })
                    .collect::<Result<Vec<_>, domain::DomainError>>()
            })
            .transpose()?;
        Ok(Self {
            id: body.id,
            title: body.title,
            sku: body.sku,
            barcode: body.barcode,
            weight_grams: body.weight,
            prices,
            options: body.options,
            manage_inventory: body.manage_inventory,
            stock: Vec::new(),
        })
    }
}

pub(super) async fn product_response(
    state: &AppState,
    id: &str,
) -> Result<Json<serde_json::Value>, ApiError> {
    let product = catalog::find_product(&state.db, id).await?;
    Ok(one("product", shape_product(state, product).await?))
}

async fn shape_product(state: &AppState, product: ProductDetail) -> Result<AdminProduct, ApiError> {
    Ok(shape_products(state, vec![product]).await?.remove(0))
}

/// The Admin API's view of `products`: channel names and inventory items are
/// looked up once for all of them.
async fn shape_products(
    state: &AppState,
    products: Vec<ProductDetail>,
) -> Result<Vec<AdminProduct>, ApiError> {
    let channel_names: HashMap<String, String> = channels::list_sales_channels(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let variant_ids: Vec<String> = products
        .iter()
        .flat_map(|p| &p.variants)
        .map(|v| v.variant.id.clone())
        .collect();
    let items = inventory::items_by_variant(&state.db, &variant_ids).await?;
    Ok(products
        .into_iter()
        .map(|detail| AdminProduct::new(detail, &channel_names, &items))
        .collect())
}

impl AdminProduct {
    fn new(
        detail: ProductDetail,
        channel_names: &HashMap<String, String>,
        items: &HashMap<String, String>,
    ) -> Self {
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
            collection_id: p.collection_id,
            collection: detail.collection.map(|c| IdTitle {
                id: c.id,
                title: c.title,
                handle: c.handle,
            }),
            categories: detail
                .categories
                .into_iter()
                .map(|c| IdName {
                    id: c.id,
                    name: c.name,
                })
                .collect(),
            tags: detail
                .tags
                .into_iter()
                .map(|t| IdValue {
                    id: t.id,
                    value: t.value,
                })
                .collect(),
            images: detail.images.into_iter().map(ProductImage::from).collect(),
            options: detail
                .options
                .into_iter()
                .map(ProductOption::from)
                .collect(),
            variants: detail
                .variants
                .into_iter()
                .map(|v| AdminVariant::new(v, items))
                .collect(),
            sales_channels: detail
                .sales_channel_ids
                .into_iter()
                .map(|id| IdName {
                    name: channel_names.get(&id).cloned().unwrap_or_default(),
                    id,
                })
                .collect(),
            type_id: None,
            external_id: None,
            metadata: None,
            created_at: p.created_at,
            updated_at: p.updated_at,
            deleted_at: None,
        }
    }
}

impl AdminVariant {
    fn new(detail: VariantDetail, items: &HashMap<String, String>) -> Self {
        let v = detail.variant;
        let inventory_items: Vec<VariantInventoryItem> = items
            .get(&v.id)
            .map(|item_id| VariantInventoryItem {
                inventory_item_id: item_id.clone(),
                variant_id: v.id.clone(),
                required_quantity: 1,
            })
            .into_iter()
            .collect();
        Self {
            manage_inventory: !inventory_items.is_empty(),
            inventory_items,
            prices: detail
                .prices
                .into_iter()
                .map(|p| AdminPrice {
                    amount: to_major_units(p.amount, &p.currency_code),
                    id: p.id,
                    currency_code: p.currency_code,
                    variant_id: p.variant_id,
                })
                .collect(),
            options: variant_options(detail.options),
            id: v.id,
            title: v.title,
            sku: v.sku,
            barcode: v.barcode,
            ean: None,
            upc: None,
            allow_backorder: false,
            weight: v.weight_grams,
            variant_rank: v.rank,
            product_id: v.product_id,
            product: None,
            created_at: v.created_at,
            updated_at: v.updated_at,
            deleted_at: None,
        }
    }
}
