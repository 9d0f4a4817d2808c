//! Operators who sign in to the admin dashboard. Kept apart from shoppers.

pub mod admin_user;

pub use crate::credentials::{Email, Password};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
    TransactionSession, sea_query::Expr,
};

use crate::{
    DomainError,
    db::{Writable, begin_write},
    ids::new_id,
    sign_ins,
};

/// Creates an admin user; the password is hashed before the writer's turn is taken.
pub async fn create(
    db: &impl Writable,
    email: &Email,
    password: &Password,
) -> Result<admin_user::Model, DomainError> {
    ensure_new(db, email).await?;
    let hash = password.hash().await?;
    let txn = begin_write(db).await?;
    ensure_new(&txn, email).await?;
    let user = admin_user::ActiveModel {
        id: Set(new_id("user")),
        email: Set(email.to_string()),
        password_hash: Set(hash.into()),
        created_at: Set(Utc::now()),
        sign_in_generation: Set(sign_ins::FIRST_GENERATION),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(user)
}

async fn ensure_new(db: &impl ConnectionTrait, email: &Email) -> Result<(), DomainError> {
    if find_by_email(db, email).await?.is_some() {
        return Err(DomainError::Conflict(format!(
            "an admin user {email} already exists"
        )));
    }
    Ok(())
}

/// Creates the user, or sets a new password when the email is already known
/// (which ends every earlier sign-in of the user). The password is hashed
/// before the writer's turn is taken.
pub async fn upsert(
    db: &impl Writable,
    email: &Email,
    password: &Password,
) -> Result<admin_user::Model, DomainError> {
    let Some(user) = find_by_email(db, email).await? else {
        return create(db, email, password).await;
    };
    let hash = String::from(password.hash().await?);
    let txn = begin_write(db).await?;
    // Not `ActiveModel::update`: on SQLite its `UPDATE … RETURNING` once
    // came back without `sign_in_generation` (see sign_ins tests).
    admin_user::Entity::update_many()
        .col_expr(admin_user::Column::PasswordHash, Expr::value(hash))
        .filter(admin_user::Column::Id.eq(&user.id))
        .exec(&txn)
        .await?;
    sign_ins::move_on(&txn, &sign_ins::Account::AdminUser(user.id.clone())).await?;
    let user = find_by_id(&txn, &user.id)
        .await?
        .ok_or_else(|| DomainError::not_found("AdminUser", user.id))?;
    txn.commit().await?;
    sign_ins::announce_ended();
    Ok(user)
}

/// Checks an email and password; the error never says which of the two was wrong.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    email: &str,
    password: &str,
) -> Result<admin_user::Model, DomainError> {
    let rejected = || DomainError::Unauthorized("wrong email or password".into());
    let email = Email::parse(email).map_err(|_| rejected())?;
    let user = find_by_email(db, &email).await?;
    // Verify against a fixed hash when the user is unknown, so timing does not
    // reveal which emails exist.
    let hash = user
        .as_ref()
        .map_or(crate::credentials::UNKNOWN_USER_HASH, |u| {
            u.password_hash.as_str()
        });
    let verified = Password::verify(password, hash).await?;
    match user {
        Some(user) if verified => Ok(user),
        _ => Err(rejected()),
    }
}

pub async fn find_by_id(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<admin_user::Model>, DomainError> {
    Ok(admin_user::Entity::find_by_id(id).one(db).await?)
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<admin_user::Model>, DomainError> {
    Ok(admin_user::Entity::find()
        .filter(admin_user::Column::Email.eq(email.as_ref()))
        .one(db)
        .await?)
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64, DomainError> {
    Ok(admin_user::Entity::find().count(db).await?)
}

/// Admin users by email, one page at a time; `q` matches the email.
pub async fn list_page(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<crate::paging::Page<admin_user::Model>, DomainError> {
    use sea_orm::QueryOrder;
    let mut select = admin_user::Entity::find();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(admin_user::Column::Email.contains(q));
    }
    let select = select
        .order_by_asc(admin_user::Column::Email)
        .order_by_asc(admin_user::Column::Id);
    crate::paging::page_of(db, select, offset, limit).await
}
