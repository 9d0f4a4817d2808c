//! A return's life: a customer (or staff for them) asks to send items of a
//! fulfilled order back; when the goods arrive staff receive them, which
//! puts managed stock back at a location and refunds the items' share of
//! what was paid; a return not yet received can be canceled.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, sea_query::Expr,
};

use super::{
    order_return::{self, Status},
    return_item, return_reason,
    rules::{self, ReturnLine},
};
use crate::{
    DomainError,
    db::{Writable, begin_write},
    events,
    ids::new_id,
    inventory,
    orders::{self, fulfillment, order, order_item},
    paging::{Page, page_of},
    payments::{Providers, operations, payment},
};

/// Emitted when a return is received; payload `{"id": order_id, "return_id": …}`.
pub const RETURN_RECEIVED: &str = "order.return_received";

/// A return with its items.
#[derive(Debug, Clone)]
pub struct ReturnDetail {
    pub order_return: order_return::Model,
    pub items: Vec<return_item::Model>,
    /// The order's currency, which the refund is in.
    pub currency_code: String,
}

/// Who asks for a return: the customer who placed the order, or staff.
#[derive(Debug, Clone, Copy)]
pub enum Requester<'a> {
    Customer(&'a str),
    Staff,
}

#[derive(Debug, Clone, Default)]
pub struct ReturnRequest {
    pub order_id: String,
    pub lines: Vec<ReturnLine>,
    pub note: Option<String>,
    /// Where the goods will come back to; the fulfilment's location if none.
    pub location_id: Option<String>,
}

/// Records a return of items of a fulfilled order. A customer can only ask
/// for their own orders (any other is "not found", so order ids cannot be
/// probed). The order's row is locked first, so two requests at once cannot
/// both return the last unit.
pub async fn request(
    db: &impl Writable,
    requester: Requester<'_>,
    request: ReturnRequest,
) -> Result<ReturnDetail, DomainError> {
    let note = crate::text::optional(request.note.as_deref(), "a note", rules::MAX_NOTE_CHARS)?;
    let lines: Vec<ReturnLine> = request
        .lines
        .into_iter()
        .map(|l| ReturnLine {
            note: trimmed(l.note),
            reason_id: trimmed(l.reason_id),
            ..l
        })
        .collect();
    let txn = begin_write(db).await?;
    let id = &request.order_id;
    order::Entity::update_many()
        .col_expr(order::Column::Id, Expr::col(order::Column::Id))
        .filter(order::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let order = order::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .filter(|o| match requester {
            Requester::Customer(customer) => o.customer_id.as_deref() == Some(customer),
            Requester::Staff => true,
        })
        .ok_or_else(|| DomainError::not_found("Order", id))?;
    if order.canceled_at.is_some() {
        return Err(DomainError::Conflict(format!(
            "order {id} is canceled: there is nothing to return"
        )));
    }
    if orders::sold_at_machine(&txn, id).await? {
        return Err(DomainError::Conflict(format!(
            "order {id} was bought at a machine: bring the items back to a machine to return them"
        )));
    }
    let fulfilled = fulfillment::Entity::find()
        .filter(fulfillment::Column::OrderId.eq(id))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            DomainError::Conflict(format!(
                "order {id} has not been sent yet: cancel it instead of returning it"
            ))
        })?;
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(id))
        .all(&txn)
        .await?;
    let returned = returned_units(&txn, id).await?;
    rules::check_lines(&items, &returned, &lines)?;
    for reason_id in lines.iter().filter_map(|l| l.reason_id.as_ref()) {
        return_reason::Entity::find_by_id(reason_id)
            .one(&txn)
            .await?
            .ok_or_else(|| DomainError::not_found("Return reason", reason_id))?;
    }
    let location_id = match request.location_id {
        Some(location) => Some(existing_location(&txn, &location).await?),
        None => fulfilled.location_id,
    };
    let refund_amount = lines
        .iter()
        .filter_map(|l| {
            let item = items.iter().find(|i| i.id == l.order_item_id)?;
            Some(rules::refund_for(item, l.quantity))
        })
        .sum();
    let created = order_return::ActiveModel {
        id: Set(new_id("ret")),
        order_id: Set(id.clone()),
        status: Set(Status::Requested),
        location_id: Set(location_id),
        note: Set(note),
        requested_by: Set(match requester {
            Requester::Customer(customer) => Some(customer.to_owned()),
            Requester::Staff => None,
        }),
        refund_amount: Set(refund_amount),
        created_at: Set(Utc::now()),
        received_at: Set(None),
        canceled_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let mut saved = Vec::with_capacity(lines.len());
    for line in lines {
        let quantity = i32::try_from(line.quantity)
            .map_err(|_| DomainError::Invalid("a quantity is out of range".into()))?;
        saved.push(
            return_item::ActiveModel {
                id: Set(new_id("retitem")),
                return_id: Set(created.id.clone()),
                order_item_id: Set(line.order_item_id),
                quantity: Set(quantity),
                received_quantity: Set(0),
                reason_id: Set(line.reason_id),
                note: Set(line.note),
            }
            .insert(&txn)
            .await?,
        );
    }
    txn.commit().await?;
    Ok(ReturnDetail {
        order_return: created,
        items: saved,
        currency_code: order.currency_code,
    })
}

