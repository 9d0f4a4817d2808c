//! Stock and restocking: par levels per product per machine, the low-stock
//! alert when a sale takes a product to its threshold (resolved when the
//! machine is restocked above it), and the pick list of a route: for each
//! machine chosen, what to bring to get every product back to par.

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::OnConflict};

use super::{machines, par_level};
use crate::{DomainError, alerts};

/// A product on a machine's scales, with its stock and par level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine {
    pub variant_id: String,
    pub product_title: String,
    pub in_stock: i32,
    /// `None` while no par level is set.
    pub par: Option<i32>,
    pub low_at: Option<i32>,
}

impl StockLine {
    /// Units to bring to get back to par (0 without a par level).
    pub fn to_bring(&self) -> i32 {
        self.par.map_or(0, |par| (par - self.in_stock).max(0))
    }

    /// At or below its low-stock threshold.
    pub fn is_low(&self) -> bool {
        self.low_at.is_some_and(|low| self.in_stock <= low)
    }
}

/// A machine's products (each once, in scale order) with stock and par.
pub async fn stock_of(
    db: &impl ConnectionTrait,
    device_id: &str,
) -> Result<Vec<StockLine>, DomainError> {
    let machine = machines::find(db, device_id).await?;
    let levels: BTreeMap<String, par_level::Model> = par_level::Entity::find()
        .filter(par_level::Column::DeviceId.eq(device_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.variant_id.clone(), l))
        .collect();
    let mut lines: Vec<StockLine> = Vec::new();
    for shelf in machines::shelves(db, &machine).await? {
        if lines.iter().any(|l| l.variant_id == shelf.variant_id) {
            continue;
        }
        let level = levels.get(&shelf.variant_id);
        lines.push(StockLine {
            par: level.map(|l| l.par),
            low_at: level.map(|l| l.low_at),
            variant_id: shelf.variant_id,
            product_title: shelf.product_title,
            in_stock: shelf.in_stock,
        });
    }
    Ok(lines)
}

