use domain::{
    DomainError,
    catalog::{
        self, ProductQuery,
        taxonomy::{self, CategoryQuery, CollectionQuery, NewCategory, ParentFilter},
    },
};

use crate::{on_every_backend, seeded};

fn category(name: &str, handle: &str, parent: Option<&str>) -> NewCategory {
    NewCategory {
        name: name.into(),
        handle: handle.into(),
        description: None,
        parent_category_id: parent.map(str::to_owned),
        rank: 0,
        is_active: true,
        is_internal: false,
    }
}

fn categories(limit: u64) -> CategoryQuery {
    CategoryQuery {
        limit,
        ..Default::default()
    }
}

async fn category_id(db: &domain::db::DatabaseConnection, handle: &str) -> String {
    let page = taxonomy::list_visible_categories(
        db,
        &CategoryQuery {
            handle: Some(handle.into()),
            ..categories(1)
        },
    )
    .await
    .unwrap();
    page.categories[0].category.id.clone()
}

#[tokio::test]
async fn the_demo_catalog_is_filed_in_categories_and_a_collection() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let page = taxonomy::list_visible_categories(&db, &categories(10))
            .await
            .unwrap();
        let names: Vec<_> = page
            .categories
            .iter()
            .map(|c| c.category.name.as_str())
            .collect();
        assert_eq!(names, ["Drinks", "Food", "Snacks"], "by rank");
        let drinks = category_id(&db, "drinks").await;
        let in_drinks = catalog::list_published(
            &db,
            &ProductQuery {
                category_ids: vec![drinks.clone()],
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(in_drinks.count, 3);
        assert!(
            in_drinks
                .products
                .iter()
                .all(|p| p.categories.iter().any(|c| c.id == drinks))
        );

        let collections = taxonomy::list_collections(
            &db,
            &CollectionQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(collections.count, 1);
        let favourites = &collections.collections[0];
        assert_eq!(favourites.title, "Fridge favourites");
        let in_favourites = catalog::list_published(
            &db,
            &ProductQuery {
                collection_ids: vec![favourites.id.clone()],
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(in_favourites.count, 4);
        assert!(
            in_favourites
                .products
                .iter()
                .all(|p| p.collection.as_ref() == Some(favourites))
        );
        let apple = catalog::find_published(&db, "apple").await.unwrap();
        assert!(apple.collection.is_none());
        assert_eq!(apple.categories[0].handle, "snacks");
    })
    .await;
}

#[tokio::test]
async fn filters_products_by_several_categories_ids_and_handle() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let both = vec![
            category_id(&db, "drinks").await,
            category_id(&db, "snacks").await,
        ];
        let page = catalog::list_published(
            &db,
            &ProductQuery {
                category_ids: both,
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(page.count, 5);
        let apple = catalog::find_published(&db, "apple")
            .await
            .unwrap()
            .product
            .id;
        let water = catalog::find_published(&db, "sparkling-water")
            .await
            .unwrap()
            .product
            .id;
        let by_ids = catalog::list_published(
            &db,
            &ProductQuery {
                ids: vec![apple, water],
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(by_ids.count, 2);
        let by_handle = catalog::list_published(
            &db,
            &ProductQuery {
                handle: Some("apple".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(by_handle.count, 1);
        assert_eq!(by_handle.products[0].product.handle, "apple");
        let nothing = catalog::list_published(
            &db,
            &ProductQuery {
                category_ids: vec!["pcat_missing".into()],
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(nothing.count, 0);
    })
    .await;
}

#[tokio::test]
async fn the_tree_shows_parents_and_children_but_hides_inactive_and_internal_ones() {
    on_every_backend(async |db| {
        let food = taxonomy::create_category(&db, category("Food", "food", None))
            .await
            .unwrap();
        let hot = taxonomy::create_category(
            &db,
            NewCategory {
                rank: 1,
                ..category("Hot", "hot", Some(&food))
            },
        )
        .await
        .unwrap();
        taxonomy::create_category(
            &db,
            NewCategory {
                rank: 0,
                ..category("Cold", "cold", Some(&food))
            },
        )
        .await
        .unwrap();
        taxonomy::create_category(
            &db,
            NewCategory {
                is_active: false,
                ..category("Old", "old", Some(&food))
            },
        )
        .await
        .unwrap();
        let staff = taxonomy::create_category(
            &db,
            NewCategory {
                is_internal: true,
                ..category("Staff", "staff", None)
            },
        )
        .await
        .unwrap();

        let food_detail = taxonomy::find_visible_category(&db, &food).await.unwrap();
        let children: Vec<_> = food_detail
            .children
            .iter()
            .map(|c| c.handle.as_str())
            .collect();
        assert_eq!(children, ["cold", "hot"]);
        assert!(food_detail.parent.is_none());
        let hot_detail = taxonomy::find_visible_category(&db, &hot).await.unwrap();
        assert_eq!(hot_detail.parent.unwrap().id, food);

        let roots = taxonomy::list_visible_categories(
            &db,
            &CategoryQuery {
                parent: Some(ParentFilter::Root),
                ..categories(10)
            },
        )
        .await
        .unwrap();
        assert_eq!(roots.count, 1, "the internal root is hidden");
        let under_food = taxonomy::list_visible_categories(
            &db,
            &CategoryQuery {
                parent: Some(ParentFilter::Of(food.clone())),
                ..categories(10)
            },
        )
        .await
        .unwrap();
        assert_eq!(under_food.count, 2, "the inactive child is hidden");
        let searched = taxonomy::list_visible_categories(
            &db,
            &CategoryQuery {
                q: Some("ho".into()),
                ..categories(10)
            },
        )
        .await
        .unwrap();
        assert_eq!(searched.count, 1);
        assert!(matches!(
            taxonomy::find_visible_category(&db, &staff).await,
            Err(DomainError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn tags_are_shared_and_rejects_bad_links() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let apple = catalog::find_published(&db, "apple")
            .await
            .unwrap()
            .product
            .id;
        let water = catalog::find_published(&db, "sparkling-water")
            .await
            .unwrap()
            .product
            .id;
        taxonomy::tag_product(&db, &apple, "vegan").await.unwrap();
        taxonomy::tag_product(&db, &apple, "vegan").await.unwrap();
        taxonomy::tag_product(&db, &water, "vegan").await.unwrap();
        let apple_tags = catalog::find_published(&db, "apple").await.unwrap().tags;
        let water_tags = catalog::find_published(&db, "sparkling-water")
            .await
            .unwrap()
            .tags;
        assert_eq!(apple_tags.len(), 1);
        assert_eq!(apple_tags[0].id, water_tags[0].id, "one tag, two products");

        assert!(matches!(
            taxonomy::tag_product(&db, &apple, " ").await,
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            taxonomy::tag_product(&db, "prod_missing", "x").await,
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            taxonomy::add_to_categories(&db, &apple, &["pcat_missing"]).await,
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            taxonomy::set_collection(&db, &apple, Some("pcol_missing")).await,
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            taxonomy::create_category(&db, category("Drinks", "drinks", None)).await,
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            taxonomy::create_category(&db, category("Sub", "sub", Some("pcat_missing"))).await,
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            taxonomy::create_category(&db, category("Bad", "Bad Handle", None)).await,
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            taxonomy::create_collection(&db, "Again", "fridge-favourites").await,
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            taxonomy::find_collection(&db, "pcol_missing").await,
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            taxonomy::list_visible_categories(&db, &categories(0)).await,
            Err(DomainError::Invalid(_))
        ));
    })
    .await;
}
