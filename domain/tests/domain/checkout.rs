use std::sync::Arc;

use domain::{
    DomainError,
    carts::{
        self, cart,
        totals::{DiscountTarget, DiscountValue},
    },
    catalog, channels, checkout, events, inventory, orders,
    payments::{
        self, PaymentProvider, ProviderError, ProviderOutcome, Providers,
        collection::Status as CollectionStatus, system::SystemProvider,
    },
    promotions, seed, shipping,
};
use sea_orm::EntityTrait;
use serde_json::Value;

use crate::{on_every_backend, seeded};

fn providers() -> Providers {
    Providers::default().with(Arc::new(SystemProvider))
}

/// A cart with two waters and an apple, paid with the system provider.
async fn ready_cart(db: &domain::db::DatabaseConnection) -> String {
    let cart = cart_with(db, &[("sparkling-water", 2), ("apple", 1)]).await;
    let collection = checkout::payment_collection_for_cart(db, &cart.id)
        .await
        .unwrap();
    assert_eq!(collection.amount, 2 * 150 + 80);
    payments::create_session(db, &providers(), &collection.id, "pp_system_default")
        .await
        .unwrap();
    cart.id
}

async fn variant_id(db: &domain::db::DatabaseConnection, handle: &str) -> String {
    catalog::find_published(db, handle).await.unwrap().variants[0]
        .variant
        .id
        .clone()
}

/// An open cart with `lines` of the demo products, an email and the free pickup.
async fn cart_with(db: &domain::db::DatabaseConnection, lines: &[(&str, i32)]) -> cart::Model {
    let cart = carts::create_cart(db, carts::NewCart::in_currency("eur"))
        .await
        .unwrap()
        .cart;
    for &(handle, quantity) in lines {
        let variant = variant_id(db, handle).await;
        carts::add_line_item(db, &cart.id, &variant, quantity)
            .await
            .unwrap();
    }
    let email = domain::credentials::Email::parse("shopper@example.com").unwrap();
    carts::set_email(db, &cart.id, &email).await.unwrap();
    let pickup = shipping::options_in_region(db, cart.region_id.as_deref())
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.amount == 0)
        .expect("a free pickup");
    carts::add_shipping_method(db, &cart.id, &pickup.id)
        .await
        .unwrap();
    cart
}

#[tokio::test]
async fn completing_a_cart_places_one_order_with_its_event() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart_id = ready_cart(&db).await;
        let order = checkout::complete_cart(&db, &providers(), &cart_id)
            .await
            .unwrap();
        assert_eq!(order.order.total, 380);
        assert_eq!(order.items.len(), 2);
        assert_eq!(order.order.status, orders::order::Status::Pending);
        let collection =
            payments::find_collection(&db, order.order.payment_collection_id.as_deref().unwrap())
                .await
                .unwrap();
        assert_eq!(collection.status, CollectionStatus::Authorized);
        let placed: Vec<_> = events::pending(&db)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.name == "order.placed")
            .collect();
        assert_eq!(placed.len(), 1);
        assert!(placed[0].payload.contains(&order.order.id));

        let again = checkout::complete_cart(&db, &providers(), &cart_id)
            .await
            .unwrap();
        assert_eq!(
            again.order.id, order.order.id,
            "completing again returns the same order"
        );
        let water = catalog::find_published(&db, "sparkling-water")
            .await
            .unwrap()
            .variants[0]
            .variant
            .id
            .clone();
        assert!(
            matches!(
                carts::add_line_item(&db, &cart_id, &water, 1).await,
                Err(DomainError::Conflict(_))
            ),
            "a completed cart is closed"
        );
    })
    .await;
}

