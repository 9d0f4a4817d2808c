//! Products, their variants and prices, and how they are organised
//! (categories, collections, tags). The storefront and the Store API read
//! only published products.

pub mod category;
pub mod category_link;
pub mod collection;
pub mod editing;
pub mod export;
pub mod generate;
pub mod image;
pub mod option_value;
pub mod price;
pub mod product;
pub mod product_option;
pub mod tag;
pub mod tag_link;
pub mod taxonomy;
pub mod variant;
pub mod variant_option;

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{ExprTrait, Query},
};

use crate::DomainError;

pub const MAX_PAGE_SIZE: u64 = 100;

/// Outbox events of product changes, each with the product's `id`; a change
/// to a variant or its prices is an update of its product.
pub const PRODUCT_CREATED: &str = "product.created";
pub const PRODUCT_UPDATED: &str = "product.updated";
pub const PRODUCT_DELETED: &str = "product.deleted";
pub const PRODUCT_EVENTS: [&str; 3] = [PRODUCT_CREATED, PRODUCT_UPDATED, PRODUCT_DELETED];

/// A product as shoppers see it: its variants, each with its prices, and
/// where it is filed (only categories shoppers may see).
#[derive(Debug, Clone)]
pub struct ProductDetail {
    pub product: product::Model,
    pub variants: Vec<VariantDetail>,
    pub collection: Option<collection::Model>,
    pub categories: Vec<category::Model>,
    pub tags: Vec<tag::Model>,
    pub images: Vec<image::Model>,
    pub options: Vec<OptionDetail>,
    pub sales_channel_ids: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct OptionDetail {
    pub option: product_option::Model,
    pub values: Vec<option_value::Model>,
}

#[derive(Debug, Clone)]
pub struct VariantDetail {
    pub variant: variant::Model,
    pub prices: Vec<price::Model>,
    /// (option title, value) pairs, in the product's option order.
    pub options: Vec<(String, option_value::Model)>,
}

impl VariantDetail {
    /// The amount in minor units for `currency_code`, if the variant has one.
    pub fn price_in(&self, currency_code: &str) -> Option<i64> {
        self.price_for(currency_code).map(|p| p.amount)
    }

    pub fn price_for(&self, currency_code: &str) -> Option<&price::Model> {
        self.prices
            .iter()
            .find(|p| p.currency_code == currency_code)
    }
}

#[derive(Debug, Clone, Default)]
pub struct ProductQuery {
    /// Free text matched against the title and handle.
    pub q: Option<String>,
    /// Only these products (any of them); no restriction when empty.
    pub ids: Vec<String>,
    pub handle: Option<String>,
    /// Only products in any of these categories; no restriction when empty.
    pub category_ids: Vec<String>,
    /// Only products in any of these collections; no restriction when empty.
    pub collection_ids: Vec<String>,
    /// Only products published to one of these channels; `None` for all.
    pub sales_channel_ids: Option<Vec<String>>,
    pub order: ProductOrder,
    /// `ids` are a search's hits, best first ([`crate::search::narrow`]):
    /// the default order is theirs.
    pub ranked: bool,
    pub offset: u64,
    pub limit: u64,
}

/// How a product list is ordered; ties go to the newer product.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProductOrder {
    /// The best match first when the list was searched, else the newest.
    #[default]
    Default,
    Newest,
    Oldest,
    RecentlyUpdated,
    LeastRecentlyUpdated,
    TitleAz,
    TitleZa,
    /// By the cheapest variant's price in this currency (lowercase code);
    /// products without a price in it come last either way.
    PriceLowest(String),
    PriceHighest(String),
}

