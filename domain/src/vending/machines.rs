//! Machines as shoppers see them: where each stands, whether it is online,
//! and what its scales hold.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use super::{
    scales, sessions,
    state::{Mode, State},
};
use crate::{
    DomainError, catalog, channels,
    devices::{device, protocol::ScaleReading},
    inventory,
};

/// A machine with the stock location it sells from.
#[derive(Debug, Clone)]
pub struct Machine {
    pub device: device::Model,
    /// Where the machine stands (its stock location); `None` when unassigned.
    pub location: Option<channels::stock_location::Model>,
}

/// One product on one of a machine's scales.
#[derive(Debug, Clone)]
pub struct Shelf {
    pub scale: i32,
    pub variant_id: String,
    pub product_title: String,
    pub product_handle: String,
    pub unit_weight_grams: i32,
    /// Prices of the variant, by currency code.
    pub prices: Vec<(String, i64)>,
    /// Units the books say are at the machine.
    pub in_stock: i32,
    /// What its empty container weighs, when it is taken back for a deposit.
    pub container_weight_grams: Option<i32>,
}

/// Every registered machine, by id.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Machine>, DomainError> {
    let devices = device::Entity::find()
        .order_by_asc(device::Column::Id)
        .all(db)
        .await?;
    let mut machines = Vec::with_capacity(devices.len());
    for device in devices {
        machines.push(with_location(db, device).await?);
    }
    Ok(machines)
}

pub async fn find(db: &impl ConnectionTrait, device_id: &str) -> Result<Machine, DomainError> {
    let device = device::Entity::find_by_id(device_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Machine", device_id))?;
    with_location(db, device).await
}

async fn with_location(
    db: &impl ConnectionTrait,
    device: device::Model,
) -> Result<Machine, DomainError> {
    let location = match &device.sales_channel_id {
        Some(channel_id) => {
            match channels::stock_location_ids(db, std::slice::from_ref(channel_id))
                .await?
                .first()
            {
                Some(id) => Some(channels::find_stock_location(db, id).await?),
                None => None,
            }
        }
        None => None,
    };
    Ok(Machine { device, location })
}

/// What the machine's scales hold, by scale position, with the units its
/// stock location has of each (0 when the machine has no location).
pub async fn shelves(
    db: &impl ConnectionTrait,
    machine: &Machine,
) -> Result<Vec<Shelf>, DomainError> {
    let mut shelves = Vec::new();
    for (scale, assignments) in scales::scales_of(db, &machine.device.id).await? {
        for assignment in assignments {
            let (_, product, prices) = catalog::find_variant(db, &assignment.variant_id).await?;
            let in_stock = match (
                &machine.location,
                inventory::find_item_by_variant(db, &assignment.variant_id).await?,
            ) {
                (Some(location), Some(item)) => {
                    match inventory::level(db, &item.id, &location.id).await {
                        Ok(level) => level.stocked_quantity,
                        Err(DomainError::NotFound { .. }) => 0,
                        Err(e) => return Err(e),
                    }
                }
                _ => 0,
            };
            let container_weight_grams = assignment
                .container_weight_grams
                .filter(|_| assignment.deposit_amount > 0);
            shelves.push(Shelf {
                container_weight_grams,
                scale: scale.position,
                variant_id: assignment.variant_id,
                product_title: product.title,
                product_handle: product.handle,
                unit_weight_grams: assignment.unit_weight_grams,
                prices: prices
                    .into_iter()
                    .map(|p| (p.currency_code, p.amount))
                    .collect(),
                in_stock,
            });
        }
    }
    Ok(shelves)
}

/// What a machine is doing: its active session's mode and door, and what
/// its scales last reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub device_id: String,
    /// The active session's mode; `None` when the machine is idle.
    pub mode: Option<Mode>,
    /// The active session's state; `None` when idle (the door is closed).
    pub session_state: Option<State>,
    /// The service session under way, if any.
    pub service_session: Option<String>,
    /// When the scales last reported, and what.
    pub weights: Option<(DateTime<Utc>, Vec<ScaleReading>)>,
}

pub async fn activity(db: &impl ConnectionTrait, device_id: &str) -> Result<Activity, DomainError> {
    let active = sessions::active_session(db, device_id).await?;
    let (mode, session_state) = match &active {
        Some(s) => (Some(s.mode), Some(s.state)),
        None => (None, None),
    };
    Ok(Activity {
        device_id: device_id.to_owned(),
        mode,
        session_state,
        service_session: active.filter(|_| mode == Some(Mode::Service)).map(|s| s.id),
        weights: sessions::last_weights(db, device_id).await?,
    })
}
