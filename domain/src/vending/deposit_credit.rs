use sea_orm::entity::prelude::*;

/// Deposits credited to a shopper for the empty containers of one product
/// returned in one session (a return record, like Medusa's refund lines).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deposit_credits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub session_id: String,
    pub customer_id: Option<String>,
    pub variant_id: String,
    pub quantity: i32,
    /// Per container, minor units.
    pub unit_deposit: i64,
    pub amount: i64,
    pub currency_code: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
