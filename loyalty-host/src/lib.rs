//! A loyalty host that behaves like a Conexxus-style provider (PDI) over JSON
//! REST, for development and tests where the real one cannot be reached.
//!
//! - `POST /oauth2/token`: OAuth2 client credentials (RFC 6749 form body).
//! - `POST /loyalty/v1/members/identify`: a member by phone, for a POS sequence id.
//! - `POST /loyalty/v1/members/inquiry`: a member's balance by phone, outside any transaction.
//! - `POST /loyalty/v1/rewards/calculate`: the rewards a basket earns.
//! - `POST /loyalty/v1/transactions/finalize`: records points and redeemed
//!   rewards; idempotent per POS sequence id.
//! - `POST /loyalty/v1/transactions/{pos_sequence_id}/cancel`: reverses it.
//! - `GET/POST /admin/faults`: latency, 5xx rate, hanging calls, forced 401.
//!
//! Tests start one on port 0 with [`spawn`] and steer it through [`HostHandle`].

pub mod config;
pub mod rules;

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Form, Json, Router,
    extract::{Path, Request, State},
    http::{HeaderMap, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use config::HostConfig;
use config::normalize_phone;
use rules::{BasketLine, Reward};

/// Misbehaviour switched on at runtime, to test clients against.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added to every call.
    pub latency_ms: u64,
    /// Share of calls (0.0..=1.0) answered 503.
    pub error_rate: f64,
    /// Calls never answer.
    pub hang: bool,
    /// API calls answer 401 as if the token had expired.
    pub force_unauthorized: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransactionStatus {
    Open,
    Finalized,
    Cancelled,
}

/// What the host knows about one POS sequence id.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub pos_sequence_id: String,
    pub member_id: String,
    pub status: TransactionStatus,
    pub confirmation_id: Option<String>,
    pub points_earned: i64,
    pub points_redeemed: i64,
    pub rewards_redeemed: Vec<String>,
    /// How many finalize calls arrived (idempotency shows as one record).
    pub finalize_calls: usize,
}

struct Member {
    member_id: String,
    name: String,
    points: i64,
}

struct Ledger {
    /// By normalized phone.
    members: HashMap<String, Member>,
    transactions: HashMap<String, Transaction>,
    /// Access token → expiry.
    tokens: HashMap<String, Instant>,
    token_lifetime: Duration,
    faults: Faults,
}

struct Shared {
    config: HostConfig,
    ledger: Mutex<Ledger>,
    tokens_issued: AtomicUsize,
    api_calls: AtomicUsize,
}

impl Shared {
    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Steers a running host: faults, token lifetime, and what it recorded.
#[derive(Clone)]
pub struct HostHandle {
    shared: Arc<Shared>,
    server: Arc<tokio::task::JoinHandle<()>>,
}

impl HostHandle {
    pub fn set_faults(&self, faults: Faults) {
        self.shared.ledger().faults = faults;
    }

    pub fn clear_faults(&self) {
        self.set_faults(Faults::default());
    }

    /// Lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared.ledger().token_lifetime = lifetime;
    }

    /// Forgets every issued token, as if they had all expired.
    pub fn revoke_tokens(&self) {
        self.shared.ledger().tokens.clear();
    }

    pub fn tokens_issued(&self) -> usize {
        self.shared.tokens_issued.load(Ordering::SeqCst)
    }

    /// Calls that reached an API handler (not the token endpoint).
    pub fn api_calls(&self) -> usize {
        self.shared.api_calls.load(Ordering::SeqCst)
    }

    pub fn transaction(&self, pos_sequence_id: &str) -> Option<Transaction> {
        self.shared
            .ledger()
            .transactions
            .get(pos_sequence_id)
            .cloned()
    }

    pub fn points_balance(&self, phone: &str) -> Option<i64> {
        self.shared
            .ledger()
            .members
            .get(&normalize_phone(phone))
            .map(|m| m.points)
    }

    /// Stops serving; the address answers nothing afterwards.
    pub fn stop(&self) {
        self.server.abort();
    }
}

/// Starts a host on a free local port.
pub async fn spawn(config: HostConfig) -> std::io::Result<(SocketAddr, HostHandle)> {
    spawn_on("127.0.0.1:0".parse().expect("a valid address"), config).await
}

