//! Creating and changing products as the Admin API and the dashboard do.

use domain::{
    DomainError,
    catalog::{
        self,
        editing::{self, OptionInput, ProductChanges, ProductInput, VariantInput},
    },
    channels::{self, NewStockLocation},
    inventory::{self, NewReservation},
};

use crate::on_every_backend;

fn priced(sku: &str, cents: i64) -> VariantInput {
    VariantInput {
        sku: Some(sku.into()),
        prices: Some(vec![("eur".into(), cents)]),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_product_is_created_with_stock_and_its_variants_upserted() {
    on_every_backend(async |db| {
        let location = channels::create_stock_location(
            &db,
            NewStockLocation {
                name: "Shelf".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let id = editing::create(
            &db,
            ProductInput {
                title: "Cold Brew 0.5 l".into(),
                options: vec![OptionInput {
                    title: "Size".into(),
                    values: vec!["S".into(), "L".into()],
                }],
                variants: vec![VariantInput {
                    options: [("Size".to_owned(), "S".to_owned())].into(),
                    stock: vec![(location.id.clone(), 4)],
                    ..priced("CB-S", 300)
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let product = catalog::find_product(&db, &id).await.unwrap();
        assert_eq!(product.product.handle, "cold-brew-0-5-l");
        assert_eq!(product.product.status, catalog::product::Status::Draft);
        let small = product.variants[0].clone();
        assert_eq!(small.variant.title, "S", "a title from the option values");
        assert_eq!(small.options[0].0, "Size");
        let item = inventory::find_item_by_variant(&db, &small.variant.id)
            .await
            .unwrap()
            .expect("managed by default");
        assert_eq!(
            inventory::level(&db, &item.id, &location.id)
                .await
                .unwrap()
                .stocked_quantity,
            4
        );

        // Keep S (new price), add L, in one call.
        editing::update(
            &db,
            &id,
            ProductChanges {
                status: Some("published".into()),
                variants: Some(vec![
                    VariantInput {
                        id: Some(small.variant.id.clone()),
                        prices: Some(vec![("eur".into(), 320)]),
                        ..Default::default()
                    },
                    VariantInput {
                        options: [("Size".to_owned(), "L".to_owned())].into(),
                        ..priced("CB-L", 450)
                    },
                ]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let product = catalog::find_product(&db, &id).await.unwrap();
        assert_eq!(product.variants.len(), 2);
        assert_eq!(product.variants[0].price_in("eur"), Some(320));
        assert_eq!(product.variants[0].variant.sku.as_deref(), Some("CB-S"));
        assert_eq!(product.variants[1].price_in("eur"), Some(450));

        // A refused change leaves everything as it was.
        let refused = editing::update(
            &db,
            &id,
            ProductChanges {
                title: Some("Renamed".into()),
                variants: Some(vec![VariantInput {
                    options: [("Size".to_owned(), "XL".to_owned())].into(),
                    ..Default::default()
                }]),
                ..Default::default()
            },
        )
        .await;
        assert!(
            matches!(refused, Err(DomainError::Invalid(_))),
            "{refused:?}"
        );
        let product = catalog::find_product(&db, &id).await.unwrap();
        assert_eq!(product.product.title, "Cold Brew 0.5 l");
        assert_eq!(product.variants.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn reserved_units_protect_variants_products_and_stock() {
    on_every_backend(async |db| {
        let location = channels::create_stock_location(
            &db,
            NewStockLocation {
                name: "Machine".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let id = editing::create(
            &db,
            ProductInput {
                title: "Wrap".into(),
                variants: vec![VariantInput {
                    stock: vec![(location.id.clone(), 5)],
                    ..priced("WRAP", 590)
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let variant = catalog::find_product(&db, &id).await.unwrap().variants[0]
            .variant
            .clone();
        let item = inventory::find_item_by_variant(&db, &variant.id)
            .await
            .unwrap()
            .unwrap();
        inventory::reserve(
            &db,
            NewReservation {
                inventory_item_id: item.id.clone(),
                location_id: location.id.clone(),
                quantity: 3,
                ..Default::default()
            },
        )
        .await
        .unwrap();

        let below = editing::update_variant(
            &db,
            &id,
            &variant.id,
            VariantInput {
                stock: vec![(location.id.clone(), 2)],
                ..Default::default()
            },
        )
        .await;
        assert!(matches!(below, Err(DomainError::Invalid(_))), "{below:?}");
        assert!(matches!(
            editing::delete_variant(&db, &id, &variant.id).await,
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            editing::delete(&db, &id).await,
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            channels::delete_stock_location(&db, &location.id).await,
            Err(DomainError::Conflict(_))
        ));
        let level = inventory::level(&db, &item.id, &location.id).await.unwrap();
        assert_eq!((level.stocked_quantity, level.reserved_quantity), (5, 3));
    })
    .await;
}

#[tokio::test]
async fn every_product_change_is_announced_in_the_outbox() {
    on_every_backend(async |db| {
        let announced = async || -> Vec<(String, String)> {
            domain::events::pending(&db)
                .await
                .unwrap()
                .into_iter()
                .map(|e| {
                    let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap();
                    (e.name, payload["id"].as_str().unwrap().to_owned())
                })
                .collect()
        };
        let id = editing::create(
            &db,
            ProductInput {
                title: "Iced Tea".into(),
                variants: vec![priced("TEA", 200)],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let variant = editing::create_variant(&db, &id, priced("TEA-L", 300))
            .await
            .unwrap();
        editing::update_variant(&db, &id, &variant, priced("TEA-L", 320))
            .await
            .unwrap();
        editing::delete_variant(&db, &id, &variant).await.unwrap();
        editing::update(
            &db,
            &id,
            ProductChanges {
                title: Some("Peach Iced Tea".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        editing::delete(&db, &id).await.unwrap();
        let updated = (catalog::PRODUCT_UPDATED.to_owned(), id.clone());
        let mut expected = vec![
            (catalog::PRODUCT_CREATED.to_owned(), id.clone()),
            (catalog::PRODUCT_DELETED.to_owned(), id.clone()),
            updated.clone(),
            updated.clone(),
            updated.clone(),
            updated,
        ];
        expected.sort();
        // Sorted: changes within the same instant may be listed in either order.
        let mut got = announced().await;
        got.sort();
        assert_eq!(got, expected);
        // A refused change announces nothing.
        assert!(editing::delete(&db, &id).await.is_err());
        assert_eq!(announced().await.len(), 6);
    })
    .await;
}
