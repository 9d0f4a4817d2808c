use sea_orm::entity::prelude::*;

/// A stock location that supplies a sales channel.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_channel_stock_locations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sales_channel_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub stock_location_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
