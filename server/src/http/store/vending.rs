//! `/store/vending/…`: a signed-in shopper opens a vending machine and
//! follows the session until it settles (not a Medusa route; Medusa has no
//! machines).

use std::{convert::Infallible, time::Duration};

use axum::{
    Json,
    extract::{Path, State},
    response::sse::{Event, KeepAlive, Sse},
};
use chrono::{DateTime, Utc};
use domain::{
    DomainError,
    rate_limits::Rule,
    vending::{
        deposit_payout, device_session, payouts, sessions, settlement,
        state::{Mode, State as SessionState},
    },
};
use futures::{Stream, stream};
use serde::{Deserialize, Serialize};

use super::publishable_key::PublishableKey;
use crate::{
    http::{
        auth::AuthenticatedCustomer,
        error::ApiError,
        params::{Params, optional_body},
    },
    rate_limit::Attempts,
    state::AppState,
};

#[derive(Serialize)]
pub struct SessionResponse {
    session: StoreSession,
}

#[derive(Serialize)]
pub struct StoreSession {
    id: String,
    device_id: String,
    mode: Mode,
    state: SessionState,
    /// Shown or checked at the machine.
    code: String,
    currency_code: String,
    hold_amount: i64,
    order_id: Option<String>,
    /// Deposits credited by a settled return, minor units.
    credit_amount: Option<i64>,
    failure_reason: Option<String>,
    created_at: DateTime<Utc>,
    door_opened_at: Option<DateTime<Utc>>,
    door_closed_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
}

impl From<device_session::Model> for SessionResponse {
    fn from(s: device_session::Model) -> Self {
        Self {
            session: StoreSession {
                id: s.id,
                device_id: s.device_id,
                mode: s.mode,
                state: s.state,
                code: s.code,
                currency_code: s.currency_code,
                hold_amount: s.hold_amount,
                order_id: s.order_id,
                credit_amount: s.credit_amount,
                failure_reason: s.failure_reason,
                created_at: s.created_at,
                door_opened_at: s.door_opened_at,
                door_closed_at: s.door_closed_at,
                ended_at: s.ended_at,
            },
        }
    }
}

/// What a shopper may say when opening a machine; the body may be left out.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    /// One of their saved cards (`GET /store/customers/me/payment-methods/{provider}`)
    /// to hold; their newest when left out.
    card_id: Option<String>,
}

