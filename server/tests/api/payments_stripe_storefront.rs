//! The shopper's side of Stripe in the Leptos storefront and the Store API:
//! the checkout's card payment (the server functions the page calls around
//! Stripe.js, whose part the test plays), and saved cards (listed, removed
//! only by their owner).

use std::time::Duration;

use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::{
    customers::{signed_up, store},
    eventually,
    payments_stripe::{
        STRIPE, Setup, confirm, on_every_db_with_stripe, order_of, save_card, shopper_with_card,
    },
    send_json,
    storefront_checkout::{PICKUP, choose, fill_cart, follow, order_id, submit, testid},
    vending_fixture::fridge,
};

/// The storefront's cart, read from the database (the shopper has one).
async fn cart_id(s: &Setup) -> String {
    use sea_orm::QueryOrder;
    domain::carts::cart::Entity::find()
        .order_by_desc(domain::carts::cart::Column::CreatedAt)
        .one(&s.app.db)
        .await
        .unwrap()
        .expect("a cart")
        .id
}

/// What the checkout page's script asks before Stripe.js confirms the card:
/// the client secret of a fresh PaymentIntent, and its id.
async fn start_card_payment(s: &Setup) -> (String, String) {
    let response = s
        .app
        .post_form(
            "/api/checkout/card-payment",
            &[("payment_provider", STRIPE)],
        )
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let secret = body["client_secret"].as_str().unwrap().to_owned();
    let intent = secret.split("_secret_").next().unwrap().to_owned();
    assert!(intent.starts_with("pi_"), "{secret}");
    (secret, intent)
}

/// "Place order" posted by the page (as a form, as without scripts); the
/// page it is sent back to.
async fn place(s: &Setup) -> String {
    submit(
        &s.app,
        "/checkout",
        "/api/checkout/place-order",
        &[("payment_provider", STRIPE)],
    )
    .await
}

/// The shopper's cart, ready to pay: two waters and an apple, picked up.
async fn ready(s: &Setup) -> String {
    fill_cart(&s.app).await;
    choose(&s.app, "card@example.com", PICKUP).await;
    cart_id(s).await
}

