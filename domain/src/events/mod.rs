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

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

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

    /// Handles several events, oldest first: one result per event, in
    /// order. Override where one piece of work serves many events (one
    /// index commit for a batch of product changes).
    async fn handle_batch(&self, events: &[&Event]) -> Vec<Result<(), String>> {
        let mut results = Vec::with_capacity(events.len());
        for event in events {
            results.push(self.handle(event).await);
        }
        results
    }
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
    ///
    /// The subscribers work through the batch side by side, each in event
    /// order: a slow one (a search index commit, a mail server) holds back
    /// only its own deliveries, not the other subscribers' later events.
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
        let mut claimed = Vec::with_capacity(due.len());
        for id in due {
            if let Some(event) = self.claim(&id, now).await? {
                claimed.push(event);
            }
        }
        if claimed.is_empty() {
            return Ok(0);
        }
        let done: HashSet<(String, String)> = delivery::Entity::find()
            .filter(delivery::Column::EventId.is_in(claimed.iter().map(|e| e.id.clone())))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| (d.event_id, d.subscriber))
            .collect();
        let lanes = self.subscribers.iter().map(|subscriber| {
            let owed: Vec<&Event> = claimed
                .iter()
                .filter(|e| subscriber.wants(&e.name))
                .filter(|e| !done.contains(&(e.id.clone(), subscriber.name().to_owned())))
                .collect();
            self.deliver_to(subscriber.as_ref(), owed)
        });
        let mut failures: HashMap<String, Vec<String>> = HashMap::new();
        for lane in futures::future::join_all(lanes).await {
            for (event_id, error) in lane? {
                failures.entry(event_id).or_default().push(error);
            }
        }
        let mut completed = 0;
        for event in &claimed {
            let failed = failures.remove(&event.id).unwrap_or_default();
            if self.finish(event, failed).await? {
                completed += 1;
            }
        }
        Ok(completed)
    }

    /// Hands `events` (oldest first) to one subscriber and records each it
    /// completes at once, so a crash later does not repeat it. The failures,
    /// as (event id, error).
    async fn deliver_to(
        &self,
        subscriber: &dyn Subscriber,
        events: Vec<&Event>,
    ) -> Result<Vec<(String, String)>, DomainError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let results = subscriber.handle_batch(&events).await;
        let mut failures = Vec::new();
        for (event, result) in events.iter().zip(results) {
            match result {
                Ok(()) => {
                    delivery::ActiveModel {
                        event_id: Set(event.id.clone()),
                        subscriber: Set(subscriber.name().to_owned()),
                        delivered_at: Set(Utc::now()),
                    }
                    .insert(&self.db)
                    .await?;
                }
                Err(e) => failures.push((event.id.clone(), format!("{}: {e}", subscriber.name()))),
            }
        }
        Ok(failures)
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

    /// Releases the event's claim: completed when no subscriber failed,
    /// else rescheduled with backoff (failed for good after [`MAX_ATTEMPTS`]).
    /// Returns whether the event is now complete.
    async fn finish(&self, event: &Event, failures: Vec<String>) -> Result<bool, DomainError> {
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

/// The subscribers that have completed the event (operators' view, tests).
pub async fn delivered_to(
    db: &impl ConnectionTrait,
    event_id: &str,
) -> Result<Vec<String>, DomainError> {
    Ok(delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Subscriber)
        .filter(delivery::Column::EventId.eq(event_id))
        .order_by_asc(delivery::Column::Subscriber)
        .into_tuple()
        .all(db)
        .await?)
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
