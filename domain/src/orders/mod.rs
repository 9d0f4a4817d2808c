//! Orders: what a completed cart becomes. Items and totals are copied from
//! the cart, so the order stays as it was placed whatever happens later.
//!
//! An order's payment status is read from its payments and its fulfillment
//! status from its fulfillment, so neither can disagree with the records
//! they summarize.

pub mod fulfillment;
pub mod order;
pub mod order_item;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession, sea_query::Expr,
};

use crate::{
    DomainError,
    carts::line_item,
    db::{Writable, contains_ignoring_case},
    events,
    ids::new_id,
    inventory::{self, reservation},
    payments::{self, Providers, operations::AskedBy, payment},
};

/// Emitted by checkout with the order it creates; payload `{"id": order_id, "cart_id": …}`.
pub const ORDER_PLACED: &str = "order.placed";
/// Emitted in the transaction that cancels an order; payload `{"id": order_id}`.
pub const ORDER_CANCELED: &str = "order.canceled";

/// Medusa's order payment statuses.
pub mod payment_status {
    pub const NOT_PAID: &str = "not_paid";
    pub const AUTHORIZED: &str = "authorized";
    pub const PARTIALLY_CAPTURED: &str = "partially_captured";
    pub const CAPTURED: &str = "captured";
    pub const PARTIALLY_REFUNDED: &str = "partially_refunded";
    pub const REFUNDED: &str = "refunded";
    pub const CANCELED: &str = "canceled";
}

/// Medusa's order fulfillment statuses (whole orders only, so no "partially_").
pub mod fulfillment_status {
    pub const NOT_FULFILLED: &str = "not_fulfilled";
    pub const FULFILLED: &str = "fulfilled";
    pub const SHIPPED: &str = "shipped";
    pub const DELIVERED: &str = "delivered";
}

/// Emitted when an order's fulfilment is shipped; payload `{"id": order_id}`.
pub const ORDER_SHIPPED: &str = "shipment.created";

#[derive(Debug, Clone)]
pub struct OrderDetail {
    pub order: order::Model,
    pub items: Vec<order_item::Model>,
    pub payment_status: &'static str,
    pub fulfillment_status: &'static str,
    pub fulfillment: Option<fulfillment::Model>,
}

/// Which orders to list; empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Vec<order::Status>,
    pub customer_id: Vec<String>,
    pub sales_channel_id: Vec<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_until: Option<DateTime<Utc>>,
    /// Part of the email or of the order id.
    pub q: Option<String>,
}

/// One page of orders, newest first, and how many match in all.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &OrderFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<OrderDetail>, u64), DomainError> {
    crate::catalog::check_page_size(limit)?;
    let mut query = order::Entity::find();
    if !filter.status.is_empty() {
        query = query.filter(order::Column::Status.is_in(filter.status.iter().copied()));
    }
    if !filter.customer_id.is_empty() {
        query = query.filter(order::Column::CustomerId.is_in(filter.customer_id.clone()));
    }
    if !filter.sales_channel_id.is_empty() {
        query = query.filter(order::Column::SalesChannelId.is_in(filter.sales_channel_id.clone()));
    }
    if let Some(from) = filter.created_from {
        query = query.filter(order::Column::CreatedAt.gte(from));
    }
    if let Some(until) = filter.created_until {
        query = query.filter(order::Column::CreatedAt.lte(until));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(
            Condition::any()
                .add(contains_ignoring_case(order::Column::Email, q))
                .add(contains_ignoring_case(order::Column::Id, q)),
        );
    }
    let count = query.clone().count(db).await?;
    let orders = query
        .order_by_desc(order::Column::CreatedAt)
        .order_by_desc(order::Column::Id)
        .offset(crate::paging::row_offset(offset))
        .limit(limit)
        .all(db)
        .await?;
    Ok((with_details(db, orders).await?, count))
}

