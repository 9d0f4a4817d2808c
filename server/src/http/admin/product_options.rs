//! `/admin/products/{id}/options`: a product's options after it exists
//! (Medusa's `sdk.admin.product.*Option` calls).

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use domain::{
    DomainError,
    catalog::{
        self,
        editing::{
            OptionInput,
            options::{self, OptionChanges},
        },
    },
    paging::Page,
};
use serde::Deserialize;

use super::{Listing, one, products::product_response};
use crate::{
    http::{
        auth::AuthenticatedAdmin, error::ApiError, params::Params, store::products::ProductOption,
    },
    state::AppState,
};

/// Medusa's `AdminCreateProductOption`.
#[derive(Deserialize)]
pub struct CreateOption {
    title: String,
    values: Vec<String>,
}

/// Medusa's `AdminUpdateProductOption`: only the fields given change.
#[derive(Deserialize)]
pub struct UpdateOption {
    title: Option<String>,
    values: Option<Vec<String>>,
}

pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Listing<ProductOption>>, ApiError> {
    let (offset, limit) = params.page()?;
    catalog::check_page_size(limit)?;
    let wanted = params.list("id")?;
    let title = params.text("title")?;
    let all: Vec<_> = catalog::find_product(&state.db, &id)
        .await?
        .options
        .into_iter()
        .filter(|o| wanted.is_empty() || wanted.contains(&o.option.id))
        .filter(|o| title.as_ref().is_none_or(|t| &o.option.title == t))
        .collect();
    let count = all.len() as u64;
    let items = all
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(ProductOption::from)
        .collect();
    Ok(Listing::new(
        "product_options",
        Page {
            items,
            count,
            offset,
            limit,
        },
    ))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path((id, option_id)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let option = catalog::find_product(&state.db, &id)
        .await?
        .options
        .into_iter()
        .find(|o| o.option.id == option_id)
        .ok_or_else(|| DomainError::not_found("product option", &option_id))?;
    Ok(one("product_option", ProductOption::from(option)))
}

pub async fn create(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<CreateOption>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let input = OptionInput {
        title: body.title,
        values: body.values,
    };
    options::add(&state.db, &id, input).await?;
    product_response(&state, &id).await
}

pub async fn update(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path((id, option_id)): Path<(String, String)>,
    body: Result<Json<UpdateOption>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let changes = OptionChanges {
        title: body.title,
        values: body.values,
    };
    options::update(&state.db, &id, &option_id, changes).await?;
    product_response(&state, &id).await
}

/// Medusa answers a delete under a product with the product as `parent`.
pub async fn delete(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path((id, option_id)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    options::delete(&state.db, &id, &option_id).await?;
    let Json(product) = product_response(&state, &id).await?;
    Ok(Json(serde_json::json!({
        "id": option_id,
        "object": "product_option",
        "deleted": true,
        "parent": product["product"],
    })))
}
