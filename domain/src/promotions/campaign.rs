use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a campaign's budget counts: orders that used one of its promotions,
/// or the discount they gave.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum BudgetType {
    Usage,
    Spend,
}

/// A marketing campaign: its promotions apply between `starts_at` and
/// `ends_at`, until its budget is used.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    /// The operator's own reference for it, unique (Medusa's `campaign_identifier`).
    #[sea_orm(unique)]
    pub campaign_identifier: String,
    pub description: Option<String>,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    /// No budget when `None`.
    pub budget_type: Option<BudgetType>,
    /// Orders for a usage budget; minor units of `budget_currency_code` for spend.
    pub budget_limit: Option<i64>,
    pub budget_used: i64,
    pub budget_currency_code: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[cfg(test)]
mod tests {
    #[test]
    fn budget_types_keep_their_stored_words() {
        crate::states::assert_words::<super::BudgetType>(&["usage", "spend"]);
    }
}
