//! `POST /hooks/payment/finix`: Finix's events about our payments.
//!
//! `Finix-Signature: timestamp=<unix>, sig=<hex>` is checked first: the
//! HMAC-SHA256 of `{timestamp}:{body}` with the webhook's
//! `secret_signing_key`, the timestamp within five minutes of now. Events
//! name our payments by the `session_id` tag our authorizations (and the
//! capture transfers Finix copies their tags onto, and our reversals) carry;
//! a dispute names only its transfer, and a reversal only its own amount,
//! so Finix is asked for the transfer and for all of its reversals. Events
//! then go through the same [`domain::payments::apply_event`] as Stripe's:
//! each applied once, never backwards.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use domain::payments::{ProviderError, ProviderEvent};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{
    finix::{FinixProvider, FinixSettings, ID},
    stripe_webhook::TOLERANCE_SECS,
};
use crate::{http::error::ApiError, state::AppState};

/// What the webhook route needs: the signing key, and Finix to ask about
/// what an event leaves out.
pub struct FinixWebhooks {
    signing_key: String,
    finix: FinixProvider,
}

impl FinixWebhooks {
    pub fn new(settings: &FinixSettings, signing_key: &str) -> anyhow::Result<Self> {
        Ok(Self {
            signing_key: signing_key.to_owned(),
            finix: FinixProvider::new(settings)?,
        })
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Finix-Signature header is missing")]
    Missing,
    #[error("the Finix-Signature header is not `timestamp=…, sig=…`")]
    Malformed,
    #[error("the Finix-Signature timestamp is more than {TOLERANCE_SECS} s from now")]
    OutOfTolerance,
    #[error("the Finix-Signature does not match this body")]
    NoMatch,
}

/// Checks `header` (`timestamp=…, sig=…`) against `body` signed with `key`
/// at `now` (Unix seconds).
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    key: &str,
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("timestamp", t)) => {
                timestamp = Some(t.parse::<i64>().map_err(|_| SignatureError::Malformed)?)
            }
            Some(("sig", s)) => {
                signature = Some(hex::decode(s).map_err(|_| SignatureError::NoMatch)?)
            }
            Some(_) => {}
            None => return Err(SignatureError::Malformed),
        }
    }
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureError::Malformed);
    };
    if now.abs_diff(timestamp) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::OutOfTolerance);
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b":");
    mac.update(body);
    mac.verify_slice(&signature)
        .map_err(|_| SignatureError::NoMatch)
}

fn session_of(object: &Value) -> Option<String> {
    object["tags"]["session_id"].as_str().map(str::to_owned)
}