/// A customer's orders, newest first.
pub async fn for_customer(
    db: &impl ConnectionTrait,
    customer_id: &str,
    offset: u64,
    limit: u64,
) -> Result<(Vec<OrderDetail>, u64), DomainError> {
    let filter = OrderFilter {
        customer_id: vec![customer_id.to_owned()],
        ..Default::default()
    };
    list(db, &filter, offset, limit).await
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<OrderDetail, DomainError> {
    let order = order::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Order", id))?;
    single(db, order).await
}

/// The order a cart became, if it did.
pub async fn find_by_cart(
    db: &impl ConnectionTrait,
    cart_id: &str,
) -> Result<Option<OrderDetail>, DomainError> {
    match order::Entity::find()
        .filter(order::Column::CartId.eq(cart_id))
        .one(db)
        .await?
    {
        Some(order) => Ok(Some(single(db, order).await?)),
        None => Ok(None),
    }
}

async fn single(
    db: &impl ConnectionTrait,
    order: order::Model,
) -> Result<OrderDetail, DomainError> {
    let mut details = with_details(db, vec![order]).await?;
    details
        .pop()
        .ok_or_else(|| DomainError::Conflict("an order vanished while it was read".into()))
}

/// Items, payment and fulfillment statuses of `orders`, in three queries
/// whatever their number.
async fn with_details(
    db: &impl ConnectionTrait,
    orders: Vec<order::Model>,
) -> Result<Vec<OrderDetail>, DomainError> {
    let ids: Vec<String> = orders.iter().map(|o| o.id.clone()).collect();
    let mut items: HashMap<String, Vec<order_item::Model>> = HashMap::new();
    for item in order_item::Entity::find()
        .filter(order_item::Column::OrderId.is_in(ids.clone()))
        .order_by_asc(order_item::Column::Id)
        .all(db)
        .await?
    {
        items.entry(item.order_id.clone()).or_default().push(item);
    }
    let mut fulfillments: HashMap<String, fulfillment::Model> = fulfillment::Entity::find()
        .filter(fulfillment::Column::OrderId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.order_id.clone(), f))
        .collect();
    let collections = orders
        .iter()
        .filter_map(|o| o.payment_collection_id.clone());
    let mut payments_of: HashMap<String, Vec<payment::Model>> = HashMap::new();
    for payment in payment::Entity::find()
        .filter(payment::Column::PaymentCollectionId.is_in(collections))
        .all(db)
        .await?
    {
        payments_of
            .entry(payment.payment_collection_id.clone())
            .or_default()
            .push(payment);
    }
    Ok(orders
        .into_iter()
        .map(|order| {
            let payments = order
                .payment_collection_id
                .as_ref()
                .and_then(|c| payments_of.get(c))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let fulfillment = fulfillments.remove(&order.id);
            OrderDetail {
                items: items.remove(&order.id).unwrap_or_default(),
                payment_status: payment_status_of(payments),
                fulfillment_status: fulfillment.as_ref().map_or(
                    fulfillment_status::NOT_FULFILLED,
                    fulfillment::Model::status,
                ),
                fulfillment,
                order,
            }
        })
        .collect())
}

/// Sums up an order's payments the way Medusa reports them.
fn payment_status_of(payments: &[payment::Model]) -> &'static str {
    use payment_status::*;
    let live: Vec<&payment::Model> = payments
        .iter()
        .filter(|p| p.canceled_at.is_none())
        .collect();
    if live.is_empty() {
        return if payments.is_empty() {
            NOT_PAID
        } else {
            CANCELED
        };
    }
    let sum = |f: fn(&payment::Model) -> i64| live.iter().map(|p| f(p)).sum::<i64>();
    let (amount, captured, refunded) = (
        sum(|p| p.amount),
        sum(|p| p.captured_amount),
        sum(|p| p.refunded_amount),
    );
    if refunded > 0 && refunded >= captured {
        REFUNDED
    } else if refunded > 0 {
        PARTIALLY_REFUNDED
    } else if captured > 0 && captured >= amount {
        CAPTURED
    } else if captured > 0 {
        PARTIALLY_CAPTURED
    } else {
        AUTHORIZED
    }
}

