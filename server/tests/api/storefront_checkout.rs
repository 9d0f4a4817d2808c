//! The storefront checkout, posted as a browser without JavaScript would:
//! each form redirects back to its page, which shows what went wrong.

use domain::{orders, seed, shipping::shipping_option};
use reqwest::header::LOCATION;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::{TestApp, on_every_db};

pub(crate) const PICKUP: &str = "Pick up at Vending machine 1";

/// A form posted from `page` by a browser without JavaScript; the page it is sent back to.
pub(crate) async fn submit(
    app: &TestApp,
    page: &str,
    action: &str,
    form: &[(&str, &str)],
) -> String {
    let response = app
        .client
        .post(app.url(action))
        .header("accept", "text/html")
        .header("referer", app.url(page))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302, "{action}");
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// The HTML at a redirect's location.
pub(crate) async fn follow(app: &TestApp, location: &str) -> String {
    let url = if location.starts_with("http") {
        location.to_owned()
    } else {
        app.url(location)
    };
    let response = app
        .client
        .get(url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{location}");
    response.text().await.unwrap()
}

pub(crate) async fn html(app: &TestApp, path: &str) -> String {
    follow(app, path).await
}

async fn add(app: &TestApp, handle: &str, quantity: &str) -> reqwest::Response {
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
    let variant = product["product"]["variants"][0]["id"].as_str().unwrap();
    app.post_form(
        "/api/cart/add",
        &[("variant_id", variant), ("quantity", quantity)],
    )
    .await
}

/// Two waters and an apple: €3.80.
pub(crate) async fn fill_cart(app: &TestApp) {
    assert_eq!(add(app, "sparkling-water", "2").await.status(), 200);
    assert_eq!(add(app, "apple", "1").await.status(), 200);
}

async fn option_id(app: &TestApp, name: &str) -> String {
    shipping_option::Entity::find()
        .filter(shipping_option::Column::Name.eq(name))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("a shipping option {name}"))
        .id
}

pub(crate) async fn choose(app: &TestApp, email: &str, option: &str) -> String {
    let option = option_id(app, option).await;
    submit(
        app,
        "/checkout",
        "/api/checkout/delivery",
        &[("email", email), ("shipping_option_id", &option)],
    )
    .await
}

/// Places the order with the built-in provider; the confirmation's address.
async fn place(app: &TestApp) -> String {
    let location = submit(
        app,
        "/checkout",
        "/api/checkout/place-order",
        &[("payment_provider", "pp_system_default")],
    )
    .await;
    assert!(location.starts_with("/orders/order_"), "{location}");
    location
}

pub(crate) fn order_id(location: &str) -> &str {
    location.trim_start_matches("/orders/")
}

