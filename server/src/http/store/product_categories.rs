//! `GET /store/product-categories` and `GET /store/product-categories/{id}`.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use domain::catalog::{
    category,
    taxonomy::{self, CategoryDetail, CategoryQuery, ParentFilter},
};
use serde::Serialize;

use super::publishable_key::PublishableKey;
use crate::http::params::Params;
use crate::{http::error::ApiError, state::AppState};

#[derive(Serialize)]
pub struct CategoryList {
    product_categories: Vec<StoreProductCategory>,
    count: u64,
    offset: u64,
    limit: u64,
}

#[derive(Serialize)]
pub struct CategoryResponse {
    product_category: StoreProductCategory,
}

/// Medusa's `StoreProductCategory`. Parents and children are one level deep:
/// their own `parent_category` is null and `category_children` empty.
#[derive(Serialize)]
pub struct StoreProductCategory {
    id: String,
    name: String,
    description: String,
    handle: String,
    rank: i32,
    parent_category_id: Option<String>,
    parent_category: Option<Box<StoreProductCategory>>,
    category_children: Vec<StoreProductCategory>,
    metadata: Option<serde_json::Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

pub async fn list(
    _key: PublishableKey,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<CategoryList>, ApiError> {
    let (offset, limit) = params.page()?;
    let parent = parent_filter(&params)?;
    let query = CategoryQuery {
        handle: params.text("handle")?,
        parent,
        q: params.text("q")?,
        offset,
        limit,
    };
    let page = taxonomy::list_visible_categories(&state.db, &query).await?;
    Ok(Json(CategoryList {
        product_categories: page
            .categories
            .into_iter()
            .map(StoreProductCategory::from)
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
) -> Result<Json<CategoryResponse>, ApiError> {
    Ok(Json(CategoryResponse {
        product_category: taxonomy::find_visible_category(&state.db, &id)
            .await?
            .into(),
    }))
}

/// Medusa lists the top level with `parent_category_id=null`.
pub(crate) fn parent_filter(params: &Params) -> Result<Option<ParentFilter>, ApiError> {
    Ok(params
        .text("parent_category_id")?
        .map(|id| match id.as_str() {
            "null" => ParentFilter::Root,
            _ => ParentFilter::Of(id),
        }))
}

impl From<category::Model> for StoreProductCategory {
    fn from(c: category::Model) -> Self {
        Self {
            id: c.id,
            name: c.name,
            description: c.description.unwrap_or_default(),
            handle: c.handle,
            rank: c.rank,
            parent_category_id: c.parent_category_id,
            parent_category: None,
            category_children: Vec::new(),
            metadata: None,
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: None,
        }
    }
}

impl From<CategoryDetail> for StoreProductCategory {
    fn from(detail: CategoryDetail) -> Self {
        Self {
            parent_category: detail.parent.map(|p| Box::new(p.into())),
            category_children: detail.children.into_iter().map(Self::from).collect(),
            ..detail.category.into()
        }
    }
}