/// Receives every item of a requested return: managed stock goes back at
/// the return's location (or `location_id`, which replaces it), the refund
/// of the items' share of what was paid is recorded with the receipt and
/// asked of the provider after the commit (keyed by the return, so a retry
/// never refunds twice), and the customer is told. Receiving twice is
/// refused.
pub async fn receive(
    db: &DatabaseConnection,
    providers: &Providers,
    id: &str,
    location_id: Option<String>,
) -> Result<ReturnDetail, DomainError> {
    let txn = begin_write(db).await?;
    let location_id = match location_id {
        Some(location) => Some(existing_location(&txn, &location).await?),
        None => None,
    };
    let mut claim = order_return::Entity::update_many()
        .col_expr(order_return::Column::Status, Expr::value(Status::Received))
        .col_expr(order_return::Column::ReceivedAt, Expr::value(Utc::now()))
        .filter(order_return::Column::Id.eq(id))
        .filter(order_return::Column::Status.eq(Status::Requested));
    if let Some(location) = &location_id {
        claim = claim.col_expr(order_return::Column::LocationId, Expr::value(location));
    }
    let claimed = claim.exec(&txn).await?;
    let found = find_in(&txn, id).await?;
    if claimed.rows_affected == 0 {
        return Err(DomainError::Conflict(format!(
            "return {id} is {} and cannot be received",
            found.order_return.status
        )));
    }
    return_item::Entity::update_many()
        .col_expr(
            return_item::Column::ReceivedQuantity,
            Expr::col(return_item::Column::Quantity),
        )
        .filter(return_item::Column::ReturnId.eq(id))
        .exec(&txn)
        .await?;
    restock(&txn, &found).await?;
    let order = order::Entity::find_by_id(&found.order_return.order_id)
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::not_found("Order", &found.order_return.order_id))?;
    let refunded = request_refund(&txn, &order, &found.order_return).await?;
    order_return::Entity::update_many()
        .col_expr(order_return::Column::RefundAmount, Expr::value(refunded))
        .filter(order_return::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    events::emit(
        &txn,
        RETURN_RECEIVED,
        &serde_json::json!({ "id": order.id, "return_id": id }),
    )
    .await?;
    txn.commit().await?;
    orders::finish_paying(db, providers, &order).await;
    find(db, id).await
}

