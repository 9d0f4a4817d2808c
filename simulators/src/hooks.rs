//! Test hooks over HTTP, the same on both simulators, for a simulator in
//! its own process (the browser tests):
//!
//! - `GET /_sim/webhooks`: URL, events waiting, deliveries so far;
//!   `POST /_sim/webhooks {"url": "…" | null, "hold": true | false}`.
//! - `POST /_sim/events/{id}/deliver`: delivers (or replays) one event now.
//! - `GET/POST /_sim/faults`: see [`Faults`].
//! - `GET /_sim/requests`: every API request received.
//! - `GET /_sim/objects/{id}`: any object as the API renders it.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};

use crate::{Faults, WebhookControl, serving::Serving};

/// What the hooks reach in a simulator.
pub(crate) trait Simulated: Send + Sync + 'static {
    fn webhooks(&self) -> WebhookControl;
    fn serving(&self) -> &Serving;
    /// Any object by id, as the API renders it.
    fn object(&self, id: &str) -> Option<Value>;
}

pub(crate) fn routes<S: Simulated>() -> Router<Arc<S>> {
    Router::new()
        .route("/_sim/webhooks", post(set_webhooks::<S>).get(webhooks::<S>))
        .route("/_sim/events/{id}/deliver", post(deliver::<S>))
        .route("/_sim/faults", get(faults::<S>).post(set_faults::<S>))
        .route("/_sim/requests", get(requests::<S>))
        .route("/_sim/objects/{id}", get(object::<S>))
}

async fn set_webhooks<S: Simulated>(
    State(s): State<Arc<S>>,
    Json(settings): Json<Value>,
) -> Response {
    let control = s.webhooks();
    if let Some(url) = settings.get("url") {
        control.set_url(url.as_str().map(str::to_owned));
    }
    match settings.get("hold").and_then(Value::as_bool) {
        Some(true) => control.hold(),
        Some(false) => control.release(),
        None => {}
    }
    webhooks(State(s)).await
}

async fn webhooks<S: Simulated>(State(s): State<Arc<S>>) -> Response {
    let control = s.webhooks();
    Json(json!({
        "url": control.url(),
        "pending": control.pending(),
        "deliveries": control.deliveries(),
    }))
    .into_response()
}

async fn deliver<S: Simulated>(State(s): State<Arc<S>>, Path(id): Path<String>) -> Response {
    match s.webhooks().deliver(&id).await {
        Some(delivery) => Json(delivery).into_response(),
        None => not_found("unknown event, or no webhook URL set"),
    }
}

async fn faults<S: Simulated>(State(s): State<Arc<S>>) -> Response {
    Json(s.serving().faults()).into_response()
}

async fn set_faults<S: Simulated>(State(s): State<Arc<S>>, Json(faults): Json<Faults>) -> Response {
    s.serving().set_faults(faults.clone());
    Json(faults).into_response()
}

async fn requests<S: Simulated>(State(s): State<Arc<S>>) -> Response {
    Json(s.serving().requests()).into_response()
}

async fn object<S: Simulated>(State(s): State<Arc<S>>, Path(id): Path<String>) -> Response {
    match s.object(&id) {
        Some(v) => Json(v).into_response(),
        None => not_found("no such object"),
    }
}

fn not_found(message: &str) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "error": message }))).into_response()
}

/// A hook's own result: the value, or 400 with the reason.
pub(crate) fn answer(result: Result<Value, String>) -> Response {
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({ "error": e }))).into_response(),
    }
}
