use sea_orm::entity::prelude::*;

/// A cart identified with a loyalty member, from identify to finalize.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "loyalty_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub store_id: String,
    #[sea_orm(unique)]
    pub cart_id: String,
    /// The host's key for this transaction.
    #[sea_orm(unique)]
    pub pos_sequence_id: String,
    pub status: super::SessionStatus,
    pub phone: String,
    /// Masked, as the host returns it.
    pub member_id: String,
    /// What the host last said; shown only once the phone is verified.
    pub points_balance: i64,
    /// JSON [`super::RewardsSnapshot`].
    #[sea_orm(column_type = "Text")]
    pub rewards: String,
    pub order_id: Option<String>,
    /// The host's confirmation id once finalized.
    pub host_transaction_id: Option<String>,
    pub points_earned: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the shopper proved the phone (an SMS code, or the signed-in
    /// customer's verified link); `None`: the member may earn, not redeem.
    pub phone_verified_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
