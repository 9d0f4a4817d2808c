//! `/admin/product-categories` and `/admin/collections`.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use domain::catalog::{
    category, collection,
    taxonomy::{self, CategoryChanges, CategoryQuery, CollectionQuery, NewCategory},
};
use serde::{Deserialize, Serialize};

use super::{Deleted, Listing, one};
use crate::{
    http::{
        auth::AuthenticatedAdmin,
        error::ApiError,
        params::Params,
        store::{
            collections::StoreCollection,
            product_categories::{StoreProductCategory, parent_filter},
        },
    },
    state::AppState,
};

/// Medusa's `AdminProductCategory`: the store's shape and what the store hides.
#[derive(Serialize)]
pub struct AdminProductCategory {
    #[serde(flatten)]
    base: StoreProductCategory,
    is_active: bool,
    is_internal: bool,
}

#[derive(Deserialize)]
pub struct CreateCategory {
    name: String,
    handle: Option<String>,
    description: Option<String>,
    parent_category_id: Option<String>,
    rank: Option<i32>,
    is_active: Option<bool>,
    is_internal: Option<bool>,
}

#[derive(Deserialize)]
pub struct UpdateCategory {
    name: Option<String>,
    handle: Option<String>,
    description: Option<String>,
    /// `""` makes the category a root.
    parent_category_id: Option<String>,
    rank: Option<i32>,
    is_active: Option<bool>,
    is_internal: Option<bool>,
}

#[derive(Deserialize)]
pub struct CollectionBody {
    title: Option<String>,
    handle: Option<String>,
}

pub async fn list_categories(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminProductCategory>>, ApiError> {
    let (offset, limit) = params.page()?;
    let query = CategoryQuery {
        handle: params.text("handle")?,
        parent: parent_filter(&params)?,
        q: params.text("q")?,
        offset,
        limit,
    };
    let page = taxonomy::list_all_categories(&state.db, &query).await?;
    Ok(Listing::of(
        "product_categories",
        page,
        AdminProductCategory::from,
    ))
}

pub async fn retrieve_category(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    category_response(&state, &id).await
}

pub async fn create_category(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<CreateCategory>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let handle = match body.handle {
        Some(handle) => handle,
        None => domain::catalog::editing::handle_from(&body.name)?,
    };
    let id = taxonomy::create_category(
        &state.db,
        NewCategory {
            name: body.name,
            handle,
            description: body.description,
            parent_category_id: body.parent_category_id,
            rank: body.rank.unwrap_or(0),
            is_active: body.is_active.unwrap_or(true),
            is_internal: body.is_internal.unwrap_or(false),
        },
    )
    .await?;
    category_response(&state, &id).await
}

pub async fn update_category(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<UpdateCategory>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let changes = CategoryChanges {
        name: body.name,
        handle: body.handle,
        description: body.description,
        parent_category_id: body.parent_category_id,
        rank: body.rank,
        is_active: body.is_active,
        is_internal: body.is_internal,
    };
    let category = taxonomy::update_category(&state.db, &id, changes).await?;
    Ok(one(
        "product_category",
        AdminProductCategory::from(category),
    ))
}

pub async fn delete_category(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    taxonomy::delete_category(&state.db, &id).await?;
    Ok(Deleted::of("product_category", id))
}

pub async fn list_collections(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<StoreCollection>>, ApiError> {
    let (offset, limit) = params.page()?;
    let query = CollectionQuery {
        handle: params.text("handle")?,
        offset,
        limit,
    };
    let page = taxonomy::list_collections(&state.db, &query).await?;
    let page = domain::paging::Page {
        items: page.collections,
        count: page.count,
        offset: page.offset,
        limit: page.limit,
    };
    Ok(Listing::of("collections", page, StoreCollection::from))
}

pub async fn retrieve_collection(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    collection_response(taxonomy::find_collection(&state.db, &id).await?)
}

pub async fn create_collection(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<CollectionBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let title = body.title.unwrap_or_default();
    let handle = match body.handle {
        Some(handle) => handle,
        None => domain::catalog::editing::handle_from(&title)?,
    };
    let id = taxonomy::create_collection(&state.db, &title, &handle).await?;
    collection_response(taxonomy::find_collection(&state.db, &id).await?)
}

pub async fn update_collection(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<CollectionBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let collection = taxonomy::update_collection(
        &state.db,
        &id,
        body.title.as_deref(),
        body.handle.as_deref(),
    )
    .await?;
    collection_response(collection)
}

pub async fn delete_collection(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    taxonomy::delete_collection(&state.db, &id).await?;
    Ok(Deleted::of("collection", id))
}

async fn category_response(
    state: &AppState,
    id: &str,
) -> Result<Json<serde_json::Value>, ApiError> {
    let category = taxonomy::find_category(&state.db, id).await?;
    Ok(one(
        "product_category",
        AdminProductCategory::from(category),
    ))
}

fn collection_response(collection: collection::Model) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(one("collection", StoreCollection::from(collection)))
}

impl From<category::Model> for AdminProductCategory {
    fn from(c: category::Model) -> Self {
        Self {
            is_active: c.is_active,
            is_internal: c.is_internal,
            base: c.into(),
        }
    }
}
