use sea_orm::entity::prelude::*;

/// An email + password a customer signs in with. Registration creates it
/// before the customer exists; creating the customer links it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "auth_identities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Who signs in with it: `customer` (admin users have their own table).
    pub actor_type: String,
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub customer_id: Option<String>,
    pub created_at: DateTimeUtc,
    /// Tokens and web sessions issued under an earlier generation are refused
    /// (see [`crate::sign_ins`]).
    pub sign_in_generation: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