#[tokio::test]
async fn fifty_concurrent_completions_yield_exactly_one_order() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart_id = ready_cart(&db).await;
        let racers: Vec<_> = (0..50)
            .map(|_| {
                let (db, cart_id) = (db.clone(), cart_id.clone());
                tokio::spawn(
                    async move { checkout::complete_cart(&db, &providers(), &cart_id).await },
                )
            })
            .collect();
        let mut ids = std::collections::HashSet::new();
        for racer in racers {
            let order = racer
                .await
                .unwrap()
                .expect("every racer gets the order, none an error");
            ids.insert(order.order.id);
        }
        assert_eq!(ids.len(), 1, "one order for one cart");
        let placed = events::pending(&db)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.name == "order.placed")
            .count();
        assert_eq!(placed, 1, "one order.placed event");
    })
    .await;
}

#[tokio::test]
async fn checkout_refuses_what_it_cannot_complete() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let empty = carts::create_cart(&db, carts::NewCart::in_currency("eur"))
            .await
            .unwrap()
            .cart;
        let err = checkout::complete_cart(&db, &providers(), &empty.id)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "the cart is empty");
        assert!(matches!(
            checkout::complete_cart(&db, &providers(), "cart_missing")
                .await
                .map_err(DomainError::from),
            Err(DomainError::NotFound { .. })
        ));

        let unpaid = cart_with(&db, &[("apple", 1)]).await;
        let apple = variant_id(&db, "apple").await;
        let err = checkout::complete_cart(&db, &providers(), &unpaid.id)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("choose a payment method"), "{err}");

        // The cart changed after the payment was set up: the amounts no longer match.
        let changed = ready_cart(&db).await;
        carts::add_line_item(&db, &changed, &apple, 1)
            .await
            .unwrap();
        let err = checkout::complete_cart(&db, &providers(), &changed)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("set up payment again"), "{err}");
        assert!(orders::find_by_cart(&db, &changed).await.unwrap().is_none());
        // After setting up payment again it completes: the failed attempt released its claim.
        let collection = checkout::payment_collection_for_cart(&db, &changed)
            .await
            .unwrap();
        payments::create_session(&db, &providers(), &collection.id, "pp_system_default")
            .await
            .unwrap();
        assert_eq!(
            checkout::complete_cart(&db, &providers(), &changed)
                .await
                .unwrap()
                .order
                .total,
            460
        );
    })
    .await;
}

/// Declines every authorization.
struct Declining;

/// Always wants the shopper to do more (3-D Secure).
struct NeedsMore;

#[async_trait::async_trait]
impl PaymentProvider for NeedsMore {
    fn id(&self) -> &'static str {
        "pp_needs_more"
    }
    async fn initiate(&self, _: &payments::Initiation) -> Result<Value, ProviderError> {
        Ok(Value::Null)
    }
    async fn authorize(&self, data: &Value) -> Result<ProviderOutcome, ProviderError> {
        Ok(ProviderOutcome::RequiresMore(data.clone()))
    }
    async fn capture(&self, data: &Value, _: i64, _: &str) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }
    async fn refund(&self, data: &Value, _: i64, _: &str) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }
    async fn cancel(&self, data: &Value, _: &str) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }
}

#[async_trait::async_trait]
impl PaymentProvider for Declining {
    fn id(&self) -> &'static str {
        "pp_declining"
    }
    async fn initiate(&self, _: &payments::Initiation) -> Result<Value, ProviderError> {
        Ok(Value::Null)
    }
    async fn authorize(&self, _: &Value) -> Result<ProviderOutcome, ProviderError> {
        Err(ProviderError::Declined("insufficient funds".into()))
    }
    async fn capture(&self, data: &Value, _: i64, _: &str) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }
    async fn refund(&self, data: &Value, _: i64, _: &str) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }
    async fn cancel(&self, data: &Value, _: &str) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }
}

