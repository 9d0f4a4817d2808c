//! Group commit of the Store API's most frequent writes: new carts and new
//! lines. Many shoppers write at once, and SQLite has one writer: one after
//! another, each would pay for a transaction of its own in round trips to
//! the connection's thread. Here whatever is waiting when the writer gets
//! its turn is written in one transaction: one insert per table, and one
//! conditional update that confirms every cart is as its shopper saw it.
//! What a batch does not take (a cart changed meanwhile, a second line for
//! a cart already in the batch, a batch that failed) is written the
//! ordinary way, with every check. No write is answered before its commit.

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, IntoActiveModel, TransactionSession,
    sea_query::{ExprTrait, Query},
};
use tokio::sync::{mpsc, oneshot};

use super::{
    Addition, CartDetail, CartPlace, NewCart, cart, insert_lone_cart, line_item, new_cart_row,
    now_stored, write_addition,
};
use crate::DomainError;

/// The most writes one transaction takes.
const BATCH: usize = 128;

/// Writes carts and lines in batches; clones share the batches.
#[derive(Clone)]
pub struct CartWriter {
    db: DatabaseConnection,
    queue: mpsc::Sender<Pending>,
    batches: Arc<AtomicU64>,
}

struct Pending {
    write: Write,
    done: oneshot::Sender<Outcome>,
}

enum Write {
    Cart(cart::Model),
    Line {
        /// The cart's `updated_at` as the line's writer saw it.
        seen_at: DateTime<Utc>,
        line: line_item::Model,
    },
}

/// What became of one write in its batch.
#[derive(Clone, Copy)]
enum Outcome {
    /// Committed; the cart of a line is marked changed at this time.
    Written(DateTime<Utc>),
    /// Not written: its writer writes it the ordinary way.
    Declined,
}

impl CartWriter {
    /// Starts the task that writes the batches; it ends with the last clone.
    pub fn start(db: DatabaseConnection) -> Self {
        let (queue, inbox) = mpsc::channel(BATCH * 8);
        let batches = Arc::new(AtomicU64::new(0));
        tokio::spawn(write_batches(db.clone(), inbox, batches.clone()));
        Self { db, queue, batches }
    }

    /// Batches taken so far, each in one transaction.
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    /// [`super::create_cart_at`], an empty cart written with others.
    pub async fn create_cart_at(
        &self,
        place: CartPlace,
        new: NewCart,
    ) -> Result<CartDetail, DomainError> {
        if !new.items.is_empty() || !new.promo_codes.is_empty() {
            return super::create_cart_at(&self.db, place, new).await;
        }
        let (cart, region) = new_cart_row(&self.db, place, &new).await?;
        match self.write(Write::Cart(cart.clone())).await {
            Outcome::Written(_) => Ok(CartDetail::empty(cart, region)),
            Outcome::Declined => insert_lone_cart(&self.db, cart, region).await,
        }
    }

    /// [`super::add_line_item_to`], a new line written with others.
    pub async fn add_line_item_to(
        &self,
        seen: CartDetail,
        variant_id: &str,
        quantity: i32,
    ) -> Result<CartDetail, DomainError> {
        let addition = Addition::check(&self.db, &seen, variant_id, quantity).await?;
        // A quantity raised, or loyalty rewards to follow: the ordinary way.
        if addition.seen_line.is_some() || seen.has_loyalty_session {
            return write_addition(&self.db, seen, addition).await;
        }
        let line = Addition::new_line(
            addition.offer.clone(),
            &seen.cart.id,
            quantity,
            now_stored(),
        );
        let write = Write::Line {
            seen_at: seen.cart.updated_at,
            line: line.clone(),
        };
        match self.write(write).await {
            Outcome::Written(at) => Ok(seen.with_line_written(line, at)),
            Outcome::Declined => write_addition(&self.db, seen, addition).await,
        }
    }

    async fn write(&self, write: Write) -> Outcome {
        let (done, outcome) = oneshot::channel();
        if self.queue.send(Pending { write, done }).await.is_err() {
            return Outcome::Declined;
        }
        outcome.await.unwrap_or(Outcome::Declined)
    }
}

async fn write_batches(
    db: DatabaseConnection,
    mut inbox: mpsc::Receiver<Pending>,
    batches: Arc<AtomicU64>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    while inbox.recv_many(&mut batch, BATCH).await > 0 {
        let outcomes = match write_batch(&db, &batch).await {
            Ok(outcomes) => outcomes,
            Err(e) => {
                tracing::warn!(error = %e, writes = batch.len(), "cart writes not written together; one by one instead");
                vec![Outcome::Declined; batch.len()]
            }
        };
        batches.fetch_add(1, Ordering::Relaxed);
        for (pending, outcome) in batch.drain(..).zip(outcomes) {
            // Its writer may have gone (a request cancelled): the write stands.
            let _ = pending.done.send(outcome);
        }
    }
}

/// Writes what it can of `batch` in one transaction; the outcomes follow
/// the batch's order.
async fn write_batch(db: &DatabaseConnection, batch: &[Pending]) -> Result<Vec<Outcome>, DbErr> {
    let now = now_stored();
    let mut outcomes = vec![Outcome::Declined; batch.len()];
    let mut carts = Vec::new();
    let mut lines = Vec::new();
    let mut carts_with_a_line = HashSet::new();
    for (at, pending) in batch.iter().enumerate() {
        match &pending.write {
            Write::Cart(cart) => carts.push((at, cart)),
            // A second line for one cart would find it changed by the first.
            Write::Line { seen_at, line } if carts_with_a_line.insert(&line.cart_id) => {
                lines.push((at, *seen_at, line))
            }
            Write::Line { .. } => {}
        }
    }
    let txn = crate::db::begin_write(db).await?;
    if !carts.is_empty() {
        let rows = carts
            .iter()
            .map(|(_, cart)| (*cart).clone().into_active_model().reset_all());
        cart::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
        for (at, _) in &carts {
            outcomes[*at] = Outcome::Written(now);
        }
    }
    if !lines.is_empty() {
        let unchanged = touch_carts_as_seen(&txn, &lines, now).await?;
        let mut written = Vec::new();
        for (at, _, line) in &lines {
            if unchanged.contains(&line.cart_id) {
                written.push((*line).clone().into_active_model().reset_all());
                outcomes[*at] = Outcome::Written(now);
            }
        }
        if !written.is_empty() {
            line_item::Entity::insert_many(written)
                .exec_without_returning(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(outcomes)
}

/// Marks changed at `now` each open cart whose `updated_at` is still the one
/// its line's writer saw; answers their ids.
async fn touch_carts_as_seen(
    txn: &crate::db::WriteTransaction,
    lines: &[(usize, DateTime<Utc>, &line_item::Model)],
    now: DateTime<Utc>,
) -> Result<HashSet<String>, DbErr> {
    let as_seen = lines
        .iter()
        .fold(Condition::any(), |any, (_, seen_at, line)| {
            any.add(
                cart::Column::Id
                    .eq(line.cart_id.as_str())
                    .and(cart::Column::UpdatedAt.eq(*seen_at)),
            )
        });
    let touch = Query::update()
        .table(cart::Entity)
        .value(cart::Column::UpdatedAt, now)
        .cond_where(
            Condition::all()
                .add(cart::Column::CompletedAt.is_null())
                .add(as_seen),
        )
        .returning_col(cart::Column::Id)
        .to_owned();
    txn.query_all(&touch)
        .await?
        .iter()
        .map(|row| row.try_get::<String>("", "id"))
        .collect()
}
