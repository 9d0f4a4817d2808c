//! The HTTP surface: the Leptos app, the REST APIs, probes and live events.

pub mod admin;
pub mod auth;
pub mod browser;
mod csv;
pub mod error;
mod health;
pub(crate) mod idempotency;
pub mod metrics;
pub mod openapi;
mod params;
pub mod read_cache;
pub(crate) mod store;

use axum::{
    Router,
    body::Body,
    extract::{MatchedPath, State},
    http::{HeaderValue, Method, Request, header, header::ACCEPT},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use std::sync::LazyLock;

use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tower_http::{compression::CompressionLayer, trace::TraceLayer};

use crate::{rate_limit, state::AppState};

pub fn router(state: AppState) -> Router<AppState> {
    // Paths that are both an Admin API route and a dashboard page are routed
    // once, to the API, which hands browsers the page (see `pages_for_browsers`).
    let routes = page_routes().to_vec();
    let context = {
        let state = state.clone();
        move || state.provide_leptos_context()
    };
    let shell = {
        let options = state.leptos_options.clone();
        move || app::shell(options.clone())
    };
    Router::new()
        .route("/health", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/metrics", get(metrics::serve))
        .route(openapi::PATH, get(openapi::serve))
        .route(
            "/hooks/payment/stripe",
            axum::routing::post(crate::payments::stripe_webhook::receive),
        )
        .route(
            "/hooks/payment/finix",
            axum::routing::post(crate::payments::finix_webhook::receive),
        )
        .merge(auth::routes())
        .merge(store::routes(&state))
        .merge(admin::routes(&state).layer(middleware::from_fn({
            let render_page =
                leptos_axum::render_app_async_with_context(context.clone(), shell.clone());
            move |request: Request<Body>, next: Next| {
                pages_for_browsers(render_page.clone(), request, next)
            }
        })))
        .merge(uploaded_files(&state))
        .route("/api/{*fn_name}", get(server_fn).post(server_fn))
        .leptos_routes_with_context(&state, routes, context.clone(), shell)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, app::shell))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::end_outdated_sessions,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.read_cache.clone(),
            read_cache::invalidate_after_writes,
        ))
        .layer(middleware::from_fn_with_state(
            state.browser.clone(),
            browser::refuse_cross_site_writes,
        ))
        .layer(middleware::from_fn_with_state(
            state.browser.clone(),
            browser::security_headers,
        ))
        .layer(middleware::map_response(unbuffered_event_streams))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            state.limits.clone(),
            rate_limit::note_client,
        ))
        .layer(middleware::from_fn_with_state(
            state.metrics.http.clone(),
            metrics::record,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
}

/// The upload folder's files at `/uploads/`, cached for good (see
/// [`crate::files::CACHE_FOREVER`]); nothing while uploads go to a bucket.
fn uploaded_files(state: &AppState) -> Router<AppState> {
    let Some(dir) = &state.uploads_dir else {
        return Router::new();
    };
    let serve = tower_http::services::ServeDir::new(dir.as_ref());
    Router::new().nest_service(
        crate::files::PUBLIC_PATH,
        Router::new()
            .fallback_service(serve)
            .layer(middleware::map_response(cache_when_found)),
    )
}

async fn cache_when_found(mut response: Response) -> Response {
    if response.status().is_success() {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(crate::files::CACHE_FOREVER),
        );
    }
    response
}

/// Event streams reach the browser as they are written, also through a
/// proxy: nginx buffers a response unless it says `X-Accel-Buffering: no`.
async fn unbuffered_event_streams(mut response: Response) -> Response {
    let is_stream = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
    if is_stream {
        let headers = response.headers_mut();
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

/// A request's span: its method and path, never its query, which may carry
/// a secret (`/auth/customer/emailpass/update?token=…`).
fn request_span(request: &Request<Body>) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
        version = ?request.version(),
    )
}

/// The Leptos app's page routes, generated once per process.
///
/// Generating them renders the app with resource loading switched off by a
/// process-wide flag (leptos-rs/leptos#4773): a page whose resource first
/// polls meanwhile, in another server of the same process (the tests run
/// many), waits forever. Once per process, it happens before any server answers.
fn page_routes() -> &'static [AxumRouteListing] {
    static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| {
        generate_route_list(app::App)
            .into_iter()
            .filter(|listing| !admin::PAGE_PATHS.contains(&listing.path()))
            .collect()
    });
    &ROUTES
}

async fn server_fn(State(state): State<AppState>, request: Request<Body>) -> impl IntoResponse {
    leptos_axum::handle_server_fns_with_context(move || state.provide_leptos_context(), request)
        .await
}

/// Whether the request is a browser's (it asks for HTML), not an API client's.
pub fn wants_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// A browser navigating to one of [`admin::PAGE_PATHS`] gets the dashboard
/// page; API clients (no `text/html` in `Accept`) get the JSON.
async fn pages_for_browsers<F>(render_page: F, request: Request<Body>, next: Next) -> Response
where
    F: Fn(Request<Body>) -> std::pin::Pin<Box<dyn Future<Output = Response> + Send>>,
{
    let is_page = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|path| admin::PAGE_PATHS.contains(&path.as_str()));
    if is_page && wants_html(request.headers()) && request.method() == Method::GET {
        render_page(request).await
    } else {
        next.run(request).await
    }
}
