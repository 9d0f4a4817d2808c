use std::sync::Arc;

use domain::{
    DomainError, carts, catalog, checkout,
    credentials::{Email, Password},
    customers, events,
    inventory::{self, inventory_level},
    orders::{self, OrderFilter, fulfillment_status, payment_status},
    payments::{self, Providers, system::SystemProvider},
    shipping,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{on_every_backend, seeded};

fn providers() -> Providers {
    Providers::default().with(Arc::new(SystemProvider))
}

/// Places an order of `quantity` waters for `email` through checkout (which
/// reserves the stock), on behalf of `customer_id` when given.
async fn place(
    db: &domain::db::DatabaseConnection,
    email: &str,
    customer_id: Option<&str>,
    quantity: i32,
) -> orders::OrderDetail {
    let cart = carts::create_cart(db, carts::NewCart::in_currency("eur"))
        .await
        .unwrap()
        .cart;
    let variant = water_variant(db).await;
    carts::add_line_item(db, &cart.id, &variant, quantity)
        .await
        .unwrap();
    carts::set_email(db, &cart.id, &Email::parse(email).unwrap())
        .await
        .unwrap();
    if let Some(customer_id) = customer_id {
        carts::set_customer(db, &cart.id, customer_id)
            .await
            .unwrap();
    }
    let delivery = shipping::options_in_region(db, cart.region_id.as_deref())
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("a shipping option");
    carts::add_shipping_method(db, &cart.id, &delivery.id)
        .await
        .unwrap();
    let collection = checkout::payment_collection_for_cart(db, &cart.id)
        .await
        .unwrap();
    payments::create_session(db, &providers(), &collection.id, payments::system::ID)
        .await
        .unwrap();
    checkout::complete_cart(db, &providers(), &cart.id)
        .await
        .unwrap()
}

async fn water_variant(db: &domain::db::DatabaseConnection) -> String {
    catalog::find_published(db, "sparkling-water")
        .await
        .unwrap()
        .variants[0]
        .variant
        .id
        .clone()
}

/// The water's stock over every location: (stocked, reserved).
async fn reserved(db: &domain::db::DatabaseConnection) -> (i32, i32) {
    let item = inventory::find_item_by_variant(db, &water_variant(db).await)
        .await
        .unwrap()
        .unwrap();
    inventory_level::Entity::find()
        .filter(inventory_level::Column::InventoryItemId.eq(&item.id))
        .all(db)
        .await
        .unwrap()
        .iter()
        .fold((0, 0), |(stocked, reserved), level| {
            (
                stocked + level.stocked_quantity,
                reserved + level.reserved_quantity,
            )
        })
}

async fn canceled_events(db: &domain::db::DatabaseConnection, order_id: &str) -> usize {
    events::pending(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.name == orders::ORDER_CANCELED && e.payload.contains(order_id))
        .count()
}

#[tokio::test]
async fn orders_are_listed_newest_first_by_status_customer_date_and_text() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let customer = customers::sign_up(
            &db,
            &Email::parse("ada@example.com").unwrap(),
            &Password::parse("a long password").unwrap(),
            customers::Profile::default(),
        )
        .await
        .unwrap();
        let first = place(&db, "ada@example.com", Some(&customer.id), 1).await;
        let guest = place(&db, "guest@example.com", None, 1).await;
        let second = place(&db, "ada@example.com", Some(&customer.id), 2).await;
        orders::cancel(&db, &providers(), &guest.order.id)
            .await
            .unwrap();

        let ids = |page: &(Vec<orders::OrderDetail>, u64)| {
            page.0
                .iter()
                .map(|o| o.order.id.clone())
                .collect::<Vec<_>>()
        };
        let all = orders::list(&db, &OrderFilter::default(), 0, 10)
            .await
            .unwrap();
        assert_eq!(
            ids(&all),
            [
                second.order.id.as_str(),
                guest.order.id.as_str(),
                first.order.id.as_str()
            ]
        );
        assert_eq!(all.1, 3);
        let page = orders::list(&db, &OrderFilter::default(), 1, 1)
            .await
            .unwrap();
        assert_eq!((ids(&page), page.1), (vec![guest.order.id.clone()], 3));

        let history = orders::for_customer(&db, &customer.id, 0, 10)
            .await
            .unwrap();
        assert_eq!(
            ids(&history),
            [second.order.id.as_str(), first.order.id.as_str()]
        );

        let canceled = OrderFilter {
            status: vec![orders::order::Status::Canceled],
            ..Default::default()
        };
        let found = orders::list(&db, &canceled, 0, 10).await.unwrap();
        assert_eq!(ids(&found), [guest.order.id.as_str()]);

        let by_text = OrderFilter {
            q: Some("GUEST@".into()),
            ..Default::default()
        };
        let found = orders::list(&db, &by_text, 0, 10).await.unwrap();
        assert_eq!(ids(&found), [guest.order.id.as_str()]);

        let since_second = OrderFilter {
            created_from: Some(second.order.created_at),
            ..Default::default()
        };
        let found = orders::list(&db, &since_second, 0, 10).await.unwrap();
        assert_eq!(ids(&found), [second.order.id.as_str()]);
        let until_first = OrderFilter {
            created_until: Some(first.order.created_at),
            ..Default::default()
        };
        let found = orders::list(&db, &until_first, 0, 10).await.unwrap();
        assert_eq!(ids(&found), [first.order.id.as_str()]);
    })
    .await;
}

