//! Liveness and readiness probes.

use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};

use crate::state::AppState;

/// The process answers.
pub async fn live() -> &'static str {
    "OK"
}

/// The database and the MQTT broker are reachable.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = domain::db::ping(&state.db).await.is_ok();
    let broker = state.gateway.is_connected();
    let status = if database && broker {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |ok: bool| if ok { "up" } else { "down" };
    (
        status,
        Json(json!({ "database": word(database), "broker": word(broker) })),
    )
}
