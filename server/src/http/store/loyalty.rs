//! `/store/loyalty/*`: identify a cart by phone (the member shows masked
//! and the cart earns points), prove the phone with a code sent by SMS
//! (then the balance shows and rewards that cost points may be chosen),
//! calculate the rewards, choose optional ones; and
//! `/store/customers/me/loyalty/*`: link the signed-in customer's account to
//! a membership by the same proof. A host that is down, slow or off answers
//! 503 `{type: "unavailable"}`; the storefront then hides loyalty and goes on.

use axum::{Json, extract::State, extract::rejection::JsonRejection};
use chrono::{DateTime, Utc};
use domain::{
    loyalty::{self, SessionDetail, customer, reward, verification::CodeSent},
    rate_limits::Rule,
};
use serde::{Deserialize, Serialize};

use super::publishable_key::PublishableKey;
use crate::{
    http::{auth::AuthenticatedCustomer, error::ApiError},
    rate_limit::Attempts,
    state::AppState,
};

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
pub struct VerifyBody {
    cart_id: String,
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneBody {
    phone: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    code: String,
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
    status: loyalty::SessionStatus,
    /// Masked by the host.
    member_id: String,
    /// The shopper proved the phone: the balance shows, points may be redeemed.
    verified: bool,
    /// `null` until the phone is verified.
    points_balance: Option<i64>,
    /// The code sent to verify the phone, while it can be entered.
    code_sent: Option<CodeSentView>,
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
struct CodeSentView {
    /// The last two digits of the phone the code went to.
    phone_ending: String,
    expires_at: DateTime<Utc>,
}

impl From<CodeSent> for CodeSentView {
    fn from(sent: CodeSent) -> Self {
        Self {
            phone_ending: sent.phone_ending,
            expires_at: sent.expires_at,
        }
    }
}

#[derive(Serialize)]
pub struct CodeSentResponse {
    loyalty_code: CodeSentView,
}

#[derive(Serialize)]
pub struct MembershipResponse {
    loyalty_membership: Membership,
}

#[derive(Serialize)]
struct Membership {
    /// Masked by the host.
    member_id: String,
    phone: String,
    points_balance: Option<i64>,
    verified_at: Option<DateTime<Utc>>,
}

impl From<customer::Model> for MembershipResponse {
    fn from(link: customer::Model) -> Self {
        Self {
            loyalty_membership: Membership {
                member_id: link.membership_id,
                phone: link.phone,
                points_balance: link.points_balance,
                verified_at: link.verified_at,
            },
        }
    }
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
                status: d.status,
                member_id: s.member_id,
                verified: d.verified,
                points_balance: d.points_balance,
                code_sent: d.code_sent.map(Into::into),
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

/// A signed-in customer whose verified link is for this phone may redeem
/// at once; anyone else earns until the phone is verified.
pub async fn identify(
    key: PublishableKey,
    customer: Option<AuthenticatedCustomer>,
    State(state): State<AppState>,
    attempts: Attempts,
    body: Result<Json<IdentifyBody>, JsonRejection>,
) -> Result<Json<SessionResponse>, ApiError> {
    let Json(body) = body?;
    key.ensure_cart(&state, &body.cart_id).await?;
    attempts.admit(Rule::LoyaltyIdentify, &body.phone).await?;
    let detail = state
        .loyalty
        .identify(
            &state.db,
            &body.cart_id,
            &body.phone,
            customer.as_ref().map(|c| c.id.as_str()),
        )
        .await?;
    Ok(Json(detail.into()))
}

/// Texts a code to the phone the cart was identified with.
pub async fn send_code(
    key: PublishableKey,
    State(state): State<AppState>,
    body: Result<Json<CartBody>, JsonRejection>,
) -> Result<Json<CodeSentResponse>, ApiError> {
    let Json(body) = body?;
    key.ensure_cart(&state, &body.cart_id).await?;
    let sent = state
        .loyalty
        .send_cart_code(&state.db, &body.cart_id)
        .await?;
    Ok(Json(CodeSentResponse {
        loyalty_code: sent.into(),
    }))
}

/// Checks the code; right, the cart may redeem (and a signed-in customer's
/// account is linked to the membership).
pub async fn verify(
    key: PublishableKey,
    customer: Option<AuthenticatedCustomer>,
    State(state): State<AppState>,
    body: Result<Json<VerifyBody>, JsonRejection>,
) -> Result<Json<SessionResponse>, ApiError> {
    let Json(body) = body?;
    key.ensure_cart(&state, &body.cart_id).await?;
    let detail = state
        .loyalty
        .verify_cart(
            &state.db,
            &body.cart_id,
            &body.code,
            customer.as_ref().map(|c| c.id.as_str()),
        )
        .await?;
    Ok(Json(detail.into()))
}

/// Texts a code to `phone`, a member's, to link the customer's account.
pub async fn send_link_code(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    body: Result<Json<PhoneBody>, JsonRejection>,
) -> Result<Json<CodeSentResponse>, ApiError> {
    let Json(body) = body?;
    let sent = state
        .loyalty
        .send_link_code(&state.db, &me.id, &body.phone)
        .await?;
    Ok(Json(CodeSentResponse {
        loyalty_code: sent.into(),
    }))
}

/// Checks the code; right, the account is linked to the membership.
pub async fn verify_link(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    body: Result<Json<CodeBody>, JsonRejection>,
) -> Result<Json<MembershipResponse>, ApiError> {
    let Json(body) = body?;
    let link = state
        .loyalty
        .verify_link(&state.db, &me.id, &body.code)
        .await?;
    Ok(Json(link.into()))
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
