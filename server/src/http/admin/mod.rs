//! The Admin API (`/admin/*`), Medusa v2 paths and shapes, for operators'
//! tools and the dashboard. Every route but accepting an invite is behind
//! [`access::authorize`]: a signed-in admin user whose role allows it.

pub mod access;
mod alerts;
mod api_keys;
mod customer_groups;
mod customers;
mod inventory;
mod invites;
mod loyalty;
mod machines;
mod notifications;
mod orders;
mod overview;
mod payments;
mod product_csv;
mod product_options;
mod products;
mod promotions;
mod regions;
mod restock;
mod return_reasons;
mod returns;
mod sales_channels;
mod shipping;
mod stock_locations;
mod stores;
mod taxonomy;
mod uploads;
mod users;
mod vending;

use axum::{
    Json, Router,
    extract::DefaultBodyLimit,
    middleware,
    routing::{get, post},
};
use domain::paging::Page;
use serde::{Serialize, ser::SerializeMap};

use crate::state::AppState;

/// Admin API paths that are dashboard pages too: a browser asking for HTML
/// gets the page, every other client the API.
pub const PAGE_PATHS: &[&str] = &[
    "/admin/overview",
    "/admin/orders",
    "/admin/orders/{id}",
    "/admin/payments",
    "/admin/regions",
    "/admin/promotions",
    "/admin/return-reasons",
    "/admin/shipping-options",
    "/admin/returns",
    "/admin/sales-channels",
    "/admin/stock-locations",
    "/admin/api-keys",
    "/admin/customer-groups",
    "/admin/customers",
    "/admin/customers/{id}",
    "/admin/products",
    "/admin/products/{id}",
    "/admin/loyalty/config",
    "/admin/loyalty/sessions",
    "/admin/alerts",
    "/admin/notifications",
    "/admin/reservations",
    "/admin/vending/sessions",
    "/admin/vending/sessions/{id}",
    "/admin/users",
];

pub fn routes(state: &AppState) -> Router<AppState> {
    // Every file of a full upload form, plus its multipart framing.
    let upload_limit = DefaultBodyLimit::max(
        state.upload_max_bytes.saturating_mul(uploads::MAX_FILES) + 64 * 1024,
    );
    signed_in_routes()
        .route("/admin/uploads", post(uploads::create).layer(upload_limit))
        .route(
            "/admin/products/{id}/images",
            post(uploads::add_to_product).layer(upload_limit),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            access::authorize,
        ))
        // Added after the access layer, so outside it: whoever accepts an
        // invite has no account yet; the invite's token is their proof.
        .route("/admin/invites/accept", post(invites::accept))
}