/// Sets the par level of a product the machine holds; `par` 0 removes it.
pub async fn set_par_level(
    db: &impl ConnectionTrait,
    device_id: &str,
    variant_id: &str,
    par: i32,
    low_at: i32,
) -> Result<(), DomainError> {
    if !(0..=10_000).contains(&par) {
        return Err(DomainError::Invalid(format!(
            "the par level must be between 0 and 10000 units, not {par}"
        )));
    }
    if low_at < 0 || (par > 0 && low_at >= par) {
        return Err(DomainError::Invalid(format!(
            "the low-stock threshold must be at least 0 and below the par level ({par}), not {low_at}"
        )));
    }
    let stock = stock_of(db, device_id).await?;
    if !stock.iter().any(|l| l.variant_id == variant_id) {
        return Err(DomainError::Invalid(format!(
            "{variant_id} is on none of {device_id}'s scales; put it on a scale first"
        )));
    }
    if par == 0 {
        par_level::Entity::delete_many()
            .filter(par_level::Column::DeviceId.eq(device_id))
            .filter(par_level::Column::VariantId.eq(variant_id))
            .exec(db)
            .await?;
        return Ok(());
    }
    par_level::Entity::insert(par_level::ActiveModel {
        device_id: Set(device_id.to_owned()),
        variant_id: Set(variant_id.to_owned()),
        par: Set(par),
        low_at: Set(low_at),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([par_level::Column::DeviceId, par_level::Column::VariantId])
            .update_columns([
                par_level::Column::Par,
                par_level::Column::LowAt,
                par_level::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// Raises the machine's low-stock alert when a product is at or below its
/// threshold (one open alert a machine, naming the products), and resolves
/// it once none is. Run after a sale or a restock settles.
pub async fn check_low_stock<C: crate::db::Writable>(
    db: &C,
    device_id: &str,
) -> Result<(), DomainError> {
    let has_par_levels = par_level::Entity::find()
        .filter(par_level::Column::DeviceId.eq(device_id))
        .one(db)
        .await?
        .is_some();
    if !has_par_levels {
        // Nothing is watched; an alert left from levels since removed ends.
        let open = alerts::alert::Entity::find()
            .filter(alerts::alert::Column::DeviceId.eq(device_id))
            .filter(alerts::alert::Column::Kind.eq(alerts::Kind::LowStock))
            .filter(alerts::alert::Column::ResolvedAt.is_null())
            .one(db)
            .await?;
        if open.is_some() {
            alerts::resolve(db, device_id, alerts::Kind::LowStock).await?;
        }
        return Ok(());
    }
    let low: Vec<StockLine> = stock_of(db, device_id)
        .await?
        .into_iter()
        .filter(StockLine::is_low)
        .collect();
    if low.is_empty() {
        alerts::resolve(db, device_id, alerts::Kind::LowStock).await?;
        return Ok(());
    }
    let products: Vec<String> = low
        .iter()
        .map(|l| {
            format!(
                "{} ({} left, par {})",
                l.product_title,
                l.in_stock,
                l.par.unwrap_or(0)
            )
        })
        .collect();
    let message = format!("low stock: {}", products.join(", "));
    alerts::raise(db, alerts::Kind::LowStock, device_id, &message).await?;
    Ok(())
}

/// One machine of a pick list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachinePick {
    pub device_id: String,
    pub name: String,
    pub address: Option<String>,
    /// The products to bring (at least one unit each).
    pub lines: Vec<StockLine>,
}

/// A pick list: each machine's picks, and the totals by product.
pub type Route = (Vec<MachinePick>, Vec<(String, i32)>);

/// The pick list of `device_ids`, or of every machine not decommissioned
/// when none is named; at most `max` machines.
pub async fn pick_list_of_route(
    db: &impl ConnectionTrait,
    device_ids: Vec<String>,
    max: usize,
) -> Result<Route, DomainError> {
    let ids = if device_ids.is_empty() {
        machines::list(db)
            .await?
            .into_iter()
            .filter(|m| m.device.decommissioned_at.is_none())
            .map(|m| m.device.id)
            .collect()
    } else {
        device_ids
    };
    if ids.len() > max {
        return Err(DomainError::Invalid(format!(
            "a pick list covers at most {max} machines; choose fewer"
        )));
    }
    pick_list(db, &ids).await
}

/// What to bring to each of `device_ids` (in the order given, each once)
/// to restock it to par, and the totals by product for the whole route.
pub async fn pick_list(
    db: &impl ConnectionTrait,
    device_ids: &[String],
) -> Result<Route, DomainError> {
    let mut picks: Vec<MachinePick> = Vec::new();
    let mut totals: BTreeMap<String, i32> = BTreeMap::new();
    for device_id in device_ids {
        if picks.iter().any(|p| &p.device_id == device_id) {
            continue;
        }
        let machine = machines::find(db, device_id).await?;
        let lines: Vec<StockLine> = stock_of(db, device_id)
            .await?
            .into_iter()
            .filter(|l| l.to_bring() > 0)
            .collect();
        for line in &lines {
            *totals.entry(line.product_title.clone()).or_default() += line.to_bring();
        }
        picks.push(MachinePick {
            device_id: machine.device.id,
            name: machine.device.name,
            address: machine.device.address,
            lines,
        });
    }
    Ok((picks, totals.into_iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::StockLine;

    fn line(in_stock: i32, par: Option<i32>, low_at: Option<i32>) -> StockLine {
        StockLine {
            variant_id: "v".into(),
            product_title: "Cola".into(),
            in_stock,
            par,
            low_at,
        }
    }

    #[test]
    fn what_to_bring_is_the_gap_to_par_never_negative() {
        assert_eq!(line(3, Some(10), Some(2)).to_bring(), 7);
        assert_eq!(line(12, Some(10), Some(2)).to_bring(), 0, "overstocked");
        assert_eq!(line(0, None, None).to_bring(), 0, "no par level set");
    }

    #[test]
    fn low_is_at_or_below_the_threshold() {
        assert!(line(2, Some(10), Some(2)).is_low());
        assert!(!line(3, Some(10), Some(2)).is_low());
        assert!(!line(0, None, None).is_low(), "no threshold, never low");
    }
}
