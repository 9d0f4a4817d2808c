//! Stripe's error answers: `{"error": {"type", "code", "decline_code",
//! "message", "param", …}}` with the HTTP status Stripe uses for each kind.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// The object under `"error"`.
    pub body: Map<String, Value>,
    /// Whether an idempotency key keeps this answer. Stripe keeps the answer
    /// of every request that began executing (a decline, a state conflict)
    /// but not of one refused before that (bad parameters, a missing object).
    pub kept: bool,
}

impl ApiError {
    fn new(status: StatusCode, kind: &str, message: impl Into<String>) -> Self {
        let mut body = Map::new();
        body.insert("type".into(), json!(kind));
        body.insert("message".into(), json!(message.into()));
        Self {
            status,
            body,
            kept: false,
        }
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    pub fn code(mut self, code: &str) -> Self {
        self.body.insert("code".into(), json!(code));
        self.body.insert(
            "doc_url".into(),
            json!(format!(
                "https://stripe.com/docs/error-codes/{}",
                code.replace('_', "-")
            )),
        );
        self
    }

    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.body.insert("param".into(), json!(param.into()));
        self
    }

    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.body.insert(key.into(), value);
        self
    }

    /// Raised while executing: an idempotency key keeps it.
    pub fn kept(mut self) -> Self {
        self.kept = true;
        self
    }

    pub fn missing(param: &str) -> Self {
        Self::invalid_request(format!("Missing required param: {param}."))
            .code("parameter_missing")
            .param(param)
    }

    /// `kind` as Stripe names objects in these messages (`payment_intent`).
    pub fn no_such(kind: &str, id: &str, param: &str) -> Self {
        let mut e = Self::invalid_request(format!("No such {kind}: '{id}'"))
            .code("resource_missing")
            .param(param);
        e.status = StatusCode::NOT_FOUND;
        e
    }

    /// An operation the object's current state does not allow.
    pub fn unexpected_state(message: impl Into<String>, code: &str) -> Self {
        Self::invalid_request(message).code(code).kept()
    }

    /// 402: the card was refused; `decline_code` for issuer declines.
    pub fn card(code: &str, decline_code: Option<&str>, message: &str) -> Self {
        let mut e = Self::new(StatusCode::PAYMENT_REQUIRED, "card_error", message).code(code);
        if let Some(d) = decline_code {
            e.body.insert("decline_code".into(), json!(d));
        }
        e.kept()
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_request_error", message)
    }

    pub fn idempotency(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "idempotency_error", message)
    }

    pub fn key_in_use(key: &str) -> Self {
        let mut e = Self::new(
            StatusCode::CONFLICT,
            "idempotency_error",
            format!(
                "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): {key}. Please try again later."
            ),
        )
        .code("idempotency_key_in_use");
        e.kept = false;
        e
    }

    pub fn server(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, "api_error", message)
    }

    pub fn json(&self) -> Value {
        json!({ "error": self.body })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.json())).into_response()
    }
}
