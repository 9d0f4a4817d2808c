use async_trait::async_trait;
use serde_json::Value;

/// What a payment provider (the built-in one, Stripe, …) must do. `Value` is
/// the provider's own data, stored with the session or payment and handed
/// back on the next call.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Medusa-style id, e.g. `pp_system_default`, `pp_stripe_stripe`.
    fn id(&self) -> &'static str;
    async fn initiate(&self, amount: i64, currency_code: &str) -> Result<Value, ProviderError>;
    async fn authorize(&self, data: &Value) -> Result<ProviderOutcome, ProviderError>;
    async fn capture(&self, data: &Value, amount: i64) -> Result<Value, ProviderError>;
    async fn refund(&self, data: &Value, amount: i64) -> Result<Value, ProviderError>;
    async fn cancel(&self, data: &Value) -> Result<Value, ProviderError>;
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProviderOutcome {
    Authorized(Value),
    /// The shopper must do something first (3-D Secure, a redirect); the
    /// provider reports the result later (a webhook).
    RequiresMore(Value),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    #[error("declined: {0}")]
    Declined(String),
    #[error("unavailable: {0}")]
    Unavailable(String),
}
