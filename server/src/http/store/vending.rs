//! `/store/vending/…`: a signed-in shopper opens a vending machine and
//! follows the session until it settles (not a Medusa route; Medusa has no
//! machines).

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use domain::{
    DomainError,
    vending::{device_session, sessions},
};
use serde::Serialize;

use super::publishable_key::PublishableKey;
use crate::{
    http::{auth::AuthenticatedCustomer, error::ApiError},
    state::AppState,
};

#[derive(Serialize)]
pub struct SessionResponse {
    session: StoreSession,
}

#[derive(Serialize)]
pub struct StoreSession {
    id: String,
    device_id: String,
    mode: String,
    state: String,
    /// Shown or checked at the machine.
    code: String,
    currency_code: String,
    hold_amount: i64,
    order_id: Option<String>,
    failure_reason: Option<String>,
    created_at: DateTime<Utc>,
    door_opened_at: Option<DateTime<Utc>>,
    door_closed_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
}

impl From<device_session::Model> for SessionResponse {
    fn from(s: device_session::Model) -> Self {
        Self {
            session: StoreSession {
                id: s.id,
                device_id: s.device_id,
                mode: s.mode,
                state: s.state,
                code: s.code,
                currency_code: s.currency_code,
                hold_amount: s.hold_amount,
                order_id: s.order_id,
                failure_reason: s.failure_reason,
                created_at: s.created_at,
                door_opened_at: s.door_opened_at,
                door_closed_at: s.door_closed_at,
                ended_at: s.ended_at,
            },
        }
    }
}

/// `POST /store/vending/machines/{device_id}/sessions`: holds the payment and
/// opens the machine.
pub async fn open(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    Path(device_id): Path<String>,
) -> Result<Json<SessionResponse>, ApiError> {
    let session = state
        .vending
        .open_purchase(&device_id, Some(&me.id))
        .await?;
    Ok(Json(session.into()))
}

/// `GET /store/vending/sessions/{id}`: one of the shopper's own sessions.
pub async fn retrieve(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    Path(id): Path<String>,
) -> Result<Json<SessionResponse>, ApiError> {
    let session = sessions::find(&state.db, &id).await?;
    if session.customer_id.as_deref() != Some(me.id.as_str()) {
        return Err(DomainError::not_found("Device session", id).into());
    }
    Ok(Json(session.into()))
}
