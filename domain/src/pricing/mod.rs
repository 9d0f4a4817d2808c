//! Regions (a currency and a tax rate for a set of countries) and the prices
//! shoppers see in them.

pub mod currency;
pub mod money;
pub mod region;
pub mod region_country;
pub mod region_provider;

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionSession,
};

use crate::{DomainError, catalog::check_page_size, ids::new_id};

/// A region with its countries (ISO-2, lowercase, sorted).
#[derive(Debug, Clone)]
pub struct RegionDetail {
    pub region: region::Model,
    pub countries: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RegionPage {
    pub regions: Vec<RegionDetail>,
    pub count: u64,
    pub offset: u64,
    pub limit: u64,
}

#[derive(Debug, Clone)]
pub struct NewRegion {
    pub name: String,
    pub currency_code: String,
    pub tax_rate_basis_points: i32,
    pub tax_inclusive: bool,
    pub countries: Vec<String>,
}

/// 100 % in basis points; more is surely a typo.
const MAX_TAX_RATE_BASIS_POINTS: i32 = 10_000;

pub async fn create_region(
    db: &impl crate::db::Writable,
    new: NewRegion,
) -> Result<String, DomainError> {
    let name = valid_region_name(&new.name)?;
    let currency_code = valid_currency_code(&new.currency_code)?;
    check_tax_rate(new.tax_rate_basis_points)?;
    let countries = valid_countries(&new.countries)?;
    let txn = crate::db::begin_write(db).await?;
    ensure_countries_free(&txn, &countries, None).await?;
    let now = Utc::now();
    let id = new_id("reg");
    region::ActiveModel {
        id: Set(id.clone()),
        name: Set(name),
        currency_code: Set(currency_code),
        tax_rate_basis_points: Set(new.tax_rate_basis_points),
        tax_inclusive: Set(new.tax_inclusive),
        automatic_capture: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    insert_countries(&txn, &id, countries).await?;
    // Until an admin picks others, a region offers the built-in provider.
    insert_payment_providers(&txn, &id, &[crate::payments::system::ID.to_owned()]).await?;
    txn.commit().await?;
    Ok(id)
}

/// The payment providers each of `region_ids` offers, sorted.
pub async fn payment_providers_of(
    db: &impl ConnectionTrait,
    region_ids: &[String],
) -> Result<HashMap<String, Vec<String>>, DomainError> {
    let mut by_region: HashMap<String, Vec<String>> = HashMap::new();
    for row in region_provider::Entity::find()
        .filter(region_provider::Column::RegionId.is_in(region_ids.iter().cloned()))
        .order_by_asc(region_provider::Column::ProviderId)
        .all(db)
        .await?
    {
        by_region
            .entry(row.region_id)
            .or_default()
            .push(row.provider_id);
    }
    Ok(by_region)
}

/// The payment providers `region_id` offers, sorted.
pub async fn payment_providers(
    db: &impl ConnectionTrait,
    region_id: &str,
) -> Result<Vec<String>, DomainError> {
    Ok(payment_providers_of(db, &[region_id.to_owned()])
        .await?
        .remove(region_id)
        .unwrap_or_default())
}

/// Replaces the payment providers `region_id` offers. Which providers exist
/// is the caller's to check (they are configured, not stored).
pub async fn set_payment_providers(
    db: &impl crate::db::Writable,
    region_id: &str,
    provider_ids: &[String],
) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    find_region(&txn, region_id).await?;
    region_provider::Entity::delete_many()
        .filter(region_provider::Column::RegionId.eq(region_id))
        .exec(&txn)
        .await?;
    insert_payment_providers(&txn, region_id, provider_ids).await?;
    txn.commit().await?;
    Ok(())
}

async fn insert_payment_providers(
    db: &impl ConnectionTrait,
    region_id: &str,
    provider_ids: &[String],
) -> Result<(), DomainError> {
    for provider_id in provider_ids {
        region_provider::Entity::insert(region_provider::ActiveModel {
            region_id: Set(region_id.to_owned()),
            provider_id: Set(provider_id.clone()),
        })
        .on_conflict_do_nothing()
        .exec(db)
        .await?;
    }
    Ok(())
}

/// The regions that offer `provider_id`, by name.
pub async fn regions_offering(
    db: &impl ConnectionTrait,
    provider_id: &str,
) -> Result<Vec<region::Model>, DomainError> {
    let ids: Vec<String> = region_provider::Entity::find()
        .filter(region_provider::Column::ProviderId.eq(provider_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.region_id)
        .collect();
    Ok(region::Entity::find()
        .filter(region::Column::Id.is_in(ids))
        .order_by_asc(region::Column::Name)
        .all(db)
        .await?)
}

/// Changes to a region; `None` keeps a field, `countries` replaces them all.
#[derive(Debug, Clone, Default)]
pub struct RegionChanges {
    pub name: Option<String>,
    pub currency_code: Option<String>,
    pub tax_rate_basis_points: Option<i32>,
    pub tax_inclusive: Option<bool>,
    pub countries: Option<Vec<String>>,
    /// Capture online payments when the order is placed (true) or on fulfilment.
    pub automatic_capture: Option<bool>,
}

pub async fn update_region(
    db: &impl crate::db::Writable,
    id: &str,
    changes: RegionChanges,
) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let mut active: region::ActiveModel = find_region(&txn, id).await?.region.into();
    if let Some(name) = &changes.name {
        active.name = Set(valid_region_name(name)?);
    }
    if let Some(code) = &changes.currency_code {
        active.currency_code = Set(valid_currency_code(code)?);
    }
    if let Some(rate) = changes.tax_rate_basis_points {
        check_tax_rate(rate)?;
        active.tax_rate_basis_points = Set(rate);
    }
    if let Some(inclusive) = changes.tax_inclusive {
        active.tax_inclusive = Set(inclusive);
    }
    if let Some(automatic) = changes.automatic_capture {
        active.automatic_capture = Set(automatic);
    }
    active.updated_at = Set(Utc::now());
    active.update(&txn).await?;
    if let Some(countries) = &changes.countries {
        let countries = valid_countries(countries)?;
        ensure_countries_free(&txn, &countries, Some(id)).await?;
        region_country::Entity::delete_many()
            .filter(region_country::Column::RegionId.eq(id))
            .exec(&txn)
            .await?;
        insert_countries(&txn, id, countries).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Deletes a region and the shipping options priced in it (Medusa's
/// region-bound prices go with their region); open carts that chose one of
/// them choose again.
pub async fn delete_region(db: &impl crate::db::Writable, id: &str) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    find_region(&txn, id).await?;
    crate::shipping::delete_options_of_region(&txn, id).await?;
    region::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

fn valid_region_name(name: &str) -> Result<String, DomainError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(DomainError::Invalid("a region needs a name".into()));
    }
    Ok(name.to_owned())
}

/// A three-letter currency code, lowercase.
pub fn valid_currency_code(code: &str) -> Result<String, DomainError> {
    let code = code.trim().to_ascii_lowercase();
    if code.len() != 3 || !code.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(DomainError::Invalid(format!(
            "{code:?} is not a three-letter currency code"
        )));
    }
    Ok(code)
}

fn check_tax_rate(basis_points: i32) -> Result<(), DomainError> {
    if !(0..=MAX_TAX_RATE_BASIS_POINTS).contains(&basis_points) {
        return Err(DomainError::Invalid(
            "a tax rate is between 0 and 10000 basis points".into(),
        ));
    }
    Ok(())
}

fn valid_countries(countries: &[String]) -> Result<Vec<String>, DomainError> {
    let countries: Vec<String> = countries
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    if let Some(bad) = countries
        .iter()
        .find(|c| c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_lowercase()))
    {
        return Err(DomainError::Invalid(format!(
            "{bad:?} is not an ISO 3166-1 alpha-2 country code"
        )));
    }
    Ok(countries)
}

