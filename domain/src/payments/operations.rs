//! Captures, refunds and releases that follow a database change (a machine's
//! sale settled, an order canceled): never asked of the provider inside the
//! change's write transaction, where SQLite's one writer would wait out the
//! provider's round trip (over the internet for Stripe).
//!
//! The change records the operation ([`request_capture`], [`request_refund`],
//! [`request_release`]) with its idempotency key, in its own transaction;
//! after the commit [`run`] asks the provider, outside any transaction, and
//! records the answer in a short one. An operation the provider could not be
//! reached for stays pending and is retried with back-off ([`run_due`], from
//! the server's worker, at start too): with the same key, so a retry after a
//! crash between the provider's answer and our commit gets the provider's
//! first answer, and the money moves once.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DeriveActiveEnum, EntityTrait, EnumIter,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession,
    sea_query::{Expr, StringLen},
};
use serde::{Deserialize, Serialize};

use super::{
    ProviderError, Providers, collection, find_payment, parse, payment, set_collection_status,
};
use crate::{DomainError, events, ids::new_id, orders::order};

/// A capture the provider refused after the sale was on the books (the hold
/// lapsed, the card was blocked): a [`CaptureFailed`]. The shopper is told.
pub const PAYMENT_CAPTURE_FAILED: &str = "payment.capture_failed";

/// What [`PAYMENT_CAPTURE_FAILED`] carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureFailed {
    pub payment_id: String,
    /// The order the money was due for, when there is one.
    pub order_id: Option<String>,
    /// Minor units.
    pub amount: i64,
    pub currency_code: String,
    /// The provider's words.
    pub reason: String,
}

pub mod entity {
    use sea_orm::entity::prelude::*;

    /// A capture, refund or release of a payment, recorded before the
    /// provider is asked.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment_operations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub payment_id: String,
        pub kind: super::Kind,
        /// Minor units; 0 for a release.
        pub amount: i64,
        /// Sent with every attempt: the provider does the operation once.
        #[sea_orm(unique)]
        pub idempotency_key: String,
        pub status: super::Status,
        /// The machine's session whose sale it captures, if one's: a refused
        /// capture puts that session in the review list.
        pub device_session_id: Option<String>,
        pub attempts: i32,
        #[sea_orm(column_type = "Text", nullable)]
        pub last_error: Option<String>,
        pub next_attempt_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub completed_at: Option<DateTimeUtc>,
        /// Why an admin asked for it (a refund's reason), shown with the payment.
        #[sea_orm(column_type = "Text", nullable)]
        pub note: Option<String>,
        /// The admin who asked for it; none for what the store did itself.
        pub admin_user_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use entity::Model as Operation;

/// What an operation asks of the provider; stored as `capture`, `refund`
/// or `release`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Capture,
    Refund,
    /// Gives back a hold never captured.
    Release,
}

/// Stored as `pending`, `done` or `refused`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not answered by the provider yet (or the answer not recorded).
    Pending,
    Done,
    /// The provider said no; nothing is retried.
    Refused,
}

crate::states::display_as_word!(Kind, Status);

/// Who asks the provider first for an operation just recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskedBy {
    /// The payment worker, at once.
    Worker,
    /// The caller, right after its commit ([`run_pending_of`]); the worker
    /// only if it is still pending a while later ([`CALLER_FIRST`]), so the
    /// two do not ask at the same time.
    Caller,
}

/// How long the worker leaves an operation to the caller that recorded it.
pub const CALLER_FIRST: chrono::Duration = chrono::Duration::seconds(5);

