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
    /// The planogram version the machine last confirmed applying.
    pub sync_version: Option<i64>,
    pub decommissioned: bool,
}

/// The device list's filters, as its query parameters give them (empty: any).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetFilter {
    pub firmware: String,
    /// A version number, or "never".
    pub sync_version: String,
    /// "active" or "decommissioned".
    pub status: String,
}

/// One page of the fleet, and the choices of the page's forms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetView {
    pub rows: Vec<DeviceRow>,
    /// Machines the filter matches, on every page.
    pub count: u64,
    pub offset: u64,
    pub limit: u64,
    /// Every firmware version machines named, to filter by.
    pub firmware_versions: Vec<String>,
    /// (id, name) of the sales channels a new machine can sell through.
    pub sales_channels: Vec<(String, String)>,
    /// (id, name) of the regions its pick-up option can be in.
    pub regions: Vec<(String, String)>,
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
                .map_or_else(|| "idle".to_owned(), |m| m.to_string()),
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
pub async fn list_devices(filter: FleetFilter, offset: u64) -> Result<FleetView, ServerFnError> {
    use domain::{
        catalog::MAX_PAGE_SIZE,
        channels, pricing,
        vending::fleet::{self, MachineFilter},
    };

    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ViewDevices,
    )
    .await?;
    let given = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    let machine_filter = MachineFilter {
        firmware: given(&filter.firmware),
        sync_version: given(&filter.sync_version)
            .map(|v| v.parse())
            .transpose()
            .map_err(to_server_error)?,
        status: given(&filter.status)
            .map(|v| v.parse())
            .transpose()
            .map_err(to_server_error)?,
    };
    let page = fleet::list(&ctx.db, &machine_filter, offset, MAX_PAGE_SIZE)
        .await
        .map_err(to_server_error)?;
    let firmware_versions = fleet::firmware_versions(&ctx.db)
        .await
        .map_err(to_server_error)?;
    let sales_channels = channels::list_sales_channels(&ctx.db)
        .await
        .map_err(to_server_error)?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let regions = pricing::list_regions(&ctx.db, 0, MAX_PAGE_SIZE)
        .await
        .map_err(to_server_error)?
        .regions
        .into_iter()
        .map(|r| (r.region.id, r.region.name))
        .collect();
    Ok(FleetView {
        rows: page
            .items
            .into_iter()
            .map(|d| DeviceRow {
                decommissioned: d.decommissioned_at.is_some(),
                id: d.id,
                name: d.name,
                online: d.online,
                last_seen_at: d.last_seen_at,
                firmware: d.firmware,
                sync_version: d.planogram_version,
            })
            .collect(),
        count: page.count,
        offset: page.offset,
        limit: page.limit,
        firmware_versions,
        sales_channels,
        regions,
    })
}

/// Adds a machine from the page's form, then shows its page with its MQTT
/// credentials (once).
#[server(endpoint = "/admin/devices/add")]
#[allow(clippy::too_many_arguments)] // one per field of the form
pub async fn add_machine(
    id: String,
    name: String,
    #[server(default)] address: String,
    #[server(default)] latitude: String,
    #[server(default)] longitude: String,
    #[server(default)] hub: String,
    // `A:1,2,3`, one locker a line or separated by `;`.
    lockers: String,
    #[server(default)] scale_noise: String,
    // An existing sales channel's id; empty for a new location.
    #[server(default)] sales_channel_id: String,
    #[server(default)] region_id: String,
) -> Result<(), ServerFnError> {
    use domain::{
        DomainError,
        vending::fleet::{self, GeoPosition, LocationChoice, NewLocker, NewMachine},
    };

    use crate::server_context::*;
    let ctx = server_context()?;
    let session = session().await?;
    require_admin(&session, domain::admin_users::Permission::ManageFleet).await?;
    let invalid = |m: String| to_server_error(DomainError::Invalid(m));
    let degrees = |text: &str, what: &str| -> Result<Option<f64>, ServerFnError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|_| invalid(format!("the {what} must be decimal degrees, not {text:?}")))
    };
    let position = match (
        degrees(&latitude, "latitude")?,
        degrees(&longitude, "longitude")?,
    ) {
        (Some(lat), Some(lon)) => {
            Some(GeoPosition::from_degrees(lat, lon).map_err(to_server_error)?)
        }
        (None, None) => None,
        _ => {
            return Err(invalid(
                "a geo position needs both latitude and longitude".into(),
            ));
        }
    };
    let noise = match scale_noise.trim() {
        "" => 3,
        text => text
            .parse()
            .map_err(|_| invalid(format!("the scale noise must be whole grams, not {text:?}")))?,
    };
    let location = match sales_channel_id.trim() {
        "" => LocationChoice::New { name: None },
        channel => LocationChoice::Existing {
            sales_channel_id: channel.to_owned(),
            stock_location_id: None,
        },
    };
    let added = fleet::add_machine(
        &ctx.db,
        NewMachine {
            id,
            name,
            address: Some(address),
            position,
            hub: Some(hub),
            lockers: NewLocker::parse_all(&lockers, noise).map_err(to_server_error)?,
            location,
            region_id: Some(region_id),
            issue_credentials: true,
        },
    )
    .await
    .map_err(to_server_error)?;
    match added.credentials {
        Some(credentials) => {
            super::device_detail::show_credentials_once(&session, credentials).await
        }
        None => {
            leptos_axum::redirect(&super::device_detail::device_path(&added.device.id));
            Ok(())
        }
    }
}

/// The query parameters of the page's filter.
fn filter_of(query: &leptos_router::params::ParamsMap) -> FleetFilter {
    let get = |key: &str| query.get(key).unwrap_or_default();
    FleetFilter {
        firmware: get("firmware"),
        sync_version: get("sync_version"),
        status: get("status"),
    }
}

