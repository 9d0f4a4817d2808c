use sea_orm::entity::prelude::*;

/// A reward the host offered a session; `applied` when it counts.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "loyalty_rewards")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub session_id: String,
    /// The host's id, unique within the session.
    pub reward_id: String,
    /// `LINE_DISCOUNT`, `TICKET_DISCOUNT` or `POINTS_MULTIPLIER`.
    pub reward_type: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// Minor units.
    pub discount_amount: i64,
    /// The cart line a line discount applies to.
    pub line_item_id: Option<String>,
    pub points_multiplier: Option<i64>,
    pub points_cost: i64,
    /// Auto-applied by the host; the shopper cannot remove it.
    pub instant: bool,
    pub applied: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
