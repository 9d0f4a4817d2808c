//! `/admin/products/{id}/options` and `/admin/product-variants`: options
//! added, renamed, revalued and deleted after a product exists, variants
//! made from them, and the rule that no two variants share a combination.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    TestApp,
    admin_catalog::{admin_get, admin_post},
    on_every_db, send_json,
};

/// A published product with one "Can" variant at 2 EUR; its id.
async fn iced_tea(app: &TestApp, token: &str) -> String {
    let (status, body) = admin_post(
        app,
        token,
        "/admin/products",
        json!({
            "title": "Iced Tea",
            "status": "published",
            "variants": [{ "title": "Can", "sku": "TEA-CAN", "prices": [{ "currency_code": "eur", "amount": 2 }] }]
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["product"]["id"].as_str().unwrap().to_owned()
}

fn values_of(option: &Value) -> Vec<String> {
    option["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_str().unwrap().to_owned())
        .collect()
}

/// Each variant's values joined with "/", in the product's variant order.
fn combinations(product: &Value) -> Vec<String> {
    product["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            v["options"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["value"].as_str().unwrap())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

#[tokio::test]
async fn options_are_added_renamed_revalued_and_deleted_and_variants_keep_one_value_each() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let id = iced_tea(&app, &token).await;
        let options = format!("/admin/products/{id}/options");

        // The existing variant takes the new option's first value.
        let (status, body) = admin_post(
            &app,
            &token,
            &options,
            json!({ "title": "Size", "values": ["330 ml", "500 ml"] }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["product"]["options"][0]["title"], "Size");
        assert_eq!(combinations(&body["product"]), ["330 ml"]);
        let (status, body) = admin_post(
            &app,
            &token,
            &options,
            json!({ "title": "Flavour", "values": ["Lemon", "Peach", "Lemon"] }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(values_of(&body["product"]["options"][1]), ["Lemon", "Peach"]);
        assert_eq!(combinations(&body["product"]), ["330 ml/Lemon"]);

        let listed = admin_get(&app, &token, &options).await;
        assert_eq!(listed["count"], 2, "{listed}");
        let size = listed["product_options"][0]["id"].as_str().unwrap().to_owned();
        let flavour = listed["product_options"][1]["id"].as_str().unwrap().to_owned();
        let one = admin_get(&app, &token, &format!("{options}/{flavour}")).await;
        assert_eq!(one["product_option"]["title"], "Flavour");
        assert_eq!(one["product_option"]["product_id"], id.as_str());

        // A second option of the same title, or one without values, is refused.
        let (status, body) =
            admin_post(&app, &token, &options, json!({ "title": "Size", "values": ["1 l"] })).await;
        assert_eq!(status, 409, "{body}");
        let (status, body) =
            admin_post(&app, &token, &options, json!({ "title": "Colour", "values": [] })).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["message"].as_str().unwrap().contains("needs values"), "{body}");

        // A variant with a combination another has is refused, a new one is not.
        let variants = format!("/admin/products/{id}/variants");
        let (status, body) = admin_post(
            &app,
            &token,
            &variants,
            json!({ "options": { "Size": "330 ml", "Flavour": "Lemon" }, "prices": [{ "currency_code": "eur", "amount": 2 }] }),
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert!(body["message"].as_str().unwrap().contains("already has these option values"), "{body}");
        let (status, body) = admin_post(
            &app,
            &token,
            &variants,
            json!({ "options": { "Size": "500 ml", "Flavour": "Peach" }, "prices": [{ "currency_code": "eur", "amount": 3 }] }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["product"]["variants"][1]["title"], "500 ml / Peach");

        // Values: renaming the option and adding, reordering and dropping an
        // unused value keep the used values' ids; dropping a used one is refused.
        let before = admin_get(&app, &token, &format!("{options}/{flavour}")).await;
        let (status, body) = admin_post(
            &app,
            &token,
            &format!("{options}/{flavour}"),
            json!({ "title": "Taste", "values": ["Peach", "Mango", "Lemon"] }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let after = &body["product"]["options"][1];
        assert_eq!(after["title"], "Taste");
        assert_eq!(values_of(after), ["Peach", "Mango", "Lemon"]);
        assert_eq!(
            after["values"][0]["id"], before["product_option"]["values"][1]["id"],
            "a kept value keeps its id"
        );
        assert_eq!(combinations(&body["product"]), ["330 ml/Lemon", "500 ml/Peach"]);
        let (status, body) = admin_post(
            &app,
            &token,
            &format!("{options}/{flavour}"),
            json!({ "values": ["Mango", "Lemon"] }),
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert!(body["message"].as_str().unwrap().contains("Taste Peach"), "{body}");
        let (status, body) = admin_post(
            &app,
            &token,
            &format!("{options}/{size}"),
            json!({ "title": "Taste" }),
        )
        .await;
        assert_eq!(status, 409, "two options of one title: {body}");

        // Without Size the two variants still differ (Lemon, Peach): allowed.
        // Without Taste as well they would not: refused.
        let (status, body) =
            send_json(app.admin(Method::DELETE, &format!("{options}/{size}"), &token)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((&body["object"], &body["deleted"]), (&json!("product_option"), &json!(true)));
        assert_eq!(body["parent"]["options"].as_array().unwrap().len(), 1, "{body}");
        assert_eq!(combinations(&body["parent"]), ["Lemon", "Peach"]);
        let (status, body) = admin_post(
            &app,
            &token,
            &options,
            json!({ "title": "Pack", "values": ["Single"] }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) =
            send_json(app.admin(Method::DELETE, &format!("{options}/{flavour}"), &token)).await;
        assert_eq!(status, 409, "{body}");
        assert!(body["message"].as_str().unwrap().contains("500 ml / Peach"), "{body}");

        // Unknown ids are 404s.
        let (status, _) =
            send_json(app.admin(Method::GET, &format!("{options}/opt_nope"), &token)).await;
        assert_eq!(status, 404);
        let (status, _) = admin_post(
            &app,
            &token,
            "/admin/products/prod_nope/options",
            json!({ "title": "Size", "values": ["S"] }),
        )
        .await;
        assert_eq!(status, 404);
        // Another product's option is not this product's.
        let other = iced_tea_named(&app, &token, "Lemonade").await;
        let (status, _) = send_json(app.admin(
            Method::DELETE,
            &format!("/admin/products/{other}/options/{flavour}"),
            &token,
        ))
        .await;
        assert_eq!(status, 404);
    })
    .await;
}

async fn iced_tea_named(app: &TestApp, token: &str, title: &str) -> String {
    let (status, body) = admin_post(app, token, "/admin/products", json!({ "title": title })).await;
    assert_eq!(status, 200, "{body}");
    body["product"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn variants_of_every_product_are_listed_with_their_product_and_searched() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let id = iced_tea(&app, &token).await;
        let all = admin_get(&app, &token, "/admin/product-variants?limit=1").await;
        assert_eq!(all["variants"].as_array().unwrap().len(), 1);
        assert!(
            all["count"].as_u64().unwrap() > 1,
            "the demo catalogue's too: {all}"
        );
        assert_eq!(all["limit"], 1);

        let found = admin_get(&app, &token, "/admin/product-variants?q=TEA-CAN").await;
        assert_eq!(found["count"], 1, "{found}");
        let variant = &found["variants"][0];
        assert_eq!(variant["sku"], "TEA-CAN");
        assert_eq!(variant["product"]["id"], id.as_str());
        assert_eq!(variant["product"]["title"], "Iced Tea");
        assert_eq!(variant["prices"][0]["amount"], 2.0);
        let by_product = admin_get(
            &app,
            &token,
            &format!("/admin/product-variants?product_id={id}"),
        )
        .await;
        assert_eq!(by_product["count"], 1);
        let none = admin_get(&app, &token, "/admin/product-variants?sku=NOPE").await;
        assert_eq!(
            (
                none["count"].as_u64(),
                none["variants"].as_array().map(Vec::len)
            ),
            (Some(0), Some(0))
        );

        let (status, body) =
            send_json(app.admin(Method::GET, "/admin/product-variants?limit=0", &token)).await;
        assert_eq!(status, 400, "{body}");
        let (status, _) = send_json(app.client.get(app.url("/admin/product-variants"))).await;
        assert_eq!(status, 401);
    })
    .await;
}

#[tokio::test]
async fn variants_told_apart_by_no_option_take_a_new_options_values_in_turn_and_missing_ones_are_made()
 {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let id = iced_tea(&app, &token).await;
        let variants = format!("/admin/products/{id}/variants");
        for (title, sku) in [("Bottle", "TEA-BOTTLE"), ("Crate", "TEA-CRATE")] {
            let (status, body) = admin_post(
                &app,
                &token,
                &variants,
                json!({ "title": title, "sku": sku, "manage_inventory": false, "prices": [{ "currency_code": "eur", "amount": 3 }] }),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
        let options = format!("/admin/products/{id}/options");
        // Three variants alike need three values to be told apart.
        let (status, body) =
            admin_post(&app, &token, &options, json!({ "title": "Pack", "values": ["1", "6"] })).await;
        assert_eq!(status, 409, "{body}");
        assert!(body["message"].as_str().unwrap().contains("value for each"), "{body}");
        assert_eq!(admin_get(&app, &token, &options).await["count"], 0, "nothing half-done");

        let (status, body) = admin_post(
            &app,
            &token,
            &options,
            json!({ "title": "Pack", "values": ["1", "6", "24"] }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(combinations(&body["product"]), ["1", "6", "24"]);
        let (status, body) =
            admin_post(&app, &token, &options, json!({ "title": "Sugar", "values": ["Yes", "No"] })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(combinations(&body["product"]), ["1/Yes", "6/Yes", "24/Yes"]);

        // Three of six combinations exist; the others are made, priced like
        // the first variant (Can, 2 EUR) with its stock tracking.
        let product = admin_get(&app, &token, &format!("/admin/products/{id}")).await;
        let tracked = product["product"]["variants"][0]["manage_inventory"].clone();
        let created = domain::catalog::editing::options::create_missing_variants(&app.db, &id)
            .await
            .expect("made");
        assert_eq!(created, 3);
        let body = admin_get(&app, &token, &format!("/admin/products/{id}")).await;
        let all = combinations(&body["product"]);
        assert_eq!(all, ["1/Yes", "6/Yes", "24/Yes", "1/No", "6/No", "24/No"]);
        let made = &body["product"]["variants"][3];
        assert_eq!(made["title"], "1 / No");
        assert_eq!(made["prices"][0]["amount"], 2.0);
        assert_eq!(made["manage_inventory"], tracked);
        assert_eq!(
            domain::catalog::editing::options::create_missing_variants(&app.db, &id)
                .await
                .expect("nothing to make"),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn the_catalogue_exports_as_csv_one_row_per_variant_with_options_and_prices() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/products",
            json!({
                "title": "=Tea, \"cold\"",
                "handle": "csv-tea",
                "options": [{ "title": "Size", "values": ["330 ml", "500 ml"] }],
                "variants": [
                    { "title": "Small", "sku": "CSV-S", "weight": 350, "options": { "Size": "330 ml" },
                      "prices": [{ "currency_code": "eur", "amount": 2.5 }, { "currency_code": "jpy", "amount": 300 }] },
                    { "title": "Large", "sku": "CSV-L", "options": { "Size": "500 ml" },
                      "prices": [{ "currency_code": "eur", "amount": 3 }] }
                ]
            }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        admin_post(&app, &token, "/admin/products", json!({ "title": "No variants yet", "handle": "csv-empty" })).await;

        let (status, text) =
            crate::overview::csv(&app, &token, "/admin/exports/products.csv").await;
        assert_eq!(status, 200, "{text}");
        let (header, rows) = crate::overview::records(&text);
        let column = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
        };
        let of = |handle: &str| -> Vec<&Vec<String>> {
            rows.iter().filter(|r| r[column("Product Handle")] == handle).collect()
        };
        let tea = of("csv-tea");
        assert_eq!(tea.len(), 2, "one row per variant");
        // A title a spreadsheet would take for a formula is defused.
        assert_eq!(tea[0][column("Product Title")], "'=Tea, \"cold\"");
        assert_eq!(tea[0][column("Variant Sku")], "CSV-S");
        assert_eq!(tea[0][column("Variant Weight")], "350");
        assert_eq!(tea[0][column("Variant Price EUR")], "2.50");
        assert_eq!(tea[0][column("Variant Price JPY")], "300");
        assert_eq!(tea[1][column("Variant Price JPY")], "", "no price in yen");
        assert_eq!(tea[1][column("Variant Option 1 Name")], "Size");
        assert_eq!(tea[1][column("Variant Option 1 Value")], "500 ml");
        let empty = of("csv-empty");
        assert_eq!(empty.len(), 1);
        assert_eq!(empty[0][column("Variant Id")], "");
        assert_eq!(empty[0].len(), header.len());
        // The demo catalogue is there too, every product once at least.
        let products = admin_get(&app, &token, "/admin/products?limit=1").await["count"]
            .as_u64()
            .unwrap();
        let mut ids: Vec<&str> = rows.iter().map(|r| r[column("Product Id")].as_str()).collect();
        ids.dedup();
        assert_eq!(ids.len() as u64, products);

        let (status, _) = send_json(app.client.get(app.url("/admin/exports/products.csv"))).await;
        assert_eq!(status, 401);
    })
    .await;
}
