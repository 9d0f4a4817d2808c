use domain::{
    DomainError,
    catalog::{self, NewProduct, NewVariant},
    channels::{self, NewStockLocation},
    inventory::{self, NewReservation},
};
use sea_orm::DatabaseConnection;

use crate::{on_every_backend, seeded};

/// A fresh variant with an inventory item and an empty location.
async fn item_and_location(db: &DatabaseConnection) -> (String, String, String) {
    let product_id = catalog::create_product(
        db,
        NewProduct {
            title: "Gum".into(),
            handle: "gum".into(),
            description: None,
            thumbnail: None,
            published: true,
            variants: vec![NewVariant {
                title: "Mint".into(),
                sku: Some("GUM-MINT".into()),
                weight_grams: None,
                prices: vec![],
            }],
        },
    )
    .await
    .unwrap();
    let variant_id = catalog::find_published(db, &product_id)
        .await
        .unwrap()
        .variants[0]
        .variant
        .id
        .clone();
    let item = inventory::create_item(db, &variant_id).await.unwrap();
    assert!(item.id.starts_with("iitem_"));
    assert_eq!(item.sku.as_deref(), Some("GUM-MINT"));
    let location = channels::create_stock_location(
        db,
        NewStockLocation {
            name: "Shelf".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    (variant_id, item.id, location.id)
}

fn reservation(item: &str, location: &str, quantity: i32) -> NewReservation {
    NewReservation {
        inventory_item_id: item.into(),
        location_id: location.into(),
        quantity,
        line_item_id: Some("cali_test".into()),
        external_id: None,
        ..Default::default()
    }
}

#[tokio::test]
async fn stock_is_set_adjusted_and_never_negative() {
    on_every_backend(async |db| {
        let (variant_id, item, location) = item_and_location(&db).await;
        assert!(matches!(
            inventory::create_item(&db, &variant_id).await,
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            inventory::create_item(&db, "variant_missing").await,
            Err(DomainError::NotFound { .. })
        ));

        let level = inventory::set_stocked(&db, &item, &location, 4)
            .await
            .unwrap();
        assert_eq!((level.stocked_quantity, level.reserved_quantity), (4, 0));
        assert_eq!(
            inventory::adjust_stocked(&db, &item, &location, 3)
                .await
                .unwrap()
                .stocked_quantity,
            7
        );
        assert_eq!(
            inventory::adjust_stocked(&db, &item, &location, -7)
                .await
                .unwrap()
                .stocked_quantity,
            0
        );
        let Err(DomainError::Invalid(message)) =
            inventory::adjust_stocked(&db, &item, &location, -1).await
        else {
            panic!("stock cannot go negative")
        };
        assert!(message.contains("cannot become -1"), "{message}");
        assert!(matches!(
            inventory::set_stocked(&db, &item, &location, -2).await,
            Err(DomainError::Invalid(_))
        ));

        inventory::set_stocked(&db, &item, &location, 5)
            .await
            .unwrap();
        inventory::reserve(&db, reservation(&item, &location, 3))
            .await
            .unwrap();
        assert!(
            matches!(
                inventory::set_stocked(&db, &item, &location, 2).await,
                Err(DomainError::Invalid(_))
            ),
            "below reserved"
        );
        assert!(matches!(
            inventory::adjust_stocked(&db, &item, &location, -3).await,
            Err(DomainError::Invalid(_))
        ));
        let level = inventory::level(&db, &item, &location).await.unwrap();
        assert_eq!(
            (level.stocked_quantity, level.reserved_quantity),
            (5, 3),
            "failed changes change nothing"
        );

        assert!(matches!(
            inventory::set_stocked(&db, "iitem_missing", &location, 1).await,
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            inventory::adjust_stocked(&db, &item, "sloc_missing", 1).await,
            Err(DomainError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn reservations_hold_release_and_fulfil_stock() {
    on_every_backend(async |db| {
        let (_, item, location) = item_and_location(&db).await;
        inventory::set_stocked(&db, &item, &location, 5)
            .await
            .unwrap();

        let held = inventory::reserve(&db, reservation(&item, &location, 2))
            .await
            .unwrap();
        assert!(held.id.starts_with("resitem_"));
        assert_eq!(held.line_item_id.as_deref(), Some("cali_test"));
        let level = inventory::level(&db, &item, &location).await.unwrap();
        assert_eq!(
            (
                level.stocked_quantity,
                level.reserved_quantity,
                level.available_quantity()
            ),
            (5, 2, 3)
        );

        let Err(DomainError::Invalid(message)) =
            inventory::reserve(&db, reservation(&item, &location, 4)).await
        else {
            panic!("only 3 are available")
        };
        assert!(
            message.contains("out of stock") && message.contains("4 requested, 3 available"),
            "{message}"
        );
        for bad in [0, -1] {
            assert!(matches!(
                inventory::reserve(&db, reservation(&item, &location, bad)).await,
                Err(DomainError::Invalid(_))
            ));
        }
        assert!(matches!(
            inventory::reserve(&db, reservation(&item, "sloc_missing", 1)).await,
            Err(DomainError::NotFound { .. })
        ));

        assert!(inventory::release(&db, &held.id).await.unwrap());
        assert!(
            !inventory::release(&db, &held.id).await.unwrap(),
            "releasing twice is harmless"
        );
        assert_eq!(
            inventory::level(&db, &item, &location)
                .await
                .unwrap()
                .reserved_quantity,
            0
        );

        let sold = inventory::reserve(&db, reservation(&item, &location, 3))
            .await
            .unwrap();
        inventory::fulfil(&db, &sold.id).await.unwrap();
        let level = inventory::level(&db, &item, &location).await.unwrap();
        assert_eq!((level.stocked_quantity, level.reserved_quantity), (2, 0));
        assert!(
            matches!(
                inventory::fulfil(&db, &sold.id).await,
                Err(DomainError::NotFound { .. })
            ),
            "fulfilled once"
        );
        assert!(
            !inventory::release(&db, &sold.id).await.unwrap(),
            "a fulfilled reservation is gone"
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_reservations_never_oversell() {
    on_every_backend(async |db| {
        let (_, item, location) = item_and_location(&db).await;
        inventory::set_stocked(&db, &item, &location, 10)
            .await
            .unwrap();
        let attempts = (0..30).map(|_| {
            let (db, item, location) = (db.clone(), item.clone(), location.clone());
            tokio::spawn(
                async move { inventory::reserve(&db, reservation(&item, &location, 1)).await },
            )
        });
        let mut won = Vec::new();
        let mut out_of_stock = 0;
        for attempt in attempts.collect::<Vec<_>>() {
            match attempt.await.unwrap() {
                Ok(held) => won.push(held.id),
                Err(DomainError::Invalid(m)) if m.contains("out of stock") => out_of_stock += 1,
                Err(other) => panic!("unexpected error: {other}"),
            }
        }
        assert_eq!((won.len(), out_of_stock), (10, 20));
        let level = inventory::level(&db, &item, &location).await.unwrap();
        assert_eq!(
            (
                level.stocked_quantity,
                level.reserved_quantity,
                level.available_quantity()
            ),
            (10, 10, 0)
        );

        // Releasing the same reservations twice, concurrently, gives each back once.
        let releases = won.iter().chain(&won).map(|id| {
            let (db, id) = (db.clone(), id.clone());
            tokio::spawn(async move { inventory::release(&db, &id).await })
        });
        let mut released = 0;
        for release in releases.collect::<Vec<_>>() {
            released += usize::from(release.await.unwrap().unwrap());
        }
        assert_eq!(released, 10);
        assert_eq!(
            inventory::level(&db, &item, &location)
                .await
                .unwrap()
                .reserved_quantity,
            0
        );
    })
    .await;
}

#[tokio::test]
async fn availability_sums_the_channels_locations() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let channels = channels::list_sales_channels(&db).await.unwrap();
        let (online, machine) = (&channels[0], &channels[1]);
        let apple = catalog::find_published(&db, "apple")
            .await
            .unwrap()
            .variants[0]
            .variant
            .id
            .clone();
        assert_eq!(
            inventory::variant_availability(&db, &apple, &online.id)
                .await
                .unwrap(),
            Some(50)
        );
        let in_machine = inventory::variant_availability(&db, &apple, &machine.id)
            .await
            .unwrap()
            .unwrap();
        assert!((5..=12).contains(&in_machine), "{in_machine}");

        let both = inventory::available_in_channels(
            &db,
            std::slice::from_ref(&apple),
            &[online.id.clone(), machine.id.clone()],
        )
        .await
        .unwrap();
        assert_eq!(both[&apple], 50 + in_machine);

        // A second location supplying the online store adds to its availability.
        let depot = channels::create_stock_location(
            &db,
            NewStockLocation {
                name: "Depot".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        channels::link_stock_location(&db, &online.id, &depot.id)
            .await
            .unwrap();
        let item = inventory::find_item_by_variant(&db, &apple)
            .await
            .unwrap()
            .unwrap();
        inventory::set_stocked(&db, &item.id, &depot.id, 7)
            .await
            .unwrap();
        inventory::reserve(&db, reservation(&item.id, &depot.id, 2))
            .await
            .unwrap();
        assert_eq!(
            inventory::variant_availability(&db, &apple, &online.id)
                .await
                .unwrap(),
            Some(55)
        );

        let unmanaged = catalog::create_product(
            &db,
            NewProduct {
                title: "Air".into(),
                handle: "air".into(),
                description: None,
                thumbnail: None,
                published: true,
                variants: vec![NewVariant {
                    title: "Fresh".into(),
                    sku: None,
                    weight_grams: None,
                    prices: vec![],
                }],
            },
        )
        .await
        .unwrap();
        let air = catalog::find_published(&db, &unmanaged)
            .await
            .unwrap()
            .variants[0]
            .variant
            .id
            .clone();
        assert_eq!(
            inventory::variant_availability(&db, &air, &online.id)
                .await
                .unwrap(),
            None
        );
        assert!(matches!(
            inventory::variant_availability(&db, &apple, "sc_missing").await,
            Err(DomainError::NotFound { .. })
        ));
    })
    .await;
}
