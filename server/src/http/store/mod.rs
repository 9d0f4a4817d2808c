//! The Store API: Medusa v2 paths and JSON shapes, for headless storefronts.

mod collections;
mod customers;
mod product_categories;
mod products;
mod publishable_key;
mod regions;
mod vending;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/store/products", get(products::list))
        .route("/store/products/{id}", get(products::retrieve))
        .route("/store/customers", post(customers::create))
        .route(
            "/store/customers/me",
            get(customers::me).post(customers::update_me),
        )
        .route(
            "/store/customers/me/addresses",
            get(customers::list_addresses).post(customers::add_address),
        )
        .route(
            "/store/customers/me/addresses/{address_id}",
            get(customers::retrieve_address)
                .post(customers::update_address)
                .delete(customers::delete_address),
        )
        .route("/store/product-categories", get(product_categories::list))
        .route(
            "/store/product-categories/{id}",
            get(product_categories::retrieve),
        )
        .route("/store/collections", get(collections::list))
        .route("/store/collections/{id}", get(collections::retrieve))
        .route("/store/regions", get(regions::list))
        .route("/store/regions/{id}", get(regions::retrieve))
        .route(
            "/store/vending/machines/{device_id}/sessions",
            post(vending::open),
        )
        .route("/store/vending/sessions/{id}", get(vending::retrieve))
        .route("/store/vending/sessions/{id}/events", get(vending::follow))
}
