use sea_orm::entity::prelude::*;

/// A customer's membership of a group.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_group_customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_group_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