/// The text of the element with `data-testid="<testid>"`.
pub(crate) fn testid<'a>(html: &'a str, testid: &str) -> Option<&'a str> {
    let start = html.find(&format!(r#"data-testid="{testid}""#))?;
    let text = &html[start..];
    let open = text.find('>')? + 1;
    let close = text[open..].find('<')?;
    Some(&text[open..open + close])
}

#[tokio::test]
async fn a_shopper_picks_up_at_a_machine_and_sees_the_totals() {
    on_every_db(async |app| {
        fill_cart(&app).await;
        let page = html(&app, "/checkout").await;
        assert_eq!(
            page.matches(r#"data-testid="shipping-option""#).count(),
            seed::DEMO_MACHINES + 1,
            "a pickup per machine and the delivery"
        );
        for name in [PICKUP, "Pick up at Vending machine 3", "Standard delivery"] {
            assert!(page.contains(name), "{name} is offered");
        }
        assert!(page.contains("€4.90"), "the delivery's price");
        assert!(page.contains("Test payment"), "the system provider");
        assert_eq!(testid(&page, "checkout-subtotal"), Some("€3.80"));
        assert_eq!(
            testid(&page, "checkout-shipping"),
            Some("Chosen at checkout")
        );

        let back = choose(&app, "shopper@example.com", PICKUP).await;
        let page = follow(&app, &back).await;
        assert!(
            !page.contains(r#"name="address_1""#),
            "a pickup needs no address"
        );
        assert!(page.contains(r#"value="shopper@example.com""#));
        assert_eq!(testid(&page, "checkout-shipping-method"), Some(PICKUP));
        assert_eq!(testid(&page, "checkout-shipping"), Some("Free"));
        // 20 % included: 3.80 − 3.80 / 1.2 = 0.63.
        assert_eq!(testid(&page, "checkout-tax"), Some("€0.63"));
        assert_eq!(testid(&page, "checkout-total"), Some("€3.80"));

        let confirmation = place(&app).await;
        let page = follow(&app, &confirmation).await;
        assert!(page.contains("Thank you for your order"));
        assert_eq!(testid(&page, "order-shipping-method"), Some(PICKUP));
        assert!(
            !page.contains("order-shipping-address"),
            "no address for a pickup"
        );
        assert_eq!(testid(&page, "order-subtotal"), Some("€3.80"));
        assert_eq!(testid(&page, "order-discount"), Some("€0.00"));
        assert_eq!(testid(&page, "order-shipping"), Some("Free"));
        assert_eq!(testid(&page, "order-tax"), Some("€0.63"));
        assert_eq!(testid(&page, "order-total"), Some("€3.80"));

        let order = orders::find(&app.db, order_id(&confirmation))
            .await
            .unwrap()
            .order;
        assert_eq!(order.shipping_method_name.as_deref(), Some(PICKUP));
        assert_eq!(
            order.shipping_option_id,
            Some(option_id(&app, PICKUP).await)
        );
        assert_eq!(
            (order.total, order.tax_total, order.shipping_total),
            (380, 63, 0)
        );
        assert_eq!(order.email.as_deref(), Some("shopper@example.com"));
        assert!(order.shipping_address.is_none());
    })
    .await;
}

#[tokio::test]
async fn a_delivery_needs_a_complete_address() {
    on_every_db(async |app| {
        fill_cart(&app).await;
        let back = choose(&app, "shopper@example.com", seed::STANDARD_DELIVERY.0).await;
        let page = follow(&app, &back).await;
        assert!(
            page.contains(r#"name="address_1""#),
            "a delivery asks for the address"
        );
        assert_eq!(testid(&page, "checkout-shipping"), Some("€4.90"));
        assert_eq!(testid(&page, "checkout-total"), Some("€8.70"));

        let refused = app
            .post_form(
                "/api/checkout/place-order",
                &[("payment_provider", "pp_system_default")],
            )
            .await;
        assert_eq!(refused.status(), 400);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("complete the shipping address first")
        );

        let incomplete = [
            ("first_name", "Ada"),
            ("last_name", ""),
            ("address_1", "Ring 1"),
            ("city", " "),
            ("postal_code", "1010"),
            ("country_code", "us"),
        ];
        let back = submit(&app, "/checkout", "/api/checkout/address", &incomplete).await;
        let page = follow(&app, &back).await;
        assert_eq!(
            testid(&page, "address-error"),
            Some("Check the shipping address")
        );
        assert_eq!(testid(&page, "error-last_name"), Some("Enter a last name"));
        assert_eq!(testid(&page, "error-city"), Some("Enter a city"));
        assert_eq!(
            testid(&page, "error-country_code"),
            Some("We do not deliver to US")
        );
        assert_eq!(testid(&page, "error-first_name"), None);
        assert!(
            page.contains(r#"value="Ada""#),
            "what was typed is shown again"
        );
        let json = app.post_form("/api/checkout/address", &incomplete).await;
        assert_eq!(json.status(), 400);

        let complete = [
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("address_1", "Ring 1"),
            ("city", "Vienna"),
            ("postal_code", "1010"),
            ("country_code", "AT"),
        ];
        let back = submit(&app, "/checkout", "/api/checkout/address", &complete).await;
        let page = follow(&app, &back).await;
        assert!(
            !page.contains("field-error") && !page.contains("address-error"),
            "{page}"
        );
        assert!(page.contains(r#"<option value="at" selected"#), "{page}");

        let confirmation = place(&app).await;
        let page = follow(&app, &confirmation).await;
        assert_eq!(
            testid(&page, "order-shipping-method"),
            Some(seed::STANDARD_DELIVERY.0)
        );
        for line in ["Ada Lovelace", "Ring 1", "1010 Vienna", "AT"] {
            assert!(
                page.contains(&format!(r#"<span class="line">{line}</span>"#)),
                "{line}"
            );
        }
        assert_eq!(testid(&page, "order-shipping"), Some("€4.90"));
        assert_eq!(testid(&page, "order-total"), Some("€8.70"));
        let order = orders::find(&app.db, order_id(&confirmation))
            .await
            .unwrap()
            .order;
        assert_eq!((order.shipping_total, order.total), (490, 870));
        let address: domain::carts::Address =
            serde_json::from_str(order.shipping_address.as_deref().unwrap()).unwrap();
        assert_eq!(address.city.as_deref(), Some("Vienna"));
        assert_eq!(address.country_code.as_deref(), Some("at"));
    })
    .await;
}

#[tokio::test]
async fn the_checkout_asks_for_an_email_and_a_shipping_choice() {
    on_every_db(async |app| {
        fill_cart(&app).await;
        let none_chosen = submit(
            &app,
            "/checkout",
            "/api/checkout/delivery",
            &[("email", "shopper@example.com")],
        )
        .await;
        let page = follow(&app, &none_chosen).await;
        assert_eq!(
            testid(&page, "delivery-error"),
            Some("choose how you get your order")
        );

        let pickup = option_id(&app, PICKUP).await;
        let bad_email = app
            .post_form(
                "/api/checkout/delivery",
                &[("email", "not-an-email"), ("shipping_option_id", &pickup)],
            )
            .await;
        assert_eq!(bad_email.status(), 400);
        assert!(
            bad_email
                .text()
                .await
                .unwrap()
                .contains("is not an email address")
        );
        let refused = app
            .post_form(
                "/api/checkout/place-order",
                &[("payment_provider", "pp_system_default")],
            )
            .await;
        assert_eq!(refused.status(), 400);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("enter your email first")
        );
    })
    .await;
}

#[tokio::test]
async fn a_signed_in_customers_email_is_prefilled() {
    on_every_db(async |app| {
        let registered = app
            .post_form(
                "/api/account/register",
                &[
                    ("email", "ada@example.com"),
                    ("password", "long enough"),
                    ("first_name", "Ada"),
                    ("last_name", "Lovelace"),
                ],
            )
            .await;
        assert_eq!(registered.status(), 200);
        fill_cart(&app).await;
        let page = html(&app, "/checkout").await;
        assert!(page.contains(r#"value="ada@example.com""#), "{page}");
    })
    .await;
}

#[tokio::test]
async fn promotion_codes_are_applied_and_removed() {
    on_every_db(async |app| {
        fill_cart(&app).await;
        let unknown = app
            .post_form("/api/cart/promo/apply", &[("code", "nope")])
            .await;
        assert_eq!(unknown.status(), 400);
        assert!(
            unknown
                .text()
                .await
                .unwrap()
                .contains("the promotion code NOPE is invalid")
        );
        let back = submit(&app, "/cart", "/api/cart/promo/apply", &[("code", "nope")]).await;
        let page = follow(&app, &back).await;
        assert_eq!(
            testid(&page, "promo-error"),
            Some("the promotion code NOPE is invalid")
        );
        assert_eq!(testid(&page, "cart-discount"), Some("€0.00"));

        let back = submit(
            &app,
            "/cart",
            "/api/cart/promo/apply",
            &[("code", "welcome10")],
        )
        .await;
        let page = follow(&app, &back).await;
        assert!(!page.contains("promo-error"), "the earlier error is gone");
        assert!(page.contains("<code>WELCOME10</code>"));
        assert_eq!(testid(&page, "cart-subtotal"), Some("€3.80"));
        assert_eq!(testid(&page, "cart-discount"), Some("-€0.38"));
        assert_eq!(testid(&page, "cart-total"), Some("€3.42"));
        let checkout = html(&app, "/checkout").await;
        assert_eq!(testid(&checkout, "checkout-discount"), Some("-€0.38"));

        let back = submit(
            &app,
            "/checkout",
            "/api/cart/promo/remove",
            &[("code", "WELCOME10")],
        )
        .await;
        let page = follow(&app, &back).await;
        assert!(!page.contains("<code>WELCOME10</code>"));
        assert_eq!(testid(&page, "checkout-discount"), Some("€0.00"));
        assert_eq!(testid(&page, "checkout-total"), Some("€3.80"));

        submit(
            &app,
            "/checkout",
            "/api/cart/promo/apply",
            &[("code", "WELCOME10")],
        )
        .await;
        choose(&app, "shopper@example.com", PICKUP).await;
        let confirmation = place(&app).await;
        let page = follow(&app, &confirmation).await;
        assert_eq!(testid(&page, "order-discount"), Some("-€0.38"));
        assert_eq!(testid(&page, "order-total"), Some("€3.42"));
        let order = orders::find(&app.db, order_id(&confirmation))
            .await
            .unwrap()
            .order;
        assert_eq!((order.discount_total, order.total), (38, 342));
        assert_eq!(order.promo_codes.as_deref(), Some(seed::DEMO_PROMO_CODE));
    })
    .await;
}

#[tokio::test]
async fn more_than_the_stock_is_refused_with_a_message() {
    on_every_db(async |app| {
        let stock = seed::WAREHOUSE_STOCK;
        let too_many = add(&app, "sparkling-water", &(stock + 1).to_string()).await;
        assert_eq!(too_many.status(), 400);
        let expected = format!(
            "only {stock} of Sparkling Water 0.5 l in stock; your cart would hold {}",
            stock + 1
        );
        assert!(too_many.text().await.unwrap().contains(&expected));

        let product: Value = app
            .client
            .get(app.url("/store/products/sparkling-water"))
            .header("x-publishable-api-key", &app.publishable_key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let variant = product["product"]["variants"][0]["id"].as_str().unwrap();
        let quantity = (stock + 1).to_string();
        let back = submit(
            &app,
            "/products/sparkling-water",
            "/api/cart/add",
            &[("variant_id", variant), ("quantity", &quantity)],
        )
        .await;
        let page = follow(&app, &back).await;
        assert_eq!(testid(&page, "cart-error"), Some(expected.as_str()));
        assert!(page.contains(r#"data-testid="cart-count" class="cart-count">0<"#));
    })
    .await;
}