#[tokio::test]
async fn a_card_payment_in_the_checkout_places_the_order_once_stripe_authorised_it() {
    on_every_db_with_stripe(async |s| {
        let cart = ready(&s).await;
        let response = s.app.page("/checkout").await;
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let page = response.text().await.unwrap();
        // The card field loads the configured Stripe.js (here the
        // simulator's stand-in), which the page's policy lets run and frame.
        let origin = s.sim.api_base().trim_end_matches('/').to_owned();
        assert!(
            policy.contains(&format!("'wasm-unsafe-eval' {origin};")),
            "{policy}"
        );
        assert!(policy.contains(&format!("frame-src {origin}")), "{policy}");
        assert!(page.contains(r#"data-testid="card-field""#), "{page}");
        assert!(
            page.contains("Card payment needs JavaScript"),
            "said without scripts"
        );
        assert!(
            !page.contains("Test payment"),
            "the region takes Stripe only"
        );

        // Without scripts, no card was confirmed: the order is refused, and why.
        let back = place(&s).await;
        let shown = follow(&s.app, &back).await;
        assert!(
            testid(&shown, "place-order-error").is_some_and(|e| e.contains("needs JavaScript")),
            "{shown}"
        );

        // The page's script starts the payment, but a browser claiming it
        // paid before confirming the card places nothing: Stripe is asked.
        let (secret, intent) = start_card_payment(&s).await;
        assert!(!secret.is_empty());
        let back = place(&s).await;
        assert!(!back.starts_with("/orders/"), "{back}");
        assert!(order_of(&s, &cart).await.is_none());

        // Stripe.js confirms the card: the order is placed on the held payment.
        assert_eq!(
            confirm(&s, &intent, "pm_card_visa").await,
            Ok(stripe_core::PaymentIntentStatus::RequiresCapture)
        );
        let placed = place(&s).await;
        assert!(placed.starts_with("/orders/order_"), "{placed}");
        let order = order_of(&s, &cart).await.expect("an order");
        assert_eq!(order.order.id, order_id(&placed));
        let payment = domain::payments::payment::Entity::find()
            .filter(domain::payments::payment::Column::ProviderReference.eq(&intent))
            .one(&s.app.db)
            .await
            .unwrap()
            .expect("the order's payment is the confirmed intent");
        assert_eq!(payment.amount, 380, "€3.80 in cents");
    })
    .await;
}

#[tokio::test]
async fn a_declined_card_can_be_followed_by_another_and_3d_secure_must_be_finished() {
    on_every_db_with_stripe(async |s| {
        let cart = ready(&s).await;

        // Declined: Stripe.js shows Stripe's message; nothing is placed.
        let (_, declined) = start_card_payment(&s).await;
        let refusal = confirm(&s, &declined, "pm_card_visa_chargeDeclined")
            .await
            .unwrap_err();
        assert!(refusal.contains("Your card was declined."), "{refusal}");
        let back = place(&s).await;
        let shown = follow(&s.app, &back).await;
        assert!(
            testid(&shown, "place-order-error").is_some_and(|e| e.contains("declined")),
            "{shown}"
        );
        assert!(order_of(&s, &cart).await.is_none());

        // Another card that needs 3-D Secure: not placed until it is finished.
        let (_, challenged) = start_card_payment(&s).await;
        assert_ne!(challenged, declined, "a fresh intent for the next card");
        assert_eq!(
            confirm(&s, &challenged, "pm_card_threeDSecure2Required").await,
            Ok(stripe_core::PaymentIntentStatus::RequiresAction)
        );
        let back = place(&s).await;
        assert!(!back.starts_with("/orders/"), "{back}");
        assert!(order_of(&s, &cart).await.is_none());

        // The challenge passed (in Stripe.js's frame) and the page asks
        // before Stripe's webhook arrives: the page places the order; the
        // webhook, let through afterwards, finds it placed.
        s.sim.webhooks().hold();
        s.sim.authenticate(&challenged, true).unwrap();
        let placed = place(&s).await;
        assert!(placed.starts_with("/orders/order_"), "{placed}");
        assert_eq!(
            order_of(&s, &cart).await.unwrap().order.id,
            order_id(&placed)
        );
        s.sim.webhooks().release();
        eventually(
            Duration::from_secs(10),
            "the held webhook delivered",
            async || s.sim.webhooks().deliveries().iter().any(|d| d.succeeded()),
        )
        .await;
        assert_eq!(orders_of_cart(&s, &cart).await, 1);
    })
    .await;
}

#[tokio::test]
async fn after_3d_secure_the_page_shows_the_order_its_webhook_placed_first() {
    on_every_db_with_stripe(async |s| {
        let cart = ready(&s).await;
        let (_, intent) = start_card_payment(&s).await;
        assert_eq!(
            confirm(&s, &intent, "pm_card_threeDSecure2Required").await,
            Ok(stripe_core::PaymentIntentStatus::RequiresAction)
        );
        // Stripe's webhook wins the race with the page's "Place order".
        s.sim.authenticate(&intent, true).unwrap();
        eventually(
            Duration::from_secs(10),
            "the webhook places the order",
            async || order_of(&s, &cart).await.is_some(),
        )
        .await;
        let placed = place(&s).await;
        assert!(placed.starts_with("/orders/order_"), "{placed}");
        assert_eq!(
            order_of(&s, &cart).await.unwrap().order.id,
            order_id(&placed)
        );
        let shown = follow(&s.app, &placed).await;
        assert!(shown.contains("Thank you for your order"), "{shown}");
        assert_eq!(orders_of_cart(&s, &cart).await, 1);
    })
    .await;
}

async fn orders_of_cart(s: &Setup, cart: &str) -> usize {
    domain::orders::order::Entity::find()
        .filter(domain::orders::order::Column::CartId.eq(cart))
        .all(&s.app.db)
        .await
        .unwrap()
        .len()
}

/// The customer's saved cards through the Store API.
async fn list(s: &Setup, token: &str) -> Value {
    let (status, body) = send_json(store(
        &s.app,
        Method::GET,
        &format!("/store/customers/me/payment-methods/{STRIPE}"),
        Some(token),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn remove(s: &Setup, token: &str, card: &str) -> (u16, Value) {
    send_json(store(
        &s.app,
        Method::DELETE,
        &format!("/store/customers/me/payment-methods/{STRIPE}/{card}"),
        Some(token),
    ))
    .await
}

#[tokio::test]
async fn saved_cards_are_listed_and_removed_by_their_owner_only() {
    on_every_db_with_stripe(async |s| {
        let (owner, _) = shopper_with_card(&s, "owner@example.com", "pm_card_visa").await;
        let listed = list(&s, &owner).await;
        assert_eq!(listed["count"], 1, "{listed}");
        let card = &listed["payment_methods"][0];
        assert_eq!(card["provider_id"], STRIPE);
        assert_eq!(card["data"]["card"]["brand"], "visa");
        assert_eq!(card["data"]["card"]["last4"], "4242");
        assert!(card["data"]["card"]["exp_year"].as_i64().unwrap() > 2025);
        let card_id = card["id"].as_str().unwrap().to_owned();
        assert!(card_id.starts_with("pm_"), "{card}");

        // Another customer sees none of it and cannot remove it.
        let other = signed_up(&s.app, "other@example.com").await;
        assert_eq!(list(&s, &other).await["count"], 0);
        let (status, body) = remove(&s, &other, &card_id).await;
        assert_eq!(status, 404, "{body}");
        // Nor can one who has cards of their own at Stripe.
        let (others_token, _) =
            shopper_with_card(&s, "other-with-card@example.com", "pm_card_mastercard").await;
        let (status, body) = remove(&s, &others_token, &card_id).await;
        assert_eq!(status, 404, "{body}");
        assert!(
            s.sim
                .requests()
                .iter()
                .all(|r| !r.path.ends_with("/detach")),
            "Stripe was never asked to detach another's card"
        );
        assert_eq!(list(&s, &owner).await["count"], 1, "still saved");

        // Ids that are no card, or could lead elsewhere, are not found either.
        for hostile in ["pm_doesnotexist", "pm_1%2F..%2Fcustomers", "x%3Fy"] {
            let (status, body) = remove(&s, &owner, hostile).await;
            assert_eq!(status, 404, "{hostile}: {body}");
        }
        // Signed out, nothing at all.
        let (status, _) = send_json(store(
            &s.app,
            Method::GET,
            &format!("/store/customers/me/payment-methods/{STRIPE}"),
            None,
        ))
        .await;
        assert_eq!(status, 401);

        // The owner removes it: Stripe detaches it, and it is gone.
        let (status, body) = remove(&s, &owner, &card_id).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["deleted"], true);
        assert_eq!(body["id"], card_id.as_str());
        assert_eq!(list(&s, &owner).await["count"], 0);
        assert_eq!(
            s.sim.object(&card_id).unwrap()["customer"],
            Value::Null,
            "detached at Stripe"
        );
    })
    .await;
}

/// The Stripe requests that created PaymentIntents (holds among them).
fn intents_created(s: &Setup) -> Vec<simulators::RecordedRequest> {
    s.sim
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/payment_intents")
        .collect()
}

#[tokio::test]
async fn a_shopper_chooses_which_saved_card_holds_the_machine() {
    on_every_db_with_stripe(async |s| {
        let email = "two-cards@example.com";
        let (token, _) = shopper_with_card(&s, email, "pm_card_visa").await;
        save_card(&s, &token, "pm_card_mastercard").await;
        let listed = list(&s, &token).await;
        assert_eq!(listed["count"], 2, "{listed}");
        let card = |i: usize| {
            listed["payment_methods"][i]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let (newest, older) = (card(0), card(1));
        let (others, _) = shopper_with_card(&s, "someone-else@example.com", "pm_card_visa").await;
        let others_card = list(&s, &others).await["payment_methods"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();

        // Through the Store API: another's card, or an id that is no card,
        // is refused before anything is held, and the machine stays shut.
        let at_api = fridge(&s.app).await;
        let open = |card: Value| {
            let path = format!("/store/vending/machines/{}/sessions", at_api.id.as_str());
            let request = store(&s.app, Method::POST, &path, Some(&token)).json(&card);
            send_json(request)
        };
        for card in [
            serde_json::json!({ "card_id": others_card }),
            serde_json::json!({ "card_id": "pm_1/../../customers" }),
            serde_json::json!({ "card_id": "" }),
        ] {
            let (status, body) = open(card.clone()).await;
            assert_eq!(status, 400, "{card}: {body}");
            assert!(
                body["message"]
                    .as_str()
                    .unwrap()
                    .contains("not one of your saved cards"),
                "{card}: {body}"
            );
        }
        let (status, body) = open(serde_json::json!({ "card": older })).await;
        assert_eq!(status, 400, "an unknown field: {body}");
        assert!(intents_created(&s).is_empty(), "nothing was held");
        assert!(
            domain::vending::sessions::active_session(&s.app.db, at_api.id.as_str())
                .await
                .unwrap()
                .is_none(),
            "the machine stays shut"
        );
        let (status, body) = open(serde_json::json!({ "card_id": older })).await;
        assert_eq!(status, 200, "{body}");
        let holds = intents_created(&s);
        assert_eq!(holds.len(), 1);
        assert_eq!(
            holds[0].params["payment_method"],
            older.as_str(),
            "the card chosen"
        );

        // On the machine page (no JavaScript): the cards to choose from, the
        // newest chosen; the form holds the one picked.
        let at_page = fridge(&s.app).await;
        let machine = at_page.id.as_str();
        let signed_in = s
            .app
            .post_form(
                "/api/account/login",
                &[("email", email), ("password", crate::customers::PASSWORD)],
            )
            .await;
        assert_eq!(signed_in.headers()[reqwest::header::LOCATION], "/account");
        let page = s
            .app
            .page(&format!("/machines/{machine}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(r#"data-testid="hold-card-choice""#), "{page}");
        assert_eq!(page.matches(r#"name="card_id""#).count(), 2, "{page}");
        assert!(
            page.contains("Visa •••• 4242") && page.contains("Mastercard •••• 4444"),
            "{page}"
        );
        let newest_radio = page
            .split("<input")
            .find(|input| input.contains(&format!(r#"value="{newest}""#)))
            .expect("the newest card's radio");
        assert!(
            newest_radio.contains("checked"),
            "the newest is chosen: {newest_radio}"
        );
        let opened = s
            .app
            .post_form(
                "/api/machines/open",
                &[("machine_id", machine), ("card_id", &older)],
            )
            .await;
        let to = opened.headers()[reqwest::header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            to.starts_with(&format!("/machines/{machine}/sessions/")),
            "{to}"
        );
        let holds = intents_created(&s);
        assert_eq!(holds.len(), 2);
        assert_eq!(
            holds[1].params["payment_method"],
            older.as_str(),
            "the card picked on the page"
        );
    })
    .await;
}
