//! One machine: where it stands and how it is doing (mode, door and scale
//! weights follow the device event stream once hydrated), what its scales
//! hold (the assignment editor), planogram sync with the machine's answer,
//! service mode, its MQTT credentials, and its sessions. Every form is a
//! plain HTML form that redirects back here, so the page works before
//! hydration.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use super::{
    devices::{DeviceActivity, LiveDevices},
    vending_sessions::{SessionRow, SessionRows, timestamp},
};
use crate::components::{ErrorNotice, NotFound};

pub fn device_path(id: &str) -> String {
    format!("/admin/devices/{id}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineView {
    pub id: String,
    pub name: String,
    pub online: bool,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub firmware: Option<String>,
    pub sales_channel: Option<String>,
    pub stock_location: Option<String>,
    /// Mode, door and scale weights, as loaded (the live stream updates them).
    pub activity: DeviceActivity,
    pub sync: SyncView,
    pub scales: Vec<ScaleView>,
    /// (variant id, "Product — Variant") to put on a scale.
    pub variants: Vec<(String, String)>,
    pub sessions: Vec<SessionRow>,
    /// Whether the machine has an MQTT password.
    pub has_credentials: bool,
    pub address: Option<String>,
    /// (latitude, longitude) in decimal degrees.
    pub position: Option<(f64, f64)>,
    pub hub: Option<String>,
    /// Each locker's label and the positions of its scales.
    pub lockers: Vec<(String, Vec<i32>)>,
    pub decommissioned_at: Option<DateTime<Utc>>,
    /// (id, name) of the sales channels it can move to.
    pub sales_channels: Vec<(String, String)>,
    /// (id, name) of the regions its pick-up option can be in.
    pub regions: Vec<(String, String)>,
    /// Credentials issued a moment ago, shown once, on the page the issuing
    /// redirected to.
    pub issued_credentials: Option<IssuedCredentials>,
    /// Each product on its scales with stock and par level.
    pub stock: Vec<super::restock::StockRow>,
}

/// A device's MQTT login, just issued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedCredentials {
    pub device_id: String,
    pub username: String,
    pub password: String,
    /// Names them in the address the issuing redirects to (`?issued=`).
    pub token: String,
}

