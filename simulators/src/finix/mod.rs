//! A local Finix (https://docs.finix.com): HTTP basic auth, `Finix-Version`,
//! buyer identities, payment instruments from Finix.js tokens (`TK…`),
//! authorizations (capture with `capture_amount`, void with `void_me`),
//! transfers (sales), reversals (refunds), disputes, `idempotency_id`, HAL
//! error bodies, webhooks, and a `finix.js` stand-in for the browser.
//!
//! Test outcomes follow Finix's sandbox, by amount: 102 declined
//! (`GENERIC_DECLINE`), 193 `INSUFFICIENT_FUNDS`, 194 `INVALID_CARD`, 888888
//! disputed. The simulator also reads these card numbers: 4000 0000 0000 0002
//! declined, 4000 0000 0000 9995 insufficient funds, 4000 0000 0000 0259
//! disputed, 4000 0000 0000 7726 authorizes but its capture fails
//! (`AUTHORIZATION_EXPIRED_OR_ALREADY_CAPTURED`); any other valid number is
//! approved.
//!
//! Webhooks: each event is posted with the endpoint's authentication
//! (`Authorization: Basic …` or `Bearer …`, as configured on the webhook)
//! and a `Finix-Signature: timestamp=<unix>, sig=<hex>` header, the
//! HMAC-SHA256 of `{timestamp}:{body}` with the webhook's
//! `secret_signing_key` (the scheme integrations verify; Finix's own
//! description of it was not available to check).
//!
//! Captured transfers, reversals and voids start `PENDING` and settle to
//! `SUCCEEDED` right after (a `*.updated` event), or when a test says so
//! ([`FinixSimulator::set_auto_settle`], [`FinixSimulator::settle`]).

mod api;
mod browser;
mod state;

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{FromRequest, Path, Query, Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;

use api::{Body, FinixError};
pub use state::Outcome;

use crate::{
    Faults, RecordedRequest, ids,
    serving::{Fault, Serving},
    webhook::{Outbox, Signer, WebhookControl},
};

/// How a webhook endpoint is authenticated (Finix's `authentication.type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookAuth {
    None,
    Basic { username: String, password: String },
    Bearer(String),
}

#[derive(Debug, Clone)]
pub struct FinixConfig {
    /// API credentials (HTTP basic).
    pub username: String,
    pub password: String,
    pub application_id: String,
    pub merchant_id: String,
    pub merchant_identity_id: String,
    /// Where events go; `None` keeps them queued (or set one with `POST /webhooks`).
    pub webhook_url: Option<String>,
    pub webhook_auth: WebhookAuth,
    pub webhook_signing_key: String,
}

impl Default for FinixConfig {
    fn default() -> Self {
        Self {
            username: "USsimulatorAutomat00001A".into(),
            password: "automat-simulator-password".into(),
            application_id: "APsimulatorAutomat00001A".into(),
            merchant_id: "MUsimulatorAutomat00001A".into(),
            merchant_identity_id: "IDsimulatorMerchant0001A".into(),
            webhook_url: None,
            webhook_auth: WebhookAuth::Basic {
                username: "finix".into(),
                password: "automat-webhook-password".into(),
            },
            webhook_signing_key: "automat-finix-signing-key".into(),
        }
    }
}

/// The card numbers the simulator gives an outcome (amount triggers win).
pub fn card_outcome(number: &str) -> Outcome {
    match number {
        "4000000000000002" => state::GENERIC_DECLINE,
        "4000000000009995" => state::INSUFFICIENT_FUNDS,
        "4000000000000259" => Outcome::Dispute,
        "4000000000007726" => Outcome::CaptureExpires,
        _ => Outcome::Approve,
    }
}

