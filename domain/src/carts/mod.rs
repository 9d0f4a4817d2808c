//! Shopping carts and their line items. Prices are copied onto the line when
//! it is added, so a later price change never alters a cart behind the shopper.

pub mod cart;
pub mod line_item;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};

use crate::{DomainError, catalog, ids::new_id};

pub const MAX_LINE_QUANTITY: i32 = 999;

#[derive(Debug, Clone)]
pub struct CartDetail {
    pub cart: cart::Model,
    pub items: Vec<line_item::Model>,
}

impl CartDetail {
    pub fn item_count(&self) -> i64 {
        self.items.iter().map(|i| i64::from(i.quantity)).sum()
    }

    pub fn subtotal(&self) -> i64 {
        self.items
            .iter()
            .map(|i| i.unit_price * i64::from(i.quantity))
            .sum()
    }
}

/// A completed cart became an order and takes no more changes.
pub fn ensure_open(cart: &cart::Model) -> Result<(), DomainError> {
    match cart.completed_at {
        Some(_) => Err(DomainError::Conflict(format!(
            "cart {} is already completed",
            cart.id
        ))),
        None => Ok(()),
    }
}

pub async fn create_cart(
    db: &impl ConnectionTrait,
    currency_code: &str,
) -> Result<cart::Model, DomainError> {
    let now = Utc::now();
    Ok(cart::ActiveModel {
        id: Set(new_id("cart")),
        currency_code: Set(currency_code.to_lowercase()),
        email: Set(None),
        customer_id: Set(None),
        payment_collection_id: Set(None),
        completed_at: Set(None),
        completion_claimed_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

pub async fn get_cart(db: &impl ConnectionTrait, cart_id: &str) -> Result<CartDetail, DomainError> {
    let cart = cart::Entity::find_by_id(cart_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Cart", cart_id))?;
    let items = line_item::Entity::find()
        .filter(line_item::Column::CartId.eq(cart_id))
        .order_by_asc(line_item::Column::CreatedAt)
        .order_by_asc(line_item::Column::Id)
        .all(db)
        .await?;
    Ok(CartDetail { cart, items })
}

/// Adds `quantity` of a variant; a variant already in the cart gets its
/// quantity raised instead of a second line.
pub async fn add_line_item(
    db: &impl TransactionTrait,
    cart_id: &str,
    variant_id: &str,
    quantity: i32,
) -> Result<CartDetail, DomainError> {
    if !(1..=MAX_LINE_QUANTITY).contains(&quantity) {
        return Err(DomainError::Invalid(format!(
            "quantity must be between 1 and {MAX_LINE_QUANTITY}"
        )));
    }
    let txn = db.begin().await?;
    let cart = open_cart(&txn, cart_id).await?;
    let (variant, product, prices) = catalog::find_variant(&txn, variant_id).await?;
    let unit_price = prices
        .iter()
        .find(|p| p.currency_code == cart.currency_code)
        .map(|p| p.amount)
        .ok_or_else(|| {
            DomainError::Invalid(format!(
                "{} has no price in {}",
                product.title, cart.currency_code
            ))
        })?;
    let now = Utc::now();
    let existing = line_item::Entity::find()
        .filter(line_item::Column::CartId.eq(cart_id))
        .filter(line_item::Column::VariantId.eq(variant_id))
        .one(&txn)
        .await?;
    match existing {
        Some(line) => {
            let total = line.quantity + quantity;
            if total > MAX_LINE_QUANTITY {
                return Err(DomainError::Invalid(format!(
                    "a line holds at most {MAX_LINE_QUANTITY} units"
                )));
            }
            let mut line = line.into_active_model();
            line.quantity = Set(total);
            line.update(&txn).await?;
        }
        None => {
            line_item::ActiveModel {
                id: Set(new_id("cali")),
                cart_id: Set(cart_id.to_owned()),
                variant_id: Set(variant.id),
                product_id: Set(product.id),
                title: Set(product.title),
                variant_title: Set(variant.title),
                quantity: Set(quantity),
                unit_price: Set(unit_price),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
    }
    touch(&txn, cart).await?;
    let detail = get_cart(&txn, cart_id).await?;
    txn.commit().await?;
    Ok(detail)
}

/// Sets a line's quantity; 0 removes the line.
pub async fn update_line_item(
    db: &impl TransactionTrait,
    cart_id: &str,
    line_id: &str,
    quantity: i32,
) -> Result<CartDetail, DomainError> {
    if !(0..=MAX_LINE_QUANTITY).contains(&quantity) {
        return Err(DomainError::Invalid(format!(
            "quantity must be between 0 and {MAX_LINE_QUANTITY}"
        )));
    }
    let txn = db.begin().await?;
    let cart = open_cart(&txn, cart_id).await?;
    let line = line_item::Entity::find_by_id(line_id)
        .filter(line_item::Column::CartId.eq(cart_id))
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::not_found("Line item", line_id))?;
    if quantity == 0 {
        line.into_active_model().delete(&txn).await?;
    } else {
        let mut line = line.into_active_model();
        line.quantity = Set(quantity);
        line.update(&txn).await?;
    }
    touch(&txn, cart).await?;
    let detail = get_cart(&txn, cart_id).await?;
    txn.commit().await?;
    Ok(detail)
}

pub async fn set_email(
    db: &impl ConnectionTrait,
    cart_id: &str,
    email: &crate::credentials::Email,
) -> Result<(), DomainError> {
    let cart = open_cart(db, cart_id).await?;
    let mut active = cart.into_active_model();
    active.email = Set(Some(email.to_string()));
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    Ok(())
}

async fn open_cart(db: &impl ConnectionTrait, cart_id: &str) -> Result<cart::Model, DomainError> {
    let cart = cart::Entity::find_by_id(cart_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Cart", cart_id))?;
    ensure_open(&cart)?;
    Ok(cart)
}

async fn touch(db: &impl ConnectionTrait, cart: cart::Model) -> Result<(), DomainError> {
    let mut active = cart.into_active_model();
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    Ok(())
}

/// Attributes the open cart to a signed-in customer, so its order shows in
/// their order history.
pub async fn set_customer(
    db: &impl ConnectionTrait,
    cart_id: &str,
    customer_id: &str,
) -> Result<(), DomainError> {
    let cart = open_cart(db, cart_id).await?;
    let mut active = cart.into_active_model();
    active.customer_id = Set(Some(customer_id.to_owned()));
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    Ok(())
}
