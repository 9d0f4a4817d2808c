use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub payment_collection_id: String,
    pub provider_id: String,
    pub amount: i64,
    pub currency_code: String,
    pub status: String,
    /// The provider's own id of it (Stripe's PaymentIntent), which its webhooks name.
    pub provider_reference: Option<String>,
    /// The provider's data, JSON.
    #[sea_orm(column_type = "Text")]
    pub data: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
