//! A local Stripe: the API subset a shop needs for cards (PaymentIntents with
//! automatic or manual capture, Customers, SetupIntents, PaymentMethods,
//! Refunds, Charges, Events), in Stripe's wire format, with its test cards,
//! idempotency keys, error objects and signed webhooks; and a `stripe.js`
//! stand-in for the browser.
//!
//! Tests start it on port 0 with [`spawn`] and point a Stripe client at
//! [`StripeSimulator::api_base`]; the handle steers it (webhooks, disputes,
//! expired authorizations, faults) and shows what it received.

mod browser;
mod cards;
mod customers;
mod error;
mod params;
mod payment_intents;
mod refunds;
mod setup_intents;
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
    extract::{FromRequest, Path, Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

pub use cards::{Behavior as CardBehavior, CARDS as TEST_CARDS, TestCard};
pub(crate) use cards::{brand_of, luhn_valid};
use error::ApiError;
use params::{Params, parse_form};
use state::{Caller, Ctx};
pub(crate) use state::{current_year, object};

use crate::{
    Faults, RecordedRequest, hooks, ids,
    serving::{Fault, Serving},
    webhook::{Outbox, Signer, WebhookControl},
};

/// The Stripe API version the simulator renders when a request names none:
/// the one the async-stripe release the project uses is generated for.
pub const DEFAULT_API_VERSION: &str = "2026-09-30.endive";

#[derive(Debug, Clone)]
pub struct StripeConfig {
    pub secret_key: String,
    pub publishable_key: String,
    /// Signs webhook deliveries (`whsec_…`).
    pub webhook_secret: String,
    /// Also signs deliveries, as Stripe does while an endpoint's secret is
    /// being rolled: the `Stripe-Signature` header then carries several `v1`.
    pub previous_webhook_secrets: Vec<String>,
    /// Where events are posted; `None` keeps them queued.
    pub webhook_url: Option<String>,
    pub api_version: String,
}

impl Default for StripeConfig {
    fn default() -> Self {
        Self {
            secret_key: "sk_test_automat_simulator".into(),
            publishable_key: "pk_test_automat_simulator".into(),
            webhook_secret: "whsec_automat_simulator".into(),
            previous_webhook_secrets: Vec::new(),
            webhook_url: None,
            api_version: DEFAULT_API_VERSION.into(),
        }
    }
}

/// What an idempotency key holds.
enum Kept {
    InFlight,
    Done {
        fingerprint: Value,
        status: StatusCode,
        body: Value,
        request_id: String,
    },
}

struct Inner {
    account: state::State,
    idempotency: HashMap<String, Kept>,
}

struct Shared {
    config: StripeConfig,
    base_url: String,
    inner: Mutex<Inner>,
    serving: Serving,
    outbox: Arc<Outbox>,
}

impl Shared {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn ctx(&self, caller: Caller) -> Ctx {
        Ctx {
            caller,
            request_id: None,
            idempotency_key: None,
            base_url: self.base_url.clone(),
            api_version: self.config.api_version.clone(),
        }
    }

    /// Runs a change outside the API (a test hook, the 3-D Secure page) and
    /// delivers the events it raised.
    fn commit<T>(&self, op: impl FnOnce(&mut state::State, &Ctx) -> T) -> T {
        let ctx = self.ctx(Caller::Secret);
        let (out, raised) = {
            let mut inner = self.inner();
            let out = op(&mut inner.account, &ctx);
            (out, std::mem::take(&mut inner.account.raised))
        };
        self.deliver(raised);
        out
    }

    fn deliver(&self, raised: Vec<state::Event>) {
        for event in raised {
            self.outbox
                .enqueue(&event.id, &event.kind, event.json.to_string());
        }
    }
}

/// `Stripe-Signature: t=…,v1=…[,v1=…]`: HMAC-SHA256 of `{t}.{body}` with each
/// signing secret, hex encoded.
struct StripeSigner {
    secrets: Vec<String>,
}

pub fn stripe_signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl Signer for StripeSigner {
    fn headers(&self, body: &str, timestamp: i64) -> Vec<(String, String)> {
        let mut value = format!("t={timestamp}");
        for secret in &self.secrets {
            value.push_str(&format!(
                ",v1={}",
                stripe_signature(secret, timestamp, body)
            ));
        }
        vec![
            ("Stripe-Signature".into(), value),
            (
                "User-Agent".into(),
                "Stripe/1.0 (+https://stripe.com/docs/webhooks)".into(),
            ),
        ]
    }
}

/// A running Stripe simulator.
#[derive(Clone)]
pub struct StripeSimulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    tasks: Arc<[tokio::task::AbortHandle; 2]>,
    webhooks: WebhookControl,
}

