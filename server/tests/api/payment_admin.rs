//! The admin's side of payments: an order's page with each payment's
//! history and its Capture and Refund forms (posted as a browser without
//! JavaScript would), and `GET /admin/payments` with its filters and page.

use domain::{orders, payments};
use reqwest::{Method, header::LOCATION};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::{ADMIN_EMAIL, admin_orders::place_order, on_every_db, send_json};

async fn payment_of_order(app: &crate::TestApp, order_id: &str) -> payments::payment::Model {
    let order = orders::find(&app.db, order_id).await.unwrap();
    payments::payment::Entity::find()
        .filter(
            payments::payment::Column::PaymentCollectionId
                .eq(order.order.payment_collection_id.unwrap()),
        )
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn an_admin_captures_and_refunds_from_the_order_page_and_errors_are_plain() {
    on_every_db(async |app| {
        let order_id = place_order(&app, "pay@example.com", 2).await;
        let payment = payment_of_order(&app, &order_id).await;
        let page = format!("/admin/orders/{order_id}");
        app.sign_in().await;
        let html = app.page(&page).await.text().await.unwrap();
        assert!(html.contains(&payment.id), "{html}");
        assert!(html.contains(r#"data-kind="authorization""#), "{html}");
        assert!(
            html.contains(r#"action="/api/admin/payments/capture""#)
                && html.contains("Capture €3.00"),
            "a Capture button for all that is left: {html}"
        );
        assert!(
            !html.contains(r#"action="/api/admin/payments/refund""#),
            "nothing captured, nothing to refund"
        );

        // Refunding before capturing is refused, saying why.
        let early = app
            .post_form(
                "/api/admin/payments/refund",
                &[("payment_id", &payment.id), ("amount", ""), ("note", "")],
            )
            .await;
        assert_eq!(early.status(), 400);
        assert!(
            early
                .text()
                .await
                .unwrap()
                .contains("nothing captured to refund"),
        );

        let captured = app
            .post_form(
                "/api/admin/payments/capture",
                &[("payment_id", &payment.id)],
            )
            .await;
        assert_eq!(captured.headers()[LOCATION], page.as_str());
        let again = app
            .post_form(
                "/api/admin/payments/capture",
                &[("payment_id", &payment.id)],
            )
            .await;
        assert_eq!(again.status(), 409, "captured in full already");

        let refund = async |amount: &str, note: &str| {
            app.post_form(
                "/api/admin/payments/refund",
                &[
                    ("payment_id", &payment.id),
                    ("amount", amount),
                    ("note", note),
                ],
            )
            .await
        };
        let over = refund("5.00", "").await;
        assert_eq!(over.status(), 400);
        let message = over.text().await.unwrap();
        assert!(
            message.contains(
                "can refund between 1 and 300 minor units (3.00 EUR), not 500 (5.00 EUR)"
            ),
            "{message}"
        );
        let unreadable = refund("three", "").await;
        assert_eq!(unreadable.status(), 400);
        assert!(
            unreadable
                .text()
                .await
                .unwrap()
                .contains("is not an amount of EUR")
        );
        let finer = refund("1.005", "").await;
        assert_eq!(finer.status(), 400);

        let partial = refund("1.00", "dented can").await;
        assert_eq!(partial.headers()[LOCATION], page.as_str());
        let rest = refund("", "").await;
        assert_eq!(rest.headers()[LOCATION], page.as_str());
        let done = payments::find_payment(&app.db, &payment.id).await.unwrap();
        assert_eq!((done.captured_amount, done.refunded_amount), (300, 300));

        let html = app.page(&page).await.text().await.unwrap();
        assert!(
            html.contains(r#"data-kind="capture" data-status="done""#),
            "{html}"
        );
        assert!(
            html.contains("dented can") && html.contains(ADMIN_EMAIL),
            "{html}"
        );
        assert_eq!(html.matches(r#"data-kind="refund""#).count(), 2, "{html}");
        assert!(html.contains(">refunded<"), "{html}");
        assert!(
            !html.contains(r#"action="/api/admin/payments/refund""#),
            "refunded in full: no more Refund form"
        );

        // Signed out, nothing moves.
        let stranger = app.browser();
        let refused = stranger
            .post(app.url("/api/admin/payments/capture"))
            .form(&[("payment_id", payment.id.as_str())])
            .send()
            .await
            .unwrap();
        assert_ne!(refused.status(), 200);
        assert!(refused.headers().get(LOCATION).is_none());
    })
    .await;
}

#[tokio::test]
async fn admins_list_payments_by_status_with_their_captures_and_refunds() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let first = place_order(&app, "one@example.com", 1).await;
        let second = place_order(&app, "two@example.com", 2).await;
        let first = payment_of_order(&app, &first).await.id;
        let second = payment_of_order(&app, &second).await.id;
        let post = async |path: String, body: Value| {
            send_json(app.admin(Method::POST, &path, &token).json(&body)).await
        };
        let (status, body) = post(
            format!("/admin/payments/{second}/capture"),
            serde_json::json!({}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = post(
            format!("/admin/payments/{second}/refund"),
            serde_json::json!({ "amount": 100, "note": "goodwill" }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["payment"]["status"], "partially_refunded");
        assert_eq!(body["payment"]["refunds"][0]["note"], "goodwill");
        let (status, body) = post(
            format!("/admin/payments/{second}/refund"),
            serde_json::json!({ "amount": 900 }),
        )
        .await;
        assert_eq!(status, 400);
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("between 1 and 200"),
            "{body}"
        );

        let list = async |query: &str| {
            send_json(app.admin(Method::GET, &format!("/admin/payments{query}"), &token)).await
        };
        let ids = |body: &Value| -> Vec<String> {
            body["payments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let (status, all) = list("").await;
        assert_eq!(status, 200, "{all}");
        assert_eq!(ids(&all), [second.clone(), first.clone()], "newest first");
        assert_eq!(
            (
                all["count"].as_u64(),
                all["offset"].as_u64(),
                all["limit"].as_u64()
            ),
            (Some(2), Some(0), Some(50))
        );
        let paid = &all["payments"][0];
        assert_eq!(paid["captured_amount"], 300);
        assert_eq!(paid["refunded_amount"], 100);
        assert_eq!(paid["captures"][0]["amount"], 300);
        assert!(paid["captured_at"].is_string(), "{paid}");
        assert_eq!(paid["refunds"][0]["amount"], 100);
        assert_eq!(all["payments"][1]["status"], "authorized");
        assert!(all["payments"][1]["captured_at"].is_null());

        assert_eq!(
            ids(&list("?status=authorized").await.1),
            std::slice::from_ref(&first)
        );
        assert_eq!(
            ids(&list("?status[]=authorized&status[]=partially_refunded")
                .await
                .1)
            .len(),
            2
        );
        assert!(ids(&list("?status=canceled").await.1).is_empty());
        assert_eq!(
            ids(&list(&format!("?id={first}")).await.1),
            std::slice::from_ref(&first)
        );
        assert_eq!(
            ids(&list("?limit=1&offset=1").await.1),
            std::slice::from_ref(&first)
        );
        assert!(ids(&list("?created_at[$gte]=2999-01-01").await.1).is_empty());
        let (status, bad) = list("?status=paid").await;
        assert_eq!((status, bad["type"].as_str()), (400, Some("invalid_data")));
        assert!(
            bad["message"]
                .as_str()
                .unwrap()
                .contains("partially_refunded"),
            "{bad}"
        );
        let (status, _) = list("?created_at[$lte]=soon").await;
        assert_eq!(status, 400);
        let (status, one) =
            send_json(app.admin(Method::GET, &format!("/admin/payments/{second}"), &token)).await;
        assert_eq!(status, 200);
        assert_eq!(one["payment"]["refunds"][0]["note"], "goodwill");

        // The dashboard's list: the same filter, before hydration.
        app.sign_in().await;
        let html = app.page("/admin/payments").await.text().await.unwrap();
        assert!(html.contains(&first) && html.contains(&second), "{html}");
        let html = app
            .page("/admin/payments?status=authorized")
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains(&first) && !html.contains(&second), "{html}");
        let html = app
            .page("/admin/payments?status=canceled")
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains(r#"data-testid="payments-empty""#), "{html}");
        // A client without the admin's session or token.
        let (status, _) = send_json(app.browser().get(app.url("/admin/payments"))).await;
        assert_eq!(status, 401, "the API wants an admin");
    })
    .await;
}

#[tokio::test]
async fn a_region_captures_at_once_when_its_admin_says_so() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let region = domain::pricing::default_region(&app.db, Some("eur"))
            .await
            .unwrap()
            .unwrap()
            .region
            .id;
        let path = format!("/admin/regions/{region}");
        let (status, body) = send_json(app.admin(Method::GET, &path, &token)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["region"]["automatic_capture"], false,
            "on fulfilment by default"
        );
        let on_fulfilment = place_order(&app, "later@example.com", 1).await;
        assert_eq!(
            payment_of_order(&app, &on_fulfilment).await.captured_amount,
            0
        );

        let (status, body) = send_json(
            app.admin(Method::POST, &path, &token)
                .json(&serde_json::json!({ "automatic_capture": true })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["region"]["automatic_capture"], true);
        let (status, _) = send_json(
            app.admin(Method::POST, &path, &token)
                .json(&serde_json::json!({ "automatic_capture": "yes" })),
        )
        .await;
        assert_eq!(status, 400);
        let at_once = place_order(&app, "now@example.com", 1).await;
        let paid = payment_of_order(&app, &at_once).await;
        assert_eq!(paid.captured_amount, paid.amount, "captured when placed");
        let (_, listed) = send_json(app.admin(Method::GET, "/admin/regions", &token)).await;
        assert!(
            listed["regions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["id"] == region.as_str() && r["automatic_capture"] == true),
            "{listed}"
        );

        // The dashboard's page and form, before hydration.
        app.sign_in().await;
        let html = app.page("/admin/regions").await.text().await.unwrap();
        assert!(
            html.contains(&region) && html.contains(r#"action="/api/admin/regions/capture""#),
            "{html}"
        );
        let saved = app
            .post_form(
                "/api/admin/regions/capture",
                &[("region_id", &region), ("capture", "on_fulfilment")],
            )
            .await;
        assert_eq!(saved.headers()[LOCATION], "/admin/regions");
        let bogus = app
            .post_form(
                "/api/admin/regions/capture",
                &[("region_id", &region), ("capture", "sometimes")],
            )
            .await;
        assert_eq!(bogus.status(), 400);
        assert!(
            !domain::pricing::find_region(&app.db, &region)
                .await
                .unwrap()
                .region
                .automatic_capture
        );
    })
    .await;
}
