//! `GET /store/regions` and `GET /store/regions/{id}`.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use domain::pricing::{self, RegionDetail};
use serde::Serialize;

use super::publishable_key::PublishableKey;
use crate::http::params::Params;
use crate::{http::error::ApiError, state::AppState};

#[derive(Serialize)]
pub struct RegionList {
    regions: Vec<StoreRegion>,
    count: u64,
    offset: u64,
    limit: u64,
}

#[derive(Serialize)]
pub struct RegionResponse {
    region: StoreRegion,
}

/// Medusa's `StoreRegion`.
#[derive(Serialize)]
pub struct StoreRegion {
    id: String,
    name: String,
    currency_code: String,
    automatic_taxes: bool,
    countries: Vec<StoreRegionCountry>,
    metadata: Option<serde_json::Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Medusa's `StoreRegionCountry`; we keep only the ISO-2 code, which is also its id.
#[derive(Serialize)]
pub struct StoreRegionCountry {
    id: String,
    iso_2: String,
    iso_3: Option<String>,
    num_code: Option<String>,
    name: Option<String>,
    display_name: Option<String>,
}

pub async fn list(
    _key: PublishableKey,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<RegionList>, ApiError> {
    let (offset, limit) = params.page()?;
    let page = pricing::list_regions(&state.db, offset, limit).await?;
    Ok(Json(RegionList {
        regions: page.regions.into_iter().map(StoreRegion::from).collect(),
        count: page.count,
        offset: page.offset,
        limit: page.limit,
    }))
}

pub async fn retrieve(
    _key: PublishableKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RegionResponse>, ApiError> {
    Ok(Json(RegionResponse {
        region: pricing::find_region(&state.db, &id).await?.into(),
    }))
}

impl From<RegionDetail> for StoreRegion {
    fn from(detail: RegionDetail) -> Self {
        let r = detail.region;
        Self {
            id: r.id,
            name: r.name,
            currency_code: r.currency_code,
            automatic_taxes: true,
            countries: detail
                .countries
                .into_iter()
                .map(|iso2| StoreRegionCountry {
                    id: iso2.clone(),
                    iso_2: iso2,
                    iso_3: None,
                    num_code: None,
                    name: None,
                    display_name: None,
                })
                .collect(),
            metadata: None,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}
