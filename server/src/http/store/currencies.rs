//! `GET /store/currencies` and `GET /store/currencies/{code}`: the
//! currencies of the store's regions.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use domain::pricing::currency::{self, Currency};
use serde::Serialize;

use super::publishable_key::PublishableKey;
use crate::{
    http::{error::ApiError, params::Params},
    state::AppState,
};

/// Medusa's `StoreCurrency` (its `AdminCurrency` has the same fields).
#[derive(Serialize)]
pub struct StoreCurrency {
    code: String,
    symbol: String,
    symbol_native: String,
    name: String,
    decimal_digits: u32,
    rounding: f64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

impl From<Currency> for StoreCurrency {
    fn from(c: Currency) -> Self {
        Self {
            code: c.code,
            symbol: c.symbol,
            symbol_native: c.symbol_native,
            name: c.name,
            decimal_digits: c.decimal_digits,
            rounding: 0.0,
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: None,
        }
    }
}

#[derive(Serialize)]
pub struct CurrencyList {
    currencies: Vec<StoreCurrency>,
    count: u64,
    offset: u64,
    limit: u64,
}

#[derive(Serialize)]
pub struct CurrencyResponse {
    currency: StoreCurrency,
}

pub async fn list(
    _key: PublishableKey,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<CurrencyList>, ApiError> {
    let (offset, limit) = params.page()?;
    let codes = params.list("code")?;
    let q = params.text("q")?;
    let matching = currency::matching(
        currency::list_currencies(&state.db).await?,
        &codes,
        q.as_deref(),
    );
    let count = matching.len() as u64;
    Ok(Json(CurrencyList {
        currencies: matching
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(StoreCurrency::from)
            .collect(),
        count,
        offset,
        limit,
    }))
}

pub async fn retrieve(
    _key: PublishableKey,
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<CurrencyResponse>, ApiError> {
    Ok(Json(CurrencyResponse {
        currency: currency::find_currency(&state.db, &code).await?.into(),
    }))
}