/// Calls off a return not yet received.
pub async fn cancel(db: &impl Writable, id: &str) -> Result<ReturnDetail, DomainError> {
    let txn = begin_write(db).await?;
    let canceled = order_return::Entity::update_many()
        .col_expr(order_return::Column::Status, Expr::value(Status::Canceled))
        .col_expr(order_return::Column::CanceledAt, Expr::value(Utc::now()))
        .filter(order_return::Column::Id.eq(id))
        .filter(order_return::Column::Status.eq(Status::Requested))
        .exec(&txn)
        .await?;
    let found = find_in(&txn, id).await?;
    if canceled.rows_affected == 0 && found.order_return.status != Status::Canceled {
        return Err(DomainError::Conflict(format!(
            "return {id} is {} and cannot be canceled",
            found.order_return.status
        )));
    }
    txn.commit().await?;
    Ok(found)
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<ReturnDetail, DomainError> {
    find_in(db, id).await
}

/// A return of this customer's; any other is "not found".
pub async fn find_for_customer(
    db: &impl ConnectionTrait,
    customer_id: &str,
    id: &str,
) -> Result<ReturnDetail, DomainError> {
    let found = find_in(db, id).await?;
    let owner = order::Entity::find_by_id(&found.order_return.order_id)
        .one(db)
        .await?
        .and_then(|o| o.customer_id);
    if owner.as_deref() != Some(customer_id) {
        return Err(DomainError::not_found("Return", id));
    }
    Ok(found)
}

/// Which returns to list; empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct ReturnFilter {
    pub order_id: Vec<String>,
    pub status: Vec<Status>,
    /// The customer whose orders they are.
    pub customer_id: Option<String>,
}

/// One page of returns, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &ReturnFilter,
    offset: u64,
    limit: u64,
) -> Result<Page<ReturnDetail>, DomainError> {
    let mut select = order_return::Entity::find();
    if !filter.order_id.is_empty() {
        select = select.filter(order_return::Column::OrderId.is_in(filter.order_id.clone()));
    }
    if !filter.status.is_empty() {
        select = select.filter(order_return::Column::Status.is_in(filter.status.clone()));
    }
    if let Some(customer) = &filter.customer_id {
        select = select.filter(
            order_return::Column::OrderId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(order::Column::Id)
                    .from(order::Entity)
                    .and_where(order::Column::CustomerId.eq(customer))
                    .to_owned(),
            ),
        );
    }
    let select = select
        .order_by_desc(order_return::Column::CreatedAt)
        .order_by_desc(order_return::Column::Id);
    let page = page_of(db, select, offset, limit).await?;
    let ids: Vec<String> = page.items.iter().map(|r| r.id.clone()).collect();
    let order_ids: Vec<String> = page.items.iter().map(|r| r.order_id.clone()).collect();
    let currencies: HashMap<String, String> = order::Entity::find()
        .filter(order::Column::Id.is_in(order_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.currency_code))
        .collect();
    let mut items: HashMap<String, Vec<return_item::Model>> = HashMap::new();
    for item in return_item::Entity::find()
        .filter(return_item::Column::ReturnId.is_in(ids))
        .order_by_asc(return_item::Column::Id)
        .all(db)
        .await?
    {
        items.entry(item.return_id.clone()).or_default().push(item);
    }
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|r| ReturnDetail {
                items: items.remove(&r.id).unwrap_or_default(),
                currency_code: currencies.get(&r.order_id).cloned().unwrap_or_default(),
                order_return: r,
            })
            .collect(),
        count: page.count,
        offset: page.offset,
        limit: page.limit,
    })
}

async fn find_in(db: &impl ConnectionTrait, id: &str) -> Result<ReturnDetail, DomainError> {
    let order_return = order_return::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Return", id))?;
    let items = return_item::Entity::find()
        .filter(return_item::Column::ReturnId.eq(id))
        .order_by_asc(return_item::Column::Id)
        .all(db)
        .await?;
    let currency_code = order::Entity::find_by_id(&order_return.order_id)
        .one(db)
        .await?
        .map(|o| o.currency_code)
        .unwrap_or_default();
    Ok(ReturnDetail {
        order_return,
        items,
        currency_code,
    })
}

