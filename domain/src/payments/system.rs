use async_trait::async_trait;
use serde_json::{Value, json};

use super::{PaymentProvider, ProviderError, ProviderOutcome};

/// The built-in provider of the embedded default: authorizes every payment at
/// once, like Medusa's `pp_system_default`. No money moves.
pub struct SystemProvider;

pub const ID: &str = "pp_system_default";

#[async_trait]
impl PaymentProvider for SystemProvider {
    fn id(&self) -> &'static str {
        ID
    }

    async fn initiate(&self, amount: i64, currency_code: &str) -> Result<Value, ProviderError> {
        Ok(json!({ "amount": amount, "currency_code": currency_code }))
    }

    async fn authorize(&self, data: &Value) -> Result<ProviderOutcome, ProviderError> {
        Ok(ProviderOutcome::Authorized(data.clone()))
    }

    async fn capture(&self, data: &Value, _amount: i64) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }

    async fn refund(&self, data: &Value, _amount: i64) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }

    async fn cancel(&self, data: &Value) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }
}
