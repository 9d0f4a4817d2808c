//! Alerts: conditions of a device an admin must hear about (offline, a door
//! open too long, a planogram it failed to apply, a session it reports that
//! the server does not know), of an order (its payment disputed), and of
//! money a payment provider has not moved for a long time.
//!
//! An alert is raised where its condition is detected, in one transaction
//! with an [`ALERT_RAISED`] outbox event, which the notification channels
//! deliver. A device or an order has at most one open alert of a kind (a
//! unique partial index each), so a condition seen again and again, or by
//! two servers at once, raises one alert until it is resolved.

pub mod alert;

use std::{collections::HashSet, str::FromStr};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DeriveActiveEnum, EntityTrait, EnumIter, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession, TryInsertResult,
    sea_query::{Expr, OnConflict, StringLen},
};
use serde::{Deserialize, Serialize};

use crate::{
    DomainError, events,
    ids::new_id,
    paging::{Page, page_of},
};

/// The outbox event of a new alert; its payload is a [`Raised`].
pub const ALERT_RAISED: &str = "alert.raised";

/// Stored (and shown) in snake case: `device_offline`, `door_open_too_long`…
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
    /// Resolved when the device is heard from again.
    DeviceOffline,
    /// Resolved when the device reports a door closed.
    DoorOpenTooLong,
    /// Resolved when the device applies a planogram.
    SyncFailed,
    /// Nothing ends it but an admin: acknowledging resolves it.
    UnknownSession,
    /// The device sent a message out of bounds (too large, a value out of
    /// range, a `seq` far ahead), which was refused. Acknowledging resolves it.
    RejectedMessage,
    /// A purchase at the device could not be captured at settlement (the
    /// hold lapsed, the card was declined): the session waits in the review
    /// list. Acknowledging resolves it.
    PaymentCaptureFailed,
    /// A shopper disputed a charge of a purchase at the device, or of an
    /// online order (an alert about the order). Acknowledging resolves it.
    PaymentDisputed,
    /// A capture, refund or release the payment provider could not be
    /// reached for through [`crate::payments::operations::STUCK_AFTER_ATTEMPTS`]
    /// attempts: money due or owed is not moving. It is still retried;
    /// acknowledging resolves the alert.
    PaymentOperationStuck,
    /// A product at or below its machine's low-stock threshold. Resolved
    /// when the machine is restocked above every threshold.
    LowStock,
}

impl Kind {
    /// Whether the condition has no "back to normal" a device could report.
    fn resolved_by_acknowledging(self) -> bool {
        matches!(
            self,
            Kind::UnknownSession
                | Kind::RejectedMessage
                | Kind::PaymentCaptureFailed
                | Kind::PaymentDisputed
                | Kind::PaymentOperationStuck
        )
    }
}

crate::states::display_as_word!(Kind);

/// What [`ALERT_RAISED`] carries: all a notification says, so channels need
/// not read the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Raised {
    pub id: String,
    pub kind: Kind,
    /// `None` for an alert about an order.
    pub device_id: Option<String>,
    #[serde(default)]
    pub order_id: Option<String>,
    pub message: String,
    pub raised_at: DateTime<Utc>,
}

impl Raised {
    /// What it is about, as an admin reads it: `device vm-1`, `order order_…`.
    pub fn about(&self) -> String {
        about(self.device_id.as_deref(), self.order_id.as_deref())
    }
}

fn about(device_id: Option<&str>, order_id: Option<&str>) -> String {
    match (device_id, order_id) {
        (Some(device), _) => format!("device {device}"),
        (None, Some(order)) => format!("order {order}"),
        (None, None) => "the store".to_owned(),
    }
}

/// Raises an alert about a device with its outbox event, unless the device
/// has an open alert of that kind already (then `None`). Runs in its own
/// transaction, nested in the caller's when given one.
pub async fn raise<C: crate::db::Writable>(
    db: &C,
    kind: Kind,
    device_id: &str,
    message: &str,
) -> Result<Option<alert::Model>, DomainError> {
    insert(db, kind, Some(device_id), None, message).await
}

/// [`raise`] for an alert about an order (no device involved): one open
/// per order and kind.
pub async fn raise_for_order<C: crate::db::Writable>(
    db: &C,
    kind: Kind,
    order_id: &str,
    message: &str,
) -> Result<Option<alert::Model>, DomainError> {
    insert(db, kind, None, Some(order_id), message).await
}

/// An alert about the store as a whole (neither a device nor an order):
/// every call raises one, so callers raise it once per condition.
pub async fn raise_for_store<C: crate::db::Writable>(
    db: &C,
    kind: Kind,
    message: &str,
) -> Result<alert::Model, DomainError> {
    insert(db, kind, None, None, message)
        .await?
        .ok_or_else(|| DomainError::Conflict("the alert was not raised".into()))
}

