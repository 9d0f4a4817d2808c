//! Customer groups and who is in them.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession,
};

use super::{customer, group, group_member};
use crate::{
    DomainError,
    db::{Writable, begin_write},
    ids::new_id,
    paging::{Page, page_of, row_offset},
};

pub async fn create_group(db: &impl Writable, name: &str) -> Result<group::Model, DomainError> {
    let name = checked_name(name)?;
    let txn = begin_write(db).await?;
    check_name_is_free(&txn, &name, None).await?;
    let now = Utc::now();
    let created = group::ActiveModel {
        id: Set(new_id("cusgroup")),
        name: Set(name),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn rename_group(
    db: &impl Writable,
    id: &str,
    name: &str,
) -> Result<group::Model, DomainError> {
    let name = checked_name(name)?;
    let txn = begin_write(db).await?;
    let group = find_group(&txn, id).await?;
    check_name_is_free(&txn, &name, Some(id)).await?;
    let mut active = group.into_active_model();
    active.name = Set(name);
    active.updated_at = Set(Utc::now());
    let renamed = active.update(&txn).await?;
    txn.commit().await?;
    Ok(renamed)
}

/// Deletes a group; its customers stay, outside it.
pub async fn delete_group(db: &impl Writable, id: &str) -> Result<(), DomainError> {
    let txn = begin_write(db).await?;
    let deleted = group::Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(DomainError::not_found("customer group", id));
    }
    txn.commit().await?;
    Ok(())
}

pub async fn find_group(db: &impl ConnectionTrait, id: &str) -> Result<group::Model, DomainError> {
    group::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("customer group", id))
}

/// Groups whose name contains `q` (any case), by name.
pub async fn list_group_page(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<Page<group::Model>, DomainError> {
    let mut select = group::Entity::find();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(crate::db::contains_ignoring_case(group::Column::Name, q));
    }
    let select = select
        .order_by_asc(group::Column::Name)
        .order_by_asc(group::Column::Id);
    page_of(db, select, offset, limit).await
}