/// Starts a simulator on a free local port.
pub async fn spawn(config: StripeConfig) -> std::io::Result<StripeSimulator> {
    spawn_on("127.0.0.1:0".parse().expect("a valid address"), config).await
}

pub async fn spawn_on(addr: SocketAddr, config: StripeConfig) -> std::io::Result<StripeSimulator> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let mut secrets = vec![config.webhook_secret.clone()];
    secrets.extend(config.previous_webhook_secrets.iter().cloned());
    let (outbox, worker) = Outbox::start(StripeSigner { secrets }, config.webhook_url.clone());
    let shared = Arc::new(Shared {
        base_url: format!("http://{addr}/"),
        inner: Mutex::new(Inner {
            account: state::State::new(config.api_version.clone()),
            idempotency: HashMap::new(),
        }),
        serving: Serving::default(),
        outbox: outbox.clone(),
        config,
    });
    let app = router(shared.clone());
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "stripe simulator stopped");
        }
    });
    Ok(StripeSimulator {
        shared,
        addr,
        tasks: Arc::new([server.abort_handle(), worker.abort_handle()]),
        webhooks: WebhookControl { outbox },
    })
}

impl StripeSimulator {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/`: the API base for a client (requests go to
    /// `{api_base}v1/…`), and where `v3/stripe.js` is served.
    pub fn api_base(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The `<script src>` of the Stripe.js stand-in.
    pub fn stripe_js_url(&self) -> String {
        format!("{}v3/stripe.js", self.shared.base_url)
    }

    pub fn config(&self) -> &StripeConfig {
        &self.shared.config
    }

    pub fn webhooks(&self) -> &WebhookControl {
        &self.webhooks
    }

    /// Any object by id (`pi_…`, `ch_…`, `re_…`, `evt_…`), as the API renders it.
    pub fn object(&self, id: &str) -> Option<Value> {
        self.shared.inner().account.render_by_id(id)
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> Vec<Value> {
        let inner = self.shared.inner();
        inner
            .account
            .events
            .iter()
            .map(|e| e.json.clone())
            .collect()
    }

    /// The events of one type, oldest first.
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

    /// Every API request received, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.serving.requests()
    }

    /// How many charges were made (successful or not): a payment made twice shows here.
    pub fn charge_count(&self) -> usize {
        self.shared.inner().account.charges.len()
    }

    pub fn set_faults(&self, faults: Faults) {
        self.shared.serving.set_faults(faults);
    }

    /// The cardholder disputes a captured charge: `charge.dispute.created`.
    pub fn dispute(&self, charge_id: &str) -> Result<Value, String> {
        self.shared
            .commit(|st, _| refunds::dispute(st, charge_id, "fraudulent"))
            .map_err(message)
    }

    /// The authorization of an intent awaiting capture lapses: capturing it
    /// fails `charge_expired_for_capture`.
    pub fn expire_authorization(&self, payment_intent: &str) -> Result<Value, String> {
        self.shared
            .commit(|st, _| payment_intents::expire_authorization(st, payment_intent))
            .map_err(message)
    }

    /// Completes (or fails) the 3-D Secure challenge of an intent in
    /// `requires_action`, as the shopper would in the challenge frame.
    pub fn authenticate(&self, intent: &str, success: bool) -> Result<Value, String> {
        self.shared
            .commit(|st, ctx| browser::finish_authentication(st, ctx, intent, success))
            .map_err(message)
    }

    /// Stops serving and delivering.
    pub fn stop(&self) {
        for task in self.tasks.iter() {
            task.abort();
        }
    }
}

/// Which keys may call an endpoint.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Secret,
    /// Also Stripe.js with the publishable key (and a client secret).
    Browser,
}

/// The parts of an API request the simulator reads.
struct ApiCall {
    method: Method,
    path: String,
    headers: HeaderMap,
    query: String,
    body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for ApiCall {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let query = req.uri().query().unwrap_or_default().to_owned();
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self {
            method,
            path,
            headers,
            query,
            body,
        })
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl Shared {
    fn authenticate(&self, headers: &HeaderMap, access: Access) -> Result<Caller, ApiError> {
        let key = match header_str(headers, "authorization") {
            Some(value) => {
                if let Some(bearer) = value.strip_prefix("Bearer ") {
                    bearer.trim().to_owned()
                } else if let Some(basic) = value.strip_prefix("Basic ") {
                    use base64::Engine;
                    let decoded = base64::engine::general_purpose::STANDARD
                        .decode(basic.trim())
                        .ok()
                        .and_then(|d| String::from_utf8(d).ok())
                        .unwrap_or_default();
                    decoded.split(':').next().unwrap_or_default().to_owned()
                } else {
                    return Err(ApiError::unauthorized(
                        "Invalid API Key provided: the Authorization header must be 'Bearer <key>'.",
                    ));
                }
            }
            None => {
                return Err(ApiError::unauthorized(
                    "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
                ));
            }
        };
        if key == self.config.secret_key {
            return Ok(Caller::Secret);
        }
        if key == self.config.publishable_key {
            return match access {
                Access::Browser => Ok(Caller::Publishable),
                Access::Secret => Err(ApiError::unauthorized(
                    "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.",
                )),
            };
        }
        let tail = key.get(key.len().saturating_sub(4)..).unwrap_or_default();
        let head = key.split('_').take(2).collect::<Vec<_>>().join("_");
        Err(ApiError::unauthorized(format!(
            "Invalid API Key provided: {head}_****{tail}"
        )))
    }

    /// Serves one API request: authentication, version, parameters,
    /// idempotency, the operation under the account's lock, the events it
    /// raised, faults, and Stripe's response headers.
    async fn api(
        &self,
        call: ApiCall,
        access: Access,
        op: impl FnOnce(&mut state::State, &Ctx, Params) -> Result<Value, ApiError>,
    ) -> Response {
        let request_id = format!("req_{}", ids::alphanumeric(14));
        let version = header_str(&call.headers, "stripe-version").map(str::to_owned);
        let key = header_str(&call.headers, "idempotency-key")
            .filter(|_| call.method == Method::POST)
            .map(str::to_owned);
        let fault = self.serving.take_fault();
        let answer = match fault {
            Some(Fault::Fail) => Answer::error(
                None,
                ApiError::server(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "An unknown error occurred (simulated).",
                ),
            )
            .header("stripe-should-retry", "true".into()),
            _ => self.serve(
                &call,
                access,
                &request_id,
                version.as_deref(),
                key.as_deref(),
                op,
            ),
        };
        if let Some(Fault::AnswerLate(ms)) = fault {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        self.record(&call, &answer, version.clone(), key.clone());
        let mut response = (answer.status, Json(answer.body)).into_response();
        let version = version.unwrap_or_else(|| self.config.api_version.clone());
        let fixed = [
            ("request-id", Some(request_id)),
            ("idempotency-key", key),
            ("stripe-version", Some(version)),
        ];
        let h = response.headers_mut();
        for (name, value) in answer
            .headers
            .into_iter()
            .chain(fixed.into_iter().filter_map(|(n, v)| Some((n, v?))))
        {
            if let Ok(value) = HeaderValue::from_str(&value) {
                h.insert(HeaderName::from_static(name), value);
            }
        }
        response
    }

    fn serve(
        &self,
        call: &ApiCall,
        access: Access,
        request_id: &str,
        version: Option<&str>,
        key: Option<&str>,
        op: impl FnOnce(&mut state::State, &Ctx, Params) -> Result<Value, ApiError>,
    ) -> Answer {
        let (caller, mut params, fingerprint) = match self.prepare(call, access, version, key) {
            Ok(prepared) => prepared,
            Err(error) => return Answer::error(None, error),
        };
        if let Some(key) = key
            && let Some(answer) = self.reserve(caller, key, &fingerprint)
        {
            return answer;
        }
        let ctx = Ctx {
            caller,
            request_id: Some(request_id.to_owned()),
            idempotency_key: key.map(str::to_owned),
            base_url: self.base_url.clone(),
            api_version: version.map_or_else(|| self.config.api_version.clone(), str::to_owned),
        };
        let (answer, raised) = {
            let mut inner = self.inner();
            let result = params.list("expand").and_then(|expand| {
                let mut out = op(&mut inner.account, &ctx, params)?;
                for path in expand.unwrap_or_default() {
                    inner.account.expand(&mut out, &path)?;
                }
                Ok(out)
            });
            let (answer, kept) = match result {
                Ok(body) => (Answer::ok(caller, body), true),
                Err(error) => {
                    let kept = error.kept;
                    (Answer::error(Some(caller), error), kept)
                }
            };
            if let Some(key) = key {
                if kept {
                    inner.idempotency.insert(
                        key.to_owned(),
                        Kept::Done {
                            fingerprint,
                            status: answer.status,
                            body: answer.body.clone(),
                            request_id: request_id.to_owned(),
                        },
                    );
                } else {
                    inner.idempotency.remove(key);
                }
            }
            (answer, std::mem::take(&mut inner.account.raised))
        };
        self.deliver(raised);
        answer
    }

    /// Takes the idempotency key for this request, or answers from it: the
    /// first answer again, a refusal of other parameters, or "in use".
    fn reserve(&self, caller: Caller, key: &str, fingerprint: &Value) -> Option<Answer> {
        let mut inner = self.inner();
        match inner.idempotency.get(key) {
            None => {
                inner.idempotency.insert(key.to_owned(), Kept::InFlight);
                None
            }
            Some(Kept::Done {
                fingerprint: first,
                status,
                body,
                request_id,
            }) if first == fingerprint => Some(Answer {
                caller: Some(caller),
                status: *status,
                body: body.clone(),
                replayed: true,
                headers: vec![
                    ("idempotent-replayed", "true".into()),
                    ("original-request", request_id.clone()),
                ],
            }),
            Some(Kept::Done { .. }) => Some(Answer::error(
                Some(caller),
                ApiError::idempotency(format!(
                    "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
                )),
            )),
            Some(Kept::InFlight) => Some(
                Answer::error(Some(caller), ApiError::key_in_use(key))
                    .header("stripe-should-retry", "true".into()),
            ),
        }
    }

    /// Checks key, version and body; the parameters and what identifies
    /// the request for its idempotency key.
    fn prepare(
        &self,
        call: &ApiCall,
        access: Access,
        version: Option<&str>,
        idempotency_key: Option<&str>,
    ) -> Result<(Caller, Params, Value), ApiError> {
        let caller = self.authenticate(&call.headers, access)?;
        if let Some(v) = version
            && !valid_version(v)
        {
            return Err(ApiError::invalid_request(format!(
                "Invalid Stripe API version: {v}"
            )));
        }
        if idempotency_key.is_some_and(|k| k.len() > 255) {
            return Err(ApiError::invalid_request(
                "Invalid Idempotency-Key: it must be at most 255 characters long.",
            ));
        }
        let form = header_str(&call.headers, "content-type")
            .is_none_or(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if !call.body.is_empty() && !form {
            return Err(ApiError::invalid_request(
                "Invalid request: Stripe's API takes application/x-www-form-urlencoded bodies.",
            ));
        }
        let body = std::str::from_utf8(&call.body)
            .map_err(|_| ApiError::invalid_request("Invalid request: the body is not UTF-8."))?;
        let mut map = parse_form(&call.query)?;
        map.extend(parse_form(body)?);
        let fingerprint = json!({
            "method": call.method.as_str(),
            "path": call.path,
            "params": map,
        });
        Ok((caller, Params::new(map), fingerprint))
    }

    fn record(
        &self,
        call: &ApiCall,
        answer: &Answer,
        version: Option<String>,
        key: Option<String>,
    ) {
        let params = std::str::from_utf8(&call.body)
            .ok()
            .and_then(|b| parse_form(b).ok())
            .map(Value::Object)
            .unwrap_or(Value::Null);
        self.serving.record(RecordedRequest {
            method: call.method.to_string(),
            path: call.path.clone(),
            idempotency_key: key,
            version,
            browser: answer.caller == Some(Caller::Publishable),
            params,
            status: answer.status.as_u16(),
            replayed: answer.replayed,
        });
    }
}

/// What a request is answered, before Stripe's common headers.
struct Answer {
    caller: Option<Caller>,
    status: StatusCode,
    body: Value,
    replayed: bool,
    headers: Vec<(&'static str, String)>,
}

impl Answer {
    fn ok(caller: Caller, body: Value) -> Self {
        Self {
            caller: Some(caller),
            status: StatusCode::OK,
            body,
            replayed: false,
            headers: Vec::new(),
        }
    }

    fn error(caller: Option<Caller>, error: ApiError) -> Self {
        Self {
            caller,
            status: error.status,
            body: error.json(),
            replayed: false,
            headers: Vec::new(),
        }
    }

    fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// `2024-06-20` or `2026-06-24.dahlia`.
fn valid_version(v: &str) -> bool {
    let (date, name) = v.split_once('.').unwrap_or((v, "a"));
    let parts: Vec<_> = date.split('-').collect();
    parts.len() == 3
        && parts[0].len() == 4
        && parts[1].len() == 2
        && parts[2].len() == 2
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        && !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_lowercase())
}

/// Stripe.js calls the API from the shop's pages: CORS for any origin.
async fn cors(request: Request, next: Next) -> Response {
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, DELETE, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type, Stripe-Version, Idempotency-Key"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Request-Id, Stripe-Version, Idempotent-Replayed"),
    );
    response
}

type Sim = State<Arc<Shared>>;

macro_rules! endpoint {
    ($name:ident, $access:expr, |$st:ident, $ctx:ident, $p:ident| $body:expr) => {
        async fn $name(State(s): Sim, call: ApiCall) -> Response {
            s.api(call, $access, |$st, $ctx, $p| {
                let _ = &$ctx;
                $body
            })
            .await
        }
    };
    ($name:ident, $access:expr, |$st:ident, $ctx:ident, $id:ident, $p:ident| $body:expr) => {
        async fn $name(State(s): Sim, Path($id): Path<String>, call: ApiCall) -> Response {
            s.api(call, $access, |$st, $ctx, $p| {
                let _ = &$ctx;
                let $id = $id.as_str();
                $body
            })
            .await
        }
    };
}

use Access::{Browser, Secret};

endpoint!(pi_create, Secret, |st, ctx, p| payment_intents::create(
    st, ctx, p
));
endpoint!(pi_list, Secret, |st, ctx, p| payment_intents::list(st, p));
endpoint!(pi_retrieve, Browser, |st, ctx, id, p| {
    payment_intents::retrieve(st, ctx, id, p)
});
endpoint!(pi_update, Secret, |st, ctx, id, p| payment_intents::update(
    st, ctx, id, p
));
endpoint!(pi_confirm, Browser, |st, ctx, id, p| {
    payment_intents::confirm(st, ctx, id, p)
});
endpoint!(pi_capture, Secret, |st, ctx, id, p| {
    payment_intents::capture(st, ctx, id, p)
});
endpoint!(pi_cancel, Secret, |st, ctx, id, p| payment_intents::cancel(
    st, ctx, id, p
));
endpoint!(si_create, Secret, |st, ctx, p| setup_intents::create(
    st, ctx, p
));
endpoint!(si_retrieve, Browser, |st, ctx, id, p| {
    setup_intents::retrieve(st, ctx, id, p)
});
endpoint!(
    si_confirm,
    Browser,
    |st, ctx, id, p| setup_intents::confirm(st, ctx, id, p)
);
endpoint!(si_cancel, Secret, |st, ctx, id, p| setup_intents::cancel(
    st, ctx, id, p
));
endpoint!(customer_create, Secret, |st, ctx, p| {
    customers::create_customer(st, ctx, p)
});
endpoint!(customer_retrieve, Secret, |st, ctx, id, p| {
    customers::retrieve_customer(st, id, p)
});
endpoint!(customer_update, Secret, |st, ctx, id, p| {
    customers::update_customer(st, ctx, id, p)
});
endpoint!(customer_delete, Secret, |st, ctx, id, p| {
    customers::delete_customer(st, ctx, id, p)
});
endpoint!(customer_pms, Secret, |st, ctx, id, p| {
    customers::list_payment_methods(st, Some(id), p)
});
endpoint!(pm_create, Browser, |st, ctx, p| {
    customers::create_payment_method(st, ctx, p)
});
endpoint!(pm_list, Secret, |st, ctx, p| {
    customers::list_payment_methods(st, None, p)
});
endpoint!(pm_retrieve, Secret, |st, ctx, id, p| {
    customers::retrieve_payment_method(st, id, p)
});
endpoint!(pm_attach, Secret, |st, ctx, id, p| customers::attach(
    st, ctx, id, p
));
endpoint!(pm_detach, Secret, |st, ctx, id, p| customers::detach(
    st, ctx, id, p
));
endpoint!(refund_create, Secret, |st, ctx, p| refunds::create(
    st, ctx, p
));
endpoint!(refund_list, Secret, |st, ctx, p| refunds::list(st, p));
endpoint!(refund_retrieve, Secret, |st, ctx, id, p| refunds::retrieve(
    st, id, p
));
endpoint!(charge_list, Secret, |st, ctx, p| refunds::list_charges(
    st, p
));
endpoint!(charge_retrieve, Secret, |st, ctx, id, p| {
    refunds::retrieve_charge(st, id, p)
});
endpoint!(event_list, Secret, |st, ctx, p| refunds::list_events(st, p));
endpoint!(event_retrieve, Secret, |st, ctx, id, p| {
    refunds::retrieve_event(st, id, p)
});

async fn unknown_endpoint(call: ApiCall) -> Response {
    let mut error = ApiError::invalid_request(format!(
        "Unrecognized request URL ({} {}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
        call.method, call.path
    ));
    error.status = StatusCode::NOT_FOUND;
    error.into_response()
}

fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/v1/payment_intents", post(pi_create).get(pi_list))
        .route("/v1/payment_intents/{id}", get(pi_retrieve).post(pi_update))
        .route("/v1/payment_intents/{id}/confirm", post(pi_confirm))
        .route("/v1/payment_intents/{id}/capture", post(pi_capture))
        .route("/v1/payment_intents/{id}/cancel", post(pi_cancel))
        .route("/v1/setup_intents", post(si_create))
        .route("/v1/setup_intents/{id}", get(si_retrieve))
        .route("/v1/setup_intents/{id}/confirm", post(si_confirm))
        .route("/v1/setup_intents/{id}/cancel", post(si_cancel))
        .route("/v1/customers", post(customer_create))
        .route(
            "/v1/customers/{id}",
            get(customer_retrieve)
                .post(customer_update)
                .delete(customer_delete),
        )
        .route("/v1/customers/{id}/payment_methods", get(customer_pms))
        .route("/v1/payment_methods", post(pm_create).get(pm_list))
        .route("/v1/payment_methods/{id}", get(pm_retrieve))
        .route("/v1/payment_methods/{id}/attach", post(pm_attach))
        .route("/v1/payment_methods/{id}/detach", post(pm_detach))
        .route("/v1/refunds", post(refund_create).get(refund_list))
        .route("/v1/refunds/{id}", get(refund_retrieve))
        .route("/v1/charges", get(charge_list))
        .route("/v1/charges/{id}", get(charge_retrieve))
        .route("/v1/events", get(event_list))
        .route("/v1/events/{id}", get(event_retrieve))
        .route("/v1/{*rest}", axum::routing::any(unknown_endpoint))
        .layer(middleware::from_fn(cors));
    Router::new()
        .merge(api)
        .merge(browser::routes())
        .merge(hooks::routes())
        .merge(stripe_hooks())
        .with_state(shared)
}

// ---- test hooks over HTTP (see crate::hooks), and Stripe's own

impl hooks::Simulated for Shared {
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

/// `POST /_sim/charges/{id}/dispute` and
/// `POST /_sim/payment_intents/{id}/expire_authorization`.
fn stripe_hooks() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim/charges/{id}/dispute", post(dispute_charge))
        .route(
            "/_sim/payment_intents/{id}/expire_authorization",
            post(expire_authorization),
        )
}

async fn dispute_charge(State(s): Sim, Path(id): Path<String>) -> Response {
    hooks::answer(
        s.commit(|st, _| refunds::dispute(st, &id, "fraudulent"))
            .map_err(message),
    )
}

async fn expire_authorization(State(s): Sim, Path(id): Path<String>) -> Response {
    hooks::answer(
        s.commit(|st, _| payment_intents::expire_authorization(st, &id))
            .map_err(message),
    )
}

fn message(e: ApiError) -> String {
    e.body["message"].as_str().unwrap_or_default().to_owned()
}
