//! Payments, Medusa-style: a payment collection per cart holds payment
//! sessions (one per provider tried); authorizing a session creates a payment,
//! which is then captured (maybe in parts), refunded or canceled.
//!
//! Providers plug in behind [`PaymentProvider`]; the built-in
//! [`system::SystemProvider`] (`pp_system_default`) authorizes instantly.

pub mod account;
pub mod collection;
pub mod events;
pub mod operations;
pub mod payment;
pub mod provider;
pub mod reviews;
pub mod session;
pub mod system;

use std::{collections::HashMap, sync::Arc};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionSession, sea_query::Expr,
};

pub use events::{Applied, ProviderEvent, apply_event, record_event};
pub use provider::{Initiation, Payer, PaymentProvider, ProviderError, ProviderOutcome, SavedCard};

use crate::{DomainError, ids::new_id};

/// The payment providers a store has, by id.
#[derive(Clone, Default)]
pub struct Providers(HashMap<String, Arc<dyn PaymentProvider>>);

impl Providers {
    pub fn with(mut self, provider: Arc<dyn PaymentProvider>) -> Self {
        self.0.insert(provider.id().to_owned(), provider);
        self
    }

    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.0.keys().cloned().collect();
        ids.sort();
        ids
    }

    pub fn has(&self, id: &str) -> bool {
        self.0.contains_key(id)
    }

    pub fn get(&self, id: &str) -> Result<&Arc<dyn PaymentProvider>, DomainError> {
        self.0
            .get(id)
            .ok_or_else(|| DomainError::not_found("Payment provider", id))
    }
}

/// The provider a machine's holds go through: one the region of
/// `currency_code` offers, a real one before the built-in.
pub async fn provider_for_holds(
    db: &impl ConnectionTrait,
    providers: &Providers,
    currency_code: &str,
) -> Result<String, DomainError> {
    let Some(region) = crate::pricing::default_region(db, Some(currency_code)).await? else {
        return Ok(system::ID.to_owned());
    };
    crate::pricing::payment_providers(db, &region.region.id)
        .await?
        .into_iter()
        .filter(|id| providers.has(id))
        .min_by_key(|id| id == system::ID)
        .ok_or_else(|| {
            DomainError::Invalid(format!(
                "region {} offers no payment provider this store has",
                region.region.name
            ))
        })
}

