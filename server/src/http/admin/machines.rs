//! `/admin/vending/machines`: the fleet. Adding a machine (with its
//! lockers, scales, location and MQTT credentials), listing machines with
//! their firmware and last synced planogram, moving one to another
//! location, decommissioning it. Not Medusa routes (Medusa has no
//! machines), shaped as Medusa's are: `{machine}`, `{machines, count, …}`.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
    http::header,
    response::IntoResponse,
};
use chrono::{DateTime, Utc};
use domain::{
    devices::{MqttCredentials, device},
    vending::{
        fleet::{
            self, GeoPosition, LocationChoice, MachineFilter, NewLocker, NewMachine, NewScale,
            Placement, Status,
        },
        hub, locker, scale,
    },
};
use serde::{Deserialize, Serialize};

use super::Listing;
use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

#[derive(Serialize)]
pub struct AdminMachine {
    id: String,
    name: String,
    /// `active` or `decommissioned`.
    status: &'static str,
    address: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    hub_id: Option<String>,
    sales_channel_id: Option<String>,
    online: bool,
    last_seen_at: Option<DateTime<Utc>>,
    /// The firmware the machine last named in a heartbeat.
    firmware: Option<String>,
    /// The planogram version the machine last confirmed applying.
    sync_version: Option<i64>,
    has_credentials: bool,
    created_at: DateTime<Utc>,
    decommissioned_at: Option<DateTime<Utc>>,
}

impl From<device::Model> for AdminMachine {
    fn from(d: device::Model) -> Self {
        let position = GeoPosition::of(&d);
        Self {
            status: Status::of(&d).as_str(),
            latitude: position.map(|p| p.latitude()),
            longitude: position.map(|p| p.longitude()),
            id: d.id,
            name: d.name,
            address: d.address,
            hub_id: d.hub_id,
            sales_channel_id: d.sales_channel_id,
            online: d.online,
            last_seen_at: d.last_seen_at,
            firmware: d.firmware,
            sync_version: d.planogram_version,
            has_credentials: d.mqtt_password_hash.is_some(),
            created_at: d.created_at,
            decommissioned_at: d.decommissioned_at,
        }
    }
}

#[derive(Serialize)]
pub struct AdminHub {
    id: String,
    name: String,
}

impl From<hub::Model> for AdminHub {
    fn from(h: hub::Model) -> Self {
        Self {
            id: h.id,
            name: h.name,
        }
    }
}

#[derive(Serialize)]
pub struct AdminLocker {
    id: String,
    label: String,
    scales: Vec<AdminLockerScale>,
}

#[derive(Serialize)]
pub struct AdminLockerScale {
    id: String,
    position: i32,
    noise_grams: i32,
}

fn admin_locker((locker, scales): (locker::Model, Vec<scale::Model>)) -> AdminLocker {
    AdminLocker {
        id: locker.id,
        label: locker.label,
        scales: scales
            .into_iter()
            .map(|s| AdminLockerScale {
                id: s.id,
                position: s.position,
                noise_grams: s.noise_grams,
            })
            .collect(),
    }
}

/// Where a machine sells from.
#[derive(Serialize)]
pub struct AdminPlacement {
    sales_channel_id: String,
    stock_location_id: String,
    /// Its pick-up shipping option.
    shipping_option_id: String,
}

impl From<Placement> for AdminPlacement {
    fn from(p: Placement) -> Self {
        Self {
            sales_channel_id: p.sales_channel.id,
            stock_location_id: p.stock_location.id,
            shipping_option_id: p.pickup.id,
        }
    }
}

/// One machine with its hub, lockers and location.
#[derive(Serialize)]
pub struct MachineDetail {
    #[serde(flatten)]
    machine: AdminMachine,
    hub: Option<AdminHub>,
    lockers: Vec<AdminLocker>,
    stock_location_id: Option<String>,
}

#[derive(Serialize)]
pub struct MachineResponse {
    machine: MachineDetail,
}

