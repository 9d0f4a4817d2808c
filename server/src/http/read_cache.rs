//! Store catalog reads answered from memory.
//!
//! Catalog pages are read far more often than they change, and building one
//! takes several queries. A successful GET is kept (as the bytes sent) per
//! publishable key and URI for a short time-to-live. Any successful write
//! request other than a cart edit clears the whole cache through a generation
//! counter, so an admin's change shows on the next read; writes that never pass
//! through HTTP here (another instance, a machine's sale) show within the TTL.

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header::CONTENT_TYPE},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Past this many entries the cache starts over rather than growing.
const MAX_ENTRIES: usize = 20_000;
/// Larger responses are not worth keeping.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone)]
pub struct ReadCache(Arc<Inner>);

struct Inner {
    ttl: Duration,
    generation: AtomicU64,
    entries: RwLock<HashMap<String, Entry>>,
}

struct Entry {
    generation: u64,
    stored_at: Instant,
    content_type: Option<HeaderValue>,
    body: Bytes,
}

impl ReadCache {
    /// A cache keeping reads for `ttl`; a zero TTL keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        Self(Arc::new(Inner {
            ttl,
            generation: AtomicU64::new(0),
            entries: RwLock::new(HashMap::new()),
        }))
    }

    /// Forgets every kept read.
    pub fn invalidate(&self) {
        self.0.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn lookup(&self, key: &str) -> Option<Response> {
        let generation = self.0.generation.load(Ordering::Acquire);
        let entries = self
            .0
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = entries.get(key)?;
        if entry.generation != generation || entry.stored_at.elapsed() > self.0.ttl {
            return None;
        }
        let mut response = Response::new(Body::from(entry.body.clone()));
        if let Some(content_type) = &entry.content_type {
            response
                .headers_mut()
                .insert(CONTENT_TYPE, content_type.clone());
        }
        Some(response)
    }

    fn store(&self, key: String, generation: u64, content_type: Option<HeaderValue>, body: Bytes) {
        let mut entries = self
            .0
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                generation,
                stored_at: Instant::now(),
                content_type,
                body,
            },
        );
    }
}

/// Middleware for catalog GET routes: answers from the cache when it can,
/// otherwise keeps a successful answer for the next caller.
pub async fn serve_cached(
    State(cache): State<ReadCache>,
    request: Request,
    next: Next,
) -> Response {
    if cache.0.ttl.is_zero() || request.method() != Method::GET {
        return next.run(request).await;
    }
    let key = cache_key(request.headers(), request.uri().to_string());
    if let Some(response) = cache.lookup(&key) {
        return response;
    }
    // Taken before the read, so a write racing with it leaves this entry stale.
    let generation = cache.0.generation.load(Ordering::Acquire);
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => {
            cache.store(
                key,
                generation,
                parts.headers.get(CONTENT_TYPE).cloned(),
                bytes.clone(),
            );
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot read a catalog response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Middleware for the whole router: a successful write clears the cache.
/// Cart edits are left out; they are frequent and never change the catalog.
pub async fn invalidate_after_writes(
    State(cache): State<ReadCache>,
    request: Request,
    next: Next,
) -> Response {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) && !is_cart_edit(request.uri().path());
    let response = next.run(request).await;
    if writes && response.status().is_success() | response.status().is_redirection() {
        cache.invalidate();
    }
    response
}

fn is_cart_edit(path: &str) -> bool {
    let store_cart = path.starts_with("/store/carts") && !path.ends_with("/complete");
    store_cart || path.starts_with("/api/cart")
}

fn cache_key(headers: &HeaderMap, uri: String) -> String {
    let key = headers
        .get("x-publishable-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    format!("{key} {uri}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_are_cleared_by_writes() {
        let cache = ReadCache::new(Duration::from_millis(50));
        cache.store("k /a".into(), 0, None, Bytes::from_static(b"one"));
        assert!(cache.lookup("k /a").is_some());
        assert!(cache.lookup("other /a").is_none());
        cache.invalidate();
        assert!(
            cache.lookup("k /a").is_none(),
            "a write clears what was kept"
        );
        cache.store("k /a".into(), 1, None, Bytes::from_static(b"two"));
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.lookup("k /a").is_none(), "entries expire");
    }

    #[test]
    fn cart_edits_do_not_count_as_catalog_writes() {
        assert!(is_cart_edit("/store/carts/cart_1/line-items"));
        assert!(is_cart_edit("/api/cart/add"));
        assert!(!is_cart_edit("/store/carts/cart_1/complete"));
        assert!(!is_cart_edit("/admin/products"));
    }
}
