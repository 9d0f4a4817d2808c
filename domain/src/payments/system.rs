use async_trait::async_trait;
use serde_json::{Value, json};

use super::{Initiation, PaymentProvider, ProviderError, ProviderOutcome};

/// The built-in provider of the embedded default: authorizes every payment at
/// once, like Medusa's `pp_system_default`. No money moves.
pub struct SystemProvider;

pub const ID: &str = "pp_system_default";

#[async_trait]
impl PaymentProvider for SystemProvider {
    fn id(&self) -> &'static str {
        ID
    }

    async fn initiate(&self, payment: &Initiation) -> Result<Value, ProviderError> {
        Ok(json!({ "amount": payment.amount, "currency_code": payment.currency_code }))
    }

    async fn authorize(&self, data: &Value) -> Result<ProviderOutcome, ProviderError> {
        Ok(ProviderOutcome::Authorized(data.clone()))
    }

    async fn capture(
        &self,
        data: &Value,
        _amount: i64,
        _key: &str,
    ) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }

    async fn refund(&self, data: &Value, _amount: i64, _key: &str) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }

    async fn cancel(&self, data: &Value, _key: &str) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }
}
