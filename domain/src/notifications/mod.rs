//! Notifications: every message the store sends (emails to shoppers and
//! admins, alert posts to chat), kept so an operator sees what went out,
//! what failed and why, and can send one again.
//!
//! A sender records a message ([`prepare`]) before it tries and the outcome
//! ([`record_outcome`]) after. The record is keyed by the outbox delivery
//! that caused it, so the dispatcher's retries update one record instead of
//! adding one per attempt, and a delivery repeated after a crash finds its
//! message already sent and does not send it twice. A resend is a new
//! record pointing at the original, sent by a subscriber of
//! [`NOTIFICATION_RESEND`] (durable before the admin is answered).

pub mod notification;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DeriveActiveEnum, EntityTrait, EnumIter,
    QueryFilter, QueryOrder, Set, TransactionSession,
    sea_query::{Expr, ExprTrait, StringLen},
};
use serde::{Deserialize, Serialize};

use crate::{
    DomainError,
    db::{Writable, begin_write, write_turn},
    events,
    ids::new_id,
    paging::{Page, page_of},
    states::display_as_word,
};

/// The outbox event that sends a resend; its payload is `{"id": …}`.
pub const NOTIFICATION_RESEND: &str = "notification.resend";

/// How it is carried, Medusa's `channel`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Slack,
    /// Text messages (loyalty's one-time codes, kept without the code).
    Sms,
}

/// Where a message is, in Medusa's words.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Recorded, not sent yet (or being sent).
    Pending,
    Success,
    /// The last attempt failed; the outbox retries it with back-off.
    Failure,
}

display_as_word!(Channel, Status);

