use domain::{DomainError, carts, catalog};

use crate::{on_every_backend, seeded};

async fn variant_of(db: &domain::db::DatabaseConnection, handle: &str) -> (String, i64) {
    let product = catalog::find_published(db, handle).await.unwrap();
    let variant = &product.variants[0];
    (variant.variant.id.clone(), variant.price_in("eur").unwrap())
}

#[tokio::test]
async fn adding_the_same_variant_raises_its_quantity() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, "EUR").await.unwrap();
        assert_eq!(cart.currency_code, "eur");
        let (water, water_price) = variant_of(&db, "sparkling-water").await;
        let (apple, apple_price) = variant_of(&db, "apple").await;
        carts::add_line_item(&db, &cart.id, &water, 1)
            .await
            .unwrap();
        carts::add_line_item(&db, &cart.id, &water, 2)
            .await
            .unwrap();
        let detail = carts::add_line_item(&db, &cart.id, &apple, 1)
            .await
            .unwrap();
        assert_eq!(detail.items.len(), 2);
        assert_eq!(detail.item_count(), 4);
        assert_eq!(detail.subtotal(), 3 * water_price + apple_price);
    })
    .await;
}

#[tokio::test]
async fn rejects_bad_quantities_and_unknown_things() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, "eur").await.unwrap();
        let (water, _) = variant_of(&db, "sparkling-water").await;
        for quantity in [0, -1, 1000] {
            let result = carts::add_line_item(&db, &cart.id, &water, quantity).await;
            assert!(
                matches!(result, Err(DomainError::Invalid(_))),
                "quantity {quantity}"
            );
        }
        carts::add_line_item(&db, &cart.id, &water, 999)
            .await
            .unwrap();
        assert!(matches!(
            carts::add_line_item(&db, &cart.id, &water, 1).await,
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            carts::add_line_item(&db, &cart.id, "variant_nope", 1).await,
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            carts::add_line_item(&db, "cart_nope", &water, 1).await,
            Err(DomainError::NotFound { .. })
        ));
        assert_eq!(
            carts::get_cart(&db, &cart.id).await.unwrap().item_count(),
            999,
            "failed adds change nothing"
        );
    })
    .await;
}

#[tokio::test]
async fn a_cart_in_another_currency_cannot_take_an_unpriced_variant() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, "usd").await.unwrap();
        let (water, _) = variant_of(&db, "sparkling-water").await;
        let err = carts::add_line_item(&db, &cart.id, &water, 1)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no price in usd"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn lines_change_quantity_and_leave_at_zero() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, "eur").await.unwrap();
        let (water, price) = variant_of(&db, "sparkling-water").await;
        let (apple, _) = variant_of(&db, "apple").await;
        carts::add_line_item(&db, &cart.id, &apple, 1)
            .await
            .unwrap();
        let detail = carts::add_line_item(&db, &cart.id, &water, 1)
            .await
            .unwrap();
        let line = detail
            .items
            .iter()
            .find(|l| l.variant_id == water)
            .unwrap()
            .id
            .clone();
        let detail = carts::update_line_item(&db, &cart.id, &line, 4)
            .await
            .unwrap();
        assert_eq!(
            detail.items.iter().find(|l| l.id == line).unwrap().quantity,
            4
        );
        assert_eq!(detail.subtotal(), 4 * price + 80);
        let detail = carts::update_line_item(&db, &cart.id, &line, 0)
            .await
            .unwrap();
        assert_eq!(detail.items.len(), 1, "quantity 0 removes the line");
        assert!(matches!(
            carts::update_line_item(&db, &cart.id, &line, 1).await,
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            carts::update_line_item(&db, &cart.id, &detail.items[0].id, -1).await,
            Err(DomainError::Invalid(_))
        ));
        let other = carts::create_cart(&db, "eur").await.unwrap();
        let foreign = carts::update_line_item(&db, &other.id, &detail.items[0].id, 2).await;
        assert!(
            matches!(foreign, Err(DomainError::NotFound { .. })),
            "a line of another cart is not found"
        );
    })
    .await;
}
