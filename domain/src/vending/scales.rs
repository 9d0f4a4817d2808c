//! Scales of a machine and the products assigned to them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionSession, sea_query::Expr,
};

use super::{device_command, scale, scale_assignment, session_event, weighing};
use crate::{
    DomainError,
    alerts::{self, Kind},
    devices::{
        device,
        protocol::{
            CommandKind, DeviceEvent, DeviceMessage, EventKind, PlanogramProduct, PlanogramScale,
        },
    },
    ids::new_id,
};

pub async fn add_scale(
    db: &impl crate::db::Writable,
    device_id: &str,
    position: i32,
    noise_grams: i32,
) -> Result<scale::Model, DomainError> {
    add_scale_to(db, device_id, None, position, noise_grams).await
}

/// [`add_scale`] behind a locker (door) of the machine.
pub async fn add_scale_to(
    db: &impl crate::db::Writable,
    device_id: &str,
    locker_id: Option<&str>,
    position: i32,
    noise_grams: i32,
) -> Result<scale::Model, DomainError> {
    device::Entity::find_by_id(device_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Device", device_id))?;
    if position < 0 || noise_grams < 0 {
        return Err(DomainError::Invalid(
            "a scale position and its noise cannot be negative".into(),
        ));
    }
    let taken = scale::Entity::find()
        .filter(scale::Column::DeviceId.eq(device_id))
        .filter(scale::Column::Position.eq(position))
        .one(db)
        .await?;
    if taken.is_some() {
        return Err(DomainError::Conflict(format!(
            "device {device_id} already has a scale {position}"
        )));
    }
    let _turn = crate::db::write_turn(db).await?;
    Ok(scale::ActiveModel {
        id: Set(new_id("scale")),
        device_id: Set(device_id.to_owned()),
        locker_id: Set(locker_id.map(str::to_owned)),
        position: Set(position),
        noise_grams: Set(noise_grams),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?)
}

/// A product to put on a scale; weights in grams.
#[derive(Debug, Clone)]
pub struct NewAssignment {
    pub variant_id: String,
    pub unit_weight_grams: i32,
    pub min_weight_grams: i32,
    pub max_weight_grams: i32,
    /// Taken back empty for a deposit.
    pub deposit: Option<Deposit>,
}

/// What a product's empty container is worth and weighs.
#[derive(Debug, Clone, Copy)]
pub struct Deposit {
    /// Minor units, credited per container returned.
    pub amount: i64,
    pub container_weight_grams: i32,
}

pub async fn assign(
    db: &impl crate::db::Writable,
    scale_id: &str,
    new: NewAssignment,
) -> Result<scale_assignment::Model, DomainError> {
    check_weights(
        new.unit_weight_grams,
        new.min_weight_grams,
        new.max_weight_grams,
    )?;
    if let Some(deposit) = new.deposit {
        // The container is weighed with the product's tolerance either way.
        let spread = new.unit_weight_grams - new.min_weight_grams;
        if deposit.amount <= 0 || deposit.container_weight_grams <= spread {
            return Err(DomainError::Invalid(format!(
                "a deposit needs a positive amount and a container heavier than the weight \
                 tolerance of {spread} g (got {} for {} g)",
                deposit.amount, deposit.container_weight_grams
            )));
        }
    }
    scale::Entity::find_by_id(scale_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Scale", scale_id))?;
    let variant = crate::catalog::variant::Entity::find_by_id(&new.variant_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Variant", &new.variant_id))?;
    let existing = scale_assignment::Entity::find()
        .filter(scale_assignment::Column::ScaleId.eq(scale_id))
        .filter(scale_assignment::Column::VariantId.eq(&new.variant_id))
        .one(db)
        .await?;
    if existing.is_some() {
        return Err(DomainError::Conflict(format!(
            "variant {} is already on scale {scale_id}",
            new.variant_id
        )));
    }
    let txn = crate::db::begin_write(db).await?;
    let assignment = scale_assignment::ActiveModel {
        id: Set(new_id("scasg")),
        scale_id: Set(scale_id.to_owned()),
        variant_id: Set(new.variant_id),
        unit_weight_grams: Set(new.unit_weight_grams),
        min_weight_grams: Set(new.min_weight_grams),
        max_weight_grams: Set(new.max_weight_grams),
        deposit_amount: Set(new.deposit.map_or(0, |d| d.amount)),
        container_weight_grams: Set(new.deposit.map(|d| d.container_weight_grams)),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    stocking_changed(&txn, &variant.product_id).await?;
    txn.commit().await?;
    Ok(assignment)
}

/// Which machines stock a product is part of what the product search
/// indexes ("in stock at this machine"): the product counts as changed.
async fn stocking_changed(txn: &impl ConnectionTrait, product_id: &str) -> Result<(), DomainError> {
    crate::catalog::editing::product_changed(txn, crate::catalog::PRODUCT_UPDATED, product_id).await
}

fn check_weights(unit: i32, min: i32, max: i32) -> Result<(), DomainError> {
    if !(0 < min && min <= unit && unit <= max) {
        return Err(DomainError::Invalid(format!(
            "weights must satisfy 0 < min ≤ unit ≤ max (got {min} ≤ {unit} ≤ {max})"
        )));
    }
    Ok(())
}

pub async fn find_assignment(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<scale_assignment::Model, DomainError> {
    scale_assignment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Scale assignment", id))
}

/// New weights for a product already on a scale.
pub async fn reweigh(
    db: &impl crate::db::Writable,
    id: &str,
    unit_weight_grams: i32,
    min_weight_grams: i32,
    max_weight_grams: i32,
) -> Result<scale_assignment::Model, DomainError> {
    check_weights(unit_weight_grams, min_weight_grams, max_weight_grams)?;
    let mut assignment = find_assignment(db, id).await?.into_active_model();
    assignment.unit_weight_grams = Set(unit_weight_grams);
    assignment.min_weight_grams = Set(min_weight_grams);
    assignment.max_weight_grams = Set(max_weight_grams);
    let _turn = crate::db::write_turn(db).await?;
    Ok(assignment.update(db).await?)
}

/// Takes a product off its scale.
pub async fn unassign(db: &impl crate::db::Writable, id: &str) -> Result<(), DomainError> {
    let assignment = find_assignment(db, id).await?;
    let product_id = crate::catalog::variant::Entity::find_by_id(&assignment.variant_id)
        .one(db)
        .await?
        .map(|v| v.product_id);
    let txn = crate::db::begin_write(db).await?;
    scale_assignment::Entity::delete_by_id(assignment.id)
        .exec(&txn)
        .await?;
    if let Some(product_id) = product_id {
        stocking_changed(&txn, &product_id).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Where the latest planogram sent to a device stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncStatus {
    Never,
    /// Sent; neither applied nor refused yet.
    Pending {
        version: i64,
    },
    Applied {
        version: i64,
    },
    Failed {
        version: i64,
        reason: String,
    },
}

/// The latest sync command to a device and what the device made of it: its
/// acknowledgement, then its `sync_applied` report.
pub async fn sync_status(
    db: &impl ConnectionTrait,
    device_id: &str,
) -> Result<SyncStatus, DomainError> {
    match latest_sync(db, device_id).await? {
        None => Ok(SyncStatus::Never),
        Some(command) => sync_outcome(db, &command).await,
    }
}

async fn latest_sync(
    db: &impl ConnectionTrait,
    device_id: &str,
) -> Result<Option<device_command::Model>, DomainError> {
    Ok(device_command::Entity::find()
        .filter(device_command::Column::DeviceId.eq(device_id))
        .filter(device_command::Column::Kind.eq(CommandKind::SyncPlanogram))
        .order_by_desc(device_command::Column::CreatedAt)
        .one(db)
        .await?)
}

/// What became of one sync command. A `sync_applied` report wins even when
/// it comes after the back end gave up waiting.
async fn sync_outcome(
    db: &impl ConnectionTrait,
    command: &device_command::Model,
) -> Result<SyncStatus, DomainError> {
    let version = serde_json::from_str::<serde_json::Value>(&command.payload)
        .ok()
        .and_then(|p| p["version"].as_i64())
        .unwrap_or_default();
    if command.ack_ok == Some(false) {
        let reason = command
            .ack_error
            .clone()
            .unwrap_or_else(|| "refused, no reason given".into());
        return Ok(SyncStatus::Failed { version, reason });
    }
    let reports = session_event::Entity::find()
        .filter(session_event::Column::DeviceId.eq(&command.device_id))
        .filter(session_event::Column::Kind.eq(EventKind::SyncApplied))
        .filter(session_event::Column::ReceivedAt.gte(command.created_at))
        .all(db)
        .await?;
    for report in reports {
        let Ok(message) = serde_json::from_str::<DeviceMessage>(&report.payload) else {
            continue;
        };
        if let DeviceEvent::SyncApplied {
            version: applied,
            ok,
            error,
        } = message.body
            && applied == version
        {
            return Ok(if ok {
                SyncStatus::Applied { version }
            } else {
                SyncStatus::Failed {
                    version,
                    reason: error.unwrap_or_else(|| "no reason given".into()),
                }
            });
        }
    }
    if command.concluded_at.is_some() {
        return Ok(SyncStatus::Failed {
            version,
            reason: unconfirmed(command).into(),
        });
    }
    Ok(SyncStatus::Pending { version })
}

/// Why a sync the back end gave up on failed.
fn unconfirmed(command: &device_command::Model) -> &'static str {
    if command.acked_at.is_none() {
        "not confirmed in time: the machine never acknowledged it"
    } else {
        "not confirmed in time: the machine acknowledged it but never reported applying it"
    }
}

/// Stops waiting for the planograms sent before `cutoff`: each one still
/// pending (neither refused nor reported applied) and not superseded by a
/// newer one fails and raises a `sync_failed` alert, in one transaction.
/// Every sync is concluded once, so none is looked at again. The syncs that
/// failed.
pub async fn conclude_syncs_sent_before<C: crate::db::Writable>(
    db: &C,
    cutoff: DateTime<Utc>,
) -> Result<Vec<device_command::Model>, DomainError> {
    let overdue = device_command::Entity::find()
        .filter(device_command::Column::Kind.eq(CommandKind::SyncPlanogram))
        .filter(device_command::Column::ConcludedAt.is_null())
        .filter(device_command::Column::CreatedAt.lt(cutoff))
        .all(db)
        .await?;
    let mut failed = Vec::new();
    for overdue in overdue {
        let txn = crate::db::begin_write(db).await?;
        // Read again inside the write turn, so an answer that came meanwhile counts.
        let Some(command) = device_command::Entity::find_by_id(&overdue.id)
            .one(&txn)
            .await?
        else {
            continue;
        };
        let superseded =
            latest_sync(&txn, &command.device_id).await?.map(|c| c.id) != Some(command.id.clone());
        let outcome = sync_outcome(&txn, &command).await?;
        let concluded = device_command::Entity::update_many()
            .col_expr(device_command::Column::ConcludedAt, Expr::value(Utc::now()))
            .filter(device_command::Column::Id.eq(&command.id))
            .filter(device_command::Column::ConcludedAt.is_null())
            .exec(&txn)
            .await?;
        if concluded.rows_affected == 0 {
            continue;
        }
        if let (false, SyncStatus::Pending { version }) = (superseded, outcome) {
            let device_id = &command.device_id;
            alerts::raise(
                &txn,
                Kind::SyncFailed,
                device_id,
                &format!("{device_id}: planogram {version} {}", unconfirmed(&command)),
            )
            .await?;
            failed.push(command);
        }
        txn.commit().await?;
    }
    Ok(failed)
}

/// A device's scales with what is on them, by position.
pub async fn scales_of(
    db: &impl ConnectionTrait,
    device_id: &str,
) -> Result<Vec<(scale::Model, Vec<scale_assignment::Model>)>, DomainError> {
    let scales = scale::Entity::find()
        .filter(scale::Column::DeviceId.eq(device_id))
        .order_by_asc(scale::Column::Position)
        .all(db)
        .await?;
    let mut assignments: HashMap<String, Vec<scale_assignment::Model>> = HashMap::new();
    for a in scale_assignment::Entity::find()
        .filter(scale_assignment::Column::ScaleId.is_in(scales.iter().map(|s| s.id.clone())))
        .order_by_asc(scale_assignment::Column::CreatedAt)
        .all(db)
        .await?
    {
        assignments.entry(a.scale_id.clone()).or_default().push(a);
    }
    Ok(scales
        .into_iter()
        .map(|s| {
            let on_it = assignments.remove(&s.id).unwrap_or_default();
            (s, on_it)
        })
        .collect())
}

/// What weighing needs of each scale, by position.
pub async fn weighing_setups(
    db: &impl ConnectionTrait,
    device_id: &str,
) -> Result<HashMap<i32, weighing::ScaleSetup>, DomainError> {
    setups(db, device_id, |a| {
        Some(weighing::Product {
            variant_id: a.variant_id.clone(),
            unit_weight: a.unit_weight_grams,
            min_weight: a.min_weight_grams,
            max_weight: a.max_weight_grams,
        })
    })
    .await
}

/// What recognizing returned empties needs of each scale, by position: the
/// containers of the products with a deposit, weighed with each product's
/// tolerance either side.
pub async fn container_setups(
    db: &impl ConnectionTrait,
    device_id: &str,
) -> Result<HashMap<i32, weighing::ScaleSetup>, DomainError> {
    setups(db, device_id, |a| {
        let container = a.container_weight_grams.filter(|_| a.deposit_amount > 0)?;
        Some(weighing::Product {
            variant_id: a.variant_id.clone(),
            unit_weight: container,
            min_weight: container - (a.unit_weight_grams - a.min_weight_grams),
            max_weight: container + (a.max_weight_grams - a.unit_weight_grams),
        })
    })
    .await
}

async fn setups(
    db: &impl ConnectionTrait,
    device_id: &str,
    weighed: impl Fn(&scale_assignment::Model) -> Option<weighing::Product>,
) -> Result<HashMap<i32, weighing::ScaleSetup>, DomainError> {
    Ok(scales_of(db, device_id)
        .await?
        .into_iter()
        .map(|(scale, assignments)| {
            let products = assignments.iter().filter_map(&weighed).collect();
            (
                scale.position,
                weighing::ScaleSetup {
                    noise: scale.noise_grams,
                    products,
                },
            )
        })
        .collect())
}

/// The version the next `sync_planogram` to a device carries: one more than
/// any sent before.
pub async fn next_planogram_version(
    db: &impl ConnectionTrait,
    device_id: &str,
) -> Result<i64, DomainError> {
    let sent = device_command::Entity::find()
        .filter(device_command::Column::DeviceId.eq(device_id))
        .filter(device_command::Column::Kind.eq(CommandKind::SyncPlanogram))
        .count(db)
        .await?;
    Ok(i64::try_from(sent).unwrap_or(i64::MAX - 1) + 1)
}

/// Records what a device reported of applying a planogram: the version when
/// it succeeded (never going back to an older one), the device's error when not.
pub async fn record_sync_applied<C: crate::db::Writable>(
    db: &C,
    device_id: &str,
    version: i64,
    ok: bool,
    error: Option<&str>,
) -> Result<Result<(), String>, DomainError> {
    if !ok {
        let error = error.unwrap_or("no reason given");
        tracing::warn!(
            device_id,
            version,
            error,
            "a device failed to apply a planogram"
        );
        let why = format!("planogram {version} not applied: {error}");
        alerts::raise(
            db,
            Kind::SyncFailed,
            device_id,
            &format!("{device_id}: {why}"),
        )
        .await?;
        return Ok(Err(why));
    }
    alerts::resolve(db, device_id, Kind::SyncFailed).await?;
    device::Entity::update_many()
        .col_expr(device::Column::PlanogramVersion, Expr::value(version))
        .filter(device::Column::Id.eq(device_id))
        .filter(
            Condition::any()
                .add(device::Column::PlanogramVersion.is_null())
                .add(device::Column::PlanogramVersion.lt(version)),
        )
        .exec(db)
        .await?;
    Ok(Ok(()))
}

/// The planogram a device is told in `sync_planogram`.
pub async fn planogram(
    db: &impl ConnectionTrait,
    device_id: &str,
) -> Result<Vec<PlanogramScale>, DomainError> {
    Ok(scales_of(db, device_id)
        .await?
        .into_iter()
        .map(|(scale, assignments)| PlanogramScale {
            scale: scale.position,
            products: assignments
                .into_iter()
                .map(|a| PlanogramProduct {
                    variant_id: a.variant_id,
                    unit_weight_g: a.unit_weight_grams,
                    min_weight_g: a.min_weight_grams,
                    max_weight_g: a.max_weight_grams,
                })
                .collect(),
        })
        .collect())
}
