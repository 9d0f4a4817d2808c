//! What the shopper's browser loads from the simulator: the Stripe.js
//! stand-in (`/v3/stripe.js`), the card iframe it mounts, and the 3-D Secure
//! challenge page whose Complete/Fail buttons finish the authentication.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Shared, error::ApiError, payment_intents, setup_intents, state};

const STRIPE_JS: &str = include_str!("assets/stripe.js");
const CARD_HTML: &str = include_str!("assets/card.html");
const CHALLENGE_HTML: &str = include_str!("assets/challenge.html");

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v3", get(stripe_js))
        .route("/v3/", get(stripe_js))
        .route("/v3/stripe.js", get(stripe_js))
        .route("/v3/elements/card", get(card_frame))
        .route("/v3/3ds/{intent}", get(challenge).post(finish))
}

async fn stripe_js() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/javascript; charset=utf-8",
        )],
        STRIPE_JS,
    )
        .into_response()
}

fn html(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

async fn card_frame() -> Response {
    html(CARD_HTML)
}

async fn challenge() -> Response {
    html(CHALLENGE_HTML)
}

#[derive(Deserialize)]
struct Outcome {
    client_secret: String,
    outcome: String,
}

/// `POST /v3/3ds/{intent}` from the challenge page.
async fn finish(
    State(s): State<Arc<Shared>>,
    Path(intent): Path<String>,
    Json(outcome): Json<Outcome>,
) -> Response {
    let success = match outcome.outcome.as_str() {
        "complete" => true,
        "fail" => false,
        _ => return ApiError::invalid_request("outcome must be complete or fail").into_response(),
    };
    let result = s.commit(|st, ctx| {
        let secret = match intent.split('_').next() {
            Some("pi") => st
                .payment_intents
                .get(&intent)
                .map(|pi| pi.client_secret.clone()),
            Some("seti") => st
                .setup_intents
                .get(&intent)
                .map(|si| si.client_secret.clone()),
            _ => None,
        };
        if secret.as_deref() != Some(outcome.client_secret.as_str()) {
            return Err(ApiError::invalid_request(
                "The client_secret provided does not match this intent.",
            ));
        }
        finish_authentication(st, ctx, &intent, success)
    });
    match result {
        Ok(intent) => Json(json!({ "status": intent["status"] })).into_response(),
        Err(e) => e.into_response(),
    }
}

pub fn finish_authentication(
    st: &mut state::State,
    ctx: &state::Ctx,
    intent: &str,
    success: bool,
) -> Result<Value, ApiError> {
    if intent.starts_with("seti_") {
        setup_intents::finish_authentication(st, ctx, intent, success)
    } else {
        payment_intents::finish_authentication(st, ctx, intent, success)
    }
}
