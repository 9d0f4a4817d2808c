//! `Idempotency-Key` on cart completion: a repeat gets the first answer again,
//! even after a restart; the same key for another cart is refused.

use serde_json::{Value, json};

use crate::{
    Options, TestApp,
    customers::signed_up,
    on_every_db, spawn_app,
    store_carts::{expect, pay, post, ready_cart, set_online_stock},
    store_channels::{channel_named, key_for},
};
use domain::seed;

/// Completes the cart sending `key`; the status, the body and whether the
/// answer was a replay.
async fn complete_with_key(app: &TestApp, cart_id: &str, key: &str) -> (u16, Value, bool) {
    complete_as(app, &app.publishable_key, cart_id, key).await
}

/// [`complete_with_key`] from the storefront of `publishable_key`.
async fn complete_as(
    app: &TestApp,
    publishable_key: &str,
    cart_id: &str,
    key: &str,
) -> (u16, Value, bool) {
    let response = app
        .client
        .post(app.url(&format!("/store/carts/{cart_id}/complete")))
        .header("x-publishable-api-key", publishable_key)
        .header("idempotency-key", key)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let replayed = response.headers().get("idempotent-replayed").is_some();
    (
        status,
        response.json().await.expect("a JSON body"),
        replayed,
    )
}

#[tokio::test]
async fn a_repeated_completion_gets_the_same_answer_even_after_a_restart() {
    for backend in testkit::db_backends() {
        let app = spawn_app(Options::on(backend)).await;
        let id = ready_cart(&app, &[("apple", 2)]).await;
        pay(&app, &id).await;
        let (status, first, replayed) = complete_with_key(&app, &id, "key-1").await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(first["type"], "order");
        assert!(!replayed);

        let (status, again, replayed) = complete_with_key(&app, &id, "key-1").await;
        assert_eq!((status, &again), (200, &first));
        assert!(replayed, "the second answer is the kept one");

        let app = app.restart(Options::on(backend)).await;
        let (status, after_restart, replayed) = complete_with_key(&app, &id, "key-1").await;
        assert_eq!(
            (status, &after_restart),
            (200, &first),
            "kept in the database"
        );
        assert!(replayed);
    }
}

#[tokio::test]
async fn a_key_used_for_another_cart_is_refused() {
    on_every_db(async |app| {
        let first = ready_cart(&app, &[("apple", 1)]).await;
        let second = ready_cart(&app, &[("apple", 1)]).await;
        pay(&app, &first).await;
        pay(&app, &second).await;
        let (status, body, _) = complete_with_key(&app, &first, "shared").await;
        assert_eq!(status, 200, "{body}");

        let (status, body, _) = complete_with_key(&app, &second, "shared").await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["type"], "duplicate_error");
        assert_eq!(
            body["message"],
            "Idempotency-Key shared was already used for another request; send a new key for this one",
            "what the key was used for (the first cart) is not told"
        );
        let (status, body, _) = complete_with_key(&app, &second, "fresh").await;
        assert_eq!(status, 200, "a new key completes the second cart: {body}");
        assert_eq!(body["type"], "order");
    })
    .await;
}

#[tokio::test]
async fn a_refusal_is_repeated_for_its_key_while_a_new_key_tries_again() {
    on_every_db(async |app| {
        let stock = seed::WAREHOUSE_STOCK;
        let id = ready_cart(&app, &[("apple", 1), ("sparkling-water", stock)]).await;
        // One water is sold elsewhere after it went into the cart.
        set_online_stock(&app, "sparkling-water", stock - 1).await;
        pay(&app, &id).await;
        let (status, refused, _) = complete_with_key(&app, &id, "attempt-1").await;
        assert_eq!(status, 400, "out of stock: {refused}");

        // The shopper takes fewer waters and pays the new total.
        let cart = expect(
            200,
            crate::store_carts::get(&app, &format!("/store/carts/{id}")).await,
        );
        let line = cart["cart"]["items"][1]["id"].as_str().unwrap();
        let path = format!("/store/carts/{id}/line-items/{line}");
        expect(200, post(&app, &path, json!({ "quantity": 1 })).await);
        pay(&app, &id).await;

        let (status, again, replayed) = complete_with_key(&app, &id, "attempt-1").await;
        assert_eq!(
            (status, &again),
            (400, &refused),
            "the key keeps its answer"
        );
        assert!(replayed);
        let (status, placed, replayed) = complete_with_key(&app, &id, "attempt-2").await;
        assert_eq!(status, 200, "{placed}");
        assert_eq!(placed["type"], "order");
        assert!(!replayed);
    })
    .await;
}