/// Records a capture of `amount` of `payment_id`, in the caller's
/// transaction, for the worker; `device_session_id` names the machine's sale
/// it is for.
pub async fn request_capture(
    db: &impl ConnectionTrait,
    payment_id: &str,
    amount: i64,
    device_session_id: Option<&str>,
) -> Result<Operation, DomainError> {
    let payment = find_payment(db, payment_id).await?;
    if payment.canceled_at.is_some() {
        return Err(DomainError::Conflict(
            "a canceled payment cannot be captured".into(),
        ));
    }
    let left = payment.amount - payment.captured_amount;
    if amount <= 0 || amount > left {
        return Err(DomainError::Invalid(format!(
            "can capture between 1 and {left}, not {amount}"
        )));
    }
    // The key the direct capture uses too ([`super::capture`]).
    let key = format!(
        "{}:capture:{}:{amount}",
        payment.id, payment.captured_amount
    );
    record(
        db,
        &payment,
        Kind::Capture,
        amount,
        key,
        device_session_id,
        AskedBy::Worker,
    )
    .await
}

/// Records a refund of `amount` of `payment_id`, in the caller's transaction.
pub async fn request_refund(
    db: &impl ConnectionTrait,
    payment_id: &str,
    amount: i64,
    asked_by: AskedBy,
) -> Result<Operation, DomainError> {
    let payment = find_payment(db, payment_id).await?;
    let refundable = payment.captured_amount - payment.refunded_amount;
    if amount <= 0 || amount > refundable {
        return Err(DomainError::Invalid(format!(
            "can refund between 1 and {refundable}, not {amount}"
        )));
    }
    let key = format!("{}:refund:{}:{amount}", payment.id, payment.refunded_amount);
    record(db, &payment, Kind::Refund, amount, key, None, asked_by).await
}

/// What of `payment` is left to refund once the refunds already asked for
/// (answered or not) are done.
pub async fn refundable(
    db: &impl ConnectionTrait,
    payment: &payment::Model,
) -> Result<i64, DomainError> {
    let pending: i64 = entity::Entity::find()
        .filter(entity::Column::PaymentId.eq(&payment.id))
        .filter(entity::Column::Kind.eq(Kind::Refund))
        .filter(entity::Column::Status.eq(Status::Pending))
        .all(db)
        .await?
        .iter()
        .map(|op| op.amount)
        .sum();
    Ok(payment.captured_amount - payment.refunded_amount - pending)
}

/// Records a refund of `amount` of `payment_id` for the caller's own
/// reason, named by `key` (a deposit payout's id): unlike
/// [`request_refund`], two such refunds of the same amount are two refunds.
pub async fn request_refund_for(
    db: &impl ConnectionTrait,
    payment_id: &str,
    amount: i64,
    key: &str,
) -> Result<Operation, DomainError> {
    let payment = find_payment(db, payment_id).await?;
    let refundable = refundable(db, &payment).await?;
    if amount <= 0 || amount > refundable {
        return Err(DomainError::Invalid(format!(
            "can refund between 1 and {refundable}, not {amount}"
        )));
    }
    let key = format!("{}:refund:{key}", payment.id);
    record(
        db,
        &payment,
        Kind::Refund,
        amount,
        key,
        None,
        AskedBy::Caller,
    )
    .await
}

/// Records the release of `payment_id`'s hold, in the caller's transaction;
/// `None` when it is released already.
pub async fn request_release(
    db: &impl ConnectionTrait,
    payment_id: &str,
    asked_by: AskedBy,
) -> Result<Option<Operation>, DomainError> {
    let payment = find_payment(db, payment_id).await?;
    if payment.canceled_at.is_some() {
        return Ok(None);
    }
    if payment.captured_amount > 0 {
        return Err(DomainError::Conflict(
            "a captured payment is refunded, not canceled".into(),
        ));
    }
    let key = format!("{}:cancel", payment.id);
    record(db, &payment, Kind::Release, 0, key, None, asked_by)
        .await
        .map(Some)
}

