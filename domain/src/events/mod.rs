//! Domain events through a transactional outbox.
//!
//! A change and the events it causes are written in the same database
//! transaction ([`emit`]), so an event exists exactly when its change was
//! committed. A [`Dispatcher`] later hands each event to every subscriber
//! interested in it: at least once (a crash between handling and recording
//! means a second delivery), and never twice at the same time, even with
//! several server instances polling the same table. Subscribers make a
//! repeated delivery harmless (idempotent handling); the dispatcher also
//! records each completed (event, subscriber) pair so a retry only reaches the
//! subscribers that have not succeeded yet.

mod delivery;
pub mod outbox_event;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use serde::Serialize;

use crate::{DomainError, ids::new_id};

pub use outbox_event::Model as Event;

/// How long a claimed event stays reserved for its dispatcher; after that a
/// crashed dispatcher's events are claimed again.
pub const CLAIM_TTL: Duration = Duration::from_secs(60);
/// Attempts after which an event stops being retried (kept, marked failed).
pub const MAX_ATTEMPTS: i32 = 10;

/// Records `name` with `payload` in the outbox, inside the caller's transaction.
pub async fn emit(
    db: &impl ConnectionTrait,
    name: &str,
    payload: &impl Serialize,
) -> Result<String, DomainError> {
    emit_after(db, name, payload, chrono::Duration::zero()).await
}

