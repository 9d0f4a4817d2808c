//! The fleet: every vending machine with a live online/offline badge.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::ErrorNotice;

/// The server-sent events stream the badges follow (see the server's `realtime`).
pub const DEVICE_EVENTS_PATH: &str = "/admin/api/device-events";
pub const DEVICE_STATUS_EVENT: &str = "device-status";
/// A machine's mode, door and scale weights changed (a [`DeviceActivity`]).
pub const DEVICE_ACTIVITY_EVENT: &str = "device-activity";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceRow {
    pub id: String,
    pub name: String,
    pub online: bool,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub firmware: Option<String>,
}

/// What the live stream says about a device; the same fields the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceStatus {
    pub device_id: String,
    pub online: bool,
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// What a machine is doing, as its page shows it and the live stream sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceActivity {
    pub device_id: String,
    /// The active session's mode, "idle" without one.
    pub mode: String,
    pub door: String,
    /// The service session under way, if any.
    pub service_session: Option<String>,
    pub weights_at: Option<DateTime<Utc>>,
    /// (scale position, grams, stable) as last reported.
    pub weights: Vec<(i32, i32, bool)>,
}

#[cfg(feature = "ssr")]
impl From<domain::vending::machines::Activity> for DeviceActivity {
    fn from(activity: domain::vending::machines::Activity) -> Self {
        use domain::vending::state::State;
        let door = match activity.session_state {
            Some(State::Requested) => "closed (opening)",
            Some(State::DoorOpen) => "open",
            _ => "closed",
        };
        let (weights_at, weights) = match activity.weights {
            Some((at, readings)) => (
                Some(at),
                readings
                    .into_iter()
                    .map(|r| (r.scale, r.grams, r.stable))
                    .collect(),
            ),
            None => (None, Vec::new()),
        };
        Self {
            device_id: activity.device_id,
            mode: activity
                .mode
                .map_or_else(|| "idle".to_owned(), |m| m.as_str().to_owned()),
            door: door.to_owned(),
            service_session: activity.service_session,
            weights_at,
            weights,
        }
    }
}

/// The latest of each device's status and activity the event stream told,
/// by device id (empty until it tells something).
#[derive(Clone, Copy)]
pub(crate) struct LiveDevices {
    pub status: RwSignal<HashMap<String, DeviceStatus>>,
    pub activity: RwSignal<HashMap<String, DeviceActivity>>,
}

impl LiveDevices {
    /// Follows the event stream once the page is hydrated.
    pub fn follow() -> Self {
        let live = Self {
            status: RwSignal::new(HashMap::new()),
            activity: RwSignal::new(HashMap::new()),
        };
        follow_device_events(live);
        live
    }
}

#[server(endpoint = "/admin/devices")]
pub async fn list_devices() -> Result<Vec<DeviceRow>, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(&session().await?).await?;
    let devices = domain::devices::list(&ctx.db)
        .await
        .map_err(to_server_error)?;
    Ok(devices
        .into_iter()
        .map(|d| DeviceRow {
            id: d.id,
            name: d.name,
            online: d.online,
            last_seen_at: d.last_seen_at,
            firmware: d.firmware,
        })
        .collect())
}

#[component]
pub fn DevicesPage() -> impl IntoView {
    let devices = Resource::new(|| (), |_| list_devices());
    // Live overrides of each device's status, fed by the event stream.
    let live = LiveDevices::follow().status;
    view! {
        <h1>"Devices"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading devices…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    devices.await.map(|rows| view! { <DeviceTable rows live /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn DeviceTable(
    rows: Vec<DeviceRow>,
    live: RwSignal<HashMap<String, DeviceStatus>>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No devices yet. Machines appear here once they are registered."</p> }.into_any();
    }
    view! {
        <table class="data">
            <thead>
                <tr>
                    <th>"Device"</th>
                    <th>"Name"</th>
                    <th>"Status"</th>
                    <th>"Last seen"</th>
                    <th>"Firmware"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|row| {
                        let id = row.id.clone();
                        let status = Memo::new(move |_| {
                            live.read()
                                .get(&id)
                                .map(|s| (s.online, s.last_seen_at))
                                .unwrap_or((row.online, row.last_seen_at))
                        });
                        view! {
                            <tr data-device=row.id.clone()>
                                <td><a href=super::device_detail::device_path(&row.id)><code>{row.id.clone()}</code></a></td>
                                <td>{row.name}</td>
                                <td>
                                    <span
                                        class=move || if status.get().0 { "badge online" } else { "badge offline" }
                                        data-testid=format!("status-{}", row.id)
                                    >
                                        {move || if status.get().0 { "online" } else { "offline" }}
                                    </span>
                                </td>
                                <td>
                                    {move || {
                                        status
                                            .get()
                                            .1
                                            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                                            .unwrap_or_else(|| "never".to_owned())
                                    }}
                                </td>
                                <td>{row.firmware.unwrap_or_else(|| "unknown".to_owned())}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// Opens the event stream in the browser and folds each status and activity
/// change into `live`. The browser's EventSource reconnects by itself after a drop.
fn follow_device_events(live: LiveDevices) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use send_wrapper::SendWrapper;
        use wasm_bindgen::{JsCast, closure::Closure};

        /// A listener keeping the latest `T` of each device in `latest`.
        fn keep_latest<T: serde::de::DeserializeOwned + Send + Sync + 'static>(
            latest: RwSignal<HashMap<String, T>>,
            device_of: fn(&T) -> String,
        ) -> Closure<dyn Fn(web_sys::MessageEvent)> {
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                let Some(data) = event.data().as_string() else {
                    return;
                };
                match serde_json::from_str::<T>(&data) {
                    Ok(value) => latest.update(|map| {
                        map.insert(device_of(&value), value);
                    }),
                    Err(e) => leptos::logging::warn!("bad device event: {e}"),
                }
            })
        }

        let Ok(source) = web_sys::EventSource::new(DEVICE_EVENTS_PATH) else {
            leptos::logging::warn!("live device status unavailable: EventSource failed");
            return;
        };
        let on_status = keep_latest(live.status, |s: &DeviceStatus| s.device_id.clone());
        let on_activity = keep_latest(live.activity, |a: &DeviceActivity| a.device_id.clone());
        for (event, listener) in [
            (DEVICE_STATUS_EVENT, &on_status),
            (DEVICE_ACTIVITY_EVENT, &on_activity),
        ] {
            let _ =
                source.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        }
        let guard = SendWrapper::new((source, on_status, on_activity));
        on_cleanup(move || guard.0.close());
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = live;
}
