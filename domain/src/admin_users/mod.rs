//! Operators who sign in to the admin dashboard. Kept apart from shoppers.
//! Each has a [`Role`]; the first admin user, and those made at the command
//! line, are owners; others join by [`invites`].

pub mod admin_user;
pub mod invite;
pub mod invites;
pub mod role;

pub use role::{Permission, Role};

pub use crate::credentials::{Email, Password};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set, TransactionSession, sea_query::Expr,
};

use crate::{
    DomainError,
    db::{Writable, begin_write},
    ids::new_id,
    sign_ins,
};

/// Creates an owner (the first admin user, or one made at the command line);
/// the password is hashed before the writer's turn is taken.
pub async fn create(
    db: &impl Writable,
    email: &Email,
    password: &Password,
) -> Result<admin_user::Model, DomainError> {
    ensure_new(db, email).await?;
    let hash = password.hash().await?;
    let txn = begin_write(db).await?;
    let user = insert(&txn, email, hash.into(), Role::Owner, Names::default()).await?;
    txn.commit().await?;
    Ok(user)
}

/// An admin user's first and last name, each trimmed, empty as none.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl Names {
    /// At most this many characters a name.
    const MAX_CHARS: usize = 200;

    pub fn parse(first_name: Option<&str>, last_name: Option<&str>) -> Result<Self, DomainError> {
        let one = |name: Option<&str>, what: &str| {
            let name = name.map(str::trim).filter(|n| !n.is_empty());
            match name {
                Some(n) if n.chars().count() > Self::MAX_CHARS => Err(DomainError::Invalid(
                    format!("{what} must be at most {} characters", Self::MAX_CHARS),
                )),
                Some(n) if n.chars().any(char::is_control) => Err(DomainError::Invalid(format!(
                    "{what} must not contain control characters"
                ))),
                other => Ok(other.map(str::to_owned)),
            }
        };
        Ok(Self {
            first_name: one(first_name, "first_name")?,
            last_name: one(last_name, "last_name")?,
        })
    }
}

/// Inserts a user inside the caller's writing transaction, refusing a taken email.
async fn insert(
    txn: &impl ConnectionTrait,
    email: &Email,
    password_hash: String,
    role: Role,
    names: Names,
) -> Result<admin_user::Model, DomainError> {
    ensure_new(txn, email).await?;
    let user = admin_user::ActiveModel {
        id: Set(new_id("user")),
        email: Set(email.to_string()),
        password_hash: Set(password_hash),
        created_at: Set(Utc::now()),
        sign_in_generation: Set(sign_ins::FIRST_GENERATION),
        role: Set(role),
        first_name: Set(names.first_name),
        last_name: Set(names.last_name),
        disabled_at: Set(None),
    }
    .insert(txn)
    .await?;
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
        // Told only to who knows the password: it reveals nothing to a guesser.
        Some(user) if verified && user.disabled_at.is_some() => Err(disabled()),
        Some(user) if verified => Ok(user),
        _ => Err(rejected()),
    }
}

fn disabled() -> DomainError {
    DomainError::Unauthorized("this admin user is disabled; an owner can enable it again".into())
}

/// The signed-in admin user `id` as they are now, if they may still act:
/// gone or disabled since signing in is refused.
pub async fn signed_in(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<admin_user::Model, DomainError> {
    match find_by_id(db, id).await? {
        Some(user) if user.disabled_at.is_some() => Err(disabled()),
        Some(user) => Ok(user),
        None => Err(DomainError::Unauthorized(
            "this admin user no longer exists".into(),
        )),
    }
}

/// [`signed_in`], and the user's role covers `permission`: the one check
/// every Admin API route and dashboard server function makes.
pub async fn authorize(
    db: &impl ConnectionTrait,
    id: &str,
    permission: Permission,
) -> Result<admin_user::Model, DomainError> {
    let user = signed_in(db, id).await?;
    user.role.require(permission)?;
    Ok(user)
}

/// What an owner may change about another admin user; `None` leaves it.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub role: Option<Role>,
    /// `true` disables (every sign-in ends at once), `false` enables.
    pub disabled: Option<bool>,
    pub names: Option<Names>,
}

