//! The Admin API (`/admin/*`), Medusa v2 paths and shapes, for operators'
//! tools and the dashboard. Every route takes [`AuthenticatedAdmin`].

mod customers;
mod orders;
mod users;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

/// Admin API paths that are dashboard pages too: a browser asking for HTML
/// gets the page, every other client the API.
pub const PAGE_PATHS: &[&str] = &["/admin/orders", "/admin/orders/{id}", "/admin/customers"];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users/me", get(users::me))
        .route("/admin/orders", get(orders::list))
        .route("/admin/orders/{id}", get(orders::retrieve))
        .route("/admin/orders/{id}/cancel", post(orders::cancel))
        .route("/admin/customers", get(customers::list))
        .route("/admin/customers/{id}", get(customers::retrieve))
}
