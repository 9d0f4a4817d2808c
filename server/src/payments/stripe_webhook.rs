//! `POST /hooks/payment/stripe`: Stripe's events about our payments.
//!
//! The `Stripe-Signature` header is checked here (HMAC-SHA256 of
//! `{t}.{body}` with the endpoint's signing secret, any of its `v1` values,
//! `t` within five minutes of now) before a byte of the body is believed.
//! Each event is applied once ([`domain::payments::apply_event`]) and
//! never backwards, so a replay or events out of order change nothing wrong.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use domain::payments::ProviderEvent;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::stripe::ID;
use crate::{http::error::ApiError, state::AppState};

/// How far a signature's timestamp may be from now: older deliveries could be
/// replays of a captured request.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a delivery's signature is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header is not `t=…,v1=…`")]
    Malformed,
    #[error("the Stripe-Signature timestamp is more than {TOLERANCE_SECS} s from now")]
    OutOfTolerance,
    #[error("no v1 signature in Stripe-Signature matches this body")]
    NoMatch,
}

/// Checks `header` (`t=…,v1=…[,v1=…]`) against `body` signed with `secret`
/// at `now` (Unix seconds).
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secret: &str,
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => {
                timestamp = Some(t.parse::<i64>().map_err(|_| SignatureError::Malformed)?)
            }
            // A value that is not hex cannot match; the others may.
            Some(("v1", v)) => signatures.extend(hex::decode(v).ok()),
            Some(_) => {}
            None => return Err(SignatureError::Malformed),
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::NoMatch);
    }
    // `abs_diff`: a hostile `t` (say i64::MIN) must not overflow a subtraction.
    if now.abs_diff(timestamp) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::OutOfTolerance);
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    // Constant-time comparisons: a timing difference would leak the signature.
    if signatures
        .iter()
        .any(|candidate| mac.clone().verify_slice(candidate).is_ok())
    {
        Ok(())
    } else {
        Err(SignatureError::NoMatch)
    }
}

/// What the event says about one of our payments; `None` for the events we
/// do not follow.
pub fn provider_event(event_type: &str, object: &Value) -> Option<ProviderEvent> {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let own_id = || text(&object["id"]);
    Some(match event_type {
        "payment_intent.amount_capturable_updated" => ProviderEvent::Authorized {
            reference: own_id()?,
        },
        "payment_intent.succeeded" => ProviderEvent::Captured {
            reference: own_id()?,
            captured: object["amount_received"].as_i64()?,
        },
        "payment_intent.payment_failed" => ProviderEvent::Failed {
            reference: own_id()?,
            message: text(&object["last_payment_error"]["message"])
                .unwrap_or_else(|| "the payment failed".into()),
        },
        "payment_intent.canceled" => ProviderEvent::Canceled {
            reference: own_id()?,
        },
        "charge.refunded" => ProviderEvent::Refunded {
            reference: text(&object["payment_intent"])?,
            refunded: refunded_of_charge(object)?,
        },
        "charge.dispute.created" => ProviderEvent::Disputed {
            reference: text(&object["payment_intent"])?,
            amount: object["amount"].as_i64().unwrap_or(0),
            reason: text(&object["reason"]).unwrap_or_else(|| "no reason given".into()),
        },
        _ => return None,
    })
}

/// What was given back of a charge's captured amount. Stripe counts the
/// part of an authorization a partial capture released as refunded too
/// (`amount_refunded`); that part was never taken.
fn refunded_of_charge(charge: &Value) -> Option<i64> {
    let refunded = charge["amount_refunded"].as_i64()?;
    let released = match charge["amount_captured"].as_i64() {
        Some(captured) if charge["captured"] == true => charge["amount"].as_i64()? - captured,
        _ => 0,
    };
    Some((refunded - released).max(0))
}

pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let Some(secret) = state.stripe_webhook_secret.as_deref() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Stripe webhooks are not configured here (AUTOMAT_STRIPE_WEBHOOK_SECRET)",
        ));
    };
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    verify(signature, &body, secret, chrono::Utc::now().timestamp()).map_err(|e| {
        tracing::warn!(error = %e, "refused a Stripe webhook");
        ApiError::invalid_data(format!("invalid Stripe webhook signature: {e}"))
    })?;
    let event: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid_data(format!("the event is not JSON: {e}")))?;
    let (Some(event_id), Some(event_type)) = (event["id"].as_str(), event["type"].as_str()) else {
        return Err(ApiError::invalid_data("the event has no id or type"));
    };
    let Some(news) = provider_event(event_type, &event["data"]["object"]) else {
        return Ok(Json(json!({ "received": true, "handled": false })));
    };
    super::apply_webhook_event(&state, ID, event_id, event_type, &news).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, t: i64, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.{body}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn a_refund_after_a_partial_capture_counts_only_what_was_taken() {
        // A 2000 hold captured for 1500, then 100 refunded: Stripe says 600.
        let charge = json!({
            "payment_intent": "pi_1", "amount": 2000, "amount_captured": 1500,
            "captured": true, "amount_refunded": 600,
        });
        assert_eq!(
            provider_event("charge.refunded", &charge),
            Some(ProviderEvent::Refunded {
                reference: "pi_1".into(),
                refunded: 100
            })
        );
    }

    #[test]
    fn any_v1_may_match_within_the_tolerance() {
        let body = r#"{"id":"evt_1"}"#;
        let good = sign("whsec_new", 1000, body);
        let old = sign("whsec_old", 1000, body);
        let header = format!("t=1000,v1={old},v1={good}");
        assert_eq!(
            verify(Some(&header), body.as_bytes(), "whsec_new", 1100),
            Ok(())
        );
        assert_eq!(
            verify(
                Some(&header),
                body.as_bytes(),
                "whsec_new",
                1000 + TOLERANCE_SECS + 1
            ),
            Err(SignatureError::OutOfTolerance)
        );
        assert_eq!(
            verify(Some(&header), br#"{"id":"evt_2"}"#, "whsec_new", 1000),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(Some("v1=abc"), body.as_bytes(), "whsec_new", 1000),
            Err(SignatureError::Malformed)
        );
        let extreme = format!("t={},v1={good}", i64::MIN);
        assert_eq!(
            verify(Some(&extreme), body.as_bytes(), "whsec_new", 1000),
            Err(SignatureError::OutOfTolerance)
        );
        assert_eq!(
            verify(None, body.as_bytes(), "s", 0),
            Err(SignatureError::Missing)
        );
    }
}
