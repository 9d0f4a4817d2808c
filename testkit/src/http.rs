//! A tiny HTTP server that answers every request and keeps it, so tests can
//! check what the store posted (webhooks). It can be told to fail first.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
};
use tokio::{net::TcpListener, task::JoinHandle};

/// One request as it arrived, and what it was answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub content_type: Option<String>,
    pub body: String,
    pub answered: u16,
}

impl Request {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }
}

#[derive(Default)]
struct Recorded {
    requests: Mutex<Vec<Request>>,
    /// Requests still to be answered 500.
    failures_left: AtomicUsize,
}

pub struct HttpRecorder {
    port: u16,
    recorded: Arc<Recorded>,
    server: JoinHandle<()>,
}

impl Drop for HttpRecorder {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl HttpRecorder {
    /// Listens on a free local port and answers 200 to everything.
    pub async fn start() -> Self {
        Self::failing_first(0).await
    }

    /// Answers the first `failures` requests 500, then 200.
    pub async fn failing_first(failures: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the HTTP recorder");
        let port = listener.local_addr().expect("bound address").port();
        let recorded = Arc::new(Recorded {
            failures_left: AtomicUsize::new(failures),
            ..Default::default()
        });
        let app = axum::Router::new()
            .fallback(record)
            .with_state(recorded.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            port,
            recorded,
            server,
        }
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.recorded
            .requests
            .lock()
            .expect("requests lock")
            .clone()
    }

    /// The requests, waiting up to `within` for at least `count`.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Request> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let requests = self.requests();
            if requests.len() >= count || tokio::time::Instant::now() >= deadline {
                return requests;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn record(
    State(recorded): State<Arc<Recorded>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let fail = recorded
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            left.checked_sub(1)
        })
        .is_ok();
    let status = if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    recorded
        .requests
        .lock()
        .expect("requests lock")
        .push(Request {
            method: method.to_string(),
            path: uri.path().to_owned(),
            content_type: headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: String::from_utf8_lossy(&body).into_owned(),
            answered: status.as_u16(),
        });
    status
}
