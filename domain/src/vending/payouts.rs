//! Deposit credits paid out to the shopper's card. A shopper who returned
//! empty containers holds their deposits as credit; on asking, the credit
//! is refunded to the cards of their earlier machine payments (newest
//! first), since that is where the deposits were charged. Each refund is a
//! payment operation, asked of the provider after the commit and retried
//! like any other; what no payment can take back stays credit.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use super::{deposit_credit, deposit_payout, device_session};
use crate::{
    DomainError, customers,
    ids::new_id,
    payments::{self, Providers, operations},
};

/// The machine payments a payout looks through for refundable money.
const PAYMENTS_LOOKED_AT: u64 = 100;

/// A shopper's deposit money in one currency, in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    pub currency_code: String,
    pub credited: i64,
    pub paid_out: i64,
}

impl Balance {
    /// What is left to pay out.
    pub fn available(&self) -> i64 {
        self.credited - self.paid_out
    }
}

/// What one payout did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    pub currency_code: String,
    /// Refunded now, in all.
    pub amount: i64,
    /// One per payment refunded.
    pub refunds: Vec<deposit_payout::Model>,
    /// Credit no payment could take back; it stays credit.
    pub left: i64,
}

/// The shopper's balance in `currency_code`.
pub async fn balance(
    db: &impl ConnectionTrait,
    customer_id: &str,
    currency_code: &str,
) -> Result<Balance, DomainError> {
    let currency = currency_code.to_ascii_lowercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(DomainError::Invalid(format!(
            "{currency_code:?} is not a currency code (three letters, like eur)"
        )));
    }
    let total = || Expr::cust("CAST(COALESCE(SUM(amount), 0) AS BIGINT)");
    let credited = deposit_credit::Entity::find()
        .select_only()
        .column_as(total(), "total")
        .filter(deposit_credit::Column::CustomerId.eq(customer_id))
        .filter(deposit_credit::Column::CurrencyCode.eq(&currency))
        .into_tuple::<i64>()
        .one(db)
        .await?
        .unwrap_or(0);
    let paid_out = deposit_payout::Entity::find()
        .select_only()
        .column_as(total(), "total")
        .filter(deposit_payout::Column::CustomerId.eq(customer_id))
        .filter(deposit_payout::Column::CurrencyCode.eq(&currency))
        .into_tuple::<i64>()
        .one(db)
        .await?
        .unwrap_or(0);
    Ok(Balance {
        currency_code: currency,
        credited,
        paid_out,
    })
}

/// A page of the shopper's payouts, newest first.
pub async fn payouts_of(
    db: &impl ConnectionTrait,
    customer_id: &str,
    offset: u64,
    limit: u64,
) -> Result<crate::paging::Page<deposit_payout::Model>, DomainError> {
    let select = deposit_payout::Entity::find()
        .filter(deposit_payout::Column::CustomerId.eq(customer_id))
        .order_by_desc(deposit_payout::Column::CreatedAt)
        .order_by_desc(deposit_payout::Column::Id);
    crate::paging::page_of(db, select, offset, limit).await
}

/// Pays out the shopper's deposit credit in `currency_code` to their cards:
/// records the refunds with the payouts in one transaction, then asks the
/// provider (one it cannot reach is asked again later; the payout stands).
pub async fn pay_out<C: crate::db::Writable>(
    db: &C,
    providers: &Providers,
    customer_id: &str,
    currency_code: &str,
) -> Result<Payout, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    // Two payouts of one shopper at once would both see the whole credit:
    // the second waits for the first (SQLite has one writer anyway).
    customers::customer::Entity::find_by_id(customer_id)
        .lock_exclusive()
        .one(&txn)
        .await?;
    let balance = balance(&txn, customer_id, currency_code).await?;
    if balance.available() <= 0 {
        return Err(DomainError::Invalid(format!(
            "you have no deposit credit in {} to pay out",
            balance.currency_code.to_uppercase()
        )));
    }
    let sessions = device_session::Entity::find()
        .filter(device_session::Column::CustomerId.eq(customer_id))
        .filter(device_session::Column::PaymentId.is_not_null())
        .filter(device_session::Column::CurrencyCode.eq(&balance.currency_code))
        .order_by_desc(device_session::Column::CreatedAt)
        .limit(PAYMENTS_LOOKED_AT)
        .all(&txn)
        .await?;
    let mut left = balance.available();
    let mut refunds = Vec::new();
    for payment_id in sessions.into_iter().filter_map(|s| s.payment_id) {
        if left == 0 {
            break;
        }
        let payment = payments::find_payment(&txn, &payment_id).await?;
        let amount = left.min(operations::refundable(&txn, &payment).await?);
        if amount <= 0 {
            continue;
        }
        let id = new_id("deppo");
        let operation = operations::request_refund_for(&txn, &payment.id, amount, &id).await?;
        refunds.push(
            deposit_payout::ActiveModel {
                id: Set(id),
                customer_id: Set(customer_id.to_owned()),
                amount: Set(amount),
                currency_code: Set(balance.currency_code.clone()),
                payment_id: Set(payment.id.clone()),
                operation_id: Set(operation.id),
                created_at: Set(Utc::now()),
            }
            .insert(&txn)
            .await?,
        );
        left -= amount;
    }
    if refunds.is_empty() {
        return Err(DomainError::Conflict(
            "there is no card payment of yours at a machine to pay the deposit back to yet; \
             it stays as credit"
                .into(),
        ));
    }
    txn.commit().await?;
    let paid: Vec<String> = refunds.iter().map(|r| r.payment_id.clone()).collect();
    if let Err(e) = operations::run_pending_of(db, providers, &paid).await {
        // Recorded: the payment worker asks again.
        tracing::warn!(customer_id, error = %e, "a deposit payout's refund is left to the worker");
    }
    Ok(Payout {
        amount: balance.available() - left,
        currency_code: balance.currency_code,
        refunds,
        left,
    })
}
