//! The Store API: Medusa v2 paths and JSON shapes, for headless storefronts.

mod carts;
pub(crate) mod collections;
pub(crate) mod currencies;
pub(crate) mod customers;
mod loyalty;
mod orders;
mod payment;
pub(crate) mod product_categories;
pub(crate) mod products;
mod publishable_key;
pub(crate) mod regions;
pub(crate) mod return_reasons;
pub(crate) mod returns;
pub(crate) mod shipping_options;
pub(crate) mod vending;

use axum::{
    Router,
    middleware::from_fn_with_state,
    routing::{delete, get, post},
};

pub(crate) use publishable_key::PublishableKey;

use crate::{http::read_cache, state::AppState};

pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(catalog_routes(state))
        .merge(shopper_routes())
}

/// Reads of the published catalog, the same for every shopper of a key.
fn catalog_routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/store/products", get(products::list))
        .route(
            "/store/products/search-suggestions",
            get(products::suggestions),
        )
        .route("/store/products/{id}", get(products::retrieve))
        .route("/store/product-categories", get(product_categories::list))
        .route(
            "/store/product-categories/{id}",
            get(product_categories::retrieve),
        )
        .route("/store/collections", get(collections::list))
        .route("/store/collections/{id}", get(collections::retrieve))
        .route("/store/regions", get(regions::list))
        .route("/store/regions/{id}", get(regions::retrieve))
        .route("/store/currencies", get(currencies::list))
        .route("/store/currencies/{code}", get(currencies::retrieve))
        .route_layer(from_fn_with_state(
            state.read_cache.clone(),
            read_cache::serve_cached,
        ))
}

/// Routes whose answers belong to one shopper.
fn shopper_routes() -> Router<AppState> {
    Router::new()
        // Not behind the read cache: an operator's new reason shows at once.
        .route("/store/return-reasons", get(return_reasons::list))
        .route("/store/return-reasons/{id}", get(return_reasons::retrieve))
        .route("/store/customers", post(customers::create))
        .route(
            "/store/customers/me",
            get(customers::me).post(customers::update_me),
        )
        .route(
            "/store/customers/me/sign-out-everywhere",
            post(customers::sign_out_everywhere),
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
        .route("/store/carts", post(carts::create))
        .route(
            "/store/carts/{id}",
            get(carts::retrieve).post(carts::update),
        )
        .route("/store/carts/{id}/line-items", post(carts::add_line_item))
        .route(
            "/store/carts/{id}/line-items/{line_id}",
            post(carts::update_line_item).delete(carts::delete_line_item),
        )
        .route(
            "/store/carts/{id}/promotions",
            post(carts::add_promotions).delete(carts::remove_promotions),
        )
        .route(
            "/store/carts/{id}/shipping-methods",
            post(carts::add_shipping_method),
        )
        .route("/store/carts/{id}/complete", post(carts::complete))
        .route("/store/carts/{id}/customer", post(carts::transfer))
        .route("/store/carts/{id}/taxes", post(carts::calculate_taxes))
        .route("/store/shipping-options", get(shipping_options::list))
        .route("/store/payment-providers", get(payment::list_providers))
        .route(
            "/store/customers/me/payment-methods/{provider_id}",
            get(payment::list_saved_cards).post(payment::start_saving_card),
        )
        .route(
            "/store/customers/me/payment-methods/{provider_id}/{payment_method_id}",
            delete(payment::remove_saved_card),
        )
        .route(
            "/store/payment-collections",
            post(payment::create_collection),
        )
        .route(
            "/store/payment-collections/{id}/payment-sessions",
            post(payment::create_session),
        )
        .route("/store/orders", get(orders::list))
        .route("/store/orders/{id}", get(orders::retrieve))
        .route("/store/returns", get(returns::list).post(returns::create))
        .route("/store/return", post(returns::create))
        .route("/store/returns/{id}", get(returns::retrieve))
        .route("/store/loyalty/identify", post(loyalty::identify))
        .route("/store/loyalty/code", post(loyalty::send_code))
        .route("/store/loyalty/verify", post(loyalty::verify))
        .route(
            "/store/customers/me/loyalty/code",
            post(loyalty::send_link_code),
        )
        .route(
            "/store/customers/me/loyalty/verify",
            post(loyalty::verify_link),
        )
        .route("/store/loyalty/rewards", post(loyalty::calculate))
        .route("/store/loyalty/rewards/select", post(loyalty::select))
        .route(
            "/store/vending/machines/{device_id}/sessions",
            post(vending::open),
        )
        .route(
            "/store/vending/machines/{device_id}/returns",
            post(vending::open_return),
        )
        .route(
            "/store/vending/deposit-credits",
            get(vending::list_deposit_credits),
        )
        .route(
            "/store/vending/deposit-payouts",
            get(vending::list_deposit_payouts).post(vending::pay_out_deposits),
        )
        .route("/store/vending/sessions/{id}", get(vending::retrieve))
        .route("/store/vending/sessions/{id}/events", get(vending::follow))
        .route(
            "/vending/sessions/{id}/events",
            get(vending::follow_in_storefront),
        )
}