/// The query parameter naming credentials just issued.
const ISSUED_PARAM: &str = "issued";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncView {
    /// "never", "pending", "applied" or "failed".
    pub state: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleView {
    pub id: String,
    pub position: i32,
    pub products: Vec<AssignedProduct>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignedProduct {
    pub id: String,
    pub variant_id: String,
    pub label: String,
    pub unit_weight_g: i32,
    pub min_weight_g: i32,
    pub max_weight_g: i32,
}

/// How many of a machine's sessions its page lists; the rest are in the preview.
#[cfg(feature = "ssr")]
const RECENT_SESSIONS: u64 = 10;

#[server(endpoint = "/admin/devices/detail")]
pub async fn load_machine(
    id: String,
    // The `issued` query parameter: shows the credentials it names.
    issued: Option<String>,
) -> Result<Option<MachineView>, ServerFnError> {
    use std::collections::HashMap;

    use domain::{
        DomainError, catalog, channels,
        vending::{
            fleet, machines, scales,
            scales::SyncStatus,
            sessions::{self, SessionFilter},
        },
    };

    use crate::{server_context::*, session_keys::ISSUED_DEVICE_CREDENTIALS};
    let ctx = server_context()?;
    let session = session().await?;
    require_admin(&session, domain::admin_users::Permission::ViewDevices).await?;
    let machine = match machines::find(&ctx.db, &id).await {
        Ok(machine) => machine,
        Err(DomainError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(to_server_error(e)),
    };
    let device = machine.device;
    let sales_channel = match &device.sales_channel_id {
        Some(channel_id) => Some(
            channels::find_sales_channel(&ctx.db, channel_id)
                .await
                .map_err(to_server_error)?
                .name,
        ),
        None => None,
    };
    let activity = machines::activity(&ctx.db, &id)
        .await
        .map_err(to_server_error)?;
    let sync = match scales::sync_status(&ctx.db, &id)
        .await
        .map_err(to_server_error)?
    {
        SyncStatus::Never => SyncView {
            state: "never".into(),
            detail: "never synced".into(),
        },
        SyncStatus::Pending { version } => SyncView {
            state: "pending".into(),
            detail: format!("version {version} sent, waiting for the machine"),
        },
        SyncStatus::Applied { version } => SyncView {
            state: "applied".into(),
            detail: format!("version {version} applied"),
        },
        SyncStatus::Failed { version, reason } => SyncView {
            state: "failed".into(),
            detail: format!("version {version} failed: {reason}"),
        },
    };
    let products = catalog::list_in_statuses(
        &ctx.db,
        &catalog::ProductQuery {
            limit: catalog::MAX_PAGE_SIZE,
            ..Default::default()
        },
        &[],
    )
    .await
    .map_err(to_server_error)?;
    let variants: Vec<(String, String)> = products
        .products
        .into_iter()
        .flat_map(|p| {
            let title = p.product.title;
            p.variants
                .into_iter()
                .map(move |v| (v.variant.id, format!("{title} — {}", v.variant.title)))
        })
        .collect();
    let labels: HashMap<&str, &str> = variants
        .iter()
        .map(|(id, label)| (id.as_str(), label.as_str()))
        .collect();
    let scales = scales::scales_of(&ctx.db, &id)
        .await
        .map_err(to_server_error)?
        .into_iter()
        .map(|(scale, assigned)| ScaleView {
            id: scale.id,
            position: scale.position,
            products: assigned
                .into_iter()
                .map(|a| AssignedProduct {
                    label: labels
                        .get(a.variant_id.as_str())
                        .map_or_else(|| a.variant_id.clone(), |l| (*l).to_owned()),
                    id: a.id,
                    variant_id: a.variant_id,
                    unit_weight_g: a.unit_weight_grams,
                    min_weight_g: a.min_weight_grams,
                    max_weight_g: a.max_weight_grams,
                })
                .collect(),
        })
        .collect();
    let filter = SessionFilter {
        device_id: Some(id.clone()),
        states: Vec::new(),
    };
    let (recent, _) = sessions::list(&ctx.db, &filter, 0, RECENT_SESSIONS)
        .await
        .map_err(to_server_error)?;
    // Taken out of the session by the first request that loads any machine's
    // page: shown if that is the page the issuing redirected to, and never
    // again (a reload, the back button or a stray link would show a secret).
    let taken = ctx
        .taken_credentials
        .get_or_try_init(|| async {
            let pending = session
                .get::<IssuedCredentials>(ISSUED_DEVICE_CREDENTIALS)
                .await?;
            if pending.is_some() {
                session
                    .remove::<IssuedCredentials>(ISSUED_DEVICE_CREDENTIALS)
                    .await?;
            }
            Ok::<_, tower_sessions::session::Error>(pending)
        })
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    let device_hub = device.clone();
    let issued_credentials = taken.clone().filter(|pending| {
        issued.as_ref() == Some(&pending.token) && pending.device_id == device.id
    });
    Ok(Some(MachineView {
        id: device.id,
        name: device.name,
        online: device.online,
        last_seen_at: device.last_seen_at,
        firmware: device.firmware,
        sales_channel,
        stock_location: machine.location.map(|l| l.name),
        activity: activity.into(),
        sync,
        scales,
        variants,
        sessions: recent.into_iter().map(Into::into).collect(),
        has_credentials: device.mqtt_password_hash.is_some(),
        issued_credentials,
        position: fleet::GeoPosition::of(&device_hub).map(|p| (p.latitude(), p.longitude())),
        address: device.address,
        hub: fleet::hub_of(&ctx.db, &device_hub)
            .await
            .map_err(to_server_error)?
            .map(|h| h.name),
        lockers: fleet::lockers_of(&ctx.db, &id)
            .await
            .map_err(to_server_error)?
            .into_iter()
            .map(|(l, scales)| (l.label, scales.into_iter().map(|s| s.position).collect()))
            .collect(),
        decommissioned_at: device.decommissioned_at,
        sales_channels: channels::list_sales_channels(&ctx.db)
            .await
            .map_err(to_server_error)?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
        regions: domain::pricing::list_regions(&ctx.db, 0, catalog::MAX_PAGE_SIZE)
            .await
            .map_err(to_server_error)?
            .regions
            .into_iter()
            .map(|r| (r.region.id, r.region.name))
            .collect(),
        stock: domain::vending::restock::stock_of(&ctx.db, &id)
            .await
            .map_err(to_server_error)?
            .into_iter()
            .map(Into::into)
            .collect(),
    }))
}

/// Whole grams from a form field, or an error naming the field.
#[cfg(feature = "ssr")]
fn grams(text: &str, what: &str) -> Result<i32, ServerFnError> {
    let text = text.trim();
    text.parse::<i32>()
        .map_err(|_| invalid(format!("the {what} must be whole grams, not {text:?}")))
}

/// A form's bad input: a 400 with the message (a redirect back for a browser).
#[cfg(feature = "ssr")]
fn invalid(message: String) -> ServerFnError {
    crate::server_context::to_server_error(domain::DomainError::Invalid(message))
}

#[server(endpoint = "/admin/devices/assign")]
#[allow(clippy::too_many_arguments)] // one per field of the assignment form
pub async fn assign_to_scale(
    device_id: String,
    scale_id: String,
    variant_id: String,
    unit_weight_g: String,
    min_weight_g: String,
    max_weight_g: String,
    // Both or neither: what an empty container returned is credited, and weighs.
    #[server(default)] deposit: String,
    #[server(default)] container_weight_g: String,
) -> Result<(), ServerFnError> {
    use domain::{
        pricing::money::to_minor_units,
        vending::scales::{self, Deposit, NewAssignment},
    };

    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::Restocking,
    )
    .await?;
    let deposit = match (deposit.trim(), container_weight_g.trim()) {
        ("", "") => None,
        ("", _) | (_, "") => {
            return Err(invalid(
                "a deposit needs both its amount and the empty container's weight".into(),
            ));
        }
        (amount, weight) => {
            let amount: f64 = amount.parse().map_err(|_| {
                invalid(format!(
                    "the deposit must be an amount like 0.25, not {amount:?}"
                ))
            })?;
            Some(Deposit {
                amount: to_minor_units(amount, &ctx.currency).map_err(to_server_error)?,
                container_weight_grams: grams(weight, "container weight")?,
            })
        }
    };
    let new = NewAssignment {
        variant_id,
        unit_weight_grams: grams(&unit_weight_g, "unit weight")?,
        min_weight_grams: grams(&min_weight_g, "minimum weight")?,
        max_weight_grams: grams(&max_weight_g, "maximum weight")?,
        deposit,
    };
    scales::assign(&ctx.db, &scale_id, new)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&device_path(&device_id));
    Ok(())
}

#[server(endpoint = "/admin/devices/reweigh")]
pub async fn reweigh_product(
    device_id: String,
    assignment_id: String,
    unit_weight_g: String,
    min_weight_g: String,
    max_weight_g: String,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::Restocking,
    )
    .await?;
    domain::vending::scales::reweigh(
        &ctx.db,
        &assignment_id,
        grams(&unit_weight_g, "unit weight")?,
        grams(&min_weight_g, "minimum weight")?,
        grams(&max_weight_g, "maximum weight")?,
    )
    .await
    .map_err(to_server_error)?;
    leptos_axum::redirect(&device_path(&device_id));
    Ok(())
}

