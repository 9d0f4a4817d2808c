//! The store's settings: name, currencies (one default), and the region,
//! sales channel and stock location things default to. Medusa keeps several
//! stores; a deployment here is one store, so there is one row, made on
//! first read from what the database holds (its regions' currencies).

pub mod store;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryOrder, QuerySelect, Set,
    TransactionSession,
};

use crate::{
    DomainError,
    channels::{sales_channel, stock_location},
    db::{Writable, begin_write},
    pricing::{region, valid_currency_code},
};

/// The id of the one store.
pub const STORE_ID: &str = "store_default";
/// At most this many currencies.
pub const MAX_CURRENCIES: usize = 50;

/// A change to the store; `None` keeps a field, `Some(None)` clears a default.
#[derive(Debug, Clone, Default)]
pub struct StoreChanges {
    pub name: Option<String>,
    /// Codes with whether each is the default; replaces the list.
    pub supported_currencies: Option<Vec<(String, bool)>>,
    pub default_region_id: Option<Option<String>>,
    pub default_sales_channel_id: Option<Option<String>>,
    pub default_location_id: Option<Option<String>>,
}

/// The store, made from the regions the first time it is asked for.
pub async fn current(db: &impl Writable) -> Result<store::Model, DomainError> {
    if let Some(found) = store::Entity::find_by_id(STORE_ID).one(db).await? {
        return Ok(found);
    }
    let txn = begin_write(db).await?;
    if let Some(found) = store::Entity::find_by_id(STORE_ID).one(&txn).await? {
        return Ok(found);
    }
    let regions = region::Entity::find()
        .order_by_asc(region::Column::CreatedAt)
        .all(&txn)
        .await?;
    let mut currencies: Vec<String> = Vec::new();
    for r in &regions {
        if !currencies.contains(&r.currency_code) {
            currencies.push(r.currency_code.clone());
        }
    }
    if currencies.is_empty() {
        currencies.push("eur".to_owned());
    }
    let now = Utc::now();
    // Two first reads at once (PostgreSQL does not queue them) both get
    // here: the second insert does nothing and both read the one row.
    store::Entity::insert(store::ActiveModel {
        id: Set(STORE_ID.to_owned()),
        name: Set("Automat store".to_owned()),
        default_currency_code: Set(currencies[0].clone()),
        supported_currencies: Set(currencies.join(",")),
        default_region_id: Set(regions.first().map(|r| r.id.clone())),
        default_sales_channel_id: Set(None),
        default_location_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict_do_nothing()
    .exec(&txn)
    .await?;
    let made = store::Entity::find_by_id(STORE_ID)
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::Conflict("the store's settings vanished while made".into()))?;
    txn.commit().await?;
    Ok(made)
}

/// Changes the store. The currencies every region sells in stay supported,
/// exactly one is the default, and the defaults named must exist.
pub async fn update(
    db: &impl Writable,
    id: &str,
    changes: StoreChanges,
) -> Result<store::Model, DomainError> {
    if id != STORE_ID {
        return Err(DomainError::not_found("Store", id));
    }
    current(db).await?;
    let txn = begin_write(db).await?;
    // Read inside the write, locked: two admins saving at once must not
    // write back each other's untouched fields from a stale read.
    let before = store::Entity::find_by_id(STORE_ID)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::not_found("Store", id))?;
    let mut after = before.clone();
    if let Some(name) = changes.name {
        after.name = checked_name(&name)?;
    }
    if let Some(currencies) = changes.supported_currencies {
        let (codes, default) = checked_currencies(&currencies)?;
        after.supported_currencies = codes.join(",");
        after.default_currency_code = default;
    }
    let region_currencies = region::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| (r.name, r.currency_code));
    let supported = after.currencies();
    for (region, code) in region_currencies {
        if !supported.contains(&code) {
            return Err(DomainError::Invalid(format!(
                "region {region} sells in {code}: keep {code} among the store's currencies"
            )));
        }
    }
    if let Some(region_id) = changes.default_region_id {
        after.default_region_id = exists::<region::Entity>(&txn, region_id, "Region").await?;
    }
    if let Some(channel_id) = changes.default_sales_channel_id {
        after.default_sales_channel_id =
            exists::<sales_channel::Entity>(&txn, channel_id, "Sales channel").await?;
    }
    if let Some(location_id) = changes.default_location_id {
        after.default_location_id =
            exists::<stock_location::Entity>(&txn, location_id, "Stock location").await?;
    }
    let mut active = before.into_active_model();
    active.name = Set(after.name);
    active.supported_currencies = Set(after.supported_currencies);
    active.default_currency_code = Set(after.default_currency_code);
    active.default_region_id = Set(after.default_region_id);
    active.default_sales_channel_id = Set(after.default_sales_channel_id);
    active.default_location_id = Set(after.default_location_id);
    active.updated_at = Set(Utc::now());
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// The id, if given, once it is known to name a row of `E`; blank clears.
async fn exists<E>(
    db: &impl ConnectionTrait,
    id: Option<String>,
    what: &'static str,
) -> Result<Option<String>, DomainError>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<String>,
{
    let Some(id) = id.map(|i| i.trim().to_owned()).filter(|i| !i.is_empty()) else {
        return Ok(None);
    };
    E::find_by_id(id.clone())
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found(what, id.clone()))?;
    Ok(Some(id))
}

