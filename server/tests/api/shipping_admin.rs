//! Shipping by an admin (Medusa's `/admin/shipping-profiles` and
//! `/admin/shipping-options`): what shoppers are offered at checkout follows
//! at once, carts keep the price they were offered, and an option hidden or
//! deleted leaves the open carts that chose it. The page works without
//! JavaScript.

use reqwest::{Method, header::LOCATION};
use serde_json::{Value, json};

use crate::{
    TestApp,
    admin_catalog::{admin_get, admin_post, first_id, warehouse},
    on_every_db,
    openapi::{assert_documented, fetch_document},
    send_json,
    store_carts::{add, expect, get, new_cart, post, ship},
};

async fn region(app: &TestApp, token: &str) -> String {
    first_id(app, token, "/admin/regions", "regions").await
}

/// The options the Store API offers `cart`: name → amount.
async fn offered(app: &TestApp, cart: &str) -> Vec<(String, f64)> {
    let body = expect(
        200,
        get(app, &format!("/store/shipping-options?cart_id={cart}")).await,
    );
    body["shipping_options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_owned(),
                o["amount"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// The cart's shipping methods: name → amount.
async fn methods(app: &TestApp, cart: &str) -> Vec<(String, f64)> {
    let body = expect(200, get(app, &format!("/store/carts/{cart}")).await);
    body["cart"]["shipping_methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_owned(),
                m["amount"].as_f64().unwrap(),
            )
        })
        .collect()
}

async fn shopping_cart(app: &TestApp) -> String {
    let cart = new_cart(app, json!({ "email": "ship@example.com" })).await;
    let id = cart["id"].as_str().unwrap().to_owned();
    add(app, &id, "apple", 1).await;
    id
}

fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn profiles_are_named_typed_and_kept_while_options_serve_them() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let document = fetch_document(&app).await;
        let listed = admin_get(&app, &token, "/admin/shipping-profiles").await;
        assert_documented(&document, "get", "/admin/shipping-profiles", 200, &listed);
        assert_eq!(listed["count"], 1, "{listed}");
        assert_eq!(listed["shipping_profiles"][0]["name"], "Default Shipping Profile");
        assert_eq!(listed["shipping_profiles"][0]["type"], "default");

        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/shipping-profiles",
            json!({ "name": "  Chilled ", "type": "cold_chain" }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_documented(&document, "post", "/admin/shipping-profiles", 200, &body);
        assert_eq!(body["shipping_profile"]["name"], "Chilled");
        let chilled = body["shipping_profile"]["id"].as_str().unwrap().to_owned();
        for (bad, status) in [
            (json!({ "name": "CHILLED", "type": "default" }), 409),
            (json!({ "name": "  ", "type": "default" }), 400),
            (json!({ "name": "Bulky", "type": "two words" }), 400),
            (json!({ "name": "Bulky", "type": "custom", "metadata": { "a": 1 } }), 400),
        ] {
            let (got, body) = admin_post(&app, &token, "/admin/shipping-profiles", bad.clone()).await;
            assert_eq!(got, status, "{bad}: {body}");
            assert!(!message(&body).is_empty(), "{body}");
        }
        let this = format!("/admin/shipping-profiles/{chilled}");
        let (status, body) = admin_post(&app, &token, &this, json!({ "name": "Chilled goods" })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["shipping_profile"]["type"], "cold_chain", "the type stays");
        let found = admin_get(&app, &token, "/admin/shipping-profiles?q=goods").await;
        assert_eq!(found["count"], 1, "{found}");

        // A profile an option serves stays until the option goes.
        let region = region(&app, &token).await;
        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/shipping-options",
            json!({ "name": "Cold courier", "service_zone_id": region, "shipping_profile_id": chilled,
                    "provider_id": "manual_manual", "price_type": "flat",
                    "prices": [{ "currency_code": "eur", "amount": 7 }] }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let option = body["shipping_option"]["id"].as_str().unwrap().to_owned();
        assert_eq!(body["shipping_option"]["shipping_profile"]["name"], "Chilled goods");
        let (status, body) = send_json(app.admin(Method::DELETE, &this, &token)).await;
        assert_eq!(status, 400, "{body}");
        assert!(message(&body).contains("still has 1 shipping option"), "{body}");
        let (status, _) = send_json(app.admin(
            Method::DELETE,
            &format!("/admin/shipping-options/{option}"),
            &token,
        ))
        .await;
        assert_eq!(status, 200);
        let (status, body) = send_json(app.admin(Method::DELETE, &this, &token)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["object"], "shipping_profile");
        assert_eq!(body["deleted"], true);
        let (status, _) = send_json(app.admin(Method::GET, &this, &token)).await;
        assert_eq!(status, 404);
        let (status, body) = send_json(app.admin(
            Method::DELETE,
            "/admin/shipping-profiles/sp_default",
            &token,
        ))
        .await;
        assert_eq!(status, 400, "the default profile stays: {body}");
    })
    .await;
}

