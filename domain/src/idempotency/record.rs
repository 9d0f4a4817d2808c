use sea_orm::entity::prelude::*;

/// One use of an idempotency key: the request it was sent with and, once
/// that request finished, the answer every repeat gets.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    /// What the key is for (one operation) and whose it is (see
    /// `KeyScope`), so two operations or two owners never share keys.
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// The request the key was first sent with, in words (e.g. the cart).
    pub fingerprint: String,
    /// The answer's HTTP status; `None` while the first request runs.
    pub status_code: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub response_body: Option<String>,
    /// While unanswered and in the future, the first request owns the key;
    /// past it (that request died) a repeat may take over.
    pub claimed_until: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
