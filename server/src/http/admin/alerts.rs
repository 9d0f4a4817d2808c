//! `/admin/alerts`: device (and order) alerts, newest first, and acknowledging them.
//! Not a Medusa route: Medusa has no machines.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use domain::alerts::{self, Status, alert};
use serde::Serialize;

use super::{Listing, one};
use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

#[derive(Serialize)]
pub struct AdminAlert {
    id: String,
    kind: alerts::Kind,
    /// `null` for an alert about an order.
    device_id: Option<String>,
    order_id: Option<String>,
    message: String,
    raised_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    acknowledged_at: Option<DateTime<Utc>>,
    acknowledged_by: Option<String>,
}

impl From<alert::Model> for AdminAlert {
    fn from(a: alert::Model) -> Self {
        Self {
            id: a.id,
            kind: a.kind,
            device_id: a.device_id,
            order_id: a.order_id,
            message: a.message,
            raised_at: a.raised_at,
            resolved_at: a.resolved_at,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by,
        }
    }
}

/// `GET /admin/alerts?status=open|resolved|all&offset=&limit=`
pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminAlert>>, ApiError> {
    let (offset, limit) = params.page()?;
    let status: Status = match params.text("status")? {
        Some(status) => status.parse()?,
        None => Status::All,
    };
    let page = alerts::list(&state.db, status, offset, limit).await?;
    Ok(Listing::of("alerts", page, AdminAlert::from))
}

/// `POST /admin/alerts/{id}/acknowledge`: the admin has seen it.
pub async fn acknowledge(
    admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let alert = alerts::acknowledge(&state.db, &id, &admin.id).await?;
    Ok(one("alert", AdminAlert::from(alert)))
}
