//! `/admin/customer-groups`: groups of customers and who is in them.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::customers::{self, group};
use serde::{Deserialize, Serialize};

use super::{Deleted, LinkBatch, Listing, customers::AdminCustomer, one};
use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

/// Medusa's `AdminCustomerGroup`; one answer's `customers` are the group's
/// first 100 by email (the customer list filters by group for more).
#[derive(Serialize)]
pub struct AdminCustomerGroup {
    id: String,
    name: String,
    metadata: Option<serde_json::Value>,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customers: Option<Vec<AdminCustomer>>,
}

impl From<group::Model> for AdminCustomerGroup {
    fn from(g: group::Model) -> Self {
        Self {
            id: g.id,
            name: g.name,
            metadata: None,
            created_by: None,
            created_at: g.created_at,
            updated_at: g.updated_at,
            deleted_at: None,
            customers: None,
        }
    }
}

#[derive(Deserialize)]
pub struct GroupBody {
    name: Option<String>,
}

pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminCustomerGroup>>, ApiError> {
    let (offset, limit) = params.page()?;
    let q = params.text("q")?;
    let page = customers::list_group_page(&state.db, q.as_deref(), offset, limit).await?;
    Ok(Listing::of(
        "customer_groups",
        page,
        AdminCustomerGroup::from,
    ))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    group_response(&state, customers::find_group(&state.db, &id).await?).await
}

pub async fn create(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<GroupBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let name = body.name.unwrap_or_default();
    group_response(&state, customers::create_group(&state.db, &name).await?).await
}

pub async fn update(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<GroupBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let group = match body.name {
        Some(name) => customers::rename_group(&state.db, &id, &name).await?,
        None => customers::find_group(&state.db, &id).await?,
    };
    group_response(&state, group).await
}

pub async fn delete(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    customers::delete_group(&state.db, &id).await?;
    Ok(Deleted::of("customer_group", id))
}

/// Adds customers to the group (`add`) and takes them out (`remove`).
pub async fn batch_customers(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<LinkBatch>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(batch) = body?;
    customers::change_group_members(&state.db, &id, &batch.add, &batch.remove).await?;
    group_response(&state, customers::find_group(&state.db, &id).await?).await
}

async fn group_response(
    state: &AppState,
    group: group::Model,
) -> Result<Json<serde_json::Value>, ApiError> {
    let members = customers::group_members(&state.db, &group.id, 0, 100).await?;
    let mut shaped = AdminCustomerGroup::from(group);
    shaped.customers = Some(members.items.into_iter().map(AdminCustomer::from).collect());
    Ok(one("customer_group", shaped))
}