/// Inserts the operation, or finds the one recorded with its key already
/// (the same change applied twice asks the provider once).
async fn record(
    db: &impl ConnectionTrait,
    payment: &payment::Model,
    kind: Kind,
    amount: i64,
    idempotency_key: String,
    device_session_id: Option<&str>,
    asked_by: AskedBy,
) -> Result<Operation, DomainError> {
    if let Some(existing) = entity::Entity::find()
        .filter(entity::Column::IdempotencyKey.eq(&idempotency_key))
        .one(db)
        .await?
    {
        return Ok(existing);
    }
    let now = Utc::now();
    Ok(entity::ActiveModel {
        id: Set(new_id("payop")),
        payment_id: Set(payment.id.clone()),
        kind: Set(kind),
        amount: Set(amount),
        idempotency_key: Set(idempotency_key),
        status: Set(Status::Pending),
        device_session_id: Set(device_session_id.map(str::to_owned)),
        attempts: Set(0),
        last_error: Set(None),
        next_attempt_at: Set(match asked_by {
            AskedBy::Worker => now,
            AskedBy::Caller => now + CALLER_FIRST,
        }),
        created_at: Set(now),
        completed_at: Set(None),
        note: Set(None),
        admin_user_id: Set(None),
    }
    .insert(db)
    .await?)
}

/// Keeps in the payment's history a capture or refund asked of the
/// provider directly (an admin's button), once answered: the same table as
/// the operations the worker runs, so the order page shows one history.
/// The same key answered again (the provider repeating its refusal) updates
/// its row.
pub(crate) async fn record_answered(
    db: &impl ConnectionTrait,
    payment: &payment::Model,
    kind: Kind,
    amount: i64,
    idempotency_key: &str,
    refused: Option<&str>,
    by: &super::AskedFor,
) -> Result<Operation, DomainError> {
    let now = Utc::now();
    let to = if refused.is_some() {
        Status::Refused
    } else {
        Status::Done
    };
    if let Some(existing) = entity::Entity::find()
        .filter(entity::Column::IdempotencyKey.eq(idempotency_key))
        .one(db)
        .await?
    {
        let mut active: entity::ActiveModel = existing.into();
        active.status = Set(to);
        active.last_error = Set(refused.map(str::to_owned));
        active.attempts = Set(active.attempts.take().unwrap_or(0) + 1);
        active.completed_at = Set(Some(now));
        return Ok(active.update(db).await?);
    }
    Ok(entity::ActiveModel {
        id: Set(new_id("payop")),
        payment_id: Set(payment.id.clone()),
        kind: Set(kind),
        amount: Set(amount),
        idempotency_key: Set(idempotency_key.to_owned()),
        status: Set(to),
        device_session_id: Set(None),
        attempts: Set(1),
        last_error: Set(refused.map(str::to_owned)),
        next_attempt_at: Set(now),
        created_at: Set(now),
        completed_at: Set(Some(now)),
        note: Set(by.note.clone()),
        admin_user_id: Set(by.admin_user_id.clone()),
    }
    .insert(db)
    .await?)
}

/// The operations of these payments, oldest first, by payment.
pub async fn of_payments(
    db: &impl ConnectionTrait,
    payment_ids: &[String],
) -> Result<std::collections::HashMap<String, Vec<Operation>>, DomainError> {
    let mut by_payment: std::collections::HashMap<String, Vec<Operation>> =
        std::collections::HashMap::new();
    if payment_ids.is_empty() {
        return Ok(by_payment);
    }
    for operation in entity::Entity::find()
        .filter(entity::Column::PaymentId.is_in(payment_ids.iter().cloned()))
        .order_by_asc(entity::Column::CreatedAt)
        .order_by_asc(entity::Column::Id)
        .all(db)
        .await?
    {
        by_payment
            .entry(operation.payment_id.clone())
            .or_default()
            .push(operation);
    }
    Ok(by_payment)
}

/// Whether `payment_id` has an operation the provider has not answered yet:
/// a capture or refund asked directly meanwhile could collide with it.
pub async fn has_pending(db: &impl ConnectionTrait, payment_id: &str) -> Result<bool, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::PaymentId.eq(payment_id))
        .filter(entity::Column::Status.eq(Status::Pending))
        .one(db)
        .await?
        .is_some())
}