pub async fn spawn_on(
    addr: SocketAddr,
    config: HostConfig,
) -> std::io::Result<(SocketAddr, HostHandle)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        ledger: Mutex::new(Ledger {
            members: config
                .members
                .iter()
                .map(|m| {
                    (
                        normalize_phone(&m.phone),
                        Member {
                            member_id: m.member_id.clone(),
                            name: m.name.clone(),
                            points: m.points,
                        },
                    )
                })
                .collect(),
            transactions: HashMap::new(),
            tokens: HashMap::new(),
            token_lifetime: Duration::from_secs(config.token_lifetime_secs),
            faults: Faults::default(),
        }),
        config,
        tokens_issued: AtomicUsize::new(0),
        api_calls: AtomicUsize::new(0),
    });
    let app = router(shared.clone());
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "loyalty host stopped");
        }
    });
    Ok((
        addr,
        HostHandle {
            shared,
            server: Arc::new(server),
        },
    ))
}

fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/loyalty/v1/members/identify", post(identify))
        .route("/loyalty/v1/members/inquiry", post(inquiry))
        .route("/loyalty/v1/rewards/calculate", post(calculate))
        .route("/loyalty/v1/transactions/finalize", post(finalize))
        .route(
            "/loyalty/v1/transactions/{pos_sequence_id}/cancel",
            post(cancel),
        )
        .route_layer(middleware::from_fn_with_state(shared.clone(), authorize));
    Router::new()
        .route("/oauth2/token", post(token))
        .merge(api)
        .layer(middleware::from_fn_with_state(shared.clone(), misbehave))
        .route("/admin/faults", get(faults).post(set_faults))
        .with_state(shared)
}

/// Host-side failures in the Conexxus style: `{code, message}`.
struct HostError(StatusCode, &'static str, String);

impl IntoResponse for HostError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "code": self.1, "message": self.2 }))).into_response()
    }
}

async fn misbehave(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let faults = shared.ledger().faults.clone();
    if faults.hang {
        std::future::pending::<()>().await;
    }
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    if faults.error_rate > 0.0 && rand::random::<f64>() < faults.error_rate {
        return HostError(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "the loyalty host is unavailable".into(),
        )
        .into_response();
    }
    next.run(request).await
}

async fn authorize(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let valid = {
        let ledger = shared.ledger();
        !ledger.faults.force_unauthorized
            && ledger
                .tokens
                .get(token)
                .is_some_and(|expires| *expires > Instant::now())
    };
    if !valid {
        return (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                r#"Bearer error="invalid_token", error_description="the access token expired""#,
            )],
            Json(json!({ "error": "invalid_token", "error_description": "the access token expired" })),
        )
            .into_response();
    }
    shared.api_calls.fetch_add(1, Ordering::SeqCst);
    next.run(request).await
}

#[derive(Deserialize)]
struct TokenRequest {
    grant_type: String,
    client_id: Option<String>,
    client_secret: Option<String>,
}

async fn token(State(shared): State<Arc<Shared>>, Form(request): Form<TokenRequest>) -> Response {
    let oauth_error =
        |status, error: &str| (status, Json(json!({ "error": error }))).into_response();
    if request.grant_type != "client_credentials" {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let known = shared.config.clients.iter().any(|c| {
        Some(&c.client_id) == request.client_id.as_ref()
            && Some(&c.client_secret) == request.client_secret.as_ref()
    });
    if !known {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let access_token = format!("at_{:032x}", rand::random::<u128>());
    let lifetime = {
        let mut ledger = shared.ledger();
        let lifetime = ledger.token_lifetime;
        ledger
            .tokens
            .insert(access_token.clone(), Instant::now() + lifetime);
        lifetime
    };
    shared.tokens_issued.fetch_add(1, Ordering::SeqCst);
    Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs_f64().ceil() as u64,
    }))
    .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdentifyRequest {
    phone: String,
    pos_sequence_id: String,
}

