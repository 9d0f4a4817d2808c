//! A local SMS provider speaking Twilio's Messages API (`POST
//! /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded `To`, `From`,
//! `Body`, basic auth with the sid and token): it keeps every message it
//! accepts, so tests can read the codes the store texted. It can be told to
//! fail, as a provider that is down would.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::{
    Form, Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header::AUTHORIZATION},
    routing::post,
};
use base64::Engine;
use serde_json::json;
use tokio::{net::TcpListener, task::JoinHandle};

pub const ACCOUNT_SID: &str = "ACtest0000000000000000000000000000";
pub const AUTH_TOKEN: &str = "test-auth-token";
pub const FROM: &str = "+15550006666";

/// One message as the store sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sms {
    pub to: String,
    pub from: String,
    pub body: String,
}

impl Sms {
    /// The first run of 6 digits in the body: the one-time code.
    pub fn code(&self) -> Option<String> {
        self.body
            .split(|c: char| !c.is_ascii_digit())
            .find(|run| run.len() == 6)
            .map(str::to_owned)
    }
}

#[derive(Default)]
struct Recorded {
    messages: Mutex<Vec<Sms>>,
    down: AtomicBool,
}

pub struct SmsSimulator {
    port: u16,
    recorded: Arc<Recorded>,
    server: JoinHandle<()>,
}

impl Drop for SmsSimulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Message {
    to: String,
    from: String,
    body: String,
}

impl SmsSimulator {
    /// Listens on a free local port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMS simulator");
        let port = listener.local_addr().expect("bound address").port();
        let recorded = Arc::new(Recorded::default());
        let app = axum::Router::new()
            .route(
                "/2010-04-01/Accounts/{account_sid}/Messages.json",
                post(accept),
            )
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

    /// The base URL to hand the store (`AUTOMAT_SMS_URL`); the account is
    /// [`ACCOUNT_SID`] with [`AUTH_TOKEN`], sending from [`FROM`].
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<Sms> {
        self.recorded
            .messages
            .lock()
            .expect("messages lock")
            .clone()
    }

    /// Answers every message 503 (`true`) or accepts them again.
    pub fn set_down(&self, down: bool) {
        self.recorded.down.store(down, Ordering::SeqCst);
    }

    /// The messages to `to`, waiting up to `within` for at least `count`.
    pub async fn wait_for(&self, to: &str, count: usize, within: Duration) -> Vec<Sms> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let found: Vec<Sms> = self.messages().into_iter().filter(|m| m.to == to).collect();
            if found.len() >= count || tokio::time::Instant::now() >= deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The code in the latest message to `to`.
    pub fn last_code(&self, to: &str) -> Option<String> {
        self.messages()
            .into_iter()
            .rev()
            .find(|m| m.to == to)
            .and_then(|m| m.code())
    }
}

fn authorized(headers: &HeaderMap, account_sid: &str) -> bool {
    let expected =
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"));
    account_sid == ACCOUNT_SID
        && headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Basic {expected}"))
}

async fn accept(
    State(recorded): State<Arc<Recorded>>,
    Path(account_sid): Path<String>,
    headers: HeaderMap,
    Form(message): Form<Message>,
) -> (StatusCode, Json<serde_json::Value>) {
    if recorded.down.load(Ordering::SeqCst) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"code": 20503, "message": "Service unavailable", "status": 503})),
        );
    }
    if !authorized(&headers, &account_sid) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"code": 20003, "message": "Authenticate", "status": 401})),
        );
    }
    let answer = json!({
        "sid": format!("SM{}", ulid::Ulid::new()),
        "account_sid": account_sid,
        "to": message.to,
        "from": message.from,
        "body": message.body,
        "status": "queued",
    });
    recorded.messages.lock().expect("messages lock").push(Sms {
        to: message.to,
        from: message.from,
        body: message.body,
    });
    (StatusCode::CREATED, Json(answer))
}
