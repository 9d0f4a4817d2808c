//! The loyalty host as the domain sees it. The HTTP client (OAuth2, circuit
//! breaker, timeouts) lives in the server; tests may plug in their own.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Where and as whom to call the host (one store's config, secret opened).
#[derive(Clone, PartialEq, Eq)]
pub struct HostCredentials {
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for HostCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostCredentials")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// Masked by the host.
    pub member_id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub points_balance: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BasketLine {
    pub line_id: String,
    /// The SKU, or the variant id when it has none.
    pub item_code: String,
    pub description: String,
    pub quantity: i64,
    pub unit_price: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferedReward {
    pub reward_id: String,
    #[serde(rename = "type")]
    pub reward_type: String,
    pub description: String,
    pub instant: bool,
    #[serde(default)]
    pub line_id: Option<String>,
    pub discount_amount: i64,
    #[serde(default)]
    pub points_multiplier: Option<i64>,
    #[serde(default)]
    pub points_cost: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Calculation {
    pub rewards: Vec<OfferedReward>,
    pub points_balance: i64,
    pub points_earnable: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finalization {
    pub confirmation_id: String,
    pub points_earned: i64,
    pub points_redeemed: i64,
    #[serde(default)]
    pub points_balance: Option<i64>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum HostError {
    /// Down, slow, erroring, refusing our credentials, or the breaker is open:
    /// worth trying again later; the shopper goes on without loyalty.
    #[error("the loyalty host is unavailable: {0}")]
    Unavailable(String),
    #[error("no loyalty member has this phone number")]
    MemberNotFound,
    /// The host understood and said no (e.g. the transaction is closed).
    #[error("the loyalty host refused: {0}")]
    Rejected(String),
}

#[async_trait]
pub trait LoyaltyHost: Send + Sync {
    async fn identify(
        &self,
        credentials: &HostCredentials,
        phone: &str,
        pos_sequence_id: &str,
    ) -> Result<Member, HostError>;

    /// The member with `phone` and their balance, outside any transaction.
    async fn member(&self, credentials: &HostCredentials, phone: &str)
    -> Result<Member, HostError>;

    async fn calculate(
        &self,
        credentials: &HostCredentials,
        pos_sequence_id: &str,
        lines: &[BasketLine],
    ) -> Result<Calculation, HostError>;

    /// Idempotent per `pos_sequence_id`.
    async fn finalize(
        &self,
        credentials: &HostCredentials,
        pos_sequence_id: &str,
        lines: &[BasketLine],
        applied_reward_ids: &[String],
    ) -> Result<Finalization, HostError>;

    async fn cancel(
        &self,
        credentials: &HostCredentials,
        pos_sequence_id: &str,
    ) -> Result<(), HostError>;

    /// Whether the host answers at all, cheaply: the storefront hides
    /// loyalty when it does not. Hosts with nothing cheap to ask say yes.
    async fn reachable(&self, _credentials: &HostCredentials) -> bool {
        true
    }

    /// Forgets what was remembered about the host at `base_url` (tokens,
    /// circuit breaker): its configuration changed.
    async fn forget(&self, _base_url: &str) {}
}
