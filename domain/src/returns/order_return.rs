use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a return stands: asked for, the goods back in the store (and the
/// refund asked of the provider), or called off.
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
    Requested,
    Received,
    Canceled,
}

crate::states::display_as_word!(Status);

/// Items of one order a customer sends back (Medusa's `Return`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "returns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub order_id: String,
    pub status: Status,
    /// The stock location the goods come back to.
    pub location_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
    /// The customer who asked for it; `None` when staff did.
    pub requested_by: Option<String>,
    /// What the customer gets back, minor units, in the order's currency.
    pub refund_amount: i64,
    pub created_at: DateTimeUtc,
    pub received_at: Option<DateTimeUtc>,
    pub canceled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[cfg(test)]
mod tests {
    #[test]
    fn statuses_keep_their_stored_words() {
        crate::states::assert_words::<super::Status>(&["requested", "received", "canceled"]);
    }
}
