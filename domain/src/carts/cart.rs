use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "carts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub currency_code: String,
    pub email: Option<String>,
    pub customer_id: Option<String>,
    pub payment_collection_id: Option<String>,
    /// Set once the cart became an order; a completed cart is read-only.
    pub completed_at: Option<DateTimeUtc>,
    /// While set and in the future, one completion attempt owns the cart.
    pub completion_claimed_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
