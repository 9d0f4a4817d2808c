//! The server-rendered storefront pages.

use domain::catalog::{
    self, NewProduct, NewVariant,
    taxonomy::{self, CategoryQuery},
};

use crate::{TestApp, on_every_db};

/// The demo store's online channel, the one the storefront sells through.
async fn online_channel(app: &TestApp) -> String {
    domain::channels::find_sales_channels_named(&app.db, domain::seed::ONLINE_STORE_CHANNEL)
        .await
        .unwrap()[0]
        .id
        .clone()
}

/// A published product with one priced variant, in `channel` when given.
async fn product_in(app: &TestApp, title: &str, handle: &str, channel: Option<&str>) -> String {
    let id = catalog::create_product(
        &app.db,
        NewProduct {
            title: title.into(),
            handle: handle.into(),
            description: None,
            thumbnail: None,
            published: true,
            variants: vec![NewVariant {
                title: "Default".into(),
                sku: None,
                weight_grams: None,
                prices: vec![("eur".into(), 100)],
            }],
        },
    )
    .await
    .unwrap();
    if let Some(channel) = channel {
        domain::channels::publish_product(&app.db, &id, channel)
            .await
            .unwrap();
    }
    id
}

fn cards(html: &str) -> usize {
    html.matches(r#"data-testid="product-card""#).count()
}

#[tokio::test]
async fn the_catalog_pages_through_products() {
    on_every_db(async |app| {
        let home = app.page("/").await.text().await.unwrap();
        assert_eq!(cards(&home), 8);
        assert!(!home.contains("Page 1 of"), "one page needs no pager");
        assert!(home.contains("Sparkling Water 0.5 l") && home.contains("€1.50"));

        let online = online_channel(&app).await;
        for n in 0..30 {
            product_in(
                &app,
                &format!("Snack {n}"),
                &format!("snack-{n}"),
                Some(&online),
            )
            .await;
        }
        let first = app.page("/").await.text().await.unwrap();
        assert_eq!(cards(&first), 24);
        assert!(first.contains("Page 1 of 2") && first.contains(r#"href="/?page=2""#));
        let second = app.page("/?page=2").await.text().await.unwrap();
        assert_eq!(cards(&second), 14);
        assert!(second.contains("Page 2 of 2") && second.contains(r#"href="/?page=1""#));
        assert_eq!(
            cards(&app.page("/?page=nonsense").await.text().await.unwrap()),
            24
        );
        assert!(
            app.page("/?page=9")
                .await
                .text()
                .await
                .unwrap()
                .contains("This page is empty")
        );
    })
    .await;
}

#[tokio::test]
async fn product_pages_and_unknown_addresses() {
    on_every_db(async |app| {
        let product = app.page("/products/cold-brew-coffee").await;
        assert_eq!(product.status(), 200);
        let html = product.text().await.unwrap();
        assert!(html.contains("<h1>Cold Brew Coffee</h1>"));
        assert!(html.contains(r#"name="quantity""#));
        let missing = app.page("/products/no-such-thing").await;
        assert_eq!(missing.status(), 404);
        assert!(missing.text().await.unwrap().contains("Page not found"));
        assert_eq!(app.page("/nowhere/at/all").await.status(), 404);
    })
    .await;
}

#[tokio::test]
async fn the_catalog_filters_by_category_with_plain_links() {
    on_every_db(async |app| {
        let home = app.page("/").await.text().await.unwrap();
        for handle in ["drinks", "food", "snacks"] {
            assert!(
                home.contains(&format!(r#"href="/?category={handle}""#)),
                "a link to {handle}"
            );
        }
        assert!(
            home.contains(r#"class="product-category">Drinks</a>"#),
            "cards name their category"
        );

        let drinks = app.page("/?category=drinks").await.text().await.unwrap();
        assert_eq!(cards(&drinks), 3);
        assert!(drinks.contains("Sparkling Water 0.5 l") && !drinks.contains("Apple"));
        assert!(
            drinks.contains(r#"href="/?category=drinks" aria-current="page""#),
            "the chosen category is marked"
        );

        let unknown = app
            .page("/?category=no-such-thing")
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(cards(&unknown), 0);
        assert!(unknown.contains("Nothing in this category"));

        let drinks_id = taxonomy::list_visible_categories(
            &app.db,
            &CategoryQuery {
                handle: Some("drinks".into()),
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .categories[0]
            .category
            .id
            .clone();
        let online = online_channel(&app).await;
        for n in 0..30 {
            let id = catalog::create_product(
                &app.db,
                NewProduct {
                    title: format!("Soda {n}"),
                    handle: format!("soda-{n}"),
                    description: None,
                    thumbnail: None,
                    published: true,
                    variants: vec![],
                },
            )
            .await
            .unwrap();
            taxonomy::add_to_categories(&app.db, &id, &[drinks_id.as_str()])
                .await
                .unwrap();
            domain::channels::publish_product(&app.db, &id, &online)
                .await
                .unwrap();
        }
        let first = app.page("/?category=drinks").await.text().await.unwrap();
        assert!(
            first.contains("Page 1 of 2")
                && first.contains(r#"href="/?category=drinks&amp;page=2""#),
            "the pager keeps the category"
        );
        let second = app
            .page("/?category=drinks&page=2")
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(cards(&second), 9);

        let product = app.page("/products/apple").await.text().await.unwrap();
        assert!(
            product.contains(
                r#"<p class="product-category"><a href="/?category=snacks">Snacks</a></p>"#
            ),
            "{product}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_storefront_shows_only_its_own_channels_products() {
    on_every_db(async |app| {
        let online = online_channel(&app).await;
        let machine = domain::channels::list_sales_channels(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.id != online)
            .expect("a machine's channel")
            .id;
        product_in(
            &app,
            "Machine Only Muffin",
            "machine-only-muffin",
            Some(&machine),
        )
        .await;
        product_in(&app, "Web Shop Waffle", "web-shop-waffle", Some(&online)).await;

        let home = app.page("/").await.text().await.unwrap();
        assert!(home.contains("Web Shop Waffle"));
        assert!(
            !home.contains("Machine Only Muffin"),
            "sold only at a machine"
        );
        assert_eq!(app.page("/products/web-shop-waffle").await.status(), 200);
        assert_eq!(
            app.page("/products/machine-only-muffin").await.status(),
            404
        );
    })
    .await;
}

#[tokio::test]
async fn the_catalog_searches_with_a_plain_form() {
    on_every_db(async |app| {
        let home = app.page("/").await.text().await.unwrap();
        for part in [
            r#"role="search""#,
            r#"method="get""#,
            r#"action="/search""#,
            r#"type="search""#,
            r#"name="q""#,
            r#"<label for="catalog-q">"#,
        ] {
            assert!(home.contains(part), "the search box has {part}");
        }

        let found = app.page("/search?q=choclate").await;
        assert_eq!(found.status(), 200);
        let found = found.text().await.unwrap();
        assert_eq!(cards(&found), 1, "a typo is forgiven");
        assert!(found.contains("Dark Chocolate Bar"));
        assert!(found.contains("Results for “choclate”"));
        assert!(
            found.contains(r#"value="choclate""#),
            "the words stay in the box"
        );

        let none = app.page("/search?q=zzzzqx").await.text().await.unwrap();
        assert_eq!(cards(&none), 0);
        assert!(none.contains("No products match “zzzzqx”"), "{none}");
        assert_eq!(
            cards(&app.page("/search?q=%20").await.text().await.unwrap()),
            8,
            "no words: the whole catalog"
        );

        // Pages of results keep the words.
        let online = online_channel(&app).await;
        for n in 0..30 {
            product_in(
                &app,
                &format!("Trail Mix {n}"),
                &format!("trail-mix-{n}"),
                Some(&online),
            )
            .await;
        }
        crate::eventually(
            std::time::Duration::from_secs(10),
            "30 trail mixes are found",
            async || {
                let page = app
                    .page("/search?q=trail%20mix")
                    .await
                    .text()
                    .await
                    .unwrap();
                page.contains(">30 products<")
                    && cards(&page) == 24
                    && page.contains("Page 1 of 2")
                    && page.contains(r#"href="/search?q=trail%20mix&amp;page=2""#)
            },
        )
        .await;
        let second = app
            .page("/search?q=trail%20mix&page=2")
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(cards(&second), 6);
        let sorted = app
            .page("/search?q=trail%20mix&sort=title")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            sorted.contains(r#"href="/search?q=trail%20mix&amp;page=2&amp;sort=title""#),
            "pages keep the order"
        );
        assert!(
            sorted.contains(r#"<option value="title" selected"#),
            "{sorted}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_catalog_sorts_by_price_and_name_with_a_plain_form() {
    on_every_db(async |app| {
        let home = app.page("/").await.text().await.unwrap();
        assert!(
            home.contains(r#"<select id="catalog-sort" name="sort">"#),
            "{home}"
        );
        assert!(home.contains(r#"<label for="catalog-sort">"#));
        // The storefront's order is the Store API's.
        let (_, by_price) = crate::get_json(
            &app,
            "/store/products?order=price&currency_code=eur&limit=50",
            Some(&app.publishable_key),
        )
        .await;
        let handles: Vec<&str> = by_price["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["handle"].as_str().unwrap())
            .collect();
        let first_card = |page: &str| {
            let at = page.find(r#"class="product-title""#).expect("a card");
            let href = page[..at].rfind("href=\"/products/").expect("its link");
            page[href + 16..at].split('"').next().unwrap().to_owned()
        };
        let cheapest = app.page("/?sort=price").await.text().await.unwrap();
        assert_eq!(first_card(&cheapest), handles[0]);
        let dearest = app.page("/?sort=-price").await.text().await.unwrap();
        assert_eq!(first_card(&dearest), *handles.last().unwrap());
        assert!(dearest.contains(r#"<option value="-price" selected"#));
        // An order the page does not offer is the default one, not an error.
        let odd = app.page("/?sort=popularity").await;
        assert_eq!(odd.status(), 200);
        assert_eq!(cards(&odd.text().await.unwrap()), 8);
    })
    .await;
}