/// Refuses countries that belong to another region than `except`.
async fn ensure_countries_free(
    db: &impl ConnectionTrait,
    countries: &[String],
    except: Option<&str>,
) -> Result<(), DomainError> {
    let taken = region_country::Entity::find()
        .filter(region_country::Column::Iso2.is_in(countries.iter().cloned()))
        .all(db)
        .await?;
    if let Some(taken) = taken.iter().find(|c| Some(c.region_id.as_str()) != except) {
        return Err(DomainError::Conflict(format!(
            "country {} already belongs to a region",
            taken.iso2
        )));
    }
    Ok(())
}

async fn insert_countries(
    db: &impl ConnectionTrait,
    region_id: &str,
    countries: Vec<String>,
) -> Result<(), DomainError> {
    for iso2 in countries {
        region_country::ActiveModel {
            iso2: Set(iso2),
            region_id: Set(region_id.to_owned()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Regions by name, one page at a time.
pub async fn list_regions(
    db: &impl ConnectionTrait,
    offset: u64,
    limit: u64,
) -> Result<RegionPage, DomainError> {
    check_page_size(limit)?;
    let select = region::Entity::find();
    let count = select.clone().count(db).await?;
    let regions = select
        .order_by_asc(region::Column::Name)
        .order_by_asc(region::Column::Id)
        .offset(crate::paging::row_offset(offset))
        .limit(limit)
        .all(db)
        .await?;
    Ok(RegionPage {
        regions: with_countries(db, regions).await?,
        count,
        offset,
        limit,
    })
}

pub async fn find_region(db: &impl ConnectionTrait, id: &str) -> Result<RegionDetail, DomainError> {
    regions_with_countries(db, region::Entity::find_by_id(id))
        .await?
        .pop()
        .ok_or_else(|| DomainError::not_found("Region", id))
}

/// The region in `currency_code` (first by name), or the first region when
/// no currency is asked for.
pub async fn default_region(
    db: &impl ConnectionTrait,
    currency_code: Option<&str>,
) -> Result<Option<RegionDetail>, DomainError> {
    let mut select = region::Entity::find();
    if let Some(code) = currency_code {
        select = select.filter(region::Column::CurrencyCode.eq(code.to_lowercase()));
    }
    Ok(regions_with_countries(db, select)
        .await?
        .into_iter()
        .min_by(|a, b| (&a.region.name, &a.region.id).cmp(&(&b.region.name, &b.region.id))))
}

/// The regions `select` finds, with their countries, in one query.
async fn regions_with_countries(
    db: &impl ConnectionTrait,
    select: sea_orm::Select<region::Entity>,
) -> Result<Vec<RegionDetail>, DomainError> {
    Ok(select
        .find_with_related(region_country::Entity)
        .order_by_asc(region_country::Column::Iso2)
        .all(db)
        .await?
        .into_iter()
        .map(|(region, countries)| RegionDetail {
            region,
            countries: countries.into_iter().map(|c| c.iso2).collect(),
        })
        .collect())
}

pub(crate) async fn with_countries(
    db: &impl ConnectionTrait,
    regions: Vec<region::Model>,
) -> Result<Vec<RegionDetail>, DomainError> {
    let ids: Vec<String> = regions.iter().map(|r| r.id.clone()).collect();
    let mut by_region: HashMap<String, Vec<String>> = HashMap::new();
    for country in region_country::Entity::find()
        .filter(region_country::Column::RegionId.is_in(ids))
        .order_by_asc(region_country::Column::Iso2)
        .all(db)
        .await?
    {
        by_region
            .entry(country.region_id)
            .or_default()
            .push(country.iso2);
    }
    Ok(regions
        .into_iter()
        .map(|region| {
            let countries = by_region.remove(&region.id).unwrap_or_default();
            RegionDetail { region, countries }
        })
        .collect())
}

/// What prices are shown for: a region (its currency and tax rate), or a
/// bare currency when the shopper has not picked a region.
#[derive(Debug, Clone)]
pub enum PriceContext {
    Region(region::Model),
    Currency(String),
}

impl PriceContext {
    /// The context `region_id` names, or else `currency_code`; `None` when neither is given.
    pub async fn resolve(
        db: &impl ConnectionTrait,
        region_id: Option<&str>,
        currency_code: Option<&str>,
    ) -> Result<Option<Self>, DomainError> {
        if let Some(id) = region_id {
            return Ok(Some(Self::Region(find_region(db, id).await?.region)));
        }
        currency_code
            .map(|code| valid_currency_code(code).map(Self::Currency))
            .transpose()
    }

    pub fn currency_code(&self) -> &str {
        match self {
            Self::Region(region) => &region.currency_code,
            Self::Currency(code) => code,
        }
    }

    pub fn tax_inclusive(&self) -> bool {
        matches!(self, Self::Region(region) if region.tax_inclusive)
    }

    /// `amount` split by the region's tax; without a region there is no tax to split.
    pub fn taxed(&self, amount: i64) -> TaxedAmount {
        match self {
            Self::Region(region) => TaxedAmount::in_region(amount, region),
            Self::Currency(_) => TaxedAmount {
                amount,
                with_tax: amount,
                without_tax: amount,
            },
        }
    }
}

/// A price as a region shows it, in minor units, with and without the region's tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxedAmount {
    /// The stored price, as the region states it (tax included or not).
    pub amount: i64,
    pub with_tax: i64,
    pub without_tax: i64,
}

impl TaxedAmount {
    /// Splits `amount` by `region`'s tax rate, rounding half away from zero to the minor unit.
    pub fn in_region(amount: i64, region: &region::Model) -> Self {
        let rate = i128::from(region.tax_rate_basis_points);
        let basis = 10_000_i128;
        let amount_wide = i128::from(amount);
        let (with_tax, without_tax) = if region.tax_inclusive {
            (
                amount_wide,
                divide_rounding(amount_wide * basis, basis + rate),
            )
        } else {
            (
                divide_rounding(amount_wide * (basis + rate), basis),
                amount_wide,
            )
        };
        Self {
            amount,
            with_tax: with_tax as i64,
            without_tax: without_tax as i64,
        }
    }
}

pub(crate) fn divide_rounding(numerator: i128, denominator: i128) -> i128 {
    let half = denominator / 2;
    if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        (numerator - half) / denominator
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(rate: i32, inclusive: bool) -> region::Model {
        region::Model {
            id: "reg_test".into(),
            name: "Test".into(),
            currency_code: "eur".into(),
            tax_rate_basis_points: rate,
            tax_inclusive: inclusive,
            automatic_capture: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn inclusive_prices_contain_the_tax() {
        assert_eq!(
            TaxedAmount::in_region(120, &region(2000, true)),
            TaxedAmount {
                amount: 120,
                with_tax: 120,
                without_tax: 100
            }
        );
        // 150 / 1.2 = 125
        assert_eq!(
            TaxedAmount::in_region(150, &region(2000, true)).without_tax,
            125
        );
        // 199 / 1.07 = 185.98 → 186
        assert_eq!(
            TaxedAmount::in_region(199, &region(700, true)).without_tax,
            186
        );
    }

    #[test]
    fn exclusive_prices_get_the_tax_added() {
        assert_eq!(
            TaxedAmount::in_region(100, &region(2000, false)),
            TaxedAmount {
                amount: 100,
                with_tax: 120,
                without_tax: 100
            }
        );
        // 199 * 1.075 = 213.925 → 214
        assert_eq!(
            TaxedAmount::in_region(199, &region(750, false)).with_tax,
            214
        );
        assert_eq!(TaxedAmount::in_region(500, &region(0, false)).with_tax, 500);
    }
}