#[server(endpoint = "/admin/devices/unassign")]
pub async fn unassign_product(
    device_id: String,
    assignment_id: String,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::Restocking,
    )
    .await?;
    domain::vending::scales::unassign(&ctx.db, &assignment_id)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&device_path(&device_id));
    Ok(())
}

/// Sends the planogram and waits for the machine's acknowledgement; whether
/// it applied it shows on the page (`sync_applied` follows the ack).
#[server(endpoint = "/admin/devices/sync")]
pub async fn sync_machine(device_id: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::Restocking,
    )
    .await?;
    let command = ctx
        .machines
        .sync_planogram(device_id.clone())
        .await
        .map_err(to_server_error)?;
    if command.acked_at.is_none() {
        return Err(ServerFnError::new(format!(
            "the machine did not acknowledge the sync after {} attempts",
            command.attempts
        )));
    }
    leptos_axum::redirect(&device_path(&device_id));
    Ok(())
}

/// Service mode on opens the machine without charging; off tells it to go
/// back to normal, which closes the door and books the restock.
#[server(endpoint = "/admin/devices/service")]
pub async fn switch_service(device_id: String, turn: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ServiceMode,
    )
    .await?;
    match turn.as_str() {
        "on" => {
            ctx.machines
                .open_service(device_id.clone())
                .await
                .map_err(to_server_error)?;
        }
        "off" => {
            ctx.machines
                .end_service(device_id.clone())
                .await
                .map_err(to_server_error)?;
        }
        other => {
            return Err(invalid(format!(
                "service mode is turned \"on\" or \"off\", not {other:?}"
            )));
        }
    }
    leptos_axum::redirect(&device_path(&device_id));
    Ok(())
}

