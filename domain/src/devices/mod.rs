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
    db: &impl crate::db::Writable,
    id: &str,
    name: &str,
) -> Result<device::Model, DomainError> {
    protocol::DeviceId::parse(id)?;
    if device::Entity::find_by_id(id).one(db).await?.is_some() {
        return Err(DomainError::Conflict(format!(
            "a device {id} already exists"
        )));
    }
    let _turn = crate::db::write_turn(db).await?;
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
        scale_weights: Set(None),
        scale_weights_seq: Set(None),
        scale_weights_at: Set(None),
        address: Set(None),
        latitude_microdeg: Set(None),
        longitude_microdeg: Set(None),
        decommissioned_at: Set(None),
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
    db: &impl crate::db::Writable,
    id: &str,
    firmware: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Option<StatusChange>, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let device = device::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::not_found("Device", id))?;
    let was_online = device.online;
    let mut active = device.into_active_model();
    active.online = Set(true);
    active.last_seen_at = Set(Some(at));
    if let Some(firmware) = firmware {
        active.firmware = Set(Some(firmware.to_owned()));
    }
    active.update(&txn).await?;
    if !was_online {
        alerts::resolve(&txn, id, Kind::DeviceOffline).await?;
    }
    txn.commit().await?;
    Ok((!was_online).then(|| StatusChange {
        device_id: id.to_owned(),
        online: true,
        last_seen_at: Some(at),
    }))
}

/// What a device reported since the gateway last wrote its reports down,
/// for [`record_reports`]: its latest heartbeat, its latest unasked scale
/// report, or both.
#[derive(Debug, Clone)]
pub struct Reports {
    pub device_id: String,
    pub heartbeat: Option<Seen>,
    pub weights: Option<Weights>,
}

/// A heartbeat: when it arrived, and the firmware it named.
#[derive(Debug, Clone)]
pub struct Seen {
    pub firmware: Option<String>,
    pub at: DateTime<Utc>,
}

/// The scales' weights as one report gave them (`scale_readings` naming no
/// session), with its sequence number and arrival time.
#[derive(Debug, Clone)]
pub struct Weights {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub scales: Vec<protocol::ScaleReading>,
}

/// What [`record_reports`] found.
#[derive(Debug, Default)]
pub struct RecordedReports {
    /// Devices that were offline and are online again.
    pub changes: Vec<StatusChange>,
    /// Ids no device is registered under (nothing recorded for them).
    pub unknown: Vec<String>,
    /// Devices whose weights were refused, and why: their `seq` ran far
    /// ahead of the weights kept ([`protocol::SeqOrder::TooFarAhead`]).
    pub refused: Vec<(String, String)>,
}

/// Writes many devices' gathered reports in one write transaction: a
/// heartbeat as [`record_seen`] does, weights as the device's latest unless
/// a later report's are there already. A fleet's heartbeats and scale
/// reports of a moment cost one transaction and a few statements, instead
/// of one transaction or row each.
pub async fn record_reports<C: crate::db::Writable>(
    db: &C,
    reports: &[Reports],
) -> Result<RecordedReports, DomainError> {
    if reports.is_empty() {
        return Ok(RecordedReports::default());
    }
    let txn = crate::db::begin_write(db).await?;
    type Known = (bool, Option<i64>, Option<DateTime<Utc>>);
    let known: std::collections::HashMap<String, Known> = device::Entity::find()
        .select_only()
        .columns([
            device::Column::Id,
            device::Column::Online,
            device::Column::ScaleWeightsSeq,
            device::Column::ScaleWeightsAt,
        ])
        .filter(device::Column::Id.is_in(reports.iter().map(|r| r.device_id.as_str())))
        .into_tuple::<(String, bool, Option<i64>, Option<DateTime<Utc>>)>()
        .all(&txn)
        .await?
        .into_iter()
        .map(|(id, online, seq, at)| (id, (online, seq, at)))
        .collect();
    let mut found = RecordedReports::default();
    let mut updates = Vec::with_capacity(reports.len());
    for report in reports {
        let id = report.device_id.as_str();
        let Some(&(online, weights_seq, weights_at)) = known.get(id) else {
            found.unknown.push(id.to_owned());
            continue;
        };
        let mut heartbeat = report.heartbeat.as_ref();
        if let Some(beat) = heartbeat.filter(|_| !online) {
            // Back online: the alert is resolved and dashboards hear of it.
            found
                .changes
                .extend(record_seen(&txn, id, beat.firmware.as_deref(), beat.at).await?);
            heartbeat = None;
        }
        let kept = weights_seq.zip(weights_at);
        let weights = report.weights.as_ref().filter(|w| {
            match protocol::seq_order(w.seq, w.at, kept) {
                protocol::SeqOrder::After => true,
                protocol::SeqOrder::NotAfter => false,
                protocol::SeqOrder::TooFarAhead => {
                    let kept = weights_seq.unwrap_or_default();
                    found.refused.push((
                        id.to_owned(),
                        format!(
                            "scale report seq {} is more than {} past the weights kept (seq {kept})",
                            w.seq,
                            protocol::MAX_SEQ_JUMP
                        ),
                    ));
                    false
                }
            }
        });
        if heartbeat.is_some() || weights.is_some() {
            updates.push(DeviceUpdate {
                id,
                heartbeat,
                weights,
            });
        }
    }
    for chunk in updates.chunks(UPDATES_PER_STATEMENT) {
        update_devices(&txn, chunk).await?;
    }
    txn.commit().await?;
    Ok(found)
}

