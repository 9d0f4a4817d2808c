//! `/admin/sales-channels`, and publishing products to them.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::channels::{self, SalesChannelChanges, sales_channel};
use serde::{Deserialize, Serialize};

use super::{Deleted, LinkBatch, Listing, one};
use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

/// Medusa's `AdminSalesChannel`.
#[derive(Serialize)]
pub struct AdminSalesChannel {
    id: String,
    name: String,
    description: Option<String>,
    is_disabled: bool,
    metadata: Option<serde_json::Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
pub struct SalesChannelBody {
    name: Option<String>,
    description: Option<String>,
    is_disabled: Option<bool>,
}

pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminSalesChannel>>, ApiError> {
    let (offset, limit) = params.page()?;
    let q = params.text("q")?;
    let page = channels::list_sales_channel_page(&state.db, q.as_deref(), offset, limit).await?;
    Ok(Listing::of("sales_channels", page, AdminSalesChannel::from))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    channel_response(channels::find_sales_channel(&state.db, &id).await?)
}

pub async fn create(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<SalesChannelBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let mut channel = channels::create_sales_channel(
        &state.db,
        body.name.as_deref().unwrap_or_default(),
        body.description.as_deref(),
    )
    .await?;
    if body.is_disabled == Some(true) {
        let disable = SalesChannelChanges {
            is_disabled: Some(true),
            ..Default::default()
        };
        channel = channels::update_sales_channel(&state.db, &channel.id, disable).await?;
    }
    channel_response(channel)
}

pub async fn update(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<SalesChannelBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let changes = SalesChannelChanges {
        name: body.name,
        description: body.description,
        is_disabled: body.is_disabled,
    };
    channel_response(channels::update_sales_channel(&state.db, &id, changes).await?)
}

pub async fn delete(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    channels::delete_sales_channel(&state.db, &id).await?;
    Ok(Deleted::of("sales-channel", id))
}

/// Publishes products to the channel (`add`) and withdraws them (`remove`).
pub async fn batch_products(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<LinkBatch>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(batch) = body?;
    channels::remove_products(&state.db, &id, &batch.remove).await?;
    channels::add_products(&state.db, &id, &batch.add).await?;
    channel_response(channels::find_sales_channel(&state.db, &id).await?)
}

fn channel_response(channel: sales_channel::Model) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(one("sales_channel", AdminSalesChannel::from(channel)))
}

impl From<sales_channel::Model> for AdminSalesChannel {
    fn from(c: sales_channel::Model) -> Self {
        Self {
            id: c.id,
            name: c.name,
            description: c.description,
            is_disabled: c.is_disabled,
            metadata: None,
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: None,
        }
    }
}
