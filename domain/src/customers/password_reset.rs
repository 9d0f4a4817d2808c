//! Forgotten passwords, as Medusa's `reset-password` / `update` routes do it:
//! a single-use token, valid for a short time, announced by the
//! `auth.password_reset` event so a subscriber can email it.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionSession,
    entity::prelude::*, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use super::{auth_identity, find_identity_by_email};
use crate::{
    DomainError,
    credentials::{Email, Password},
    events,
    ids::random_token,
};

/// Medusa's event name; its payload is [`PasswordResetRequested`].
pub const PASSWORD_RESET: &str = "auth.password_reset";
/// How long a reset link works.
pub const TOKEN_LIFETIME: Duration = Duration::minutes(15);

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "password_resets")]
pub struct Model {
    /// SHA-256 of the token, hex: the token itself is only in the email.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub auth_identity_id: String,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The `auth.password_reset` payload, in Medusa's field names.
#[derive(Debug, Serialize, Deserialize)]
pub struct PasswordResetRequested {
    /// The email the token was asked for.
    pub entity_id: String,
    pub actor_type: String,
    pub token: String,
}

fn hash(token: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Issues a reset token for the customer signing in with `email` and emits
/// [`PASSWORD_RESET`] with it, both in one transaction. An unknown email does
/// nothing and is not an error, so the answer does not tell who has an account.
pub async fn request(db: &impl crate::db::Writable, email: &Email) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let Some(identity) = find_identity_by_email(&txn, email).await? else {
        return Ok(());
    };
    let token = random_token(32);
    let now = Utc::now();
    ActiveModel {
        token_hash: Set(hash(&token)),
        auth_identity_id: Set(identity.id),
        expires_at: Set(now + TOKEN_LIFETIME),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    events::emit(
        &txn,
        PASSWORD_RESET,
        &PasswordResetRequested {
            entity_id: identity.email,
            actor_type: identity.actor_type,
            token,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Sets a new password with a token from [`request`]. The token must be
/// unused, unexpired and issued for `email`; it cannot be used again.
pub async fn complete(
    db: &impl crate::db::Writable,
    token: &str,
    email: &Email,
    password: &Password,
) -> Result<(), DomainError> {
    let refused = || DomainError::Unauthorized("Invalid or expired password reset token".into());
    let txn = crate::db::begin_write(db).await?;
    let Some(reset) = Entity::find_by_id(hash(token)).one(&txn).await? else {
        return Err(refused());
    };
    let now = Utc::now();
    if reset.used_at.is_some() || reset.expires_at <= now {
        return Err(refused());
    }
    let identity = auth_identity::Entity::find_by_id(&reset.auth_identity_id)
        .one(&txn)
        .await?
        .filter(|identity| identity.email == email.as_ref())
        .ok_or_else(refused)?;
    // Conditional on still unused, so two concurrent uses cannot both pass.
    let claimed = Entity::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::TokenHash.eq(&reset.token_hash))
        .filter(Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(refused());
    }
    let mut identity: auth_identity::ActiveModel = identity.into();
    identity.password_hash = Set(password.hash()?);
    identity.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}
