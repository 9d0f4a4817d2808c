use sea_orm::entity::prelude::*;

/// A one-time code sent by SMS to prove a phone, for a cart's loyalty
/// session or for a customer's membership link (exactly one of the two).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "loyalty_phone_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// As the shopper typed it (and the host knows it).
    pub phone: String,
    /// Its digits: one phone however it is written, for the resend throttle.
    pub phone_key: String,
    pub cart_id: Option<String>,
    pub customer_id: Option<String>,
    /// HMAC-SHA256 of the code under the loyalty key, hex: the code itself
    /// is only in the SMS.
    pub code_hash: String,
    /// Checks made with this code, right or wrong.
    pub attempts: i32,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
