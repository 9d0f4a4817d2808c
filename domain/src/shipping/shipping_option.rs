use sea_orm::entity::prelude::*;

/// A way to get an order to the shopper in a region, at a flat amount.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shipping_options")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub region_id: String,
    /// Minor units, stated like the region's prices.
    pub amount: i64,
    /// Set for a pickup: the stock location (a machine) the shopper collects from.
    pub stock_location_id: Option<String>,
    pub shipping_profile_id: String,
    /// Offered to shoppers; an option kept back is seen by admins only.
    pub enabled_in_store: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
