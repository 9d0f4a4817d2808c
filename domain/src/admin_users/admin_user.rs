use sea_orm::entity::prelude::*;

use super::role::Role;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub created_at: DateTimeUtc,
    /// Tokens and web sessions issued under an earlier generation are refused
    /// (see [`crate::sign_ins`]).
    pub sign_in_generation: i32,
    pub role: Role,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Set while the user may not sign in; nothing issued to them stands.
    pub disabled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
