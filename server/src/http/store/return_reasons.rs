//! `GET /store/return-reasons[/{id}]`: the reasons a shopper chooses from
//! when sending something back. The Admin API answers the same shape.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use domain::returns::{self, return_reason};
use serde::Serialize;

use super::publishable_key::PublishableKey;
use crate::{
    http::{admin::Listing, admin::one, error::ApiError, params::Params},
    state::AppState,
};

/// Medusa's `ReturnReason` (Store and Admin); reasons here are one level
/// (no parent reasons).
#[derive(Serialize)]
pub struct ReturnReason {
    id: String,
    value: String,
    label: String,
    description: Option<String>,
    parent_return_reason_id: Option<String>,
    metadata: Option<serde_json::Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

impl From<return_reason::Model> for ReturnReason {
    fn from(r: return_reason::Model) -> Self {
        Self {
            id: r.id,
            value: r.value,
            label: r.label,
            description: r.description,
            parent_return_reason_id: None,
            metadata: None,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: None,
        }
    }
}

pub async fn list(
    _key: PublishableKey,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<ReturnReason>>, ApiError> {
    let (offset, limit) = params.page()?;
    let page = returns::list_return_reason_page(&state.db, None, offset, limit).await?;
    Ok(Listing::of("return_reasons", page, ReturnReason::from))
}

pub async fn retrieve(
    _key: PublishableKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let reason = returns::find_return_reason(&state.db, &id).await?;
    Ok(one("return_reason", ReturnReason::from(reason)))
}
