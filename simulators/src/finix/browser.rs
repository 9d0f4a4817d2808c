//! The `finix.js` stand-in (`/v/2/finix.js`, also `/v/1/finix.js`) and the
//! tokenization form it mounts as an iframe served by the simulator: card
//! data goes from that form to the simulator only, the page gets a `TK…`
//! token.

use std::sync::Arc;

use axum::{
    Router,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};

use super::Shared;

const FINIX_JS: &str = include_str!("assets/finix.js");
const FORM_HTML: &str = include_str!("assets/form.html");

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v/2/finix.js", get(finix_js))
        .route("/v/1/finix.js", get(finix_js))
        .route("/finix-js/form", get(form))
}

async fn finix_js() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/javascript; charset=utf-8",
        )],
        FINIX_JS,
    )
        .into_response()
}

async fn form() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        FORM_HTML,
    )
        .into_response()
}
