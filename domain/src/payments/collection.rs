use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A payment collection's status, as Medusa names it.
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
    NotPaid,
    Authorized,
    PartiallyCaptured,
    Completed,
    Canceled,
}

crate::states::display_as_word!(Status);

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_collections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub currency_code: String,
    /// Minor units.
    pub amount: i64,
    pub status: Status,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[cfg(test)]
mod tests {
    #[test]
    fn statuses_keep_their_stored_words() {
        crate::states::assert_words::<super::Status>(&[
            "not_paid",
            "authorized",
            "partially_captured",
            "completed",
            "canceled",
        ]);
    }
}
