use sea_orm::entity::prelude::*;

/// The goods of an order left the store (vended, shipped), and how far they
/// have gone since: shipped (with its tracking), then delivered or picked up.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_fulfillments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub order_id: String,
    /// The stock location the goods were taken from.
    pub location_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub shipped_at: Option<DateTimeUtc>,
    /// Delivered to the shopper, or picked up by them.
    pub delivered_at: Option<DateTimeUtc>,
    pub tracking_number: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub tracking_url: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Medusa's fulfillment status of an order with this fulfilment.
    pub fn status(&self) -> &'static str {
        use super::fulfillment_status::*;
        if self.delivered_at.is_some() {
            DELIVERED
        } else if self.shipped_at.is_some() {
            SHIPPED
        } else {
            FULFILLED
        }
    }
}
