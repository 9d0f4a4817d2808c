use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How [`Model::value`] reads; Medusa's application method `type`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    Percentage,
    Fixed,
}

/// Medusa's promotion `status`: only an active promotion reaches carts; a
/// draft is being prepared, an inactive one was switched off.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Active,
    Inactive,
}

/// A discount a shopper gets with a code, or without one when automatic.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "promotions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Upper case; shoppers' input is matched case-insensitively.
    #[sea_orm(unique)]
    pub code: String,
    pub status: Status,
    /// Applied to every cart it can be, without a code.
    pub is_automatic: bool,
    pub campaign_id: Option<String>,
    pub value_type: ValueType,
    /// Basis points for a percentage (1000 is 10 %), minor units when fixed.
    pub value: i64,
    /// The currency of a fixed value (lower case): only carts in it get the
    /// promotion. `None` for a percentage, and for fixed promotions made
    /// before currencies were recorded (those apply in any currency).
    pub currency_code: Option<String>,
    pub target_type: crate::carts::totals::DiscountTarget,
    /// How many orders may use the code; unlimited when `None`.
    pub usage_limit: Option<i32>,
    pub used_count: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[cfg(test)]
mod tests {
    #[test]
    fn value_types_keep_their_stored_words() {
        crate::states::assert_words::<super::ValueType>(&["percentage", "fixed"]);
    }

    #[test]
    fn statuses_keep_their_stored_words() {
        crate::states::assert_words::<super::Status>(&["draft", "active", "inactive"]);
    }
}
