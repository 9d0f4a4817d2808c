//! `/admin/regions`: currency, tax rate and countries.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use domain::{
    admin_users::{self, Permission},
    pricing::{self, NewRegion, RegionChanges, RegionDetail},
};
use serde::{Deserialize, Serialize};

use super::{Deleted, Listing, one};
use crate::{
    http::{
        auth::AuthenticatedAdmin, error::ApiError, params::Params, store::regions::StoreRegion,
    },
    state::AppState,
};

/// Medusa's `AdminRegion`, with the region's one tax rate (a percentage) and
/// whether prices include it.
#[derive(Serialize)]
pub struct AdminRegion {
    #[serde(flatten)]
    base: StoreRegion,
    tax_rate: f64,
    is_tax_inclusive: bool,
    /// Medusa's shape: `[{id, is_enabled}]`.
    payment_providers: Vec<RegionPaymentProvider>,
    /// Ours: online payments captured when the order is placed (true), or
    /// on fulfilment (false, the default).
    automatic_capture: bool,
}

#[derive(Serialize)]
pub struct RegionPaymentProvider {
    id: String,
    /// Whether this store has the provider configured (a region may name
    /// one whose settings were removed since).
    is_enabled: bool,
}

#[derive(Deserialize)]
pub struct RegionBody {
    name: Option<String>,
    currency_code: Option<String>,
    /// A percentage, e.g. 20 or 7.5.
    tax_rate: Option<f64>,
    is_tax_inclusive: Option<bool>,
    /// ISO-2 codes.
    countries: Option<Vec<String>>,
    /// The payment providers offered in the region (`pp_system_default`,
    /// `pp_stripe_stripe`), replacing those offered before.
    payment_providers: Option<Vec<String>>,
    /// Capture online payments when the order is placed, or on fulfilment.
    automatic_capture: Option<bool>,
}

impl RegionBody {
    /// Which providers a region offers and when it captures are payment
    /// settings: a role that may edit regions but not those is refused the
    /// whole change, not half of it.
    async fn check_payment_settings(
        &self,
        state: &AppState,
        admin: &AuthenticatedAdmin,
    ) -> Result<(), ApiError> {
        if self.payment_providers.is_some() || self.automatic_capture.is_some() {
            admin_users::authorize(&state.db, &admin.id, Permission::PaymentSettings).await?;
        }
        Ok(())
    }
}

pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminRegion>>, ApiError> {
    let (offset, limit) = params.page()?;
    let page = pricing::list_regions(&state.db, offset, limit).await?;
    let ids: Vec<String> = page.regions.iter().map(|r| r.region.id.clone()).collect();
    let mut providers = pricing::payment_providers_of(&state.db, &ids).await?;
    let page = domain::paging::Page {
        items: page.regions,
        count: page.count,
        offset: page.offset,
        limit: page.limit,
    };
    Ok(Listing::of("regions", page, |detail| {
        let offered = providers.remove(&detail.region.id).unwrap_or_default();
        AdminRegion::of(&state, detail, offered)
    }))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    region_response(&state, &id).await
}

pub async fn create(
    admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<RegionBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    body.check_payment_settings(&state, &admin).await?;
    let payment_providers = body
        .payment_providers
        .as_deref()
        .map(|ids| known_providers(&state, ids))
        .transpose()?;
    let new = NewRegion {
        name: body.name.unwrap_or_default(),
        currency_code: body.currency_code.unwrap_or_default(),
        tax_rate_basis_points: basis_points(body.tax_rate.unwrap_or(0.0))?,
        tax_inclusive: body.is_tax_inclusive.unwrap_or(false),
        countries: body.countries.unwrap_or_default(),
    };
    let id = pricing::create_region(&state.db, new).await?;
    if body.automatic_capture.is_some() {
        let capture = RegionChanges {
            automatic_capture: body.automatic_capture,
            ..Default::default()
        };
        pricing::update_region(&state.db, &id, capture).await?;
    }
    if let Some(ids) = payment_providers {
        pricing::set_payment_providers(&state.db, &id, &ids).await?;
    }
    region_response(&state, &id).await
}

pub async fn update(
    admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<RegionBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    body.check_payment_settings(&state, &admin).await?;
    let payment_providers = body
        .payment_providers
        .as_deref()
        .map(|ids| known_providers(&state, ids))
        .transpose()?;
    let changes = RegionChanges {
        name: body.name,
        currency_code: body.currency_code,
        tax_rate_basis_points: body.tax_rate.map(basis_points).transpose()?,
        tax_inclusive: body.is_tax_inclusive,
        countries: body.countries,
        automatic_capture: body.automatic_capture,
    };
    pricing::update_region(&state.db, &id, changes).await?;
    if let Some(ids) = payment_providers {
        pricing::set_payment_providers(&state.db, &id, &ids).await?;
    }
    region_response(&state, &id).await
}

pub async fn delete(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    pricing::delete_region(&state.db, &id).await?;
    Ok(Deleted::of("region", id))
}

/// 7.5 % → 750 basis points; finer rates are refused.
fn basis_points(percent: f64) -> Result<i32, ApiError> {
    let points = (percent * 100.0).round();
    if !percent.is_finite() || (percent * 100.0 - points).abs() > 1e-6 || points.abs() > 1e6 {
        return Err(ApiError::invalid_data(format!(
            "tax_rate must be a percentage with at most two decimals, not {percent}"
        )));
    }
    Ok(points as i32)
}

/// The ids, each a provider this store has, without repeats.
fn known_providers(state: &AppState, ids: &[String]) -> Result<Vec<String>, ApiError> {
    let mut known: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !state.payment_providers.has(id) {
            return Err(ApiError::invalid_data(format!(
                "payment provider {id:?} is not configured here; the store has {}",
                state.payment_providers.ids().join(", ")
            )));
        }
        if !known.contains(id) {
            known.push(id.clone());
        }
    }
    Ok(known)
}

async fn region_response(state: &AppState, id: &str) -> Result<Json<serde_json::Value>, ApiError> {
    let detail = pricing::find_region(&state.db, id).await?;
    let offered = pricing::payment_providers(&state.db, id).await?;
    Ok(one("region", AdminRegion::of(state, detail, offered)))
}

impl AdminRegion {
    fn of(state: &AppState, detail: RegionDetail, offered: Vec<String>) -> Self {
        Self {
            tax_rate: f64::from(detail.region.tax_rate_basis_points) / 100.0,
            is_tax_inclusive: detail.region.tax_inclusive,
            automatic_capture: detail.region.automatic_capture,
            payment_providers: offered
                .into_iter()
                .map(|id| RegionPaymentProvider {
                    is_enabled: state.payment_providers.has(&id),
                    id,
                })
                .collect(),
            base: detail.into(),
        }
    }
}
