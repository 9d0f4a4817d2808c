use sea_orm::entity::prelude::*;

/// A promotion applied to a cart; applied in `created_at` order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cart_promotions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cart_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub promotion_id: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
