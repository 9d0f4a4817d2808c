//! Product search: the port an engine implements (the embedded one, later
//! Meilisearch), the document it indexes per product, and keeping the index
//! in step with the catalog (outbox events, full rebuilds).
//!
//! The index answers "which products match these words", ranked; which of
//! them a shopper may see (status, sales channel) and in what page is still
//! decided by the catalog's queries, so the index cannot leak a draft.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::Deserialize;

use crate::{
    DomainError,
    catalog::{self, ProductDetail, ProductPage, ProductQuery, product},
    events::{Event, Subscriber},
    vending::{scale, scale_assignment},
};

/// The most hits one search returns; a query matching more is too vague to page through.
pub const MAX_HITS: usize = 1000;

/// What the index knows of one product.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductDocument {
    pub id: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub description: Option<String>,
    pub handle: String,
    pub status: String,
    pub variant_titles: Vec<String>,
    pub skus: Vec<String>,
    pub categories: Vec<String>,
    pub collections: Vec<String>,
    pub tags: Vec<String>,
    /// (currency code, lowest amount among the variants, minor units).
    pub prices: Vec<(String, i64)>,
    /// The vending machines (device ids) with a scale stocked with one of its variants.
    pub machine_ids: Vec<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl ProductDocument {
    pub fn new(detail: &ProductDetail, machine_ids: Vec<String>) -> Self {
        let p = &detail.product;
        let mut lowest: HashMap<&str, i64> = HashMap::new();
        for price in detail.variants.iter().flat_map(|v| &v.prices) {
            let entry = lowest
                .entry(price.currency_code.as_str())
                .or_insert(price.amount);
            *entry = (*entry).min(price.amount);
        }
        let mut prices: Vec<(String, i64)> = lowest
            .into_iter()
            .map(|(currency, amount)| (currency.to_owned(), amount))
            .collect();
        prices.sort();
        Self {
            id: p.id.clone(),
            title: p.title.clone(),
            subtitle: p.subtitle.clone(),
            description: p.description.clone(),
            handle: p.handle.clone(),
            status: p.status.to_string(),
            variant_titles: detail
                .variants
                .iter()
                .map(|v| v.variant.title.clone())
                .collect(),
            skus: detail
                .variants
                .iter()
                .filter_map(|v| v.variant.sku.clone())
                .collect(),
            categories: detail.categories.iter().map(|c| c.name.clone()).collect(),
            collections: detail.collection.iter().map(|c| c.title.clone()).collect(),
            tags: detail.tags.iter().map(|t| t.value.clone()).collect(),
            prices,
            machine_ids,
            created_at: p.created_at,
        }
    }
}

/// One product a search found, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub product_id: String,
    pub title: String,
    pub handle: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The engine failed (its files, its server); searching may work later.
    #[error("search engine: {0}")]
    Engine(String),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

/// What a search engine must do.
#[async_trait]
pub trait ProductSearch: Send + Sync {
    /// Adds or replaces these products' documents.
    async fn upsert(&self, documents: Vec<ProductDocument>) -> Result<(), SearchError>;
    /// Forgets these products (unknown ids are no error).
    async fn remove(&self, product_ids: Vec<String>) -> Result<(), SearchError>;
    /// Forgets every product.
    async fn clear(&self) -> Result<(), SearchError>;
    /// How many products the index holds.
    async fn count(&self) -> Result<u64, SearchError>;
    /// Products matching every word of `query` (in any field, forgiving a
    /// typo or two in longer words, the last word also as a prefix), best
    /// first, at most `limit`.
    async fn search(&self, query: &str, limit: usize) -> Result<Vec<Hit>, SearchError>;
    /// Products whose title has a word starting with each word typed so far
    /// (typos forgiven as in [`ProductSearch::search`]): for suggestions as
    /// the shopper types.
    async fn suggest(&self, prefix: &str, limit: usize) -> Result<Vec<Hit>, SearchError>;
}