fn checked_name(name: &str) -> Result<String, DomainError> {
    crate::text::required(
        name,
        "a store's name",
        crate::text::NAME_CHARS,
        "a store needs a name",
    )
}

/// The codes, lowercase and once each, and the one default among them.
pub fn checked_currencies(
    currencies: &[(String, bool)],
) -> Result<(Vec<String>, String), DomainError> {
    if currencies.is_empty() {
        return Err(DomainError::Invalid(
            "a store sells in at least one currency".into(),
        ));
    }
    if currencies.len() > MAX_CURRENCIES {
        return Err(DomainError::Invalid(format!(
            "a store sells in at most {MAX_CURRENCIES} currencies"
        )));
    }
    let mut codes: Vec<String> = Vec::with_capacity(currencies.len());
    let mut defaults = Vec::new();
    for (code, is_default) in currencies {
        let code = valid_currency_code(code)?;
        if codes.contains(&code) {
            return Err(DomainError::Invalid(format!("{code} is listed twice")));
        }
        if *is_default {
            defaults.push(code.clone());
        }
        codes.push(code);
    }
    match defaults.as_slice() {
        [one] => Ok((codes, one.clone())),
        [] => Err(DomainError::Invalid(
            "mark one currency as the default (is_default: true)".into(),
        )),
        _ => Err(DomainError::Invalid(format!(
            "only one currency can be the default, not {}",
            defaults.join(" and ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[(&str, bool)]) -> Vec<(String, bool)> {
        items.iter().map(|(c, d)| ((*c).to_owned(), *d)).collect()
    }

    #[test]
    fn currencies_are_codes_once_each_with_one_default() {
        assert_eq!(
            checked_currencies(&list(&[("EUR", true), ("usd", false)])).unwrap(),
            (vec!["eur".to_owned(), "usd".to_owned()], "eur".to_owned())
        );
        assert!(checked_currencies(&[]).is_err());
        assert!(checked_currencies(&list(&[("eur", false)])).is_err());
        assert!(checked_currencies(&list(&[("eur", true), ("usd", true)])).is_err());
        assert!(checked_currencies(&list(&[("eur", true), ("EUR", false)])).is_err());
        assert!(checked_currencies(&list(&[("euro", true)])).is_err());
        assert!(checked_name("  ").is_err());
        assert_eq!(checked_name(" Fridge Co ").unwrap(), "Fridge Co");
    }
}