async fn insert<C: crate::db::Writable>(
    db: &C,
    kind: Kind,
    device_id: Option<&str>,
    order_id: Option<&str>,
    message: &str,
) -> Result<Option<alert::Model>, DomainError> {
    let alert = alert::Model {
        id: new_id("alert"),
        kind,
        device_id: device_id.map(str::to_owned),
        order_id: order_id.map(str::to_owned),
        message: message.to_owned(),
        raised_at: Utc::now(),
        resolved_at: None,
        acknowledged_at: None,
        acknowledged_by: None,
    };
    let txn = crate::db::begin_write(db).await?;
    // No conflict target: the only constraint a fresh id can meet is the
    // partial index of open alerts, and naming a partial index as target
    // fails on an SQLite connection that has not seen it yet.
    let inserted = alert::Entity::insert(alert.clone().into_active_model())
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .try_insert()
        .exec_without_returning(&txn)
        .await?;
    if !matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(None);
    }
    events::emit(
        &txn,
        ALERT_RAISED,
        &Raised {
            id: alert.id.clone(),
            kind,
            device_id: alert.device_id.clone(),
            order_id: alert.order_id.clone(),
            message: alert.message.clone(),
            raised_at: alert.raised_at,
        },
    )
    .await?;
    txn.commit().await?;
    tracing::warn!(alert = %alert.id, %kind, about = alert.about(), message, "alert raised");
    Ok(Some(alert))
}

/// Resolves the device's open alert of `kind`, if it has one; whether it had.
pub async fn resolve(
    db: &impl ConnectionTrait,
    device_id: &str,
    kind: Kind,
) -> Result<bool, DomainError> {
    let resolved = alert::Entity::update_many()
        .col_expr(alert::Column::ResolvedAt, Expr::value(Utc::now()))
        .filter(alert::Column::DeviceId.eq(device_id))
        .filter(alert::Column::Kind.eq(kind))
        .filter(alert::Column::ResolvedAt.is_null())
        .exec(db)
        .await?;
    if resolved.rows_affected > 0 {
        tracing::info!(device_id, %kind, "alert resolved");
    }
    Ok(resolved.rows_affected > 0)
}

/// The devices with an open alert of `kind`.
pub async fn devices_with_open(
    db: &impl ConnectionTrait,
    kind: Kind,
) -> Result<HashSet<String>, DomainError> {
    let devices: Vec<Option<String>> = alert::Entity::find()
        .select_only()
        .column(alert::Column::DeviceId)
        .filter(alert::Column::Kind.eq(kind))
        .filter(alert::Column::ResolvedAt.is_null())
        .filter(alert::Column::DeviceId.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(devices.into_iter().flatten().collect())
}

/// Which alerts to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Status {
    #[default]
    All,
    Open,
    Resolved,
}

impl FromStr for Status {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" => Ok(Status::All),
            "open" => Ok(Status::Open),
            "resolved" => Ok(Status::Resolved),
            other => Err(DomainError::Invalid(format!(
                "status must be open, resolved or all, not {other:?}"
            ))),
        }
    }
}

/// Alerts, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    status: Status,
    offset: u64,
    limit: u64,
) -> Result<Page<alert::Model>, DomainError> {
    let mut select = alert::Entity::find();
    select = match status {
        Status::All => select,
        Status::Open => select.filter(alert::Column::ResolvedAt.is_null()),
        Status::Resolved => select.filter(alert::Column::ResolvedAt.is_not_null()),
    };
    let select = select
        .order_by_desc(alert::Column::RaisedAt)
        .order_by_desc(alert::Column::Id);
    page_of(db, select, offset, limit).await
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<alert::Model, DomainError> {
    alert::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Alert", id))
}

/// Records that an admin has seen the alert (the first acknowledgement
/// stands). An alert no device can resolve is resolved by it.
pub async fn acknowledge(
    db: &impl crate::db::Writable,
    id: &str,
    admin_user_id: &str,
) -> Result<alert::Model, DomainError> {
    let alert = find(db, id).await?;
    if alert.acknowledged_at.is_some() {
        return Ok(alert);
    }
    let now = Utc::now();
    let kind = alert.kind;
    let mut update = alert::ActiveModel {
        acknowledged_at: Set(Some(now)),
        acknowledged_by: Set(Some(admin_user_id.to_owned())),
        ..Default::default()
    };
    if kind.resolved_by_acknowledging() && alert.resolved_at.is_none() {
        update.resolved_at = Set(Some(now));
    }
    let turn = crate::db::write_turn(db).await?;
    alert::Entity::update_many()
        .set(update)
        .filter(alert::Column::Id.eq(id))
        .filter(alert::Column::AcknowledgedAt.is_null())
        .exec(db)
        .await?;
    drop(turn);
    find(db, id).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn kinds_keep_their_stored_words() {
        crate::states::assert_words::<super::Kind>(&[
            "device_offline",
            "door_open_too_long",
            "sync_failed",
            "unknown_session",
            "rejected_message",
            "payment_capture_failed",
            "payment_disputed",
            "payment_operation_stuck",
            "low_stock",
        ]);
    }
}
