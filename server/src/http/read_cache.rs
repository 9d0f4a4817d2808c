//! Store catalog reads answered from memory.
//!
//! Catalog pages are read far more often than they change, and building one
//! takes several queries. A successful GET is kept (as the bytes sent) per
//! publishable key and URI for a short time-to-live, within a budget of
//! bytes (a request chooses its URI, so it could otherwise fill memory). A
//! successful write that can change what is kept (an admin's, an order
//! placed) clears the whole cache through a generation counter, so the change
//! shows on the next read; other requests, reads sent as POST included,
//! leave it be. Writes that never pass through HTTP here (another instance,
//! a machine's sale) show within the TTL.
//!
//! A missing or expired entry is rebuilt by one request per key (single
//! flight): while it runs, others asking for the same key get the expired
//! entry when there is one (stale while revalidate) or wait for the rebuild.
//! So an expiry under load costs one rebuild, not one per connection. An
//! entry cleared by a write is never served stale.

use std::{
    collections::HashMap,
    future::Future,
    sync::{
        Arc, Mutex, RwLock,
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
use tokio::sync::watch;

/// Past this many entries the cache makes room rather than growing.
const MAX_ENTRIES: usize = 20_000;
/// Past this many bytes (keys and bodies) too.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Larger responses are not worth keeping.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// What an entry costs besides its key and body (the map's slot, the entry).
const ENTRY_OVERHEAD: usize = 128;

#[derive(Clone)]
pub struct ReadCache(Arc<Inner>);

struct Inner {
    ttl: Duration,
    /// The most [`Entries::bytes`] may reach.
    max_bytes: usize,
    generation: AtomicU64,
    entries: RwLock<Entries>,
    /// Keys being rebuilt; a receiver sees its sender close when the rebuild ends.
    rebuilding: Mutex<HashMap<String, watch::Receiver<()>>>,
}

#[derive(Default)]
struct Entries {
    by_key: HashMap<String, Entry>,
    /// The weight of every entry kept (see [`Entry::weight`]).
    bytes: usize,
}

struct Entry {
    generation: u64,
    stored_at: Instant,
    content_type: Option<HeaderValue>,
    body: Bytes,
}

impl Entry {
    /// The memory `key` and this entry take, about.
    fn weight(&self, key: &str) -> usize {
        let content_type = self.content_type.as_ref().map_or(0, HeaderValue::len);
        key.len() + self.body.len() + content_type + ENTRY_OVERHEAD
    }

    fn current(&self, generation: u64, ttl: Duration) -> bool {
        self.generation == generation && self.stored_at.elapsed() <= ttl
    }
}

impl ReadCache {
    /// A cache keeping reads for `ttl` within [`MAX_BYTES`]; a zero TTL
    /// keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        Self::within(ttl, MAX_BYTES)
    }

    /// A cache keeping reads for `ttl` within `max_bytes`.
    pub fn within(ttl: Duration, max_bytes: usize) -> Self {
        Self(Arc::new(Inner {
            ttl,
            max_bytes,
            generation: AtomicU64::new(0),
            entries: RwLock::new(Entries::default()),
            rebuilding: Mutex::new(HashMap::new()),
        }))
    }

    /// The bytes kept now, keys and bodies (see [`MAX_BYTES`]).
    pub fn bytes(&self) -> usize {
        self.0
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .bytes
    }

    /// Forgets every kept read.
    pub fn invalidate(&self) {
        self.0.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn lookup(&self, key: &str) -> Lookup {
        let generation = self.0.generation.load(Ordering::Acquire);
        let entries = self
            .0
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(entry) = entries.by_key.get(key) else {
            return Lookup::Missing;
        };
        if entry.generation != generation {
            return Lookup::Missing;
        }
        let mut response = Response::new(Body::from(entry.body.clone()));
        if let Some(content_type) = &entry.content_type {
            response
                .headers_mut()
                .insert(CONTENT_TYPE, content_type.clone());
        }
        if entry.stored_at.elapsed() > self.0.ttl {
            Lookup::Stale(response)
        } else {
            Lookup::Fresh(response)
        }
    }

    /// Makes the caller the one rebuilding `key`, unless another request is.
    fn join_rebuild(&self, key: &str) -> Rebuild {
        let mut rebuilding = self
            .0
            .rebuilding
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(done) = rebuilding.get(key) {
            return Rebuild::Running(done.clone());
        }
        let (sender, receiver) = watch::channel(());
        rebuilding.insert(key.to_owned(), receiver);
        Rebuild::Mine(RebuildTurn {
            cache: self.clone(),
            key: key.to_owned(),
            _done: sender,
        })
    }

    fn store(&self, key: String, generation: u64, content_type: Option<HeaderValue>, body: Bytes) {
        let entry = Entry {
            generation,
            stored_at: Instant::now(),
            content_type,
            body,
        };
        let weight = entry.weight(&key);
        let max_bytes = self.0.max_bytes;
        if weight > max_bytes / 4 {
            return;
        }
        let mut entries = self
            .0
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(replaced) = entries.by_key.remove(&key) {
            entries.bytes -= replaced.weight(&key);
        }
        let full = |entries: &Entries| {
            entries.by_key.len() >= MAX_ENTRIES || entries.bytes + weight > max_bytes
        };
        if full(&entries) {
            entries.make_room(
                weight,
                max_bytes,
                self.0.generation.load(Ordering::Acquire),
                self.0.ttl,
            );
        }
        entries.bytes += weight;
        entries.by_key.insert(key, entry);
    }
}

impl Entries {
    /// Forgets the outdated entries, then the oldest, until a quarter of the
    /// room is free besides `weight`: the hot pages, kept again every TTL,
    /// stay; making room is rare.
    fn make_room(&mut self, weight: usize, max_bytes: usize, generation: u64, ttl: Duration) {
        let Self { by_key, bytes } = self;
        by_key.retain(|key, kept| {
            let keep = kept.current(generation, ttl);
            if !keep {
                *bytes -= kept.weight(key);
            }
            keep
        });
        let roomy = |entries: &Self| {
            entries.by_key.len() < MAX_ENTRIES / 4 * 3
                && entries.bytes + weight <= max_bytes / 4 * 3
        };
        if roomy(self) {
            return;
        }
        let mut by_age: Vec<(Instant, String)> = self
            .by_key
            .iter()
            .map(|(key, kept)| (kept.stored_at, key.clone()))
            .collect();
        by_age.sort_unstable();
        for (_, key) in by_age {
            if roomy(self) {
                break;
            }
            if let Some(kept) = self.by_key.remove(&key) {
                self.bytes -= kept.weight(&key);
            }
        }
    }
}

/// Values derived from the database (say, what a publishable key gives access
/// to), kept as the responses are: for the cache's time-to-live, and forgotten
/// at the next write that clears the cache.
#[derive(Clone)]
pub struct Memo<T> {
    cache: ReadCache,
    /// Past this many entries, the outdated ones go; if none is, all go.
    capacity: usize,
    entries: Arc<RwLock<HashMap<String, Remembered<T>>>>,
}

struct Remembered<T> {
    generation: u64,
    stored_at: Instant,
    value: T,
}

impl<T: Clone> Memo<T> {
    pub fn new(cache: ReadCache, capacity: usize) -> Self {
        Self {
            cache,
            capacity,
            entries: Arc::default(),
        }
    }

    /// Takes out the value kept for `key`, unless it is past the TTL or a
    /// write cleared the cache since it was kept.
    pub fn take(&self, key: &str) -> Option<T> {
        let generation = self.cache.0.generation.load(Ordering::Acquire);
        self.entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(key)
            .filter(|kept| kept.current(generation, self.cache.0.ttl))
            .map(|kept| kept.value)
    }

    /// Keeps `value` for `key` (nothing is kept under a zero TTL).
    pub fn keep(&self, key: String, value: T) {
        if self.cache.0.ttl.is_zero() {
            return;
        }
        let generation = self.cache.0.generation.load(Ordering::Acquire);
        self.store(key, generation, value);
    }

    fn store(&self, key: String, generation: u64, value: T) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= self.capacity {
            let ttl = self.cache.0.ttl;
            entries.retain(|_, kept| kept.current(generation, ttl));
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(
            key,
            Remembered {
                generation,
                stored_at: Instant::now(),
                value,
            },
        );
    }

    /// The value kept for `key`, or the one `load` gives (kept when it loads).
    pub async fn get_or_load<E, F>(&self, key: &str, load: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        let ttl = self.cache.0.ttl;
        if ttl.is_zero() {
            return load.await;
        }
        // Taken before the load, so a write racing with it leaves the value stale.
        let generation = self.cache.0.generation.load(Ordering::Acquire);
        if let Some(kept) = self
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(key)
            .filter(|kept| kept.current(generation, ttl))
        {
            return Ok(kept.value.clone());
        }
        let value = load.await?;
        self.store(key.to_owned(), generation, value.clone());
        Ok(value)
    }
}

impl<T> Remembered<T> {
    fn current(&self, generation: u64, ttl: Duration) -> bool {
        self.generation == generation && self.stored_at.elapsed() <= ttl
    }
}

enum Lookup {
    Fresh(Response),
    /// Past its TTL, but no write has cleared it since.
    Stale(Response),
    Missing,
}

enum Rebuild {
    /// This request rebuilds the entry.
    Mine(RebuildTurn),
    /// Another request does; the receiver's sender closes when it is done.
    Running(watch::Receiver<()>),
}

/// The right to rebuild one key; dropping it (done, failed or canceled)
/// wakes the requests waiting for the rebuild.
struct RebuildTurn {
    cache: ReadCache,
    key: String,
    _done: watch::Sender<()>,
}

impl Drop for RebuildTurn {
    fn drop(&mut self) {
        self.cache
            .0
            .rebuilding
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&self.key);
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
    let stale = match cache.lookup(&key) {
        Lookup::Fresh(response) => return response,
        Lookup::Stale(response) => Some(response),
        Lookup::Missing => None,
    };
    match cache.join_rebuild(&key) {
        Rebuild::Mine(_turn) => answer_and_keep(&cache, key, request, next).await,
        Rebuild::Running(mut done) => {
            if let Some(stale) = stale {
                return stale;
            }
            // An error only means the rebuild ended, which is what we wait for.
            let _ = done.changed().await;
            match cache.lookup(&key) {
                Lookup::Fresh(response) => response,
                // Not kept (an error answer, or a write during the rebuild):
                // answer this request itself.
                Lookup::Stale(_) | Lookup::Missing => {
                    answer_and_keep(&cache, key, request, next).await
                }
            }
        }
    }
}

async fn answer_and_keep(cache: &ReadCache, key: String, request: Request, next: Next) -> Response {
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

/// Middleware for the whole router: a successful write that can change what
/// is kept clears the cache. Everything else leaves it be: reads (server
/// functions read by POST too), cart edits, sign-ins, a shopper's own data.
/// Otherwise anyone could empty it at will, and every visit to the
/// storefront would.
pub async fn invalidate_after_writes(
    State(cache): State<ReadCache>,
    request: Request,
    next: Next,
) -> Response {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) && changes_kept_reads(request.uri().path());
    let response = next.run(request).await;
    if writes && response.status().is_success() | response.status().is_redirection() {
        cache.invalidate();
    }
    response
}

/// Whether a write to `path` can change what the cache keeps: the catalog,
/// publishable keys, regions (an admin's writes, by the Admin API or the
/// dashboard) and stock (an order placed).
fn changes_kept_reads(path: &str) -> bool {
    let admin = path.starts_with("/admin/") || path.starts_with("/api/admin/");
    let order_placed = (path.starts_with("/store/carts/") && path.ends_with("/complete"))
        || path == "/api/checkout/place-order";
    admin || order_placed
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
    use std::sync::atomic::AtomicUsize;

    use axum::{Router, middleware::from_fn_with_state, routing::get};
    use tower::ServiceExt;

    use super::*;

    fn is_fresh(lookup: Lookup) -> bool {
        matches!(lookup, Lookup::Fresh(_))
    }

    #[test]
    fn entries_expire_and_are_cleared_by_writes() {
        let cache = ReadCache::new(Duration::from_millis(50));
        cache.store("k /a".into(), 0, None, Bytes::from_static(b"one"));
        assert!(is_fresh(cache.lookup("k /a")));
        assert!(matches!(cache.lookup("other /a"), Lookup::Missing));
        cache.invalidate();
        assert!(
            matches!(cache.lookup("k /a"), Lookup::Missing),
            "a write clears what was kept, stale copies included"
        );
        cache.store("k /a".into(), 1, None, Bytes::from_static(b"two"));
        std::thread::sleep(Duration::from_millis(60));
        assert!(
            matches!(cache.lookup("k /a"), Lookup::Stale(_)),
            "entries expire"
        );
    }

    #[test]
    fn only_admin_writes_and_orders_count_as_catalog_writes() {
        for path in [
            "/admin/products",
            "/admin/regions/reg_1",
            "/api/admin/products/save",
            "/store/carts/cart_1/complete",
            "/api/checkout/place-order",
        ] {
            assert!(changes_kept_reads(path), "{path}");
        }
        for path in [
            "/store/carts/cart_1/line-items",
            "/store/carts/cart_1/taxes",
            "/api/cart/add",
            "/api/catalog/products",
            "/api/account/login",
            "/auth/customer/emailpass",
            "/auth/customer/emailpass/reset-password",
            "/store/customers/me/addresses",
            "/store/loyalty/identify",
        ] {
            assert!(!changes_kept_reads(path), "{path}");
        }
    }

    #[test]
    fn the_cache_stays_within_its_bytes() {
        let budget = 64 * 1024;
        let cache = ReadCache::within(Duration::from_secs(60), budget);
        let body = Bytes::from(vec![b'x'; 1000]);
        for n in 0..1000 {
            cache.store(format!("k /page?n={n}"), 0, None, body.clone());
            assert!(cache.bytes() <= budget, "{} bytes after {n}", cache.bytes());
        }
        assert!(
            is_fresh(cache.lookup("k /page?n=999")),
            "the latest is kept"
        );
        assert!(
            matches!(cache.lookup("k /page?n=0"), Lookup::Missing),
            "the oldest made room"
        );
        assert!(
            cache.bytes() > budget / 2,
            "room is made as needed: {}",
            cache.bytes()
        );

        cache.store("k /huge".into(), 0, None, Bytes::from(vec![b'x'; budget]));
        assert!(matches!(cache.lookup("k /huge"), Lookup::Missing));
        assert!(cache.bytes() <= budget);

        // A long key weighs as much as a long body.
        let long_key = format!("k /page?{}", "q".repeat(budget / 8));
        cache.store(long_key, 0, None, Bytes::from_static(b"{}"));
        assert!(cache.bytes() <= budget);
    }

    #[test]
    fn a_replaced_entry_is_counted_once() {
        let cache = ReadCache::within(Duration::from_secs(60), 1024 * 1024);
        for _ in 0..10 {
            cache.store("k /a".into(), 0, None, Bytes::from(vec![b'x'; 1000]));
        }
        assert!(cache.bytes() < 2000, "{}", cache.bytes());
    }

    /// A cached route whose every build is counted and slow; it answers the
    /// build's number.
    fn counted_route(cache: &ReadCache, builds: Arc<AtomicUsize>) -> Router {
        let build = move || {
            let builds = builds.clone();
            async move {
                let number = builds.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
                number.to_string()
            }
        };
        Router::new()
            .route("/page", get(build))
            .route_layer(from_fn_with_state(cache.clone(), serve_cached))
    }

    /// The bodies of `n` concurrent GETs of the page, sorted.
    async fn concurrent_reads(router: &Router, n: usize) -> Vec<String> {
        let requests = (0..n).map(|_| {
            let router = router.clone();
            tokio::spawn(async move {
                let request = axum::http::Request::get("/page")
                    .body(Body::empty())
                    .unwrap();
                let response = router.oneshot(request).await.unwrap();
                assert_eq!(response.status(), StatusCode::OK);
                let body = axum::body::to_bytes(response.into_body(), 64)
                    .await
                    .unwrap();
                String::from_utf8(body.to_vec()).unwrap()
            })
        });
        let mut bodies: Vec<String> = futures::future::try_join_all(requests).await.unwrap();
        bodies.sort();
        bodies
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn one_rebuild_per_key_however_many_readers_miss() {
        let cache = ReadCache::new(Duration::from_millis(300));
        let builds = Arc::new(AtomicUsize::new(0));
        let router = counted_route(&cache, builds.clone());

        let bodies = concurrent_reads(&router, 32).await;
        assert_eq!(builds.load(Ordering::SeqCst), 1, "32 misses, one build");
        assert!(bodies.iter().all(|b| b == "1"), "{bodies:?}");

        tokio::time::sleep(Duration::from_millis(350)).await;
        let bodies = concurrent_reads(&router, 32).await;
        assert_eq!(builds.load(Ordering::SeqCst), 2, "an expiry, one rebuild");
        assert_eq!(
            bodies.iter().filter(|b| *b == "1").count(),
            31,
            "the others get the expired copy at once: {bodies:?}"
        );
        assert_eq!(bodies.last().unwrap(), "2", "the rebuilder answers fresh");

        cache.invalidate();
        let bodies = concurrent_reads(&router, 32).await;
        assert_eq!(builds.load(Ordering::SeqCst), 3, "a write, one rebuild");
        assert!(
            bodies.iter().all(|b| b == "3"),
            "nothing cleared by a write is served: {bodies:?}"
        );
    }
}