/// The operations of a payment, oldest first.
pub async fn of_payment(
    db: &impl ConnectionTrait,
    payment_id: &str,
) -> Result<Vec<Operation>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::PaymentId.eq(payment_id))
        .order_by_asc(entity::Column::CreatedAt)
        .order_by_asc(entity::Column::Id)
        .all(db)
        .await?)
}

/// Runs the pending operations whose next attempt is due, oldest first, up
/// to `limit`; how many were answered (done or refused).
pub async fn run_due<C: crate::db::Writable>(
    db: &C,
    providers: &Providers,
    limit: u64,
) -> Result<usize, DomainError> {
    let due = entity::Entity::find()
        .filter(entity::Column::Status.eq(Status::Pending))
        .filter(entity::Column::NextAttemptAt.lte(Utc::now()))
        .order_by_asc(entity::Column::CreatedAt)
        .order_by_asc(entity::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut answered = 0;
    for operation in due {
        match run(db, providers, &operation.id).await {
            Ok(Status::Pending) => {}
            Ok(_) => answered += 1,
            Err(e) => {
                tracing::warn!(operation = %operation.id, error = %e, "payment operation failed")
            }
        }
    }
    Ok(answered)
}

/// Runs the pending operations of these payments now (after the change that
/// recorded them committed); what the provider could not be asked for is
/// left to the worker's retries.
pub async fn run_pending_of<C: crate::db::Writable>(
    db: &C,
    providers: &Providers,
    payment_ids: &[String],
) -> Result<(), DomainError> {
    let pending = entity::Entity::find()
        .filter(entity::Column::PaymentId.is_in(payment_ids.iter().cloned()))
        .filter(entity::Column::Status.eq(Status::Pending))
        .order_by_asc(entity::Column::CreatedAt)
        .order_by_asc(entity::Column::Id)
        .all(db)
        .await?;
    for operation in pending {
        run(db, providers, &operation.id).await?;
    }
    Ok(())
}

/// Asks the provider for `operation_id` (unless answered already) and
/// records the answer; its status afterwards.
pub async fn run<C: crate::db::Writable>(
    db: &C,
    providers: &Providers,
    operation_id: &str,
) -> Result<Status, DomainError> {
    let operation = entity::Entity::find_by_id(operation_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Payment operation", operation_id))?;
    if operation.status != Status::Pending {
        return Ok(operation.status);
    }
    // One payment's operations go in order (a refund after its capture).
    let earlier = entity::Entity::find()
        .filter(entity::Column::PaymentId.eq(&operation.payment_id))
        .filter(entity::Column::Status.eq(Status::Pending))
        .filter(entity::Column::CreatedAt.lt(operation.created_at))
        .one(db)
        .await?;
    if earlier.is_some() {
        return Ok(Status::Pending);
    }
    let kind = operation.kind;
    let payment = find_payment(db, &operation.payment_id).await?;
    let provider = match providers.get(&payment.provider_id) {
        Ok(provider) => provider,
        // Not configured (any more): asked again later, not every round.
        Err(e) => return retry_later(db, &operation, kind, e.to_string()).await,
    };
    let data = parse(&payment.data);
    let key = &operation.idempotency_key;
    let answer = match kind {
        Kind::Capture => provider.capture(&data, operation.amount, key).await,
        Kind::Refund => provider.refund(&data, operation.amount, key).await,
        Kind::Release => provider.cancel(&data, key).await,
    };
    match answer {
        Ok(data) => record_done(db, &operation, kind, &payment, &data).await,
        Err(ProviderError::Declined(reason)) => {
            record_refused(db, &operation, kind, &payment, &reason).await
        }
        Err(ProviderError::Unavailable(reason)) => retry_later(db, &operation, kind, reason).await,
    }
}

/// After this many attempts the provider could not be reached for (about
/// half an hour of back-off), an operation raises an alert: it is still
/// retried, but someone should look at the provider's settings or status.
pub const STUCK_AFTER_ATTEMPTS: i32 = 15;

/// Leaves `operation` pending, to be asked again after a back-off; the
/// attempt that makes it [`STUCK_AFTER_ATTEMPTS`] raises the alert, once.
async fn retry_later<C: crate::db::Writable>(
    db: &C,
    operation: &Operation,
    kind: Kind,
    reason: String,
) -> Result<Status, DomainError> {
    let attempts = operation.attempts + 1;
    tracing::warn!(operation = %operation.id, %kind, attempts, reason, "payment provider unavailable; retried later");
    let txn = crate::db::begin_write(db).await?;
    let counted = entity::Entity::update_many()
        .col_expr(entity::Column::Attempts, Expr::value(attempts))
        .col_expr(entity::Column::LastError, Expr::value(Some(reason.clone())))
        .col_expr(
            entity::Column::NextAttemptAt,
            Expr::value(Utc::now() + backoff(attempts)),
        )
        .filter(entity::Column::Id.eq(&operation.id))
        .filter(entity::Column::Status.eq(Status::Pending))
        // Another worker's count of the same attempt does not count twice.
        .filter(entity::Column::Attempts.eq(operation.attempts))
        .exec(&txn)
        .await?;
    if counted.rows_affected == 1 && attempts == STUCK_AFTER_ATTEMPTS {
        raise_stuck(&txn, operation, kind, &reason).await?;
    }
    txn.commit().await?;
    Ok(Status::Pending)
}

/// The alert of an operation the provider has not answered for long: about
/// the machine whose sale it is, else the order, else the store.
async fn raise_stuck<C: crate::db::Writable>(
    db: &C,
    operation: &Operation,
    kind: Kind,
    reason: &str,
) -> Result<(), DomainError> {
    use crate::alerts::{self, Kind::PaymentOperationStuck};
    let payment = find_payment(db, &operation.payment_id).await?;
    let message = format!(
        "the {kind} of {} {} (payment {}, operation {}) has not reached {} in {} attempts; \
         last error: {reason}. It is still retried: check the provider's settings and status.",
        operation.amount,
        payment.currency_code,
        payment.id,
        operation.id,
        payment.provider_id,
        STUCK_AFTER_ATTEMPTS,
    );
    if let Some(session_id) = &operation.device_session_id {
        let session = crate::vending::sessions::find(db, session_id).await?;
        alerts::raise(db, PaymentOperationStuck, &session.device_id, &message).await?;
        return Ok(());
    }
    let order_id = order::Entity::find()
        .filter(order::Column::PaymentCollectionId.eq(&payment.payment_collection_id))
        .one(db)
        .await?
        .map(|o| o.id);
    match order_id {
        Some(order_id) => {
            alerts::raise_for_order(db, PaymentOperationStuck, &order_id, &message).await?;
        }
        None => {
            alerts::raise_for_store(db, PaymentOperationStuck, &message).await?;
        }
    }
    Ok(())
}

/// Marks `operation` answered in `txn`; false when another worker did first.
async fn conclude(
    txn: &impl ConnectionTrait,
    operation: &Operation,
    to: Status,
    error: Option<&str>,
) -> Result<bool, DomainError> {
    let concluded = entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value(to))
        .col_expr(
            entity::Column::CompletedAt,
            Expr::value(Some(Utc::now()) as Option<DateTime<Utc>>),
        )
        .col_expr(
            entity::Column::LastError,
            Expr::value(error.map(str::to_owned)),
        )
        .filter(entity::Column::Id.eq(&operation.id))
        .filter(entity::Column::Status.eq(Status::Pending))
        .exec(txn)
        .await?;
    Ok(concluded.rows_affected == 1)
}

async fn record_done<C: crate::db::Writable>(
    db: &C,
    operation: &Operation,
    kind: Kind,
    payment: &payment::Model,
    data: &serde_json::Value,
) -> Result<Status, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    if !conclude(&txn, operation, Status::Done, None).await? {
        return Ok(Status::Done);
    }
    let now = Utc::now();
    // Amounts as absolute values never lowered: the provider's webhook of
    // the same capture or refund may have been recorded first.
    match kind {
        Kind::Capture => {
            let captured = payment.captured_amount + operation.amount;
            let updated = payment::Entity::update_many()
                .col_expr(payment::Column::CapturedAmount, Expr::value(captured))
                .col_expr(payment::Column::Data, Expr::value(data.to_string()))
                .col_expr(payment::Column::UpdatedAt, Expr::value(now))
                .filter(payment::Column::Id.eq(&payment.id))
                .filter(payment::Column::CapturedAmount.lt(captured))
                .exec(&txn)
                .await?;
            if updated.rows_affected > 0 {
                let to = if captured >= payment.amount {
                    collection::Status::Completed
                } else {
                    collection::Status::PartiallyCaptured
                };
                set_collection_status(&txn, &payment.payment_collection_id, to).await?;
            }
        }
        Kind::Refund => {
            let refunded = payment.refunded_amount + operation.amount;
            payment::Entity::update_many()
                .col_expr(payment::Column::RefundedAmount, Expr::value(refunded))
                .col_expr(payment::Column::Data, Expr::value(data.to_string()))
                .col_expr(payment::Column::UpdatedAt, Expr::value(now))
                .filter(payment::Column::Id.eq(&payment.id))
                .filter(payment::Column::RefundedAmount.lt(refunded))
                .exec(&txn)
                .await?;
        }
        Kind::Release => super::mark_canceled(&txn, payment, data).await?,
    }
    txn.commit().await?;
    Ok(Status::Done)
}

