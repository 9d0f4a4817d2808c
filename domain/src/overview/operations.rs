//! The figures an operator's monitoring scrapes (`/metrics`): what is in
//! flight right now (open sessions by state, machines online, the outbox's
//! backlog) and how long settlements took lately. Read from the database, so
//! every instance of a store reports the same store.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::{
    DomainError, alerts::alert, devices::device, events::outbox_event, vending::device_session,
};

/// Settled sessions whose settlement time is sampled (the newest ones).
pub const SETTLEMENT_SAMPLE: u64 = 500;

#[derive(Debug, Clone, PartialEq)]
pub struct Operations {
    /// Sessions not yet ended, per state (states without one are left out).
    pub open_sessions: Vec<(String, u64)>,
    /// Machines in service (decommissioned ones are left out).
    pub machines: u64,
    pub machines_online: u64,
    pub open_alerts: u64,
    /// Events due and not yet delivered to every subscriber.
    pub outbox_due: u64,
    /// Events given up after their last attempt.
    pub outbox_failed: u64,
    /// How long the oldest due event has waited, in seconds (0 with none).
    pub outbox_lag_seconds: f64,
    /// Door closed → session ended, in seconds, for the newest settled
    /// sessions (at most [`SETTLEMENT_SAMPLE`]), in no order.
    pub settlement_seconds: Vec<f64>,
}

pub async fn operations(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Operations, DomainError> {
    let open_sessions: Vec<(String, i64)> = device_session::Entity::find()
        .select_only()
        .column(device_session::Column::State)
        .column_as(device_session::Column::Id.count(), "n")
        .filter(device_session::Column::EndedAt.is_null())
        .group_by(device_session::Column::State)
        .order_by_asc(device_session::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    let in_service = device::Entity::find().filter(device::Column::DecommissionedAt.is_null());
    let machines = in_service.clone().count(db).await?;
    let machines_online = in_service
        .filter(device::Column::Online.eq(true))
        .count(db)
        .await?;
    let open_alerts = alert::Entity::find()
        .filter(alert::Column::ResolvedAt.is_null())
        .count(db)
        .await?;
    let due = outbox_event::Entity::find()
        .filter(outbox_event::Column::ProcessedAt.is_null())
        .filter(outbox_event::Column::FailedAt.is_null())
        .filter(outbox_event::Column::AvailableAt.lte(now));
    let outbox_due = due.clone().count(db).await?;
    let oldest: Option<DateTime<Utc>> = due
        .select_only()
        .column(outbox_event::Column::AvailableAt)
        .order_by_asc(outbox_event::Column::AvailableAt)
        .into_tuple()
        .one(db)
        .await?;
    let outbox_failed = outbox_event::Entity::find()
        .filter(outbox_event::Column::FailedAt.is_not_null())
        .count(db)
        .await?;
    let settled: Vec<(DateTime<Utc>, DateTime<Utc>)> = device_session::Entity::find()
        .select_only()
        .column(device_session::Column::DoorClosedAt)
        .column(device_session::Column::EndedAt)
        .filter(device_session::Column::DoorClosedAt.is_not_null())
        .filter(device_session::Column::EndedAt.is_not_null())
        .order_by_desc(device_session::Column::CreatedAt)
        .limit(SETTLEMENT_SAMPLE)
        .into_tuple()
        .all(db)
        .await?;
    Ok(Operations {
        open_sessions: open_sessions
            .into_iter()
            .map(|(state, n)| (state, u64::try_from(n).unwrap_or(0)))
            .collect(),
        machines,
        machines_online,
        open_alerts,
        outbox_due,
        outbox_failed,
        outbox_lag_seconds: oldest.map_or(0.0, |at| seconds(at, now)),
        settlement_seconds: settled
            .into_iter()
            .map(|(closed, ended)| seconds(closed, ended))
            .collect(),
    })
}

/// From `from` to `to`, never negative (clocks of two instances may differ).
fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    ((to - from).num_milliseconds().max(0) as f64) / 1000.0
}

/// The `q`-quantile (0 ≤ q ≤ 1) of `values`, nearest rank; `None` when empty.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.saturating_sub(1).min(sorted.len() - 1)])
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_take_the_nearest_rank() {
        let values = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(quantile(&values, 0.5), Some(3.0));
        assert_eq!(quantile(&values, 0.95), Some(5.0));
        assert_eq!(quantile(&values, 0.0), Some(1.0));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
