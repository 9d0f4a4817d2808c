//! Vending machines (devices) and what the back end knows of their state.
//! The wire format they speak lives in [`protocol`].

pub mod device;
pub mod protocol;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionSession, sea_query::Expr,
};
use serde::Serialize;

use crate::{
    DomainError,
    alerts::{self, Kind},
    credentials::{Password, UNKNOWN_USER_HASH},
    ids::random_token,
};

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
        mqtt_password_hash: Set(None),
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
    if !was_online {
        alerts::resolve(db, id, Kind::DeviceOffline).await?;
    }
    Ok((!was_online).then(|| StatusChange {
        device_id: id.to_owned(),
        online: true,
        last_seen_at: Some(at),
    }))
}

/// A device heard from (heartbeat or "online" status), for [`record_seen_many`].
#[derive(Debug, Clone)]
pub struct Seen {
    pub device_id: String,
    pub firmware: Option<String>,
    pub at: DateTime<Utc>,
}

/// What [`record_seen_many`] found.
#[derive(Debug, Default)]
pub struct SeenMany {
    /// Devices that were offline and are online again.
    pub changes: Vec<StatusChange>,
    /// Ids no device is registered under (nothing recorded for them).
    pub unknown: Vec<String>,
}

/// [`record_seen`] for many devices in one write transaction, one entry per
/// device: a fleet's heartbeats gathered for a moment cost one transaction
/// instead of one each.
pub async fn record_seen_many<C: crate::db::Writable>(
    db: &C,
    seen: &[Seen],
) -> Result<SeenMany, DomainError> {
    if seen.is_empty() {
        return Ok(SeenMany::default());
    }
    let txn = crate::db::begin_write(db).await?;
    let online: std::collections::HashMap<String, bool> = device::Entity::find()
        .select_only()
        .columns([device::Column::Id, device::Column::Online])
        .filter(device::Column::Id.is_in(seen.iter().map(|s| s.device_id.as_str())))
        .into_tuple::<(String, bool)>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();
    let mut found = SeenMany::default();
    for s in seen {
        match online.get(&s.device_id) {
            None => found.unknown.push(s.device_id.clone()),
            Some(true) => {
                let mut update = device::Entity::update_many()
                    .col_expr(device::Column::LastSeenAt, Expr::value(s.at))
                    .filter(device::Column::Id.eq(s.device_id.as_str()));
                if let Some(firmware) = &s.firmware {
                    update =
                        update.col_expr(device::Column::Firmware, Expr::value(firmware.as_str()));
                }
                update.exec(&txn).await?;
            }
            Some(false) => {
                if let Some(change) =
                    record_seen(&txn, &s.device_id, s.firmware.as_deref(), s.at).await?
                {
                    found.changes.push(change);
                }
            }
        }
    }
    txn.commit().await?;
    Ok(found)
}

/// Marks a device offline (last will, or heartbeats missed) and raises a
/// `device_offline` alert with it. `None` when it already was offline.
pub async fn record_offline<C: crate::db::Writable>(
    db: &C,
    id: &str,
) -> Result<Option<StatusChange>, DomainError> {
    // Read outside the transaction: most reports change nothing (a retained
    // offline status, an unknown device) and must not take SQLite's write lock.
    let device = device::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Device", id))?;
    if !device.online {
        return Ok(None);
    }
    let txn = crate::db::begin_write(db).await?;
    // Conditional: of two reports racing (last will, watchdog) one wins.
    let changed = device::Entity::update_many()
        .col_expr(device::Column::Online, Expr::value(false))
        .filter(device::Column::Id.eq(id))
        .filter(device::Column::Online.eq(true))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Ok(None);
    }
    let last_seen = device.last_seen_at.map_or_else(
        || "never".to_owned(),
        |at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    );
    alerts::raise(
        &txn,
        Kind::DeviceOffline,
        id,
        &format!(
            "{} ({id}) is offline; last heard from {last_seen}",
            device.name
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(StatusChange {
        device_id: id.to_owned(),
        online: false,
        last_seen_at: device.last_seen_at,
    }))
}

/// Marks offline every device that claims to be online but has not been heard
/// from since `cutoff` (a machine that hangs without its connection dropping).
pub async fn expire_silent<C: crate::db::Writable>(
    db: &C,
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

/// What a machine signs in to the MQTT broker with. The password is shown
/// once, when issued; only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MqttCredentials {
    pub username: String,
    pub password: String,
}

/// Issues a new MQTT password for a device, replacing any earlier one.
pub async fn issue_credentials(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<MqttCredentials, DomainError> {
    let device = device::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Device", id))?;
    let password = random_token(18);
    let mut active = device.into_active_model();
    active.mqtt_password_hash = Set(Some(Password::parse(&password)?.hash()?));
    active.update(db).await?;
    Ok(MqttCredentials {
        username: id.to_owned(),
        password,
    })
}

/// Whether `password` is the MQTT password of the device named `username`.
/// Unknown devices and devices without credentials are refused.
pub async fn verify_credentials(
    db: &impl ConnectionTrait,
    username: &str,
    password: &str,
) -> Result<bool, DomainError> {
    let hash = device::Entity::find_by_id(username)
        .one(db)
        .await?
        .and_then(|d| d.mqtt_password_hash);
    // Verified against a dummy hash when there is none: refusals take as long.
    let matches = Password::verify(password, hash.as_deref().unwrap_or(UNKNOWN_USER_HASH)).await;
    Ok(matches && hash.is_some())
}