/// `Finix-Signature: timestamp=…, sig=…`.
pub fn finix_signature(key: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(format!("{timestamp}:{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[derive(Debug, Clone)]
struct Endpoint {
    id: String,
    auth: WebhookAuth,
    signing_key: String,
    enabled: bool,
    created: i64,
}

struct FinixSigner {
    endpoint: Arc<Mutex<Endpoint>>,
}

impl Signer for FinixSigner {
    fn headers(&self, body: &str, timestamp: i64) -> Vec<(String, String)> {
        let endpoint = self
            .endpoint
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut headers = vec![(
            "Finix-Signature".to_owned(),
            format!(
                "timestamp={timestamp}, sig={}",
                finix_signature(&endpoint.signing_key, timestamp, body)
            ),
        )];
        match endpoint.auth {
            WebhookAuth::None => {}
            WebhookAuth::Basic { username, password } => {
                use base64::Engine;
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{password}"));
                headers.push(("Authorization".into(), format!("Basic {encoded}")));
            }
            WebhookAuth::Bearer(token) => {
                headers.push(("Authorization".into(), format!("Bearer {token}")))
            }
        }
        headers
    }
}

struct Kept {
    fingerprint: Value,
    status: StatusCode,
    body: Value,
}

struct Inner {
    account: state::State,
    idempotency: HashMap<(String, String), Kept>,
    auto_settle: bool,
}

struct Shared {
    config: FinixConfig,
    base_url: String,
    inner: Mutex<Inner>,
    serving: Serving,
    outbox: Arc<Outbox>,
    endpoint: Arc<Mutex<Endpoint>>,
}

impl Shared {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs a change and delivers the events it raised; settles what it
    /// left pending when settling is automatic.
    fn commit<T>(self: &Arc<Self>, op: impl FnOnce(&mut state::State) -> T) -> T {
        let (out, raised, settle) = {
            let mut inner = self.inner();
            let out = op(&mut inner.account);
            let settle = inner.auto_settle && !inner.account.pending.is_empty();
            (out, std::mem::take(&mut inner.account.raised), settle)
        };
        self.deliver(raised);
        if settle {
            let shared = self.clone();
            tokio::spawn(async move {
                shared.settle();
            });
        }
        out
    }

    /// Settles what is pending; how many settled.
    fn settle(&self) -> usize {
        let (settled, raised) = {
            let mut inner = self.inner();
            let settled = inner.account.settle();
            (settled, std::mem::take(&mut inner.account.raised))
        };
        self.deliver(raised);
        settled
    }

    fn deliver(&self, raised: Vec<state::Event>) {
        for event in raised {
            self.outbox
                .enqueue(&event.id, &event.kind, event.json.to_string());
        }
    }

    fn authenticate(&self, headers: &HeaderMap) -> Result<(), FinixError> {
        use base64::Engine;
        let credentials = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|d| String::from_utf8(d).ok());
        let expected = format!("{}:{}", self.config.username, self.config.password);
        if credentials.as_deref() == Some(expected.as_str()) {
            Ok(())
        } else {
            Err(FinixError::new(
                StatusCode::UNAUTHORIZED,
                "UNKNOWN",
                "Unauthorized",
            ))
        }
    }

    /// Serves one API request: credentials, version, body, `idempotency_id`,
    /// the operation under the lock, its events, faults, the record.
    async fn api(
        self: &Arc<Self>,
        call: ApiCall,
        authenticated: bool,
        op: impl FnOnce(&mut state::State, Body) -> Result<(StatusCode, Value), FinixError>,
    ) -> Response {
        let version = call
            .headers
            .get("finix-version")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let params: Value = serde_json::from_slice(&call.body).unwrap_or(Value::Null);
        let idempotency_id = params
            .get("idempotency_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let fault = self.serving.take_fault();
        let (status, body, replayed) = match self.run(
            &call,
            authenticated,
            version.as_deref(),
            fault,
            &idempotency_id,
            op,
        ) {
            Ok(out) => out,
            Err(e) => (e.status, e.json(&self.base_url, &call.path), false),
        };
        if let Some(Fault::AnswerLate(ms)) = fault {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        self.serving.record(RecordedRequest {
            method: call.method.to_string(),
            path: call.path.clone(),
            idempotency_key: idempotency_id,
            version,
            browser: !authenticated,
            params,
            status: status.as_u16(),
            replayed,
        });
        (
            status,
            [(header::CONTENT_TYPE, "application/hal+json")],
            Json(body),
        )
            .into_response()
    }

    fn run(
        self: &Arc<Self>,
        call: &ApiCall,
        authenticated: bool,
        version: Option<&str>,
        fault: Option<Fault>,
        idempotency_id: &Option<String>,
        op: impl FnOnce(&mut state::State, Body) -> Result<(StatusCode, Value), FinixError>,
    ) -> Result<(StatusCode, Value, bool), FinixError> {
        if fault == Some(Fault::Fail) {
            return Err(FinixError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "SERVER_ERROR",
                "We had a problem with our server (simulated). Try again later.",
            ));
        }
        if authenticated {
            self.authenticate(&call.headers)?;
        }
        if let Some(v) = version
            && !valid_version(v)
        {
            return Err(FinixError::new(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("Invalid Finix-Version: {v}"),
            ));
        }
        let body = Body::parse(&call.body)?;
        let fingerprint: Value = serde_json::from_slice(&call.body).unwrap_or(Value::Null);
        let key = idempotency_id
            .as_ref()
            .filter(|_| call.method == Method::POST)
            .map(|id| (call.path.clone(), id.clone()));
        if let Some(key) = &key
            && let Some(kept) = self.inner().idempotency.get(key)
        {
            if kept.fingerprint == fingerprint {
                return Ok((kept.status, kept.body.clone(), true));
            }
            return Err(FinixError::invalid_field(
                "idempotency_id",
                format!(
                    "idempotency_id {} was already used for a different request to this endpoint",
                    key.1
                ),
            ));
        }
        let result = self.commit(|st| op(st, body));
        let (status, out, kept) = match result {
            Ok((status, out)) => (status, out, true),
            Err(e) => (e.status, e.json(&self.base_url, &call.path), e.kept),
        };
        if let Some(key) = key
            && kept
        {
            self.inner().idempotency.insert(
                key,
                Kept {
                    fingerprint,
                    status,
                    body: out.clone(),
                },
            );
        }
        Ok((status, out, false))
    }
}

fn valid_version(v: &str) -> bool {
    let parts: Vec<_> = v.split('-').collect();
    parts.len() == 3
        && [4, 2, 2]
            .iter()
            .zip(&parts)
            .all(|(len, p)| p.len() == *len && p.bytes().all(|b| b.is_ascii_digit()))
}

struct ApiCall {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for ApiCall {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self {
            method,
            path,
            headers,
            body,
        })
    }
}

/// A running Finix simulator.
#[derive(Clone)]
pub struct FinixSimulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    tasks: Arc<[tokio::task::AbortHandle; 2]>,
    webhooks: WebhookControl,
}

/// Starts a simulator on a free local port.
pub async fn spawn(config: FinixConfig) -> std::io::Result<FinixSimulator> {
    spawn_on("127.0.0.1:0".parse().expect("a valid address"), config).await
}

pub async fn spawn_on(addr: SocketAddr, config: FinixConfig) -> std::io::Result<FinixSimulator> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}/");
    let endpoint = Arc::new(Mutex::new(Endpoint {
        id: ids::finix("WH"),
        auth: config.webhook_auth.clone(),
        signing_key: config.webhook_signing_key.clone(),
        enabled: true,
        created: ids::now(),
    }));
    let (outbox, worker) = Outbox::start(
        FinixSigner {
            endpoint: endpoint.clone(),
        },
        config.webhook_url.clone(),
    );
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner {
            account: state::State {
                base_url: base_url.clone(),
                application: config.application_id.clone(),
                merchant: config.merchant_id.clone(),
                merchant_identity: config.merchant_identity_id.clone(),
                ..Default::default()
            },
            idempotency: HashMap::new(),
            auto_settle: true,
        }),
        base_url,
        serving: Serving::default(),
        outbox: outbox.clone(),
        endpoint,
        config,
    });
    let app = router(shared.clone());
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "finix simulator stopped");
        }
    });
    Ok(FinixSimulator {
        shared,
        addr,
        tasks: Arc::new([server.abort_handle(), worker.abort_handle()]),
        webhooks: WebhookControl { outbox },
    })
}

