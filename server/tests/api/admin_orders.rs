//! `/admin/orders` and `/admin/customers`, with orders placed through the
//! storefront's checkout.

use std::sync::Arc;

use domain::{
    credentials::{Email, Password},
    customers,
    inventory::{self, NewReservation},
    orders,
    payments::{self, Providers, system::SystemProvider},
};
use reqwest::{Method, header::LOCATION};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::{TestApp, on_every_db, send_json};

/// The first variant of a product, through the Store API.
async fn variant_of(app: &TestApp, handle: &str) -> String {
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
    product["product"]["variants"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Puts `quantity` of `handle` in `client`'s cart.
pub async fn add_to_cart(app: &TestApp, client: &reqwest::Client, handle: &str, quantity: i32) {
    let variant = variant_of(app, handle).await;
    let added = client
        .post(app.url("/api/cart/add"))
        .form(&[
            ("variant_id", variant.as_str()),
            ("quantity", &quantity.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 200);
}

/// Checks out `client`'s cart for `email`, picked up at a machine; the new order's id.
pub async fn checkout(app: &TestApp, client: &reqwest::Client, email: &str) -> String {
    let pickup = domain::shipping::shipping_option::Entity::find()
        .filter(domain::shipping::shipping_option::Column::StockLocationId.is_not_null())
        .one(&app.db)
        .await
        .unwrap()
        .expect("a pickup option")
        .id;
    let delivery = client
        .post(app.url("/api/checkout/delivery"))
        .form(&[("email", email), ("shipping_option_id", &pickup)])
        .send()
        .await
        .unwrap();
    assert_eq!(delivery.status(), 200);
    let placed = client
        .post(app.url("/api/checkout/place-order"))
        .form(&[("payment_provider", "pp_system_default")])
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status(), 200);
    let location = placed.headers()[LOCATION].to_str().unwrap();
    location
        .strip_prefix("/orders/")
        .expect("redirected to the confirmation")
        .to_owned()
}

/// A guest's order of `quantity` sparkling waters, from a fresh browser.
pub async fn place_order(app: &TestApp, email: &str, quantity: i32) -> String {
    let client = app.browser();
    add_to_cart(app, &client, "sparkling-water", quantity).await;
    checkout(app, &client, email).await
}

fn providers() -> Providers {
    Providers::default().with(Arc::new(SystemProvider))
}

#[tokio::test]
async fn admins_list_filter_and_read_orders() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let first = place_order(&app, "first@example.com", 1).await;
        let second = place_order(&app, "second@example.com", 2).await;
        let list = async |query: &str| {
            send_json(app.admin(Method::GET, &format!("/admin/orders{query}"), &token)).await
        };
        let ids = |body: &Value| -> Vec<String> {
            body["orders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap().to_owned())
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
        let newest = &all["orders"][0];
        assert_eq!(newest["email"], "second@example.com");
        assert_eq!(newest["status"], "pending");
        assert_eq!(newest["payment_status"], "authorized");
        assert_eq!(newest["fulfillment_status"], "not_fulfilled");
        assert_eq!(newest["total"], 300);
        assert_eq!(newest["items"][0]["quantity"], 2);

        let (_, page) = list("?limit=1&offset=1").await;
        assert_eq!(
            (ids(&page), page["count"].as_u64()),
            (vec![first.clone()], Some(2))
        );
        assert_eq!(
            ids(&list("?q=SECOND").await.1),
            std::slice::from_ref(&second)
        );
        assert_eq!(
            ids(&list(&format!("?q={}", &first[6..])).await.1),
            std::slice::from_ref(&first)
        );
        assert_eq!(
            ids(&list("?status[]=pending&status[]=canceled").await.1).len(),
            2
        );
        assert!(ids(&list("?status=canceled").await.1).is_empty());
        assert!(ids(&list("?customer_id=cus_nobody").await.1).is_empty());
        let (status, empty) = list("?status=").await;
        assert_eq!(
            (status, empty["message"].as_str()),
            (400, Some("status cannot be empty"))
        );
        assert!(ids(&list("?created_at[$gte]=2999-01-01").await.1).is_empty());
        assert_eq!(
            ids(&list("?created_at[$lte]=2999-01-01T00:00:00Z").await.1).len(),
            2
        );
        let (status, bad) = list("?created_at[$gte]=yesterday").await;
        assert_eq!((status, bad["type"].as_str()), (400, Some("invalid_data")));
        assert!(
            bad["message"]
                .as_str()
                .unwrap()
                .contains("created_at[$gte]")
        );
        let (status, _) = list("?limit=lots").await;
        assert_eq!(status, 400);

        let (status, detail) =
            send_json(app.admin(Method::GET, &format!("/admin/orders/{first}"), &token)).await;
        assert_eq!(status, 200);
        assert_eq!(detail["order"]["id"], first.as_str());
        assert_eq!(
            detail["order"]["items"][0]["title"],
            "Sparkling Water 0.5 l"
        );
        let (status, missing) =
            send_json(app.admin(Method::GET, "/admin/orders/order_missing", &token)).await;
        assert_eq!((status, missing["type"].as_str()), (404, Some("not_found")));
    })
    .await;
}

#[tokio::test]
async fn canceling_refunds_the_payment_and_releases_the_stock_once() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let client = app.browser();
        add_to_cart(&app, &client, "sparkling-water", 2).await;
        // Stock held for the cart's line, as checkout holds it.
        let cart: Value = client
            .post(app.url("/api/cart"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let line_id = cart["lines"][0]["id"].as_str().unwrap();
        let variant = variant_of(&app, "sparkling-water").await;
        let item = inventory::find_item_by_variant(&app.db, &variant)
            .await
            .unwrap()
            .unwrap();
        let location = domain::channels::stock_location_ids(
            &app.db,
            &domain::channels::list_sales_channels(&app.db)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
        let before = inventory::level(&app.db, &item.id, &location)
            .await
            .unwrap();
        inventory::reserve(
            &app.db,
            NewReservation {
                inventory_item_id: item.id.clone(),
                location_id: location.clone(),
                quantity: 2,
                line_item_id: Some(line_id.to_owned()),
                external_id: None,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let order_id = checkout(&app, &client, "buyer@example.com").await;
        let order = orders::find(&app.db, &order_id).await.unwrap();
        let payment = payments::payment::Entity::find()
            .filter(
                payments::payment::Column::PaymentCollectionId.eq(order
                    .order
                    .payment_collection_id
                    .clone()
                    .unwrap()),
            )
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .id;
        payments::capture(&app.db, &providers(), &payment, None)
            .await
            .unwrap();

        let cancel = format!("/admin/orders/{order_id}/cancel");
        let (status, canceled) = send_json(app.admin(Method::POST, &cancel, &token)).await;
        assert_eq!(status, 200, "{canceled}");
        assert_eq!(canceled["order"]["status"], "canceled");
        assert_eq!(canceled["order"]["payment_status"], "refunded");
        assert!(canceled["order"]["canceled_at"].is_string());
        let level = inventory::level(&app.db, &item.id, &location)
            .await
            .unwrap();
        assert_eq!(
            (level.stocked_quantity, level.reserved_quantity),
            (before.stocked_quantity, before.reserved_quantity),
            "the reserved units are available again"
        );

        let (status, again) = send_json(app.admin(Method::POST, &cancel, &token)).await;
        assert_eq!(status, 200);
        assert_eq!(
            again["order"]["canceled_at"],
            canceled["order"]["canceled_at"]
        );
        let refunded = payments::find_payment(&app.db, &payment).await.unwrap();
        assert_eq!(refunded.refunded_amount, 300, "refunded once");

        let (status, missing) =
            send_json(app.admin(Method::POST, "/admin/orders/order_missing/cancel", &token)).await;
        assert_eq!((status, missing["type"].as_str()), (404, Some("not_found")));

        let shipped = place_order(&app, "shipped@example.com", 1).await;
        orders::fulfil(&app.db, &providers(), &shipped, &Default::default())
            .await
            .unwrap();
        let (status, refused) = send_json(app.admin(
            Method::POST,
            &format!("/admin/orders/{shipped}/cancel"),
            &token,
        ))
        .await;
        assert_eq!(status, 409);
        assert!(
            refused["message"]
                .as_str()
                .unwrap()
                .contains("fulfilled already"),
            "{refused}"
        );
    })
    .await;
}

#[tokio::test]
async fn admins_find_customers() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        for (email, first_name) in [("ada@example.com", "Ada"), ("grace@example.com", "Grace")] {
            customers::sign_up(
                &app.db,
                &Email::parse(email).unwrap(),
                &Password::parse("a long password").unwrap(),
                customers::Profile {
                    first_name: Some(first_name.into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
        let (status, all) = send_json(app.admin(Method::GET, "/admin/customers", &token)).await;
        assert_eq!(status, 200, "{all}");
        assert_eq!(all["count"], 2);
        assert_eq!(
            all["customers"][0]["email"], "grace@example.com",
            "newest first"
        );
        let (_, page) =
            send_json(app.admin(Method::GET, "/admin/customers?limit=1&offset=1", &token)).await;
        assert_eq!(page["customers"][0]["email"], "ada@example.com");
        assert_eq!(
            (page["count"].as_u64(), page["limit"].as_u64()),
            (Some(2), Some(1))
        );
        let (_, found) = send_json(app.admin(Method::GET, "/admin/customers?q=aDA", &token)).await;
        assert_eq!(found["count"], 1);
        let id = found["customers"][0]["id"].as_str().unwrap();
        assert_eq!(found["customers"][0]["has_account"], true);

        let (status, one) =
            send_json(app.admin(Method::GET, &format!("/admin/customers/{id}"), &token)).await;
        assert_eq!(status, 200);
        assert_eq!(one["customer"]["first_name"], "Ada");
        assert!(one["customer"]["addresses"].is_array());
        let (status, _) =
            send_json(app.admin(Method::GET, "/admin/customers/cus_missing", &token)).await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn order_and_customer_routes_need_an_admin() {
    on_every_db(async |app| {
        for (method, path) in [
            (Method::GET, "/admin/orders"),
            (Method::GET, "/admin/orders/order_1"),
            (Method::POST, "/admin/orders/order_1/cancel"),
            (Method::GET, "/admin/customers"),
            (Method::GET, "/admin/customers/cus_1"),
        ] {
            let (status, body) = send_json(app.client.request(method.clone(), app.url(path))).await;
            assert_eq!(
                (status, body["type"].as_str()),
                (401, Some("unauthorized")),
                "{method} {path}"
            );
            let (status, _) = send_json(app.admin(method.clone(), path, "not-a-token")).await;
            assert_eq!(status, 401, "{method} {path} with a bad token");
        }
    })
    .await;
}
