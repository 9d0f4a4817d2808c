use sea_orm::entity::prelude::*;

/// Deposit credit paid out to a shopper's card: a refund of one of their
/// earlier machine payments.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deposit_payouts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub customer_id: String,
    /// Minor units.
    pub amount: i64,
    pub currency_code: String,
    /// The payment refunded.
    pub payment_id: String,
    /// The refund asked of the provider (`payment_operations`).
    pub operation_id: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