pub async fn create_collection(
    db: &impl ConnectionTrait,
    amount: i64,
    currency_code: &str,
) -> Result<collection::Model, DomainError> {
    if amount < 0 {
        return Err(DomainError::Invalid(
            "a payment amount cannot be negative".into(),
        ));
    }
    let now = Utc::now();
    Ok(collection::ActiveModel {
        id: Set(new_id("pay_col")),
        currency_code: Set(currency_code.to_lowercase()),
        amount: Set(amount),
        status: Set(collection::Status::NotPaid),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

/// Starts paying `collection_id` with `provider_id`.
pub async fn create_session(
    db: &impl ConnectionTrait,
    providers: &Providers,
    collection_id: &str,
    provider_id: &str,
) -> Result<session::Model, DomainError> {
    create_session_with(db, providers, collection_id, provider_id, None).await
}

/// [`create_session`] with what the storefront sent for the provider
/// (Medusa's `data`: a Finix.js token).
pub async fn create_session_with(
    db: &impl ConnectionTrait,
    providers: &Providers,
    collection_id: &str,
    provider_id: &str,
    input: Option<serde_json::Value>,
) -> Result<session::Model, DomainError> {
    let provider = providers.get(provider_id)?;
    let collection = find_collection(db, collection_id).await?;
    let cart_id = crate::carts::cart_of_payment_collection(db, &collection.id).await?;
    if let Some(cart_id) = &cart_id {
        refuse_unless_offered(db, cart_id, provider_id).await?;
    }
    let id = new_id("payses");
    let data = provider
        .initiate(&Initiation {
            amount: collection.amount,
            currency_code: collection.currency_code.clone(),
            session_id: id.clone(),
            cart_id,
            payer: Payer::Present,
            input,
        })
        .await
        .map_err(provider_failure)?;
    Ok(session::ActiveModel {
        id: Set(id),
        payment_collection_id: Set(collection.id),
        provider_id: Set(provider_id.to_owned()),
        amount: Set(collection.amount),
        currency_code: Set(collection.currency_code),
        status: Set(session::Status::Pending),
        provider_reference: Set(provider.reference(&data)),
        data: Set(data.to_string()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?)
}

/// A cart pays only with what its region offers: the test provider, still
/// configured, must not pay in a region that takes real money.
async fn refuse_unless_offered(
    db: &impl ConnectionTrait,
    cart_id: &str,
    provider_id: &str,
) -> Result<(), DomainError> {
    let cart = crate::carts::cart::Entity::find_by_id(cart_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Cart", cart_id))?;
    let Some(region_id) = cart.region_id else {
        return Ok(());
    };
    let offered = crate::pricing::payment_providers(db, &region_id).await?;
    if offered.iter().any(|id| id == provider_id) {
        return Ok(());
    }
    Err(DomainError::Invalid(format!(
        "the cart's region does not offer payment provider {provider_id}; it offers {}",
        if offered.is_empty() {
            "none".to_owned()
        } else {
            offered.join(", ")
        }
    )))
}

/// Asks the provider to authorize the session. On success a payment exists
/// and the collection is authorized; a provider that needs more (3-D Secure,
/// a redirect) leaves the session `requires_more`.
pub async fn authorize_session(
    db: &impl ConnectionTrait,
    providers: &Providers,
    session_id: &str,
) -> Result<Option<payment::Model>, DomainError> {
    let session = session::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Payment session", session_id))?;
    if session.status == session::Status::Authorized {
        return Ok(payment::Entity::find()
            .filter(payment::Column::PaymentSessionId.eq(session_id))
            .one(db)
            .await?);
    }
    let provider = providers.get(&session.provider_id)?;
    let outcome = provider
        .authorize(&parse(&session.data))
        .await
        .map_err(provider_failure)?;
    let mut active = session.clone().into_active_model();
    match outcome {
        ProviderOutcome::Authorized(data) => {
            active.status = Set(session::Status::Authorized);
            active.update(db).await?;
            set_collection_status(
                db,
                &session.payment_collection_id,
                collection::Status::Authorized,
            )
            .await?;
            Ok(Some(authorized_payment(&session, &data).insert(db).await?))
        }
        ProviderOutcome::RequiresMore(data) => {
            active.status = Set(session::Status::RequiresMore);
            active.data = Set(data.to_string());
            active.update(db).await?;
            Ok(None)
        }
    }
}

/// A hold the provider granted and nothing recorded yet: taken first, so
/// that no database transaction waits on the provider's round trip (over
/// the internet for Stripe), then recorded with [`record_authorization`],
/// or given back with [`void`] when recording it failed.
#[derive(Debug)]
pub struct Authorization {
    /// The session it will be recorded as; the provider knows the hold by it.
    session_id: String,
    provider_id: String,
    amount: i64,
    currency_code: String,
    /// What the provider said when the payment started, and when it authorized.
    started: serde_json::Value,
    authorized: serde_json::Value,
}

/// Asks `provider_id` to hold `amount` at once, writing nothing: a hold
/// that needs the shopper's action first (3-D Secure) is refused.
pub async fn authorize(
    providers: &Providers,
    provider_id: &str,
    amount: i64,
    currency_code: &str,
    payer: Payer,
) -> Result<Authorization, DomainError> {
    if amount <= 0 {
        return Err(DomainError::Invalid(
            "a hold needs a positive amount".into(),
        ));
    }
    let provider = providers.get(provider_id)?;
    let currency_code = currency_code.to_lowercase();
    let session_id = new_id("payses");
    let started = provider
        .initiate(&Initiation {
            amount,
            currency_code: currency_code.clone(),
            session_id: session_id.clone(),
            cart_id: None,
            payer,
            input: None,
        })
        .await
        .map_err(provider_failure)?;
    match provider
        .authorize(&started)
        .await
        .map_err(provider_failure)?
    {
        ProviderOutcome::Authorized(authorized) => Ok(Authorization {
            session_id,
            provider_id: provider_id.to_owned(),
            amount,
            currency_code,
            started,
            authorized,
        }),
        ProviderOutcome::RequiresMore(started) => {
            // Nobody is there to authenticate: the hold is given back.
            let key = format!("{session_id}:cancel");
            if let Err(e) = provider.cancel(&started, &key).await {
                tracing::error!(error = %e, session_id, "a hold needing action was not given back");
            }
            Err(DomainError::Invalid(
                "your bank asks you to confirm this card first; pay once online with it, or use another card".into(),
            ))
        }
    }
}

/// Records a granted hold as an authorized collection, session and payment.
pub async fn record_authorization(
    db: &impl ConnectionTrait,
    hold: &Authorization,
) -> Result<(collection::Model, payment::Model), DomainError> {
    let now = Utc::now();
    let collection = collection::ActiveModel {
        id: Set(new_id("pay_col")),
        currency_code: Set(hold.currency_code.clone()),
        amount: Set(hold.amount),
        status: Set(collection::Status::Authorized),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    let session = session::ActiveModel {
        id: Set(hold.session_id.clone()),
        payment_collection_id: Set(collection.id.clone()),
        provider_id: Set(hold.provider_id.clone()),
        amount: Set(hold.amount),
        currency_code: Set(hold.currency_code.clone()),
        status: Set(session::Status::Authorized),
        provider_reference: Set(reference_of(&hold.started, &hold.authorized)),
        data: Set(hold.started.to_string()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    let payment = authorized_payment(&session, &hold.authorized)
        .insert(db)
        .await?;
    Ok((collection, payment))
}

/// The payment an authorized `session` became; `data` is what the provider
/// answered the authorization with.
fn authorized_payment(session: &session::Model, data: &serde_json::Value) -> payment::ActiveModel {
    let now = Utc::now();
    payment::ActiveModel {
        id: Set(new_id("pay")),
        payment_collection_id: Set(session.payment_collection_id.clone()),
        payment_session_id: Set(session.id.clone()),
        provider_id: Set(session.provider_id.clone()),
        amount: Set(session.amount),
        currency_code: Set(session.currency_code.clone()),
        captured_amount: Set(0),
        refunded_amount: Set(0),
        canceled_at: Set(None),
        provider_reference: Set(session
            .provider_reference
            .clone()
            .or_else(|| data["id"].as_str().map(str::to_owned))),
        data: Set(data.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// The provider's id of a hold, from what it answered (the same id twice).
fn reference_of(started: &serde_json::Value, authorized: &serde_json::Value) -> Option<String> {
    [started, authorized]
        .into_iter()
        .find_map(|data| data["id"].as_str().map(str::to_owned))
}

/// Gives back a hold that was never recorded: nobody could capture or
/// release it otherwise.
pub async fn void(providers: &Providers, hold: &Authorization) -> Result<(), DomainError> {
    providers
        .get(&hold.provider_id)?
        .cancel(&hold.authorized, &format!("{}:cancel", hold.session_id))
        .await
        .map(drop)
        .map_err(provider_failure)
}

/// Who asked for a capture or refund by hand, and why: kept in the
/// payment's history (the order page shows it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AskedFor {
    pub admin_user_id: Option<String>,
    pub note: Option<String>,
}

impl AskedFor {
    /// An admin's request, with an optional note (blank means none).
    pub fn admin(admin_user_id: &str, note: Option<String>) -> Self {
        Self {
            admin_user_id: Some(admin_user_id.to_owned()),
            note: note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
        }
    }
}

/// Captures `amount` (all that is left when `None`).
///
/// Nothing is written while the provider is asked: the payment is read, the
/// provider called with a key made of the payment, what it had captured
/// before and the amount (a retry after a crash or a timeout asks for the
/// same capture again, which the provider does once), then the answer is
/// recorded in a short transaction that checks nobody recorded another
/// capture meanwhile.
pub async fn capture<C: crate::db::Writable>(
    db: &C,
    providers: &Providers,
    payment_id: &str,
    amount: Option<i64>,
) -> Result<payment::Model, DomainError> {
    capture_by(db, providers, payment_id, amount, &AskedFor::default()).await
}

/// [`capture`] asked for by `by` (the Admin API and the order page alike).
pub async fn capture_by<C: crate::db::Writable>(
    db: &C,
    providers: &Providers,
    payment_id: &str,
    amount: Option<i64>,
    by: &AskedFor,
) -> Result<payment::Model, DomainError> {
    try_capture(db, providers, payment_id, amount, by, None)
        .await?
        .map_err(provider_failure)
}

/// [`capture`], telling the provider's refusal (declined, the hold lapsed)
/// apart from everything else that can go wrong. A refusal is kept in the
/// payment's history and puts the payment in the review list.
///
/// `retry` names a new attempt after a refusal (a review action's id): the
/// provider answers a key it has seen with its first answer, the refusal,
/// so another attempt needs a key of its own.
pub async fn try_capture<C: crate::db::Writable>(
    db: &C,
    providers: &Providers,
    payment_id: &str,
    amount: Option<i64>,
    by: &AskedFor,
    retry: Option<&str>,
) -> Result<Result<payment::Model, ProviderError>, DomainError> {
    let payment = find_payment(db, payment_id).await?;
    if payment.canceled_at.is_some() {
        return Err(DomainError::Conflict(
            "a canceled payment cannot be captured".into(),
        ));
    }
    let left = payment.amount - payment.captured_amount;
    let amount = amount.unwrap_or(left);
    if left == 0 {
        return Err(DomainError::Conflict(format!(
            "payment {} is captured in full already",
            payment.id
        )));
    }
    if amount <= 0 || amount > left {
        return Err(out_of_range(
            "capture",
            left,
            amount,
            &payment.currency_code,
        ));
    }
    refuse_while_pending(db, &payment.id).await?;
    let provider = providers.get(&payment.provider_id)?;
    let mut key = format!(
        "{}:capture:{}:{amount}",
        payment.id, payment.captured_amount
    );
    if let Some(retry) = retry {
        key = format!("{key}:{retry}");
    }
    let data = match provider.capture(&parse(&payment.data), amount, &key).await {
        Ok(data) => data,
        Err(ProviderError::Unavailable(reason)) => {
            return Err(provider_failure(ProviderError::Unavailable(reason)));
        }
        Err(ProviderError::Declined(reason)) => {
            capture_declined(db, &payment, amount, &key, &reason, by).await?;
            return Ok(Err(ProviderError::Declined(reason)));
        }
    };
    let captured = payment.captured_amount + amount;
    let collection_status = if captured == payment.amount {
        collection::Status::Completed
    } else {
        collection::Status::PartiallyCaptured
    };
    let txn = crate::db::begin_write(db).await?;
    let updated = payment::Entity::update_many()
        .col_expr(payment::Column::CapturedAmount, Expr::value(captured))
        .col_expr(payment::Column::Data, Expr::value(data.to_string()))
        .col_expr(payment::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(payment::Column::Id.eq(&payment.id))
        .filter(payment::Column::CapturedAmount.eq(payment.captured_amount))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        // The provider's webhook about this very capture may have been
        // recorded first (Finix reports captures as it answers them).
        let now = find_payment(&txn, &payment.id).await?;
        if now.captured_amount != captured {
            return Err(changed_meanwhile(&payment.id));
        }
        keep_answer(&txn, &payment.id, &data).await?;
    }
    set_collection_status(&txn, &payment.payment_collection_id, collection_status).await?;
    operations::record_answered(
        &txn,
        &payment,
        operations::Kind::Capture,
        amount,
        &key,
        None,
        by,
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(find_payment(db, payment_id).await?))
}

/// Records a capture the provider refused: in the payment's history, and
/// in the review list (once per payment while its review is open).
async fn capture_declined<C: crate::db::Writable>(
    db: &C,
    payment: &payment::Model,
    amount: i64,
    key: &str,
    reason: &str,
    by: &AskedFor,
) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let operation = operations::record_answered(
        &txn,
        payment,
        operations::Kind::Capture,
        amount,
        key,
        Some(reason),
        by,
    )
    .await?;
    let order_id = crate::orders::order::Entity::find()
        .filter(
            crate::orders::order::Column::PaymentCollectionId.eq(&payment.payment_collection_id),
        )
        .one(&txn)
        .await?
        .map(|o| o.id);
    let device_session_id = crate::vending::device_session::Entity::find()
        .filter(crate::vending::device_session::Column::PaymentId.eq(&payment.id))
        .one(&txn)
        .await?
        .map(|s| s.id);
    reviews::open(
        &txn,
        reviews::Opening {
            reason: reviews::Reason::CaptureFailed,
            payment,
            operation_id: Some(&operation.id),
            device_session_id: device_session_id.as_deref(),
            order_id: order_id.as_deref(),
            amount,
            detail: &format!("the payment could not be captured: declined: {reason}"),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Refunds up to what was captured and not yet refunded, as [`capture`]
/// does: provider first with a key of what was refunded before, then a short
/// write.
pub async fn refund<C: crate::db::Writable>(
    db: &C,
    providers: &Providers,
    payment_id: &str,
    amount: i64,
) -> Result<payment::Model, DomainError> {
    refund_by(
        db,
        providers,
        payment_id,
        Some(amount),
        &AskedFor::default(),
    )
    .await
}

/// [`refund`] asked for by `by` (the Admin API and the order page alike);
/// all that is captured and not refunded when `amount` is `None`.
pub async fn refund_by<C: crate::db::Writable>(
    db: &C,
    providers: &Providers,
    payment_id: &str,
    amount: Option<i64>,
    by: &AskedFor,
) -> Result<payment::Model, DomainError> {
    let payment = find_payment(db, payment_id).await?;
    let refundable = payment.captured_amount - payment.refunded_amount;
    if refundable == 0 {
        return Err(DomainError::Invalid(if payment.captured_amount == 0 {
            format!(
                "payment {} has nothing captured to refund; capture it first, or cancel the order to release the hold",
                payment.id
            )
        } else {
            format!("payment {} is refunded in full already", payment.id)
        }));
    }
    let amount = amount.unwrap_or(refundable);
    if amount <= 0 || amount > refundable {
        return Err(out_of_range(
            "refund",
            refundable,
            amount,
            &payment.currency_code,
        ));
    }
    refuse_while_pending(db, &payment.id).await?;
    let provider = providers.get(&payment.provider_id)?;
    let key = format!("{}:refund:{}:{amount}", payment.id, payment.refunded_amount);
    let data = provider
        .refund(&parse(&payment.data), amount, &key)
        .await
        .map_err(provider_failure)?;
    let refunded = payment.refunded_amount + amount;
    let txn = crate::db::begin_write(db).await?;
    let updated = payment::Entity::update_many()
        .col_expr(payment::Column::RefundedAmount, Expr::value(refunded))
        .col_expr(payment::Column::Data, Expr::value(data.to_string()))
        .col_expr(payment::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(payment::Column::Id.eq(&payment.id))
        .filter(payment::Column::RefundedAmount.eq(payment.refunded_amount))
        .exec(&txn)
        .await?;
    // As for captures: the webhook about this refund may have come first.
    if updated.rows_affected == 0 {
        if find_payment(&txn, &payment.id).await?.refunded_amount != refunded {
            return Err(changed_meanwhile(&payment.id));
        }
        keep_answer(&txn, &payment.id, &data).await?;
    }
    operations::record_answered(
        &txn,
        &payment,
        operations::Kind::Refund,
        amount,
        &key,
        None,
        by,
    )
    .await?;
    txn.commit().await?;
    find_payment(db, payment_id).await
}

/// Stores the provider's answer with the payment (what later calls need,
/// e.g. Finix's capture transfer) when its webhook recorded the amounts.
async fn keep_answer(
    db: &impl ConnectionTrait,
    payment_id: &str,
    data: &serde_json::Value,
) -> Result<(), DomainError> {
    payment::Entity::update_many()
        .col_expr(payment::Column::Data, Expr::value(data.to_string()))
        .col_expr(payment::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(payment::Column::Id.eq(payment_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Releases an authorization that was never (fully) captured. Idempotent.
pub async fn cancel<C: crate::db::Writable>(
    db: &C,
    providers: &Providers,
    payment_id: &str,
) -> Result<payment::Model, DomainError> {
    let payment = find_payment(db, payment_id).await?;
    if payment.canceled_at.is_some() {
        return Ok(payment);
    }
    if payment.captured_amount > 0 {
        return Err(DomainError::Conflict(
            "a captured payment is refunded, not canceled".into(),
        ));
    }
    let provider = providers.get(&payment.provider_id)?;
    let data = provider
        .cancel(&parse(&payment.data), &format!("{}:cancel", payment.id))
        .await
        .map_err(provider_failure)?;
    mark_canceled(db, &payment, &data).await?;
    find_payment(db, payment_id).await
}

/// Records a payment as released, unless something else was recorded meanwhile.
async fn mark_canceled<C: crate::db::Writable>(
    db: &C,
    payment: &payment::Model,
    data: &serde_json::Value,
) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let updated = payment::Entity::update_many()
        .col_expr(payment::Column::CanceledAt, Expr::value(Some(Utc::now())))
        .col_expr(payment::Column::Data, Expr::value(data.to_string()))
        .col_expr(payment::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(payment::Column::Id.eq(&payment.id))
        .filter(payment::Column::CanceledAt.is_null())
        .filter(payment::Column::CapturedAmount.eq(0))
        .exec(&txn)
        .await?;
    if updated.rows_affected > 0 {
        set_collection_status(
            &txn,
            &payment.payment_collection_id,
            collection::Status::Canceled,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// A capture or refund asked while a recorded one waits for the provider
/// could carry its key for another amount, or be recorded twice.
async fn refuse_while_pending(
    db: &impl ConnectionTrait,
    payment_id: &str,
) -> Result<(), DomainError> {
    if operations::has_pending(db, payment_id).await? {
        return Err(DomainError::Conflict(format!(
            "payment {payment_id} has a capture, refund or release waiting for the provider; try again once it is answered"
        )));
    }
    Ok(())
}

/// An amount outside 1..=`most`, said in minor units (what the Admin API
/// takes) and in the currency (what the dashboard's forms take).
fn out_of_range(what: &str, most: i64, amount: i64, currency_code: &str) -> DomainError {
    let major = |minor: i64| {
        let places = crate::pricing::money::decimals(currency_code) as usize;
        format!(
            "{:.places$} {}",
            crate::pricing::money::to_major_units(minor, currency_code),
            currency_code.to_uppercase()
        )
    };
    DomainError::Invalid(format!(
        "can {what} between 1 and {most} minor units ({}), not {amount} ({})",
        major(most),
        major(amount)
    ))
}

fn changed_meanwhile(payment_id: &str) -> DomainError {
    DomainError::Conflict(format!(
        "payment {payment_id} changed while the provider was asked; look at it again"
    ))
}

pub async fn find_collection(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<collection::Model, DomainError> {
    collection::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Payment collection", id))
}

/// The sessions of a collection, oldest first.
pub async fn sessions_of(
    db: &impl ConnectionTrait,
    collection_id: &str,
) -> Result<Vec<session::Model>, DomainError> {
    Ok(session::Entity::find()
        .filter(session::Column::PaymentCollectionId.eq(collection_id))
        .order_by_asc(session::Column::CreatedAt)
        .order_by_asc(session::Column::Id)
        .all(db)
        .await?)
}

pub async fn find_payment(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<payment::Model, DomainError> {
    payment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Payment", id))
}

pub(crate) async fn set_collection_status(
    db: &impl ConnectionTrait,
    id: &str,
    new_status: collection::Status,
) -> Result<(), DomainError> {
    // One statement: it runs inside captures and releases, under SQLite's one writer.
    let updated = collection::Entity::update_many()
        .col_expr(collection::Column::Status, Expr::value(new_status))
        .col_expr(collection::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(collection::Column::Id.eq(id))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(DomainError::not_found("Payment collection", id));
    }
    Ok(())
}

pub(crate) fn parse(data: &str) -> serde_json::Value {
    serde_json::from_str(data).unwrap_or(serde_json::Value::Null)
}

pub(crate) fn provider_failure(e: ProviderError) -> DomainError {
    match e {
        ProviderError::Declined(reason) => {
            DomainError::Invalid(format!("payment declined: {reason}"))
        }
        ProviderError::Unavailable(reason) => {
            DomainError::Conflict(format!("payment provider unavailable: {reason}"))
        }
    }
}

/// Where a payment stands, from its amounts: the filter of the admin's
/// payments list (Medusa keeps no status on a payment, only amounts and
/// times, so these are ours).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentState {
    Authorized,
    PartiallyCaptured,
    Captured,
    PartiallyRefunded,
    Refunded,
    Canceled,
}

impl PaymentState {
    pub const ALL: [PaymentState; 6] = [
        PaymentState::Authorized,
        PaymentState::PartiallyCaptured,
        PaymentState::Captured,
        PaymentState::PartiallyRefunded,
        PaymentState::Refunded,
        PaymentState::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Authorized => "authorized",
            PaymentState::PartiallyCaptured => "partially_captured",
            PaymentState::Captured => "captured",
            PaymentState::PartiallyRefunded => "partially_refunded",
            PaymentState::Refunded => "refunded",
            PaymentState::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| {
                DomainError::Invalid(format!(
                    "{s:?} is not a payment status; one of {}",
                    Self::ALL.map(Self::as_str).join(", ")
                ))
            })
    }

    pub fn of(payment: &payment::Model) -> Self {
        if payment.canceled_at.is_some() {
            PaymentState::Canceled
        } else if payment.refunded_amount > 0 && payment.refunded_amount >= payment.captured_amount
        {
            PaymentState::Refunded
        } else if payment.refunded_amount > 0 {
            PaymentState::PartiallyRefunded
        } else if payment.captured_amount >= payment.amount {
            PaymentState::Captured
        } else if payment.captured_amount > 0 {
            PaymentState::PartiallyCaptured
        } else {
            PaymentState::Authorized
        }
    }

    /// The same rule as [`Self::of`], as a query condition.
    fn condition(self) -> sea_orm::Condition {
        use payment::Column as C;
        use sea_orm::Condition;
        // By path: in scope, its methods would clash with the columns' own.
        use sea_orm::sea_query::ExprTrait as Ops;
        let live = C::CanceledAt.is_null();
        let refunded_all = Ops::gte(Expr::col(C::RefundedAmount), Expr::col(C::CapturedAmount));
        let captured_all = Ops::gte(Expr::col(C::CapturedAmount), Expr::col(C::Amount));
        match self {
            PaymentState::Canceled => Condition::all().add(C::CanceledAt.is_not_null()),
            PaymentState::Refunded => Condition::all()
                .add(live)
                .add(C::RefundedAmount.gt(0))
                .add(refunded_all),
            PaymentState::PartiallyRefunded => Condition::all()
                .add(live)
                .add(C::RefundedAmount.gt(0))
                .add(Ops::not(refunded_all)),
            PaymentState::Captured => Condition::all()
                .add(live)
                .add(C::RefundedAmount.eq(0))
                .add(captured_all),
            PaymentState::PartiallyCaptured => Condition::all()
                .add(live)
                .add(C::RefundedAmount.eq(0))
                .add(C::CapturedAmount.gt(0))
                .add(Ops::not(captured_all)),
            PaymentState::Authorized => Condition::all()
                .add(live)
                .add(C::RefundedAmount.eq(0))
                .add(C::CapturedAmount.eq(0)),
        }
    }
}

/// What the admin's payments list is narrowed to; empty lists mean any.
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub id: Vec<String>,
    pub payment_collection_id: Vec<String>,
    pub provider_id: Vec<String>,
    pub status: Vec<PaymentState>,
    pub created_from: Option<chrono::DateTime<Utc>>,
    pub created_until: Option<chrono::DateTime<Utc>>,
}

/// One page of payments, newest first, and how many match.
pub async fn list_payments(
    db: &impl ConnectionTrait,
    filter: &PaymentFilter,
    offset: u64,
    limit: u64,
) -> Result<crate::paging::Page<payment::Model>, DomainError> {
    use sea_orm::Condition;
    let mut query = payment::Entity::find();
    if !filter.id.is_empty() {
        query = query.filter(payment::Column::Id.is_in(filter.id.clone()));
    }
    if !filter.payment_collection_id.is_empty() {
        query = query.filter(
            payment::Column::PaymentCollectionId.is_in(filter.payment_collection_id.clone()),
        );
    }
    if !filter.provider_id.is_empty() {
        query = query.filter(payment::Column::ProviderId.is_in(filter.provider_id.clone()));
    }
    if !filter.status.is_empty() {
        query = query.filter(
            filter
                .status
                .iter()
                .fold(Condition::any(), |any, state| any.add(state.condition())),
        );
    }
    if let Some(from) = filter.created_from {
        query = query.filter(payment::Column::CreatedAt.gte(from));
    }
    if let Some(until) = filter.created_until {
        query = query.filter(payment::Column::CreatedAt.lte(until));
    }
    let query = query
        .order_by_desc(payment::Column::CreatedAt)
        .order_by_desc(payment::Column::Id);
    crate::paging::page_of(db, query, offset, limit).await
}

/// The payments of a payment collection (an order's), oldest first.
pub async fn payments_of(
    db: &impl ConnectionTrait,
    collection_id: &str,
) -> Result<Vec<payment::Model>, DomainError> {
    Ok(payment::Entity::find()
        .filter(payment::Column::PaymentCollectionId.eq(collection_id))
        .order_by_asc(payment::Column::CreatedAt)
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?)
}