/// The items of an order that can still be returned (id, title, units
/// left): none before it was sent, nor once it was canceled.
pub async fn returnable(
    db: &impl ConnectionTrait,
    detail: &orders::OrderDetail,
) -> Result<Vec<(String, String, i64)>, DomainError> {
    if detail.fulfillment.is_none() || detail.order.canceled_at.is_some() {
        return Ok(Vec::new());
    }
    let returned = returned_units(db, &detail.order.id).await?;
    Ok(detail
        .items
        .iter()
        .map(|i| {
            let left = i64::from(i.quantity) - returned.get(&i.id).copied().unwrap_or(0);
            (i.id.clone(), i.title.clone(), left)
        })
        .filter(|(_, _, left)| *left > 0)
        .collect())
}

/// Units of each item of the order in returns not canceled.
pub async fn returned_units(
    db: &impl ConnectionTrait,
    order_id: &str,
) -> Result<HashMap<String, i64>, DomainError> {
    let open: Vec<String> = order_return::Entity::find()
        .filter(order_return::Column::OrderId.eq(order_id))
        .filter(order_return::Column::Status.ne(Status::Canceled))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut units = HashMap::new();
    for item in return_item::Entity::find()
        .filter(return_item::Column::ReturnId.is_in(open))
        .all(db)
        .await?
    {
        *units.entry(item.order_item_id).or_default() += i64::from(item.quantity);
    }
    Ok(units)
}

async fn existing_location(db: &impl ConnectionTrait, id: &str) -> Result<String, DomainError> {
    crate::channels::stock_location::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|l| l.id)
        .ok_or_else(|| DomainError::not_found("Stock location", id))
}

/// Puts the returned units of managed variants back at the return's
/// location; a return of managed goods with no location is refused (the
/// stock would be lost track of).
async fn restock(db: &impl ConnectionTrait, found: &ReturnDetail) -> Result<(), DomainError> {
    let item_ids: Vec<String> = found
        .items
        .iter()
        .map(|i| i.order_item_id.clone())
        .collect();
    let order_items = order_item::Entity::find()
        .filter(order_item::Column::Id.is_in(item_ids))
        .all(db)
        .await?;
    let variants: Vec<String> = order_items.iter().map(|i| i.variant_id.clone()).collect();
    let managed = inventory::items_by_variant(db, &variants).await?;
    for line in &found.items {
        let Some(inventory_item) = order_items
            .iter()
            .find(|i| i.id == line.order_item_id)
            .and_then(|i| managed.get(&i.variant_id))
        else {
            continue;
        };
        let Some(location) = &found.order_return.location_id else {
            return Err(DomainError::Invalid(format!(
                "say which stock location return {} comes back to (location_id)",
                found.order_return.id
            )));
        };
        inventory::add_to_stocked(db, inventory_item, location, line.quantity).await?;
    }
    Ok(())
}

/// Records the refund of the return's amount over the order's live payments,
/// up to what each can still refund; what was recorded in all (less than
/// the amount when the order was paid back already, by a cancel or by hand).
async fn request_refund(
    db: &impl ConnectionTrait,
    order: &order::Model,
    order_return: &order_return::Model,
) -> Result<i64, DomainError> {
    let Some(collection_id) = &order.payment_collection_id else {
        return Ok(0);
    };
    let mut left = order_return.refund_amount;
    let payments = payment::Entity::find()
        .filter(payment::Column::PaymentCollectionId.eq(collection_id))
        .filter(payment::Column::CanceledAt.is_null())
        .order_by_asc(payment::Column::CreatedAt)
        .all(db)
        .await?;
    for payment in payments {
        if left == 0 {
            break;
        }
        if operations::has_pending(db, &payment.id).await? {
            return Err(DomainError::Conflict(format!(
                "payment {} of this order is still waiting for the payment provider; try again in a moment",
                payment.id
            )));
        }
        let part = left.min(operations::refundable(db, &payment).await?);
        if part > 0 {
            operations::request_refund_for(db, &payment.id, part, &order_return.id).await?;
            left -= part;
        }
    }
    Ok(order_return.refund_amount - left)
}

fn trimmed(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}
