//! The Store API: Medusa v2 paths and JSON shapes, for headless storefronts.

mod products;
mod publishable_key;

use axum::{Router, routing::get};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/store/products", get(products::list))
        .route("/store/products/{id}", get(products::retrieve))
}
