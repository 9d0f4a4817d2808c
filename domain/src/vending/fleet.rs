//! The fleet as an operator runs it: adding a machine (where it stands, its
//! hub, its lockers and their scales, the location it sells from with its
//! pick-up option), moving it to another location, and decommissioning it.
//! The demo seed adds its machines here too, so a seeded machine and one an
//! admin adds are wired the same way.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionSession,
};

use super::{hub, locker, scale, scales, sessions};
use crate::{
    DomainError, channels,
    channels::{NewStockLocation, sales_channel, stock_location},
    devices::{self, MqttCredentials, device, protocol::DeviceId},
    error::referenced,
    ids::new_id,
    pricing,
    shipping::{self, NewShippingOption, shipping_option},
    text,
};

/// Pick-up options are named "Pick up at <stock location>" and cost nothing.
pub const PICKUP_PREFIX: &str = "Pick up at ";
const MAX_NAME: usize = text::NAME_CHARS;
const MAX_ADDRESS: usize = text::ADDRESS_CHARS;
const MAX_LOCKER_LABEL: usize = 16;
/// A scale's noise above this is a typo (grams, not milligrams).
const MAX_NOISE_GRAMS: i32 = 1000;

/// A geo position, kept in millionths of a degree (about 11 cm at the
/// equator): integers compare exactly on every database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeoPosition {
    pub latitude_microdeg: i32,
    pub longitude_microdeg: i32,
}

impl GeoPosition {
    /// From decimal degrees: latitude in [-90, 90], longitude in [-180, 180].
    pub fn from_degrees(latitude: f64, longitude: f64) -> Result<Self, DomainError> {
        if !latitude.is_finite() || !(-90.0..=90.0).contains(&latitude) {
            return Err(DomainError::Invalid(format!(
                "latitude {latitude} is out of range (-90 to 90)"
            )));
        }
        if !longitude.is_finite() || !(-180.0..=180.0).contains(&longitude) {
            return Err(DomainError::Invalid(format!(
                "longitude {longitude} is out of range (-180 to 180)"
            )));
        }
        // In range, so the rounded values fit an i32 (at most 180,000,000).
        Ok(Self {
            latitude_microdeg: (latitude * 1e6).round() as i32,
            longitude_microdeg: (longitude * 1e6).round() as i32,
        })
    }

    pub fn latitude(&self) -> f64 {
        f64::from(self.latitude_microdeg) / 1e6
    }

    pub fn longitude(&self) -> f64 {
        f64::from(self.longitude_microdeg) / 1e6
    }

    /// A device's stored position, when it has one.
    pub fn of(device: &device::Model) -> Option<Self> {
        Some(Self {
            latitude_microdeg: device.latitude_microdeg?,
            longitude_microdeg: device.longitude_microdeg?,
        })
    }
}

/// A door of a new machine and the scales behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLocker {
    /// What is printed on the door, e.g. `A`.
    pub label: String,
    pub scales: Vec<NewScale>,
}

impl NewLocker {
    /// A locker as an operator types it: its label, then the positions of
    /// its scales, e.g. `A:1,2,3` (`A` alone: a door without scales), every
    /// scale with `noise_grams`.
    pub fn parse(spec: &str, noise_grams: i32) -> Result<Self, DomainError> {
        let (label, positions) = spec.split_once(':').unwrap_or((spec, ""));
        let scales = positions
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse()
                    .map(|position| NewScale {
                        position,
                        noise_grams,
                    })
                    .map_err(|_| {
                        DomainError::Invalid(format!(
                            "scale position {p:?} of locker {spec:?} is not a whole number"
                        ))
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            label: label.trim().to_owned(),
            scales,
        })
    }

