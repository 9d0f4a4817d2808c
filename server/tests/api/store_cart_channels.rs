//! A publishable key reaches only the carts of its own sales channels: every
//! cart route refuses another channel's cart as not found.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    TestApp,
    customers::signed_up,
    on_every_db, send_json,
    store_carts::{expect, new_cart, pay, ready_cart, variant},
    store_channels::{channel_named, key_for},
};

/// A Store API request with `key` as the publishable key.
async fn with_key(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let request = app
        .client
        .request(method, app.url(path))
        .header("x-publishable-api-key", key);
    send_json(match body {
        Some(body) => request.json(&body),
        None => request,
    })
    .await
}

#[tokio::test]
async fn every_cart_route_refuses_a_cart_of_another_channel() {
    on_every_db(async |app| {
        // The demo key sells through the online store; this one through a machine.
        let machine = channel_named(&app, "Vending machine 1").await;
        let machine_key = key_for(&app, &[&machine]).await;
        let id = ready_cart(&app, &[("apple", 1)]).await;
        let collection = pay(&app, &id).await;
        let line = expect(
            200,
            crate::store_carts::get(&app, &format!("/store/carts/{id}")).await,
        )["cart"]["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let apple = variant(&app, "apple").await;
        let options = format!("/store/shipping-options?cart_id={id}");
        let sessions = format!(
            "/store/payment-collections/{}/payment-sessions",
            collection["id"].as_str().unwrap()
        );

        let cart = format!("/store/carts/{id}");
        let line_path = format!("{cart}/line-items/{line}");
        let attempts: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, cart.clone(), None),
            (
                Method::POST,
                cart.clone(),
                Some(json!({ "email": "x@example.com" })),
            ),
            (
                Method::POST,
                format!("{cart}/line-items"),
                Some(json!({ "variant_id": apple, "quantity": 1 })),
            ),
            (
                Method::POST,
                line_path.clone(),
                Some(json!({ "quantity": 2 })),
            ),
            (Method::DELETE, line_path, None),
            (
                Method::POST,
                format!("{cart}/promotions"),
                Some(json!({ "promo_codes": ["NOPE"] })),
            ),
            (
                Method::DELETE,
                format!("{cart}/promotions"),
                Some(json!({ "promo_codes": ["NOPE"] })),
            ),
            (
                Method::POST,
                format!("{cart}/shipping-methods"),
                Some(json!({ "option_id": "so_whatever" })),
            ),
            (Method::GET, options, None),
            (
                Method::POST,
                "/store/payment-collections".to_owned(),
                Some(json!({ "cart_id": id })),
            ),
            (
                Method::POST,
                sessions,
                Some(json!({ "provider_id": "pp_system_default" })),
            ),
            (Method::POST, format!("{cart}/taxes"), None),
            (Method::POST, format!("{cart}/complete"), Some(json!({}))),
        ];
        for (method, path, body) in attempts {
            let (status, answer) = with_key(&app, &machine_key, method.clone(), &path, body).await;
            assert_eq!(status, 404, "{method} {path}: {answer}");
            assert_eq!(answer["type"], "not_found", "{method} {path}");
            assert_eq!(
                answer["message"],
                format!(
                    "Cart with id {id} was not found in the sales channels of the publishable key"
                ),
                "{method} {path}"
            );
        }

        // Taking the cart over needs a signed-in customer, and the cart's key.
        let token = signed_up(&app, "taker@example.com").await;
        let (status, answer) = send_json(
            app.client
                .post(app.url(&format!("{cart}/customer")))
                .header("x-publishable-api-key", &machine_key)
                .bearer_auth(&token),
        )
        .await;
        assert_eq!(status, 404, "{answer}");
        assert_eq!(answer["type"], "not_found");

        // Nothing changed, and the cart's own key still completes it.
        let cart = expect(
            200,
            crate::store_carts::get(&app, &format!("/store/carts/{id}")).await,
        );
        assert_eq!(cart["cart"]["items"][0]["quantity"], 1);
        assert!(cart["cart"]["email"] != "x@example.com");
        assert!(cart["cart"]["customer_id"].is_null(), "not taken over");
        assert!(cart["cart"]["completed_at"].is_null());
        let placed = expect(200, crate::store_carts::complete(&app, &id).await);
        assert_eq!(placed["type"], "order");
    })
    .await;
}

#[tokio::test]
async fn a_key_reaches_the_carts_of_each_of_its_channels() {
    on_every_db(async |app| {
        let online = channel_named(&app, "Online store").await;
        let machine = channel_named(&app, "Vending machine 1").await;
        let both = key_for(&app, &[&online, &machine]).await;
        let online_cart = new_cart(&app, json!({})).await;
        let (status, body) = with_key(
            &app,
            &both,
            Method::POST,
            "/store/carts",
            Some(json!({ "sales_channel_id": machine })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let machine_cart = body["cart"]["id"].as_str().unwrap().to_owned();
        for id in [online_cart["id"].as_str().unwrap(), &machine_cart] {
            let (status, body) = with_key(
                &app,
                &both,
                Method::GET,
                &format!("/store/carts/{id}"),
                None,
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
        let (status, body) =
            crate::store_carts::get(&app, &format!("/store/carts/{machine_cart}")).await;
        assert_eq!(status, 404, "the demo key sells online only: {body}");
    })
    .await;
}