/// Adds the customers `add` to the group and takes `remove` out; all or
/// nothing (an unknown customer refuses the whole change).
pub async fn change_group_members(
    db: &impl Writable,
    group_id: &str,
    add: &[String],
    remove: &[String],
) -> Result<(), DomainError> {
    let txn = begin_write(db).await?;
    find_group(&txn, group_id).await?;
    let known = customer::Entity::find()
        .filter(customer::Column::Id.is_in(add))
        .filter(customer::Column::DeletedAt.is_null())
        .count(&txn)
        .await?;
    let mut wanted: Vec<&String> = add.iter().collect();
    wanted.sort();
    wanted.dedup();
    if known != wanted.len() as u64 {
        let missing = first_unknown(&txn, &wanted).await?;
        return Err(DomainError::not_found("customer", missing));
    }
    group_member::Entity::delete_many()
        .filter(group_member::Column::CustomerGroupId.eq(group_id))
        .filter(group_member::Column::CustomerId.is_in(remove))
        .exec(&txn)
        .await?;
    for customer_id in wanted {
        join(&txn, group_id, customer_id).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Puts one customer into the groups `add` and out of `remove`; all or
/// nothing (an unknown group refuses the whole change).
pub async fn change_customer_groups(
    db: &impl Writable,
    customer_id: &str,
    add: &[String],
    remove: &[String],
) -> Result<(), DomainError> {
    let txn = begin_write(db).await?;
    customer::Entity::find_by_id(customer_id)
        .filter(customer::Column::DeletedAt.is_null())
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::not_found("Customer", customer_id))?;
    for group_id in add {
        crate::error::referenced(find_group(&txn, group_id).await, "customer group", group_id)?;
    }
    group_member::Entity::delete_many()
        .filter(group_member::Column::CustomerId.eq(customer_id))
        .filter(group_member::Column::CustomerGroupId.is_in(remove))
        .exec(&txn)
        .await?;
    for group_id in add {
        join(&txn, group_id, customer_id).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Puts the customer in the group; already there is no change.
async fn join(
    db: &impl ConnectionTrait,
    group_id: &str,
    customer_id: &str,
) -> Result<(), DomainError> {
    group_member::Entity::insert(group_member::ActiveModel {
        customer_group_id: Set(group_id.to_owned()),
        customer_id: Set(customer_id.to_owned()),
        created_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing()
    .exec(db)
    .await?;
    Ok(())
}

/// The first of `ids` that names no customer.
async fn first_unknown(db: &impl ConnectionTrait, ids: &[&String]) -> Result<String, DomainError> {
    let found: Vec<String> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .filter(customer::Column::Id.is_in(ids.iter().copied()))
        .filter(customer::Column::DeletedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids
        .iter()
        .find(|id| !found.contains(id))
        .map(|id| (*id).clone())
        .unwrap_or_default())
}

/// A page of the group's customers, by email.
pub async fn group_members(
    db: &impl ConnectionTrait,
    group_id: &str,
    offset: u64,
    limit: u64,
) -> Result<Page<customer::Model>, DomainError> {
    crate::catalog::check_page_size(limit)?;
    let ids = group_member::Entity::find()
        .select_only()
        .column(group_member::Column::CustomerId)
        .filter(group_member::Column::CustomerGroupId.eq(group_id));
    let select = customer::Entity::find()
        .filter(customer::Column::Id.in_subquery(sea_orm::QueryTrait::into_query(ids)))
        .filter(customer::Column::DeletedAt.is_null());
    let count = select.clone().count(db).await?;
    let items = select
        .order_by_asc(customer::Column::Email)
        .order_by_asc(customer::Column::Id)
        .offset(row_offset(offset))
        .limit(limit)
        .all(db)
        .await?;
    Ok(Page {
        items,
        count,
        offset,
        limit,
    })
}

/// The groups `customer_id` is in, by name.
pub async fn groups_of_customer(
    db: &impl ConnectionTrait,
    customer_id: &str,
) -> Result<Vec<group::Model>, DomainError> {
    let ids = group_member::Entity::find()
        .select_only()
        .column(group_member::Column::CustomerGroupId)
        .filter(group_member::Column::CustomerId.eq(customer_id));
    Ok(group::Entity::find()
        .filter(group::Column::Id.in_subquery(sea_orm::QueryTrait::into_query(ids)))
        .order_by_asc(group::Column::Name)
        .order_by_asc(group::Column::Id)
        .all(db)
        .await?)
}

/// How many customers each of `group_ids` has.
pub async fn member_counts(
    db: &impl ConnectionTrait,
    group_ids: &[String],
) -> Result<HashMap<String, i64>, DomainError> {
    #[derive(FromQueryResult)]
    struct Row {
        customer_group_id: String,
        members: i64,
    }
    let rows = group_member::Entity::find()
        .select_only()
        .column(group_member::Column::CustomerGroupId)
        .column_as(group_member::Column::CustomerId.count(), "members")
        .filter(group_member::Column::CustomerGroupId.is_in(group_ids))
        .group_by(group_member::Column::CustomerGroupId)
        .into_model::<Row>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.customer_group_id, r.members))
        .collect())
}

fn checked_name(name: &str) -> Result<String, DomainError> {
    crate::text::required(
        name,
        "a customer group's name",
        100,
        "a customer group needs a name",
    )
}

async fn check_name_is_free(
    db: &impl ConnectionTrait,
    name: &str,
    except: Option<&str>,
) -> Result<(), DomainError> {
    let taken = group::Entity::find()
        .filter(group::Column::Name.eq(name))
        .one(db)
        .await?
        .is_some_and(|g| Some(g.id.as_str()) != except);
    if taken {
        return Err(DomainError::Conflict(format!(
            "a customer group named {name} already exists"
        )));
    }
    Ok(())
}