#[tokio::test]
async fn an_option_an_admin_adds_is_offered_repriced_hidden_and_deleted() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let document = fetch_document(&app).await;
        let region = region(&app, &token).await;
        let express = json!({
            "name": "Express", "service_zone_id": region, "shipping_profile_id": "sp_default",
            "provider_id": "manual_manual", "price_type": "flat",
            "type": { "label": "Express", "description": "Next day", "code": "express" },
            "prices": [{ "currency_code": "EUR", "amount": 9.5 }],
            "rules": [
                { "attribute": "enabled_in_store", "operator": "eq", "value": "true" },
                { "attribute": "is_return", "operator": "eq", "value": "false" },
            ],
        });
        let (status, body) = admin_post(&app, &token, "/admin/shipping-options", express.clone()).await;
        assert_eq!(status, 200, "{body}");
        assert_documented(&document, "post", "/admin/shipping-options", 200, &body);
        let created = &body["shipping_option"];
        assert_eq!(created["prices"][0]["amount"], 9.5);
        assert_eq!(created["prices"][0]["currency_code"], "eur");
        assert_eq!(created["service_zone"]["id"], region.as_str());
        assert_eq!(created["provider_id"], "manual_manual");
        assert_eq!(created["shipping_profile_id"], "sp_default");
        let id = created["id"].as_str().unwrap().to_owned();
        let this = format!("/admin/shipping-options/{id}");

        // What cannot be kept is refused with a reason, and nothing is made.
        let location = warehouse(&app, &token).await;
        let refusals = [
            (json!({ "provider_id": "fedex" }), "fedex"),
            (json!({ "price_type": "calculated" }), "flat"),
            (json!({ "prices": [{ "currency_code": "usd", "amount": 5 }] }), "does not apply"),
            (json!({ "prices": [{ "region_id": "reg_elsewhere", "amount": 5 }] }), "does not apply"),
            (json!({ "prices": [] }), "needs its price"),
            (json!({ "prices": [{ "currency_code": "eur", "amount": -1 }] }), "not an amount"),
            (json!({ "prices": [{ "currency_code": "eur", "amount": 1.005 }] }), "not an amount"),
            (json!({ "service_zone_id": "reg_nowhere" }), "there is no service zone"),
            (json!({ "rules": [{ "attribute": "is_return", "operator": "eq", "value": "true" }] }), "return"),
            (json!({ "rules": [{ "attribute": "item_total", "operator": "gt", "value": "10" }] }), "eq"),
            (json!({ "rules": [{ "attribute": "item_total", "operator": "eq", "value": "true" }] }), "item_total"),
            (json!({ "type": { "code": "pickup" } }), "stock_location_id"),
            (json!({ "type": { "code": "express" }, "data": { "stock_location_id": location } }), "pickup"),
            (json!({ "data": { "stock_location_id": "sloc_nowhere" }, "type": null }), "there is no stock location"),
            (json!({ "data": { "carrier": "x" } }), "data.carrier"),
            (json!({ "name": "   " }), "needs a name"),
            (json!({ "shipping_profile_id": "sp_nowhere" }), "there is no shipping profile"),
        ];
        for (change, says) in refusals {
            let mut body = express.clone();
            for (key, value) in change.as_object().unwrap() {
                body[key] = value.clone();
            }
            let (status, answer) = admin_post(&app, &token, "/admin/shipping-options", body.clone()).await;
            assert_eq!(status, 400, "{change}: {answer}");
            assert!(message(&answer).contains(says), "{change}: {answer}");
        }
        let all = admin_get(&app, &token, &format!("/admin/shipping-options?service_zone_id={region}")).await;
        assert_documented(&document, "get", "/admin/shipping-options", 200, &all);
        let names: Vec<&str> = all["shipping_options"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
        assert_eq!(names.iter().filter(|n| **n == "Express").count(), 1, "{names:?}");

        // Offered at once; the shopper's cart keeps the price it was offered.
        let cart = shopping_cart(&app).await;
        assert!(offered(&app, &cart).await.contains(&("Express".to_owned(), 9.5)));
        ship(&app, &cart, "Express").await;
        let (status, body) = admin_post(
            &app,
            &token,
            &this,
            json!({ "prices": [{ "region_id": region, "amount": 12 }], "name": "Express (next day)" }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_documented(&document, "post", "/admin/shipping-options/{id}", 200, &body);
        assert_eq!(body["shipping_option"]["prices"][0]["amount"], 12.0);
        assert!(offered(&app, &cart).await.contains(&("Express (next day)".to_owned(), 12.0)));
        assert_eq!(methods(&app, &cart).await, vec![("Express".to_owned(), 9.5)]);

        // Kept back: no longer offered, gone from the open cart, refused if chosen.
        let hide = json!({ "rules": [{ "attribute": "enabled_in_store", "operator": "eq", "value": "false" }] });
        let (status, body) = admin_post(&app, &token, &this, hide).await;
        assert_eq!(status, 200, "{body}");
        let rules = body["shipping_option"]["rules"].as_array().unwrap().clone();
        assert!(rules.iter().any(|r| r["attribute"] == "enabled_in_store" && r["value"] == "false"), "{body}");
        assert!(!offered(&app, &cart).await.iter().any(|(n, _)| n.starts_with("Express")));
        assert_eq!(methods(&app, &cart).await, vec![]);
        let (status, body) = post(&app, &format!("/store/carts/{cart}/shipping-methods"), json!({ "option_id": id })).await;
        assert_eq!(status, 400, "{body}");
        assert!(message(&body).contains("not offered"), "{body}");
        // Admins still see it.
        let kept = admin_get(&app, &token, "/admin/shipping-options?q=express").await;
        assert_eq!(kept["count"], 1, "{kept}");
        let returns = admin_get(&app, &token, "/admin/shipping-options?is_return=true").await;
        assert_eq!(returns["count"], 0, "{returns}");

        // Its zone and pickup place stay.
        let (status, body) = admin_post(&app, &token, &this, json!({ "service_zone_id": "reg_other" })).await;
        assert_eq!(status, 400, "{body}");
        let (status, body) =
            admin_post(&app, &token, &this, json!({ "data": { "stock_location_id": location } })).await;
        assert_eq!(status, 400, "{body}");

        // Deleted: the open cart that chose it chooses again.
        let show = json!({ "rules": [{ "attribute": "enabled_in_store", "operator": "eq", "value": true }] });
        assert_eq!(admin_post(&app, &token, &this, show).await.0, 200);
        let other = shopping_cart(&app).await;
        ship(&app, &other, "Express (next day)").await;
        let (status, body) = send_json(app.admin(Method::DELETE, &this, &token)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["id"].as_str(), body["object"].as_str(), body["deleted"].as_bool()),
            (Some(id.as_str()), Some("shipping_option"), Some(true)));
        assert_eq!(methods(&app, &other).await, vec![]);
        assert!(!offered(&app, &other).await.iter().any(|(n, _)| n.starts_with("Express")));
        let (status, _) = send_json(app.admin(Method::GET, &this, &token)).await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn a_pickup_option_names_its_place_and_a_deleted_region_takes_its_options() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/regions",
            json!({ "name": "Switzerland", "currency_code": "chf", "countries": ["ch"] }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let swiss = body["region"]["id"].as_str().unwrap().to_owned();
        let location = warehouse(&app, &token).await;
        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/shipping-options",
            json!({ "name": "Collect at the warehouse", "service_zone_id": swiss,
                    "shipping_profile_id": "sp_default", "provider_id": "manual_manual",
                    "price_type": "flat", "type_id": "pickup",
                    "data": { "stock_location_id": location },
                    "prices": [{ "region_id": swiss, "amount": 0 }] }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let option = &body["shipping_option"];
        assert_eq!(option["type"]["code"], "pickup");
        assert_eq!(option["data"]["stock_location_id"], location.as_str());
        assert_eq!(option["service_zone"]["geo_zones"][0]["country_code"], "ch");
        let id = option["id"].as_str().unwrap().to_owned();
        let at_location = admin_get(
            &app,
            &token,
            &format!("/admin/shipping-options?stock_location_id={location}"),
        )
        .await;
        assert!(
            at_location["shipping_options"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["id"] == id.as_str()),
            "{at_location}"
        );

        let (status, _) =
            send_json(app.admin(Method::DELETE, &format!("/admin/regions/{swiss}"), &token)).await;
        assert_eq!(status, 200);
        let (status, _) = send_json(app.admin(
            Method::GET,
            &format!("/admin/shipping-options/{id}"),
            &token,
        ))
        .await;
        assert_eq!(status, 404, "the region's options went with it");
        // The rest still list (none points at a missing region).
        let all = admin_get(&app, &token, "/admin/shipping-options").await;
        assert!(all["count"].as_u64().unwrap() >= 1, "{all}");
    })
    .await;
}

#[tokio::test]
async fn the_shipping_page_works_without_javascript() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let region = region(&app, &token).await;
        app.sign_in().await;
        let page = app.page("/admin/shipping-options").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Standard delivery"), "{html}");
        assert!(html.contains("Default Shipping Profile"), "{html}");
        assert!(html.contains(r#"action="/api/admin/shipping/create-option""#), "{html}");

        let created = app
            .post_form(
                "/api/admin/shipping/create-option",
                &[
                    ("name", "Courier"),
                    ("region_id", &region),
                    ("amount", "6,50"),
                    ("stock_location_id", ""),
                    ("shipping_profile_id", "sp_default"),
                    ("offered", "on"),
                ],
            )
            .await;
        assert_eq!(
            created.headers().get(LOCATION).and_then(|l| l.to_str().ok()),
            Some("/admin/shipping-options")
        );
        let found = admin_get(&app, &token, "/admin/shipping-options?q=Courier").await;
        assert_eq!(found["count"], 1, "{found}");
        assert_eq!(found["shipping_options"][0]["prices"][0]["amount"], 6.5);
        let id = found["shipping_options"][0]["id"].as_str().unwrap().to_owned();
        let html = app.page("/admin/shipping-options").await.text().await.unwrap();
        assert!(html.contains(r#"value="6.50""#), "{html}");

        let refused = app
            .post_form(
                "/api/admin/shipping/create-option",
                &[("name", "Cheap"), ("region_id", &region), ("amount", "six"), ("shipping_profile_id", "sp_default")],
            )
            .await;
        assert!(refused.text().await.unwrap().contains("must be a number"));

        // Kept back (the box unticked), then back to the same page; never elsewhere.
        for (back, lands) in [
            ("/admin/shipping-options?page=1", "/admin/shipping-options?page=1"),
            ("//evil.example/admin/shipping-options", "/admin/shipping-options"),
            ("/admin/users", "/admin/shipping-options"),
        ] {
            let saved = app
                .post_form(
                    "/api/admin/shipping/update-option",
                    &[
                        ("id", &id),
                        ("name", "Courier"),
                        ("amount", "7"),
                        ("shipping_profile_id", "sp_default"),
                        ("back", back),
                    ],
                )
                .await;
            assert_eq!(saved.headers().get(LOCATION).and_then(|l| l.to_str().ok()), Some(lands), "{back}");
        }
        let saved = admin_get(&app, &token, &format!("/admin/shipping-options/{id}")).await;
        assert_eq!(saved["shipping_option"]["prices"][0]["amount"], 7.0);
        assert!(saved["shipping_option"]["rules"].as_array().unwrap().iter()
            .any(|r| r["attribute"] == "enabled_in_store" && r["value"] == "false"), "{saved}");

        let deleted = app
            .post_form("/api/admin/shipping/delete-option", &[("id", &id), ("back", "/admin/shipping-options")])
            .await;
        assert_eq!(deleted.headers().get(LOCATION).and_then(|l| l.to_str().ok()), Some("/admin/shipping-options"));
        assert_eq!(admin_get(&app, &token, "/admin/shipping-options?q=Courier").await["count"], 0);

        // Profiles: added and removed from the same page.
        let added = app
            .post_form("/api/admin/shipping/create-profile", &[("name", "Bulky"), ("kind", "")])
            .await;
        assert_eq!(added.headers().get(LOCATION).and_then(|l| l.to_str().ok()), Some("/admin/shipping-options"));
        let bulky = first_id(&app, &token, "/admin/shipping-profiles?q=Bulky", "shipping_profiles").await;
        assert_eq!(admin_get(&app, &token, &format!("/admin/shipping-profiles/{bulky}")).await["shipping_profile"]["type"], "custom");
        let html = app.page("/admin/shipping-options").await.text().await.unwrap();
        assert!(html.contains("Bulky"), "{html}");
        app.post_form("/api/admin/shipping/delete-profile", &[("id", &bulky)]).await;
        assert_eq!(admin_get(&app, &token, "/admin/shipping-profiles?q=Bulky").await["count"], 0);
    })
    .await;
}

#[tokio::test]
async fn rules_are_changed_in_a_batch_and_types_and_providers_are_listed() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let region = region(&app, &token).await;
        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/shipping-options",
            json!({ "name": "Evening", "service_zone_id": region, "shipping_profile_id": "sp_default",
                    "provider_id": "manual_manual", "price_type": "flat", "type_id": "delivery",
                    "prices": [{ "currency_code": "eur", "amount": 3 }] }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let option = &body["shipping_option"];
        let id = option["id"].as_str().unwrap().to_owned();
        let enabled_rule = option["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["attribute"] == "enabled_in_store")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let batch = format!("/admin/shipping-options/{id}/rules/batch");
        let cart = shopping_cart(&app).await;

        let (status, body) = admin_post(
            &app,
            &token,
            &batch,
            json!({ "update": [{ "id": enabled_rule, "attribute": "enabled_in_store", "operator": "eq", "value": "false" }] }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["updated"][0]["value"], "false", "{body}");
        assert!(!offered(&app, &cart).await.iter().any(|(n, _)| n == "Evening"));
        // Deleting the rule takes the limit away: offered again.
        let (status, body) =
            admin_post(&app, &token, &batch, json!({ "delete": [enabled_rule] })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["deleted"]["ids"][0], enabled_rule.as_str());
        assert!(offered(&app, &cart).await.iter().any(|(n, _)| n == "Evening"));
        for bad in [
            json!({ "delete": ["sorul_someone_else"] }),
            json!({ "update": [{ "id": enabled_rule, "attribute": "is_return", "operator": "eq", "value": "false" }] }),
            json!({ "create": [{ "attribute": "is_return", "operator": "eq", "value": "true" }] }),
        ] {
            let (status, body) = admin_post(&app, &token, &batch, bad.clone()).await;
            assert_eq!(status, 400, "{bad}: {body}");
        }
        let (status, _) = admin_post(
            &app,
            &token,
            "/admin/shipping-options/so_nowhere/rules/batch",
            json!({ "delete": [] }),
        )
        .await;
        assert_eq!(status, 404);

        let types = admin_get(&app, &token, "/admin/shipping-option-types").await;
        assert_eq!(types["count"], 2, "{types}");
        let pickup = admin_get(&app, &token, "/admin/shipping-option-types/pickup").await;
        assert_eq!(pickup["shipping_option_type"]["code"], "pickup");
        let (status, _) = send_json(app.admin(Method::GET, "/admin/shipping-option-types/air", &token)).await;
        assert_eq!(status, 404);
        let providers = admin_get(&app, &token, "/admin/fulfillment-providers").await;
        assert_eq!(providers["fulfillment_providers"][0]["id"], "manual_manual", "{providers}");
    })
    .await;
}
