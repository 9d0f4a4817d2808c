//! `GET /store/collections` and `GET /store/collections/{id}`.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use domain::catalog::{
    collection,
    taxonomy::{self, CollectionQuery},
};
use serde::Serialize;

use super::publishable_key::PublishableKey;
use crate::http::params::Params;
use crate::{http::error::ApiError, state::AppState};

#[derive(Serialize)]
pub struct CollectionList {
    collections: Vec<StoreCollection>,
    count: u64,
    offset: u64,
    limit: u64,
}

#[derive(Serialize)]
pub struct CollectionResponse {
    collection: StoreCollection,
}

/// Medusa's `StoreCollection`.
#[derive(Serialize)]
pub struct StoreCollection {
    id: String,
    title: String,
    handle: String,
    metadata: Option<serde_json::Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

pub async fn list(
    _key: PublishableKey,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<CollectionList>, ApiError> {
    let (offset, limit) = params.page()?;
    let query = CollectionQuery {
        handle: params.text("handle")?,
        offset,
        limit,
    };
    let page = taxonomy::list_collections(&state.db, &query).await?;
    Ok(Json(CollectionList {
        collections: page
            .collections
            .into_iter()
            .map(StoreCollection::from)
            .collect(),
        count: page.count,
        offset: page.offset,
        limit: page.limit,
    }))
}

pub async fn retrieve(
    _key: PublishableKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CollectionResponse>, ApiError> {
    Ok(Json(CollectionResponse {
        collection: taxonomy::find_collection(&state.db, &id).await?.into(),
    }))
}

impl From<collection::Model> for StoreCollection {
    fn from(c: collection::Model) -> Self {
        Self {
            id: c.id,
            title: c.title,
            handle: c.handle,
            metadata: None,
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: None,
        }
    }
}
