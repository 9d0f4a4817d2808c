use sea_orm::entity::prelude::*;

/// A code a shopper enters for a discount.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "promotions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Upper case; shoppers' input is matched case-insensitively.
    #[sea_orm(unique)]
    pub code: String,
    pub is_active: bool,
    /// `percentage` or `fixed`.
    pub value_type: String,
    /// Basis points for a percentage (1000 is 10 %), minor units when fixed.
    pub value: i64,
    /// `items` (each unit) or `order` (the items together).
    pub target_type: String,
    /// How many orders may use the code; unlimited when `None`.
    pub usage_limit: Option<i32>,
    pub used_count: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