    /// Several lockers, one per line or separated by `;` (see [`Self::parse`]).
    pub fn parse_all(text: &str, noise_grams: i32) -> Result<Vec<Self>, DomainError> {
        text.split([';', '\n'])
            .map(str::trim)
            .filter(|spec| !spec.is_empty())
            .map(|spec| Self::parse(spec, noise_grams))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewScale {
    /// The number the machine reports the scale's readings under.
    pub position: i32,
    pub noise_grams: i32,
}

/// Where a machine sells from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocationChoice {
    /// A sales channel and a stock location of their own, called `name`
    /// (the machine's name when `None`) at the machine's address.
    New { name: Option<String> },
    /// An existing sales channel, with the stock location that supplies it
    /// (linked to it if it was not), or its first one when `None`.
    Existing {
        sales_channel_id: String,
        stock_location_id: Option<String>,
    },
}

/// A machine to add.
#[derive(Debug, Clone)]
pub struct NewMachine {
    /// The id it signs in and publishes under (see [`DeviceId`]).
    pub id: String,
    pub name: String,
    pub address: Option<String>,
    pub position: Option<GeoPosition>,
    /// The hub's name: an existing hub of that name, or a new one.
    pub hub: Option<String>,
    pub lockers: Vec<NewLocker>,
    pub location: LocationChoice,
    /// The region of its pick-up option; the only region when `None`.
    pub region_id: Option<String>,
    /// Whether to issue its MQTT password now (the demo seed does not: a
    /// simulated machine is given one when it starts).
    pub issue_credentials: bool,
}

/// Where a machine sells from, and how shoppers pick up there.
#[derive(Debug, Clone)]
pub struct Placement {
    pub sales_channel: sales_channel::Model,
    pub stock_location: stock_location::Model,
    pub pickup: shipping_option::Model,
}

/// A machine just added.
#[derive(Debug, Clone)]
pub struct AddedMachine {
    pub device: device::Model,
    pub hub: Option<hub::Model>,
    /// Each locker with its scales, in the order given.
    pub lockers: Vec<(locker::Model, Vec<scale::Model>)>,
    pub placement: Placement,
    /// Shown this once: only the hash is kept.
    pub credentials: Option<MqttCredentials>,
}

impl AddedMachine {
    /// Every scale of the machine, in the order given.
    pub fn scales(&self) -> impl Iterator<Item = &scale::Model> {
        self.lockers.iter().flat_map(|(_, scales)| scales)
    }
}

/// What [`add_machine`] checks before it writes anything, with the text trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Checked {
    id: DeviceId,
    name: String,
    address: Option<String>,
    hub: Option<String>,
    lockers: Vec<NewLocker>,
}

/// Checks a new machine's own fields (not what they refer to).
fn check(new: &NewMachine) -> Result<Checked, DomainError> {
    let id = DeviceId::parse(new.id.trim())?;
    let name = text::required(
        &new.name,
        "a machine's name",
        MAX_NAME,
        "a machine needs a name",
    )?;
    let address = text::optional(new.address.as_deref(), "an address", MAX_ADDRESS)?;
    let hub = text::optional(new.hub.as_deref(), "a hub's name", MAX_NAME)?;
    if new.lockers.is_empty() {
        return Err(DomainError::Invalid(
            "a machine needs at least one locker (door)".into(),
        ));
    }
    let mut labels = HashSet::new();
    let mut positions = HashSet::new();
    let mut lockers = Vec::with_capacity(new.lockers.len());
    for locker in &new.lockers {
        let label = text::required(
            &locker.label,
            "a locker's label",
            MAX_LOCKER_LABEL,
            "every locker needs a label (e.g. A)",
        )?;
        if !labels.insert(label.clone()) {
            return Err(DomainError::Invalid(format!(
                "two lockers are labelled {label:?}"
            )));
        }
        for s in &locker.scales {
            if s.position < 0 {
                return Err(DomainError::Invalid(format!(
                    "scale position {} is negative",
                    s.position
                )));
            }
            if !(0..=MAX_NOISE_GRAMS).contains(&s.noise_grams) {
                return Err(DomainError::Invalid(format!(
                    "scale {}'s noise must be 0 to {MAX_NOISE_GRAMS} g, not {}",
                    s.position, s.noise_grams
                )));
            }
            // The machine reports readings by position alone, whatever the door.
            if !positions.insert(s.position) {
                return Err(DomainError::Invalid(format!(
                    "scale position {} is used twice; positions are unique across the machine",
                    s.position
                )));
            }
        }
        lockers.push(NewLocker {
            label,
            scales: locker.scales.clone(),
        });
    }
    if let LocationChoice::New { name } = &new.location {
        location_name(name.as_deref())?;
    }
    Ok(Checked {
        id,
        name,
        address,
        hub,
        lockers,
    })
}

