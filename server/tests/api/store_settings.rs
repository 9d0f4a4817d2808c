//! `/admin/stores` and `/admin/currencies`: the store's name, currencies and
//! defaults, kept within what its regions need, and the settings page.

use reqwest::{Method, header::LOCATION};
use serde_json::{Value, json};

use crate::{
    admin_json, on_every_db,
    openapi::{assert_documented, fetch_document},
};

const STORE: &str = "/admin/stores/store_default";

fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn an_operator_names_the_store_and_chooses_its_currencies_and_defaults() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let document = fetch_document(&app).await;
        let (_, regions) = admin_json(&app, &token, Method::GET, "/admin/regions", None).await;
        let region_currency = regions["regions"][0]["currency_code"].as_str().unwrap().to_owned();
        let region_id = regions["regions"][0]["id"].as_str().unwrap().to_owned();
        let other = if region_currency == "usd" { "gbp" } else { "usd" };

        // The store is made on first read: first reads at once all get it.
        let (a, b, c) = tokio::join!(
            admin_json(&app, &token, Method::GET, "/admin/stores", None),
            admin_json(&app, &token, Method::GET, STORE, None),
            admin_json(&app, &token, Method::GET, "/admin/currencies", None),
        );
        assert_eq!((a.0, b.0, c.0), (200, 200, 200), "{a:?} {b:?} {c:?}");
        let (status, listed) = admin_json(&app, &token, Method::GET, "/admin/stores", None).await;
        assert_eq!((status, listed["count"].as_u64()), (200, Some(1)), "{listed}");
        assert_documented(&document, "get", "/admin/stores", status, &listed);
        let the_store = &listed["stores"][0];
        assert_eq!(the_store["id"], "store_default");
        let currencies = the_store["supported_currencies"].as_array().unwrap();
        assert!(
            currencies.iter().any(|c| c["currency_code"] == region_currency.as_str() && c["is_default"] == true),
            "made from the regions: {the_store}"
        );
        assert_eq!(the_store["default_region_id"].as_str(), Some(region_id.as_str()));
        let (status, _) = admin_json(&app, &token, Method::GET, "/admin/stores/store_other", None).await;
        assert_eq!(status, 404);

        let (status, updated) = admin_json(&app, &token, Method::POST, STORE, Some(json!({
            "name": "  Fridge Co ",
            "supported_currencies": [
                { "currency_code": other.to_uppercase(), "is_default": true },
                { "currency_code": region_currency },
            ],
        }))).await;
        assert_eq!(status, 200, "{updated}");
        assert_documented(&document, "post", "/admin/stores/{id}", status, &updated);
        let the_store = &updated["store"];
        assert_eq!(the_store["name"], "Fridge Co");
        let codes: Vec<(&str, bool)> = the_store["supported_currencies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["currency_code"].as_str().unwrap(), c["is_default"].as_bool().unwrap()))
            .collect();
        assert_eq!(codes, vec![(other, true), (region_currency.as_str(), false)]);

        for (body, expected) in [
            (json!({ "supported_currencies": [{ "currency_code": other, "is_default": true }] }), "sells in"),
            (json!({ "supported_currencies": [{ "currency_code": region_currency }] }), "default"),
            (json!({ "supported_currencies": [{ "currency_code": region_currency, "is_default": true }, { "currency_code": other, "is_default": true }] }), "only one"),
            (json!({ "supported_currencies": [{ "currency_code": "euro", "is_default": true }] }), "three-letter"),
            (json!({ "supported_currencies": [] }), "at least one"),
            (json!({ "name": "   " }), "needs a name"),
            (json!({ "name": "x".repeat(201) }), "at most"),
            (json!({ "colour": "blue" }), "colour"),
        ] {
            let (status, refused) = admin_json(&app, &token, Method::POST, STORE, Some(body)).await;
            assert_eq!(status, 400, "{refused}");
            assert!(message(&refused).contains(expected), "{expected}: {refused}");
        }
        let (status, missing) = admin_json(&app, &token, Method::POST, STORE, Some(json!({ "default_region_id": "reg_missing" }))).await;
        assert_eq!(status, 404, "{missing}");

        let (_, channels) = admin_json(&app, &token, Method::GET, "/admin/sales-channels", None).await;
        let channel = channels["sales_channels"][0]["id"].as_str().unwrap();
        let (status, defaults) = admin_json(&app, &token, Method::POST, STORE, Some(json!({
            "default_region_id": null, "default_sales_channel_id": channel,
        }))).await;
        assert_eq!(status, 200, "{defaults}");
        assert_eq!(defaults["store"]["default_region_id"], Value::Null);
        assert_eq!(defaults["store"]["default_sales_channel_id"].as_str(), Some(channel));
        assert_eq!(defaults["store"]["name"], "Fridge Co", "what was not sent is kept");

        // Two admins saving different fields at once: neither undoes the other.
        for round in 0..5 {
            let name = format!("Fridge Co {round}");
            let default_currency = if round % 2 == 0 { region_currency.as_str() } else { other };
            let currencies = json!([
                { "currency_code": other, "is_default": default_currency == other },
                { "currency_code": region_currency, "is_default": default_currency == region_currency },
            ]);
            let (renamed, recurrenced) = tokio::join!(
                admin_json(&app, &token, Method::POST, STORE, Some(json!({ "name": name }))),
                admin_json(&app, &token, Method::POST, STORE, Some(json!({ "supported_currencies": currencies }))),
            );
            assert_eq!((renamed.0, recurrenced.0), (200, 200), "{renamed:?} {recurrenced:?}");
            let (_, now) = admin_json(&app, &token, Method::GET, STORE, None).await;
            assert_eq!(now["store"]["name"], name.as_str(), "round {round}: {now}");
            let default = now["store"]["supported_currencies"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["is_default"] == true)
                .map(|c| c["currency_code"].clone());
            assert_eq!(default, Some(json!(default_currency)), "round {round}: {now}");
        }

        let (status, all) = admin_json(&app, &token, Method::GET, "/admin/currencies?limit=100", None).await;
        assert_eq!(status, 200, "{all}");
        assert_documented(&document, "get", "/admin/currencies", status, &all);
        assert!(all["count"].as_u64().unwrap() >= 14, "{all}");
        let (_, yen) = admin_json(&app, &token, Method::GET, "/admin/currencies?code=JPY", None).await;
        assert_eq!((yen["count"].as_u64(), yen["currencies"][0]["decimal_digits"].as_u64()), (Some(1), Some(0)), "{yen}");
        let (_, franc) = admin_json(&app, &token, Method::GET, "/admin/currencies?q=franc", None).await;
        assert_eq!(franc["currencies"][0]["code"], "chf", "{franc}");
        let (status, one) = admin_json(&app, &token, Method::GET, "/admin/currencies/GBP", None).await;
        assert_eq!((status, one["currency"]["symbol"].as_str()), (200, Some("£")), "{one}");
        let (status, _) = admin_json(&app, &token, Method::GET, "/admin/currencies/xyz", None).await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn the_settings_page_saves_without_javascript() {
    on_every_db(async |app| {
        let page = async |client: &reqwest::Client| {
            client
                .get(app.url("/admin/settings"))
                .header("accept", "text/html")
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        };
        assert!(!page(&app.browser()).await.contains("store-settings-form"));
        app.sign_in().await;
        let before = page(&app.client).await;
        assert!(
            before.contains(r#"data-testid="store-settings-form""#),
            "{before}"
        );
        assert!(before.contains(r#"value="Automat store""#), "{before}");
        let token = app.admin_token().await;
        let (_, regions) = admin_json(&app, &token, Method::GET, "/admin/regions", None).await;
        let currency = regions["regions"][0]["currency_code"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            before.contains(&format!(r#"value="{currency}"#)),
            "{before}"
        );
        let saved = app
            .post_form(
                "/api/admin/settings/save",
                &[
                    ("name", "Corner Fridges"),
                    ("currencies", &format!("{currency}, chf")),
                    ("default_currency", "chf"),
                    ("default_region_id", ""),
                    ("default_sales_channel_id", ""),
                    ("default_location_id", ""),
                ],
            )
            .await;
        assert_eq!(
            saved.headers().get(LOCATION).map(|l| l.to_str().unwrap()),
            Some("/admin/settings")
        );
        let after = page(&app.client).await;
        assert!(after.contains(r#"value="Corner Fridges""#), "{after}");
        assert!(after.contains("chf"), "{after}");
        let refused = app
            .post_form(
                "/api/admin/settings/save",
                &[
                    ("name", "Corner Fridges"),
                    ("currencies", "chf"),
                    ("default_currency", "chf"),
                    ("default_region_id", ""),
                    ("default_sales_channel_id", ""),
                    ("default_location_id", ""),
                ],
            )
            .await;
        assert_ne!(refused.status(), 200, "a region's currency stays");
        assert!(
            page(&app.client)
                .await
                .contains(r#"value="Corner Fridges""#)
        );
    })
    .await;
}