impl ProductOrder {
    /// Medusa's `order` parameter (`created_at`, `updated_at`, `title`, each
    /// with `-` for descending), and `price` / `-price` in `currency` (the
    /// list's region's or `currency_code`).
    pub fn parse(order: &str, currency: Option<&str>) -> Result<Self, DomainError> {
        let price_in = |currency: Option<&str>| {
            currency.map(str::to_lowercase).ok_or_else(|| {
                DomainError::Invalid(
                    "ordering by price needs a region_id or currency_code to price in".into(),
                )
            })
        };
        Ok(match order.trim() {
            "" => Self::Default,
            "created_at" => Self::Oldest,
            "-created_at" => Self::Newest,
            "updated_at" => Self::LeastRecentlyUpdated,
            "-updated_at" => Self::RecentlyUpdated,
            "title" => Self::TitleAz,
            "-title" => Self::TitleZa,
            "price" => Self::PriceLowest(price_in(currency)?),
            "-price" => Self::PriceHighest(price_in(currency)?),
            other => {
                return Err(DomainError::Invalid(format!(
                    "order `{}` is not one of created_at, updated_at, title, price (each also with - for descending)",
                    other.chars().take(40).collect::<String>()
                )));
            }
        })
    }
}

#[derive(Debug, Clone)]
pub struct ProductPage {
    pub products: Vec<ProductDetail>,
    pub count: u64,
    pub offset: u64,
    pub limit: u64,
}

/// Published products, newest first, one page at a time.
pub async fn list_published(
    db: &impl ConnectionTrait,
    query: &ProductQuery,
) -> Result<ProductPage, DomainError> {
    list_in_statuses(db, query, &[product::Status::Published]).await
}

/// Products in any of `statuses` (any status when empty), newest first, one
/// page at a time.
pub async fn list_in_statuses(
    db: &impl ConnectionTrait,
    query: &ProductQuery,
    statuses: &[product::Status],
) -> Result<ProductPage, DomainError> {
    check_page_size(query.limit)?;
    let mut select = product::Entity::find();
    if !statuses.is_empty() {
        select = select.filter(product::Column::Status.is_in(statuses.iter().copied()));
    }
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(
            sea_orm::Condition::any()
                .add(product::Column::Title.contains(q))
                .add(product::Column::Handle.contains(q)),
        );
    }
    if !query.ids.is_empty() {
        select = select.filter(product::Column::Id.is_in(query.ids.clone()));
    }
    if let Some(handle) = &query.handle {
        select = select.filter(product::Column::Handle.eq(handle));
    }
    if !query.category_ids.is_empty() {
        select = select.filter(
            product::Column::Id.in_subquery(
                Query::select()
                    .column(category_link::Column::ProductId)
                    .from(category_link::Entity)
                    .and_where(
                        category_link::Column::CategoryId
                            .into_expr()
                            .is_in(query.category_ids.clone()),
                    )
                    .to_owned(),
            ),
        );
    }
    if !query.collection_ids.is_empty() {
        select = select.filter(product::Column::CollectionId.is_in(query.collection_ids.clone()));
    }
    if let Some(channel_ids) = &query.sales_channel_ids {
        select = select.filter(in_channels(channel_ids));
    }
    if query.ranked && query.order == ProductOrder::Default {
        return ranked_page(db, select, query).await;
    }
    let count = select.clone().count(db).await?;
    let select = match &query.order {
        ProductOrder::Default | ProductOrder::Newest => select,
        ProductOrder::Oldest => select
            .order_by_asc(product::Column::CreatedAt)
            .order_by_asc(product::Column::Id),
        ProductOrder::RecentlyUpdated => select.order_by_desc(product::Column::UpdatedAt),
        ProductOrder::LeastRecentlyUpdated => select.order_by_asc(product::Column::UpdatedAt),
        // Case aside, as people read titles (SQLite compares bytes).
        ProductOrder::TitleAz => select.order_by(lower_title(), sea_orm::Order::Asc),
        ProductOrder::TitleZa => select.order_by(lower_title(), sea_orm::Order::Desc),
        ProductOrder::PriceLowest(currency) => {
            // No price in the currency sorts as dearest of all.
            select.order_by(lowest_price(currency, i64::MAX), sea_orm::Order::Asc)
        }
        ProductOrder::PriceHighest(currency) => {
            select.order_by(lowest_price(currency, -1), sea_orm::Order::Desc)
        }
    };
    let products = select
        .order_by_desc(product::Column::CreatedAt)
        .order_by_desc(product::Column::Id)
        .offset(crate::paging::row_offset(query.offset))
        .limit(query.limit)
        .all(db)
        .await?;
    Ok(ProductPage {
        products: with_details(db, products).await?,
        count,
        offset: query.offset,
        limit: query.limit,
    })
}

