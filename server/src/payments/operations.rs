//! The worker that asks payment providers for the captures, refunds and
//! releases recorded by database changes (`domain::payments::operations`):
//! at start, which finishes what a crash cut short, and then every
//! [`RUN_EVERY`], which picks up new ones and retries those the provider
//! could not be reached for (each with its own back-off).

use std::time::Duration;

use domain::{
    db::DatabaseConnection,
    payments::{Providers, operations},
};

/// As often as the outbox is read: a machine's sale is captured within this
/// of settling.
pub const RUN_EVERY: Duration = Duration::from_millis(250);

/// Operations asked for in one round; the rest wait for the next.
const BATCH: u64 = 50;

/// Runs due payment operations until the task is dropped.
pub async fn run(db: DatabaseConnection, providers: Providers) {
    let mut tick = tokio::time::interval(RUN_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = operations::run_due(&db, &providers, BATCH).await {
            tracing::warn!(error = %e, "running payment operations failed");
        }
    }
}