/// One device's row changes in [`update_devices`].
struct DeviceUpdate<'a> {
    id: &'a str,
    heartbeat: Option<&'a Seen>,
    weights: Option<&'a Weights>,
}

/// Devices one statement of [`update_devices`] updates: 6 parameters each,
/// well below the SQLite and PostgreSQL limits.
const UPDATES_PER_STATEMENT: usize = 500;

/// Updates many devices' last-seen times and scale weights in one statement
/// (a column a device has nothing new for keeps its value).
async fn update_devices(
    db: &impl ConnectionTrait,
    updates: &[DeviceUpdate<'_>],
) -> Result<(), DomainError> {
    use sea_orm::{DbBackend, Statement, Value};

    let backend = db.get_database_backend();
    let mut values: Vec<Value> = Vec::with_capacity(updates.len() * 6);
    let mut rows = Vec::with_capacity(updates.len());
    for update in updates {
        let scales = match update.weights {
            Some(w) => Some(serde_json::to_string(&w.scales).map_err(|e| {
                DomainError::Invalid(format!("scale weights cannot be stored: {e}"))
            })?),
            None => None,
        };
        values.extend([
            update.id.into(),
            update.heartbeat.map(|b| b.at).into(),
            update.heartbeat.and_then(|b| b.firmware.clone()).into(),
            scales.into(),
            update.weights.map(|w| w.seq).into(),
            update.weights.map(|w| w.at).into(),
        ]);
        let first = values.len() - 5;
        let row: Vec<String> = (first..=values.len())
            .map(|n| match backend {
                DbBackend::Postgres => format!("${n}"),
                _ => "?".to_owned(),
            })
            .collect();
        rows.push(format!("({})", row.join(", ")));
    }
    let sql = format!(
        "WITH reported (id, seen_at, firmware, weights, weights_seq, weights_at) AS (VALUES {}) \
         UPDATE devices SET \
         last_seen_at = COALESCE(reported.seen_at, devices.last_seen_at), \
         firmware = COALESCE(reported.firmware, devices.firmware), \
         scale_weights = COALESCE(reported.weights, devices.scale_weights), \
         scale_weights_seq = COALESCE(reported.weights_seq, devices.scale_weights_seq), \
         scale_weights_at = COALESCE(reported.weights_at, devices.scale_weights_at) \
         FROM reported WHERE devices.id = reported.id",
        rows.join(", ")
    );
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(())
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
    db: &impl crate::db::Writable,
    id: &str,
) -> Result<MqttCredentials, DomainError> {
    let device = device::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Device", id))?;
    let password = random_token(18);
    let mut active = device.into_active_model();
    active.mqtt_password_hash = Set(Some(Password::parse(&password)?.hash().await?.into()));
    let _turn = crate::db::write_turn(db).await?;
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
    let matches = Password::verify(password, hash.as_deref().unwrap_or(UNKNOWN_USER_HASH)).await?;
    Ok(matches && hash.is_some())
}