#[component]
pub fn DevicesPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let add = ServerAction::<AddMachine>::new();
    let devices = Resource::new(
        move || {
            let query = query.read();
            let offset = query
                .get("offset")
                .and_then(|o| o.parse().ok())
                .unwrap_or(0);
            (filter_of(&query), offset)
        },
        |(filter, offset)| list_devices(filter, offset),
    );
    // Live overrides of each device's status, fed by the event stream.
    let live = LiveDevices::follow().status;
    let error = move || {
        add.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| crate::components::plain_error(&e))
    };
    view! {
        <h1>"Devices"</h1>
        {move || error().map(|e| view! { <p class="notice error" role="alert" data-testid="add-machine-error">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading devices…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    devices.await.map(|fleet| {
                        let filter = filter_of(&query.read_untracked());
                        view! {
                            <FleetFilterForm filter versions=fleet.firmware_versions.clone() />
                            <DeviceTable rows=fleet.rows.clone() live />
                            <Pager count=fleet.count offset=fleet.offset limit=fleet.limit />
                            <AddMachineForm add fleet />
                        }
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// A plain GET form: filtering works before hydration too.
#[component]
fn FleetFilterForm(filter: FleetFilter, versions: Vec<String>) -> impl IntoView {
    let status_choices = [
        ("", "any"),
        ("active", "active"),
        ("decommissioned", "decommissioned"),
    ];
    view! {
        <form method="get" action="/admin/devices" class="inline filters" data-testid="device-filter">
            <label>
                "Firmware "
                <select name="firmware">
                    <option value="" selected=filter.firmware.is_empty()>"any"</option>
                    {versions
                        .into_iter()
                        .map(|v| {
                            let selected = v == filter.firmware;
                            view! { <option value=v.clone() selected=selected>{v.clone()}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>
                " Sync version "
                <input name="sync_version" size="6" placeholder="any, a number or never" value=filter.sync_version />
            </label>
            <label>
                " Status "
                <select name="status">
                    {status_choices
                        .into_iter()
                        .map(|(value, label)| {
                            let selected = value == filter.status;
                            view! { <option value=value selected=selected>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            " "
            <button type="submit">"Filter"</button>
        </form>
    }
}

#[component]
fn Pager(count: u64, offset: u64, limit: u64) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let link = move |offset: u64| {
        let filter = filter_of(&query.read_untracked());
        format!(
            "/admin/devices?firmware={}&sync_version={}&status={}&offset={offset}",
            urlencoding_light(&filter.firmware),
            urlencoding_light(&filter.sync_version),
            urlencoding_light(&filter.status),
        )
    };
    let shown = (count.saturating_sub(offset)).min(limit);
    view! {
        <p class="muted" data-testid="device-count">
            {format!("{shown} of {count} machine(s)")}
            {(offset > 0).then(|| view! { " " <a href=link(offset.saturating_sub(limit))>"← Previous"</a> })}
            {(offset + limit < count).then(|| view! { " " <a href=link(offset + limit)>"Next →"</a> })}
        </p>
    }
}

/// Percent-encodes what a query value cannot hold as it is.
fn urlencoding_light(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Adds a machine; a plain form, so it works before hydration.
#[component]
fn AddMachineForm(add: ServerAction<AddMachine>, fleet: FleetView) -> impl IntoView {
    view! {
        <h2>"Add a machine"</h2>
        <ActionForm action=add attr:class="stacked" attr:data-testid="add-machine-form">
            <label>"Id " <input name="id" required pattern="[a-z0-9_-]{1,64}" placeholder="vm-042" /></label>
            <label>"Name " <input name="name" required maxlength="200" /></label>
            <label>"Address " <input name="address" maxlength="500" /></label>
            <label>"Latitude " <input name="latitude" inputmode="decimal" placeholder="48.2082" /></label>
            <label>"Longitude " <input name="longitude" inputmode="decimal" placeholder="16.3738" /></label>
            <label>"Hub " <input name="hub" placeholder="an existing hub's name, or a new one" /></label>
            <label>
                "Lockers and their scales "
                <textarea name="lockers" required rows="3" placeholder="A:1,2,3
    B:4,5"></textarea>
            </label>
            <label>"Scale noise (g) " <input name="scale_noise" type="number" min="0" max="1000" value="3" /></label>
            <label>
                "Sells through "
                <select name="sales_channel_id">
                    <option value="">"a new sales channel and stock location"</option>
                    {fleet
                        .sales_channels
                        .into_iter()
                        .map(|(id, name)| view! { <option value=id>{name}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Pick-up option in region "
                <select name="region_id">
                    {fleet
                        .regions
                        .into_iter()
                        .map(|(id, name)| view! { <option value=id>{name}</option> })
                        .collect_view()}
                </select>
            </label>
            <button type="submit" disabled=move || add.pending().get()>"Add machine"</button>
        </ActionForm>
    }
}

#[component]
fn DeviceTable(
    rows: Vec<DeviceRow>,
    live: RwSignal<HashMap<String, DeviceStatus>>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No machines match. Add one below."</p> }.into_any();
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
                    <th>"Sync version"</th>
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
                                    {row.decommissioned.then(|| view! {
                                        " "<span class="badge decommissioned" data-testid=format!("decommissioned-{}", row.id)>"decommissioned"</span>
                                    })}
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
                                <td data-testid=format!("firmware-{}", row.id)>{row.firmware.unwrap_or_else(|| "unknown".to_owned())}</td>
                                <td data-testid=format!("sync-version-{}", row.id)>
                                    {row.sync_version.map_or_else(|| "never".to_owned(), |v| v.to_string())}
                                </td>
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
