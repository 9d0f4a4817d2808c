use sea_orm::entity::prelude::*;

/// A sales channel a publishable API key gives access to.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "publishable_key_sales_channels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub api_key_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub sales_channel_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
