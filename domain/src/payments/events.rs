//! What a provider reports about its payments later (Stripe's webhooks),
//! applied once per event and never backwards: amounts only grow, a
//! captured payment is never canceled, an authorized session never fails,
//! so events arriving twice or out of order change nothing wrong.

use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionSession,
    sea_query::Expr,
};

use super::{collection, payment, session, set_collection_status};
use crate::{
    DomainError,
    alerts::{self, Kind},
    events,
    orders::order,
    vending::device_session,
};

/// A shopper disputed a payment: `{payment_id, amount, reason}`.
pub const PAYMENT_DISPUTED: &str = "payment.disputed";

pub mod entity {
    use sea_orm::entity::prelude::*;

    /// A provider's event handled already.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment_provider_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub provider_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: String,
        pub event_type: String,
        pub received_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A provider's news about one of its payments, named by its own id
/// (`reference`, Stripe's PaymentIntent).
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderEvent {
    /// The payment can be captured (the shopper finished 3-D Secure).
    Authorized {
        reference: String,
    },
    /// `captured` in all has been taken.
    Captured {
        reference: String,
        captured: i64,
    },
    Failed {
        reference: String,
        message: String,
    },
    Canceled {
        reference: String,
    },
    /// `refunded` in all has been given back.
    Refunded {
        reference: String,
        refunded: i64,
    },
    Disputed {
        reference: String,
        amount: i64,
        reason: String,
    },
}

impl ProviderEvent {
    fn reference(&self) -> &str {
        match self {
            Self::Authorized { reference }
            | Self::Captured { reference, .. }
            | Self::Failed { reference, .. }
            | Self::Canceled { reference }
            | Self::Refunded { reference, .. }
            | Self::Disputed { reference, .. } => reference,
        }
    }
}

/// What applying an event did.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// The event was handled before: nothing changed.
    Seen,
    /// No payment of ours has that reference (another shop on the account).
    NotOurs,
    /// Recorded.
    Done,
    /// The session of this cart is authorized at the provider now, and
    /// nothing is recorded yet: the cart is to be completed, and the event
    /// recorded with [`record_event`] once it is.
    CompleteCart(String),
}

