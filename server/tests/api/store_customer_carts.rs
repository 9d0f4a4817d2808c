//! A signed-in shopper's carts as Medusa's clients expect them: the cart
//! takes the customer's email, a guest cart can be taken over after signing
//! in (`POST /store/carts/{id}/customer`), and tokens can be refreshed.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    TestApp,
    customers::{signed_up, store},
    on_every_db, send_json,
};

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    send_json(store(app, method, path, token).json(&body)).await
}

fn expect(status: u16, (actual, body): (u16, Value)) -> Value {
    assert_eq!(actual, status, "{body}");
    body
}

#[tokio::test]
async fn a_signed_in_customers_new_cart_carries_their_email() {
    on_every_db(async |app| {
        let token = signed_up(&app, "owner@example.com").await;
        let cart = expect(
            200,
            call(&app, Method::POST, "/store/carts", Some(&token), json!({})).await,
        )["cart"]
            .clone();
        assert_eq!(cart["email"], "owner@example.com", "{cart}");
        assert!(cart["customer_id"].as_str().unwrap().starts_with("cus_"));
        // An email given explicitly wins.
        let other = json!({ "email": "gift@example.com" });
        let cart = expect(
            200,
            call(&app, Method::POST, "/store/carts", Some(&token), other).await,
        )["cart"]
            .clone();
        assert_eq!(cart["email"], "gift@example.com");
    })
    .await;
}

#[tokio::test]
async fn a_guest_cart_is_transferred_to_the_customer_who_signs_in() {
    on_every_db(async |app| {
        let guest = expect(
            200,
            call(&app, Method::POST, "/store/carts", None, json!({})).await,
        )["cart"]
            .clone();
        assert_eq!(guest["customer_id"], Value::Null);
        assert_eq!(guest["email"], Value::Null);
        let id = guest["id"].as_str().unwrap();
        let path = format!("/store/carts/{id}/customer");

        // Only a signed-in customer can take a cart.
        let (status, body) = call(&app, Method::POST, &path, None, json!({})).await;
        assert_eq!(status, 401, "{body}");

        let token = signed_up(&app, "taker@example.com").await;
        let cart = expect(
            200,
            call(&app, Method::POST, &path, Some(&token), json!({})).await,
        )["cart"]
            .clone();
        assert!(
            cart["customer_id"].as_str().unwrap().starts_with("cus_"),
            "{cart}"
        );
        assert_eq!(cart["email"], "taker@example.com");
        // Taking it again is harmless.
        expect(
            200,
            call(&app, Method::POST, &path, Some(&token), json!({})).await,
        );

        // Another registered customer cannot take it away.
        let other = signed_up(&app, "other@example.com").await;
        let (status, body) = call(&app, Method::POST, &path, Some(&other), json!({})).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("another customer"),
            "{body}"
        );

        let (status, body) = call(
            &app,
            Method::POST,
            "/store/carts/cart_missing/customer",
            Some(&token),
            json!({}),
        )
        .await;
        assert_eq!(status, 404, "{body}");
    })
    .await;
}

#[tokio::test]
async fn a_token_is_refreshed_and_a_refreshed_registration_token_names_the_customer() {
    on_every_db(async |app| {
        let refresh = |token: Option<String>| {
            let request = app.client.post(app.url("/auth/token/refresh"));
            send_json(match token {
                Some(token) => request.bearer_auth(token),
                None => request,
            })
        };
        let (status, body) = refresh(None).await;
        assert_eq!(status, 401, "{body}");
        let (status, body) = refresh(Some("not-a-token".into())).await;
        assert_eq!(status, 401, "{body}");

        let token = signed_up(&app, "refresh@example.com").await;
        let fresh = expect(200, refresh(Some(token)).await)["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let me = expect(
            200,
            send_json(store(
                &app,
                Method::GET,
                "/store/customers/me",
                Some(&fresh),
            ))
            .await,
        );
        assert_eq!(me["customer"]["email"], "refresh@example.com");

        // Registered, customer created, then the registration token refreshed.
        let registered = send_json(
            app.client
                .post(app.url("/auth/customer/emailpass/register"))
                .json(&json!({ "email": "late@example.com", "password": "long enough" })),
        )
        .await;
        let registration = expect(200, registered)["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let create = store(&app, Method::POST, "/store/customers", Some(&registration))
            .json(&json!({ "email": "late@example.com" }));
        expect(200, send_json(create).await);
        let fresh = expect(200, refresh(Some(registration)).await)["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let me = expect(
            200,
            send_json(store(
                &app,
                Method::GET,
                "/store/customers/me",
                Some(&fresh),
            ))
            .await,
        );
        assert_eq!(me["customer"]["email"], "late@example.com");
    })
    .await;
}