/// Issues the machine a new MQTT password (replacing the old one) and keeps
/// it in the admin's session for the page this redirects to, which shows it
/// once (a plain form post cannot carry it back otherwise).
#[server(endpoint = "/admin/devices/credentials")]
pub async fn issue_device_credentials(device_id: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let session = session().await?;
    require_admin(&session, domain::admin_users::Permission::ManageFleet).await?;
    let credentials = domain::devices::issue_credentials(&ctx.db, &device_id)
        .await
        .map_err(to_server_error)?;
    show_credentials_once(&session, credentials).await
}

/// Keeps credentials just issued in the admin's session and redirects to
/// the machine's page, which shows them once (a plain form post cannot
/// carry them back otherwise).
#[cfg(feature = "ssr")]
pub(crate) async fn show_credentials_once(
    session: &tower_sessions::Session,
    credentials: domain::devices::MqttCredentials,
) -> Result<(), ServerFnError> {
    use crate::session_keys::ISSUED_DEVICE_CREDENTIALS;
    let device_id = credentials.username.clone();
    let issued = IssuedCredentials {
        device_id: device_id.clone(),
        username: credentials.username,
        password: credentials.password,
        token: domain::ids::random_token(12),
    };
    let shown_at = format!(
        "{}?{ISSUED_PARAM}={}",
        device_path(&device_id),
        issued.token
    );
    session
        .insert(ISSUED_DEVICE_CREDENTIALS, issued)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    leptos_axum::redirect(&shown_at);
    Ok(())
}

/// Moves the machine to another location: an existing sales channel, or
/// (empty) a new channel and stock location named `location_name`.
#[server(endpoint = "/admin/devices/move")]
pub async fn move_device(
    device_id: String,
    #[server(default)] sales_channel_id: String,
    #[server(default)] location_name: String,
    #[server(default)] region_id: String,
) -> Result<(), ServerFnError> {
    use domain::vending::fleet::{self, LocationChoice};

    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageFleet,
    )
    .await?;
    let location = match sales_channel_id.trim() {
        "" => LocationChoice::New {
            name: Some(location_name),
        },
        channel => LocationChoice::Existing {
            sales_channel_id: channel.to_owned(),
            stock_location_id: None,
        },
    };
    fleet::move_machine(&ctx.db, &device_id, location, Some(region_id.as_str()))
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&device_path(&device_id));
    Ok(())
}

/// Decommissions the machine; the form asks for its id typed again, so a
/// stray click does not take a machine out of service.
#[server(endpoint = "/admin/devices/decommission")]
pub async fn decommission_device(
    device_id: String,
    #[server(default)] confirm: String,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageFleet,
    )
    .await?;
    if confirm.trim() != device_id {
        return Err(invalid(format!(
            "type the machine's id ({device_id}) to decommission it"
        )));
    }
    domain::vending::fleet::decommission(&ctx.db, &device_id)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&device_path(&device_id));
    Ok(())
}

/// The first error of any of the page's forms, as a person reads it.
fn first_error(results: &[Option<Result<(), ServerFnError>>]) -> Option<String> {
    results.iter().find_map(|r| match r {
        Some(Err(e)) => Some(crate::components::plain_error(e)),
        _ => None,
    })
}

#[derive(Clone, Copy)]
struct Actions {
    assign: ServerAction<AssignToScale>,
    reweigh: ServerAction<ReweighProduct>,
    unassign: ServerAction<UnassignProduct>,
    sync: ServerAction<SyncMachine>,
    service: ServerAction<SwitchService>,
    credentials: ServerAction<IssueDeviceCredentials>,
    relocate: ServerAction<MoveDevice>,
    decommission: ServerAction<DecommissionDevice>,
    par_level: ServerAction<super::restock::SaveParLevel>,
}