/// Cancels an order: the refund of its payments (what was captured) or their
/// release (what was only authorized) is recorded, its reserved stock goes
/// back, and `order.canceled` is emitted, all in one transaction; the
/// provider is asked after the commit (`payments::operations`). Canceling a canceled
/// order changes nothing (no second refund); a fulfilled one cannot be.
pub async fn cancel(
    db: &DatabaseConnection,
    providers: &Providers,
    id: &str,
) -> Result<OrderDetail, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    // The conditional update comes first: it takes the row's write lock, so a
    // concurrent cancel waits here and then finds the order canceled.
    let claimed = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(order::Status::Canceled))
        .col_expr(order::Column::CanceledAt, Expr::value(Utc::now()))
        .filter(order::Column::Id.eq(id))
        .filter(order::Column::CanceledAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        txn.rollback().await?;
        // Canceled already: what that cancel recorded may still wait for the provider.
        let canceled = find(db, id).await?;
        finish_paying(db, providers, &canceled.order).await;
        return find(db, id).await;
    }
    let order = order::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::not_found("Order", id))?;
    if is_fulfilled(&txn, id).await? {
        txn.rollback().await?;
        return Err(DomainError::Conflict(format!(
            "order {id} is fulfilled already and cannot be canceled"
        )));
    }
    if let Some(collection_id) = &order.payment_collection_id {
        settle_payments(&txn, collection_id).await?;
    }
    for reservation in reservations_of(&txn, &order).await? {
        inventory::release(&txn, &reservation.id).await?;
    }
    events::emit(&txn, ORDER_CANCELED, &serde_json::json!({ "id": id })).await?;
    txn.commit().await?;
    finish_paying(db, providers, &order).await;
    find(db, id).await
}

/// Asks the provider for the captures, refunds and releases a change of
/// `order` recorded (a cancel, a fulfilment), outside any transaction; what
/// it cannot be asked for now (unreachable) the payment worker retries,
/// with the same keys.
pub(crate) async fn finish_paying(
    db: &DatabaseConnection,
    providers: &Providers,
    order: &order::Model,
) {
    let Some(collection_id) = &order.payment_collection_id else {
        return;
    };
    let ran = async {
        let payment_ids: Vec<String> = payment::Entity::find()
            .select_only()
            .column(payment::Column::Id)
            .filter(payment::Column::PaymentCollectionId.eq(collection_id))
            .into_tuple()
            .all(db)
            .await?;
        payments::operations::run_pending_of(db, providers, &payment_ids).await
    };
    // The cancel stands; the worker finishes what went wrong here.
    if let Err(e) = ran.await {
        tracing::warn!(order = %order.id, error = %e, "the order's payment operations are left to retries");
    }
}

/// Records giving back what the shopper paid: a refund of what was
/// captured, a release of an authorization never captured; the cancel asks
/// the provider itself after its commit.
async fn settle_payments(
    db: &impl ConnectionTrait,
    collection_id: &str,
) -> Result<(), DomainError> {
    let live = payment::Entity::find()
        .filter(payment::Column::PaymentCollectionId.eq(collection_id))
        .filter(payment::Column::CanceledAt.is_null())
        .all(db)
        .await?;
    for payment in live {
        // A capture still waiting for the provider (a machine's sale just
        // settled) would be paid back from amounts not yet known.
        if payments::operations::has_pending(db, &payment.id).await? {
            return Err(DomainError::Conflict(format!(
                "payment {} of this order is still waiting for the payment provider; try again in a moment",
                payment.id
            )));
        }
        let refundable = payment.captured_amount - payment.refunded_amount;
        if refundable > 0 {
            payments::operations::request_refund(db, &payment.id, refundable, AskedBy::Caller)
                .await?;
        } else if payment.captured_amount == 0 {
            payments::operations::request_release(db, &payment.id, AskedBy::Caller).await?;
        }
    }
    Ok(())
}

