use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// One order per cart: the database itself refuses a second.
    #[sea_orm(unique)]
    pub cart_id: String,
    pub customer_id: Option<String>,
    pub email: Option<String>,
    pub currency_code: String,
    pub status: String,
    pub payment_collection_id: Option<String>,
    /// Minor units.
    pub subtotal: i64,
    pub total: i64,
    pub created_at: DateTimeUtc,
    pub canceled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
