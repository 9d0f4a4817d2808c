//! The Admin API's catalog side: products with prices and stock as the
//! Store API then sells them, organisation, channels, keys and regions.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{TestApp, get_json, on_every_db, send_json};

/// `GET` an admin path; the JSON body, asserting 200.
pub async fn admin_get(app: &TestApp, token: &str, path: &str) -> Value {
    let (status, body) = send_json(app.admin(Method::GET, path, token)).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// `POST` JSON to an admin path; the status and the JSON body.
pub async fn admin_post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    send_json(app.admin(Method::POST, path, token).json(&body)).await
}

/// The id of the first item under `key` at `path`.
pub async fn first_id(app: &TestApp, token: &str, path: &str, key: &str) -> String {
    let body = admin_get(app, token, path).await;
    body[key][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an id in {body}"))
        .to_owned()
}

async fn online_store(app: &TestApp, token: &str) -> String {
    first_id(
        app,
        token,
        "/admin/sales-channels?q=Online",
        "sales_channels",
    )
    .await
}

pub async fn warehouse(app: &TestApp, token: &str) -> String {
    first_id(
        app,
        token,
        "/admin/stock-locations?q=Warehouse",
        "stock_locations",
    )
    .await
}

/// What the storefront's key sees of `handle`: (count, first product).
async fn in_store(app: &TestApp, handle: &str) -> (u64, Value) {
    let (status, body) = get_json(
        app,
        &format!(
            "/store/products?handle={handle}&currency_code=eur&fields=%2Bvariants.inventory_quantity"
        ),
        Some(&app.publishable_key),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (body["count"].as_u64().unwrap(), body["products"][0].clone())
}

#[tokio::test]
async fn a_product_created_with_price_and_stock_is_sold_in_the_store() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let channel = online_store(&app, &token).await;
        let location = warehouse(&app, &token).await;

        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/products",
            json!({
                "title": "Trail Mix",
                "status": "published",
                "description": "Nuts and raisins.",
                "images": [{ "url": "https://example.com/trail-mix.jpg" }],
                "options": [{ "title": "Size", "values": ["S", "L"] }],
                "variants": [{
                    "title": "Small",
                    "sku": "TRAIL-S",
                    "barcode": "4006381333931",
                    "weight": 150,
                    "prices": [{ "currency_code": "eur", "amount": 3.5 }],
                    "options": { "Size": "S" }
                }],
                "sales_channels": [{ "id": channel }],
                "tags": [{ "value": "vegan" }]
            }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let product = &body["product"];
        assert_eq!(
            product["handle"], "trail-mix",
            "the handle comes from the title"
        );
        assert_eq!(product["status"], "published");
        assert_eq!(
            product["images"][0]["url"],
            "https://example.com/trail-mix.jpg"
        );
        assert_eq!(product["options"][0]["title"], "Size");
        assert_eq!(product["tags"][0]["value"], "vegan");
        assert_eq!(product["sales_channels"][0]["id"], channel.as_str());
        let variant = &product["variants"][0];
        assert_eq!(variant["sku"], "TRAIL-S");
        assert_eq!(variant["barcode"], "4006381333931");
        assert_eq!(variant["weight"], 150);
        assert_eq!(variant["prices"][0]["amount"], 3.5);
        assert_eq!(variant["options"][0]["value"], "S");
        assert_eq!(variant["manage_inventory"], true);
        let item = variant["inventory_items"][0]["inventory_item_id"]
            .as_str()
            .expect("a new variant's stock is managed")
            .to_owned();

        let (status, body) = admin_post(
            &app,
            &token,
            &format!("/admin/inventory-items/{item}/location-levels"),
            json!({ "location_id": location, "stocked_quantity": 7 }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["inventory_item"]["stocked_quantity"], 7);

        let (count, sold) = in_store(&app, "trail-mix").await;
        assert_eq!(count, 1);
        assert_eq!(sold["variants"][0]["inventory_quantity"], 7);
        assert_eq!(
            sold["images"][0]["url"],
            "https://example.com/trail-mix.jpg"
        );
        assert_eq!(sold["options"][0]["values"][1]["value"], "L");
        assert_eq!(sold["variants"][0]["options"][0]["option"]["title"], "Size");
        assert_eq!(
            sold["variants"][0]["calculated_price"]["calculated_amount"],
            3.5
        );

        // A draft, even in the channel, stays out of the store.
        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/products",
            json!({
                "title": "Secret Recipe",
                "variants": [{ "prices": [{ "currency_code": "eur", "amount": 1 }] }],
                "sales_channels": [{ "id": channel }]
            }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["product"]["status"], "draft");
        assert_eq!(in_store(&app, "secret-recipe").await.0, 0);
        let drafts = admin_get(&app, &token, "/admin/products?status=draft").await;
        assert_eq!(drafts["count"], 1);
        assert_eq!(drafts["products"][0]["handle"], "secret-recipe");
        let all = admin_get(&app, &token, "/admin/products?limit=2&offset=1").await;
        assert_eq!(
            (all["count"].as_u64(), all["limit"].as_u64()),
            (Some(10), Some(2))
        );
        assert_eq!(all["products"].as_array().unwrap().len(), 2);
        let found = admin_get(&app, &token, "/admin/products?q=Trail").await;
        assert_eq!(found["count"], 1);

        // Back to draft: gone from the store.
        let id = product["id"].as_str().unwrap();
        let (status, body) = admin_post(
            &app,
            &token,
            &format!("/admin/products/{id}"),
            json!({ "status": "draft", "description": null }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body["product"]["description"].is_null(),
            "null clears: {body}"
        );
        assert_eq!(body["product"]["title"], "Trail Mix", "missing keeps");
        assert_eq!(in_store(&app, "trail-mix").await.0, 0);
    })
    .await;
}

#[tokio::test]
async fn variants_are_added_changed_and_deleted_and_products_deleted() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let channel = online_store(&app, &token).await;
        let (_, body) = admin_post(
            &app,
            &token,
            "/admin/products",
            json!({
                "title": "Iced Tea",
                "status": "published",
                "variants": [{ "title": "Can", "sku": "TEA-CAN", "prices": [{ "currency_code": "eur", "amount": 2 }] }],
                "sales_channels": [{ "id": channel }]
            }),
        )
        .await;
        let id = body["product"]["id"].as_str().unwrap().to_owned();
        let variants = format!("/admin/products/{id}/variants");

        let (status, body) = admin_post(
            &app,
            &token,
            &variants,
            json!({ "title": "Bottle", "sku": "TEA-BOTTLE", "weight": 520, "prices": [{ "currency_code": "eur", "amount": 2.8 }] }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["product"]["variants"].as_array().unwrap().len(), 2);
        let bottle = body["product"]["variants"][1]["id"].as_str().unwrap().to_owned();

        let (status, body) = admin_post(
            &app,
            &token,
            &format!("{variants}/{bottle}"),
            json!({ "prices": [{ "currency_code": "eur", "amount": 3 }], "barcode": "123" }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let changed = admin_get(&app, &token, &format!("{variants}/{bottle}")).await;
        assert_eq!(changed["variant"]["prices"][0]["amount"], 3.0);
        assert_eq!(changed["variant"]["barcode"], "123");
        assert_eq!(changed["variant"]["sku"], "TEA-BOTTLE", "untouched fields stay");

        let listed = admin_get(&app, &token, &variants).await;
        assert_eq!(listed["count"], 2);

        // The same SKU twice is a conflict.
        let (status, body) =
            admin_post(&app, &token, &variants, json!({ "sku": "TEA-CAN" })).await;
        assert_eq!(status, 409, "{body}");

        let (status, body) =
            send_json(app.admin(Method::DELETE, &format!("{variants}/{bottle}"), &token)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["deleted"], true);
        assert_eq!(admin_get(&app, &token, &variants).await["count"], 1);

        assert_eq!(in_store(&app, "iced-tea").await.0, 1);
        let (status, body) =
            send_json(app.admin(Method::DELETE, &format!("/admin/products/{id}"), &token)).await;
        assert_eq!((status, &body["object"]), (200, &json!("product")), "{body}");
        assert_eq!(in_store(&app, "iced-tea").await.0, 0);
        let (status, _) =
            send_json(app.admin(Method::GET, &format!("/admin/products/{id}"), &token)).await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn bad_input_unknown_ids_and_missing_tokens_are_refused() {
    on_every_db(async |app| {
        for (method, path) in [
            (Method::GET, "/admin/products"),
            (Method::POST, "/admin/products"),
            (Method::GET, "/admin/sales-channels"),
            (Method::GET, "/admin/inventory-items"),
            (Method::GET, "/admin/api-keys"),
            (Method::GET, "/admin/regions"),
            (Method::GET, "/admin/users"),
        ] {
            let (status, body) =
                send_json(app.client.request(method, app.url(path)).json(&json!({}))).await;
            assert_eq!(status, 401, "{path}: {body}");
        }

        let token = app.admin_token().await;
        let invalid = [
            (json!({ "title": "  " }), "title"),
            (json!({ "handle": "no-title" }), "title"),
            (json!({ "title": "X", "status": "live" }), "status"),
            (json!({ "title": "X", "handle": "Not A Handle" }), "handle"),
            (
                json!({ "title": "X", "variants": [{ "prices": [{ "currency_code": "eur", "amount": -1 }] }] }),
                "amount",
            ),
            (
                json!({ "title": "X", "variants": [{ "prices": [{ "currency_code": "euro", "amount": 1 }] }] }),
                "currency",
            ),
            (
                json!({ "title": "X", "options": [{ "title": "Size", "values": ["S"] }], "variants": [{ "options": { "Size": "XL" } }] }),
                "XL",
            ),
            (
                json!({ "title": "X", "images": [{ "url": "javascript:alert(1)" }] }),
                "image",
            ),
        ];
        for (body, mentions) in invalid {
            let (status, answer) = admin_post(&app, &token, "/admin/products", body.clone()).await;
            assert_eq!(status, 400, "{body} → {answer}");
            assert_eq!(answer["type"], "invalid_data");
            let message = answer["message"].as_str().unwrap();
            assert!(message.contains(mentions), "{body} → {message}");
        }
        let (status, answer) = admin_post(
            &app,
            &token,
            "/admin/products",
            json!({ "title": "Sparkling Water", "handle": "sparkling-water" }),
        )
        .await;
        assert_eq!(status, 409, "{answer}");

        for path in [
            "/admin/products/prod_missing",
            "/admin/products/prod_missing/variants",
            "/admin/product-categories/pcat_missing",
            "/admin/collections/pcol_missing",
            "/admin/sales-channels/sc_missing",
            "/admin/stock-locations/sloc_missing",
            "/admin/inventory-items/iitem_missing",
            "/admin/api-keys/apk_missing",
            "/admin/regions/reg_missing",
        ] {
            let (status, body) = send_json(app.admin(Method::GET, path, &token)).await;
            assert_eq!((status, &body["type"]), (404, &json!("not_found")), "{path}");
            let deleted = app.admin(Method::DELETE, path, &token).send().await.unwrap();
            let status = deleted.status().as_u16();
            assert!(status == 404 || status == 405, "DELETE {path}: {status}");
        }
        let (status, _) = admin_post(
            &app,
            &token,
            "/admin/products/prod_missing",
            json!({ "title": "Y" }),
        )
        .await;
        assert_eq!(status, 404);
        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/products",
            json!({ "title": "Z", "sales_channels": [{ "id": "sc_missing" }] }),
        )
        .await;
        assert_eq!(status, 404, "{body}");
        let (status, _) = send_json(app.admin(Method::GET, "/admin/products?limit=0", &token)).await;
        assert_eq!(status, 400);
        assert_eq!(
            admin_get(&app, &token, "/admin/products?q=Z").await["count"],
            0,
            "a refused product leaves nothing behind"
        );
    })
    .await;
}

#[tokio::test]
async fn stock_cannot_drop_below_zero_over_http() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let location = warehouse(&app, &token).await;
        let item = first_id(
            &app,
            &token,
            "/admin/inventory-items?sku=COLD",
            "inventory_items",
        )
        .await;
        let levels = admin_get(
            &app,
            &token,
            &format!("/admin/inventory-items/{item}/location-levels"),
        )
        .await;
        assert!(levels["count"].as_u64().unwrap() >= 1, "{levels}");
        let level = format!("/admin/inventory-items/{item}/location-levels/{location}");
        let (status, body) =
            admin_post(&app, &token, &level, json!({ "stocked_quantity": -1 })).await;
        assert_eq!(status, 400, "{body}");
        let (status, body) =
            admin_post(&app, &token, &level, json!({ "stocked_quantity": 3 })).await;
        assert_eq!(status, 200, "{body}");
        let level_at = |body: &Value| {
            body["inventory_item"]["location_levels"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["location_id"] == location.as_str())
                .map(|l| l["stocked_quantity"].clone())
        };
        assert_eq!(level_at(&body), Some(json!(3)));
    })
    .await;
}

#[tokio::test]
async fn organisation_channels_keys_and_regions_are_managed() {
    on_every_db(async |app| {
        let token = app.admin_token().await;

        // Categories and collections.
        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/product-categories",
            json!({ "name": "Hidden Stock", "is_internal": true }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["product_category"]["handle"], "hidden-stock");
        let category = body["product_category"]["id"].as_str().unwrap().to_owned();
        let listed = admin_get(&app, &token, "/admin/product-categories?q=Hidden").await;
        assert_eq!(listed["count"], 1, "the admin sees internal categories");
        let (status, body) = admin_post(
            &app,
            &token,
            &format!("/admin/product-categories/{category}"),
            json!({ "parent_category_id": category }),
        )
        .await;
        assert_eq!(status, 400, "a category under itself: {body}");
        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/collections",
            json!({ "title": "Summer", "handle": "summer" }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let collection = body["collection"]["id"].as_str().unwrap().to_owned();

        let (_, body) = admin_post(
            &app,
            &token,
            "/admin/products",
            json!({
                "title": "Lemonade",
                "status": "published",
                "collection_id": collection,
                "categories": [{ "id": category }],
                "variants": [{ "prices": [{ "currency_code": "eur", "amount": 2.2 }] }]
            }),
        )
        .await;
        let product = body["product"]["id"].as_str().unwrap().to_owned();
        assert_eq!(body["product"]["collection"]["handle"], "summer");
        let (status, _) = send_json(app.admin(
            Method::DELETE,
            &format!("/admin/collections/{collection}"),
            &token,
        ))
        .await;
        assert_eq!(status, 200);
        let after = admin_get(&app, &token, &format!("/admin/products/{product}")).await;
        assert!(after["product"]["collection_id"].is_null(), "{after}");

        // A new channel with a location, a product, and a key that sees it.
        let (_, body) = admin_post(
            &app,
            &token,
            "/admin/sales-channels",
            json!({ "name": "Kiosk", "description": "Lobby kiosk" }),
        )
        .await;
        let kiosk = body["sales_channel"]["id"].as_str().unwrap().to_owned();
        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/stock-locations",
            json!({ "name": "Kiosk shelf", "address": { "city": "Vienna", "country_code": "AT" } }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["stock_location"]["address"]["country_code"], "at");
        let shelf = body["stock_location"]["id"].as_str().unwrap().to_owned();
        let (status, body) = admin_post(
            &app,
            &token,
            &format!("/admin/stock-locations/{shelf}/sales-channels"),
            json!({ "add": [kiosk] }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["stock_location"]["sales_channels"][0]["id"], kiosk.as_str());
        let (status, body) = admin_post(
            &app,
            &token,
            &format!("/admin/sales-channels/{kiosk}/products"),
            json!({ "add": [product] }),
        )
        .await;
        assert_eq!(status, 200, "{body}");

        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/api-keys",
            json!({ "title": "Kiosk screen", "type": "publishable" }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let key_id = body["api_key"]["id"].as_str().unwrap().to_owned();
        let key = body["api_key"]["token"].as_str().unwrap().to_owned();
        admin_post(
            &app,
            &token,
            &format!("/admin/api-keys/{key_id}/sales-channels"),
            json!({ "add": [kiosk] }),
        )
        .await;
        let (status, body) = get_json(&app, "/store/products", Some(&key)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["count"], 1);
        assert_eq!(body["products"][0]["handle"], "lemonade");

        let (status, _) = admin_post(
            &app,
            &token,
            &format!("/admin/sales-channels/{kiosk}/products"),
            json!({ "remove": [product] }),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(get_json(&app, "/store/products", Some(&key)).await.1["count"], 0);

        let (status, body) = admin_post(
            &app,
            &token,
            &format!("/admin/api-keys/{key_id}/revoke"),
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body["api_key"]["revoked_at"].is_string());
        assert_eq!(get_json(&app, "/store/products", Some(&key)).await.0, 401);
        let (status, _) = admin_post(
            &app,
            &token,
            "/admin/api-keys",
            json!({ "title": "Secret", "type": "secret" }),
        )
        .await;
        assert_eq!(status, 400);

        // Regions.
        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/regions",
            json!({ "name": "Switzerland", "currency_code": "CHF", "tax_rate": 8.1, "countries": ["ch"] }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let region = body["region"]["id"].as_str().unwrap().to_owned();
        assert_eq!(body["region"]["currency_code"], "chf");
        assert_eq!(body["region"]["tax_rate"], 8.1);
        assert_eq!(body["region"]["is_tax_inclusive"], false);
        let (status, body) = admin_post(
            &app,
            &token,
            &format!("/admin/regions/{region}"),
            json!({ "is_tax_inclusive": true, "tax_rate": 7.7 }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["region"]["is_tax_inclusive"], true);
        assert_eq!(body["region"]["tax_rate"], 7.7);
        let (status, _) = admin_post(
            &app,
            &token,
            "/admin/regions",
            json!({ "name": "Twice", "currency_code": "eur", "countries": ["de"] }),
        )
        .await;
        assert_eq!(status, 409, "a country belongs to one region");
        let (status, _) =
            send_json(app.admin(Method::DELETE, &format!("/admin/regions/{region}"), &token))
                .await;
        assert_eq!(status, 200);

        let users = admin_get(&app, &token, "/admin/users").await;
        assert_eq!(users["count"], 1);
        assert_eq!(users["users"][0]["email"], crate::ADMIN_EMAIL);
    })
    .await;
}