/// Stock still held for the order: reserved for its cart's line items or
/// under the order's own id.
async fn reservations_of(
    db: &impl ConnectionTrait,
    order: &order::Model,
) -> Result<Vec<reservation::Model>, DomainError> {
    let line_ids: Vec<String> = line_item::Entity::find()
        .select_only()
        .column(line_item::Column::Id)
        .filter(line_item::Column::CartId.eq(&order.cart_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(reservation::Entity::find()
        .filter(
            Condition::any()
                .add(reservation::Column::LineItemId.is_in(line_ids))
                .add(reservation::Column::ExternalId.eq(&order.id)),
        )
        .all(db)
        .await?)
}

async fn is_fulfilled(db: &impl ConnectionTrait, order_id: &str) -> Result<bool, DomainError> {
    Ok(fulfillment::Entity::find()
        .filter(fulfillment::Column::OrderId.eq(order_id))
        .one(db)
        .await?
        .is_some())
}

/// What an admin asks to fulfil: the items (this store fulfils whole
/// orders, so every item with its full quantity, or none to mean all) and
/// the stock location the goods leave from.
#[derive(Debug, Clone, Default)]
pub struct FulfilmentRequest {
    pub items: Vec<(String, i64)>,
    pub location_id: Option<String>,
}

/// Refuses a list of items that is not the whole order: partial fulfilments
/// are not kept (an order has one fulfilment).
pub fn check_whole_order(
    order_items: &[order_item::Model],
    asked: &[(String, i64)],
) -> Result<(), DomainError> {
    if asked.is_empty() {
        return Ok(());
    }
    let mut wanted: HashMap<&str, i64> = HashMap::new();
    for (id, quantity) in asked {
        if !order_items.iter().any(|item| &item.id == id) {
            return Err(DomainError::Invalid(format!(
                "item {id} is not an item of this order"
            )));
        }
        *wanted.entry(id.as_str()).or_default() += quantity;
    }
    for item in order_items {
        let quantity = wanted.get(item.id.as_str()).copied().unwrap_or(0);
        if quantity != i64::from(item.quantity) {
            return Err(DomainError::Invalid(format!(
                "this store fulfils whole orders: item {} ({}) has quantity {}, not {quantity}; list every item with its full quantity, or no items",
                item.id, item.title, item.quantity
            )));
        }
    }
    Ok(())
}

/// Records that the order's goods left the store: its reservations become
/// sold stock, the order is completed, and what its payments hold is
/// captured (online payments are captured on fulfilment unless the region
/// captures at once): the capture is recorded with the fulfilment and asked
/// of the provider after the commit; a refusal puts the order in the
/// review list. A canceled order cannot be fulfilled, nor can an order be
/// fulfilled twice; the goods leave from where their stock is reserved.
pub async fn fulfil(
    db: &DatabaseConnection,
    providers: &Providers,
    id: &str,
    request: &FulfilmentRequest,
) -> Result<OrderDetail, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let completed = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(order::Status::Completed))
        .filter(order::Column::Id.eq(id))
        .filter(order::Column::CanceledAt.is_null())
        .filter(order::Column::Status.ne(order::Status::Archived))
        .exec(&txn)
        .await?;
    let order = order::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::not_found("Order", id))?;
    if completed.rows_affected == 0 {
        return Err(DomainError::Conflict(format!(
            "order {id} is {} and cannot be fulfilled",
            order.status
        )));
    }
    if is_fulfilled(&txn, id).await? {
        return Err(DomainError::Conflict(format!(
            "order {id} is fulfilled already"
        )));
    }
    // A machine's sale is captured for what was taken out; "fulfilling"
    // it would capture the rest of the hold.
    if sold_at_machine(&txn, id).await? {
        return Err(DomainError::Conflict(format!(
            "order {id} was sold at a machine: the shopper took the goods there, there is nothing to send"
        )));
    }
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(id))
        .all(&txn)
        .await?;
    check_whole_order(&items, &request.items)?;
    let reservations = reservations_of(&txn, &order).await?;
    let reserved_at = reservations.first().map(|r| r.location_id.clone());
    let location_id = match (&request.location_id, reserved_at) {
        (Some(asked), Some(reserved)) if *asked != reserved => {
            return Err(DomainError::Invalid(format!(
                "the stock of order {id} is reserved at location {reserved}: fulfil it from there"
            )));
        }
        (Some(asked), _) => {
            crate::channels::stock_location::Entity::find_by_id(asked)
                .one(&txn)
                .await?
                .ok_or_else(|| DomainError::not_found("Stock location", asked))?;
            Some(asked.clone())
        }
        (None, reserved) => reserved,
    };
    fulfillment::ActiveModel {
        id: Set(new_id("ful")),
        order_id: Set(id.to_owned()),
        location_id: Set(location_id),
        created_at: Set(Utc::now()),
        shipped_at: Set(None),
        delivered_at: Set(None),
        tracking_number: Set(None),
        tracking_url: Set(None),
    }
    .insert(&txn)
    .await?;
    for reservation in reservations {
        inventory::fulfil(&txn, &reservation.id).await?;
    }
    if let Some(collection_id) = &order.payment_collection_id {
        request_captures(&txn, collection_id).await?;
    }
    txn.commit().await?;
    finish_paying(db, providers, &order).await;
    find(db, id).await
}

