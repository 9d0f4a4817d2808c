//! The currencies a store sells in: those of its regions, described as
//! Medusa's currency module describes them.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use super::{money, region};
use crate::DomainError;

#[derive(Debug, Clone, PartialEq)]
pub struct Currency {
    /// ISO 4217, lowercase.
    pub code: String,
    pub name: String,
    pub symbol: String,
    pub symbol_native: String,
    pub decimal_digits: u32,
    /// When the first region selling in it was created.
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// (code, name, symbol, native symbol) of the currencies stores commonly sell in.
const KNOWN: &[(&str, &str, &str, &str)] = &[
    ("aud", "Australian Dollar", "AU$", "$"),
    ("cad", "Canadian Dollar", "CA$", "$"),
    ("chf", "Swiss Franc", "CHF", "CHF"),
    ("czk", "Czech Republic Koruna", "Kč", "Kč"),
    ("dkk", "Danish Krone", "Dkr", "kr"),
    ("eur", "Euro", "€", "€"),
    ("gbp", "British Pound Sterling", "£", "£"),
    ("huf", "Hungarian Forint", "Ft", "Ft"),
    ("jpy", "Japanese Yen", "¥", "￥"),
    ("nok", "Norwegian Krone", "Nkr", "kr"),
    ("nzd", "New Zealand Dollar", "NZ$", "$"),
    ("pln", "Polish Zloty", "zł", "zł"),
    ("sek", "Swedish Krona", "Skr", "kr"),
    ("usd", "US Dollar", "$", "$"),
];

fn describe(code: &str, created_at: DateTime<Utc>, updated_at: DateTime<Utc>) -> Currency {
    let (name, symbol, symbol_native) = KNOWN
        .iter()
        .find(|(known, ..)| *known == code)
        .map(|(_, name, symbol, native)| (*name, *symbol, *native))
        .unwrap_or(("", "", ""));
    let upper = code.to_ascii_uppercase();
    let or_code = |s: &str| {
        if s.is_empty() {
            upper.clone()
        } else {
            s.to_owned()
        }
    };
    Currency {
        code: code.to_owned(),
        name: or_code(name),
        symbol: or_code(symbol),
        symbol_native: or_code(symbol_native),
        decimal_digits: money::decimals(code),
        created_at,
        updated_at,
    }
}

/// Every currency of a region, by code.
pub async fn list_currencies(db: &impl ConnectionTrait) -> Result<Vec<Currency>, DomainError> {
    let regions = region::Entity::find()
        .order_by_asc(region::Column::CreatedAt)
        .all(db)
        .await?;
    let mut currencies: Vec<Currency> = Vec::new();
    for region in regions {
        match currencies
            .iter_mut()
            .find(|c| c.code == region.currency_code)
        {
            Some(known) => known.updated_at = known.updated_at.max(region.updated_at),
            None => currencies.push(describe(
                &region.currency_code,
                region.created_at,
                region.updated_at,
            )),
        }
    }
    currencies.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(currencies)
}

/// Every currency this store knows how to describe, those of its regions
/// first by code, then the others (dated `since`, when the store began).
pub async fn all_currencies(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<Currency>, DomainError> {
    let mut currencies = list_currencies(db).await?;
    for (code, ..) in KNOWN {
        if !currencies.iter().any(|c| c.code == *code) {
            currencies.push(describe(code, since, since));
        }
    }
    currencies.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(currencies)
}

/// Those of `currencies` with one of `codes` (any case; all when none) whose
/// code or name contains `q` (any case).
pub fn matching(currencies: Vec<Currency>, codes: &[String], q: Option<&str>) -> Vec<Currency> {
    let q = q.map(str::to_lowercase);
    currencies
        .into_iter()
        .filter(|c| codes.is_empty() || codes.iter().any(|code| code.eq_ignore_ascii_case(&c.code)))
        .filter(|c| {
            q.as_ref().is_none_or(|q| {
                c.code.contains(q.as_str()) || c.name.to_lowercase().contains(q.as_str())
            })
        })
        .collect()
}

/// How a currency code is described, dated `at`.
pub fn describe_code(code: &str, at: DateTime<Utc>) -> Currency {
    describe(code, at, at)
}

/// One currency the store sells in; not found when no region uses it.
pub async fn find_currency(db: &impl ConnectionTrait, code: &str) -> Result<Currency, DomainError> {
    let code = code.to_ascii_lowercase();
    list_currencies(db)
        .await?
        .into_iter()
        .find(|c| c.code == code)
        .ok_or_else(|| DomainError::not_found("Currency", code))
}
