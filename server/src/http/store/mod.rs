//! The Store API: Medusa v2 paths and JSON shapes, for headless storefronts.

mod collections;
mod params;
mod product_categories;
mod products;
mod publishable_key;
mod regions;

use axum::{Router, routing::get};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/store/products", get(products::list))
        .route("/store/products/{id}", get(products::retrieve))
        .route("/store/product-categories", get(product_categories::list))
        .route("/store/product-categories/{id}", get(product_categories::retrieve))
        .route("/store/collections", get(collections::list))
        .route("/store/collections/{id}", get(collections::retrieve))
        .route("/store/regions", get(regions::list))
        .route("/store/regions/{id}", get(regions::retrieve))
}