/// Whether the order is a vending machine's sale (settled from a session).
pub async fn sold_at_machine(
    db: &impl ConnectionTrait,
    order_id: &str,
) -> Result<bool, DomainError> {
    Ok(crate::vending::device_session::Entity::find()
        .filter(crate::vending::device_session::Column::OrderId.eq(order_id))
        .one(db)
        .await?
        .is_some())
}

/// A shipment's tracking, as the carrier gave it.
#[derive(Debug, Clone, Default)]
pub struct Tracking {
    pub number: Option<String>,
    pub url: Option<String>,
}

/// Records that the order's fulfilment was handed to the carrier, and emits
/// [`ORDER_SHIPPED`] (the shopper is told). Shipping it again is refused; a
/// delivered or picked-up one cannot be shipped.
pub async fn mark_shipped(
    db: &impl Writable,
    order_id: &str,
    fulfillment_id: &str,
    tracking: Tracking,
) -> Result<OrderDetail, DomainError> {
    let tracking = Tracking {
        number: crate::text::optional(tracking.number.as_deref(), "tracking_number", 200)?,
        url: crate::text::optional(tracking.url.as_deref(), "tracking_url", 2000)?,
    };
    if let Some(url) = &tracking.url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(DomainError::Invalid(format!(
            "tracking_url must be a web address (https://…), not {url:?}"
        )));
    }
    let txn = crate::db::begin_write(db).await?;
    let found = fulfillment_of(&txn, order_id, fulfillment_id).await?;
    if found.delivered_at.is_some() {
        return Err(DomainError::Conflict(format!(
            "fulfillment {fulfillment_id} is delivered already"
        )));
    }
    let shipped = fulfillment::Entity::update_many()
        .col_expr(fulfillment::Column::ShippedAt, Expr::value(Utc::now()))
        .col_expr(
            fulfillment::Column::TrackingNumber,
            Expr::value(tracking.number),
        )
        .col_expr(fulfillment::Column::TrackingUrl, Expr::value(tracking.url))
        .filter(fulfillment::Column::Id.eq(fulfillment_id))
        .filter(fulfillment::Column::ShippedAt.is_null())
        .exec(&txn)
        .await?;
    if shipped.rows_affected == 0 {
        return Err(DomainError::Conflict(format!(
            "fulfillment {fulfillment_id} is shipped already"
        )));
    }
    events::emit(&txn, ORDER_SHIPPED, &serde_json::json!({ "id": order_id })).await?;
    txn.commit().await?;
    find(db, order_id).await
}