#[tokio::test]
async fn canceling_refunds_the_capture_releases_stock_and_emits_once() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let before = reserved(&db).await;
        let order = place(&db, "ada@example.com", None, 2).await;
        assert_eq!(order.payment_status, payment_status::AUTHORIZED);
        assert_eq!(reserved(&db).await, (before.0, before.1 + 2));
        let payment = domain::payments::payment::Entity::find()
            .filter(
                domain::payments::payment::Column::PaymentCollectionId.eq(order
                    .order
                    .payment_collection_id
                    .clone()
                    .unwrap()),
            )
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        payments::capture(&db, &providers(), &payment.id, None)
            .await
            .unwrap();
        assert_eq!(
            orders::find(&db, &order.order.id)
                .await
                .unwrap()
                .payment_status,
            payment_status::CAPTURED
        );

        let canceled = orders::cancel(&db, &providers(), &order.order.id)
            .await
            .unwrap();
        assert_eq!(canceled.order.status, orders::order::Status::Canceled);
        assert!(canceled.order.canceled_at.is_some());
        assert_eq!(canceled.payment_status, payment_status::REFUNDED);
        assert_eq!(reserved(&db).await, before, "the reservation is released");
        let again = orders::cancel(&db, &providers(), &order.order.id)
            .await
            .unwrap();
        assert_eq!(again.order.canceled_at, canceled.order.canceled_at);
        let refunded = payments::find_payment(&db, &payment.id).await.unwrap();
        assert_eq!(refunded.refunded_amount, 300, "refunded once, in full");
        assert_eq!(canceled_events(&db, &order.order.id).await, 1);
    })
    .await;
}

#[tokio::test]
async fn concurrent_cancels_refund_once() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let order = place(&db, "ada@example.com", None, 1).await;
        let id = order.order.id.clone();
        let racers: Vec<_> = (0..4)
            .map(|_| {
                let (db, id) = (db.clone(), id.clone());
                tokio::spawn(async move { orders::cancel(&db, &providers(), &id).await })
            })
            .collect();
        for racer in racers {
            let order = racer.await.unwrap().unwrap();
            assert_eq!(order.payment_status, payment_status::CANCELED);
        }
        assert_eq!(canceled_events(&db, &id).await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_fulfilled_order_cannot_be_canceled() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let before = reserved(&db).await;
        let order = place(&db, "ada@example.com", None, 1).await;
        let fulfilled = orders::fulfil(&db, &providers(), &order.order.id, &Default::default())
            .await
            .unwrap();
        assert_eq!(fulfilled.fulfillment_status, fulfillment_status::FULFILLED);
        assert_eq!(fulfilled.order.status, orders::order::Status::Completed);
        assert_eq!(
            reserved(&db).await,
            (before.0 - 1, before.1),
            "the unit was sold"
        );

        let refused = orders::cancel(&db, &providers(), &order.order.id).await;
        assert!(
            matches!(&refused, Err(DomainError::Conflict(m)) if m.contains("fulfilled already")),
            "{refused:?}"
        );
        let unchanged = orders::find(&db, &order.order.id).await.unwrap();
        assert!(unchanged.order.canceled_at.is_none());
        // Captured on fulfilment (the region captures on fulfilment by default).
        assert_eq!(unchanged.payment_status, payment_status::CAPTURED);
        assert_eq!(canceled_events(&db, &order.order.id).await, 0);
        assert!(matches!(
            orders::cancel(&db, &providers(), "order_missing").await,
            Err(DomainError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn a_region_captures_on_fulfilment_or_as_soon_as_the_order_is_placed() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let on_fulfilment = place(&db, "ada@example.com", None, 1).await;
        let region_id = on_fulfilment.order.region_id.clone().unwrap();
        assert!(
            !domain::pricing::find_region(&db, &region_id)
                .await
                .unwrap()
                .region
                .automatic_capture,
            "regions capture on fulfilment unless told otherwise"
        );
        assert_eq!(on_fulfilment.payment_status, payment_status::AUTHORIZED);
        let fulfilled = orders::fulfil(
            &db,
            &providers(),
            &on_fulfilment.order.id,
            &Default::default(),
        )
        .await
        .unwrap();
        assert_eq!(fulfilled.payment_status, payment_status::CAPTURED);

        domain::pricing::update_region(
            &db,
            &region_id,
            domain::pricing::RegionChanges {
                automatic_capture: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let at_once = place(&db, "bob@example.com", None, 2).await;
        let placed = orders::find(&db, &at_once.order.id).await.unwrap();
        assert_eq!(placed.payment_status, payment_status::CAPTURED);
        assert_eq!(placed.fulfillment_status, fulfillment_status::NOT_FULFILLED);
        // Fulfilling it later captures nothing more.
        let fulfilled = orders::fulfil(&db, &providers(), &at_once.order.id, &Default::default())
            .await
            .unwrap();
        assert_eq!(fulfilled.payment_status, payment_status::CAPTURED);
        let payment = payments::payment::Entity::find()
            .filter(
                payments::payment::Column::PaymentCollectionId.eq(placed
                    .order
                    .payment_collection_id
                    .clone()
                    .unwrap()),
            )
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        let history = payments::operations::of_payment(&db, &payment.id)
            .await
            .unwrap();
        assert_eq!(history.len(), 1, "captured once: {history:?}");
        assert_eq!(payment.captured_amount, payment.amount);
    })
    .await;
}