/// A message about to go out.
#[derive(Debug, Clone)]
pub struct Message {
    pub channel: Channel,
    pub recipients: Vec<String>,
    pub template: &'static str,
    pub trigger_type: String,
    pub subject: String,
    /// What is kept of the body (the sender cuts out one-time secrets).
    pub text: String,
    pub html: Option<String>,
    pub resendable: bool,
    /// What it is about, e.g. `("order", "order_…")`.
    pub resource: Option<(&'static str, String)>,
    pub provider_id: &'static str,
}

/// What [`prepare`] found.
#[derive(Debug)]
pub enum Prepared {
    /// Send it, then [`record_outcome`].
    Send(notification::Model),
    /// An earlier delivery of the same event sent it already.
    AlreadySent(notification::Model),
}

/// Records `message` for the delivery named `key` (event and subscriber),
/// or finds the record an earlier attempt of that delivery made.
pub async fn prepare(
    db: &impl Writable,
    key: &str,
    message: Message,
) -> Result<Prepared, DomainError> {
    if let Some(existing) = by_key(db, key).await? {
        return Ok(match existing.status {
            Status::Success => Prepared::AlreadySent(existing),
            _ => Prepared::Send(existing),
        });
    }
    let now = Utc::now();
    let (resource_type, resource_id) = match message.resource {
        Some((kind, id)) => (Some(kind.to_owned()), Some(id)),
        None => (None, None),
    };
    let record = notification::ActiveModel {
        id: Set(new_id("noti")),
        channel: Set(message.channel),
        recipient: Set(message.recipients.join(", ")),
        template: Set(message.template.to_owned()),
        trigger_type: Set(message.trigger_type),
        subject: Set(message.subject),
        body_text: Set(message.text),
        body_html: Set(message.html),
        resendable: Set(message.resendable),
        resource_type: Set(resource_type),
        resource_id: Set(resource_id),
        provider_id: Set(message.provider_id.to_owned()),
        status: Set(Status::Pending),
        attempts: Set(0),
        last_error: Set(None),
        idempotency_key: Set(Some(key.to_owned())),
        original_notification_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        sent_at: Set(None),
    };
    let turn = write_turn(db).await?;
    let inserted = record.insert(db).await?;
    drop(turn);
    Ok(Prepared::Send(inserted))
}

async fn by_key(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<notification::Model>, DomainError> {
    Ok(notification::Entity::find()
        .filter(notification::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?)
}

/// Records how one attempt to send the notification went.
pub async fn record_outcome(
    db: &impl Writable,
    id: &str,
    outcome: &Result<(), String>,
) -> Result<(), DomainError> {
    let now = Utc::now();
    let mut update = notification::Entity::update_many()
        .col_expr(
            notification::Column::Attempts,
            Expr::col(notification::Column::Attempts).add(1),
        )
        .col_expr(notification::Column::UpdatedAt, Expr::value(now))
        .filter(notification::Column::Id.eq(id));
    update = match outcome {
        Ok(()) => update
            .col_expr(notification::Column::Status, Expr::value(Status::Success))
            .col_expr(notification::Column::SentAt, Expr::value(Some(now)))
            .col_expr(
                notification::Column::LastError,
                Expr::value(Option::<String>::None),
            ),
        Err(error) => update
            .col_expr(notification::Column::Status, Expr::value(Status::Failure))
            .col_expr(notification::Column::LastError, Expr::value(error.clone())),
    };
    let turn = write_turn(db).await?;
    update.exec(db).await?;
    drop(turn);
    Ok(())
}

/// Which notifications to list; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<Status>,
    pub channel: Option<Channel>,
    /// The order (or alert, customer…) it is about.
    pub resource_id: Option<String>,
}

/// Notifications, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &Filter,
    offset: u64,
    limit: u64,
) -> Result<Page<notification::Model>, DomainError> {
    let mut select = notification::Entity::find();
    if let Some(status) = filter.status {
        select = select.filter(notification::Column::Status.eq(status));
    }
    if let Some(channel) = filter.channel {
        select = select.filter(notification::Column::Channel.eq(channel));
    }
    if let Some(resource) = &filter.resource_id {
        select = select.filter(notification::Column::ResourceId.eq(resource));
    }
    let select = select
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id);
    page_of(db, select, offset, limit).await
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<notification::Model, DomainError> {
    notification::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Notification", id))
}

/// Queues the notification to be sent again, as a new record that points
/// at the first one. A message with a one-time link cannot be resent (the
/// customer asks for a new link, the admin resends the invite), nor one
/// still on its way.
pub async fn resend(db: &impl Writable, id: &str) -> Result<notification::Model, DomainError> {
    let original = find(db, id).await?;
    if !original.resendable {
        return Err(DomainError::NotAllowed(format!(
            "notification {id} held a one-time link and is kept without it, so it cannot be sent again; \
             ask for a new link instead (a new password reset, or resend the invite)"
        )));
    }
    if original.status == Status::Pending {
        return Err(DomainError::Conflict(format!(
            "notification {id} is still being sent"
        )));
    }
    let now = Utc::now();
    let copy = notification::ActiveModel {
        id: Set(new_id("noti")),
        status: Set(Status::Pending),
        attempts: Set(0),
        last_error: Set(None),
        idempotency_key: Set(None),
        original_notification_id: Set(Some(
            original
                .original_notification_id
                .clone()
                .unwrap_or_else(|| original.id.clone()),
        )),
        created_at: Set(now),
        updated_at: Set(now),
        sent_at: Set(None),
        channel: Set(original.channel),
        recipient: Set(original.recipient),
        template: Set(original.template),
        trigger_type: Set(original.trigger_type),
        subject: Set(original.subject),
        body_text: Set(original.body_text),
        body_html: Set(original.body_html),
        resendable: Set(true),
        resource_type: Set(original.resource_type),
        resource_id: Set(original.resource_id),
        provider_id: Set(original.provider_id),
    };
    let txn = begin_write(db).await?;
    let copy = copy.insert(&txn).await?;
    events::emit(
        &txn,
        NOTIFICATION_RESEND,
        &serde_json::json!({ "id": copy.id }),
    )
    .await?;
    txn.commit().await?;
    Ok(copy)
}

/// Forgets notifications created before `before` (their bodies are kept
/// for the feed, not for ever); how many went.
pub async fn prune(db: &impl Writable, before: DateTime<Utc>) -> Result<u64, DomainError> {
    let turn = write_turn(db).await?;
    let removed = notification::Entity::delete_many()
        .filter(notification::Column::CreatedAt.lt(before))
        .filter(notification::Column::Status.ne(Status::Pending))
        .exec(db)
        .await?
        .rows_affected;
    drop(turn);
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::{Channel, Status};
    use crate::states::assert_words;

    #[test]
    fn channels_and_statuses_keep_their_stored_words() {
        assert_words::<Channel>(&["email", "slack", "sms"]);
        assert_words::<Status>(&["pending", "success", "failure"]);
    }
}
