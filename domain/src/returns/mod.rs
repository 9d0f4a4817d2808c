//! Returns: items of an order a customer sends back ([`order_returns`]),
//! and the store's list of return reasons they choose from.

pub mod order_return;
pub mod order_returns;
pub mod return_item;
pub mod return_reason;
pub mod rules;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionSession,
};

use crate::{
    DomainError,
    db::{Writable, begin_write},
    ids::new_id,
    paging::{Page, page_of},
};

/// A return reason's fields; on update `None` keeps a field, an empty
/// description clears it.
#[derive(Debug, Clone, Default)]
pub struct ReturnReasonFields {
    pub value: Option<String>,
    pub label: Option<String>,
    pub description: Option<String>,
}

pub async fn create_return_reason(
    db: &impl Writable,
    fields: ReturnReasonFields,
) -> Result<return_reason::Model, DomainError> {
    let now = Utc::now();
    let reason = checked(return_reason::Model {
        id: new_id("rr"),
        value: fields.value.unwrap_or_default(),
        label: fields.label.unwrap_or_default(),
        description: fields.description,
        created_at: now,
        updated_at: now,
    })?;
    let txn = begin_write(db).await?;
    check_value_is_free(&txn, &reason.value, None).await?;
    let created = return_reason::ActiveModel::from(reason)
        .insert(&txn)
        .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update_return_reason(
    db: &impl Writable,
    id: &str,
    fields: ReturnReasonFields,
) -> Result<return_reason::Model, DomainError> {
    let txn = begin_write(db).await?;
    let before = find_return_reason(&txn, id).await?;
    let after = checked(return_reason::Model {
        value: fields.value.unwrap_or_else(|| before.value.clone()),
        label: fields.label.unwrap_or_else(|| before.label.clone()),
        description: match fields.description {
            Some(d) => Some(d),
            None => before.description.clone(),
        },
        updated_at: Utc::now(),
        ..before.clone()
    })?;
    if after.value != before.value {
        check_value_is_free(&txn, &after.value, Some(id)).await?;
    }
    let mut active = before.into_active_model();
    active.value = Set(after.value);
    active.label = Set(after.label);
    active.description = Set(after.description);
    active.updated_at = Set(after.updated_at);
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn delete_return_reason(db: &impl Writable, id: &str) -> Result<(), DomainError> {
    let txn = begin_write(db).await?;
    let deleted = return_reason::Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(DomainError::not_found("return reason", id));
    }
    txn.commit().await?;
    Ok(())
}

pub async fn find_return_reason(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<return_reason::Model, DomainError> {
    return_reason::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("return reason", id))
}

/// Return reasons whose value or label contains `q` (any case), by label.
pub async fn list_return_reason_page(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<Page<return_reason::Model>, DomainError> {
    let mut select = return_reason::Entity::find();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(
            sea_orm::Condition::any()
                .add(crate::db::contains_ignoring_case(
                    return_reason::Column::Value,
                    q,
                ))
                .add(crate::db::contains_ignoring_case(
                    return_reason::Column::Label,
                    q,
                )),
        );
    }
    let select = select
        .order_by_asc(return_reason::Column::Label)
        .order_by_asc(return_reason::Column::Id);
    page_of(db, select, offset, limit).await
}

/// `reason` trimmed, if it can be kept: a value that is one word of at most
/// 64 characters (clients send it), a label, a description if any.
fn checked(mut reason: return_reason::Model) -> Result<return_reason::Model, DomainError> {
    reason.value = reason.value.trim().to_owned();
    reason.label = reason.label.trim().to_owned();
    reason.description = reason
        .description
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if reason.value.is_empty() || reason.label.is_empty() {
        return Err(DomainError::Invalid(
            "a return reason needs a value and a label".into(),
        ));
    }
    if reason.value.len() > 64 || reason.value.chars().any(char::is_whitespace) {
        return Err(DomainError::Invalid(format!(
            "{:?} is not a return reason value: one word, up to 64 characters (e.g. damaged)",
            reason.value
        )));
    }
    if reason.label.chars().count() > 200 {
        return Err(DomainError::Invalid(
            "a return reason's label has at most 200 characters".into(),
        ));
    }
    Ok(reason)
}

async fn check_value_is_free(
    db: &impl ConnectionTrait,
    value: &str,
    except: Option<&str>,
) -> Result<(), DomainError> {
    let taken = return_reason::Entity::find()
        .filter(return_reason::Column::Value.eq(value))
        .one(db)
        .await?
        .is_some_and(|r| Some(r.id.as_str()) != except);
    if taken {
        return Err(DomainError::Conflict(format!(
            "a return reason with value {value} already exists"
        )));
    }
    Ok(())
}
