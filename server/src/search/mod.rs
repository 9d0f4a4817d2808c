//! The product search engines behind [`domain::search::ProductSearch`]: the
//! embedded tantivy index by default, Meilisearch when
//! `AUTOMAT_MEILISEARCH_URL` is set.

pub mod bench;
mod embedded;
mod meilisearch;

use std::sync::Arc;

use domain::search::{ProductSearch, SearchError};

pub use embedded::EmbeddedSearch;
pub use meilisearch::MeiliSearch;

use crate::config::Settings;

/// The engine the settings choose, ready to index and search.
pub async fn open(settings: &Settings) -> Result<Arc<dyn ProductSearch>, SearchError> {
    let meili = &settings.search;
    Ok(match &meili.meilisearch_url {
        Some(url) => Arc::new(
            MeiliSearch::connect(
                url,
                meili.meilisearch_key.as_deref(),
                &meili.meilisearch_index,
                meili.synonyms()?,
            )
            .await?,
        ),
        None => Arc::new(EmbeddedSearch::open_with_synonyms(
            &settings.search_dir,
            meili.synonyms()?,
        )?),
    })
}

/// Where the index lives, for messages.
pub fn describe(settings: &Settings) -> String {
    match &settings.search.meilisearch_url {
        Some(url) => format!(
            "Meilisearch index `{}` at {url}",
            settings.search.meilisearch_index
        ),
        None => settings.search_dir.display().to_string(),
    }
}