/// Records that the shopper has the goods: delivered by the carrier, or
/// picked up (a pick-up order is never shipped). Once only.
pub async fn mark_delivered(
    db: &impl Writable,
    order_id: &str,
    fulfillment_id: &str,
) -> Result<OrderDetail, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    fulfillment_of(&txn, order_id, fulfillment_id).await?;
    let delivered = fulfillment::Entity::update_many()
        .col_expr(fulfillment::Column::DeliveredAt, Expr::value(Utc::now()))
        .filter(fulfillment::Column::Id.eq(fulfillment_id))
        .filter(fulfillment::Column::DeliveredAt.is_null())
        .exec(&txn)
        .await?;
    if delivered.rows_affected == 0 {
        return Err(DomainError::Conflict(format!(
            "fulfillment {fulfillment_id} is delivered already"
        )));
    }
    txn.commit().await?;
    find(db, order_id).await
}

/// Puts a completed or canceled order away (listed with `status=archived`).
/// An open order still needs something done and cannot be archived.
/// Archiving an archived order changes nothing.
pub async fn archive(db: &impl Writable, id: &str) -> Result<OrderDetail, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let archived = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(order::Status::Archived))
        .filter(order::Column::Id.eq(id))
        .filter(order::Column::Status.is_in([order::Status::Completed, order::Status::Canceled]))
        .exec(&txn)
        .await?;
    if archived.rows_affected == 0 {
        let order = order::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| DomainError::not_found("Order", id))?;
        if order.status != order::Status::Archived {
            return Err(DomainError::Conflict(format!(
                "order {id} is {}: only a completed or canceled order can be archived",
                order.status
            )));
        }
    }
    txn.commit().await?;
    find(db, id).await
}

async fn fulfillment_of(
    db: &impl ConnectionTrait,
    order_id: &str,
    fulfillment_id: &str,
) -> Result<fulfillment::Model, DomainError> {
    fulfillment::Entity::find_by_id(fulfillment_id)
        .filter(fulfillment::Column::OrderId.eq(order_id))
        .one(db)
        .await?
        .ok_or_else(|| {
            DomainError::not_found(
                "Fulfillment",
                format!("{fulfillment_id} of order {order_id}"),
            )
        })
}

/// The orders paid by these payment collections: order id by collection id.
pub async fn ids_by_payment_collection(
    db: &impl ConnectionTrait,
    collection_ids: &[String],
) -> Result<HashMap<String, String>, DomainError> {
    if collection_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(order::Entity::find()
        .filter(order::Column::PaymentCollectionId.is_in(collection_ids.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|o| o.payment_collection_id.map(|c| (c, o.id)))
        .collect())
}

/// Records the capture of what is left of the collection's live payments,
/// in the caller's transaction; the caller asks the provider after its
/// commit ([`finish_paying`]). A payment with an operation still waiting
/// for the provider is left alone: its amounts are not known yet.
async fn request_captures(
    db: &impl ConnectionTrait,
    collection_id: &str,
) -> Result<(), DomainError> {
    let live = payment::Entity::find()
        .filter(payment::Column::PaymentCollectionId.eq(collection_id))
        .filter(payment::Column::CanceledAt.is_null())
        .all(db)
        .await?;
    for payment in live {
        let left = payment.amount - payment.captured_amount;
        if left > 0 && !payments::operations::has_pending(db, &payment.id).await? {
            payments::operations::request_capture(db, &payment.id, left, None).await?;
        }
    }
    Ok(())
}

/// Captures an order just placed when its region captures at once (the
/// others are captured on fulfilment): recorded, then asked of the provider;
/// a refusal puts the order in the review list, the order stands.
pub async fn capture_if_automatic(
    db: &DatabaseConnection,
    providers: &Providers,
    order: &order::Model,
) -> Result<(), DomainError> {
    let (Some(region_id), Some(collection_id)) = (&order.region_id, &order.payment_collection_id)
    else {
        return Ok(());
    };
    let automatic = crate::pricing::region::Entity::find_by_id(region_id)
        .one(db)
        .await?
        .is_some_and(|r| r.automatic_capture);
    if !automatic {
        return Ok(());
    }
    let txn = crate::db::begin_write(db).await?;
    request_captures(&txn, collection_id).await?;
    txn.commit().await?;
    finish_paying(db, providers, order).await;
    Ok(())
}
