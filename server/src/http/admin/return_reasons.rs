//! `/admin/return-reasons`: the store's list of reasons for a return.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use domain::returns::{self, ReturnReasonFields};
use serde::Deserialize;

use super::{Deleted, Listing, one};
use crate::{
    http::{
        auth::AuthenticatedAdmin, error::ApiError, params::Params,
        store::return_reasons::ReturnReason,
    },
    state::AppState,
};

#[derive(Deserialize)]
pub struct ReturnReasonBody {
    value: Option<String>,
    label: Option<String>,
    description: Option<String>,
    parent_return_reason_id: Option<String>,
}

impl ReturnReasonBody {
    fn fields(self) -> Result<ReturnReasonFields, ApiError> {
        if self.parent_return_reason_id.is_some() {
            return Err(ApiError::invalid_data(
                "return reasons are one level here: parent_return_reason_id is not supported",
            ));
        }
        Ok(ReturnReasonFields {
            value: self.value,
            label: self.label,
            description: self.description,
        })
    }
}

pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<ReturnReason>>, ApiError> {
    let (offset, limit) = params.page()?;
    let q = params.text("q")?;
    let page = returns::list_return_reason_page(&state.db, q.as_deref(), offset, limit).await?;
    Ok(Listing::of("return_reasons", page, ReturnReason::from))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let reason = returns::find_return_reason(&state.db, &id).await?;
    Ok(one("return_reason", ReturnReason::from(reason)))
}

pub async fn create(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<ReturnReasonBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let reason = returns::create_return_reason(&state.db, body.fields()?).await?;
    Ok(one("return_reason", ReturnReason::from(reason)))
}

pub async fn update(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ReturnReasonBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let reason = returns::update_return_reason(&state.db, &id, body.fields()?).await?;
    Ok(one("return_reason", ReturnReason::from(reason)))
}

pub async fn delete(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    returns::delete_return_reason(&state.db, &id).await?;
    Ok(Deleted::of("return_reason", id))
}
