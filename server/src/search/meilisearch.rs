//! Product search on a Meilisearch server, through the `meilisearch-sdk`
//! client: one index (`products` by default) whose settings this adapter
//! owns, one document per product. Several store servers can share it.

use std::{collections::BTreeMap, collections::HashMap, time::Duration};

use async_trait::async_trait;
use domain::search::{Hit, MAX_HITS, ProductDocument, ProductSearch, SearchError};
use meilisearch_sdk::{
    client::Client,
    errors::{Error, ErrorCode},
    indexes::Index,
    search::MatchingStrategies,
    settings::{MinWordSizeForTypos, PaginationSetting, Settings, TypoToleranceSettings},
    task_info::TaskInfo,
    tasks::Task,
};
use serde::{Deserialize, Serialize};

/// How often a write's task is polled, and how long it may take: a rebuild
/// batch of a few hundred products takes Meilisearch well under a second.
const TASK_POLL: Duration = Duration::from_millis(20);
const TASK_TIMEOUT: Duration = Duration::from_secs(60);

/// Searched in this order of weight (Meilisearch's `attribute` rule).
const SEARCHABLE: [&str; 9] = [
    "title",
    "handle",
    "subtitle",
    "variant_titles",
    "skus",
    "categories",
    "collections",
    "tags",
    "description",
];
/// For facets and filters: `prices` covers `prices.eur` and the like.
const FILTERABLE: [&str; 6] = [
    "status",
    "categories",
    "collections",
    "tags",
    "machine_ids",
    "prices",
];
const SORTABLE: [&str; 3] = ["created_at", "prices", "title"];

/// One product as the index keeps it.
#[derive(Debug, Serialize, Deserialize)]
struct Document {
    id: String,
    title: String,
    subtitle: Option<String>,
    description: Option<String>,
    handle: String,
    status: String,
    variant_titles: Vec<String>,
    skus: Vec<String>,
    categories: Vec<String>,
    collections: Vec<String>,
    tags: Vec<String>,
    /// Lowest price per currency, minor units: `{ "eur": 250 }`.
    prices: BTreeMap<String, i64>,
    machine_ids: Vec<String>,
    /// Milliseconds since the epoch, for "newest" sorting.
    created_at: i64,
}

impl From<ProductDocument> for Document {
    fn from(d: ProductDocument) -> Self {
        Self {
            id: d.id,
            title: d.title,
            subtitle: d.subtitle,
            description: d.description,
            handle: d.handle,
            status: d.status,
            variant_titles: d.variant_titles,
            skus: d.skus,
            categories: d.categories,
            collections: d.collections,
            tags: d.tags,
            prices: d.prices.into_iter().collect(),
            machine_ids: d.machine_ids,
            created_at: d.created_at.timestamp_millis(),
        }
    }
}

/// The fields a hit brings back.
#[derive(Deserialize)]
struct Found {
    id: String,
    title: String,
    handle: String,
}

fn engine(e: impl std::fmt::Display) -> SearchError {
    SearchError::Engine(format!("meilisearch: {e}"))
}

#[derive(Clone)]
pub struct MeiliSearch {
    client: Client,
    index: Index,
}

