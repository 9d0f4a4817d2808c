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

#[tokio::test]
async fn an_admin_fulfils_ships_and_takes_a_return_in_the_dashboard() {
    on_every_db(async |app| {
        let order = place_order(&app, "parcel@example.com", 2).await;
        app.sign_in().await;
        let detail_path = format!("/admin/orders/{order}");
        let submit = async |path: &str, form: &[(&str, &str)]| {
            let answer = post_form(&app, &app.client, path, form).await;
            assert_eq!(
                answer.headers().get(LOCATION).map(|l| l.to_str().unwrap()),
                Some(detail_path.as_str()),
                "{path}: {}",
                answer.status()
            );
        };
        let (_, detail) = page(&app, &app.client, &detail_path).await;
        assert!(
            detail.contains(r#"action="/api/admin/orders/fulfil""#),
            "{detail}"
        );
        assert!(detail.contains("No returns."), "{detail}");
        assert!(
            !detail.contains("Record return"),
            "nothing sent, nothing to return"
        );
        submit("/api/admin/orders/fulfil", &[("id", order.as_str())]).await;

        let (_, detail) = page(&app, &app.client, &detail_path).await;
        assert!(detail.contains("Mark shipped"), "{detail}");
        assert!(
            !detail.contains("Cancel order"),
            "a sent order is returned, not canceled"
        );
        let fulfillment_id = detail
            .split(r#"name="fulfillment_id" value=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the fulfilment's id in the ship form")
            .to_owned();
        submit(
            "/api/admin/orders/ship",
            &[
                ("id", order.as_str()),
                ("fulfillment_id", fulfillment_id.as_str()),
                ("tracking_number", "TRK-42"),
                ("tracking_url", ""),
            ],
        )
        .await;
        let (_, detail) = page(&app, &app.client, &detail_path).await;
        assert!(
            detail.contains(r#"data-testid="tracking">TRK-42"#),
            "{detail}"
        );
        assert!(!detail.contains("Mark shipped"), "shipped once");
        submit(
            "/api/admin/orders/deliver",
            &[
                ("id", order.as_str()),
                ("fulfillment_id", fulfillment_id.as_str()),
            ],
        )
        .await;

        let (_, detail) = page(&app, &app.client, &detail_path).await;
        let item_id = detail
            .split(r#"name="item_id" value=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a return form per item")
            .to_owned();
        submit(
            "/api/admin/returns/record",
            &[
                ("order_id", order.as_str()),
                ("item_id", item_id.as_str()),
                ("quantity", "1"),
                ("reason_id", ""),
            ],
        )
        .await;
        let refused = post_form(
            &app,
            &app.client,
            "/api/admin/returns/record",
            &[
                ("order_id", order.as_str()),
                ("item_id", item_id.as_str()),
                ("quantity", "5"),
                ("reason_id", ""),
            ],
        )
        .await;
        assert_ne!(refused.status(), 200, "more than is left is refused");
        let (_, detail) = page(&app, &app.client, &detail_path).await;
        assert!(
            detail.contains(r#"data-testid="return-status">requested"#),
            "{detail}"
        );
        let (_, waiting) = page(&app, &app.client, "/admin/returns?status=requested").await;
        assert_eq!(
            waiting.matches(r#"data-testid="return-row""#).count(),
            1,
            "{waiting}"
        );
        assert!(waiting.contains(&format!(r#"href="/admin/orders/{order}""#)));
        let (_, none) = page(&app, &app.client, "/admin/returns?status=canceled").await;
        assert!(none.contains(r#"data-testid="returns-empty""#), "{none}");
        let (_, signed_out) = page(&app, &app.browser(), "/admin/returns").await;
        assert!(!signed_out.contains(r#"data-testid="return-row""#));
        let return_id = detail
            .split(r#"name="return_id" value=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the return's receive form")
            .to_owned();
        submit(
            "/api/admin/returns/receive",
            &[
                ("order_id", order.as_str()),
                ("return_id", return_id.as_str()),
            ],
        )
        .await;
        let (_, detail) = page(&app, &app.client, &detail_path).await;
        assert!(
            detail.contains(r#"data-testid="return-status">received"#),
            "{detail}"
        );
        assert!(
            detail.contains(r#"data-testid="payment-status">partially_refunded"#),
            "{detail}"
        );
        submit("/api/admin/orders/archive", &[("id", order.as_str())]).await;
        let (_, detail) = page(&app, &app.client, &detail_path).await;
        assert!(
            detail.contains(r#"data-testid="order-status">archived"#),
            "{detail}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_signed_in_shopper_follows_the_parcel_and_returns_an_item_from_the_order_page() {
    on_every_db(async |app| {
        let browser = app.browser();
        post_form(
            &app,
            &browser,
            "/api/account/register",
            &[
                ("email", "back@example.com"),
                ("password", "long enough"),
                ("first_name", "Ada"),
                ("last_name", "Back"),
            ],
        )
        .await;
        add_to_cart(&app, &browser, "sparkling-water", 2).await;
        let order = checkout(&app, &browser, "back@example.com").await;
        let order_path = format!("/orders/{order}");
        let (_, placed) = page(&app, &browser, &order_path).await;
        assert!(
            !placed.contains("Ask to return"),
            "nothing sent yet: {placed}"
        );

        let token = app.admin_token().await;
        let (status, fulfilled) = crate::admin_json(
            &app,
            &token,
            reqwest::Method::POST,
            &format!("/admin/orders/{order}/fulfillments"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{fulfilled}");
        let fulfillment = fulfilled["order"]["fulfillments"][0]["id"]
            .as_str()
            .unwrap();
        let (status, _) = crate::admin_json(
            &app,
            &token,
            reqwest::Method::POST,
            &format!("/admin/orders/{order}/fulfillments/{fulfillment}/shipments"),
            Some(serde_json::json!({ "labels": [{ "tracking_number": "PARCEL-7" }] })),
        )
        .await;
        assert_eq!(status, 200);

        let (_, sent) = page(&app, &browser, &order_path).await;
        assert!(sent.contains("Your order is on its way"), "{sent}");
        assert!(
            sent.contains(r#"data-testid="order-tracking">PARCEL-7"#),
            "{sent}"
        );
        let item_id = sent
            .split(r#"name="item_id" value=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a return form per item")
            .to_owned();
        let form = [
            ("order_id", order.as_str()),
            ("item_id", item_id.as_str()),
            ("quantity", "1"),
            ("reason_id", ""),
        ];
        // Another shopper cannot return it, signed in or not.
        let stranger = post_form(&app, &app.browser(), "/api/orders/return", &form).await;
        assert_ne!(stranger.status(), 200);
        assert!(
            stranger
                .headers()
                .get(LOCATION)
                .is_none_or(|l| l != order_path.as_str())
        );

        let asked = post_form(&app, &browser, "/api/orders/return", &form).await;
        assert_eq!(asked.headers()[LOCATION], order_path.as_str());
        let (_, after) = page(&app, &browser, &order_path).await;
        assert!(
            after.contains(r#"data-testid="shopper-return""#) && after.contains("asked for"),
            "{after}"
        );
        assert!(
            after.contains("up to 1"),
            "one unit left to return: {after}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_admin_opens_a_customer_with_their_groups_addresses_and_orders() {
    on_every_db(async |app| {
        let browser = app.browser();
        post_form(
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
        add_to_cart(&app, &browser, "sparkling-water", 2).await;
        let order = checkout(&app, &browser, "ada@example.com").await;
        place_order(&app, "someone-else@example.com", 1).await;
        let (customers, _) = domain::customers::list(&app.db, Some("ada@"), 0, 10)
            .await
            .unwrap();
        let ada = customers[0].id.clone();
        let regulars = domain::customers::create_group(&app.db, "Regulars")
            .await
            .unwrap();
        domain::customers::change_group_members(
            &app.db,
            &regulars.id,
            std::slice::from_ref(&ada),
            &[],
        )
        .await
        .unwrap();
        domain::customers::add_address(
            &app.db,
            &ada,
            domain::customers::AddressFields {
                address_1: Some("Main Street 1".into()),
                city: Some("Vienna".into()),
                country_code: Some("at".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();

        app.sign_in().await;
        let (_, list) = page(&app, &app.client, "/admin/customers").await;
        let link = format!(r#"href="/admin/customers/{ada}""#);
        assert!(list.contains(&link), "the list links each customer: {list}");
        let (status, detail) = page(&app, &app.client, &format!("/admin/customers/{ada}")).await;
        assert_eq!(status, 200, "{detail}");
        assert!(
            detail.contains(r#"data-testid="customer-name">Ada Lovelace"#),
            "{detail}"
        );
        assert!(
            detail.contains("ada@example.com") && detail.contains("registered"),
            "{detail}"
        );
        assert!(detail.contains("Regulars"), "{detail}");
        assert!(detail.contains("Main Street 1, Vienna, AT"), "{detail}");
        assert_eq!(
            detail.matches(r#"data-testid="customer-order""#).count(),
            1,
            "only her own order: {detail}"
        );
        assert!(
            detail.contains(&format!(r#"href="/admin/orders/{order}""#)),
            "{detail}"
        );

        // The Admin API still answers JSON on the same path.
        let token = app.admin_token().await;
        let (status, json) = crate::admin_json(
            &app,
            &token,
            reqwest::Method::GET,
            &format!("/admin/customers/{ada}"),
            None,
        )
        .await;
        assert_eq!(
            (status, json["customer"]["email"].as_str()),
            (200, Some("ada@example.com"))
        );
        let (status, _) = page(&app, &app.client, "/admin/customers/cus_missing").await;
        assert_eq!(status, 404);
    })
    .await;
}
