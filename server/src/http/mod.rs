//! The HTTP surface: the Leptos app, the REST APIs, probes and live events.

mod admin;
pub mod auth;
pub mod error;
mod health;
mod params;
pub mod read_cache;
mod store;

use axum::{
    Router, body::Body, extract::State, http::Request, response::IntoResponse, routing::get,
};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::{compression::CompressionLayer, trace::TraceLayer};

use crate::{realtime, state::AppState};

pub fn router(state: AppState) -> Router<AppState> {
    let routes = generate_route_list(app::App);
    let context = {
        let state = state.clone();
        move || state.provide_leptos_context()
    };
    let shell = {
        let options = state.leptos_options.clone();
        move || app::shell(options.clone())
    };
    Router::new()
        .route("/health", get(health::live))
        .route("/health/ready", get(health::ready))
        .merge(auth::routes())
        .merge(store::routes(&state))
        .merge(admin::routes())
        .route(
            app::admin::devices::DEVICE_EVENTS_PATH,
            get(realtime::device_events),
        )
        .route("/api/{*fn_name}", get(server_fn).post(server_fn))
        .leptos_routes_with_context(&state, routes, context.clone(), shell)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, app::shell))
        .layer(axum::middleware::from_fn_with_state(
            state.read_cache.clone(),
            read_cache::invalidate_after_writes,
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

async fn server_fn(State(state): State<AppState>, request: Request<Body>) -> impl IntoResponse {
    leptos_axum::handle_server_fns_with_context(move || state.provide_leptos_context(), request)
        .await
}
