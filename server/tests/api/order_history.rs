//! Orders in the pages: the shopper's order history and the admin's order
//! and customer pages, rendered on the server and posted as plain forms.

use reqwest::header::LOCATION;

use crate::{
    TestApp,
    admin_orders::{add_to_cart, checkout, place_order},
    on_every_db,
};

async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let response = client
        .get(app.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client.post(app.url(path)).form(form).send().await.unwrap()
}

#[tokio::test]
async fn a_signed_in_shopper_finds_their_orders_from_any_browser() {
    on_every_db(async |app| {
        let browser = app.browser();
        let registered = post_form(
            &app,
            &browser,
            "/api/account/register",
            &[
                ("email", "ada@example.com"),
                ("password", "long enough"),
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
            ],
        )
        .await;
        assert_eq!(registered.headers()[LOCATION], "/account");
        let (_, account) = page(&app, &browser, "/account").await;
        assert!(account.contains(r#"data-testid="no-orders""#), "{account}");

        add_to_cart(&app, &browser, "sparkling-water", 2).await;
        let order = checkout(&app, &browser, "ada@example.com").await;
        place_order(&app, "someone-else@example.com", 1).await;
        let (_, account) = page(&app, &browser, "/account").await;
        assert_eq!(
            account.matches(r#"data-testid="account-order""#).count(),
            1,
            "{account}"
        );
        assert!(account.contains(&format!(r#"href="/orders/{order}""#)));
        assert!(
            account.contains("2 items") && account.contains("€3.00"),
            "{account}"
        );

        // Another browser, signed in as the same customer, may open the order.
        let laptop = app.browser();
        let signed_in = post_form(
            &app,
            &laptop,
            "/api/account/login",
            &[("email", "ada@example.com"), ("password", "long enough")],
        )
        .await;
        assert_eq!(signed_in.headers()[LOCATION], "/account");
        let (status, confirmation) = page(&app, &laptop, &format!("/orders/{order}")).await;
        assert_eq!(status, 200);
        assert!(confirmation.contains("Thank you for your order"));
        // A stranger may not.
        let (status, _) = page(&app, &app.browser(), &format!("/orders/{order}")).await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn an_admin_lists_filters_and_cancels_orders_in_the_dashboard() {
    on_every_db(async |app| {
        let (_, signed_out) = page(&app, &app.browser(), "/admin/orders").await;
        assert!(!signed_out.contains(r#"data-testid="order-row""#));
        let order = place_order(&app, "buyer@example.com", 1).await;
        app.sign_in().await;

        let (status, list) = page(&app, &app.client, "/admin/orders").await;
        assert_eq!(status, 200);
        assert_eq!(
            list.matches(r#"data-testid="order-row""#).count(),
            1,
            "{list}"
        );
        assert!(list.contains("buyer@example.com") && list.contains(&order));
        let (_, none) = page(&app, &app.client, "/admin/orders?status=canceled").await;
        assert!(
            none.contains(r#"data-testid="orders-empty""#) && none.contains("No canceled orders")
        );

        let (_, detail) = page(&app, &app.client, &format!("/admin/orders/{order}")).await;
        assert!(
            detail.contains("Cancel order")
                && detail.contains(r#"action="/api/admin/orders/cancel""#),
            "{detail}"
        );
        let canceled = post_form(
            &app,
            &app.client,
            "/api/admin/orders/cancel",
            &[("id", order.as_str())],
        )
        .await;
        assert_eq!(
            canceled.headers()[LOCATION],
            format!("/admin/orders/{order}").as_str()
        );
        let (_, detail) = page(&app, &app.client, &format!("/admin/orders/{order}")).await;
        assert!(
            detail.contains(r#"data-testid="order-status">canceled"#),
            "{detail}"
        );
        assert!(!detail.contains("Cancel order"), "no second cancel button");
        let (_, list) = page(&app, &app.client, "/admin/orders?status=canceled").await;
        assert_eq!(list.matches(r#"data-testid="order-row""#).count(), 1);

        let (status, _) = page(&app, &app.client, "/admin/orders/order_missing").await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn an_admin_searches_customers_in_the_dashboard() {
    on_every_db(async |app| {
        for (email, first_name) in [("ada@example.com", "Ada"), ("grace@example.com", "Grace")] {
            post_form(
                &app,
                &app.browser(),
                "/api/account/register",
                &[
                    ("email", email),
                    ("password", "long enough"),
                    ("first_name", first_name),
                    ("last_name", ""),
                ],
            )
            .await;
        }
        app.sign_in().await;
        let (_, all) = page(&app, &app.client, "/admin/customers").await;
        assert_eq!(
            all.matches(r#"data-testid="customer-row""#).count(),
            2,
            "{all}"
        );
        let (_, found) = page(&app, &app.client, "/admin/customers?q=grace").await;
        assert_eq!(found.matches(r#"data-testid="customer-row""#).count(), 1);
        assert!(found.contains("grace@example.com"));
        let (_, none) = page(&app, &app.client, "/admin/customers?q=nobody").await;
        assert!(none.contains("No customer matches"));
    })
    .await;
}
