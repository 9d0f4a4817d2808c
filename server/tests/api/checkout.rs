//! The storefront's cart page, checkout and order confirmation.

use domain::shipping::shipping_option;
use reqwest::header::LOCATION;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::{TestApp, on_every_db};

async fn add(app: &TestApp, handle: &str, quantity: &str) -> Value {
    let product: Value = app
        .client
        .get(app.url(&format!("/store/products/{handle}")))
        .header("x-publishable-api-key", &app.publishable_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let variant = product["product"]["variants"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.client
        .post(app.url("/api/cart/add"))
        .form(&[("variant_id", variant.as_str()), ("quantity", quantity)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The shopper's cart (`app.client`'s), as the cart page loads it.
pub async fn cart(app: &TestApp) -> Value {
    app.client
        .post(app.url("/api/cart"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_shopper_edits_the_cart_and_places_an_order() {
    on_every_db(async |app| {
        add(&app, "sparkling-water", "2").await;
        add(&app, "apple", "1").await;
        let page = app.page("/cart").await.text().await.unwrap();
        assert_eq!(page.matches(r#"data-testid="cart-line""#).count(), 2);
        assert!(page.contains("€3.80"), "subtotal 2 × 1.50 + 0.80");

        let apple_line = cart(&app).await["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["title"] == "Apple")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let totals: Value = app
            .client
            .post(app.url("/api/cart/line"))
            .form(&[("line_id", apple_line.as_str()), ("quantity", "3")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(totals["subtotal"], 540);
        let removed: Value = app
            .client
            .post(app.url("/api/cart/line"))
            .form(&[("line_id", apple_line.as_str()), ("quantity", "0")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(removed["item_count"], 2);

        let pickup = shipping_option::Entity::find()
            .filter(shipping_option::Column::StockLocationId.is_not_null())
            .one(&app.db)
            .await
            .unwrap()
            .expect("a pickup option")
            .id;
        let bad_email = app
            .client
            .post(app.url("/api/checkout/delivery"))
            .form(&[("email", "not-an-email"), ("shipping_option_id", &pickup)])
            .send()
            .await
            .unwrap();
        assert_eq!(bad_email.status(), 400);
        assert!(
            bad_email
                .text()
                .await
                .unwrap()
                .contains("is not an email address")
        );

        let delivery = app
            .client
            .post(app.url("/api/checkout/delivery"))
            .form(&[
                ("email", "shopper@example.com"),
                ("shipping_option_id", &pickup),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(delivery.status(), 200);
        let placed = app
            .client
            .post(app.url("/api/checkout/place-order"))
            .form(&[("payment_provider", "pp_system_default")])
            .send()
            .await
            .unwrap();
        assert_eq!(placed.status(), 200);
        let location = placed.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(location.starts_with("/orders/order_"), "{location}");
        let confirmation = app.page(&location).await.text().await.unwrap();
        assert!(confirmation.contains("Thank you for your order"));
        assert!(confirmation.contains("€3.00"), "2 × 1.50");
        assert!(confirmation.contains("shopper@example.com"));
        assert_eq!(
            cart(&app).await["totals"]["item_count"],
            0,
            "a new cart starts after the order"
        );

        let stranger = reqwest::Client::new();
        let other = stranger
            .get(app.url(&location))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 404, "another visitor cannot see the order");

        let again = app
            .client
            .post(app.url("/api/checkout/place-order"))
            .form(&[("payment_provider", "pp_system_default")])
            .send()
            .await
            .unwrap();
        assert!(again.text().await.unwrap().contains("your cart is empty"));
    })
    .await;
}

#[tokio::test]
async fn the_empty_cart_and_checkout_pages_say_so() {
    on_every_db(async |app| {
        assert!(
            app.page("/cart")
                .await
                .text()
                .await
                .unwrap()
                .contains("Your cart is empty")
        );
        assert!(
            app.page("/checkout")
                .await
                .text()
                .await
                .unwrap()
                .contains("Your cart is empty")
        );
        let foreign = app
            .client
            .post(app.url("/api/cart/line"))
            .form(&[("line_id", "cali_x"), ("quantity", "1")])
            .send()
            .await
            .unwrap();
        assert!(!foreign.status().is_success());
    })
    .await;
}
