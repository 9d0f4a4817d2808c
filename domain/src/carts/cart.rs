use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "carts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub currency_code: String,
    /// Sets the currency, the tax and the shipping options; `None` only when
    /// the store has no region in the cart's currency.
    pub region_id: Option<String>,
    /// Where the cart sells from: its stock locations supply the order.
    pub sales_channel_id: Option<String>,
    pub email: Option<String>,
    pub customer_id: Option<String>,
    pub payment_collection_id: Option<String>,
    /// [`super::Address`] as JSON.
    #[sea_orm(column_type = "Text")]
    pub shipping_address: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub billing_address: Option<String>,
    /// A JSON object the storefront keeps with the cart.
    #[sea_orm(column_type = "Text")]
    pub metadata: Option<String>,
    /// Minor units on top of the total, neither taxed nor discounted.
    pub tip: i64,
    /// Set once the cart became an order; a completed cart is read-only.
    pub completed_at: Option<DateTimeUtc>,
    /// While set and in the future, one completion attempt owns the cart.
    pub completion_claimed_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "crate::pricing::region::Entity",
        from = "Column::RegionId",
        to = "crate::pricing::region::Column::Id"
    )]
    Region,
}

impl Related<crate::pricing::region::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Region.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