/// What the event (`{entity}.{type}`, about `object`) says about one of our
/// payments; `None` for what we do not follow. Finix is asked for what the
/// event leaves out.
async fn provider_event(
    finix: &FinixProvider,
    entity: &str,
    object: &Value,
) -> Result<Option<ProviderEvent>, ProviderError> {
    let state = object["state"].as_str().unwrap_or_default();
    Ok(match entity {
        "authorization" => {
            let Some(reference) = session_of(object) else {
                return Ok(None);
            };
            if object["is_void"] == true {
                Some(ProviderEvent::Canceled { reference })
            } else if state == "FAILED" {
                Some(ProviderEvent::Failed {
                    reference,
                    message: object["failure_message"]
                        .as_str()
                        .unwrap_or("the payment failed")
                        .to_owned(),
                })
            } else {
                // We create authorizations ourselves and record them from
                // Finix's answer (no 3-D Secure step finishes later), so a
                // success here has nothing to add.
                None
            }
        }
        // Captures and reversals count once settled: Finix reports them
        // `PENDING` first, right as it answers us, and our own record of
        // the answer comes first that way.
        "transfer" if state != "SUCCEEDED" => None,
        "transfer" if object["type"] == "DEBIT" => {
            let (Some(reference), Some(captured)) = (session_of(object), object["amount"].as_i64())
            else {
                return Ok(None);
            };
            Some(ProviderEvent::Captured {
                reference,
                captured,
            })
        }
        "transfer" if object["type"] == "REVERSAL" => {
            let (Some(reference), Some(parent)) =
                (session_of(object), object["parent_transfer"].as_str())
            else {
                return Ok(None);
            };
            let reversals = finix
                .read(
                    "list reversals",
                    &format!("transfers/{parent}/reversals?limit=100"),
                )
                .await?;
            let refunded = reversals["_embedded"]["transfers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["state"] != "FAILED")
                .filter_map(|r| r["amount"].as_i64())
                .sum();
            Some(ProviderEvent::Refunded {
                reference,
                refunded,
            })
        }
        "dispute" => {
            let Some(transfer) = object["transfer"].as_str() else {
                return Ok(None);
            };
            let transfer = finix
                .read("read a disputed transfer", &format!("transfers/{transfer}"))
                .await?;
            let Some(reference) = session_of(&transfer) else {
                return Ok(None);
            };
            Some(ProviderEvent::Disputed {
                reference,
                amount: object["amount"].as_i64().unwrap_or(0),
                reason: object["dispute_details"]["reason_code"]
                    .as_str()
                    .map(|code| format!("reason code {code}"))
                    .unwrap_or_else(|| "no reason given".into()),
            })
        }
        _ => None,
    })
}

pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let Some(hooks) = state.finix_webhooks.clone() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Finix webhooks are not configured here (AUTOMAT_FINIX_WEBHOOK_SIGNING_KEY)",
        ));
    };
    let signature = headers.get("finix-signature").and_then(|v| v.to_str().ok());
    verify(
        signature,
        &body,
        &hooks.signing_key,
        chrono::Utc::now().timestamp(),
    )
    .map_err(|e| {
        tracing::warn!(error = %e, "refused a Finix webhook");
        ApiError::invalid_data(format!("invalid Finix webhook signature: {e}"))
    })?;
    let event: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid_data(format!("the event is not JSON: {e}")))?;
    let (Some(event_id), Some(entity), Some(kind)) = (
        event["id"].as_str(),
        event["entity"].as_str(),
        event["type"].as_str(),
    ) else {
        return Err(ApiError::invalid_data(
            "the event has no id, entity or type",
        ));
    };
    let event_type = format!("{entity}.{kind}");
    // `_embedded` holds one list, named after the entity (`authorizations`).
    let object = event["_embedded"]
        .as_object()
        .and_then(|embedded| embedded.values().next())
        .and_then(|list| list.get(0))
        .cloned()
        .unwrap_or(Value::Null);
    // Finix unreachable: answered 500, so that Finix delivers the event again.
    let news = provider_event(&hooks.finix, entity, &object)
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "unexpected_state",
                e.to_string(),
            )
        })?;
    let Some(news) = news else {
        return Ok(Json(json!({ "received": true, "handled": false })));
    };
    super::apply_webhook_event(&state, ID, event_id, &event_type, &news).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(key: &str, t: i64, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(format!("{t}:{body}").as_bytes());
        format!(
            "timestamp={t}, sig={}",
            hex::encode(mac.finalize().into_bytes())
        )
    }

    #[test]
    fn the_signature_covers_timestamp_and_body_within_the_tolerance() {
        let body = r#"{"id":"EV1"}"#;
        let header = sign("key", 1000, body);
        assert_eq!(verify(Some(&header), body.as_bytes(), "key", 1100), Ok(()));
        assert_eq!(
            verify(Some(&header), body.as_bytes(), "other", 1100),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(Some(&header), br#"{"id":"EV2"}"#, "key", 1100),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(
                Some(&header),
                body.as_bytes(),
                "key",
                1000 + TOLERANCE_SECS + 1
            ),
            Err(SignatureError::OutOfTolerance)
        );
        assert_eq!(
            verify(Some("sig=00"), body.as_bytes(), "key", 1000),
            Err(SignatureError::Malformed)
        );
        let extreme = sign("key", i64::MIN, body);
        assert_eq!(
            verify(Some(&extreme), body.as_bytes(), "key", 1000),
            Err(SignatureError::OutOfTolerance)
        );
        assert_eq!(
            verify(None, body.as_bytes(), "key", 0),
            Err(SignatureError::Missing)
        );
    }
}
