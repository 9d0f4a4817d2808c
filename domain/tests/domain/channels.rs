use domain::{
    DomainError, api_keys,
    catalog::{self, ProductQuery},
    channels::{self, NewStockLocation},
    devices,
};

use crate::{on_every_backend, seeded};

fn in_channels(ids: &[String]) -> ProductQuery {
    ProductQuery {
        sales_channel_ids: Some(ids.to_vec()),
        limit: 100,
        ..Default::default()
    }
}

#[tokio::test]
async fn the_demo_store_has_a_channel_and_location_per_outlet() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let names: Vec<_> = channels::list_sales_channels(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(
            names,
            ["Online store", "Vending machine 1", "Vending machine 2"]
        );
        for device in devices::list(&db).await.unwrap() {
            let channel = channels::find_sales_channel(
                &db,
                device.sales_channel_id.as_deref().expect("assigned"),
            )
            .await
            .unwrap();
            assert_eq!(channel.name, device.name);
            assert_eq!(
                channels::stock_location_ids(&db, &[channel.id])
                    .await
                    .unwrap()
                    .len(),
                1,
                "its own location"
            );
        }
        let key = api_keys::first_publishable(&db).await.unwrap().unwrap();
        let key_channels = channels::publishable_key_channel_ids(&db, &key.id)
            .await
            .unwrap();
        assert_eq!(key_channels.len(), 1);
        assert_eq!(
            channels::find_sales_channel(&db, &key_channels[0])
                .await
                .unwrap()
                .name,
            "Online store"
        );
        assert_eq!(
            catalog::list_published(&db, &in_channels(&key_channels))
                .await
                .unwrap()
                .count,
            8
        );
    })
    .await;
}

#[tokio::test]
async fn listings_show_only_products_published_to_the_channels() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let kiosk = channels::create_sales_channel(&db, "Kiosk", None)
            .await
            .unwrap();
        let kiosk_ids = vec![kiosk.id.clone()];
        assert_eq!(
            catalog::list_published(&db, &in_channels(&kiosk_ids))
                .await
                .unwrap()
                .count,
            0
        );
        assert_eq!(
            catalog::list_published(&db, &in_channels(&[]))
                .await
                .unwrap()
                .count,
            0,
            "no channel, no products"
        );

        let apple = catalog::find_published(&db, "apple").await.unwrap();
        channels::publish_product(&db, &apple.product.id, &kiosk.id)
            .await
            .unwrap();
        channels::publish_product(&db, &apple.product.id, &kiosk.id)
            .await
            .unwrap();
        let page = catalog::list_published(&db, &in_channels(&kiosk_ids))
            .await
            .unwrap();
        assert_eq!(page.count, 1, "publishing twice is harmless");
        assert_eq!(page.products[0].product.handle, "apple");
        assert!(
            catalog::find_published_in_channels(&db, "apple", &kiosk_ids)
                .await
                .is_ok()
        );
        assert!(matches!(
            catalog::find_published_in_channels(&db, "orange-juice", &kiosk_ids).await,
            Err(DomainError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn links_need_existing_ends_and_names() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let channel = channels::create_sales_channel(&db, "Kiosk", Some("Lobby"))
            .await
            .unwrap();
        assert!(channel.id.starts_with("sc_"));
        assert!(!channel.is_disabled);
        let location = channels::create_stock_location(
            &db,
            NewStockLocation {
                name: "Back room".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(location.id.starts_with("sloc_"));
        fn not_found<T>(r: Result<T, DomainError>) -> bool {
            matches!(r, Err(DomainError::NotFound { .. }))
        }
        assert!(not_found(
            channels::link_stock_location(&db, "sc_missing", &location.id).await
        ));
        assert!(not_found(
            channels::link_stock_location(&db, &channel.id, "sloc_missing").await
        ));
        assert!(not_found(
            channels::publish_product(&db, "prod_missing", &channel.id).await
        ));
        assert!(not_found(
            channels::bind_publishable_key(&db, "apk_missing", &channel.id).await
        ));
        assert!(not_found(
            channels::assign_device(&db, "vm-999", &channel.id).await
        ));
        assert!(not_found(
            channels::assign_device(&db, "vm-001", "sc_missing").await
        ));
        assert!(matches!(
            channels::create_sales_channel(&db, "  ", None).await,
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            channels::create_stock_location(&db, NewStockLocation::default()).await,
            Err(DomainError::Invalid(_))
        ));

        let device = channels::assign_device(&db, "vm-001", &channel.id)
            .await
            .unwrap();
        assert_eq!(
            device.sales_channel_id.as_deref(),
            Some(channel.id.as_str())
        );
    })
    .await;
}
