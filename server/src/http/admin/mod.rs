//! The Admin API (`/admin/*`), Medusa v2 paths and shapes, for operators'
//! tools and the dashboard. Every route takes [`AuthenticatedAdmin`].

mod loyalty;
mod users;

use axum::{Router, routing::get};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users/me", get(users::me))
        .route(
            "/admin/loyalty/config",
            get(loyalty::retrieve).post(loyalty::save),
        )
        .route("/admin/loyalty/sessions", get(loyalty::sessions))
}
