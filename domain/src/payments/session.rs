use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A payment session's status, as Medusa names it.
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
    /// Waiting on the provider (or the shopper).
    Pending,
    Authorized,
    /// The shopper has more to do (3-D Secure).
    RequiresMore,
    Error,
    Canceled,
}

crate::states::display_as_word!(Status);

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub payment_collection_id: String,
    pub provider_id: String,
    pub amount: i64,
    pub currency_code: String,
    pub status: Status,
    /// The provider's own id of it (Stripe's PaymentIntent), which its webhooks name.
    pub provider_reference: Option<String>,
    /// The provider's data, JSON.
    #[sea_orm(column_type = "Text")]
    pub data: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[cfg(test)]
mod tests {
    #[test]
    fn statuses_keep_their_stored_words() {
        crate::states::assert_words::<super::Status>(&[
            "pending",
            "authorized",
            "requires_more",
            "error",
            "canceled",
        ]);
    }
}