fn location_name(name: Option<&str>) -> Result<Option<String>, DomainError> {
    text::optional(name, "a location's name", MAX_NAME)
}

/// Adds a machine: the device with its address, position and hub, its
/// lockers and scales, the location it sells from with its pick-up option,
/// all in one transaction; then its MQTT password when asked for. Bad
/// input is refused before anything is written; an id already taken is a
/// conflict.
pub async fn add_machine<C: crate::db::Writable>(
    db: &C,
    new: NewMachine,
) -> Result<AddedMachine, DomainError> {
    let checked = check(&new)?;
    let id = checked.id.as_str().to_owned();
    if device::Entity::find_by_id(&id).one(db).await?.is_some() {
        return Err(DomainError::Conflict(format!(
            "a machine {id} already exists"
        )));
    }
    let txn = crate::db::begin_write(db).await?;
    let hub = match &checked.hub {
        Some(name) => Some(hub_named(&txn, name).await?),
        None => None,
    };
    let registered = devices::register(&txn, &id, &checked.name).await?;
    let mut active = registered.into_active_model();
    active.address = Set(checked.address.clone());
    active.latitude_microdeg = Set(new.position.map(|p| p.latitude_microdeg));
    active.longitude_microdeg = Set(new.position.map(|p| p.longitude_microdeg));
    active.hub_id = Set(hub.as_ref().map(|h| h.id.clone()));
    active.update(&txn).await?;
    let mut lockers = Vec::with_capacity(checked.lockers.len());
    for new_locker in &checked.lockers {
        let locker = locker::ActiveModel {
            id: Set(new_id("lock")),
            device_id: Set(id.clone()),
            label: Set(new_locker.label.clone()),
            created_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await?;
        let mut added = Vec::with_capacity(new_locker.scales.len());
        for s in &new_locker.scales {
            added.push(
                scales::add_scale_to(&txn, &id, Some(&locker.id), s.position, s.noise_grams)
                    .await?,
            );
        }
        lockers.push((locker, added));
    }
    let placement = place(
        &txn,
        &id,
        &checked.name,
        checked.address.as_deref(),
        &new.location,
        new.region_id.as_deref(),
    )
    .await?;
    txn.commit().await?;
    // After the commit: hashing takes a while, and a write lock held
    // meanwhile would stall every other writer on SQLite. A machine left
    // without a password (the hashing failed) gets one from its page.
    let credentials = if new.issue_credentials {
        Some(devices::issue_credentials(db, &id).await?)
    } else {
        None
    };
    let device = find_device(db, &id).await?;
    Ok(AddedMachine {
        device,
        hub,
        lockers,
        placement,
        credentials,
    })
}

/// Moves a machine to another location: it sells through that sales
/// channel, from that stock location, with its pick-up option. Refused
/// while a session runs (what it sells would be booked at the old place)
/// and for a decommissioned machine.
pub async fn move_machine<C: crate::db::Writable>(
    db: &C,
    id: &str,
    location: LocationChoice,
    region_id: Option<&str>,
) -> Result<(device::Model, Placement), DomainError> {
    if let LocationChoice::New { name } = &location {
        location_name(name.as_deref())?;
    }
    let txn = crate::db::begin_write(db).await?;
    let machine = find_device(&txn, id).await?;
    refuse_if_decommissioned(&machine)?;
    refuse_while_busy(&txn, id, "moved").await?;
    let placement = place(
        &txn,
        id,
        &machine.name,
        machine.address.as_deref(),
        &location,
        region_id,
    )
    .await?;
    let device = find_device(&txn, id).await?;
    txn.commit().await?;
    Ok((device, placement))
}

/// Takes a machine out of service: it opens for no new session, signs in
/// no more (its MQTT password is dropped), and keeps its sessions, orders
/// and events. Refused while a session runs: end or close that one first.
pub async fn decommission<C: crate::db::Writable>(
    db: &C,
    id: &str,
) -> Result<device::Model, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let machine = find_device(&txn, id).await?;
    refuse_if_decommissioned(&machine)?;
    refuse_while_busy(&txn, id, "decommissioned").await?;
    let mut active = machine.into_active_model();
    active.decommissioned_at = Set(Some(Utc::now()));
    active.mqtt_password_hash = Set(None);
    let device = active.update(&txn).await?;
    txn.commit().await?;
    Ok(device)
}

