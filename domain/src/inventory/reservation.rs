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
    /// Why an admin holds the stock (a reservation made by hand).
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    /// The admin user who made it; `None` for one made by a checkout.
    pub created_by: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Held for a line of a cart or order: only the order's own steps
    /// (fulfil, cancel) may change it.
    pub fn for_an_order(&self) -> bool {
        self.line_item_id.is_some()
    }
}
