//! Orders: what a completed cart becomes. Items and totals are copied from
//! the cart, so the order stays as it was placed whatever happens later.

pub mod order;
pub mod order_item;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::DomainError;

pub const STATUS_PENDING: &str = "pending";

#[derive(Debug, Clone)]
pub struct OrderDetail {
    pub order: order::Model,
    pub items: Vec<order_item::Model>,
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<OrderDetail, DomainError> {
    let order = order::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Order", id))?;
    with_items(db, order).await
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
        Some(order) => Ok(Some(with_items(db, order).await?)),
        None => Ok(None),
    }
}

async fn with_items(
    db: &impl ConnectionTrait,
    order: order::Model,
) -> Result<OrderDetail, DomainError> {
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(&order.id))
        .order_by_asc(order_item::Column::Id)
        .all(db)
        .await?;
    Ok(OrderDetail { order, items })
}

#[derive(Debug, Clone)]
pub struct OrderPage {
    pub orders: Vec<OrderDetail>,
    pub count: u64,
    pub offset: u64,
    pub limit: u64,
}

/// A customer's orders, newest first, one page at a time.
pub async fn list_for_customer(
    db: &impl ConnectionTrait,
    customer_id: &str,
    offset: u64,
    limit: u64,
) -> Result<OrderPage, DomainError> {
    crate::catalog::check_page_size(limit)?;
    let select = order::Entity::find().filter(order::Column::CustomerId.eq(customer_id));
    let count = select.clone().count(db).await?;
    let page = select
        .order_by_desc(order::Column::CreatedAt)
        .order_by_desc(order::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let mut orders = Vec::with_capacity(page.len());
    for order in page {
        orders.push(with_items(db, order).await?);
    }
    Ok(OrderPage {
        orders,
        count,
        offset,
        limit,
    })
}
