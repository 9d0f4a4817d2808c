//! `/admin/notifications`: Medusa's notifications feed (what the store
//! sent, newest first), with each message's outcome, and `resend` (ours:
//! Medusa has no resend) for a message a customer did not get.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use domain::notifications::{self, Channel, Filter, Status, notification};
use serde::Serialize;
use serde_json::json;

use super::{Listing, one};
use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

/// Medusa's `AdminNotification`, plus what it was and how sending it went.
#[derive(Serialize)]
pub struct AdminNotification {
    id: String,
    to: String,
    channel: Channel,
    template: String,
    trigger_type: String,
    resource_type: Option<String>,
    resource_id: Option<String>,
    receiver_id: Option<String>,
    original_notification_id: Option<String>,
    external_id: Option<String>,
    provider_id: String,
    /// Medusa's template data: here the message itself.
    data: serde_json::Value,
    status: Status,
    attempts: i32,
    /// Why the last attempt failed.
    error: Option<String>,
    /// False when it held a one-time link (kept without it).
    resendable: bool,
    sent_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<notification::Model> for AdminNotification {
    fn from(n: notification::Model) -> Self {
        Self {
            data: json!({ "subject": n.subject, "text": n.body_text, "html": n.body_html }),
            id: n.id,
            to: n.recipient,
            channel: n.channel,
            template: n.template,
            trigger_type: n.trigger_type,
            resource_type: n.resource_type,
            resource_id: n.resource_id,
            receiver_id: None,
            original_notification_id: n.original_notification_id,
            external_id: None,
            provider_id: n.provider_id,
            status: n.status,
            attempts: n.attempts,
            error: n.last_error,
            resendable: n.resendable,
            sent_at: n.sent_at,
            created_at: n.created_at,
            updated_at: n.updated_at,
        }
    }
}

/// `GET /admin/notifications?status=&channel=&resource_id=&offset=&limit=`
pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminNotification>>, ApiError> {
    let (offset, limit) = params.page()?;
    let filter = Filter {
        status: params
            .text("status")?
            .map(|s| domain::states::parse(&s, "a notification status (pending, success, failure)"))
            .transpose()?,
        channel: params
            .text("channel")?
            .map(|c| domain::states::parse(&c, "a channel (email, slack)"))
            .transpose()?,
        resource_id: params.text("resource_id")?,
    };
    let page = notifications::list(&state.db, &filter, offset, limit).await?;
    Ok(Listing::of("notifications", page, AdminNotification::from))
}

/// `GET /admin/notifications/{id}`
pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let found = notifications::find(&state.db, &id).await?;
    Ok(one("notification", AdminNotification::from(found)))
}

/// `POST /admin/notifications/{id}/resend`: queues the message again; the
/// answer is the new notification (pending), which points at the first.
pub async fn resend(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let queued = notifications::resend(&state.db, &id).await?;
    Ok(one("notification", AdminNotification::from(queued)))
}
