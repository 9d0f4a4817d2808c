//! `/admin/api-keys`: publishable keys, their sales channels, revoking.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::{
    DomainError,
    api_keys::{self, api_key},
    channels,
};
use serde::{Deserialize, Serialize};

use super::{Deleted, LinkBatch, Listing, one};
use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

/// Medusa's `AdminApiKey`. Publishable tokens are not secret, so they are shown.
#[derive(Serialize)]
pub struct AdminApiKey {
    id: String,
    token: String,
    redacted: String,
    title: String,
    #[serde(rename = "type")]
    kind: api_key::Kind,
    revoked_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

#[derive(Deserialize)]
pub struct CreateApiKey {
    title: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
pub struct UpdateApiKey {
    title: String,
}

pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminApiKey>>, ApiError> {
    let (offset, limit) = params.page()?;
    let q = params.text("q")?;
    let page = api_keys::list_page(&state.db, q.as_deref(), offset, limit).await?;
    Ok(Listing::of("api_keys", page, AdminApiKey::from))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    key_response(api_keys::find(&state.db, &id).await?)
}

pub async fn create(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<CreateApiKey>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let publishable = api_key::Kind::Publishable;
    if body.kind != publishable.to_string() {
        return Err(DomainError::Invalid(format!(
            "only {publishable} keys can be created, not {:?}",
            body.kind
        ))
        .into());
    }
    let title = api_keys::valid_title(&body.title)?;
    key_response(api_keys::create_publishable(&state.db, &title).await?)
}

pub async fn update(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<UpdateApiKey>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    key_response(api_keys::rename(&state.db, &id, &body.title).await?)
}

pub async fn revoke(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    key_response(api_keys::revoke(&state.db, &id).await?)
}

pub async fn delete(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    api_keys::delete(&state.db, &id).await?;
    Ok(Deleted::of("api_key", id))
}

/// Binds the key to sales channels (`add`) or unbinds it (`remove`).
pub async fn batch_sales_channels(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<LinkBatch>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(batch) = body?;
    for channel_id in &batch.remove {
        channels::unbind_publishable_key(&state.db, &id, channel_id).await?;
    }
    for channel_id in &batch.add {
        channels::bind_publishable_key(&state.db, &id, channel_id).await?;
    }
    key_response(api_keys::find(&state.db, &id).await?)
}

fn key_response(key: api_key::Model) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(one("api_key", AdminApiKey::from(key)))
}

impl From<api_key::Model> for AdminApiKey {
    fn from(k: api_key::Model) -> Self {
        let redacted = format!("{}***", k.token.chars().take(6).collect::<String>());
        Self {
            id: k.id,
            token: k.token,
            redacted,
            title: k.title,
            kind: k.kind,
            revoked_at: k.revoked_at,
            created_at: k.created_at,
        }
    }
}
