//! `/store/loyalty/*`: identify a cart by phone, calculate its rewards,
//! choose optional ones. A host that is down, slow or off answers 503
//! `{type: "unavailable"}`; the storefront then hides loyalty and goes on.

use axum::{Json, extract::State, extract::rejection::JsonRejection};
use domain::loyalty::{self, SessionDetail, reward};
use serde::{Deserialize, Serialize};

use super::publishable_key::PublishableKey;
use crate::{http::error::ApiError, state::AppState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentifyBody {
    cart_id: String,
    phone: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartBody {
    cart_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectBody {
    cart_id: String,
    reward_id: String,
    selected: bool,
}

#[derive(Serialize)]
pub struct SessionResponse {
    loyalty_session: LoyaltySession,
}

#[derive(Serialize)]
struct LoyaltySession {
    id: String,
    cart_id: String,
    status: &'static str,
    member_id: String,
    points_balance: i64,
    points_earnable: i64,
    /// What the applied rewards take off the cart, minor units.
    discount_total: i64,
    /// The cart changed since the rewards were calculated: calculate again.
    rewards_stale: bool,
    order_id: Option<String>,
    confirmation_id: Option<String>,
    points_earned: Option<i64>,
    rewards: Vec<LoyaltyReward>,
}

#[derive(Serialize)]
struct LoyaltyReward {
    id: String,
    #[serde(rename = "type")]
    reward_type: String,
    description: String,
    discount_amount: i64,
    line_item_id: Option<String>,
    points_multiplier: Option<i64>,
    points_cost: i64,
    instant: bool,
    applied: bool,
}

impl From<reward::Model> for LoyaltyReward {
    fn from(r: reward::Model) -> Self {
        Self {
            id: r.reward_id,
            reward_type: r.reward_type,
            description: r.description,
            discount_amount: r.discount_amount,
            line_item_id: r.line_item_id,
            points_multiplier: r.points_multiplier,
            points_cost: r.points_cost,
            instant: r.instant,
            applied: r.applied,
        }
    }
}

impl From<SessionDetail> for SessionResponse {
    fn from(d: SessionDetail) -> Self {
        let s = d.session;
        Self {
            loyalty_session: LoyaltySession {
                id: s.id,
                cart_id: s.cart_id,
                status: d.status.as_str(),
                member_id: s.member_id,
                points_balance: s.points_balance,
                points_earnable: d.points_earnable,
                discount_total: d.discount_total,
                rewards_stale: d.rewards_stale,
                order_id: s.order_id,
                confirmation_id: s.host_transaction_id,
                points_earned: s.points_earned,
                rewards: d.rewards.into_iter().map(Into::into).collect(),
            },
        }
    }
}

pub async fn identify(
    key: PublishableKey,
    State(state): State<AppState>,
    body: Result<Json<IdentifyBody>, JsonRejection>,
) -> Result<Json<SessionResponse>, ApiError> {
    let Json(body) = body?;
    key.ensure_cart(&state, &body.cart_id).await?;
    let detail = state
        .loyalty
        .identify(&state.db, &body.cart_id, &body.phone)
        .await?;
    Ok(Json(detail.into()))
}

pub async fn calculate(
    key: PublishableKey,
    State(state): State<AppState>,
    body: Result<Json<CartBody>, JsonRejection>,
) -> Result<Json<SessionResponse>, ApiError> {
    let Json(body) = body?;
    key.ensure_cart(&state, &body.cart_id).await?;
    let detail = state
        .loyalty
        .calculate_rewards(&state.db, &body.cart_id)
        .await?;
    Ok(Json(detail.into()))
}

pub async fn select(
    key: PublishableKey,
    State(state): State<AppState>,
    body: Result<Json<SelectBody>, JsonRejection>,
) -> Result<Json<SessionResponse>, ApiError> {
    let Json(body) = body?;
    key.ensure_cart(&state, &body.cart_id).await?;
    let detail =
        loyalty::select_reward(&state.db, &body.cart_id, &body.reward_id, body.selected).await?;
    Ok(Json(detail.into()))
}
