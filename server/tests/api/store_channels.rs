//! Sales-channel scoping of the Store API and variants' inventory quantities.

use domain::{api_keys, catalog, channels, inventory};
use serde_json::Value;

use crate::{TestApp, on_every_db};

async fn get(app: &TestApp, path: &str, key: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(path))
        .header("x-publishable-api-key", key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// A new publishable key bound to `channel_ids`.
pub async fn key_for(app: &TestApp, channel_ids: &[&str]) -> String {
    let key = api_keys::create_publishable(&app.db, "Test key")
        .await
        .unwrap();
    for channel_id in channel_ids {
        channels::bind_publishable_key(&app.db, &key.id, channel_id)
            .await
            .unwrap();
    }
    key.token
}

pub async fn channel_named(app: &TestApp, name: &str) -> String {
    channels::list_sales_channels(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap()
        .id
}

fn handles(body: &Value) -> Vec<&str> {
    body["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["handle"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_key_sees_only_its_channels_products() {
    on_every_db(async |app| {
        let kiosk = channels::create_sales_channel(&app.db, "Kiosk", None)
            .await
            .unwrap();
        let apple = catalog::find_published(&app.db, "apple").await.unwrap();
        channels::publish_product(&app.db, &apple.product.id, &kiosk.id)
            .await
            .unwrap();
        let kiosk_key = key_for(&app, &[&kiosk.id]).await;

        let (status, body) = get(&app, "/store/products", &kiosk_key).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["count"], 1);
        assert_eq!(handles(&body), ["apple"]);
        let (status, _) = get(&app, "/store/products/apple", &kiosk_key).await;
        assert_eq!(status, 200);
        let (status, body) = get(&app, "/store/products/orange-juice", &kiosk_key).await;
        assert_eq!(
            status, 404,
            "a product of another channel is not found: {body}"
        );
        assert_eq!(body["type"], "not_found");

        let (_, body) = get(&app, "/store/products", &app.publishable_key).await;
        assert_eq!(body["count"], 8, "the demo key sees the online store");

        // As in Medusa, a key without channels is refused.
        let bare_key = key_for(&app, &[]).await;
        for path in ["/store/products", "/store/products/apple"] {
            let (status, body) = get(&app, path, &bare_key).await;
            assert_eq!(status, 400, "{path}: {body}");
            assert_eq!(body["type"], "invalid_data");
            assert_eq!(
                body["message"],
                "Publishable key needs to have a sales channel configured."
            );
        }
    })
    .await;
}

#[tokio::test]
async fn sales_channel_id_narrows_to_one_of_the_keys_channels() {
    on_every_db(async |app| {
        let online = channel_named(&app, "Online store").await;
        let machine = channel_named(&app, "Vending machine 1").await;
        let kiosk = channels::create_sales_channel(&app.db, "Kiosk", None)
            .await
            .unwrap();
        let key = key_for(&app, &[&machine, &kiosk.id]).await;

        let (status, body) = get(
            &app,
            &format!("/store/products?sales_channel_id={}", kiosk.id),
            &key,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["count"], 0, "nothing is published to the kiosk");
        let (_, body) = get(
            &app,
            &format!("/store/products?sales_channel_id={machine}"),
            &key,
        )
        .await;
        assert_eq!(body["count"], 8);

        // Stock is counted in one channel, so a key with two must name one.
        let (status, body) = get(
            &app,
            "/store/products?fields=%2Bvariants.inventory_quantity",
            &key,
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["type"], "invalid_data");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with("Inventory availability cannot be calculated"),
            "{body}"
        );
        let path = format!(
            "/store/products?fields=%2Bvariants.inventory_quantity&sales_channel_id={machine}"
        );
        let (status, body) = get(&app, &path, &key).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body["products"][0]["variants"][0]["inventory_quantity"]
                .as_i64()
                .unwrap()
                >= 5
        );

        for path in [
            format!("/store/products?sales_channel_id={online}"),
            "/store/products/apple?sales_channel_id=sc_missing".to_owned(),
        ] {
            let (status, body) = get(&app, &path, &key).await;
            assert_eq!(status, 400, "{path}: {body}");
            assert_eq!(body["type"], "invalid_data");
            assert_eq!(
                body["message"],
                "Requested sales channel is not part of the publishable key"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn variants_carry_inventory_quantity_when_asked() {
    on_every_db(async |app| {
        let key = app.publishable_key.as_str();
        let (_, body) = get(&app, "/store/products/apple", key).await;
        let variant = &body["product"]["variants"][0];
        assert_eq!(variant["manage_inventory"], true);
        assert!(
            variant.get("inventory_quantity").is_none(),
            "only on request: {variant}"
        );

        for fields in [
            "%2Bvariants.inventory_quantity",
            "*variants.inventory_quantity",
            "id,title,%2Bvariants.inventory_quantity",
        ] {
            let (status, body) =
                get(&app, &format!("/store/products/apple?fields={fields}"), key).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(
                body["product"]["variants"][0]["inventory_quantity"], 50,
                "{fields}: the warehouse's stock"
            );
        }

        // Reserved units are not available.
        let variant_id = body["product"]["variants"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let item = inventory::find_item_by_variant(&app.db, &variant_id)
            .await
            .unwrap()
            .unwrap();
        let warehouse =
            channels::stock_location_ids(&app.db, &[channel_named(&app, "Online store").await])
                .await
                .unwrap();
        inventory::reserve(
            &app.db,
            inventory::NewReservation {
                inventory_item_id: item.id.clone(),
                location_id: warehouse[0].clone(),
                quantity: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let (_, body) = get(
            &app,
            "/store/products?q=apple&fields=%2Bvariants.inventory_quantity",
            key,
        )
        .await;
        assert_eq!(body["products"][0]["variants"][0]["inventory_quantity"], 48);

        // A machine's key sees the machine's stock.
        let machine = channel_named(&app, "Vending machine 2").await;
        let machine_key = key_for(&app, &[&machine]).await;
        let expected = inventory::variant_availability(&app.db, &variant_id, &machine)
            .await
            .unwrap()
            .unwrap();
        assert!((5..=12).contains(&expected));
        let (_, body) = get(
            &app,
            "/store/products/apple?fields=*variants.inventory_quantity",
            &machine_key,
        )
        .await;
        assert_eq!(
            body["product"]["variants"][0]["inventory_quantity"],
            expected
        );
    })
    .await;
}

#[tokio::test]
async fn variants_without_inventory_are_unmanaged() {
    on_every_db(async |app| {
        let product_id = catalog::create_product(
            &app.db,
            catalog::NewProduct {
                title: "Tap Water".into(),
                handle: "tap-water".into(),
                description: None,
                thumbnail: None,
                published: true,
                variants: vec![catalog::NewVariant {
                    title: "Glass".into(),
                    sku: None,
                    weight_grams: None,
                    prices: vec![],
                }],
            },
        )
        .await
        .unwrap();
        channels::publish_product(
            &app.db,
            &product_id,
            &channel_named(&app, "Online store").await,
        )
        .await
        .unwrap();
        let (status, body) = get(
            &app,
            "/store/products/tap-water?fields=%2Bvariants.inventory_quantity",
            &app.publishable_key,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let variant = &body["product"]["variants"][0];
        assert_eq!(variant["manage_inventory"], false);
        assert!(variant["inventory_quantity"].is_null(), "{variant}");
    })
    .await;
}