/// Changes admin user `id` for `actor`. Nobody changes their own role or
/// disables themselves, and the last enabled owner stays one, so the store
/// always has someone who can manage its users.
pub async fn update(
    db: &impl Writable,
    actor: &str,
    id: &str,
    changes: Changes,
) -> Result<admin_user::Model, DomainError> {
    let txn = begin_write(db).await?;
    let user = find_by_id(&txn, id)
        .await?
        .ok_or_else(|| DomainError::not_found("AdminUser", id))?;
    let changes_something =
        changes.role.is_some() || changes.disabled.is_some() || changes.names.is_some();
    let demoted = changes.role.is_some_and(|role| role != user.role);
    let disabling = changes.disabled == Some(true) && user.disabled_at.is_none();
    if user.id == actor && (demoted || disabling) {
        return Err(DomainError::NotAllowed(
            "you cannot change your own role or disable yourself; ask another owner".into(),
        ));
    }
    if user.role == Role::Owner && (demoted || disabling) {
        ensure_another_owner(&txn, &user).await?;
    }
    let mut update = admin_user::Entity::update_many().filter(admin_user::Column::Id.eq(id));
    if let Some(role) = changes.role {
        update = update.col_expr(admin_user::Column::Role, Expr::value(role.name()));
    }
    match changes.disabled {
        Some(true) if user.disabled_at.is_none() => {
            update = update.col_expr(admin_user::Column::DisabledAt, Expr::value(Utc::now()));
        }
        Some(false) => {
            update = update.col_expr(
                admin_user::Column::DisabledAt,
                Expr::value(Option::<chrono::DateTime<Utc>>::None),
            );
        }
        _ => {}
    }
    if let Some(names) = changes.names {
        update = update
            .col_expr(admin_user::Column::FirstName, Expr::value(names.first_name))
            .col_expr(admin_user::Column::LastName, Expr::value(names.last_name));
    }
    // Not `ActiveModel::update` (see `upsert`); an update with no column set
    // is no statement at all.
    if changes_something {
        update.exec(&txn).await?;
    }
    if disabling {
        // Every token and web session of the user is refused from now on.
        sign_ins::move_on(&txn, &sign_ins::Account::AdminUser(user.id.clone())).await?;
    }
    let user = find_by_id(&txn, id)
        .await?
        .ok_or_else(|| DomainError::not_found("AdminUser", id))?;
    txn.commit().await?;
    if disabling {
        sign_ins::announce_ended();
    }
    Ok(user)
}

/// Deletes admin user `id` for `actor`, under the rules of [`update`]: not
/// oneself, not the last enabled owner. Their sign-ins end with them.
pub async fn delete(db: &impl Writable, actor: &str, id: &str) -> Result<(), DomainError> {
    let txn = begin_write(db).await?;
    let user = find_by_id(&txn, id)
        .await?
        .ok_or_else(|| DomainError::not_found("AdminUser", id))?;
    if user.id == actor {
        return Err(DomainError::NotAllowed(
            "you cannot delete yourself; ask another owner".into(),
        ));
    }
    if user.role == Role::Owner {
        ensure_another_owner(&txn, &user).await?;
    }
    admin_user::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    // Nothing issued to a deleted account stands; caches must read again.
    sign_ins::announce_ended();
    Ok(())
}

/// Refuses when `owner` is the only enabled owner. The owners' rows are
/// locked (PostgreSQL) so two owners removing each other cannot both pass;
/// SQLite has one writer at a time anyway.
async fn ensure_another_owner(
    txn: &impl ConnectionTrait,
    owner: &admin_user::Model,
) -> Result<(), DomainError> {
    let others = admin_user::Entity::find()
        .select_only()
        .column(admin_user::Column::Id)
        .filter(admin_user::Column::Role.eq(Role::Owner))
        .filter(admin_user::Column::DisabledAt.is_null())
        .filter(admin_user::Column::Id.ne(&owner.id))
        .lock_exclusive()
        .into_tuple::<String>()
        .all(txn)
        .await?;
    if others.is_empty() {
        return Err(DomainError::Conflict(format!(
            "{} is the last owner; make another admin user an owner first",
            owner.email
        )));
    }
    Ok(())
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
