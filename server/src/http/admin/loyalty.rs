//! `/admin/loyalty/config`: the store's loyalty host. The client secret goes
//! in and is stored sealed; it never comes back out. `/admin/loyalty/sessions`:
//! identified carts and how far their finalize got.

use axum::{Json, extract::State, extract::rejection::JsonRejection};
use chrono::{DateTime, Utc};
use domain::{
    DomainError,
    loyalty::{self, ConfigInput, DEFAULT_STORE_ID, SessionStatus, session, store_config},
    states,
};
use serde::{Deserialize, Serialize};

use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigBody {
    enabled: bool,
    provider: String,
    base_url: String,
    client_id: String,
    /// Omitted: the stored secret stays.
    client_secret: Option<String>,
    participant_id: Option<String>,
    site_id: Option<String>,
}

#[derive(Serialize)]
pub struct ConfigResponse {
    loyalty_config: LoyaltyConfig,
}

#[derive(Serialize)]
struct LoyaltyConfig {
    store_id: String,
    enabled: bool,
    provider: String,
    base_url: String,
    client_id: String,
    has_client_secret: bool,
    participant_id: Option<String>,
    site_id: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<store_config::Model> for ConfigResponse {
    fn from(c: store_config::Model) -> Self {
        Self {
            loyalty_config: LoyaltyConfig {
                store_id: c.store_id,
                enabled: c.enabled,
                provider: c.provider,
                base_url: c.base_url,
                client_id: c.client_id,
                has_client_secret: !c.client_secret_encrypted.is_empty(),
                participant_id: c.participant_id,
                site_id: c.site_id,
                created_at: c.created_at,
                updated_at: c.updated_at,
            },
        }
    }
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
) -> Result<Json<ConfigResponse>, ApiError> {
    let config = state
        .loyalty
        .config(&state.db, DEFAULT_STORE_ID)
        .await?
        .ok_or_else(|| DomainError::not_found("Loyalty config", DEFAULT_STORE_ID))?;
    Ok(Json(config.into()))
}

pub async fn save(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<ConfigBody>, JsonRejection>,
) -> Result<Json<ConfigResponse>, ApiError> {
    let Json(body) = body?;
    let input = ConfigInput {
        enabled: body.enabled,
        provider: body.provider,
        base_url: body.base_url,
        client_id: body.client_id,
        client_secret: body.client_secret,
        participant_id: body.participant_id,
        site_id: body.site_id,
    };
    let config = state
        .loyalty
        .save_config(&state.db, DEFAULT_STORE_ID, input)
        .await?;
    Ok(Json(config.into()))
}

#[derive(Serialize)]
pub struct SessionList {
    loyalty_sessions: Vec<LoyaltySession>,
    count: u64,
    offset: u64,
    limit: u64,
}

#[derive(Serialize)]
struct LoyaltySession {
    id: String,
    store_id: String,
    cart_id: String,
    order_id: Option<String>,
    pos_sequence_id: String,
    status: SessionStatus,
    member_id: String,
    points_balance: i64,
    points_earned: Option<i64>,
    confirmation_id: Option<String>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<session::Model> for LoyaltySession {
    fn from(s: session::Model) -> Self {
        Self {
            id: s.id,
            store_id: s.store_id,
            cart_id: s.cart_id,
            order_id: s.order_id,
            pos_sequence_id: s.pos_sequence_id,
            status: s.status,
            member_id: s.member_id,
            points_balance: s.points_balance,
            points_earned: s.points_earned,
            confirmation_id: s.host_transaction_id,
            last_error: s.last_error,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// `?status=PENDING_FINALIZATION&offset=0&limit=50`
pub async fn sessions(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<SessionList>, ApiError> {
    let status = params
        .text("status")?
        .map(|s| states::parse(&s.to_uppercase(), "a loyalty session status"))
        .transpose()?;
    let (offset, limit) = params.page()?;
    let (sessions, count) = loyalty::list_sessions(&state.db, status, offset, limit).await?;
    Ok(Json(SessionList {
        loyalty_sessions: sessions.into_iter().map(Into::into).collect(),
        count,
        offset,
        limit,
    }))
}
