//! `/admin/payments`: Medusa v2's list and detail, with each payment's
//! captures and refunds, and `/admin/payments/{id}/capture` and `/refund`
//! (amounts in minor units, as the admin order answers them). The provider
//! is asked before anything is written; see `domain::payments::capture`.
//! The dashboard's order page calls the same domain functions.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::payments::{
    self, AskedFor, PaymentFilter, PaymentState,
    operations::{self, Kind, Operation, Status},
    payment,
};
use serde::{Deserialize, Serialize};

use super::{
    Listing,
    orders::{Bound, date_param},
};
use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

#[derive(Serialize)]
pub struct PaymentResponse {
    payment: AdminPayment,
}

/// Medusa's `AdminPayment`, amounts in minor units, with `status` (ours:
/// Medusa derives it from the amounts too).
#[derive(Serialize)]
pub struct AdminPayment {
    id: String,
    payment_collection_id: String,
    payment_session_id: String,
    provider_id: String,
    currency_code: String,
    amount: i64,
    captured_amount: i64,
    refunded_amount: i64,
    status: &'static str,
    captured_at: Option<DateTime<Utc>>,
    canceled_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    captures: Vec<AdminCapture>,
    refunds: Vec<AdminRefund>,
}

#[derive(Serialize)]
pub struct AdminCapture {
    id: String,
    amount: i64,
    created_at: DateTime<Utc>,
    created_by: Option<String>,
}

#[derive(Serialize)]
pub struct AdminRefund {
    id: String,
    amount: i64,
    note: Option<String>,
    created_at: DateTime<Utc>,
    created_by: Option<String>,
}

impl AdminPayment {
    /// `p` with the captures and refunds that went through (`history`:
    /// its operations, oldest first).
    fn of(p: payment::Model, history: Vec<Operation>) -> Self {
        let ops = &history;
        let done = move |kind: Kind| {
            ops.iter()
                .filter(move |o| o.status == Status::Done && o.kind == kind)
        };
        let captures: Vec<AdminCapture> = done(Kind::Capture)
            .map(|o| AdminCapture {
                id: o.id.clone(),
                amount: o.amount,
                created_at: o.completed_at.unwrap_or(o.created_at),
                created_by: o.admin_user_id.clone(),
            })
            .collect();
        let refunds = done(Kind::Refund)
            .map(|o| AdminRefund {
                id: o.id.clone(),
                amount: o.amount,
                note: o.note.clone(),
                created_at: o.completed_at.unwrap_or(o.created_at),
                created_by: o.admin_user_id.clone(),
            })
            .collect();
        // Captured in full: when the last capture went through (or, taken
        // outside the store, e.g. in the provider's dashboard, when the
        // payment last changed).
        let captured_at = (p.captured_amount >= p.amount && p.amount > 0)
            .then(|| captures.last().map_or(p.updated_at, |c| c.created_at));
        Self {
            status: PaymentState::of(&p).as_str(),
            id: p.id,
            payment_collection_id: p.payment_collection_id,
            payment_session_id: p.payment_session_id,
            provider_id: p.provider_id,
            currency_code: p.currency_code,
            amount: p.amount,
            captured_amount: p.captured_amount,
            refunded_amount: p.refunded_amount,
            captured_at,
            canceled_at: p.canceled_at,
            created_at: p.created_at,
            updated_at: p.updated_at,
            captures,
            refunds,
        }
    }
}

async fn response(state: &AppState, p: payment::Model) -> Result<Json<PaymentResponse>, ApiError> {
    let history = operations::of_payment(&state.db, &p.id).await?;
    Ok(Json(PaymentResponse {
        payment: AdminPayment::of(p, history),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmountBody {
    /// Minor units; all that is left when absent.
    amount: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    /// Minor units; all that is captured and not refunded when absent.
    amount: Option<i64>,
    /// Why, kept with the refund (Medusa's `note`).
    note: Option<String>,
}

/// `GET /admin/payments?id=…&payment_collection_id=…&provider_id=…&status=…&created_at[$gte]=…&created_at[$lte]=…`
pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminPayment>>, ApiError> {
    let (offset, limit) = params.page()?;
    let filter = PaymentFilter {
        id: params.list("id")?,
        payment_collection_id: params.list("payment_collection_id")?,
        provider_id: params.list("provider_id")?,
        status: params
            .list("status")?
            .iter()
            .map(|s| PaymentState::parse(s))
            .collect::<Result<_, _>>()?,
        created_from: date_param(&params, "created_at[$gte]", Bound::From)?,
        created_until: date_param(&params, "created_at[$lte]", Bound::Until)?,
    };
    let page = payments::list_payments(&state.db, &filter, offset, limit).await?;
    let ids: Vec<String> = page.items.iter().map(|p| p.id.clone()).collect();
    let mut histories: HashMap<String, Vec<Operation>> =
        operations::of_payments(&state.db, &ids).await?;
    Ok(Listing::of("payments", page, |p| {
        let history = histories.remove(&p.id).unwrap_or_default();
        AdminPayment::of(p, history)
    }))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PaymentResponse>, ApiError> {
    let found = payments::find_payment(&state.db, &id).await?;
    response(&state, found).await
}

pub async fn capture(
    admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<AmountBody>, JsonRejection>,
) -> Result<Json<PaymentResponse>, ApiError> {
    let amount = body?.0.amount;
    let by = AskedFor::admin(&admin.id, None);
    let captured =
        payments::capture_by(&state.db, &state.payment_providers, &id, amount, &by).await?;
    response(&state, captured).await
}

pub async fn refund(
    admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<RefundBody>, JsonRejection>,
) -> Result<Json<PaymentResponse>, ApiError> {
    let Json(body) = body?;
    let by = AskedFor::admin(&admin.id, body.note);
    let refunded =
        payments::refund_by(&state.db, &state.payment_providers, &id, body.amount, &by).await?;
    response(&state, refunded).await
}
