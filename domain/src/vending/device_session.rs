use sea_orm::entity::prelude::*;

/// One opening of a machine: the single source of truth for it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "device_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub device_id: String,
    pub hub_id: Option<String>,
    pub locker_id: Option<String>,
    pub mode: super::state::Mode,
    /// The code the device shows or checks when it opens.
    pub code: String,
    pub customer_id: Option<String>,
    pub state: super::state::State,
    pub currency_code: String,
    /// What was pre-authorized before opening, minor units.
    pub hold_amount: i64,
    pub payment_collection_id: Option<String>,
    pub payment_id: Option<String>,
    pub order_id: Option<String>,
    /// The highest device sequence number applied to this session.
    pub last_seq: i64,
    pub failure_reason: Option<String>,
    /// Deposits credited by a settled return, minor units (the sum of its
    /// [`super::deposit_credit`] lines).
    pub credit_amount: Option<i64>,
    /// Why a settled session wants an admin's look (e.g. returned weight no
    /// container explains).
    pub review_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub door_opened_at: Option<DateTimeUtc>,
    pub door_closed_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