#[derive(Serialize)]
pub struct AddedResponse {
    machine: MachineDetail,
    location: AdminPlacement,
    /// Shown this once: only its hash is kept.
    credentials: Option<MqttCredentials>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockerBody {
    label: String,
    #[serde(default)]
    scales: Vec<ScaleBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleBody {
    position: i32,
    #[serde(default)]
    noise_grams: i32,
}

/// Where a machine sells from: an existing sales channel (and one of its
/// stock locations), or, without `sales_channel_id`, new ones named `name`
/// (the machine's name by default).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LocationBody {
    sales_channel_id: Option<String>,
    stock_location_id: Option<String>,
    name: Option<String>,
}

impl LocationBody {
    fn choice(self) -> Result<LocationChoice, ApiError> {
        match (self.sales_channel_id, self.stock_location_id, self.name) {
            (Some(sales_channel_id), stock_location_id, None) => Ok(LocationChoice::Existing {
                sales_channel_id,
                stock_location_id,
            }),
            (None, None, name) => Ok(LocationChoice::New { name }),
            (None, Some(_), _) => Err(ApiError::invalid_data(
                "location.stock_location_id needs location.sales_channel_id".to_owned(),
            )),
            (Some(_), _, Some(_)) => Err(ApiError::invalid_data(
                "location names an existing sales channel or a new location's name, not both"
                    .to_owned(),
            )),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMachineBody {
    id: String,
    name: String,
    address: Option<String>,
    /// Decimal degrees; both or neither.
    latitude: Option<f64>,
    longitude: Option<f64>,
    /// A hub's name: joins that hub, or starts one.
    hub: Option<String>,
    lockers: Vec<LockerBody>,
    #[serde(default)]
    location: Option<LocationBody>,
    /// The region of the pick-up option; the store's only region by default.
    region_id: Option<String>,
}

/// Decimal degrees to a position: both or neither.
pub fn position(
    latitude: Option<f64>,
    longitude: Option<f64>,
) -> Result<Option<GeoPosition>, domain::DomainError> {
    match (latitude, longitude) {
        (Some(lat), Some(lon)) => GeoPosition::from_degrees(lat, lon).map(Some),
        (None, None) => Ok(None),
        _ => Err(domain::DomainError::Invalid(
            "a geo position needs both latitude and longitude".into(),
        )),
    }
}

/// `POST /admin/vending/machines`: adds a machine and issues its MQTT
/// credentials (shown once).
pub async fn create(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    body: Result<Json<NewMachineBody>, JsonRejection>,
) -> Result<Json<AddedResponse>, ApiError> {
    let Json(body) = body?;
    let new = NewMachine {
        position: position(body.latitude, body.longitude)?,
        id: body.id,
        name: body.name,
        address: body.address,
        hub: body.hub,
        lockers: body
            .lockers
            .into_iter()
            .map(|l| NewLocker {
                label: l.label,
                scales: l
                    .scales
                    .into_iter()
                    .map(|s| NewScale {
                        position: s.position,
                        noise_grams: s.noise_grams,
                    })
                    .collect(),
            })
            .collect(),
        location: body.location.unwrap_or_default().choice()?,
        region_id: body.region_id,
        issue_credentials: true,
    };
    let added = fleet::add_machine(&state.db, new).await?;
    let stock_location_id = Some(added.placement.stock_location.id.clone());
    Ok(Json(AddedResponse {
        machine: MachineDetail {
            machine: added.device.into(),
            hub: added.hub.map(Into::into),
            lockers: added.lockers.into_iter().map(admin_locker).collect(),
            stock_location_id,
        },
        location: added.placement.into(),
        credentials: added.credentials,
    }))
}

/// `GET /admin/vending/machines?firmware=&sync_version=&status=&offset=&limit=`,
/// by id.
pub async fn list(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    params: Params,
) -> Result<Json<Listing<AdminMachine>>, ApiError> {
    let (offset, limit) = params.page()?;
    let filter = MachineFilter {
        firmware: params.text("firmware")?.filter(|f| !f.trim().is_empty()),
        sync_version: params
            .text("sync_version")?
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.parse())
            .transpose()?,
        status: params
            .text("status")?
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.parse())
            .transpose()?,
    };
    let page = fleet::list(&state.db, &filter, offset, limit).await?;
    Ok(Listing::of("machines", page, AdminMachine::from))
}

async fn detail(state: &AppState, id: &str) -> Result<MachineDetail, ApiError> {
    let machine = domain::vending::machines::find(&state.db, id).await?;
    let hub = fleet::hub_of(&state.db, &machine.device).await?;
    let lockers = fleet::lockers_of(&state.db, id).await?;
    Ok(MachineDetail {
        machine: machine.device.into(),
        hub: hub.map(Into::into),
        lockers: lockers.into_iter().map(admin_locker).collect(),
        stock_location_id: machine.location.map(|l| l.id),
    })
}

/// `GET /admin/vending/machines/{device_id}`.
pub async fn retrieve(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    Path(id): Path<String>,
) -> Result<Json<MachineResponse>, ApiError> {
    Ok(Json(MachineResponse {
        machine: detail(&state, &id).await?,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    location: LocationBody,
    region_id: Option<String>,
}

#[derive(Serialize)]
pub struct MovedResponse {
    machine: MachineDetail,
    location: AdminPlacement,
}

/// `POST /admin/vending/machines/{device_id}/location {location, region_id}`:
/// moves the machine to another location.
pub async fn move_machine(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    Path(id): Path<String>,
    body: Result<Json<MoveBody>, JsonRejection>,
) -> Result<Json<MovedResponse>, ApiError> {
    let Json(body) = body?;
    let (_, placement) = fleet::move_machine(
        &state.db,
        &id,
        body.location.choice()?,
        body.region_id.as_deref(),
    )
    .await?;
    Ok(Json(MovedResponse {
        machine: detail(&state, &id).await?,
        location: placement.into(),
    }))
}

/// `POST /admin/vending/machines/{device_id}/decommission`: no new
/// sessions, no more sign-ins; its history stays.
pub async fn decommission(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    Path(id): Path<String>,
) -> Result<Json<MachineResponse>, ApiError> {
    fleet::decommission(&state.db, &id).await?;
    Ok(Json(MachineResponse {
        machine: detail(&state, &id).await?,
    }))
}

/// Modules of the printed code's narrowest side; the renderer scales up to
/// at least this many SVG units, quiet zone included.
const QR_MIN_SIZE: u32 = 256;

/// The machine's storefront page as a QR code: an SVG to print and stick on
/// the machine. A decommissioned machine has none (its page opens nothing).
pub fn storefront_qr_svg(url: &str) -> Result<String, ApiError> {
    let code = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M)
        .map_err(|e| ApiError::invalid_data(format!("{url} does not fit a QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(QR_MIN_SIZE, QR_MIN_SIZE)
        .quiet_zone(true)
        .build())
}

/// `GET /admin/vending/machines/{device_id}/qr-code`: an SVG QR code of the
/// machine's storefront page (`AUTOMAT_PUBLIC_URL` + `/machines/{id}`).
pub async fn qr_code(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let machine = domain::vending::machines::find(&state.db, &id).await?;
    fleet::refuse_if_decommissioned(&machine.device)?;
    let url = state
        .browser
        .public_url(&format!("/machines/{}", machine.device.id));
    let svg = storefront_qr_svg(&url)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"machine-qr-code.svg\"",
            ),
        ],
        svg,
    ))
}