/// Every route [`access::authorize`] guards.
fn signed_in_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users/me", get(users::me))
        .route(
            "/admin/users/me/sign-out-everywhere",
            post(users::sign_out_everywhere),
        )
        .route("/admin/users", get(users::list))
        .route(
            "/admin/users/{id}",
            get(users::retrieve)
                .post(users::update)
                .delete(users::delete),
        )
        .route("/admin/invites", get(invites::list).post(invites::create))
        .route(
            "/admin/invites/{id}",
            get(invites::retrieve).delete(invites::delete),
        )
        .route("/admin/invites/{id}/resend", post(invites::resend))
        .route(
            app::admin::devices::DEVICE_EVENTS_PATH,
            get(crate::realtime::device_events),
        )
        .route(
            "/admin/promotions",
            get(promotions::list).post(promotions::create),
        )
        .route(
            "/admin/promotions/{id}",
            get(promotions::retrieve)
                .post(promotions::update)
                .delete(promotions::delete),
        )
        .route(
            "/admin/shipping-profiles",
            get(shipping::list_profiles).post(shipping::create_profile),
        )
        .route(
            "/admin/shipping-profiles/{id}",
            get(shipping::retrieve_profile)
                .post(shipping::update_profile)
                .delete(shipping::delete_profile),
        )
        .route(
            "/admin/shipping-options",
            get(shipping::list_options).post(shipping::create_option),
        )
        .route(
            "/admin/shipping-options/{id}/rules/batch",
            post(shipping::batch_rules),
        )
        .route(
            "/admin/shipping-option-types",
            get(shipping::list_option_types),
        )
        .route(
            "/admin/shipping-option-types/{id}",
            get(shipping::retrieve_option_type),
        )
        .route(
            "/admin/fulfillment-providers",
            get(shipping::list_fulfillment_providers),
        )
        .route(
            "/admin/shipping-options/{id}",
            get(shipping::retrieve_option)
                .post(shipping::update_option)
                .delete(shipping::delete_option),
        )
        .route(
            "/admin/customer-groups",
            get(customer_groups::list).post(customer_groups::create),
        )
        .route(
            "/admin/customer-groups/{id}",
            get(customer_groups::retrieve)
                .post(customer_groups::update)
                .delete(customer_groups::delete),
        )
        .route(
            "/admin/customer-groups/{id}/customers",
            post(customer_groups::batch_customers),
        )
        .route(
            "/admin/return-reasons",
            get(return_reasons::list).post(return_reasons::create),
        )
        .route(
            "/admin/return-reasons/{id}",
            get(return_reasons::retrieve)
                .post(return_reasons::update)
                .delete(return_reasons::delete),
        )
        .route(
            "/admin/campaigns",
            get(promotions::list_campaigns).post(promotions::create_campaign),
        )
        .route(
            "/admin/campaigns/{id}",
            get(promotions::retrieve_campaign)
                .post(promotions::update_campaign)
                .delete(promotions::delete_campaign),
        )
        .route(
            "/admin/campaigns/{id}/promotions",
            post(promotions::batch_promotions),
        )
        .route("/admin/overview", get(overview::retrieve))
        .route("/admin/exports/orders.csv", get(overview::orders_csv))
        .route("/admin/exports/sessions.csv", get(overview::sessions_csv))
        .route(
            "/admin/exports/products.csv",
            get(product_csv::products_csv),
        )
        .route("/admin/alerts", get(alerts::list))
        .route("/admin/alerts/{id}/acknowledge", post(alerts::acknowledge))
        .route("/admin/notifications", get(notifications::list))
        .route("/admin/notifications/{id}", get(notifications::retrieve))
        .route(
            "/admin/notifications/{id}/resend",
            post(notifications::resend),
        )
        .route(
            "/admin/vending/machines",
            get(machines::list).post(machines::create),
        )
        .route(
            "/admin/vending/machines/{device_id}",
            get(machines::retrieve),
        )
        .route(
            "/admin/vending/machines/{device_id}/location",
            post(machines::move_machine),
        )
        .route(
            "/admin/vending/machines/{device_id}/decommission",
            post(machines::decommission),
        )
        .route(
            "/admin/vending/machines/{device_id}/qr-code",
            get(machines::qr_code),
        )
        .route(
            "/admin/vending/machines/{device_id}/credentials",
            post(vending::issue_credentials),
        )
        .route("/admin/vending/sessions", get(vending::list_sessions))
        .route(
            "/admin/vending/sessions/{id}",
            get(vending::retrieve_session),
        )
        .route(
            "/admin/vending/sessions/{id}/close",
            post(vending::close_session),
        )
        .route(
            "/admin/vending/machines/{device_id}/service",
            post(vending::open_service),
        )
        .route(
            "/admin/vending/machines/{device_id}/sync",
            post(vending::sync_planogram),
        )
        .route(
            "/admin/vending/machines/{device_id}/scales",
            get(vending::list_scales).post(vending::add_scale),
        )
        .route(
            "/admin/vending/machines/{device_id}/par-levels",
            get(restock::list_par_levels).post(restock::set_par_level),
        )
        .route("/admin/vending/pick-list", get(restock::pick_list))
        .route(
            "/admin/vending/scales/{scale_id}/products",
            post(vending::assign_product),
        )
        .route(
            "/admin/loyalty/config",
            get(loyalty::retrieve).post(loyalty::save),
        )
        .route("/admin/loyalty/sessions", get(loyalty::sessions))
        .route("/admin/orders", get(orders::list))
        .route("/admin/orders/{id}", get(orders::retrieve))
        .route("/admin/orders/{id}/cancel", post(orders::cancel))
        .route("/admin/orders/{id}/fulfillments", post(orders::fulfil))
        .route(
            "/admin/orders/{id}/fulfillments/{fulfillment_id}/shipments",
            post(orders::ship),
        )
        .route(
            "/admin/orders/{id}/fulfillments/{fulfillment_id}/mark-as-delivered",
            post(orders::mark_delivered),
        )
        .route("/admin/orders/{id}/archive", post(orders::archive))
        .route("/admin/stores", get(stores::list))
        .route(
            "/admin/stores/{id}",
            get(stores::retrieve).post(stores::update),
        )
        .route("/admin/currencies", get(stores::list_currencies))
        .route("/admin/currencies/{code}", get(stores::retrieve_currency))
        .route("/admin/returns", get(returns::list).post(returns::create))
        .route("/admin/returns/{id}", get(returns::retrieve))
        .route("/admin/returns/{id}/receive", post(returns::receive))
        .route("/admin/returns/{id}/cancel", post(returns::cancel))
        .route("/admin/payments", get(payments::list))
        .route("/admin/payments/{id}", get(payments::retrieve))
        .route("/admin/payments/{id}/capture", post(payments::capture))
        .route("/admin/payments/{id}/refund", post(payments::refund))
        .route(
            "/admin/customers",
            get(customers::list).post(customers::create),
        )
        .route(
            "/admin/customers/{id}",
            get(customers::retrieve).post(customers::update),
        )
        .route(
            "/admin/customers/{id}/addresses",
            get(customers::list_addresses).post(customers::add_address),
        )
        .route(
            "/admin/customers/{id}/customer-groups",
            post(customers::batch_groups),
        )
        .route(
            "/admin/customers/{id}/addresses/{address_id}",
            get(customers::retrieve_address)
                .post(customers::update_address)
                .delete(customers::delete_address),
        )
        .route(
            "/admin/products",
            get(products::list).post(products::create),
        )
        .route(
            "/admin/products/{id}",
            get(products::retrieve)
                .post(products::update)
                .delete(products::delete),
        )
        .route(
            "/admin/uploads/{id}",
            get(uploads::retrieve).delete(uploads::delete),
        )
        .route(
            "/admin/products/{id}/variants",
            get(products::list_variants).post(products::create_variant),
        )
        .route(
            "/admin/products/{id}/variants/{variant_id}",
            get(products::retrieve_variant)
                .post(products::update_variant)
                .delete(products::delete_variant),
        )
        .route("/admin/product-variants", get(products::list_all_variants))
        .route(
            "/admin/products/{id}/options",
            get(product_options::list).post(product_options::create),
        )
        .route(
            "/admin/products/{id}/options/{option_id}",
            get(product_options::retrieve)
                .post(product_options::update)
                .delete(product_options::delete),
        )
        .route(
            "/admin/product-categories",
            get(taxonomy::list_categories).post(taxonomy::create_category),
        )
        .route(
            "/admin/product-categories/{id}",
            get(taxonomy::retrieve_category)
                .post(taxonomy::update_category)
                .delete(taxonomy::delete_category),
        )
        .route(
            "/admin/collections",
            get(taxonomy::list_collections).post(taxonomy::create_collection),
        )
        .route(
            "/admin/collections/{id}",
            get(taxonomy::retrieve_collection)
                .post(taxonomy::update_collection)
                .delete(taxonomy::delete_collection),
        )
        .route(
            "/admin/sales-channels",
            get(sales_channels::list).post(sales_channels::create),
        )
        .route(
            "/admin/sales-channels/{id}",
            get(sales_channels::retrieve)
                .post(sales_channels::update)
                .delete(sales_channels::delete),
        )
        .route(
            "/admin/sales-channels/{id}/products",
            post(sales_channels::batch_products),
        )
        .route(
            "/admin/stock-locations",
            get(stock_locations::list).post(stock_locations::create),
        )
        .route(
            "/admin/stock-locations/{id}",
            get(stock_locations::retrieve)
                .post(stock_locations::update)
                .delete(stock_locations::delete),
        )
        .route(
            "/admin/stock-locations/{id}/sales-channels",
            post(stock_locations::batch_sales_channels),
        )
        .route("/admin/inventory-items", get(inventory::list))
        .route("/admin/inventory-items/{id}", get(inventory::retrieve))
        .route(
            "/admin/reservations",
            get(inventory::list_reservations).post(inventory::create_reservation),
        )
        .route(
            "/admin/reservations/{id}",
            get(inventory::retrieve_reservation)
                .post(inventory::update_reservation)
                .delete(inventory::delete_reservation),
        )
        .route(
            "/admin/inventory-items/{id}/location-levels",
            get(inventory::list_levels).post(inventory::create_level),
        )
        .route(
            "/admin/inventory-items/{id}/location-levels/{location_id}",
            post(inventory::update_level).delete(inventory::delete_level),
        )
        .route(
            "/admin/api-keys",
            get(api_keys::list).post(api_keys::create),
        )
        .route(
            "/admin/api-keys/{id}",
            get(api_keys::retrieve)
                .post(api_keys::update)
                .delete(api_keys::delete),
        )
        .route("/admin/api-keys/{id}/revoke", post(api_keys::revoke))
        .route(
            "/admin/api-keys/{id}/sales-channels",
            post(api_keys::batch_sales_channels),
        )
        .route("/admin/regions", get(regions::list).post(regions::create))
        .route(
            "/admin/regions/{id}",
            get(regions::retrieve)
                .post(regions::update)
                .delete(regions::delete),
        )
}

