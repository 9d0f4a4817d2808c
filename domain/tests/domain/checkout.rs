use std::sync::Arc;

use domain::{
    DomainError, carts, catalog, checkout, events, orders,
    payments::{self, Providers, status, system::SystemProvider},
};

use crate::{on_every_backend, seeded};

fn providers() -> Providers {
    Providers::default().with(Arc::new(SystemProvider))
}

/// A cart with two waters and an apple, paid with the system provider.
async fn ready_cart(db: &domain::db::DatabaseConnection) -> String {
    let cart = carts::create_cart(db, "eur").await.unwrap();
    for (handle, quantity) in [("sparkling-water", 2), ("apple", 1)] {
        let variant = catalog::find_published(db, handle).await.unwrap().variants[0]
            .variant
            .id
            .clone();
        carts::add_line_item(db, &cart.id, &variant, quantity)
            .await
            .unwrap();
    }
    let collection = checkout::payment_collection_for_cart(db, &cart.id)
        .await
        .unwrap();
    assert_eq!(collection.amount, 2 * 150 + 80);
    payments::create_session(db, &providers(), &collection.id, "pp_system_default")
        .await
        .unwrap();
    cart.id
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
        assert_eq!(order.order.status, orders::STATUS_PENDING);
        let collection =
            payments::find_collection(&db, order.order.payment_collection_id.as_deref().unwrap())
                .await
                .unwrap();
        assert_eq!(collection.status, status::AUTHORIZED);
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
        let empty = carts::create_cart(&db, "eur").await.unwrap();
        let err = checkout::complete_cart(&db, &providers(), &empty.id)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "the cart is empty");
        assert!(matches!(
            checkout::complete_cart(&db, &providers(), "cart_missing").await,
            Err(DomainError::NotFound { .. })
        ));

        let unpaid = carts::create_cart(&db, "eur").await.unwrap();
        let apple = catalog::find_published(&db, "apple")
            .await
            .unwrap()
            .variants[0]
            .variant
            .id
            .clone();
        carts::add_line_item(&db, &unpaid.id, &apple, 1)
            .await
            .unwrap();
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
