//! The steps of cart completion.

use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait, sea_query::Expr,
};

use crate::{
    DomainError,
    carts::{self, CartDetail, cart},
    events,
    ids::new_id,
    orders::{self, OrderDetail, order, order_item},
    payments::{self, Providers, payment, session},
    workflows::Step,
};

pub const ORDER_PLACED: &str = "order.placed";

pub struct Context {
    pub cart: CartDetail,
    pub payment: Option<payment::Model>,
    pub order: Option<OrderDetail>,
}

impl Context {
    /// The cart, checked to be ready for completion.
    pub async fn load(db: &DatabaseConnection, cart_id: &str) -> Result<Self, DomainError> {
        let cart = carts::get_cart(db, cart_id).await?;
        carts::ensure_open(&cart.cart)?;
        if cart.items.is_empty() {
            return Err(DomainError::Invalid("the cart is empty".into()));
        }
        Ok(Self {
            cart,
            payment: None,
            order: None,
        })
    }
}

pub struct AuthorizePayment<'a> {
    pub db: &'a DatabaseConnection,
    pub providers: &'a Providers,
}

#[async_trait]
impl Step<Context> for AuthorizePayment<'_> {
    fn name(&self) -> &'static str {
        "authorize payment"
    }

    async fn run(&self, ctx: &mut Context) -> Result<(), DomainError> {
        let no_payment =
            || DomainError::Invalid("choose a payment method before completing the cart".into());
        let collection_id = ctx
            .cart
            .cart
            .payment_collection_id
            .as_deref()
            .ok_or_else(no_payment)?;
        let collection = payments::find_collection(self.db, collection_id).await?;
        if collection.amount != ctx.cart.subtotal() {
            return Err(DomainError::Invalid(
                "the cart changed after payment was set up; set up payment again".into(),
            ));
        }
        let latest = session::Entity::find()
            .filter(session::Column::PaymentCollectionId.eq(collection_id))
            .order_by_desc(session::Column::CreatedAt)
            .one(self.db)
            .await?
            .ok_or_else(no_payment)?;
        let payment = payments::authorize_session(self.db, self.providers, &latest.id)
            .await?
            .ok_or_else(|| {
                DomainError::Invalid("the payment needs more action from the shopper".into())
            })?;
        ctx.payment = Some(payment);
        Ok(())
    }

    async fn compensate(&self, ctx: &mut Context) -> Result<(), DomainError> {
        match ctx.payment.take() {
            Some(payment) => payments::cancel(self.db, self.providers, &payment.id)
                .await
                .map(drop),
            None => Ok(()),
        }
    }
}

pub struct CreateOrder<'a> {
    pub db: &'a DatabaseConnection,
}

#[async_trait]
impl Step<Context> for CreateOrder<'_> {
    fn name(&self) -> &'static str {
        "create order"
    }

    /// The order, its items, the cart's completion and `order.placed` commit together.
    async fn run(&self, ctx: &mut Context) -> Result<(), DomainError> {
        let cart = &ctx.cart.cart;
        let now = Utc::now();
        let order_id = new_id("order");
        let txn = self.db.begin().await?;
        order::ActiveModel {
            id: Set(order_id.clone()),
            cart_id: Set(cart.id.clone()),
            customer_id: Set(cart.customer_id.clone()),
            email: Set(cart.email.clone()),
            currency_code: Set(cart.currency_code.clone()),
            status: Set(orders::STATUS_PENDING.to_owned()),
            payment_collection_id: Set(cart.payment_collection_id.clone()),
            subtotal: Set(ctx.cart.subtotal()),
            total: Set(ctx.cart.subtotal()),
            created_at: Set(now),
            canceled_at: Set(None),
        }
        .insert(&txn)
        .await?;
        for item in &ctx.cart.items {
            order_item::ActiveModel {
                id: Set(new_id("ordli")),
                order_id: Set(order_id.clone()),
                variant_id: Set(item.variant_id.clone()),
                product_id: Set(item.product_id.clone()),
                title: Set(item.title.clone()),
                variant_title: Set(item.variant_title.clone()),
                quantity: Set(item.quantity),
                unit_price: Set(item.unit_price),
            }
            .insert(&txn)
            .await?;
        }
        cart::Entity::update_many()
            .col_expr(cart::Column::CompletedAt, Expr::value(now))
            .col_expr(
                cart::Column::CompletionClaimedUntil,
                Expr::value(Option::<chrono::DateTime<Utc>>::None),
            )
            .filter(cart::Column::Id.eq(&cart.id))
            .exec(&txn)
            .await?;
        events::emit(
            &txn,
            ORDER_PLACED,
            &serde_json::json!({ "id": order_id, "cart_id": cart.id }),
        )
        .await?;
        txn.commit().await?;
        ctx.order = Some(orders::find(self.db, &order_id).await?);
        Ok(())
    }

    /// The last step: when it fails its transaction has already rolled back.
    async fn compensate(&self, _ctx: &mut Context) -> Result<(), DomainError> {
        Ok(())
    }
}
