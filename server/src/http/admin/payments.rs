//! `/admin/payments/{id}/capture` and `/refund`, as Medusa v2 names them
//! (amounts in minor units, as the admin order answers them). The provider
//! is asked before anything is written; see `domain::payments::capture`.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::payments::{self, payment};
use serde::{Deserialize, Serialize};

use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError},
    state::AppState,
};

#[derive(Serialize)]
pub struct PaymentResponse {
    payment: AdminPayment,
}

#[derive(Serialize)]
pub struct AdminPayment {
    id: String,
    payment_collection_id: String,
    provider_id: String,
    currency_code: String,
    amount: i64,
    captured_amount: i64,
    refunded_amount: i64,
    canceled_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<payment::Model> for PaymentResponse {
    fn from(p: payment::Model) -> Self {
        Self {
            payment: AdminPayment {
                id: p.id,
                payment_collection_id: p.payment_collection_id,
                provider_id: p.provider_id,
                currency_code: p.currency_code,
                amount: p.amount,
                captured_amount: p.captured_amount,
                refunded_amount: p.refunded_amount,
                canceled_at: p.canceled_at,
                created_at: p.created_at,
            },
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmountBody {
    /// Minor units; all that is left when absent.
    amount: Option<i64>,
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PaymentResponse>, ApiError> {
    Ok(Json(payments::find_payment(&state.db, &id).await?.into()))
}

pub async fn capture(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<AmountBody>, JsonRejection>,
) -> Result<Json<PaymentResponse>, ApiError> {
    let amount = body?.0.amount;
    let captured = payments::capture(&state.db, &state.payment_providers, &id, amount).await?;
    Ok(Json(captured.into()))
}

pub async fn refund(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<AmountBody>, JsonRejection>,
) -> Result<Json<PaymentResponse>, ApiError> {
    let amount = match body?.0.amount {
        Some(amount) => amount,
        None => {
            let payment = payments::find_payment(&state.db, &id).await?;
            payment.captured_amount - payment.refunded_amount
        }
    };
    let refunded = payments::refund(&state.db, &state.payment_providers, &id, amount).await?;
    Ok(Json(refunded.into()))
}