/// Like [`emit`], but not delivered before `delay` has passed (a debounce:
/// the subscriber sees whether something newer happened meanwhile).
pub async fn emit_after(
    db: &impl ConnectionTrait,
    name: &str,
    payload: &impl Serialize,
    delay: chrono::Duration,
) -> Result<String, DomainError> {
    let payload = serde_json::to_string(payload)
        .map_err(|e| DomainError::Invalid(format!("event payload: {e}")))?;
    let now = Utc::now();
    let id = new_id("evt");
    outbox_event::ActiveModel {
        id: Set(id.clone()),
        name: Set(name.to_owned()),
        payload: Set(payload),
        created_at: Set(now),
        available_at: Set(now + delay),
        attempts: Set(0),
        claimed_by: Set(None),
        claimed_until: Set(None),
        processed_at: Set(None),
        failed_at: Set(None),
        last_error: Set(None),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// Something that reacts to events.
#[async_trait]
pub trait Subscriber: Send + Sync {
    /// Stable name, recorded with each completed delivery.
    fn name(&self) -> &'static str;
    fn wants(&self, event_name: &str) -> bool;
    async fn handle(&self, event: &Event) -> Result<(), String>;
}

pub struct Dispatcher {
    db: DatabaseConnection,
    /// Identifies this dispatcher in claims (one per server instance).
    worker: String,
    subscribers: Vec<Arc<dyn Subscriber>>,
}

impl Dispatcher {
    pub fn new(db: DatabaseConnection, subscribers: Vec<Arc<dyn Subscriber>>) -> Self {
        Self {
            db,
            worker: new_id("worker"),
            subscribers,
        }
    }

    /// Delivers what is due, up to `batch` events; returns how many were completed.
    pub async fn run_once(&self, batch: u64) -> Result<usize, DomainError> {
        let now = Utc::now();
        let due: Vec<String> = outbox_event::Entity::find()
            .select_only()
            .column(outbox_event::Column::Id)
            .filter(outbox_event::Column::ProcessedAt.is_null())
            .filter(outbox_event::Column::FailedAt.is_null())
            .filter(outbox_event::Column::AvailableAt.lte(now))
            .filter(
                sea_orm::Condition::any()
                    .add(outbox_event::Column::ClaimedUntil.is_null())
                    .add(outbox_event::Column::ClaimedUntil.lt(now)),
            )
            .order_by_asc(outbox_event::Column::CreatedAt)
            .limit(batch)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut completed = 0;
        for id in due {
            if let Some(event) = self.claim(&id, now).await?
                && self.deliver(&event).await?
            {
                completed += 1;
            }
        }
        Ok(completed)
    }

    /// Polls until the process ends.
    pub async fn run(self, every: Duration) {
        loop {
            match self.run_once(100).await {
                Ok(0) => tokio::time::sleep(every).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "event dispatch failed");
                    tokio::time::sleep(every).await;
                }
            }
        }
    }

    /// Takes the event for this dispatcher unless another one holds it. One
    /// conditional UPDATE, so two instances can never both win.
    async fn claim(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Event>, DomainError> {
        let until = now + CLAIM_TTL;
        let claimed = outbox_event::Entity::update_many()
            .col_expr(
                outbox_event::Column::ClaimedBy,
                Expr::value(self.worker.clone()),
            )
            .col_expr(outbox_event::Column::ClaimedUntil, Expr::value(until))
            .filter(outbox_event::Column::Id.eq(id))
            .filter(outbox_event::Column::ProcessedAt.is_null())
            .filter(
                sea_orm::Condition::any()
                    .add(outbox_event::Column::ClaimedUntil.is_null())
                    .add(outbox_event::Column::ClaimedUntil.lt(now)),
            )
            .exec(&self.db)
            .await?;
        if claimed.rows_affected != 1 {
            return Ok(None);
        }
        Ok(outbox_event::Entity::find_by_id(id).one(&self.db).await?)
    }

    /// Hands the event to each interested subscriber that has not had it yet.
    /// Returns whether the event is now complete.
    async fn deliver(&self, event: &Event) -> Result<bool, DomainError> {
        let done: Vec<String> = delivery::Entity::find()
            .select_only()
            .column(delivery::Column::Subscriber)
            .filter(delivery::Column::EventId.eq(&event.id))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut failures = Vec::new();
        for subscriber in self.subscribers.iter().filter(|s| s.wants(&event.name)) {
            if done.iter().any(|d| d == subscriber.name()) {
                continue;
            }
            match subscriber.handle(event).await {
                Ok(()) => {
                    delivery::ActiveModel {
                        event_id: Set(event.id.clone()),
                        subscriber: Set(subscriber.name().to_owned()),
                        delivered_at: Set(Utc::now()),
                    }
                    .insert(&self.db)
                    .await?;
                }
                Err(e) => failures.push(format!("{}: {e}", subscriber.name())),
            }
        }
        let now = Utc::now();
        let mut update = outbox_event::Entity::update_many()
            .col_expr(
                outbox_event::Column::ClaimedBy,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                outbox_event::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(outbox_event::Column::Id.eq(&event.id))
            .filter(outbox_event::Column::ClaimedBy.eq(&self.worker));
        if failures.is_empty() {
            update = update.col_expr(outbox_event::Column::ProcessedAt, Expr::value(now));
        } else {
            let attempts = event.attempts + 1;
            tracing::warn!(event = %event.id, name = %event.name, attempts, errors = ?failures, "event delivery failed");
            update = update
                .col_expr(outbox_event::Column::Attempts, Expr::value(attempts))
                .col_expr(
                    outbox_event::Column::AvailableAt,
                    Expr::value(now + backoff(attempts)),
                )
                .col_expr(
                    outbox_event::Column::LastError,
                    Expr::value(failures.join("; ")),
                );
            if attempts >= MAX_ATTEMPTS {
                update = update.col_expr(outbox_event::Column::FailedAt, Expr::value(now));
            }
        }
        update.exec(&self.db).await?;
        Ok(failures.is_empty())
    }
}

/// 1 s, 2 s, 4 s … capped at 5 minutes.
fn backoff(attempts: i32) -> chrono::Duration {
    let seconds = 1i64 << attempts.clamp(0, 20).saturating_sub(1);
    chrono::Duration::seconds(seconds.min(300))
}

/// Events not yet completed, oldest first (operators' view, tests).
pub async fn pending(db: &impl ConnectionTrait) -> Result<Vec<Event>, DomainError> {
    Ok(outbox_event::Entity::find()
        .filter(outbox_event::Column::ProcessedAt.is_null())
        .order_by_asc(outbox_event::Column::CreatedAt)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1).num_seconds(), 1);
        assert_eq!(backoff(2).num_seconds(), 2);
        assert_eq!(backoff(4).num_seconds(), 8);
        assert_eq!(backoff(30).num_seconds(), 300);
    }
}