/// Whether a machine is in service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Decommissioned,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Decommissioned => "decommissioned",
        }
    }

    pub fn of(device: &device::Model) -> Self {
        if device.decommissioned_at.is_some() {
            Self::Decommissioned
        } else {
            Self::Active
        }
    }
}

impl std::str::FromStr for Status {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, DomainError> {
        match s {
            "active" => Ok(Self::Active),
            "decommissioned" => Ok(Self::Decommissioned),
            other => Err(DomainError::Invalid(format!(
                "a machine's status is active or decommissioned, not {other:?}"
            ))),
        }
    }
}

/// Which machines a fleet listing shows; every field narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MachineFilter {
    /// The firmware the machine last named, exactly.
    pub firmware: Option<String>,
    /// The planogram version it last confirmed applying.
    pub sync_version: Option<SyncVersion>,
    pub status: Option<Status>,
}

/// A machine's last synced planogram version, as a filter asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncVersion {
    /// Never confirmed a planogram.
    Never,
    Version(i64),
}

impl std::str::FromStr for SyncVersion {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, DomainError> {
        match s.trim() {
            "never" | "none" => Ok(Self::Never),
            n => n.parse().map(Self::Version).map_err(|_| {
                DomainError::Invalid(format!(
                    "a sync version is a whole number or \"never\", not {s:?}"
                ))
            }),
        }
    }
}

/// Machines by id, one page at a time.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &MachineFilter,
    offset: u64,
    limit: u64,
) -> Result<crate::paging::Page<device::Model>, DomainError> {
    let mut select = device::Entity::find().order_by_asc(device::Column::Id);
    if let Some(firmware) = &filter.firmware {
        select = select.filter(device::Column::Firmware.eq(firmware.as_str()));
    }
    select = match filter.sync_version {
        Some(SyncVersion::Never) => select.filter(device::Column::PlanogramVersion.is_null()),
        Some(SyncVersion::Version(v)) => select.filter(device::Column::PlanogramVersion.eq(v)),
        None => select,
    };
    select = match filter.status {
        Some(Status::Active) => select.filter(device::Column::DecommissionedAt.is_null()),
        Some(Status::Decommissioned) => {
            select.filter(device::Column::DecommissionedAt.is_not_null())
        }
        None => select,
    };
    crate::paging::page_of(db, select, offset, limit).await
}

/// The firmware versions machines named, for a filter's choices.
pub async fn firmware_versions(db: &impl ConnectionTrait) -> Result<Vec<String>, DomainError> {
    use sea_orm::QuerySelect;
    Ok(device::Entity::find()
        .select_only()
        .column(device::Column::Firmware)
        .distinct()
        .filter(device::Column::Firmware.is_not_null())
        .order_by_asc(device::Column::Firmware)
        .into_tuple::<String>()
        .all(db)
        .await?)
}