/// Applies `event` (id `event_id` at `provider_id`) and records it as seen,
/// in one transaction.
pub async fn apply_event<C: crate::db::Writable>(
    db: &C,
    provider_id: &str,
    event_id: &str,
    event_type: &str,
    event: &ProviderEvent,
) -> Result<Applied, DomainError> {
    if seen(db, provider_id, event_id).await? {
        return Ok(Applied::Seen);
    }
    let reference = event.reference();
    let payment = payment::Entity::find()
        .filter(payment::Column::ProviderId.eq(provider_id))
        .filter(payment::Column::ProviderReference.eq(reference))
        .one(db)
        .await?;
    let session = session::Entity::find()
        .filter(session::Column::ProviderId.eq(provider_id))
        .filter(session::Column::ProviderReference.eq(reference))
        .one(db)
        .await?;
    let Some(session) = session else {
        return Ok(Applied::NotOurs);
    };
    if payment.is_none()
        && matches!(
            event,
            ProviderEvent::Authorized { .. } | ProviderEvent::Captured { .. }
        )
        && let Some(cart_id) =
            crate::carts::cart_of_payment_collection(db, &session.payment_collection_id).await?
    {
        return Ok(Applied::CompleteCart(cart_id));
    }
    let txn = crate::db::begin_write(db).await?;
    match (event, &payment) {
        (ProviderEvent::Captured { captured, .. }, Some(payment)) => {
            let captured = (*captured).min(payment.amount);
            let updated = payment::Entity::update_many()
                .col_expr(payment::Column::CapturedAmount, Expr::value(captured))
                .col_expr(payment::Column::UpdatedAt, Expr::value(Utc::now()))
                .filter(payment::Column::Id.eq(&payment.id))
                .filter(payment::Column::CapturedAmount.lt(captured))
                .exec(&txn)
                .await?;
            if updated.rows_affected > 0 {
                let to = if captured == payment.amount {
                    collection::Status::Completed
                } else {
                    collection::Status::PartiallyCaptured
                };
                set_collection_status(&txn, &payment.payment_collection_id, to).await?;
            }
        }
        (ProviderEvent::Refunded { refunded, .. }, Some(payment)) => {
            payment::Entity::update_many()
                .col_expr(payment::Column::RefundedAmount, Expr::value(*refunded))
                .col_expr(payment::Column::UpdatedAt, Expr::value(Utc::now()))
                .filter(payment::Column::Id.eq(&payment.id))
                .filter(payment::Column::RefundedAmount.lt(*refunded))
                .exec(&txn)
                .await?;
        }
        (ProviderEvent::Canceled { .. }, Some(payment)) => {
            let updated = payment::Entity::update_many()
                .col_expr(payment::Column::CanceledAt, Expr::value(Some(Utc::now())))
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
        }
        (ProviderEvent::Canceled { .. }, None) => {
            set_session_status(&txn, &session.id, session::Status::Canceled).await?;
        }
        (ProviderEvent::Failed { message, .. }, None) => {
            tracing::info!(session = %session.id, message, "payment failed at the provider");
            set_session_status(&txn, &session.id, session::Status::Error).await?;
        }
        (ProviderEvent::Disputed { amount, reason, .. }, Some(payment)) => {
            events::emit(
                &txn,
                PAYMENT_DISPUTED,
                &serde_json::json!({
                    "payment_id": payment.id,
                    "amount": amount,
                    "reason": reason,
                }),
            )
            .await?;
            tracing::error!(payment = %payment.id, amount, reason, "a payment is disputed");
            let message = format!(
                "payment {} of {amount} (minor units) is disputed by the cardholder: {reason}",
                payment.id
            );
            // About the machine that sold, or else about the online order.
            if let Some(device_id) = device_of_payment(&txn, &payment.id).await? {
                alerts::raise(&txn, Kind::PaymentDisputed, &device_id, &message).await?;
            } else if let Some(order) = order::Entity::find()
                .filter(order::Column::PaymentCollectionId.eq(&payment.payment_collection_id))
                .one(&txn)
                .await?
            {
                let message = format!("order {}: {message}", order.id);
                alerts::raise_for_order(&txn, Kind::PaymentDisputed, &order.id, &message).await?;
            }
        }
        // A payment is authorized already (its own call recorded it), or a
        // session is not a payment yet: nothing to follow.
        _ => {}
    }
    insert_seen(&txn, provider_id, event_id, event_type).await?;
    txn.commit().await?;
    Ok(Applied::Done)
}

/// Records an event as handled (after completing its cart).
pub async fn record_event(
    db: &impl ConnectionTrait,
    provider_id: &str,
    event_id: &str,
    event_type: &str,
) -> Result<(), DomainError> {
    insert_seen(db, provider_id, event_id, event_type).await
}

async fn seen(
    db: &impl ConnectionTrait,
    provider_id: &str,
    event_id: &str,
) -> Result<bool, DomainError> {
    Ok(
        entity::Entity::find_by_id((provider_id.to_owned(), event_id.to_owned()))
            .one(db)
            .await?
            .is_some(),
    )
}

async fn insert_seen(
    db: &impl ConnectionTrait,
    provider_id: &str,
    event_id: &str,
    event_type: &str,
) -> Result<(), DomainError> {
    entity::Entity::insert(entity::ActiveModel {
        provider_id: Set(provider_id.to_owned()),
        event_id: Set(event_id.to_owned()),
        event_type: Set(event_type.to_owned()),
        received_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing()
    .exec(db)
    .await?;
    Ok(())
}

/// Only a session still waiting on the provider takes news of it.
async fn set_session_status(
    db: &impl ConnectionTrait,
    session_id: &str,
    to: session::Status,
) -> Result<(), DomainError> {
    session::Entity::update_many()
        .col_expr(session::Column::Status, Expr::value(to))
        .filter(session::Column::Id.eq(session_id))
        .filter(
            session::Column::Status
                .is_in([session::Status::Pending, session::Status::RequiresMore]),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The machine whose session holds this payment, if a machine's.
pub async fn device_of_payment(
    db: &impl ConnectionTrait,
    payment_id: &str,
) -> Result<Option<String>, DomainError> {
    Ok(device_session::Entity::find()
        .filter(device_session::Column::PaymentId.eq(payment_id))
        .one(db)
        .await?
        .map(|s| s.device_id))
}
