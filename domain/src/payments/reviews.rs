//! The review list: payments an operator has to look at, e.g. a machine's
//! sale whose capture the provider refused after the shopper left, or an
//! online order's capture that was declined. Each item is retried, its hold
//! voided, or resolved with a note; every action is kept with the admin who
//! took it and when (the session's timeline shows them).
//!
//! Like every payment change, an action asks the provider first, outside
//! any write transaction, and records the answer in a short one.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionSession, sea_query::Expr,
};

use super::{AskedFor, Providers, payment};
use crate::{DomainError, ids::new_id, vending::device_session};

pub mod review {
    use sea_orm::entity::prelude::*;

    /// A payment waiting for an operator's decision.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment_reviews")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// One of [`super::Reason`].
        pub reason: String,
        pub payment_id: String,
        /// The refused operation that put it here, if one did.
        #[sea_orm(unique)]
        pub operation_id: Option<String>,
        pub device_session_id: Option<String>,
        pub order_id: Option<String>,
        /// What was due, minor units.
        pub amount: i64,
        pub currency_code: String,
        /// What went wrong, in the provider's words.
        #[sea_orm(column_type = "Text")]
        pub detail: String,
        pub created_at: DateTimeUtc,
        pub resolved_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod action {
    use sea_orm::entity::prelude::*;

    /// What an admin did about a review item, and what came of it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment_review_actions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub review_id: String,
        /// One of [`super::Action`].
        pub action: String,
        pub admin_user_id: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub note: Option<String>,
        #[sea_orm(column_type = "Text")]
        pub outcome: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use review::Model as Review;

/// Why a payment is in the review list. An enum (stored by name) so that
/// other reasons (a disputed charge, an unexplained return) join the same
/// list later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The provider refused to capture money the store is owed.
    CaptureFailed,
}

impl Reason {
    pub const ALL: [Reason; 1] = [Reason::CaptureFailed];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::CaptureFailed => "capture_failed",
        }
    }

    /// How the list shows it.
    pub fn label(self) -> &'static str {
        match self {
            Reason::CaptureFailed => "Capture failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What an admin can do about a review item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Ask the provider to capture again (a new attempt, with its own key).
    RetryCapture,
    /// Give the shopper's hold back: the store forgoes the money.
    VoidHold,
    /// Close the item with a note (settled outside the store, written off).
    Resolve,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::RetryCapture => "retry_capture",
            Action::VoidHold => "void_hold",
            Action::Resolve => "resolve",
        }
    }
}

/// What opens a review item.
pub struct Opening<'a> {
    pub reason: Reason,
    pub payment: &'a payment::Model,
    pub operation_id: Option<&'a str>,
    pub device_session_id: Option<&'a str>,
    pub order_id: Option<&'a str>,
    pub amount: i64,
    pub detail: &'a str,
}

/// Puts a payment in the review list, in the caller's transaction; a
/// payment already open there for the same reason stays one item (its
/// detail becomes the latest refusal).
pub async fn open(db: &impl ConnectionTrait, opening: Opening<'_>) -> Result<Review, DomainError> {
    if let Some(existing) = review::Entity::find()
        .filter(review::Column::PaymentId.eq(&opening.payment.id))
        .filter(review::Column::Reason.eq(opening.reason.as_str()))
        .filter(review::Column::ResolvedAt.is_null())
        .one(db)
        .await?
    {
        let mut active: review::ActiveModel = existing.into();
        active.detail = Set(opening.detail.to_owned());
        return Ok(active.update(db).await?);
    }
    Ok(review::ActiveModel {
        id: Set(new_id("payrev")),
        reason: Set(opening.reason.as_str().to_owned()),
        payment_id: Set(opening.payment.id.clone()),
        operation_id: Set(opening.operation_id.map(str::to_owned)),
        device_session_id: Set(opening.device_session_id.map(str::to_owned)),
        order_id: Set(opening.order_id.map(str::to_owned)),
        amount: Set(opening.amount),
        currency_code: Set(opening.payment.currency_code.clone()),
        detail: Set(opening.detail.to_owned()),
        created_at: Set(Utc::now()),
        resolved_at: Set(None),
    }
    .insert(db)
    .await?)
}