fn find_member<'a>(ledger: &'a Ledger, phone: &str) -> Result<&'a Member, HostError> {
    ledger.members.get(&normalize_phone(phone)).ok_or_else(|| {
        HostError(
            StatusCode::NOT_FOUND,
            "MEMBER_NOT_FOUND",
            "no member has this phone number".into(),
        )
    })
}

fn member_json(member: &Member) -> serde_json::Value {
    json!({
        "status": "VALID",
        "memberId": mask(&member.member_id),
        "name": member.name,
        "pointsBalance": member.points,
    })
}

#[derive(Deserialize)]
struct InquiryRequest {
    phone: String,
}

async fn inquiry(
    State(shared): State<Arc<Shared>>,
    Json(request): Json<InquiryRequest>,
) -> Result<Response, HostError> {
    let ledger = shared.ledger();
    Ok(Json(member_json(find_member(&ledger, &request.phone)?)).into_response())
}

async fn identify(
    State(shared): State<Arc<Shared>>,
    Json(request): Json<IdentifyRequest>,
) -> Result<Response, HostError> {
    let mut ledger = shared.ledger();
    let member = find_member(&ledger, &request.phone)?;
    let body = member_json(member);
    let member_id = member.member_id.clone();
    let transaction = ledger
        .transactions
        .entry(request.pos_sequence_id.clone())
        .or_insert_with(|| Transaction {
            pos_sequence_id: request.pos_sequence_id.clone(),
            member_id: member_id.clone(),
            status: TransactionStatus::Open,
            confirmation_id: None,
            points_earned: 0,
            points_redeemed: 0,
            rewards_redeemed: Vec::new(),
            finalize_calls: 0,
        });
    if transaction.status != TransactionStatus::Open {
        return Err(closed(&request.pos_sequence_id));
    }
    transaction.member_id = member_id;
    Ok(Json(body).into_response())
}

/// All but the last four characters hidden.
fn mask(member_id: &str) -> String {
    let visible = member_id.len().saturating_sub(4);
    member_id
        .chars()
        .enumerate()
        .map(|(i, c)| if i < visible { '*' } else { c })
        .collect()
}

fn closed(pos_sequence_id: &str) -> HostError {
    HostError(
        StatusCode::CONFLICT,
        "TRANSACTION_CLOSED",
        format!("transaction {pos_sequence_id} is no longer open"),
    )
}

fn unknown(pos_sequence_id: &str) -> HostError {
    HostError(
        StatusCode::NOT_FOUND,
        "TRANSACTION_NOT_FOUND",
        format!("no member was identified for transaction {pos_sequence_id}"),
    )
}

fn member_of<'a>(ledger: &'a mut Ledger, member_id: &str) -> Option<&'a mut Member> {
    ledger
        .members
        .values_mut()
        .find(|m| m.member_id == member_id)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CalculateRequest {
    pos_sequence_id: String,
    lines: Vec<BasketLine>,
}

