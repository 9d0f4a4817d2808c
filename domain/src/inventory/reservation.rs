use sea_orm::entity::prelude::*;

/// Stock held at a location for a line item (or another external reference)
/// until it is fulfilled or released.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reservation_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub inventory_item_id: String,
    pub location_id: String,
    pub quantity: i32,
    pub line_item_id: Option<String>,
    pub external_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
