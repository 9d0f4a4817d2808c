//! The steps of cart completion.

use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, sea_query::Expr,
};

use super::PaymentFailure;
use crate::{
    DomainError,
    carts::{self, CartDetail, cart},
    channels, events,
    ids::new_id,
    inventory::{self, NewReservation},
    orders::{self, OrderDetail, order, order_item},
    payments::{self, Providers, payment, session},
    promotions,
    workflows::Step,
};

use crate::orders::ORDER_PLACED;

pub struct Context {
    pub cart: CartDetail,
    /// Reservation ids, released if a later step fails.
    pub reservations: Vec<String>,
    pub payment: Option<payment::Model>,
    pub payment_failure: Option<PaymentFailure>,
    pub order: Option<OrderDetail>,
}

impl Context {
    pub async fn load(db: &DatabaseConnection, cart_id: &str) -> Result<Self, DomainError> {
        Ok(Self {
            cart: carts::get_cart(db, cart_id).await?,
            reservations: Vec::new(),
            payment: None,
            payment_failure: None,
            order: None,
        })
    }
}

/// The cart is open and has what an order needs: items, an email, a shipping method.
pub struct ValidateCart;

#[async_trait]
impl Step<Context> for ValidateCart {
    fn name(&self) -> &'static str {
        "validate cart"
    }

    async fn run(&self, ctx: &mut Context) -> Result<(), DomainError> {
        let cart = &ctx.cart;
        carts::ensure_open(&cart.cart)?;
        if cart.items.is_empty() {
            return Err(DomainError::Invalid("the cart is empty".into()));
        }
        if cart.cart.email.is_none() {
            return Err(DomainError::Invalid(
                "the cart needs an email before it can be completed".into(),
            ));
        }
        if cart.shipping_method.is_none() {
            return Err(DomainError::Invalid(
                "the cart needs a shipping method before it can be completed".into(),
            ));
        }
        Ok(())
    }

    async fn compensate(&self, _ctx: &mut Context) -> Result<(), DomainError> {
        Ok(())
    }
}

/// Holds every managed item in a stock location of the cart's sales
/// channel; unmanaged variants need nothing.
pub struct ReserveInventory<'a> {
    pub db: &'a DatabaseConnection,
}

