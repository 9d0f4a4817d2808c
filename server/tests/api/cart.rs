use reqwest::header::LOCATION;
use serde_json::Value;

use crate::{TestApp, on_every_db};

async fn variant_id(app: &TestApp, handle: &str) -> String {
    let body: Value = app
        .client
        .get(app.url(&format!("/store/products/{handle}")))
        .header("x-publishable-api-key", &app.publishable_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["product"]["variants"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn add(app: &TestApp, variant: &str, quantity: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/cart/add"))
        .form(&[("variant_id", variant), ("quantity", quantity)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_cart_follows_the_shopper_session() {
    on_every_db(async |app| {
        let water = variant_id(&app, "sparkling-water").await;
        let first: Value = add(&app, &water, "1").await.json().await.unwrap();
        assert_eq!(first["item_count"], 1);
        assert_eq!(first["subtotal"], 150);
        let second: Value = add(&app, &water, "2").await.json().await.unwrap();
        assert_eq!(second["item_count"], 3);
        assert_eq!(second["subtotal"], 450);
        assert_eq!(second["currency"], "eur");
        let summary: Value = app
            .client
            .post(app.url("/api/cart/summary"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(summary["item_count"], 3);
        let html = app.page("/").await.text().await.unwrap();
        assert!(
            html.contains(r#"data-testid="cart-count" class="cart-count">3<"#),
            "the header shows 3 items"
        );
    })
    .await;
}

#[tokio::test]
async fn a_plain_form_post_redirects_back() {
    on_every_db(async |app| {
        let water = variant_id(&app, "sparkling-water").await;
        let referer = app.url("/products/sparkling-water");
        let response = app
            .client
            .post(app.url("/api/cart/add"))
            .header("accept", "text/html")
            .header("referer", &referer)
            .form(&[("variant_id", water.as_str()), ("quantity", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302);
        let location = response.headers()[LOCATION].to_str().unwrap();
        assert!(
            location.starts_with(&referer),
            "back to {referer}, not {location}"
        );
        let html = app
            .page("/products/sparkling-water")
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains(r#"data-testid="cart-count" class="cart-count">1<"#));
    })
    .await;
}

#[tokio::test]
async fn bad_additions_are_refused_with_a_reason() {
    on_every_db(async |app| {
        let water = variant_id(&app, "sparkling-water").await;
        for (variant, quantity, status, message) in [
            (
                water.as_str(),
                "0",
                400,
                "quantity must be between 1 and 999",
            ),
            (
                water.as_str(),
                "-3",
                400,
                "quantity must be between 1 and 999",
            ),
            ("variant_missing", "1", 404, "variant_missing"),
        ] {
            let response = add(&app, variant, quantity).await;
            assert_eq!(response.status(), status, "{variant} × {quantity}");
            assert!(response.text().await.unwrap().contains(message));
        }
        let not_a_number = add(&app, &water, "lots").await;
        assert!(not_a_number.status().is_client_error() || not_a_number.status().is_server_error());
        let summary: Value = app
            .client
            .post(app.url("/api/cart/summary"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(summary["item_count"], 0, "nothing was added");
    })
    .await;
}
