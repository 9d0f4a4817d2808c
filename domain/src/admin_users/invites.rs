//! Invites: an owner invites an email with a role; the invitee sets a name
//! and password through the mailed link, once, within [`LIFETIME`].
//!
//! As with password resets, the token exists in the email only: creating or
//! resending an invite announces it by id ([`INVITE_CREATED`],
//! [`INVITE_RESENT`]), and the mailer issues the token as it sends the mail
//! ([`issue_token`]), keeping its hash. A new mail's token replaces the
//! earlier one.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use super::{Email, Names, Password, Role, admin_user, ensure_new, insert, invite};
use crate::{
    DomainError,
    credentials::token_digest,
    db::{Writable, begin_write},
    events,
    ids::{new_id, random_token},
    paging::Page,
};

/// Medusa's event names; the payload is [`InviteSent`].
pub const INVITE_CREATED: &str = "invite.created";
pub const INVITE_RESENT: &str = "invite.resent";
/// How long an invite can be accepted, from its latest (re)sending.
pub const LIFETIME: Duration = Duration::days(7);

/// The payload of the invite events: the invite's id only.
#[derive(Debug, Serialize, Deserialize)]
pub struct InviteSent {
    pub id: String,
}

/// What the invite's mail needs.
#[derive(Debug)]
pub struct IssuedInvite {
    pub email: String,
    pub role: Role,
    pub token: String,
}

/// Invites `email` with `role` on behalf of admin user `invited_by`, and
/// announces it for the mailer, in one transaction. A taken email, or one
/// with an invite still open, is refused.
pub async fn create(
    db: &impl Writable,
    invited_by: &str,
    email: &Email,
    role: Role,
) -> Result<invite::Model, DomainError> {
    let txn = begin_write(db).await?;
    ensure_new(&txn, email).await?;
    let now = Utc::now();
    let open = invite::Entity::find()
        .filter(invite::Column::Email.eq(email.as_ref()))
        .filter(invite::Column::AcceptedAt.is_null())
        .filter(invite::Column::ExpiresAt.gt(now))
        .one(&txn)
        .await?;
    if let Some(open) = open {
        return Err(DomainError::Conflict(format!(
            "{email} already has an open invite ({}); resend it instead",
            open.id
        )));
    }
    let invite = invite::ActiveModel {
        id: Set(new_id("invite")),
        email: Set(email.to_string()),
        role: Set(role),
        token_hash: Set(None),
        expires_at: Set(now + LIFETIME),
        accepted_at: Set(None),
        invited_by: Set(Some(invited_by.to_owned())),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    events::emit(
        &txn,
        INVITE_CREATED,
        &InviteSent {
            id: invite.id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(invite)
}

/// Mails invite `id` again, valid for another [`LIFETIME`]; the earlier
/// link stops working.
pub async fn resend(db: &impl Writable, id: &str) -> Result<invite::Model, DomainError> {
    let txn = begin_write(db).await?;
    let found = find(&txn, id).await?;
    if found.accepted_at.is_some() {
        return Err(DomainError::NotAllowed(format!(
            "invite {id} was already accepted"
        )));
    }
    let now = Utc::now();
    let mut invite: invite::ActiveModel = found.into();
    invite.token_hash = Set(None);
    invite.expires_at = Set(now + LIFETIME);
    invite.updated_at = Set(now);
    let invite = invite.update(&txn).await?;
    events::emit(&txn, INVITE_RESENT, &InviteSent { id: id.to_owned() }).await?;
    txn.commit().await?;
    Ok(invite)
}

/// Issues the token of invite `id` for its mail, keeping only its hash;
/// `None` when the invite is gone, accepted or expired (nothing to mail).
pub async fn issue_token(
    db: &impl Writable,
    id: &str,
) -> Result<Option<IssuedInvite>, DomainError> {
    let txn = begin_write(db).await?;
    let Some(found) = invite::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(None);
    };
    if found.accepted_at.is_some() || found.expires_at <= Utc::now() {
        return Ok(None);
    }
    let token = random_token(32);
    let (email, role) = (found.email.clone(), found.role);
    let mut invite: invite::ActiveModel = found.into();
    invite.token_hash = Set(Some(token_digest(&token)));
    invite.update(&txn).await?;
    txn.commit().await?;
    Ok(Some(IssuedInvite { email, role, token }))
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<invite::Model, DomainError> {
    invite::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Invite", id))
}

/// Invites, newest first.
pub async fn list_page(
    db: &impl ConnectionTrait,
    offset: u64,
    limit: u64,
) -> Result<Page<invite::Model>, DomainError> {
    let select = invite::Entity::find()
        .order_by_desc(invite::Column::CreatedAt)
        .order_by_asc(invite::Column::Id);
    crate::paging::page_of(db, select, offset, limit).await
}

/// Withdraws invite `id`: its link stops working.
pub async fn delete(db: &impl Writable, id: &str) -> Result<(), DomainError> {
    let txn = begin_write(db).await?;
    let deleted = invite::Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(DomainError::not_found("Invite", id));
    }
    txn.commit().await?;
    Ok(())
}

/// Accepts the invite whose mailed token is `token`: creates its admin user
/// with the invite's email and role. The token works once, until the
/// invite expires. An `email` given must be the invite's.
pub async fn accept(
    db: &impl Writable,
    token: &str,
    email: Option<&Email>,
    names: Names,
    password: &Password,
) -> Result<admin_user::Model, DomainError> {
    let refused = || {
        DomainError::Unauthorized(
            "this invite link is not valid: it was used, withdrawn, replaced by a newer one or has expired; ask an owner for a new invite".into(),
        )
    };
    let digest = token_digest(token);
    // The token is checked before the password is hashed, and the hash is
    // made before the writer's turn is taken.
    let found = invite::Entity::find()
        .filter(invite::Column::TokenHash.eq(&digest))
        .one(db)
        .await?
        .ok_or_else(refused)?;
    let now = Utc::now();
    if found.accepted_at.is_some() || found.expires_at <= now {
        return Err(refused());
    }
    if email.is_some_and(|email| email.as_ref() != found.email) {
        return Err(DomainError::Invalid(
            "this invite was sent to another email address".into(),
        ));
    }
    let email = Email::parse(&found.email)?;
    ensure_new(db, &email).await?;
    let hash = password.hash().await?;
    let txn = begin_write(db).await?;
    // Conditional on still open under this token, so two uses cannot both pass.
    let claimed = invite::Entity::update_many()
        .col_expr(invite::Column::AcceptedAt, Expr::value(now))
        .col_expr(invite::Column::UpdatedAt, Expr::value(now))
        .filter(invite::Column::Id.eq(&found.id))
        .filter(invite::Column::TokenHash.eq(&digest))
        .filter(invite::Column::AcceptedAt.is_null())
        .filter(invite::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(refused());
    }
    let user = insert(&txn, &email, hash.into(), found.role, names).await?;
    txn.commit().await?;
    Ok(user)
}
