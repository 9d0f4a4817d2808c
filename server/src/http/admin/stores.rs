//! `/admin/stores` and `/admin/currencies`: the store's settings (name,
//! currencies with one default, default region, sales channel and stock
//! location) and the currencies it can sell in, as Medusa v2 shapes them.
//! One store per deployment.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::{
    paging::Page,
    pricing::currency,
    stores::{self, StoreChanges, store},
};
use serde::{Deserialize, Serialize};

use super::{Listing, one, present};
use crate::{
    http::{
        auth::AuthenticatedAdmin, error::ApiError, params::Params,
        store::currencies::StoreCurrency as AdminCurrency,
    },
    state::AppState,
};

/// Medusa's `AdminStore`.
#[derive(Serialize)]
pub struct AdminStore {
    id: String,
    name: String,
    supported_currencies: Vec<SupportedCurrency>,
    default_sales_channel_id: Option<String>,
    default_region_id: Option<String>,
    default_location_id: Option<String>,
    metadata: Option<serde_json::Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Medusa's `AdminStoreCurrency`.
#[derive(Serialize)]
pub struct SupportedCurrency {
    id: String,
    currency_code: String,
    is_default: bool,
    store_id: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

impl From<store::Model> for AdminStore {
    fn from(s: store::Model) -> Self {
        let supported_currencies = s
            .currencies()
            .into_iter()
            .map(|code| SupportedCurrency {
                id: format!("stocur_{code}"),
                is_default: code == s.default_currency_code,
                currency_code: code,
                store_id: s.id.clone(),
                created_at: s.created_at,
                updated_at: s.updated_at,
                deleted_at: None,
            })
            .collect();
        Self {
            id: s.id,
            name: s.name,
            supported_currencies,
            default_sales_channel_id: s.default_sales_channel_id,
            default_region_id: s.default_region_id,
            default_location_id: s.default_location_id,
            metadata: None,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminStore>>, ApiError> {
    let (offset, limit) = params.page()?;
    let the_store = stores::current(&state.db).await?;
    let items = if offset == 0 {
        vec![the_store]
    } else {
        Vec::new()
    };
    Ok(Listing::of(
        "stores",
        Page {
            items,
            count: 1,
            offset,
            limit,
        },
        AdminStore::from,
    ))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let the_store = stores::current(&state.db).await?;
    if the_store.id != id {
        return Err(domain::DomainError::not_found("Store", id).into());
    }
    Ok(one("store", AdminStore::from(the_store)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurrencyBody {
    currency_code: String,
    #[serde(default)]
    is_default: bool,
}

/// Medusa's `AdminUpdateStore`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateStoreBody {
    name: Option<String>,
    supported_currencies: Option<Vec<CurrencyBody>>,
    #[serde(default, deserialize_with = "present")]
    default_region_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    default_sales_channel_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    default_location_id: Option<Option<String>>,
    #[allow(dead_code)]
    metadata: Option<serde_json::Value>,
}

pub async fn update(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<UpdateStoreBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let changes = StoreChanges {
        name: body.name,
        supported_currencies: body.supported_currencies.map(|list| {
            list.into_iter()
                .map(|c| (c.currency_code, c.is_default))
                .collect()
        }),
        default_region_id: body.default_region_id,
        default_sales_channel_id: body.default_sales_channel_id,
        default_location_id: body.default_location_id,
    };
    let updated = stores::update(&state.db, &id, changes).await?;
    Ok(one("store", AdminStore::from(updated)))
}

/// `GET /admin/currencies?q=…&code=…`: every currency the store can sell in.
pub async fn list_currencies(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminCurrency>>, ApiError> {
    let (offset, limit) = params.page()?;
    let codes = params.list("code")?;
    let q = params.text("q")?;
    let since = stores::current(&state.db).await?.created_at;
    let matching = currency::matching(
        currency::all_currencies(&state.db, since).await?,
        &codes,
        q.as_deref(),
    );
    let count = matching.len() as u64;
    let items = matching
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    Ok(Listing::of(
        "currencies",
        Page {
            items,
            count,
            offset,
            limit,
        },
        AdminCurrency::from,
    ))
}

pub async fn retrieve_currency(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let since = stores::current(&state.db).await?.created_at;
    let code = code.to_ascii_lowercase();
    let found = currency::all_currencies(&state.db, since)
        .await?
        .into_iter()
        .find(|c| c.code == code)
        .ok_or_else(|| domain::DomainError::not_found("Currency", code))?;
    Ok(one("currency", AdminCurrency::from(found)))
}
