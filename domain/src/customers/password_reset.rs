//! Forgotten passwords, as Medusa's `reset-password` / `update` routes do it:
//! a single-use link, valid for a short time, mailed by a subscriber of the
//! `auth.password_reset` event.
//!
//! The token exists in one place only, the email. A request records the
//! reset and announces it by id ([`request`]); the mailer issues the token
//! when it sends the mail ([`issue_token`]) and only its hash is kept. So
//! neither the outbox, nor the database, nor a log of either holds a token
//! that resets a password.

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
    ids::{new_id, random_token},
};

/// Medusa's event name; its payload is [`PasswordResetRequested`].
pub const PASSWORD_RESET: &str = "auth.password_reset";
/// How long a reset link works, from the request.
pub const TOKEN_LIFETIME: Duration = Duration::minutes(15);

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "password_resets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub auth_identity_id: String,
    /// SHA-256 of the mailed token, hex; `None` until the mail is sent.
    pub token_hash: Option<String>,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The `auth.password_reset` payload: the reset's id only. (Medusa's carries
/// the token itself; the mailer here looks the recipient up and issues the
/// token with [`issue_token`].)
#[derive(Debug, Serialize, Deserialize)]
pub struct PasswordResetRequested {
    pub id: String,
}

/// What the reset mail needs: where it goes and the link's token.
#[derive(Debug)]
pub struct IssuedToken {
    pub email: String,
    pub token: String,
}

/// SHA-256 of a token, hex, as kept in `password_resets.token_hash`.
fn hash(token: &str) -> String {
    crate::credentials::token_digest(token)
}

/// Records a reset for the customer signing in with `email` and emits
/// [`PASSWORD_RESET`] with its id, both in one transaction. An unknown email
/// does nothing and is not an error, so the answer does not tell who has an
/// account.
pub async fn request(db: &impl crate::db::Writable, email: &Email) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let Some(identity) = find_identity_by_email(&txn, email).await? else {
        return Ok(());
    };
    let now = Utc::now();
    let reset = ActiveModel {
        id: Set(new_id("pwreset")),
        auth_identity_id: Set(identity.id),
        token_hash: Set(None),
        expires_at: Set(now + TOKEN_LIFETIME),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    events::emit(
        &txn,
        PASSWORD_RESET,
        &PasswordResetRequested { id: reset.id },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Issues the token of reset `id` for its mail, keeping only its hash;
/// `None` when the reset is gone, used or expired (there is nothing to mail).
/// Called again (the mail failed and is retried), it issues a new token and
/// the earlier one stops working: only the last mail's link is good.
pub async fn issue_token(
    db: &impl crate::db::Writable,
    id: &str,
) -> Result<Option<IssuedToken>, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    // Gone with its identity, used or expired: nothing to mail.
    let Some(reset) = Entity::find_by_id(id).one(&txn).await? else {
        return Ok(None);
    };
    if reset.used_at.is_some() || reset.expires_at <= Utc::now() {
        return Ok(None);
    }
    let Some(identity) = auth_identity::Entity::find_by_id(&reset.auth_identity_id)
        .one(&txn)
        .await?
    else {
        return Ok(None);
    };
    let token = random_token(32);
    let mut reset: ActiveModel = reset.into();
    reset.token_hash = Set(Some(hash(&token)));
    reset.update(&txn).await?;
    txn.commit().await?;
    Ok(Some(IssuedToken {
        email: identity.email,
        token,
    }))
}

/// Sets a new password with a token from [`issue_token`]. The token must be
/// unused, unexpired and issued for `email`; it cannot be used again. Every
/// earlier sign-in of the account ends.
pub async fn complete(
    db: &impl crate::db::Writable,
    token: &str,
    email: &Email,
    password: &Password,
) -> Result<(), DomainError> {
    let refused = || DomainError::Unauthorized("Invalid or expired password reset token".into());
    // The token is checked before the password is hashed (hashing costs the
    // CPU on purpose: not for a made-up token), and the hash is made before
    // the writer's turn is taken.
    let Some(reset) = Entity::find()
        .filter(Column::TokenHash.eq(hash(token)))
        .one(db)
        .await?
    else {
        return Err(refused());
    };
    let now = Utc::now();
    if reset.used_at.is_some() || reset.expires_at <= now {
        return Err(refused());
    }
    let identity = auth_identity::Entity::find_by_id(&reset.auth_identity_id)
        .one(db)
        .await?
        .filter(|identity| identity.email == email.as_ref())
        .ok_or_else(refused)?;
    let new_hash = password.hash().await?;
    let txn = crate::db::begin_write(db).await?;
    // Conditional on still unused, so two concurrent uses cannot both pass.
    let claimed = Entity::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::Id.eq(&reset.id))
        .filter(Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(refused());
    }
    let account = crate::sign_ins::Account::CustomerIdentity(identity.id.clone());
    let mut identity: auth_identity::ActiveModel = identity.into();
    identity.password_hash = Set(new_hash.into());
    identity.update(&txn).await?;
    // Whoever knew the old password is signed out with it.
    crate::sign_ins::move_on(&txn, &account).await?;
    txn.commit().await?;
    crate::sign_ins::announce_ended();
    Ok(())
}
