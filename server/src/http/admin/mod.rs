//! The Admin API (`/admin/*`), Medusa v2 paths and shapes, for operators'
//! tools and the dashboard. Every route takes [`AuthenticatedAdmin`].

mod users;
mod vending;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users/me", get(users::me))
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
            "/admin/vending/scales/{scale_id}/products",
            post(vending::assign_product),
        )
}
