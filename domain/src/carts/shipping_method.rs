use sea_orm::entity::prelude::*;

/// The shipping option a cart chose, with its amount copied like a line's price.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cart_shipping_methods")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub cart_id: String,
    pub shipping_option_id: String,
    pub name: String,
    /// Minor units, stated like the region's prices.
    pub amount: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