impl MeiliSearch {
    /// Connects, creates the index if there is none and applies its
    /// settings; fails when the server cannot be reached or refuses the key.
    pub async fn connect(
        url: &str,
        api_key: Option<&str>,
        index_uid: &str,
        synonyms: HashMap<String, Vec<String>>,
    ) -> Result<Self, SearchError> {
        let client = Client::new(url.trim_end_matches('/'), api_key).map_err(engine)?;
        let search = Self {
            index: client.index(index_uid),
            client,
        };
        match search.client.get_index(index_uid).await {
            Ok(_) => {}
            Err(Error::Meilisearch(e)) if e.error_code == ErrorCode::IndexNotFound => {
                let created = search.client.create_index(index_uid, Some("id")).await;
                search.finish(created).await?;
            }
            Err(e) => return Err(engine(format!("cannot reach {url}: {e}"))),
        }
        let settings = Settings::new()
            .with_searchable_attributes(SEARCHABLE)
            .with_filterable_attributes(FILTERABLE)
            .with_sortable_attributes(SORTABLE)
            .with_typo_tolerance(TypoToleranceSettings {
                enabled: Some(true),
                // Two typos from 8 letters as the embedded engine; one from
                // 5, not 4: Meilisearch forgives typos in the prefix being
                // typed too, and "choc" would suggest "Chicken".
                min_word_size_for_typos: Some(MinWordSizeForTypos {
                    one_typo: Some(5),
                    two_typos: Some(8),
                }),
                ..Default::default()
            })
            .with_synonyms(synonyms)
            .with_pagination(PaginationSetting {
                max_total_hits: MAX_HITS,
            });
        let applied = search.index.set_settings(&settings).await;
        search.finish(applied).await?;
        Ok(search)
    }

    /// Waits for a write's task: the change is searchable once this returns.
    async fn finish(&self, task: Result<TaskInfo, Error>) -> Result<(), SearchError> {
        let task = task
            .map_err(engine)?
            .wait_for_completion(&self.client, Some(TASK_POLL), Some(TASK_TIMEOUT))
            .await
            .map_err(engine)?;
        match task {
            Task::Succeeded { .. } => Ok(()),
            Task::Failed { content } => Err(engine(content.error)),
            Task::Enqueued { .. } | Task::Processing { .. } => {
                Err(engine("the task did not finish in time"))
            }
        }
    }

    async fn find(
        &self,
        query: &str,
        limit: usize,
        fields: Option<&[&str]>,
    ) -> Result<Vec<Hit>, SearchError> {
        if query.trim().is_empty() {
            return Ok(Vec::new());
        }
        let limit = limit.clamp(1, MAX_HITS);
        let mut search = self.index.search();
        search
            .with_query(query)
            .with_limit(limit)
            .with_matching_strategy(MatchingStrategies::ALL)
            .with_attributes_to_retrieve(meilisearch_sdk::search::Selectors::Some(&[
                "id", "title", "handle",
            ]));
        if let Some(fields) = fields {
            search.with_attributes_to_search_on(fields);
        }
        let found = search.execute::<Found>().await.map_err(engine)?;
        Ok(found
            .hits
            .into_iter()
            .map(|hit| Hit {
                product_id: hit.result.id,
                title: hit.result.title,
                handle: hit.result.handle,
            })
            .collect())
    }
}

#[async_trait]
impl ProductSearch for MeiliSearch {
    async fn upsert(&self, documents: Vec<ProductDocument>) -> Result<(), SearchError> {
        if documents.is_empty() {
            return Ok(());
        }
        let documents: Vec<Document> = documents.into_iter().map(Document::from).collect();
        let task = self.index.add_or_replace(&documents, Some("id")).await;
        self.finish(task).await
    }

    async fn remove(&self, product_ids: Vec<String>) -> Result<(), SearchError> {
        if product_ids.is_empty() {
            return Ok(());
        }
        let task = self.index.delete_documents(&product_ids).await;
        self.finish(task).await
    }

    async fn clear(&self) -> Result<(), SearchError> {
        let task = self.index.delete_all_documents().await;
        self.finish(task).await
    }

    async fn count(&self) -> Result<u64, SearchError> {
        let stats = self.index.get_stats().await.map_err(engine)?;
        Ok(stats.number_of_documents as u64)
    }

    async fn search(&self, query: &str, limit: usize) -> Result<Vec<Hit>, SearchError> {
        self.find(query, limit, None).await
    }

    async fn suggest(&self, prefix: &str, limit: usize) -> Result<Vec<Hit>, SearchError> {
        self.find(prefix, limit, Some(&["title"])).await
    }
}