/// A machine's lockers with their scales, by label and position.
pub async fn lockers_of(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Vec<(locker::Model, Vec<scale::Model>)>, DomainError> {
    let lockers = locker::Entity::find()
        .filter(locker::Column::DeviceId.eq(id))
        .order_by_asc(locker::Column::Label)
        .all(db)
        .await?;
    let scales = scale::Entity::find()
        .filter(scale::Column::DeviceId.eq(id))
        .order_by_asc(scale::Column::Position)
        .all(db)
        .await?;
    Ok(lockers
        .into_iter()
        .map(|l| {
            let inside = scales
                .iter()
                .filter(|s| s.locker_id.as_deref() == Some(l.id.as_str()))
                .cloned()
                .collect();
            (l, inside)
        })
        .collect())
}

/// The hub a machine belongs to, if any.
pub async fn hub_of(
    db: &impl ConnectionTrait,
    machine: &device::Model,
) -> Result<Option<hub::Model>, DomainError> {
    match &machine.hub_id {
        Some(id) => Ok(hub::Entity::find_by_id(id).one(db).await?),
        None => Ok(None),
    }
}

/// The refusal a decommissioned machine gives to anything new.
pub fn refuse_if_decommissioned(machine: &device::Model) -> Result<(), DomainError> {
    match machine.decommissioned_at {
        Some(at) => Err(DomainError::NotAllowed(format!(
            "machine {} was decommissioned on {}; it takes no new sessions",
            machine.id,
            at.format("%Y-%m-%d")
        ))),
        None => Ok(()),
    }
}

async fn refuse_while_busy(
    db: &impl ConnectionTrait,
    id: &str,
    what: &str,
) -> Result<(), DomainError> {
    match sessions::active_session(db, id).await? {
        Some(session) => Err(DomainError::Conflict(format!(
            "machine {id} cannot be {what} during session {}; end or close it first",
            session.id
        ))),
        None => Ok(()),
    }
}

async fn find_device(db: &impl ConnectionTrait, id: &str) -> Result<device::Model, DomainError> {
    device::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Machine", id))
}

/// The hub called `name` (the oldest of that name), created when there is none.
async fn hub_named(db: &impl ConnectionTrait, name: &str) -> Result<hub::Model, DomainError> {
    let found = hub::Entity::find()
        .filter(hub::Column::Name.eq(name))
        .order_by_asc(hub::Column::CreatedAt)
        .one(db)
        .await?;
    match found {
        Some(hub) => Ok(hub),
        None => Ok(hub::ActiveModel {
            id: Set(new_id("hub")),
            name: Set(name.to_owned()),
            created_at: Set(Utc::now()),
        }
        .insert(db)
        .await?),
    }
}

/// Makes machine `id` sell through the chosen location, with a pick-up
/// option there (the location's own if it has one in the region).
async fn place(
    db: &impl ConnectionTrait,
    id: &str,
    machine_name: &str,
    address: Option<&str>,
    choice: &LocationChoice,
    region_id: Option<&str>,
) -> Result<Placement, DomainError> {
    let region_id = pickup_region(db, region_id).await?;
    let (sales_channel, stock_location) = match choice {
        LocationChoice::New { name } => {
            let name = location_name(name.as_deref())?.unwrap_or_else(|| machine_name.to_owned());
            let channel = channels::create_sales_channel(db, &name, None).await?;
            let location = channels::create_linked_stock_location(
                db,
                &channel.id,
                NewStockLocation {
                    name,
                    address_1: address.map(str::to_owned),
                    ..Default::default()
                },
            )
            .await?;
            (channel, location)
        }
        LocationChoice::Existing {
            sales_channel_id,
            stock_location_id,
        } => {
            let channel = referenced(
                channels::find_sales_channel(db, sales_channel_id).await,
                "sales channel",
                sales_channel_id,
            )?;
            let location_id = match stock_location_id {
                Some(location_id) => location_id.clone(),
                None => channels::stock_location_ids(db, std::slice::from_ref(&channel.id))
                    .await?
                    .into_iter()
                    .next()
                    .ok_or_else(|| {
                        DomainError::Invalid(format!(
                            "sales channel {} has no stock location; choose one",
                            channel.id
                        ))
                    })?,
            };
            let location = referenced(
                channels::find_stock_location(db, &location_id).await,
                "stock location",
                &location_id,
            )?;
            channels::link_stock_location(db, &channel.id, &location.id).await?;
            (channel, location)
        }
    };
    channels::assign_device(db, id, &sales_channel.id).await?;
    let existing = shipping_option::Entity::find()
        .filter(shipping_option::Column::StockLocationId.eq(&stock_location.id))
        .filter(shipping_option::Column::RegionId.eq(&region_id))
        .order_by_asc(shipping_option::Column::CreatedAt)
        .one(db)
        .await?;
    let pickup = match existing {
        Some(option) => option,
        None => {
            shipping::create_option(
                db,
                NewShippingOption {
                    name: format!("{PICKUP_PREFIX}{}", stock_location.name),
                    region_id,
                    amount: 0,
                    stock_location_id: Some(stock_location.id.clone()),
                    shipping_profile_id: None,
                    enabled_in_store: true,
                },
            )
            .await?
        }
    };
    Ok(Placement {
        sales_channel,
        stock_location,
        pickup,
    })
}

/// The region of a pick-up option: the one asked for, or the store's only one.
async fn pickup_region(
    db: &impl ConnectionTrait,
    region_id: Option<&str>,
) -> Result<String, DomainError> {
    if let Some(region_id) = text::optional(region_id, "a region id", text::NAME_CHARS)? {
        return Ok(referenced(
            pricing::find_region(db, &region_id).await,
            "region",
            &region_id,
        )?
        .region
        .id);
    }
    let regions = pricing::list_regions(db, 0, 2).await?;
    match regions.regions.as_slice() {
        [only] => Ok(only.region.id.clone()),
        [] => Err(DomainError::Invalid(
            "the machine's pick-up option needs a region; create one first".into(),
        )),
        _ => Err(DomainError::Invalid(format!(
            "the store has {} regions; choose the one of the machine's pick-up option",
            regions.count
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> NewMachine {
        NewMachine {
            id: "vm-100".into(),
            name: " Lobby fridge ".into(),
            address: Some("  ".into()),
            position: None,
            hub: None,
            lockers: vec![NewLocker {
                label: "A".into(),
                scales: vec![
                    NewScale {
                        position: 1,
                        noise_grams: 3,
                    },
                    NewScale {
                        position: 2,
                        noise_grams: 3,
                    },
                ],
            }],
            location: LocationChoice::New { name: None },
            region_id: None,
            issue_credentials: true,
        }
    }

    fn refusal(new: NewMachine) -> String {
        match check(&new) {
            Err(DomainError::Invalid(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_machine_is_checked_and_trimmed() {
        let checked = check(&machine()).unwrap();
        assert_eq!(checked.name, "Lobby fridge");
        assert_eq!(checked.address, None, "a blank address is none");
        assert_eq!(checked.lockers[0].scales.len(), 2);
    }

    #[test]
    fn bad_machines_are_refused_with_the_reason() {
        let bad_id = refusal(NewMachine {
            id: "VM 1".into(),
            ..machine()
        });
        assert!(bad_id.contains("not a device id"), "{bad_id}");
        assert_eq!(
            refusal(NewMachine {
                name: " ".into(),
                ..machine()
            }),
            "a machine needs a name"
        );
        assert_eq!(
            refusal(NewMachine {
                lockers: vec![],
                ..machine()
            }),
            "a machine needs at least one locker (door)"
        );
        let mut twice = machine();
        twice.lockers.push(NewLocker {
            label: "B".into(),
            scales: vec![NewScale {
                position: 2,
                noise_grams: 0,
            }],
        });
        assert!(refusal(twice).contains("scale position 2 is used twice"));
        let mut same_label = machine();
        same_label.lockers.push(NewLocker {
            label: " A".into(),
            scales: vec![],
        });
        assert_eq!(refusal(same_label), "two lockers are labelled \"A\"");
        let mut noisy = machine();
        noisy.lockers[0].scales[0].noise_grams = 5000;
        assert!(refusal(noisy).contains("noise must be 0 to 1000 g"));
    }

    #[test]
    fn lockers_are_typed_as_a_label_and_scale_positions() {
        let lockers = NewLocker::parse_all("A:1, 2,3\nB ; C:4", 5).unwrap();
        let labels: Vec<_> = lockers.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["A", "B", "C"]);
        assert_eq!(
            lockers[0].scales,
            [1, 2, 3].map(|position| NewScale {
                position,
                noise_grams: 5
            })
        );
        assert!(lockers[1].scales.is_empty());
        let bad = NewLocker::parse("A:1,x", 3).unwrap_err().to_string();
        assert!(bad.contains("\"x\""), "{bad}");
    }

    #[test]
    fn geo_positions_are_in_range_and_kept_in_microdegrees() {
        let p = GeoPosition::from_degrees(48.208_174, 16.373_819).unwrap();
        assert_eq!(p.latitude_microdeg, 48_208_174);
        assert_eq!(p.longitude_microdeg, 16_373_819);
        assert!((p.longitude() - 16.373_819).abs() < 1e-9);
        assert!(GeoPosition::from_degrees(-90.0, 180.0).is_ok());
        for (lat, lon) in [
            (90.5, 0.0),
            (0.0, -180.1),
            (f64::NAN, 0.0),
            (0.0, f64::INFINITY),
        ] {
            assert!(
                GeoPosition::from_degrees(lat, lon).is_err(),
                "{lat}, {lon} is refused"
            );
        }
    }
}
