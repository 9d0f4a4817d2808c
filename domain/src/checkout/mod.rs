//! Checkout: paying for a cart and turning it into an order.
//!
//! Completion runs as a workflow (validate the cart → reserve inventory in
//! the stock locations of the cart's sales channel → authorize payment →
//! create order + `order.placed` event); a failed step undoes the earlier
//! ones (reservations are released, the payment canceled). A cart
//! completes at most once however many requests race: one attempt claims the
//! cart with a conditional update, the others wait for its order and return
//! that same order, and `orders.cart_id` is unique as a last line of defence.

mod steps;

use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    Set, sea_query::Expr,
};

use crate::{
    DomainError,
    carts::{self, cart},
    orders::{self, OrderDetail},
    payments::{self, Providers},
    workflows,
};

/// How long one completion attempt may own a cart before others may retry.
const CLAIM_TTL: Duration = Duration::from_secs(30);
/// How long a concurrent request waits for the winner's order.
const WAIT_FOR_WINNER: Duration = Duration::from_secs(15);

/// The cart's payment collection for its current total, created or replaced
/// when the total changed since.
pub async fn payment_collection_for_cart(
    db: &DatabaseConnection,
    cart_id: &str,
) -> Result<payments::collection::Model, DomainError> {
    let detail = carts::get_cart(db, cart_id).await?;
    carts::ensure_open(&detail.cart)?;
    let total = detail.totals.total;
    if let Some(id) = &detail.cart.payment_collection_id {
        let existing = payments::find_collection(db, id).await?;
        if existing.amount == total {
            return Ok(existing);
        }
    }
    let collection = payments::create_collection(db, total, &detail.cart.currency_code).await?;
    let mut cart = detail.cart.into_active_model();
    cart.payment_collection_id = Set(Some(collection.id.clone()));
    cart.updated_at = Set(Utc::now());
    cart.update(db).await?;
    Ok(collection)
}

/// Why a payment could not be authorized, as Medusa tells the storefront.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentFailure {
    /// The provider declined or could not be reached.
    Authorization,
    /// The shopper must act first (3-D Secure, a redirect).
    RequiresMore,
}

/// A completion that did not place an order.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct CheckoutFailure {
    /// Set when the payment step failed: the cart is fine, the shopper may
    /// retry with another payment.
    pub payment: Option<PaymentFailure>,
    pub error: DomainError,
}

impl From<DomainError> for CheckoutFailure {
    fn from(error: DomainError) -> Self {
        Self {
            payment: None,
            error,
        }
    }
}

impl From<CheckoutFailure> for DomainError {
    fn from(failure: CheckoutFailure) -> Self {
        failure.error
    }
}

/// Completes the cart into an order, or returns the order it already became.
pub async fn complete_cart(
    db: &DatabaseConnection,
    providers: &Providers,
    cart_id: &str,
) -> Result<OrderDetail, CheckoutFailure> {
    let deadline = tokio::time::Instant::now() + WAIT_FOR_WINNER;
    loop {
        if let Some(order) = orders::find_by_cart(db, cart_id).await? {
            return Ok(order);
        }
        if claim(db, cart_id).await? {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(DomainError::Conflict(format!(
                "cart {cart_id} is being completed by another request; try again"
            ))
            .into());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let result = run_workflow(db, providers, cart_id).await;
    match &result {
        Err(_) => release(db, cart_id).await?,
        // The order stands whatever the capture's fate: a refusal goes to
        // the review list, an unreachable provider to the worker's retries.
        Ok(placed) => {
            if let Err(e) = orders::capture_if_automatic(db, providers, &placed.order).await {
                tracing::warn!(order = %placed.order.id, error = %e, "capturing at once failed; see the review list");
            }
        }
    }
    result
}

async fn run_workflow(
    db: &DatabaseConnection,
    providers: &Providers,
    cart_id: &str,
) -> Result<OrderDetail, CheckoutFailure> {
    let mut ctx = steps::Context::load(db, cart_id).await?;
    let validate = steps::ValidateCart;
    let reserve = steps::ReserveInventory { db };
    let authorize = steps::AuthorizePayment { db, providers };
    let create_order = steps::CreateOrder { db };
    workflows::run(&[&validate, &reserve, &authorize, &create_order], &mut ctx)
        .await
        .map_err(|failure| {
            tracing::warn!(cart = cart_id, step = failure.step, error = %failure.error, "checkout failed");
            CheckoutFailure {
                payment: ctx.payment_failure,
                error: failure.error,
            }
        })?;
    ctx.order
        .ok_or_else(|| DomainError::Conflict("checkout finished without an order".into()).into())
}

/// Takes the cart for this attempt unless it is completed or another attempt
/// holds a live claim. A single conditional UPDATE, so exactly one racer wins.
async fn claim(db: &DatabaseConnection, cart_id: &str) -> Result<bool, DomainError> {
    let now = Utc::now();
    let claimed = cart::Entity::update_many()
        .col_expr(
            cart::Column::CompletionClaimedUntil,
            Expr::value(now + CLAIM_TTL),
        )
        .filter(cart::Column::Id.eq(cart_id))
        .filter(cart::Column::CompletedAt.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(cart::Column::CompletionClaimedUntil.is_null())
                .add(cart::Column::CompletionClaimedUntil.lt(now)),
        )
        .exec(db)
        .await?;
    if claimed.rows_affected == 1 {
        return Ok(true);
    }
    // Nothing claimed: tell a missing cart apart from a busy one.
    cart::Entity::find_by_id(cart_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Cart", cart_id))?;
    Ok(false)
}

async fn release(db: &DatabaseConnection, cart_id: &str) -> Result<(), DomainError> {
    cart::Entity::update_many()
        .col_expr(
            cart::Column::CompletionClaimedUntil,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(cart::Column::Id.eq(cart_id))
        .exec(db)
        .await?;
    Ok(())
}