/// A Medusa list: the items under `key`, then `count`, `offset`, `limit`.
pub struct Listing<T> {
    key: &'static str,
    page: Page<T>,
}

impl<T> Listing<T> {
    pub fn new(key: &'static str, page: Page<T>) -> Json<Self> {
        Json(Self { key, page })
    }

    /// The page's items shaped for the API.
    pub fn of<M>(key: &'static str, page: Page<M>, shape: impl FnMut(M) -> T) -> Json<Self> {
        Self::new(
            key,
            Page {
                items: page.items.into_iter().map(shape).collect(),
                count: page.count,
                offset: page.offset,
                limit: page.limit,
            },
        )
    }
}

impl<T: Serialize> Serialize for Listing<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry(self.key, &self.page.items)?;
        map.serialize_entry("count", &self.page.count)?;
        map.serialize_entry("offset", &self.page.offset)?;
        map.serialize_entry("limit", &self.page.limit)?;
        map.end()
    }
}

/// One resource under `key`, e.g. `{"product": {...}}`.
pub fn one<T: Serialize>(key: &str, value: T) -> Json<serde_json::Value> {
    let mut body = serde_json::Map::new();
    body.insert(
        key.to_owned(),
        serde_json::to_value(value).unwrap_or_default(),
    );
    Json(serde_json::Value::Object(body))
}

pub use crate::http::params::optional_body;

/// Medusa's answer to a delete.
#[derive(Serialize)]
pub struct Deleted {
    id: String,
    object: &'static str,
    deleted: bool,
}

impl Deleted {
    pub fn of(object: &'static str, id: String) -> Json<Self> {
        Json(Self {
            id,
            object,
            deleted: true,
        })
    }
}

/// Medusa's `{ "add": [...], "remove": [...] }` batch body for links.
#[derive(serde::Deserialize)]
pub struct LinkBatch {
    #[serde(default)]
    pub(crate) add: Vec<String>,
    #[serde(default)]
    pub(crate) remove: Vec<String>,
}

/// For a field that may be sent as `null` to clear it: absent is `None`,
/// `null` is `Some(None)` (use with `#[serde(default)]`).
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}