async fn pay(
    db: &domain::db::DatabaseConnection,
    providers: &Providers,
    cart_id: &str,
    provider: &str,
) {
    // The cart's region offers the provider besides what it offered.
    let region_id = domain::carts::cart::Entity::find_by_id(cart_id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .region_id
        .unwrap();
    let mut offered = domain::pricing::payment_providers(db, &region_id)
        .await
        .unwrap();
    offered.push(provider.to_owned());
    domain::pricing::set_payment_providers(db, &region_id, &offered)
        .await
        .unwrap();
    let collection = checkout::payment_collection_for_cart(db, cart_id)
        .await
        .unwrap();
    payments::create_session(db, providers, &collection.id, provider)
        .await
        .unwrap();
}

/// Units of a demo product reserved in the stock location of the cart's channel.
async fn reserved(db: &domain::db::DatabaseConnection, cart: &cart::Model, handle: &str) -> i32 {
    let variant = variant_id(db, handle).await;
    let item = inventory::find_item_by_variant(db, &variant)
        .await
        .unwrap()
        .unwrap();
    let channel = cart.sales_channel_id.clone().expect("a channel");
    let location = channels::stock_location_ids(db, &[channel]).await.unwrap()[0].clone();
    inventory::level(db, &item.id, &location)
        .await
        .unwrap()
        .reserved_quantity
}

/// Sets how many units of a product the cart's (only) stock location holds.
async fn set_warehouse_stock(
    db: &domain::db::DatabaseConnection,
    cart: &cart::Model,
    handle: &str,
    units: i32,
) {
    let variant = variant_id(db, handle).await;
    let item = inventory::find_item_by_variant(db, &variant)
        .await
        .unwrap()
        .unwrap();
    let channel = cart.sales_channel_id.clone().expect("a channel");
    let location = channels::stock_location_ids(db, &[channel]).await.unwrap()[0].clone();
    inventory::set_stocked(db, &item.id, &location, units)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_cart_needs_an_email_and_a_shipping_method() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, carts::NewCart::in_currency("eur"))
            .await
            .unwrap()
            .cart;
        let apple = variant_id(&db, "apple").await;
        carts::add_line_item(&db, &cart.id, &apple, 1)
            .await
            .unwrap();
        let err = checkout::complete_cart(&db, &providers(), &cart.id)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("needs an email"), "{err}");
        let email = domain::credentials::Email::parse("a@example.com").unwrap();
        carts::set_email(&db, &cart.id, &email).await.unwrap();
        let err = checkout::complete_cart(&db, &providers(), &cart.id)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("needs a shipping method"), "{err}");
        assert!(err.payment.is_none());
    })
    .await;
}

#[tokio::test]
async fn out_of_stock_fails_and_releases_what_was_reserved() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let stock = domain::seed::WAREHOUSE_STOCK;
        // The apples can be held, the waters cannot (one was sold after they
        // went into the cart): the apples are let go again.
        let cart = cart_with(&db, &[("apple", stock), ("sparkling-water", stock)]).await;
        set_warehouse_stock(&db, &cart, "sparkling-water", stock - 1).await;
        pay(&db, &providers(), &cart.id, "pp_system_default").await;
        let err = checkout::complete_cart(&db, &providers(), &cart.id)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("out of stock"), "{err}");
        assert!(matches!(err.error, DomainError::Invalid(_)));
        assert_eq!(reserved(&db, &cart, "apple").await, 0);
        assert_eq!(reserved(&db, &cart, "sparkling-water").await, 0);
        assert!(orders::find_by_cart(&db, &cart.id).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn a_declined_payment_releases_the_reservations() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let providers = providers().with(Arc::new(Declining));
        let cart = cart_with(&db, &[("apple", 3)]).await;
        pay(&db, &providers, &cart.id, "pp_declining").await;
        let err = checkout::complete_cart(&db, &providers, &cart.id)
            .await
            .unwrap_err();
        assert_eq!(err.payment, Some(checkout::PaymentFailure::Authorization));
        assert!(err.to_string().contains("insufficient funds"), "{err}");
        assert_eq!(reserved(&db, &cart, "apple").await, 0);
        let providers = providers.with(Arc::new(NeedsMore));
        pay(&db, &providers, &cart.id, "pp_needs_more").await;
        let err = checkout::complete_cart(&db, &providers, &cart.id)
            .await
            .unwrap_err();
        assert_eq!(err.payment, Some(checkout::PaymentFailure::RequiresMore));
        assert_eq!(reserved(&db, &cart, "apple").await, 0);
        // Paying another way completes the same cart.
        pay(&db, &providers, &cart.id, "pp_system_default").await;
        checkout::complete_cart(&db, &providers, &cart.id)
            .await
            .unwrap();
        assert_eq!(reserved(&db, &cart, "apple").await, 3);
    })
    .await;
}