impl ReserveInventory<'_> {
    async fn reserve_all(&self, ctx: &mut Context) -> Result<(), DomainError> {
        let locations = match &ctx.cart.cart.sales_channel_id {
            Some(channel) => {
                channels::stock_location_ids(self.db, std::slice::from_ref(channel)).await?
            }
            None => Vec::new(),
        };
        for line in &ctx.cart.items {
            let Some(item) = inventory::find_item_by_variant(self.db, &line.variant_id).await?
            else {
                continue;
            };
            let mut reserved = None;
            for location in &locations {
                let attempt = inventory::reserve(
                    self.db,
                    NewReservation {
                        inventory_item_id: item.id.clone(),
                        location_id: location.clone(),
                        quantity: line.quantity,
                        line_item_id: Some(line.id.clone()),
                        external_id: Some(ctx.cart.cart.id.clone()),
                        ..Default::default()
                    },
                )
                .await;
                match attempt {
                    Ok(reservation) => {
                        reserved = Some(reservation.id);
                        break;
                    }
                    // Out of stock, or no level here: try the next location.
                    Err(DomainError::Invalid(_) | DomainError::NotFound { .. }) => {}
                    Err(other) => return Err(other),
                }
            }
            match reserved {
                Some(id) => ctx.reservations.push(id),
                None => {
                    return Err(DomainError::Invalid(format!(
                        "{} is out of stock: {} requested",
                        line.title, line.quantity
                    )));
                }
            }
        }
        Ok(())
    }

    async fn release_all(&self, ctx: &mut Context) -> Result<(), DomainError> {
        for id in ctx.reservations.drain(..) {
            inventory::release(self.db, &id).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Step<Context> for ReserveInventory<'_> {
    fn name(&self) -> &'static str {
        "reserve inventory"
    }

    /// All lines or none: a line that cannot be held releases the ones before it.
    async fn run(&self, ctx: &mut Context) -> Result<(), DomainError> {
        let result = self.reserve_all(ctx).await;
        if result.is_err() {
            self.release_all(ctx).await?;
        }
        result
    }

    async fn compensate(&self, ctx: &mut Context) -> Result<(), DomainError> {
        self.release_all(ctx).await
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
        if collection.amount != ctx.cart.totals.total {
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
        let authorized = payments::authorize_session(self.db, self.providers, &latest.id).await;
        let payment = match authorized {
            Ok(Some(payment)) => payment,
            Ok(None) => {
                ctx.payment_failure = Some(PaymentFailure::RequiresMore);
                return Err(DomainError::Invalid(
                    "the payment needs more action from the shopper".into(),
                ));
            }
            Err(e) => {
                ctx.payment_failure = Some(PaymentFailure::Authorization);
                return Err(e);
            }
        };
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

    /// The order, its items, the promotions' usage, the cart's completion and
    /// `order.placed` commit together.
    async fn run(&self, ctx: &mut Context) -> Result<(), DomainError> {
        let detail = &ctx.cart;
        let (cart, totals) = (&detail.cart, &detail.totals);
        let now = Utc::now();
        let order_id = new_id("order");
        let txn = crate::db::begin_write(self.db).await?;
        promotions::record_usage(&txn, &detail.promotions, &cart.currency_code, totals).await?;
        let codes: Vec<&str> = detail.promotions.iter().map(|p| p.code.as_str()).collect();
        order::ActiveModel {
            id: Set(order_id.clone()),
            cart_id: Set(cart.id.clone()),
            customer_id: Set(cart.customer_id.clone()),
            email: Set(cart.email.clone()),
            currency_code: Set(cart.currency_code.clone()),
            status: Set(orders::order::Status::Pending),
            payment_collection_id: Set(cart.payment_collection_id.clone()),
            region_id: Set(cart.region_id.clone()),
            sales_channel_id: Set(cart.sales_channel_id.clone()),
            shipping_option_id: Set(detail
                .shipping_method
                .as_ref()
                .map(|m| m.shipping_option_id.clone())),
            shipping_method_name: Set(detail.shipping_method.as_ref().map(|m| m.name.clone())),
            shipping_address: Set(cart.shipping_address.clone()),
            billing_address: Set(cart.billing_address.clone()),
            promo_codes: Set((!codes.is_empty()).then(|| codes.join(","))),
            is_tax_inclusive: Set(totals.tax_inclusive),
            subtotal: Set(totals.subtotal),
            total: Set(totals.total),
            item_subtotal: Set(totals.item_subtotal),
            item_tax_total: Set(totals.item_tax_total),
            item_total: Set(totals.item_total),
            shipping_subtotal: Set(totals.shipping.subtotal),
            shipping_tax_total: Set(totals.shipping.tax_total),
            shipping_total: Set(totals.shipping.total),
            discount_total: Set(totals.discount_total),
            discount_tax_total: Set(totals.discount_tax_total),
            tax_total: Set(totals.tax_total),
            tip: Set(totals.tip),
            original_total: Set(totals.original_total),
            created_at: Set(now),
            canceled_at: Set(None),
        }
        .insert(&txn)
        .await?;
        for (item, line) in detail.items.iter().zip(&totals.items) {
            order_item::ActiveModel {
                id: Set(new_id("ordli")),
                order_id: Set(order_id.clone()),
                variant_id: Set(item.variant_id.clone()),
                product_id: Set(item.product_id.clone()),
                title: Set(item.title.clone()),
                variant_title: Set(item.variant_title.clone()),
                quantity: Set(item.quantity),
                unit_price: Set(item.unit_price),
                subtotal: Set(line.subtotal),
                discount_total: Set(line.discount_total),
                tax_total: Set(line.tax_total),
                total: Set(line.total),
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
