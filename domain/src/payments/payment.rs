use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub payment_collection_id: String,
    #[sea_orm(unique)]
    pub payment_session_id: String,
    pub provider_id: String,
    /// Authorized amount, minor units.
    pub amount: i64,
    pub currency_code: String,
    pub captured_amount: i64,
    pub refunded_amount: i64,
    pub canceled_at: Option<DateTimeUtc>,
    /// The provider's own id of it (Stripe's PaymentIntent), which its webhooks name.
    pub provider_reference: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub data: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
