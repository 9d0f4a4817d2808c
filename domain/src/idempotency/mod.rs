//! Idempotency keys: a client that sends a request again with the same key
//! (after a timeout, a dropped connection, a crash on either side) gets the
//! first request's answer again instead of a second effect. Keys live in the
//! database, so the answer survives a restart and is shared by every server
//! instance. A key reused for a different request is refused.
//!
//! Keys belong to whoever used them ([`KeyOwner`]): the same key from another
//! storefront or customer is another key, so nobody gets someone else's
//! answer, nor learns what they used a key for.

pub mod record;

use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TryInsertResult,
    sea_query::Expr,
};

use crate::DomainError;

/// How long the first request may own its key; after that it is taken to
/// have died and a repeat runs the request again.
const CLAIM_TTL: Duration = Duration::from_secs(60);
/// How long a repeat waits for the first request's answer.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(15);
/// How long an answer is kept for repeats, as Stripe keeps its keys; a key
/// sent again later runs its request again.
pub const KEPT_FOR: chrono::TimeDelta = chrono::TimeDelta::days(1);
/// Longer keys are refused (Stripe's limit).
pub const MAX_KEY_LEN: usize = 255;

/// Who sent a key: a signed-in customer, else the storefront (by its
/// publishable key's id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOwner {
    Customer(String),
    PublishableKey(String),
}

/// The keys of one operation (e.g. completing carts) of one owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyScope {
    pub operation: &'static str,
    pub owner: KeyOwner,
}

impl KeyScope {
    pub fn new(operation: &'static str, owner: KeyOwner) -> Self {
        Self { operation, owner }
    }

    /// The `scope` column: the operation, then the owner.
    fn column(&self) -> String {
        let operation = self.operation;
        match &self.owner {
            KeyOwner::Customer(id) => format!("{operation} customer {id}"),
            KeyOwner::PublishableKey(id) => format!("{operation} publishable_key {id}"),
        }
    }
}

/// A finished request's answer, kept for its repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

#[derive(Debug)]
pub enum Begun {
    /// The caller runs the request, then [`finish`]es or [`release`]s the key.
    First,
    /// The key was used for this request before: answer the same.
    Repeat(StoredResponse),
}

/// A short fixed-size stand-in for a request's content (SHA-256, hex), for
/// fingerprints of requests with bodies.
pub fn digest(request: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, request.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Claims `key` for the request described by `fingerprint`, or returns the
/// answer it already got. A repeat arriving while the first request runs
/// waits for its answer.
pub async fn begin(
    db: &DatabaseConnection,
    scope: &KeyScope,
    key: &str,
    fingerprint: &str,
) -> Result<Begun, DomainError> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(DomainError::Invalid(format!(
            "Idempotency-Key must have 1 to {MAX_KEY_LEN} characters"
        )));
    }
    let scope = &scope.column();
    let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
    loop {
        let now = Utc::now();
        let inserted = record::Entity::insert(record::ActiveModel {
            scope: Set(scope.to_owned()),
            key: Set(key.to_owned()),
            fingerprint: Set(fingerprint.to_owned()),
            status_code: Set(None),
            response_body: Set(None),
            claimed_until: Set(now + CLAIM_TTL),
            created_at: Set(now),
        })
        .on_conflict_do_nothing_on([record::Column::Scope, record::Column::Key])
        .exec_without_returning(db)
        .await?;
        if matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
            return Ok(Begun::First);
        }
        let Some(existing) = record::Entity::find_by_id((scope.to_owned(), key.to_owned()))
            .one(db)
            .await?
        else {
            // Released between our insert and this read: try again.
            continue;
        };
        // What the key was first used for stays unsaid: the answer is the
        // same whoever asks.
        if existing.fingerprint != fingerprint {
            return Err(DomainError::Conflict(format!(
                "Idempotency-Key {key} was already used for another request; send a new key for this one"
            )));
        }
        if let (Some(status), Some(body)) = (existing.status_code, existing.response_body) {
            return Ok(Begun::Repeat(StoredResponse {
                status: u16::try_from(status).unwrap_or(500),
                body,
            }));
        }
        if existing.claimed_until < now && take_over(db, scope, key).await? {
            return Ok(Begun::First);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(DomainError::Conflict(format!(
                "a request with Idempotency-Key {key} is still in progress; try again"
            )));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Claims an unanswered key whose first request died. One conditional
/// UPDATE, so one repeat wins.
async fn take_over(db: &DatabaseConnection, scope: &str, key: &str) -> Result<bool, DomainError> {
    let now = Utc::now();
    let taken = record::Entity::update_many()
        .col_expr(record::Column::ClaimedUntil, Expr::value(now + CLAIM_TTL))
        .filter(record::Column::Scope.eq(scope))
        .filter(record::Column::Key.eq(key))
        .filter(record::Column::StatusCode.is_null())
        .filter(record::Column::ClaimedUntil.lt(now))
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Keeps the first request's answer for the repeats.
pub async fn finish(
    db: &DatabaseConnection,
    scope: &KeyScope,
    key: &str,
    answer: &StoredResponse,
) -> Result<(), DomainError> {
    record::Entity::update_many()
        .col_expr(
            record::Column::StatusCode,
            Expr::value(i32::from(answer.status)),
        )
        .col_expr(
            record::Column::ResponseBody,
            Expr::value(answer.body.clone()),
        )
        .filter(record::Column::Scope.eq(scope.column()))
        .filter(record::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Frees a key whose request ended without an answer worth repeating (a
/// server error, a conflict with another request), so a repeat runs it again.
pub async fn release(
    db: &DatabaseConnection,
    scope: &KeyScope,
    key: &str,
) -> Result<(), DomainError> {
    record::Entity::delete_many()
        .filter(record::Column::Scope.eq(scope.column()))
        .filter(record::Column::Key.eq(key))
        .filter(record::Column::StatusCode.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets the keys first used more than [`KEPT_FOR`] before `now`; answers
/// how many.
pub async fn forget_expired(
    db: &DatabaseConnection,
    now: chrono::DateTime<Utc>,
) -> Result<u64, DomainError> {
    let forgotten = record::Entity::delete_many()
        .filter(record::Column::CreatedAt.lt(now - KEPT_FOR))
        .exec(db)
        .await?;
    Ok(forgotten.rows_affected)
}
