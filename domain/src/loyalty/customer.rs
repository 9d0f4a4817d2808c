use sea_orm::entity::prelude::*;

/// A customer account linked to a loyalty membership.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "loyalty_customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub customer_id: String,
    /// Masked, as the host returns it.
    pub membership_id: String,
    pub phone: String,
    pub linked_at: DateTimeUtc,
    /// As the host last reported it; `None` until then.
    pub points_balance: Option<i64>,
    pub balance_synced_at: Option<DateTimeUtc>,
    /// When the customer proved the phone by SMS code; `None` for links made
    /// before that was asked (they earn points, never show or spend them).
    pub verified_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