/// How many edits a query word may be from a word it matches: none for short
/// words (a typo in "tea" is another word), one from 4 letters, two from 8.
pub fn typo_distance(word: &str) -> u8 {
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The machines stocking each of `products`' variants, by product id.
async fn machines_of(
    db: &impl ConnectionTrait,
    products: &[ProductDetail],
) -> Result<HashMap<String, Vec<String>>, DomainError> {
    let product_of: HashMap<&str, &str> = products
        .iter()
        .flat_map(|p| {
            p.variants
                .iter()
                .map(|v| (v.variant.id.as_str(), p.product.id.as_str()))
        })
        .collect();
    let assignments = scale_assignment::Entity::find()
        .filter(scale_assignment::Column::VariantId.is_in(product_of.keys().copied()))
        .all(db)
        .await?;
    let scale_ids: BTreeSet<String> = assignments.iter().map(|a| a.scale_id.clone()).collect();
    let device_of: HashMap<String, String> = scale::Entity::find()
        .filter(scale::Column::Id.is_in(scale_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.device_id))
        .collect();
    let mut machines: HashMap<String, BTreeSet<String>> = HashMap::new();
    for assignment in assignments {
        if let (Some(product), Some(device)) = (
            product_of.get(assignment.variant_id.as_str()),
            device_of.get(&assignment.scale_id),
        ) {
            machines
                .entry((*product).to_owned())
                .or_default()
                .insert(device.clone());
        }
    }
    Ok(machines
        .into_iter()
        .map(|(product, devices)| (product, devices.into_iter().collect()))
        .collect())
}

async fn documents_of(
    db: &impl ConnectionTrait,
    products: Vec<product::Model>,
) -> Result<Vec<ProductDocument>, DomainError> {
    let details = catalog::with_details(db, products).await?;
    let mut machines = machines_of(db, &details).await?;
    Ok(details
        .iter()
        .map(|d| ProductDocument::new(d, machines.remove(&d.product.id).unwrap_or_default()))
        .collect())
}

/// Brings these products' documents up to date in one index write: each
/// indexed as it is now, or forgotten when it no longer exists.
pub async fn reindex_products(
    db: &impl ConnectionTrait,
    search: &dyn ProductSearch,
    product_ids: &[String],
) -> Result<(), SearchError> {
    let found = product::Entity::find()
        .filter(product::Column::Id.is_in(product_ids.iter().cloned()))
        .all(db)
        .await
        .map_err(DomainError::from)?;
    let gone: Vec<String> = product_ids
        .iter()
        .filter(|id| !found.iter().any(|p| &p.id == *id))
        .cloned()
        .collect();
    if !found.is_empty() {
        search.upsert(documents_of(db, found).await?).await?;
    }
    if !gone.is_empty() {
        search.remove(gone).await?;
    }
    Ok(())
}

/// Narrows `query` by its free text through the index: its `q` becomes the
/// ids of the products the index finds (within any ids it already names),
/// best first. False when nothing can match.
pub async fn narrow(
    search: &dyn ProductSearch,
    query: &mut ProductQuery,
) -> Result<bool, SearchError> {
    let Some(q) = query.q.take().filter(|q| !q.trim().is_empty()) else {
        return Ok(true);
    };
    let found: Vec<String> = search
        .search(&q, MAX_HITS)
        .await?
        .into_iter()
        .map(|hit| hit.product_id)
        .collect();
    // Best first: the list's default order is the search's.
    query.ids = if query.ids.is_empty() {
        found
    } else {
        found
            .into_iter()
            .filter(|id| query.ids.contains(id))
            .collect()
    };
    query.ranked = true;
    Ok(!query.ids.is_empty())
}

/// Published products as [`catalog::list_published`] lists them (one page
/// at a time), the free text `q` found through the index and, unless the
/// query orders them otherwise, the best match first.
pub async fn list_published(
    db: &impl ConnectionTrait,
    search: &dyn ProductSearch,
    mut query: ProductQuery,
) -> Result<ProductPage, SearchError> {
    catalog::check_page_size(query.limit)?;
    if !narrow(search, &mut query).await? {
        return Ok(ProductPage {
            products: Vec::new(),
            count: 0,
            offset: query.offset,
            limit: query.limit,
        });
    }
    Ok(catalog::list_published(db, &query).await?)
}

/// Products indexed per batch of a rebuild.
const REBUILD_BATCH: u64 = 200;

/// Empties the index and indexes every product again, in batches;
/// `progress(done, total)` after each. The number indexed.
pub async fn rebuild(
    db: &impl ConnectionTrait,
    search: &dyn ProductSearch,
    mut progress: impl FnMut(u64, u64) + Send,
) -> Result<u64, SearchError> {
    let mut pages = product::Entity::find()
        .order_by_asc(product::Column::Id)
        .paginate(db, REBUILD_BATCH);
    let total = pages.num_items().await.map_err(DomainError::from)?;
    search.clear().await?;
    let mut done = 0;
    progress(done, total);
    while let Some(batch) = pages.fetch_and_next().await.map_err(DomainError::from)? {
        done += batch.len() as u64;
        search.upsert(documents_of(db, batch).await?).await?;
        progress(done, total);
    }
    Ok(done)
}

/// Rebuilds the index when it holds another number of products than the
/// catalog: a new or lost index, or one left from another database (the
/// index directory is not tied to the database URL).
pub async fn rebuild_if_out_of_step(
    db: &impl ConnectionTrait,
    search: &dyn ProductSearch,
) -> Result<Option<u64>, SearchError> {
    if search.count().await? == catalog::count_products(db).await? {
        return Ok(None);
    }
    Ok(Some(rebuild(db, search, |_, _| {}).await?))
}

/// Keeps the index in step with the catalog's product events.
pub struct SearchIndexer<C> {
    db: C,
    search: std::sync::Arc<dyn ProductSearch>,
}

impl<C> SearchIndexer<C> {
    pub fn new(db: C, search: std::sync::Arc<dyn ProductSearch>) -> Self {
        Self { db, search }
    }
}

#[derive(Deserialize)]
struct ProductEvent {
    id: String,
}

#[async_trait]
impl<C: ConnectionTrait + Send + Sync> Subscriber for SearchIndexer<C> {
    fn name(&self) -> &'static str {
        "search_index"
    }

    fn wants(&self, event_name: &str) -> bool {
        catalog::PRODUCT_EVENTS.contains(&event_name)
    }

    async fn handle(&self, event: &Event) -> Result<(), String> {
        self.handle_batch(&[event]).await.remove(0)
    }

    /// One index write for the whole batch: a commit per product event made
    /// a bulk edit or import hold the outbox for seconds.
    async fn handle_batch(&self, events: &[&Event]) -> Vec<Result<(), String>> {
        let parsed: Vec<Result<String, String>> = events
            .iter()
            .map(|event| {
                serde_json::from_str::<ProductEvent>(&event.payload)
                    .map(|p| p.id)
                    .map_err(|e| format!("payload: {e}"))
            })
            .collect();
        let mut ids: Vec<String> = parsed.iter().filter_map(|p| p.clone().ok()).collect();
        ids.sort();
        ids.dedup();
        // Reads the products as they are now: a late or repeated event
        // indexes the current state, never an old one.
        let outcome = if ids.is_empty() {
            Ok(())
        } else {
            reindex_products(&self.db, self.search.as_ref(), &ids)
                .await
                .map_err(|e| e.to_string())
        };
        parsed
            .into_iter()
            .map(|p| p.and_then(|_| outcome.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::typo_distance;

    #[test]
    fn longer_words_forgive_more_typos() {
        assert_eq!(typo_distance("tea"), 0);
        assert_eq!(typo_distance("cola"), 1);
        assert_eq!(typo_distance("choclate"), 2);
        assert_eq!(typo_distance("süßwaren"), 2, "letters, not bytes");
    }
}
