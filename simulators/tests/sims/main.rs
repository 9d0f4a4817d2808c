//! The simulators as their clients see them: the real async-stripe client
//! against the Stripe simulator, plain HTTP against Finix, the real
//! meilisearch-sdk client against the Meilisearch stand-in, and a receiver
//! for their webhooks.

mod binary;
mod browser;
mod finix;
mod meilisearch;
mod stripe;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};

/// Waits until `check` holds, or fails with `what`.
pub async fn eventually<F: AsyncFn() -> bool>(what: &str, check: F) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

/// One webhook request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct ReceiverState {
    received: Mutex<Vec<Received>>,
    /// Requests still to be answered 500.
    failures_left: Mutex<usize>,
}

/// A webhook endpoint that keeps what it is sent.
pub struct Receiver {
    pub url: String,
    state: Arc<ReceiverState>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Receiver {
    pub async fn start() -> Self {
        Self::failing_first(0).await
    }

    /// Answers the first `failures` requests 500.
    pub async fn failing_first(failures: usize) -> Self {
        let state = Arc::new(ReceiverState {
            received: Mutex::new(Vec::new()),
            failures_left: Mutex::new(failures),
        });
        async fn hook(
            State(state): State<Arc<ReceiverState>>,
            headers: HeaderMap,
            body: Bytes,
        ) -> StatusCode {
            state.received.lock().unwrap().push(Received {
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            let mut left = state.failures_left.lock().unwrap();
            if *left > 0 {
                *left -= 1;
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            }
        }
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { url, state, server }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// The event types received, in order.
    pub fn types(&self) -> Vec<String> {
        self.received()
            .iter()
            .map(|r| {
                let json = r.json();
                match json["entity"].as_str() {
                    // Finix: `{entity}.{type}`.
                    Some(entity) => format!("{entity}.{}", json["type"].as_str().unwrap()),
                    None => json["type"].as_str().unwrap().to_owned(),
                }
            })
            .collect()
    }

    pub async fn wait_for(&self, kind: &str) -> Received {
        eventually(&format!("a {kind} webhook"), async || {
            self.types().iter().any(|t| t == kind)
        })
        .await;
        let types = self.types();
        let index = types.iter().position(|t| t == kind).unwrap();
        self.received()[index].clone()
    }
}
