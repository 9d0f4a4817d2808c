use sea_orm::entity::prelude::*;

/// How much of an item a location holds, and how much of that is promised.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory_levels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub inventory_item_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub location_id: String,
    pub stocked_quantity: i32,
    pub reserved_quantity: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl Model {
    /// What can still be reserved.
    pub fn available_quantity(&self) -> i32 {
        self.stocked_quantity - self.reserved_quantity
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
