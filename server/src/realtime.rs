//! Live updates for the admin dashboard as server-sent events: device
//! status (online, last seen) and machine activity (mode, door, weights).

use std::{convert::Infallible, time::Duration};

use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError},
    state::AppState,
};
use app::admin::devices::{DEVICE_ACTIVITY_EVENT, DEVICE_STATUS_EVENT, DeviceActivity};
use axum::{
    extract::State,
    response::sse::{Event, KeepAlive, Sse},
};
use domain::devices::{self, StatusChange};
use futures::{Stream, StreamExt, stream};
use tokio_stream::wrappers::BroadcastStream;

/// Every device's current status first (so a reconnecting page catches up),
/// then each change of status or activity as it happens. For an admin user
/// who may see devices (the admin router's access layer checks it).
pub async fn device_events(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    // Subscribe before reading the snapshot so no change falls between the two.
    // A lagging page skips what it missed; the next change or reconnect corrects it.
    let changes = BroadcastStream::new(state.device_changes.subscribe())
        .filter_map(|change| async move { change.ok() });
    let activity = BroadcastStream::new(state.device_activity.subscribe())
        .filter_map(|activity| async move { activity.ok() })
        .map(|activity| {
            Ok(Event::default()
                .event(DEVICE_ACTIVITY_EVENT)
                .json_data(DeviceActivity::from(activity))
                .expect("activity serialises"))
        });
    let snapshot: Vec<StatusChange> = devices::list(&state.db)
        .await?
        .into_iter()
        .map(|d| StatusChange {
            device_id: d.id,
            online: d.online,
            last_seen_at: d.last_seen_at,
        })
        .collect();
    let statuses = stream::iter(snapshot).chain(changes).map(|change| {
        Ok(Event::default()
            .event(DEVICE_STATUS_EVENT)
            .json_data(change)
            .expect("status change serialises"))
    });
    let events = stream::select(statuses, activity);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
