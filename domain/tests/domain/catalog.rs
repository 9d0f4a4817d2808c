use domain::{
    DomainError,
    catalog::{self, NewProduct, NewVariant, ProductQuery},
};

use crate::{on_every_backend, seeded};

fn query(offset: u64, limit: u64) -> ProductQuery {
    ProductQuery {
        offset,
        limit,
        ..Default::default()
    }
}

#[tokio::test]
async fn lists_published_products_page_by_page() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let first = catalog::list_published(&db, &query(0, 3)).await.unwrap();
        let second = catalog::list_published(&db, &query(3, 3)).await.unwrap();
        assert_eq!(first.count, 8);
        assert_eq!(first.products.len(), 3);
        assert_eq!(second.products.len(), 3);
        let ids: std::collections::HashSet<_> = first
            .products
            .iter()
            .chain(&second.products)
            .map(|p| p.product.id.clone())
            .collect();
        assert_eq!(ids.len(), 6, "pages do not overlap");
        let product = &first.products[0];
        assert_eq!(product.variants.len(), 1);
        assert!(product.variants[0].price_in("eur").unwrap() > 0);
    })
    .await;
}

#[tokio::test]
async fn drafts_are_hidden_and_search_matches_titles() {
    on_every_backend(async |db| {
        seeded(&db).await;
        catalog::create_product(
            &db,
            NewProduct {
                title: "Secret Sauce".into(),
                handle: "secret-sauce".into(),
                description: None,
                thumbnail: None,
                published: false,
                variants: vec![],
            },
        )
        .await
        .unwrap();
        let all = catalog::list_published(&db, &query(0, 100)).await.unwrap();
        assert_eq!(all.count, 8, "the draft is not listed");
        assert!(matches!(
            catalog::find_published(&db, "secret-sauce").await,
            Err(DomainError::NotFound { .. })
        ));

        let coffee = catalog::list_published(
            &db,
            &ProductQuery {
                q: Some("Coffee".into()),
                ..query(0, 10)
            },
        )
        .await
        .unwrap();
        assert_eq!(coffee.count, 1);
        assert_eq!(coffee.products[0].product.handle, "cold-brew-coffee");
        let by_handle = catalog::find_published(&db, "apple").await.unwrap();
        let by_id = catalog::find_published(&db, &by_handle.product.id)
            .await
            .unwrap();
        assert_eq!(by_id.product.title, "Apple");
    })
    .await;
}

#[tokio::test]
async fn rejects_bad_products_and_page_sizes() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let product = |handle: &str, price: i64| NewProduct {
            title: "Thing".into(),
            handle: handle.into(),
            description: None,
            thumbnail: None,
            published: true,
            variants: vec![NewVariant {
                title: "Default".into(),
                sku: None,
                weight_grams: None,
                prices: vec![("eur".into(), price)],
            }],
        };
        assert!(matches!(
            catalog::create_product(&db, product("Bad Handle", 100)).await,
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            catalog::create_product(&db, product("negative", -1)).await,
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            catalog::create_product(&db, product("apple", 100)).await,
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            catalog::list_published(&db, &query(0, 0)).await,
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            catalog::list_published(&db, &query(0, 101)).await,
            Err(DomainError::Invalid(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn generated_catalogs_come_in_batches_and_can_grow() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let mut reports = Vec::new();
        catalog::generate::products(&db, 1200, "eur", |done| reports.push(done))
            .await
            .unwrap();
        assert_eq!(reports, [500, 1000, 1200]);
        catalog::generate::products(&db, 10, "eur", |_| {})
            .await
            .unwrap();
        let page = catalog::list_published(&db, &query(0, 5)).await.unwrap();
        assert_eq!(page.count, 8 + 1210);
        let item = catalog::find_published(&db, "item-1215").await.unwrap();
        assert!(item.variants[0].price_in("eur").unwrap() > 0);
        let online: Vec<String> = domain::channels::list_sales_channels(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .take(1)
            .collect();
        let in_channel = catalog::find_published_in_channels(&db, "item-1215", &online).await;
        assert!(
            in_channel.is_ok(),
            "generated products are published to the store's channels"
        );
    })
    .await;
}