fn lower_title() -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, Func};
    Func::lower(Expr::col((product::Entity, product::Column::Title))).into()
}

/// The cheapest variant's price of the product in `currency`, `missing` when none.
fn lowest_price(currency: &str, missing: i64) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, Func, QueryStatementBuilder, SimpleExpr};
    let cheapest = Query::select()
        .expr(Func::min(Expr::col((price::Entity, price::Column::Amount))))
        .from(price::Entity)
        .inner_join(
            variant::Entity,
            Expr::col((variant::Entity, variant::Column::Id))
                .equals((price::Entity, price::Column::VariantId)),
        )
        .and_where(
            Expr::col((variant::Entity, variant::Column::ProductId))
                .equals((product::Entity, product::Column::Id)),
        )
        .and_where(Expr::col((price::Entity, price::Column::CurrencyCode)).eq(currency))
        .to_owned();
    Func::coalesce([
        SimpleExpr::SubQuery(None, Box::new(cheapest.into_sub_query_statement())),
        Expr::val(missing),
    ])
    .into()
}

/// A page of `select`'s products in the order of `query.ids` (a search's
/// hits, best first; at most [`crate::search::MAX_HITS`] of them).
async fn ranked_page(
    db: &impl ConnectionTrait,
    select: sea_orm::Select<product::Entity>,
    query: &ProductQuery,
) -> Result<ProductPage, DomainError> {
    let matching: std::collections::HashSet<String> = select
        .select_only()
        .column(product::Column::Id)
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let ranked: Vec<&String> = query
        .ids
        .iter()
        .filter(|id| matching.contains(*id))
        .collect();
    let page_ids: Vec<String> = ranked
        .iter()
        .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
        .map(|id| (*id).clone())
        .collect();
    let mut found: HashMap<String, product::Model> = product::Entity::find()
        .filter(product::Column::Id.is_in(page_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let products = page_ids.iter().filter_map(|id| found.remove(id)).collect();
    Ok(ProductPage {
        products: with_details(db, products).await?,
        count: ranked.len() as u64,
        offset: query.offset,
        limit: query.limit,
    })
}

/// One product by id, whatever its status.
pub async fn find_product(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<ProductDetail, DomainError> {
    let product = product::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Product", id))?;
    Ok(with_details(db, vec![product]).await?.remove(0))
}

/// One published product by id or handle.
pub async fn find_published(
    db: &impl ConnectionTrait,
    id_or_handle: &str,
) -> Result<ProductDetail, DomainError> {
    find_published_where(db, id_or_handle, None).await
}

/// One published product by id or handle, if it is published to one of
/// `channel_ids`.
pub async fn find_published_in_channels(
    db: &impl ConnectionTrait,
    id_or_handle: &str,
    channel_ids: &[String],
) -> Result<ProductDetail, DomainError> {
    find_published_where(db, id_or_handle, Some(channel_ids)).await
}

async fn find_published_where(
    db: &impl ConnectionTrait,
    id_or_handle: &str,
    channel_ids: Option<&[String]>,
) -> Result<ProductDetail, DomainError> {
    let mut select = product::Entity::find()
        .filter(product::Column::Status.eq(product::Status::Published))
        .filter(
            sea_orm::Condition::any()
                .add(product::Column::Id.eq(id_or_handle))
                .add(product::Column::Handle.eq(id_or_handle)),
        );
    if let Some(channel_ids) = channel_ids {
        select = select.filter(in_channels(channel_ids));
    }
    let product = select
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Product", id_or_handle))?;
    Ok(with_details(db, vec![product]).await?.remove(0))
}

/// Which of `ids` are published to one of `channel_ids`.
pub async fn visible_ids(
    db: &impl ConnectionTrait,
    ids: &[String],
    channel_ids: &[String],
) -> Result<std::collections::HashSet<String>, DomainError> {
    let visible: Vec<String> = product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .filter(product::Column::Status.eq(product::Status::Published))
        .filter(product::Column::Id.is_in(ids.iter().cloned()))
        .filter(in_channels(channel_ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(visible.into_iter().collect())
}

/// Products published to one of `channel_ids` (none when it is empty).
fn in_channels(channel_ids: &[String]) -> sea_orm::Condition {
    use crate::channels::product_channel;
    sea_orm::Condition::all().add(
        product::Column::Id.in_subquery(
            sea_orm::sea_query::Query::select()
                .column(product_channel::Column::ProductId)
                .from(product_channel::Entity)
                .and_where(
                    product_channel::Column::SalesChannelId.is_in(channel_ids.iter().cloned()),
                )
                .to_owned(),
        ),
    )
}

/// Which variants `list_variants` finds; empty lists match everything.
#[derive(Debug, Clone, Default)]
pub struct VariantQuery {
    /// Part of the title or SKU.
    pub q: Option<String>,
    pub ids: Vec<String>,
    pub skus: Vec<String>,
    pub product_ids: Vec<String>,
    pub offset: u64,
    pub limit: u64,
}

/// Variants of every product, newest first, each with its product; one page.
pub async fn list_variants(
    db: &impl ConnectionTrait,
    query: &VariantQuery,
) -> Result<crate::paging::Page<(VariantDetail, product::Model)>, DomainError> {
    check_page_size(query.limit)?;
    let mut select = variant::Entity::find();
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(
            sea_orm::Condition::any()
                .add(variant::Column::Title.contains(q))
                .add(variant::Column::Sku.contains(q)),
        );
    }
    if !query.ids.is_empty() {
        select = select.filter(variant::Column::Id.is_in(query.ids.clone()));
    }
    if !query.skus.is_empty() {
        select = select.filter(variant::Column::Sku.is_in(query.skus.clone()));
    }
    if !query.product_ids.is_empty() {
        select = select.filter(variant::Column::ProductId.is_in(query.product_ids.clone()));
    }
    let count = select.clone().count(db).await?;
    let page = select
        .order_by_desc(variant::Column::CreatedAt)
        .order_by_desc(variant::Column::Id)
        .offset(crate::paging::row_offset(query.offset))
        .limit(query.limit)
        .all(db)
        .await?;
    let product_ids: Vec<String> = page.iter().map(|v| v.product_id.clone()).collect();
    let products = product::Entity::find()
        .filter(product::Column::Id.is_in(product_ids))
        .all(db)
        .await?;
    let mut details: HashMap<String, (VariantDetail, product::Model)> = HashMap::new();
    for detail in with_details(db, products).await? {
        for variant in detail.variants {
            details.insert(
                variant.variant.id.clone(),
                (variant, detail.product.clone()),
            );
        }
    }
    Ok(crate::paging::Page {
        items: page.iter().filter_map(|v| details.remove(&v.id)).collect(),
        count,
        offset: query.offset,
        limit: query.limit,
    })
}

/// Loads variants, prices and organisation for `products` with a fixed number
/// of queries, whatever their number.
pub(crate) async fn with_details(
    db: &impl ConnectionTrait,
    products: Vec<product::Model>,
) -> Result<Vec<ProductDetail>, DomainError> {
    let ids: Vec<String> = products.iter().map(|p| p.id.clone()).collect();
    let variants = variant::Entity::find()
        .filter(variant::Column::ProductId.is_in(ids.clone()))
        .order_by_asc(variant::Column::Rank)
        .all(db)
        .await?;
    let variant_ids: Vec<String> = variants.iter().map(|v| v.id.clone()).collect();
    let mut media = editing::media_of(db, &ids, &variant_ids).await?;
    let mut prices_by_variant: HashMap<String, Vec<price::Model>> = HashMap::new();
    for price in price::Entity::find()
        .filter(price::Column::VariantId.is_in(variant_ids))
        .all(db)
        .await?
    {
        prices_by_variant
            .entry(price.variant_id.clone())
            .or_default()
            .push(price);
    }
    let mut variants_by_product: HashMap<String, Vec<VariantDetail>> = HashMap::new();
    for variant in variants {
        let prices = prices_by_variant.remove(&variant.id).unwrap_or_default();
        let options = media
            .variant_options
            .remove(&variant.id)
            .unwrap_or_default();
        variants_by_product
            .entry(variant.product_id.clone())
            .or_default()
            .push(VariantDetail {
                variant,
                prices,
                options,
            });
    }
    let mut organisation = taxonomy::organisation_of(db, &products).await?;
    Ok(products
        .into_iter()
        .map(|product| ProductDetail {
            variants: variants_by_product.remove(&product.id).unwrap_or_default(),
            collection: organisation.collections.remove(&product.id),
            categories: organisation
                .categories
                .remove(&product.id)
                .unwrap_or_default(),
            tags: organisation.tags.remove(&product.id).unwrap_or_default(),
            images: media.images.remove(&product.id).unwrap_or_default(),
            options: media.options.remove(&product.id).unwrap_or_default(),
            sales_channel_ids: media.channels.remove(&product.id).unwrap_or_default(),
            product,
        })
        .collect())
}

pub fn check_page_size(limit: u64) -> Result<(), DomainError> {
    if limit == 0 || limit > MAX_PAGE_SIZE {
        return Err(DomainError::Invalid(format!(
            "limit must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    Ok(())
}

/// A trimmed handle of lowercase letters, digits and dashes, as URLs use them.
pub(crate) fn valid_handle(handle: &str) -> Result<String, DomainError> {
    let handle = handle.trim();
    if handle.is_empty()
        || !handle
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(DomainError::Invalid(
            "a handle uses lowercase letters, digits and dashes".into(),
        ));
    }
    Ok(handle.to_owned())
}

/// What it takes to create a product with its variants and prices.
#[derive(Debug, Clone)]
pub struct NewProduct {
    pub title: String,
    pub handle: String,
    pub description: Option<String>,
    pub thumbnail: Option<String>,
    pub published: bool,
    pub variants: Vec<NewVariant>,
}

#[derive(Debug, Clone)]
pub struct NewVariant {
    pub title: String,
    pub sku: Option<String>,
    pub weight_grams: Option<i32>,
    /// (currency code, amount in minor units)
    pub prices: Vec<(String, i64)>,
}

/// Creates a product, its variants and prices in one transaction; the
/// variants' stock is not managed.
pub async fn create_product(
    db: &impl crate::db::Writable,
    new: NewProduct,
) -> Result<String, DomainError> {
    let input = editing::ProductInput {
        title: new.title,
        handle: Some(new.handle),
        description: new.description,
        thumbnail: new.thumbnail,
        status: Some(
            if new.published {
                product::Status::Published
            } else {
                product::Status::Draft
            }
            .to_string(),
        ),
        variants: new
            .variants
            .into_iter()
            .map(|v| editing::VariantInput {
                title: Some(v.title),
                sku: v.sku,
                weight_grams: v.weight_grams,
                prices: Some(v.prices),
                manage_inventory: Some(false),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    editing::create(db, input).await
}

/// A variant with its product's title, for adding it to a cart.
pub async fn find_variant(
    db: &impl ConnectionTrait,
    variant_id: &str,
) -> Result<(variant::Model, product::Model, Vec<price::Model>), DomainError> {
    let (variant, product) = variant::Entity::find_by_id(variant_id)
        .find_also_related(product::Entity)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Variant", variant_id))?;
    let product = product
        .filter(|p| p.status == product::Status::Published)
        .ok_or_else(|| DomainError::not_found("Variant", variant_id))?;
    let prices = price::Entity::find()
        .filter(price::Column::VariantId.eq(variant_id))
        .all(db)
        .await?;
    Ok((variant, product, prices))
}

pub async fn count_products(db: &impl ConnectionTrait) -> Result<u64, DomainError> {
    Ok(product::Entity::find().count(db).await?)
}

/// "Product — Variant" of each variant id, in one query.
pub async fn variant_labels(
    db: &impl ConnectionTrait,
    variant_ids: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, String>, DomainError> {
    Ok(variant::Entity::find()
        .filter(variant::Column::Id.is_in(variant_ids))
        .find_also_related(product::Entity)
        .all(db)
        .await?
        .into_iter()
        .map(|(variant, product)| {
            let label = match product {
                Some(product) => format!("{} — {}", product.title, variant.title),
                None => variant.title,
            };
            (variant.id, label)
        })
        .collect())
}
