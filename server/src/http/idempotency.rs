//! The `Idempotency-Key` request header: a repeat of a request with the same
//! key gets the first answer again (marked `Idempotent-Replayed: true`), kept
//! in the database by [`domain::idempotency`].

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, StatusCode, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};
use domain::{
    db::DatabaseConnection,
    idempotency::{self, Begun, KeyScope, StoredResponse},
};

use crate::http::error::ApiError;

const HEADER: &str = "idempotency-key";
const REPLAYED_HEADER: &str = "idempotent-replayed";
/// Larger answers are not kept (nor are they expected from the routes using keys).
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Forgets expired keys every `every` (see [`idempotency::KEPT_FOR`]).
pub fn spawn_expired_cleanup(db: DatabaseConnection, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = idempotency::forget_expired(&db, chrono::Utc::now()).await {
                tracing::warn!(error = %e, "cannot forget expired idempotency keys");
            }
        }
    });
}

/// Runs `request`; when it carries an `Idempotency-Key`, once per key within
/// `scope`, the operation and who asks (see [`once`]). `fingerprint`
/// describes the request in words, to tell a repeat from another request
/// under the same key; it is never shown.
pub async fn run<F>(
    db: &DatabaseConnection,
    headers: &HeaderMap,
    scope: &KeyScope,
    fingerprint: String,
    request: F,
) -> Result<Response, ApiError>
where
    F: Future<Output = Response>,
{
    match key_of(headers)? {
        Some(key) => once(db, scope, &key, &fingerprint, request).await,
        None => Ok(request.await),
    }
}

fn key_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    headers
        .get(HEADER)
        .map(|value| {
            value
                .to_str()
                .map(|key| key.trim().to_owned())
                .map_err(|_| ApiError::invalid_data("Idempotency-Key must be visible ASCII"))
        })
        .transpose()
}

/// Runs `request` once per `key` within `scope`: a repeat with the same key
/// and `fingerprint` gets the stored answer; the same key with another
/// fingerprint is a 409. Server errors and conflicts are not kept, so their
/// repeat runs again.
async fn once<F>(
    db: &DatabaseConnection,
    scope: &KeyScope,
    key: &str,
    fingerprint: &str,
    request: F,
) -> Result<Response, ApiError>
where
    F: Future<Output = Response>,
{
    if let Begun::Repeat(stored) = idempotency::begin(db, scope, key, fingerprint).await? {
        return Ok(replay(stored));
    }
    let response = request.await;
    let status = response.status();
    if status.is_server_error() || status == StatusCode::CONFLICT {
        idempotency::release(db, scope, key).await?;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "cannot read an answer to keep for its idempotency key");
            idempotency::release(db, scope, key).await?;
            return Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
    };
    let answer = StoredResponse {
        status: status.as_u16(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    if let Err(e) = idempotency::finish(db, scope, key, &answer).await {
        // The work is done; only its repeat would run again.
        tracing::error!(error = %e, "cannot keep the answer for an idempotency key");
        idempotency::release(db, scope, key).await?;
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}