#[tokio::test]
async fn concurrent_repeats_of_one_key_get_one_order() {
    on_every_db(async |app| {
        let id = ready_cart(&app, &[("apple", 1)]).await;
        pay(&app, &id).await;
        let racers = (0..8).map(|_| complete_with_key(&app, &id, "racing"));
        let answers = futures::future::join_all(racers).await;
        let first = &answers[0].1;
        for (status, body, _) in &answers {
            assert_eq!(*status, 200, "{body}");
            assert_eq!(body, first, "every repeat gets the same answer");
        }
        assert_eq!(first["type"], "order");
    })
    .await;
}

#[tokio::test]
async fn an_empty_or_overlong_key_is_refused() {
    on_every_db(async |app| {
        let id = ready_cart(&app, &[("apple", 1)]).await;
        for key in [String::new(), "k".repeat(256)] {
            let (status, body, _) = complete_with_key(&app, &id, &key).await;
            assert_eq!(status, 400, "{body}");
            assert_eq!(body["type"], "invalid_data");
            assert_eq!(
                body["message"],
                "Idempotency-Key must have 1 to 255 characters"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_repeated_cart_creation_gets_the_same_cart() {
    on_every_db(async |app| {
        let create = |body: Value| {
            app.client
                .post(app.url("/store/carts"))
                .header("x-publishable-api-key", &app.publishable_key)
                .header("idempotency-key", "new-cart-1")
                .json(&body)
                .send()
        };
        let first = create(json!({ "email": "shopper@example.com" }))
            .await
            .unwrap();
        assert_eq!(first.status(), 200);
        let first: Value = first.json().await.unwrap();
        let again = create(json!({ "email": "shopper@example.com" }))
            .await
            .unwrap();
        assert_eq!(again.status(), 200);
        assert!(again.headers().contains_key("idempotent-replayed"));
        let again: Value = again.json().await.unwrap();
        assert_eq!(
            again["cart"]["id"], first["cart"]["id"],
            "one cart, not two"
        );

        let other = create(json!({ "email": "someone.else@example.com" }))
            .await
            .unwrap();
        assert_eq!(other.status(), 409);
        let other: Value = other.json().await.unwrap();
        assert_eq!(
            other["message"],
            "Idempotency-Key new-cart-1 was already used for another request; send a new key for this one"
        );
    })
    .await;
}

/// Keys belong to who sent them: the same key from another storefront or
/// another customer is another key. It neither replays the first answer
/// (someone else's order or cart) nor is refused with a hint of it.
#[tokio::test]
async fn a_key_is_its_senders_alone() {
    on_every_db(async |app| {
        let alice = ready_cart(&app, &[("apple", 1)]).await;
        let mallory = ready_cart(&app, &[("apple", 1)]).await;
        pay(&app, &alice).await;
        pay(&app, &mallory).await;
        let (status, first, _) = complete_with_key(&app, &alice, "k").await;
        assert_eq!(status, 200, "{first}");

        // Another storefront selling in the same channel, the same key.
        let channel = channel_named(&app, seed::ONLINE_STORE_CHANNEL).await;
        let other_storefront = key_for(&app, &[&channel]).await;
        let (status, body, replayed) = complete_as(&app, &other_storefront, &mallory, "k").await;
        assert_eq!(status, 200, "{body}");
        assert!(!replayed);
        assert_eq!(body["type"], "order");
        assert_ne!(body["order"]["id"], first["order"]["id"]);

        // Two customers (and a guest) of one storefront, one key, one body.
        let create = |token: Option<String>| {
            let mut request = app
                .client
                .post(app.url("/store/carts"))
                .header("x-publishable-api-key", &app.publishable_key)
                .header("idempotency-key", "new-cart")
                .json(&json!({}));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            crate::send_json(request)
        };
        let ada = signed_up(&app, "ada@example.com").await;
        let grace = signed_up(&app, "grace@example.com").await;
        let mut carts = Vec::new();
        for token in [Some(ada.clone()), Some(grace), None] {
            let (status, body) = create(token).await;
            assert_eq!(status, 200, "{body}");
            carts.push(body["cart"]["id"].as_str().unwrap().to_owned());
        }
        let distinct: std::collections::HashSet<&String> = carts.iter().collect();
        assert_eq!(distinct.len(), 3, "three carts: {carts:?}");
        let (status, again) = create(Some(ada)).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(
            again["cart"]["id"],
            carts[0].as_str(),
            "Ada's repeat is Ada's"
        );
    })
    .await;
}
