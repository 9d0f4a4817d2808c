use sea_orm::entity::prelude::*;

/// A payment provider a region offers (Medusa's region `payment_providers`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "region_payment_providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub region_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