impl FinixSimulator {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/`: requests go to `{api_base}authorizations` etc.
    pub fn api_base(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The `<script src>` of the Finix.js stand-in.
    pub fn finix_js_url(&self) -> String {
        format!("{}v/2/finix.js", self.shared.base_url)
    }

    pub fn config(&self) -> &FinixConfig {
        &self.shared.config
    }

    pub fn webhooks(&self) -> &WebhookControl {
        &self.webhooks
    }

    /// Any object by id (`AU…`, `TR…`, `PI…`, `EV…`), as the API renders it.
    pub fn object(&self, id: &str) -> Option<Value> {
        self.shared.inner().account.render_by_id(id)
    }

    /// Every webhook event so far, oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.shared
            .inner()
            .account
            .events
            .iter()
            .map(|e| e.json.clone())
            .collect()
    }

    /// Events of one kind (`transfer.created`), oldest first.
    pub fn events_of_type(&self, kind: &str) -> Vec<Value> {
        let inner = self.shared.inner();
        inner
            .account
            .events
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.json.clone())
            .collect()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.serving.requests()
    }

    /// Debits (sales and captures) that went through: a payment made twice shows here.
    pub fn debit_count(&self) -> usize {
        let inner = self.shared.inner();
        inner
            .account
            .transfers
            .values()
            .filter(|t| t.kind == state::TransferKind::Debit && t.state != "FAILED")
            .count()
    }

    pub fn set_faults(&self, faults: Faults) {
        self.shared.serving.set_faults(faults);
    }

    /// Whether PENDING transfers and voids settle on their own (the default).
    pub fn set_auto_settle(&self, auto: bool) {
        self.shared.inner().auto_settle = auto;
    }

    /// Settles what is pending now; how many settled.
    pub fn settle(&self) -> usize {
        self.shared.settle()
    }

    /// The buyer disputes a transfer: `dispute.created`.
    pub fn dispute(&self, transfer_id: &str) -> Result<Value, String> {
        self.shared.commit(|st| hooks::dispute(st, transfer_id))
    }

    /// The authorization lapses: capturing it fails.
    pub fn expire_authorization(&self, authorization_id: &str) -> Result<Value, String> {
        self.shared.commit(|st| hooks::expire(st, authorization_id))
    }

    pub fn stop(&self) {
        for task in self.tasks.iter() {
            task.abort();
        }
    }
}

mod hooks {
    use serde_json::Value;

    use super::state::{State, TransferKind};

    pub fn dispute(st: &mut State, transfer_id: &str) -> Result<Value, String> {
        match st.transfers.get(transfer_id) {
            Some(t) if t.kind == TransferKind::Debit && t.state != "FAILED" => {
                Ok(st.open_dispute(transfer_id))
            }
            Some(_) => Err(format!("{transfer_id} is not a successful debit")),
            None => Err(format!("no transfer {transfer_id}")),
        }
    }

    pub fn expire(st: &mut State, id: &str) -> Result<Value, String> {
        let a = st
            .authorizations
            .get_mut(id)
            .ok_or_else(|| format!("no authorization {id}"))?;
        a.expires = crate::ids::now() - 1;
        Ok(st.render_authorization(&st.authorizations[id]))
    }
}

type Sim = State<Arc<Shared>>;

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<i64>,
    owner_identity_id: Option<String>,
}

macro_rules! endpoint {
    ($name:ident, |$st:ident, $b:ident| $body:expr) => {
        async fn $name(State(s): Sim, call: ApiCall) -> Response {
            s.api(call, true, |$st, $b| $body).await
        }
    };
    ($name:ident, |$st:ident, $id:ident, $b:ident| $body:expr) => {
        async fn $name(State(s): Sim, Path($id): Path<String>, call: ApiCall) -> Response {
            s.api(call, true, |$st, $b| {
                let $id = $id.as_str();
                $body
            })
            .await
        }
    };
}

endpoint!(identity_create, |st, b| api::create_identity(st, b));
endpoint!(identity_get, |st, id, b| {
    b.finish()?;
    api::get_identity(st, id)
});
endpoint!(instrument_create, |st, b| api::create_instrument(
    st,
    b,
    card_outcome
));
endpoint!(instrument_get, |st, id, b| {
    b.finish()?;
    api::get_instrument(st, id)
});
endpoint!(instrument_update, |st, id, b| api::update_instrument(
    st, id, b
));
endpoint!(authorization_create, |st, b| api::create_authorization(
    st, b
));
endpoint!(authorization_get, |st, id, b| {
    b.finish()?;
    api::get_authorization(st, id)
});
endpoint!(authorization_update, |st, id, b| api::update_authorization(
    st, id, b
));
endpoint!(transfer_create, |st, b| api::create_transfer(st, b));
endpoint!(transfer_get, |st, id, b| {
    b.finish()?;
    api::get_transfer(st, id)
});
endpoint!(reversal_create, |st, id, b| api::create_reversal(st, id, b));
endpoint!(dispute_get, |st, id, b| {
    b.finish()?;
    api::get_dispute(st, id)
});

async fn instrument_list(State(s): Sim, Query(q): Query<ListQuery>, call: ApiCall) -> Response {
    s.api(call, true, |st, b| {
        b.finish()?;
        Ok((
            StatusCode::OK,
            api::list_instruments(st, q.owner_identity_id.as_deref(), q.limit),
        ))
    })
    .await
}

async fn identity_instruments(
    State(s): Sim,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
    call: ApiCall,
) -> Response {
    s.api(call, true, |st, b| {
        b.finish()?;
        if !st.identities.contains_key(&id) {
            return Err(FinixError::not_found("Identity", &id));
        }
        Ok((
            StatusCode::OK,
            api::list_instruments(st, Some(&id), q.limit),
        ))
    })
    .await
}

async fn reversal_list(
    State(s): Sim,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
    call: ApiCall,
) -> Response {
    s.api(call, true, |st, b| {
        b.finish()?;
        api::list_reversals(st, &id, q.limit)
    })
    .await
}

/// Finix.js tokenizes from the browser with the application id alone.
async fn token_create(State(s): Sim, Path(application): Path<String>, call: ApiCall) -> Response {
    s.api(call, false, |st, b| {
        api::create_token(st, &application, b, card_outcome)
    })
    .await
}

// ---- webhooks API: one endpoint, the latest configured

impl Shared {
    fn render_webhook(&self) -> Value {
        let endpoint = self
            .endpoint
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let auth = match &endpoint.auth {
            WebhookAuth::None => json!({ "type": "NONE" }),
            WebhookAuth::Basic { username, .. } => {
                json!({ "type": "BASIC", "basic": { "username": username, "password": null } })
            }
            WebhookAuth::Bearer(_) => json!({ "type": "BEARER", "bearer": { "token": null } }),
        };
        json!({
            "id": endpoint.id,
            "application": self.config.application_id,
            "authentication": auth,
            "created_at": state::timestamp(endpoint.created),
            "updated_at": state::timestamp(endpoint.created),
            "enabled": endpoint.enabled,
            "enabled_events": [],
            "previous_secret_expires_at": null,
            "secret_signing_key": endpoint.signing_key,
            "url": self.outbox_url(),
            "_links": { "self": { "href": format!("{}webhooks/{}", self.base_url, endpoint.id) } },
        })
    }

    fn outbox_url(&self) -> Option<String> {
        WebhookControl {
            outbox: self.outbox.clone(),
        }
        .url()
    }

    fn configure_webhook(
        &self,
        mut b: Body,
        create: bool,
    ) -> Result<(StatusCode, Value), FinixError> {
        let url = b.string("url")?;
        let enabled = b.boolean("enabled")?;
        let authentication = b.object("authentication")?;
        b.ignore(&["enabled_events", "nickname"]);
        b.finish()?;
        if create && url.is_none() {
            return Err(FinixError::invalid_field("url", "may not be null"));
        }
        let auth = authentication.map(parse_webhook_auth).transpose()?;
        {
            let mut endpoint = self.endpoint.lock().unwrap_or_else(|p| p.into_inner());
            if create {
                endpoint.id = ids::finix("WH");
                endpoint.created = ids::now();
                endpoint.signing_key = hex::encode(rand::random::<[u8; 32]>());
            }
            if let Some(auth) = auth {
                endpoint.auth = auth;
            }
            if let Some(enabled) = enabled {
                endpoint.enabled = enabled;
            }
        }
        let control = WebhookControl {
            outbox: self.outbox.clone(),
        };
        if url.is_some() {
            control.set_url(url);
        }
        let enabled = self
            .endpoint
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .enabled;
        if enabled {
            control.release();
        } else {
            control.hold();
        }
        let status = if create {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok((status, self.render_webhook()))
    }
}

fn parse_webhook_auth(auth: Value) -> Result<WebhookAuth, FinixError> {
    let text = |v: &Value, path: &[&str]| {
        path.iter()
            .try_fold(v, |v, k| v.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match text(&auth, &["type"]).as_deref() {
        Some("NONE") | None => Ok(WebhookAuth::None),
        Some("BASIC") => Ok(WebhookAuth::Basic {
            username: text(&auth, &["basic", "username"]).ok_or_else(|| {
                FinixError::invalid_field("authentication.basic.username", "may not be null")
            })?,
            password: text(&auth, &["basic", "password"]).ok_or_else(|| {
                FinixError::invalid_field("authentication.basic.password", "may not be null")
            })?,
        }),
        Some("BEARER") => Ok(WebhookAuth::Bearer(
            text(&auth, &["bearer", "token"]).ok_or_else(|| {
                FinixError::invalid_field("authentication.bearer.token", "may not be null")
            })?,
        )),
        Some(other) => Err(FinixError::invalid_field(
            "authentication.type",
            format!("Unknown authentication type {other}"),
        )),
    }
}

async fn webhook_create(State(s): Sim, call: ApiCall) -> Response {
    let shared = s.clone();
    s.api(call, true, move |_, b| shared.configure_webhook(b, true))
        .await
}

async fn webhook_list(State(s): Sim, call: ApiCall) -> Response {
    let shared = s.clone();
    s.api(call, true, move |st, b| {
        b.finish()?;
        let items = vec![shared.render_webhook()];
        Ok((
            StatusCode::OK,
            api::page(st, "webhooks", "webhooks", items, None),
        ))
    })
    .await
}

async fn webhook_get(State(s): Sim, Path(id): Path<String>, call: ApiCall) -> Response {
    let shared = s.clone();
    s.api(call, true, move |_, b| {
        b.finish()?;
        let webhook = shared.render_webhook();
        if webhook["id"] != json!(id) {
            return Err(FinixError::not_found("Webhook", &id));
        }
        Ok((StatusCode::OK, webhook))
    })
    .await
}

async fn webhook_update(State(s): Sim, Path(id): Path<String>, call: ApiCall) -> Response {
    let shared = s.clone();
    s.api(call, true, move |_, b| {
        if shared.render_webhook()["id"] != json!(id) {
            return Err(FinixError::not_found("Webhook", &id));
        }
        shared.configure_webhook(b, false)
    })
    .await
}

async fn not_found(call: ApiCall) -> Response {
    let e = FinixError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("No resource at {} {}", call.method, call.path),
    );
    (e.status, Json(e.json("", &call.path))).into_response()
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/identities", post(identity_create))
        .route("/identities/{id}", get(identity_get))
        .route(
            "/identities/{id}/payment_instruments",
            get(identity_instruments),
        )
        .route(
            "/payment_instruments",
            post(instrument_create).get(instrument_list),
        )
        .route(
            "/payment_instruments/{id}",
            get(instrument_get).put(instrument_update),
        )
        .route("/applications/{id}/tokens", post(token_create))
        .route("/authorizations", post(authorization_create))
        .route(
            "/authorizations/{id}",
            get(authorization_get).put(authorization_update),
        )
        .route("/transfers", post(transfer_create))
        .route("/transfers/{id}", get(transfer_get))
        .route(
            "/transfers/{id}/reversals",
            post(reversal_create).get(reversal_list),
        )
        .route("/disputes/{id}", get(dispute_get))
        .route("/webhooks", post(webhook_create).get(webhook_list))
        .route("/webhooks/{id}", get(webhook_get).put(webhook_update))
        .merge(browser::routes())
        .merge(crate::hooks::routes())
        .merge(finix_hooks())
        .fallback(not_found)
        .with_state(shared)
}

// ---- test hooks over HTTP (see crate::hooks), and Finix's own

impl crate::hooks::Simulated for Shared {
    fn webhooks(&self) -> WebhookControl {
        WebhookControl {
            outbox: self.outbox.clone(),
        }
    }

    fn serving(&self) -> &Serving {
        &self.serving
    }

    fn object(&self, id: &str) -> Option<Value> {
        self.inner().account.render_by_id(id)
    }
}

/// `POST /_sim/transfers/{id}/dispute`, `POST /_sim/authorizations/{id}/expire`,
/// `POST /_sim/settle {"auto": bool}` (settles what is pending now; `auto`
/// switches automatic settling).
fn finix_hooks() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim/transfers/{id}/dispute", post(dispute_transfer))
        .route(
            "/_sim/authorizations/{id}/expire",
            post(expire_authorization),
        )
        .route("/_sim/settle", post(settle_now))
}

async fn dispute_transfer(State(s): Sim, Path(id): Path<String>) -> Response {
    crate::hooks::answer(s.commit(|st| hooks::dispute(st, &id)))
}

async fn expire_authorization(State(s): Sim, Path(id): Path<String>) -> Response {
    crate::hooks::answer(s.commit(|st| hooks::expire(st, &id)))
}

async fn settle_now(State(s): Sim, body: Option<Json<Value>>) -> Response {
    if let Some(auto) = body.and_then(|Json(b)| b.get("auto").and_then(Value::as_bool)) {
        s.inner().auto_settle = auto;
    }
    Json(json!({ "settled": s.settle() })).into_response()
}
