//! The dashboard's product pages, rendered on the server, and the editor
//! posted as a browser without JavaScript would.

use reqwest::header::LOCATION;

use reqwest::Method;

use crate::{get_json, on_every_db, send_json};

#[tokio::test]
async fn the_product_list_filters_pages_and_explains_emptiness() {
    on_every_db(async |app| {
        assert_eq!(
            app.page("/admin/products").await.headers()[LOCATION],
            "/admin/login?next=/admin/products",
            "signed out, the list is not shown"
        );
        app.sign_in().await;
        let list = app.page("/admin/products").await.text().await.unwrap();
        assert!(list.contains(r#"data-testid="products-table""#), "{list}");
        // The catalogue's CSV is a download the signed-in browser may follow.
        assert!(
            list.contains(r#"href="/admin/exports/products.csv" download"#),
            "{list}"
        );
        let csv = app.page("/admin/exports/products.csv").await;
        assert_eq!(csv.status(), 200);
        assert!(
            csv.text()
                .await
                .unwrap()
                .starts_with("Product Id,Product Handle,Product Title")
        );
        assert!(list.contains("Sparkling Water 0.5 l") && list.contains("€1.50"));
        assert!(
            list.contains(r#"href="/admin/products""#),
            "the nav links to products"
        );
        assert!(
            list.contains(r#"href="/admin/devices""#),
            "and still to devices"
        );

        let found = app
            .page("/admin/products?q=Coffee")
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(found.matches("<tr data-product=").count(), 1, "{found}");
        let drafts = app
            .page("/admin/products?status=draft")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            drafts.contains("No products match these filters"),
            "{drafts}"
        );
        let beyond = app
            .page("/admin/products?page=9")
            .await
            .text()
            .await
            .unwrap();
        assert!(beyond.contains("This page is empty"));
    })
    .await;
}

#[tokio::test]
async fn a_form_post_creates_a_product_with_price_and_stock_for_the_store() {
    on_every_db(async |app| {
        app.sign_in().await;
        let editor = app.page("/admin/products/new").await.text().await.unwrap();
        assert!(
            editor.contains(r#"action="/api/admin/products/save""#)
                && editor.contains(r#"name="variants[0][price]""#),
            "{editor}"
        );
        let token = app.admin_token().await;
        let id_at = async |path: &str, key: &str| {
            let (_, body) = send_json(app.admin(Method::GET, path, &token)).await;
            body[key][0]["id"].as_str().unwrap().to_owned()
        };
        let channel = id_at("/admin/sales-channels?q=Online", "sales_channels").await;
        let location = id_at("/admin/stock-locations?q=Warehouse", "stock_locations").await;
        assert!(editor.contains(&format!(r#"name="channels[{channel}]""#)));
        assert!(editor.contains(&format!(r#"name="variants[0][stock][{location}]""#)));

        let channel_field = format!("channels[{channel}]");
        let stock_field = format!("variants[0][stock][{location}]");
        let form = [
            ("id", ""),
            ("title", "Granola Bar"),
            ("handle", ""),
            ("description", "Oats and honey."),
            ("status", "published"),
            (channel_field.as_str(), "on"),
            ("variants[0][id]", ""),
            ("variants[0][title]", "Single"),
            ("variants[0][sku]", "GRANOLA-1"),
            ("variants[0][price]", "1.80"),
            ("variants[0][weight]", "45"),
            (stock_field.as_str(), "9"),
        ];
        let created = app.post_form("/api/admin/products/save", &form).await;
        let location_header = created.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(
            location_header.starts_with("/admin/products/prod_"),
            "{location_header}"
        );

        let (_, body) = get_json(
            &app,
            "/store/products?handle=granola-bar&currency_code=eur&fields=%2Bvariants.inventory_quantity",
            Some(&app.publishable_key),
        )
        .await;
        assert_eq!(body["count"], 1, "{body}");
        let variant = &body["products"][0]["variants"][0];
        assert_eq!(variant["calculated_price"]["calculated_amount"], 1.8);
        assert_eq!(variant["inventory_quantity"], 9);
        assert_eq!(variant["weight"], 45);

        let edit = app.page(&location_header).await.text().await.unwrap();
        assert!(edit.contains("Granola Bar") && edit.contains(r#"value="1.80""#), "{edit}");

        // Bad input comes back as a 400 with a message, and changes nothing.
        let mut bad = form;
        bad[1] = ("title", "Other");
        bad[9] = ("variants[0][price]", "cheap");
        let refused = app.post_form("/api/admin/products/save", &bad).await;
        assert_eq!(refused.status(), 400);
        assert!(refused.text().await.unwrap().contains("a price must be a number"));
        let list = app.page("/admin/products?q=Other").await.text().await.unwrap();
        assert!(list.contains("No products match these filters"));

        // Editing: a new price and stock for the variant, a second variant added.
        let product_id = location_header.trim_start_matches("/admin/products/");
        let variant_id = body["products"][0]["variants"][0]["id"].as_str().unwrap();
        let second_stock = format!("variants[1][stock][{location}]");
        let edit_form = [
            ("id", product_id),
            ("title", "Granola Bar"),
            ("handle", "granola-bar"),
            ("description", ""),
            ("status", "published"),
            (channel_field.as_str(), "on"),
            ("variants[0][id]", variant_id),
            ("variants[0][title]", "Single"),
            ("variants[0][sku]", "GRANOLA-1"),
            ("variants[0][price]", "2.00"),
            ("variants[0][weight]", "45"),
            (stock_field.as_str(), "4"),
            ("variants[1][id]", ""),
            ("variants[1][title]", "Twin pack"),
            ("variants[1][sku]", "GRANOLA-2"),
            ("variants[1][price]", "3.40"),
            ("variants[1][weight]", ""),
            (second_stock.as_str(), "2"),
        ];
        let saved = app.post_form("/api/admin/products/save", &edit_form).await;
        assert_eq!(saved.headers()[LOCATION], location_header.as_str());
        let (_, body) = get_json(
            &app,
            "/store/products?handle=granola-bar&currency_code=eur&fields=%2Bvariants.inventory_quantity",
            Some(&app.publishable_key),
        )
        .await;
        let variants = &body["products"][0]["variants"];
        assert_eq!(variants[0]["id"], variant_id, "the variant is kept: {body}");
        assert_eq!(variants[0]["calculated_price"]["calculated_amount"], 2.0);
        assert_eq!(variants[0]["inventory_quantity"], 4);
        assert_eq!(variants[1]["title"], "Twin pack");
        assert_eq!(variants[1]["inventory_quantity"], 2);
        assert!(body["products"][0]["description"].is_null(), "cleared");

        // Ticking "remove" deletes the variant; unticking the channel unpublishes.
        let remove = [
            ("id", product_id),
            ("title", "Granola Bar"),
            ("status", "published"),
            ("variants[0][id]", variant_id),
            ("variants[0][remove]", "on"),
        ];
        app.post_form("/api/admin/products/save", &remove).await;
        let (_, body) = get_json(&app, "/store/products?handle=granola-bar", Some(&app.publishable_key)).await;
        assert_eq!(body["count"], 0, "no longer in the online store: {body}");
        let edit = app.page(&location_header).await.text().await.unwrap();
        assert!(!edit.contains(variant_id), "the variant is gone");
    })
    .await;
}