#[component]
pub fn DevicePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let actions = Actions {
        assign: ServerAction::new(),
        reweigh: ServerAction::new(),
        unassign: ServerAction::new(),
        sync: ServerAction::new(),
        service: ServerAction::new(),
        credentials: ServerAction::new(),
        relocate: ServerAction::new(),
        decommission: ServerAction::new(),
        par_level: ServerAction::new(),
    };
    let machine = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                query.read().get(ISSUED_PARAM),
                actions.assign.version().get()
                    + actions.reweigh.version().get()
                    + actions.unassign.version().get()
                    + actions.sync.version().get()
                    // Not the credentials action: it leads to `?issued=`, which
                    // reloads the machine; a load without that would forget them.
                    + actions.service.version().get()
                    + actions.relocate.version().get()
                    + actions.decommission.version().get()
                    + actions.par_level.version().get(),
            )
        },
        |(id, issued, _)| load_machine(id, issued),
    );
    let error = move || {
        first_error(&[
            actions.assign.value().get(),
            actions.reweigh.value().get(),
            actions.unassign.value().get(),
            actions.sync.value().get(),
            actions.service.value().get(),
            actions.credentials.value().get(),
            actions.relocate.value().get(),
            actions.decommission.value().get(),
            actions.par_level.value().get(),
        ])
    };
    let live = LiveDevices::follow();
    view! {
        <p><a href="/admin/devices">"← Devices"</a></p>
        {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    machine
                        .await
                        .map(|found| match found {
                            Some(machine) => view! { <MachineDetail machine actions live /> }.into_any(),
                            None => view! { <NotFound /> }.into_any(),
                        })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn MachineDetail(machine: MachineView, actions: Actions, live: LiveDevices) -> impl IntoView {
    let id = machine.id.clone();
    let status = {
        let id = id.clone();
        Memo::new(move |_| {
            live.status
                .read()
                .get(&id)
                .map(|s| (s.online, s.last_seen_at))
                .unwrap_or((machine.online, machine.last_seen_at))
        })
    };
    let activity = {
        let (id, loaded) = (id.clone(), machine.activity);
        Memo::new(move |_| {
            live.activity
                .read()
                .get(&id)
                .cloned()
                .unwrap_or_else(|| loaded.clone())
        })
    };
    let sync_pending = machine.sync.state == "pending";
    let variants = machine.variants;
    let (service_id, sync_id, credentials_id) = (id.clone(), id.clone(), id.clone());
    let (move_id, decommission_id) = (id.clone(), id.clone());
    let decommissioned = machine.decommissioned_at.map(timestamp);
    view! {
        // Until the machine answers, the page looks again by itself (with or without JavaScript).
        {sync_pending.then(|| view! { <Meta http_equiv="refresh" content="1" /> })}
        <h1>{machine.name}" "<code>{id.clone()}</code></h1>
        <dl class="facts">
            <dt>"Status"</dt>
            <dd>
                <span
                    class=move || if status.get().0 { "badge online" } else { "badge offline" }
                    data-testid="device-status"
                >
                    {move || if status.get().0 { "online" } else { "offline" }}
                </span>
            </dd>
            <dt>"Last seen"</dt>
            <dd>{move || status.get().1.map(timestamp).unwrap_or_else(|| "never".to_owned())}</dd>
            <dt>"Firmware"</dt><dd>{machine.firmware.unwrap_or_else(|| "unknown".to_owned())}</dd>
            {decommissioned.clone().map(|at| view! {
                <dt>"Decommissioned"</dt><dd><span class="badge decommissioned" data-testid="decommissioned">{at}</span></dd>
            })}
            <dt>"Address"</dt><dd data-testid="device-address">{machine.address.unwrap_or_else(|| "not given".to_owned())}</dd>
            <dt>"Position"</dt>
            <dd>{machine.position.map_or_else(|| "not given".to_owned(), |(lat, lon)| format!("{lat:.6}, {lon:.6}"))}</dd>
            <dt>"Hub"</dt><dd>{machine.hub.unwrap_or_else(|| "none".to_owned())}</dd>
            <dt>"Lockers"</dt>
            <dd data-testid="device-lockers">
                {if machine.lockers.is_empty() {
                    "none".to_owned()
                } else {
                    machine
                        .lockers
                        .iter()
                        .map(|(label, scales)| {
                            let scales: Vec<String> = scales.iter().map(i32::to_string).collect();
                            format!("{label} (scales {})", scales.join(", "))
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                }}
            </dd>
            <dt>"QR code"</dt>
            <dd><a href=format!("/admin/vending/machines/{id}/qr-code") data-testid="qr-code-link" target="_blank">"Printable QR code (SVG)"</a></dd>
            <dt>"Sales channel"</dt><dd>{machine.sales_channel.unwrap_or_else(|| "unassigned".to_owned())}</dd>
            <dt>"Stock location"</dt><dd>{machine.stock_location.unwrap_or_else(|| "unassigned".to_owned())}</dd>
            <dt>"Mode"</dt><dd data-testid="device-mode">{move || activity.read().mode.clone()}</dd>
            <dt>"Door"</dt><dd data-testid="door-state">{move || activity.read().door.clone()}</dd>
        </dl>

        <h2>"Service mode"</h2>
        <ActionForm action=actions.service attr:class="inline" attr:data-testid="service-form">
            <input type="hidden" name="device_id" value=service_id />
            {move || match activity.with(|a| a.service_session.clone()) {
                Some(session) => view! {
                    <p>"On: session "<a href=format!("/admin/vending/sessions/{session}")><code>{session.clone()}</code></a></p>
                    <input type="hidden" name="turn" value="off" />
                    <button type="submit" disabled=move || actions.service.pending().get()>"Turn service mode off"</button>
                }.into_any(),
                None => view! {
                    <input type="hidden" name="turn" value="on" />
                    <button type="submit" disabled=move || actions.service.pending().get()>"Turn service mode on"</button>
                }.into_any(),
            }}
        </ActionForm>

        <h2>"MQTT credentials"</h2>
        {machine.issued_credentials.map(|issued| view! {
            <div class="notice warning" role="alert" data-testid="issued-credentials">
                <p>
                    <strong>"Copy this password now: it is shown only this once."</strong>
                    " Only its hash is kept. Configure it on the machine; new connections with the old password are refused."
                </p>
                <dl class="facts">
                    <dt>"Username"</dt><dd><code data-testid="credentials-username">{issued.username}</code></dd>
                    <dt>"Password"</dt><dd><code data-testid="credentials-password">{issued.password}</code></dd>
                </dl>
            </div>
        })}
        <p data-testid="credentials-state">
            {if machine.has_credentials {
                "The machine has a password. Issuing a new one replaces it."
            } else {
                "The machine has no password yet: it cannot sign in to the broker."
            }}
        </p>
        <ActionForm action=actions.credentials attr:class="inline" attr:data-testid="credentials-form">
            <input type="hidden" name="device_id" value=credentials_id />
            <button type="submit" disabled=move || actions.credentials.pending().get()>"Issue new credentials"</button>
        </ActionForm>

        <h2>"Scale weights"</h2>
        {move || {
            let DeviceActivity { weights_at, weights, .. } = activity.get();
            match weights_at {
            None => view! { <p class="empty">"The machine has not reported its scales yet."</p> }.into_any(),
            Some(at) => view! {
                <p class="muted" data-testid="weights-at">{format!("As reported {}", timestamp(at))}</p>
                <table class="data" data-testid="scale-weights">
                    <thead><tr><th>"Scale"</th><th>"Grams"</th><th>"Stable"</th></tr></thead>
                    <tbody>
                        {weights.into_iter().map(|(scale, grams, stable)| view! {
                            <tr data-scale=scale><td>{scale}</td><td>{grams}</td><td>{if stable { "yes" } else { "no" }}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any(),
            }
        }}

        <h2>"Scales"</h2>
        {machine.scales.is_empty().then(|| view! { <p class="empty">"This machine has no scales."</p> })}
        {machine
            .scales
            .into_iter()
            .map(|scale| view! { <ScaleEditor device_id=id.clone() scale variants=variants.clone() actions /> })
            .collect_view()}

        <super::restock::ParLevels device_id=id.clone() rows=machine.stock save=actions.par_level />

        <h2>"Planogram"</h2>
        <p>
            "Sync: "
            <span class=format!("badge {}", machine.sync.state) data-testid="sync-status" data-state=machine.sync.state.clone()>
                {machine.sync.state.clone()}
            </span>
            " "{machine.sync.detail}
        </p>
        <ActionForm action=actions.sync attr:class="inline" attr:data-testid="sync-form">
            <input type="hidden" name="device_id" value=sync_id />
            <button type="submit" disabled=move || actions.sync.pending().get()>
                {move || if actions.sync.pending().get() { "Syncing…" } else { "Sync to machine" }}
            </button>
        </ActionForm>

        <h2>"Location"</h2>
        <ActionForm action=actions.relocate attr:class="inline" attr:data-testid="move-form">
            <input type="hidden" name="device_id" value=move_id />
            <label>
                "Move to "
                <select name="sales_channel_id">
                    <option value="">"a new location named:"</option>
                    {machine
                        .sales_channels
                        .into_iter()
                        .map(|(id, name)| view! { <option value=id>{name}</option> })
                        .collect_view()}
                </select>
            </label>
            <input name="location_name" placeholder="new location's name" />
            <label>
                " Pick-up in "
                <select name="region_id">
                    {machine
                        .regions
                        .into_iter()
                        .map(|(id, name)| view! { <option value=id>{name}</option> })
                        .collect_view()}
                </select>
            </label>
            <button type="submit" disabled=move || actions.relocate.pending().get()>"Move"</button>
        </ActionForm>

        {decommissioned.is_none().then(|| view! {
            <h2>"Decommission"</h2>
            <p class="muted">"A decommissioned machine opens for no new session and can no longer sign in; its sessions and orders stay."</p>
            <ActionForm action=actions.decommission attr:class="inline" attr:data-testid="decommission-form">
                <input type="hidden" name="device_id" value=decommission_id />
                <label>"Type its id to confirm " <input name="confirm" required /></label>
                <button type="submit" class="danger" disabled=move || actions.decommission.pending().get()>"Decommission"</button>
            </ActionForm>
        })}

        <h2>"Sessions"</h2>
        {if machine.sessions.is_empty() {
            view! { <p class="empty">"No sessions yet."</p> }.into_any()
        } else {
            view! { <SessionRows rows=machine.sessions /> }.into_any()
        }}
    }
}

/// One scale's products, each editable and removable, and a form to add one.
#[component]
fn ScaleEditor(
    device_id: String,
    scale: ScaleView,
    variants: Vec<(String, String)>,
    actions: Actions,
) -> impl IntoView {
    let weight_inputs = |unit: Option<i32>, min: Option<i32>, max: Option<i32>| {
        let shown = |g: Option<i32>| g.map(|g| g.to_string()).unwrap_or_default();
        view! {
            <label>"Unit g" <input name="unit_weight_g" inputmode="numeric" required value=shown(unit) /></label>
            <label>"Min g" <input name="min_weight_g" inputmode="numeric" required value=shown(min) /></label>
            <label>"Max g" <input name="max_weight_g" inputmode="numeric" required value=shown(max) /></label>
        }
    };
    let assigned = scale.products;
    let scale_id = scale.id;
    view! {
        <section class="scale" data-scale=scale.position>
            <h3>{format!("Scale {}", scale.position)}</h3>
            {assigned
                .into_iter()
                .map(|p| {
                    let (reweigh_device, unassign_device) = (device_id.clone(), device_id.clone());
                    let (reweigh_id, unassign_id) = (p.id.clone(), p.id);
                    view! {
                        <div class="assignment" data-variant=p.variant_id>
                            <strong>{p.label}</strong>
                            <ActionForm action=actions.reweigh attr:class="inline">
                                <input type="hidden" name="device_id" value=reweigh_device />
                                <input type="hidden" name="assignment_id" value=reweigh_id />
                                {weight_inputs(Some(p.unit_weight_g), Some(p.min_weight_g), Some(p.max_weight_g))}
                                <button type="submit">"Save"</button>
                            </ActionForm>
                            <ActionForm action=actions.unassign attr:class="inline">
                                <input type="hidden" name="device_id" value=unassign_device />
                                <input type="hidden" name="assignment_id" value=unassign_id />
                                <button type="submit" class="danger">"Remove"</button>
                            </ActionForm>
                        </div>
                    }
                })
                .collect_view()}
            <ActionForm action=actions.assign attr:class="inline" attr:data-testid=format!("assign-form-{}", scale.position)>
                <input type="hidden" name="device_id" value=device_id.clone() />
                <input type="hidden" name="scale_id" value=scale_id />
                <label>
                    "Product"
                    <select name="variant_id" required>
                        {variants
                            .into_iter()
                            .map(|(id, label)| view! { <option value=id>{label}</option> })
                            .collect_view()}
                    </select>
                </label>
                {weight_inputs(None, None, None)}
                <label>"Deposit" <input name="deposit" inputmode="decimal" placeholder="none" /></label>
                <label>"Empty container g" <input name="container_weight_g" inputmode="numeric" placeholder="none" /></label>
                <button type="submit">"Add to scale"</button>
            </ActionForm>
        </section>
    }
}