/// `POST /store/vending/machines/{device_id}/sessions`: holds the payment and
/// opens the machine.
pub async fn open(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    attempts: Attempts,
    Path(device_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<SessionResponse>, ApiError> {
    let body: OpenBody = optional_body(&body)?;
    attempts.admit(Rule::MachineOpening, &me.id).await?;
    let session = state
        .vending
        .open_purchase_on_card(&device_id, Some(&me.id), body.card_id.as_deref())
        .await?;
    Ok(Json(session.into()))
}

/// `POST /store/vending/machines/{device_id}/returns`: opens the machine for
/// the shopper's empty containers; their deposits are credited on settling.
pub async fn open_return(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    attempts: Attempts,
    Path(device_id): Path<String>,
) -> Result<Json<SessionResponse>, ApiError> {
    attempts.admit(Rule::MachineOpening, &me.id).await?;
    let session = state.vending.open_return(&device_id, &me.id).await?;
    Ok(Json(session.into()))
}

#[derive(Serialize)]
pub struct DepositCreditList {
    deposit_credits: Vec<StoreDepositCredit>,
    count: u64,
    offset: u64,
    limit: u64,
}

#[derive(Serialize)]
pub struct StoreDepositCredit {
    id: String,
    session_id: String,
    variant_id: String,
    quantity: i32,
    unit_deposit: i64,
    amount: i64,
    currency_code: String,
    created_at: DateTime<Utc>,
}

/// `GET /store/vending/deposit-credits?offset=&limit=`: the shopper's
/// returned containers and what they were credited, newest first.
pub async fn list_deposit_credits(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    params: Params,
) -> Result<Json<DepositCreditList>, ApiError> {
    let (offset, limit) = params.page()?;
    let page = settlement::credits_of(&state.db, &me.id, offset, limit).await?;
    Ok(Json(DepositCreditList {
        count: page.count,
        offset: page.offset,
        limit: page.limit,
        deposit_credits: page
            .items
            .into_iter()
            .map(|c| StoreDepositCredit {
                id: c.id,
                session_id: c.session_id,
                variant_id: c.variant_id,
                quantity: c.quantity,
                unit_deposit: c.unit_deposit,
                amount: c.amount,
                currency_code: c.currency_code,
                created_at: c.created_at,
            })
            .collect(),
    }))
}

#[derive(Serialize)]
pub struct StoreDepositBalance {
    currency_code: String,
    credited: i64,
    paid_out: i64,
    available: i64,
}

impl From<payouts::Balance> for StoreDepositBalance {
    fn from(b: payouts::Balance) -> Self {
        Self {
            available: b.available(),
            currency_code: b.currency_code,
            credited: b.credited,
            paid_out: b.paid_out,
        }
    }
}

#[derive(Serialize)]
pub struct StoreDepositPayout {
    id: String,
    amount: i64,
    currency_code: String,
    payment_id: String,
    created_at: DateTime<Utc>,
}

impl From<deposit_payout::Model> for StoreDepositPayout {
    fn from(p: deposit_payout::Model) -> Self {
        Self {
            id: p.id,
            amount: p.amount,
            currency_code: p.currency_code,
            payment_id: p.payment_id,
            created_at: p.created_at,
        }
    }
}

#[derive(Serialize)]
pub struct DepositPayoutList {
    balance: StoreDepositBalance,
    deposit_payouts: Vec<StoreDepositPayout>,
    count: u64,
    offset: u64,
    limit: u64,
}

/// `GET /store/vending/deposit-payouts?currency_code=&offset=&limit=`: the
/// shopper's deposit balance (the store's currency unless asked) and a page
/// of what was paid out to their cards, newest first.
pub async fn list_deposit_payouts(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    params: Params,
) -> Result<Json<DepositPayoutList>, ApiError> {
    let currency = params
        .text("currency_code")?
        .unwrap_or_else(|| state.currency.clone());
    let (offset, limit) = params.page()?;
    let balance = payouts::balance(&state.db, &me.id, &currency).await?;
    let paid = payouts::payouts_of(&state.db, &me.id, offset, limit).await?;
    Ok(Json(DepositPayoutList {
        balance: balance.into(),
        count: paid.count,
        offset: paid.offset,
        limit: paid.limit,
        deposit_payouts: paid.items.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize, Default)]
pub struct PayoutBody {
    currency_code: Option<String>,
}

#[derive(Serialize)]
pub struct PayoutResponse {
    deposit_payout: StorePayout,
}

#[derive(Serialize)]
pub struct StorePayout {
    amount: i64,
    currency_code: String,
    /// Credit no earlier payment could take back; it stays credit.
    left: i64,
    refunds: Vec<StoreDepositPayout>,
}

/// `POST /store/vending/deposit-payouts`: pays the shopper's deposit credit
/// back to the cards of their machine payments.
pub async fn pay_out_deposits(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    body: Option<Json<PayoutBody>>,
) -> Result<Json<PayoutResponse>, ApiError> {
    let currency = body
        .and_then(|Json(b)| b.currency_code)
        .unwrap_or_else(|| state.currency.clone());
    let payout = payouts::pay_out(&state.db, &state.payment_providers, &me.id, &currency).await?;
    Ok(Json(PayoutResponse {
        deposit_payout: StorePayout {
            amount: payout.amount,
            currency_code: payout.currency_code,
            left: payout.left,
            refunds: payout.refunds.into_iter().map(Into::into).collect(),
        },
    }))
}

/// `GET /store/vending/sessions/{id}`: one of the shopper's own sessions.
pub async fn retrieve(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    Path(id): Path<String>,
) -> Result<Json<SessionResponse>, ApiError> {
    Ok(Json(own_session(&state, &me, &id).await?.into()))
}

async fn own_session(
    state: &AppState,
    me: &AuthenticatedCustomer,
    id: &str,
) -> Result<device_session::Model, DomainError> {
    let session = sessions::find(&state.db, id).await?;
    if session.customer_id.as_deref() != Some(me.id.as_str()) {
        return Err(DomainError::not_found("Device session", id));
    }
    Ok(session)
}

/// The server-sent event name of a session update.
pub const SESSION_EVENT: &str = app::storefront::machine::SESSION_EVENT;
/// How often a followed session is looked at.
pub(crate) const FOLLOW_EVERY: Duration = Duration::from_millis(250);

/// `GET /store/vending/sessions/{id}/events`: server-sent events, one per
/// change of the shopper's session (the current state first), ending once it
/// is settled or failed.
pub async fn follow(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    follow_own_session(state, me, id).await
}

/// `GET /vending/sessions/{id}/events`: the same feed for the storefront's
/// purchase page, whose browser `EventSource` sends the session cookie but no
/// publishable key.
pub async fn follow_in_storefront(
    State(state): State<AppState>,
    me: AuthenticatedCustomer,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    follow_own_session(state, me, id).await
}

async fn follow_own_session(
    state: AppState,
    me: AuthenticatedCustomer,
    id: String,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let first = own_session(&state, &me, &id).await?;
    let updates = stream::unfold(
        (state, Some(first), None::<device_session::Model>),
        |(state, next, shown)| async move {
            let mut session = next?;
            // Wait for a change worth showing; stop when the session is gone.
            while shown.as_ref() == Some(&session) {
                tokio::time::sleep(FOLLOW_EVERY).await;
                session = sessions::find(&state.db, &session.id).await.ok()?;
            }
            let done = session.state.is_final();
            let event = Event::default()
                .event(SESSION_EVENT)
                .json_data(SessionResponse::from(session.clone()))
                .expect("sessions serialise");
            let next = (!done).then(|| session.clone());
            Some((Ok(event), (state, next, Some(session))))
        },
    );
    Ok(Sse::new(updates).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