#[tokio::test]
async fn the_order_records_totals_region_channel_and_shipping() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = cart_with(&db, &[("sparkling-water", 2), ("apple", 1)]).await;
        let delivery = shipping::options_in_region(&db, cart.region_id.as_deref())
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.name == seed::STANDARD_DELIVERY.0)
            .unwrap();
        carts::add_shipping_method(&db, &cart.id, &delivery.id)
            .await
            .unwrap();
        carts::apply_promotions(&db, &cart.id, &["welcome10".to_owned()])
            .await
            .unwrap();
        pay(&db, &providers(), &cart.id, "pp_system_default").await;
        let order = checkout::complete_cart(&db, &providers(), &cart.id)
            .await
            .unwrap()
            .order;
        // Items 380 incl. 20 % tax, 10 % off → 342; delivery 490.
        assert_eq!(order.discount_total, 38);
        assert_eq!(order.item_total, 342);
        assert_eq!(order.shipping_total, 490);
        assert_eq!(order.total, 342 + 490);
        // 270 → 225 + 45, 72 → 60 + 12, 490 → 408 + 82
        assert_eq!(order.tax_total, 45 + 12 + 82);
        assert_eq!(order.original_total, 380 + 490);
        assert_eq!(order.region_id, cart.region_id);
        assert_eq!(order.sales_channel_id, cart.sales_channel_id);
        assert_eq!(
            order.shipping_method_name.as_deref(),
            Some(seed::STANDARD_DELIVERY.0)
        );
        assert_eq!(order.promo_codes.as_deref(), Some(seed::DEMO_PROMO_CODE));
        assert_eq!(reserved(&db, &cart, "sparkling-water").await, 2);
    })
    .await;
}

#[tokio::test]
async fn a_promotion_at_its_usage_limit_fails_the_next_order() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let once = promotions::create_promotion(
            &db,
            promotions::NewPromotion {
                code: "ONCE".into(),
                value: DiscountValue::Fixed(50),
                target: DiscountTarget::Order,
                status: promotions::promotion::Status::Active,
                is_automatic: false,
                currency_code: Some("eur".into()),
                usage_limit: Some(1),
                campaign_id: None,
            },
        )
        .await
        .unwrap();
        let first = cart_with(&db, &[("apple", 1)]).await;
        let second = cart_with(&db, &[("apple", 2)]).await;
        for cart in [&first, &second] {
            carts::apply_promotions(&db, &cart.id, &["once".to_owned()])
                .await
                .unwrap();
            pay(&db, &providers(), &cart.id, "pp_system_default").await;
        }
        checkout::complete_cart(&db, &providers(), &first.id)
            .await
            .unwrap();
        let err = checkout::complete_cart(&db, &providers(), &second.id)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("used up"), "{err}");
        assert_eq!(
            reserved(&db, &second, "apple").await,
            1,
            "only the first order's apple"
        );
        let third = cart_with(&db, &[("apple", 1)]).await;
        assert!(matches!(
            carts::apply_promotions(&db, &third.id, std::slice::from_ref(&once.code)).await,
            Err(DomainError::Invalid(_))
        ));
    })
    .await;
}