async fn calculate(
    State(shared): State<Arc<Shared>>,
    Json(request): Json<CalculateRequest>,
) -> Result<Response, HostError> {
    let mut ledger = shared.ledger();
    let transaction = ledger
        .transactions
        .get(&request.pos_sequence_id)
        .ok_or_else(|| unknown(&request.pos_sequence_id))?;
    if transaction.status != TransactionStatus::Open {
        return Err(closed(&request.pos_sequence_id));
    }
    let member_id = transaction.member_id.clone();
    let balance = member_of(&mut ledger, &member_id).map_or(0, |m| m.points);
    let rewards = rules::rewards(&shared.config, &request.lines, balance);
    let subtotal: i64 = request
        .lines
        .iter()
        .map(|l| l.quantity * l.unit_price)
        .sum();
    let instant: Vec<&Reward> = rewards.iter().filter(|r| r.instant).collect();
    let instant_off: i64 = instant.iter().map(|r| r.discount_amount).sum();
    Ok(Json(json!({
        "posSequenceId": request.pos_sequence_id,
        "rewards": rewards,
        "pointsBalance": balance,
        "pointsEarnable": rules::points_earned(&shared.config, subtotal - instant_off, &instant),
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FinalizeRequest {
    pos_sequence_id: String,
    lines: Vec<BasketLine>,
    #[serde(default)]
    applied_reward_ids: Vec<String>,
}

async fn finalize(
    State(shared): State<Arc<Shared>>,
    Json(request): Json<FinalizeRequest>,
) -> Result<Response, HostError> {
    let mut ledger = shared.ledger();
    let transaction = ledger
        .transactions
        .get_mut(&request.pos_sequence_id)
        .ok_or_else(|| unknown(&request.pos_sequence_id))?;
    transaction.finalize_calls += 1;
    match transaction.status {
        TransactionStatus::Finalized => {
            let answer = finalized(transaction, None);
            return Ok(Json(answer).into_response());
        }
        TransactionStatus::Cancelled => return Err(closed(&request.pos_sequence_id)),
        TransactionStatus::Open => {}
    }
    let member_id = transaction.member_id.clone();
    let balance = member_of(&mut ledger, &member_id).map_or(0, |m| m.points);
    let offered = rules::rewards(&shared.config, &request.lines, balance);
    let mut applied = Vec::new();
    for id in &request.applied_reward_ids {
        match offered.iter().find(|r| &r.reward_id == id) {
            Some(reward) => applied.push(reward),
            None => {
                return Err(HostError(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "REWARD_NOT_AVAILABLE",
                    format!("reward {id} is not available for this basket"),
                ));
            }
        }
    }
    let subtotal: i64 = request
        .lines
        .iter()
        .map(|l| l.quantity * l.unit_price)
        .sum();
    let discounts: i64 = applied.iter().map(|r| r.discount_amount).sum();
    let earned = rules::points_earned(&shared.config, subtotal - discounts, &applied);
    let redeemed: i64 = applied.iter().map(|r| r.points_cost).sum();
    let redeemed_ids = applied.iter().map(|r| r.reward_id.clone()).collect();
    let new_balance = match member_of(&mut ledger, &member_id) {
        Some(member) => {
            member.points += earned - redeemed;
            member.points
        }
        None => 0,
    };
    let transaction = ledger
        .transactions
        .get_mut(&request.pos_sequence_id)
        .ok_or_else(|| unknown(&request.pos_sequence_id))?;
    transaction.status = TransactionStatus::Finalized;
    transaction.confirmation_id = Some(format!("CNF-{:016X}", rand::random::<u64>()));
    transaction.points_earned = earned;
    transaction.points_redeemed = redeemed;
    transaction.rewards_redeemed = redeemed_ids;
    Ok(Json(finalized(transaction, Some(new_balance))).into_response())
}

fn finalized(transaction: &Transaction, balance: Option<i64>) -> serde_json::Value {
    json!({
        "posSequenceId": transaction.pos_sequence_id,
        "confirmationId": transaction.confirmation_id,
        "pointsEarned": transaction.points_earned,
        "pointsRedeemed": transaction.points_redeemed,
        "rewardsRedeemed": transaction.rewards_redeemed,
        "pointsBalance": balance,
    })
}

async fn cancel(
    State(shared): State<Arc<Shared>>,
    Path(pos_sequence_id): Path<String>,
) -> Result<Response, HostError> {
    let mut ledger = shared.ledger();
    let transaction = ledger
        .transactions
        .get_mut(&pos_sequence_id)
        .ok_or_else(|| unknown(&pos_sequence_id))?;
    let previous = transaction.status;
    transaction.status = TransactionStatus::Cancelled;
    let (member_id, net) = (
        transaction.member_id.clone(),
        transaction.points_earned - transaction.points_redeemed,
    );
    if previous == TransactionStatus::Finalized
        && let Some(member) = member_of(&mut ledger, &member_id)
    {
        member.points -= net;
    }
    Ok(Json(json!({ "posSequenceId": pos_sequence_id, "status": "CANCELLED" })).into_response())
}

async fn faults(State(shared): State<Arc<Shared>>) -> Json<Faults> {
    Json(shared.ledger().faults.clone())
}

async fn set_faults(State(shared): State<Arc<Shared>>, Json(faults): Json<Faults>) -> Json<Faults> {
    shared.ledger().faults = faults.clone();
    Json(faults)
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn member_ids_show_only_their_last_four() {
        assert_eq!(mask("7000100012345678"), "************5678");
        assert_eq!(mask("12"), "12");
    }
}
