//! Par levels per product per machine, and the pick list of a route
//! (`domain::vending::restock`). Not Medusa routes: Medusa has no machines.

use app::admin::restock::StockRow;
use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use domain::vending::restock::{self, MachinePick};
use serde::{Deserialize, Serialize};

use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

#[derive(Serialize)]
pub struct ParLevelList {
    par_levels: Vec<StockRow>,
}

/// `GET /admin/vending/machines/{device_id}/par-levels`: each product on the
/// machine's scales with its stock and par level (set or not).
pub async fn list_par_levels(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    Path(device_id): Path<String>,
) -> Result<Json<ParLevelList>, ApiError> {
    let lines = restock::stock_of(&state.db, &device_id).await?;
    Ok(Json(ParLevelList {
        par_levels: lines.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetParLevel {
    variant_id: String,
    /// Units after a restock; 0 removes the par level.
    par_level: i32,
    /// Low at or below this many units; below the par level.
    #[serde(default)]
    low_stock_at: i32,
}

/// `POST /admin/vending/machines/{device_id}/par-levels`: sets one product's
/// par level and low-stock threshold; answers the machine's list. The
/// low-stock alert follows at once.
pub async fn set_par_level(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    Path(device_id): Path<String>,
    body: Result<Json<SetParLevel>, JsonRejection>,
) -> Result<Json<ParLevelList>, ApiError> {
    let Json(body) = body?;
    restock::set_par_level(
        &state.db,
        &device_id,
        &body.variant_id,
        body.par_level,
        body.low_stock_at,
    )
    .await?;
    restock::check_low_stock(&state.db, &device_id).await?;
    list_par_levels(State(state), _admin, Path(device_id)).await
}

#[derive(Serialize)]
pub struct PickMachine {
    id: String,
    name: String,
    address: Option<String>,
    lines: Vec<StockRow>,
}

#[derive(Serialize)]
pub struct PickTotal {
    product_title: String,
    quantity: i32,
}

#[derive(Serialize)]
pub struct PickList {
    machines: Vec<PickMachine>,
    /// What to load for the whole route, by product.
    totals: Vec<PickTotal>,
}

/// The most machines one pick list covers (a day's route).
pub const MAX_ROUTE: usize = 100;

/// `GET /admin/vending/pick-list?device_id=…&device_id=…`: what to bring to
/// each machine (every active one without `device_id`) to restock it to par.
pub async fn pick_list(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    params: Params,
) -> Result<Json<PickList>, ApiError> {
    let (machines, totals) =
        restock::pick_list_of_route(&state.db, params.list("device_id")?, MAX_ROUTE).await?;
    Ok(Json(PickList {
        machines: machines
            .into_iter()
            .map(|m: MachinePick| PickMachine {
                id: m.device_id,
                name: m.name,
                address: m.address,
                lines: m.lines.into_iter().map(Into::into).collect(),
            })
            .collect(),
        totals: totals
            .into_iter()
            .map(|(product_title, quantity)| PickTotal {
                product_title,
                quantity,
            })
            .collect(),
    }))
}
