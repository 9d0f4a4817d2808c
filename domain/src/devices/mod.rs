//! Vending machines (devices) and what the back end knows of their state.
//! The wire format they speak lives in [`protocol`].

pub mod device;
pub mod protocol;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

use crate::DomainError;

/// A change in a device's connectivity, as broadcast to live dashboards.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StatusChange {
    pub device_id: String,
    pub online: bool,
    pub last_seen_at: Option<DateTime<Utc>>,
}

pub async fn register(
    db: &impl ConnectionTrait,
    id: &str,
    name: &str,
) -> Result<device::Model, DomainError> {
    protocol::DeviceId::parse(id)?;
    if device::Entity::find_by_id(id).one(db).await?.is_some() {
        return Err(DomainError::Conflict(format!(
            "a device {id} already exists"
        )));
    }
    Ok(device::ActiveModel {
        id: Set(id.to_owned()),
        name: Set(name.to_owned()),
        online: Set(false),
        last_seen_at: Set(None),
        firmware: Set(None),
        created_at: Set(Utc::now()),
        sales_channel_id: Set(None),
        hub_id: Set(None),
        planogram_version: Set(None),
    }
    .insert(db)
    .await?)
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<device::Model>, DomainError> {
    Ok(device::Entity::find()
        .order_by_asc(device::Column::Id)
        .all(db)
        .await?)
}

/// Records that a device spoke (heartbeat or "online" status). Returns the
/// change when the device was offline before, `None` when nothing changed
/// that a dashboard shows. Unknown devices are rejected.
pub async fn record_seen(
    db: &impl ConnectionTrait,
    id: &str,
    firmware: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Option<StatusChange>, DomainError> {
    let device = device::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Device", id))?;
    let was_online = device.online;
    let mut active = device.into_active_model();
    active.online = Set(true);
    active.last_seen_at = Set(Some(at));
    if let Some(firmware) = firmware {
        active.firmware = Set(Some(firmware.to_owned()));
    }
    active.update(db).await?;
    Ok((!was_online).then(|| StatusChange {
        device_id: id.to_owned(),
        online: true,
        last_seen_at: Some(at),
    }))
}

/// Marks a device offline (last will, or heartbeats missed). `None` when it
/// already was.
pub async fn record_offline(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<StatusChange>, DomainError> {
    let device = device::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Device", id))?;
    if !device.online {
        return Ok(None);
    }
    let last_seen_at = device.last_seen_at;
    let mut active = device.into_active_model();
    active.online = Set(false);
    active.update(db).await?;
    Ok(Some(StatusChange {
        device_id: id.to_owned(),
        online: false,
        last_seen_at,
    }))
}

/// Marks offline every device that claims to be online but has not been heard
/// from since `cutoff` (a machine that hangs without its connection dropping).
pub async fn expire_silent(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
) -> Result<Vec<StatusChange>, DomainError> {
    let silent = device::Entity::find()
        .filter(device::Column::Online.eq(true))
        .filter(device::Column::LastSeenAt.lt(cutoff))
        .all(db)
        .await?;
    let mut changes = Vec::with_capacity(silent.len());
    for device in silent {
        if let Some(change) = record_offline(db, &device.id).await? {
            changes.push(change);
        }
    }
    Ok(changes)
}
