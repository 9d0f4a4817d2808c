//! Whether a token or web session issued to an account still stands.
//!
//! Every account (a customer's sign-in identity, an admin user) has a sign-in
//! generation. Tokens and web sessions carry the generation they were issued
//! under; ending the account's sign-ins ("sign out everywhere", a new
//! password) moves it on, and whatever carries an earlier one is refused.

use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, TransactionSession,
    UpdateResult,
    sea_query::{Expr, ExprTrait, IntoCondition},
};

use crate::{DomainError, admin_users::admin_user, customers::auth_identity, db::Writable};

/// The generation of a new account.
pub const FIRST_GENERATION: i32 = 0;

/// An account, by the id a token or web session names it by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Account {
    /// A customer, by customer id (as web sessions name them).
    Customer(String),
    /// A customer's sign-in identity, by its id (as customer tokens name it;
    /// a registration token has no customer yet).
    CustomerIdentity(String),
    /// An admin user, by id.
    AdminUser(String),
}

/// The account's current generation; `None` when there is no such account.
pub async fn generation(
    db: &impl ConnectionTrait,
    account: &Account,
) -> Result<Option<i32>, DomainError> {
    let found = match account {
        Account::Customer(id) => {
            identity_generation(db, auth_identity::Column::CustomerId.eq(id)).await?
        }
        Account::CustomerIdentity(id) => {
            identity_generation(db, auth_identity::Column::Id.eq(id)).await?
        }
        Account::AdminUser(id) => {
            admin_user::Entity::find()
                .select_only()
                .column(admin_user::Column::SignInGeneration)
                .filter(admin_user::Column::Id.eq(id))
                // A disabled user's sign-ins stand no more than a deleted one's.
                .filter(admin_user::Column::DisabledAt.is_null())
                .into_tuple::<i32>()
                .one(db)
                .await?
        }
    };
    Ok(found)
}

async fn identity_generation(
    db: &impl ConnectionTrait,
    which: impl IntoCondition,
) -> Result<Option<i32>, DbErr> {
    auth_identity::Entity::find()
        .select_only()
        .column(auth_identity::Column::SignInGeneration)
        .filter(which)
        .into_tuple::<i32>()
        .one(db)
        .await
}

/// Ends every sign-in of the account ("sign out everywhere"): each token and
/// web session issued to it so far is refused from now on.
pub async fn end_all(db: &impl Writable, account: &Account) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    move_on(&txn, account).await?;
    txn.commit().await?;
    announce_ended();
    Ok(())
}

/// Moves the account to its next generation, inside the caller's transaction;
/// the caller calls [`announce_ended`] once it has committed.
pub(crate) async fn move_on(
    db: &impl ConnectionTrait,
    account: &Account,
) -> Result<(), DomainError> {
    let updated = match account {
        Account::Customer(id) => {
            next_identity_generation(db, auth_identity::Column::CustomerId.eq(id)).await?
        }
        Account::CustomerIdentity(id) => {
            next_identity_generation(db, auth_identity::Column::Id.eq(id)).await?
        }
        Account::AdminUser(id) => {
            admin_user::Entity::update_many()
                .col_expr(
                    admin_user::Column::SignInGeneration,
                    Expr::col(admin_user::Column::SignInGeneration).add(1),
                )
                .filter(admin_user::Column::Id.eq(id))
                .exec(db)
                .await?
        }
    };
    if updated.rows_affected == 0 {
        return Err(DomainError::not_found("Account", account_id(account)));
    }
    Ok(())
}

async fn next_identity_generation(
    db: &impl ConnectionTrait,
    which: impl IntoCondition,
) -> Result<UpdateResult, DbErr> {
    auth_identity::Entity::update_many()
        .col_expr(
            auth_identity::Column::SignInGeneration,
            Expr::col(auth_identity::Column::SignInGeneration).add(1),
        )
        .filter(which)
        .exec(db)
        .await
}

fn account_id(account: &Account) -> &str {
    match account {
        Account::Customer(id) | Account::CustomerIdentity(id) | Account::AdminUser(id) => id,
    }
}

/// Sign-in ends committed by this process so far.
static ENDED: AtomicU64 = AtomicU64::new(0);

/// How many times this process has ended an account's sign-ins: a cache of
/// generations read before the latest end is out of date. (Other processes'
/// ends are seen when such a cache next reads the database.)
pub fn ends_so_far() -> u64 {
    ENDED.load(Ordering::Acquire)
}

/// Tells this process's caches that an end of sign-ins has been committed.
pub(crate) fn announce_ended() {
    ENDED.fetch_add(1, Ordering::AcqRel);
}