async fn record_refused<C: crate::db::Writable>(
    db: &C,
    operation: &Operation,
    kind: Kind,
    payment: &payment::Model,
    reason: &str,
) -> Result<Status, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    if !conclude(&txn, operation, Status::Refused, Some(reason)).await? {
        // Another worker recorded its answer first.
        return Ok(Status::Refused);
    }
    tracing::error!(operation = %operation.id, payment = %payment.id, %kind, reason, "the payment provider refused");
    if kind == Kind::Capture {
        let review = format!("the payment could not be captured: declined: {reason}");
        if let Some(session_id) = &operation.device_session_id {
            crate::vending::settlement::capture_refused(
                &txn,
                session_id,
                operation.amount,
                &review,
            )
            .await?;
        }
        let order_id = order::Entity::find()
            .filter(order::Column::PaymentCollectionId.eq(&payment.payment_collection_id))
            .one(&txn)
            .await?
            .map(|o| o.id);
        super::reviews::open(
            &txn,
            super::reviews::Opening {
                reason: super::reviews::Reason::CaptureFailed,
                payment,
                operation_id: Some(&operation.id),
                device_session_id: operation.device_session_id.as_deref(),
                order_id: order_id.as_deref(),
                amount: operation.amount,
                detail: &review,
            },
        )
        .await?;
        events::emit(
            &txn,
            PAYMENT_CAPTURE_FAILED,
            &CaptureFailed {
                payment_id: payment.id.clone(),
                order_id,
                amount: operation.amount,
                currency_code: payment.currency_code.clone(),
                reason: reason.to_owned(),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Status::Refused)
}

/// 1 s, 2 s, 4 s … capped at 5 minutes.
fn backoff(attempts: i32) -> chrono::Duration {
    let seconds = 1i64 << attempts.clamp(1, 20).saturating_sub(1);
    chrono::Duration::seconds(seconds.min(300))
}

#[cfg(test)]
mod tests {
    use super::{Kind, Status};
    use crate::states::assert_words;

    #[test]
    fn kinds_and_statuses_keep_their_stored_words() {
        assert_words::<Kind>(&["capture", "refund", "release"]);
        assert_words::<Status>(&["pending", "done", "refused"]);
    }
}