/// Which items a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Showing {
    #[default]
    Open,
    Resolved,
    All,
}

/// One page of review items, newest first, and how many there are.
pub async fn list(
    db: &impl ConnectionTrait,
    showing: Showing,
    offset: u64,
    limit: u64,
) -> Result<crate::paging::Page<Review>, DomainError> {
    let mut query = review::Entity::find();
    query = match showing {
        Showing::Open => query.filter(review::Column::ResolvedAt.is_null()),
        Showing::Resolved => query.filter(review::Column::ResolvedAt.is_not_null()),
        Showing::All => query,
    };
    let query = query
        .order_by_desc(review::Column::CreatedAt)
        .order_by_desc(review::Column::Id);
    crate::paging::page_of(db, query, offset, limit).await
}

/// How many items wait for an operator.
pub async fn open_count(db: &impl ConnectionTrait) -> Result<u64, DomainError> {
    Ok(review::Entity::find()
        .filter(review::Column::ResolvedAt.is_null())
        .count(db)
        .await?)
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<Review, DomainError> {
    review::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Review item", id))
}

/// The actions taken on these items, oldest first.
pub async fn actions_of(
    db: &impl ConnectionTrait,
    review_ids: &[String],
) -> Result<Vec<action::Model>, DomainError> {
    if review_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(action::Entity::find()
        .filter(action::Column::ReviewId.is_in(review_ids.iter().cloned()))
        .order_by_asc(action::Column::CreatedAt)
        .order_by_asc(action::Column::Id)
        .all(db)
        .await?)
}

/// The review items of a machine's session, oldest first, and every action
/// taken on them: the session's timeline shows them.
pub async fn of_session(
    db: &impl ConnectionTrait,
    session_id: &str,
) -> Result<(Vec<Review>, Vec<action::Model>), DomainError> {
    let reviews = review::Entity::find()
        .filter(review::Column::DeviceSessionId.eq(session_id))
        .order_by_asc(review::Column::CreatedAt)
        .all(db)
        .await?;
    let ids: Vec<String> = reviews.iter().map(|r| r.id.clone()).collect();
    let actions = actions_of(db, &ids).await?;
    Ok((reviews, actions))
}

/// An open item, or why it cannot be acted on.
async fn open_item(db: &impl ConnectionTrait, id: &str) -> Result<Review, DomainError> {
    let item = find(db, id).await?;
    if item.resolved_at.is_some() {
        return Err(DomainError::Conflict(format!(
            "review item {id} is resolved already"
        )));
    }
    Ok(item)
}

/// Asks the provider to capture what is due again. Captured, the item is
/// resolved; refused again, it stays open with the refusal recorded. The
/// action is recorded either way, and the provider's refusal answered as an
/// error.
pub async fn retry_capture<C: crate::db::Writable>(
    db: &C,
    providers: &Providers,
    id: &str,
    admin_user_id: &str,
    note: Option<String>,
) -> Result<Review, DomainError> {
    let item = open_item(db, id).await?;
    let by = AskedFor::admin(admin_user_id, note);
    let payment = super::find_payment(db, &item.payment_id).await?;
    let due = item.amount.min(payment.amount - payment.captured_amount);
    // The action's id makes the attempt's idempotency key: a new attempt,
    // where the refused key would only get the provider's refusal again.
    let action_id = new_id("payrevact");
    let answer = super::try_capture(
        db,
        providers,
        &item.payment_id,
        Some(due),
        &by,
        Some(&action_id),
    )
    .await;
    let (outcome, resolves, error) = match answer {
        Ok(Ok(captured)) => (
            format!(
                "captured {} (minor units of {})",
                due, captured.currency_code
            ),
            true,
            None,
        ),
        Ok(Err(refused)) => {
            let e = super::provider_failure(refused);
            (format!("refused: {e}"), false, Some(e))
        }
        Err(e) => (format!("failed: {e}"), false, Some(e)),
    };
    record_action(
        db,
        &item,
        action_id,
        Action::RetryCapture,
        &by,
        outcome,
        resolves,
    )
    .await?;
    match error {
        Some(e) => Err(e),
        None => find(db, id).await,
    }
}

/// Releases the shopper's hold (nothing is taken) and resolves the item.
pub async fn void_hold<C: crate::db::Writable>(
    db: &C,
    providers: &Providers,
    id: &str,
    admin_user_id: &str,
    note: Option<String>,
) -> Result<Review, DomainError> {
    let item = open_item(db, id).await?;
    let by = AskedFor::admin(admin_user_id, note);
    let answer = super::cancel(db, providers, &item.payment_id).await;
    let (outcome, resolves, error) = match answer {
        Ok(_) => ("hold released; nothing taken".to_owned(), true, None),
        Err(e) => (format!("failed: {e}"), false, Some(e)),
    };
    record_action(
        db,
        &item,
        new_id("payrevact"),
        Action::VoidHold,
        &by,
        outcome,
        resolves,
    )
    .await?;
    match error {
        Some(e) => Err(e),
        None => find(db, id).await,
    }
}

/// Closes the item with a note saying why (a note is required).
pub async fn resolve<C: crate::db::Writable>(
    db: &C,
    id: &str,
    admin_user_id: &str,
    note: String,
) -> Result<Review, DomainError> {
    let by = AskedFor::admin(admin_user_id, Some(note));
    if by.note.is_none() {
        return Err(DomainError::Invalid(
            "say in a note how this was resolved".into(),
        ));
    }
    let item = open_item(db, id).await?;
    record_action(
        db,
        &item,
        new_id("payrevact"),
        Action::Resolve,
        &by,
        "resolved".to_owned(),
        true,
    )
    .await?;
    find(db, id).await
}

/// Keeps the action, and closes the item when it `resolves` it (unless
/// another admin closed it meanwhile: the action is kept all the same).
async fn record_action<C: crate::db::Writable>(
    db: &C,
    item: &Review,
    action_id: String,
    action: Action,
    by: &AskedFor,
    outcome: String,
    resolves: bool,
) -> Result<(), DomainError> {
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    action::ActiveModel {
        id: Set(action_id),
        review_id: Set(item.id.clone()),
        action: Set(action.as_str().to_owned()),
        admin_user_id: Set(by.admin_user_id.clone().unwrap_or_default()),
        note: Set(by.note.clone()),
        outcome: Set(outcome),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    if resolves {
        review::Entity::update_many()
            .col_expr(review::Column::ResolvedAt, Expr::value(Some(now)))
            .filter(review::Column::Id.eq(&item.id))
            .filter(review::Column::ResolvedAt.is_null())
            .exec(&txn)
            .await?;
        if let Some(session_id) = &item.device_session_id {
            clear_session_flag(&txn, session_id).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// The session leaves the overview's "to review" count once none of its
/// payment items is open.
async fn clear_session_flag(
    db: &impl ConnectionTrait,
    session_id: &str,
) -> Result<(), DomainError> {
    let still_open = review::Entity::find()
        .select_only()
        .column(review::Column::Id)
        .filter(review::Column::DeviceSessionId.eq(session_id))
        .filter(review::Column::ResolvedAt.is_null())
        .into_tuple::<String>()
        .one(db)
        .await?;
    if still_open.is_none() {
        device_session::Entity::update_many()
            .col_expr(
                device_session::Column::ReviewReason,
                Expr::value(Option::<String>::None),
            )
            .filter(device_session::Column::Id.eq(session_id))
            .exec(db)
            .await?;
    }
    Ok(())
}
