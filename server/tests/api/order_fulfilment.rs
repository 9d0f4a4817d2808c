//! Orders after checkout: staff fulfil them from a stock location, ship
//! (with tracking), mark delivered or picked up and archive them; customers
//! ask to return items of a sent order, staff receive the goods (stock back,
//! refund asked of the provider) or cancel the return.

use domain::{inventory, payments};
use reqwest::{Method, header::LOCATION};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::{
    TestApp, admin_json,
    admin_orders::{add_to_cart, checkout, place_order},
    customers::{PASSWORD, post_auth, signed_up, store},
    on_every_db,
    openapi::{assert_documented, fetch_document},
    send_json,
};

fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

/// Stocked and reserved units of the order's first item at `location`.
async fn level_of(app: &TestApp, order: &Value, location: &str) -> (i32, i32) {
    let variant = order["items"][0]["variant_id"].as_str().unwrap();
    let item = inventory::find_item_by_variant(&app.db, variant)
        .await
        .unwrap()
        .expect("a managed variant");
    let level = inventory::level(&app.db, &item.id, location).await.unwrap();
    (level.stocked_quantity, level.reserved_quantity)
}

#[tokio::test]
async fn staff_fulfil_ship_deliver_and_archive_an_order() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let document = fetch_document(&app).await;
        let order_id = place_order(&app, "parcel@example.com", 2).await;
        let path = |tail: &str| format!("/admin/orders/{order_id}{tail}");
        let (_, placed) = admin_json(&app, &token, Method::GET, &path(""), None).await;
        assert_eq!(placed["order"]["fulfillment_status"], "not_fulfilled");
        assert_eq!(placed["order"]["fulfillments"], json!([]));
        let item_id = placed["order"]["items"][0]["id"].as_str().unwrap().to_owned();

        // Only the whole order, and only from where its stock is reserved.
        let (status, part) = admin_json(&app, &token, Method::POST, &path("/fulfillments"),
            Some(json!({ "items": [{ "id": item_id, "quantity": 1 }] }))).await;
        assert_eq!(status, 400, "{part}");
        assert!(message(&part).contains("whole orders"), "{part}");
        let (status, stranger) = admin_json(&app, &token, Method::POST, &path("/fulfillments"),
            Some(json!({ "items": [{ "id": "oi_other", "quantity": 2 }] }))).await;
        assert_eq!(status, 400, "{stranger}");
        let (status, elsewhere) = admin_json(&app, &token, Method::POST, &path("/fulfillments"),
            Some(json!({ "location_id": "sloc_nowhere" }))).await;
        assert_eq!(status, 400, "{elsewhere}");
        assert!(message(&elsewhere).contains("reserved at"), "{elsewhere}");
        let (status, garbage) = admin_json(&app, &token, Method::POST, &path("/fulfillments"),
            Some(json!({ "items": "all" }))).await;
        assert_eq!(status, 400, "{garbage}");

        let (status, fulfilled) = admin_json(&app, &token, Method::POST, &path("/fulfillments"),
            Some(json!({ "items": [{ "id": item_id, "quantity": 2 }] }))).await;
        assert_eq!(status, 200, "{fulfilled}");
        let order = &fulfilled["order"];
        assert_eq!(order["status"], "completed");
        assert_eq!(order["fulfillment_status"], "fulfilled");
        assert_eq!(order["payment_status"], "captured", "captured on fulfilment");
        let fulfillment = &order["fulfillments"][0];
        let fulfillment_id = fulfillment["id"].as_str().unwrap().to_owned();
        let location = fulfillment["location_id"].as_str().expect("the reserved location").to_owned();
        assert_eq!(level_of(&app, order, &location).await.1, 0, "nothing left reserved");

        let (status, twice) = admin_json(&app, &token, Method::POST, &path("/fulfillments"), None).await;
        assert_eq!(status, 409, "{twice}");

        let ship = path(&format!("/fulfillments/{fulfillment_id}/shipments"));
        let (status, bad_url) = admin_json(&app, &token, Method::POST, &ship,
            Some(json!({ "labels": [{ "tracking_number": "TRK1", "tracking_url": "javascript:alert(1)" }] }))).await;
        assert_eq!(status, 400, "{bad_url}");
        let (status, shipped) = admin_json(&app, &token, Method::POST, &ship,
            Some(json!({ "items": [{ "id": item_id, "quantity": 2 }],
                         "labels": [{ "tracking_number": " TRK1 ", "tracking_url": "https://track.example/TRK1", "label_url": "" }] }))).await;
        assert_eq!(status, 200, "{shipped}");
        assert_eq!(shipped["order"]["fulfillment_status"], "shipped");
        let label = &shipped["order"]["fulfillments"][0]["labels"][0];
        assert_eq!((label["tracking_number"].as_str(), label["tracking_url"].as_str()),
            (Some("TRK1"), Some("https://track.example/TRK1")));
        let (status, again) = admin_json(&app, &token, Method::POST, &ship, None).await;
        assert_eq!(status, 409, "{again}");
        let (status, unknown) = admin_json(&app, &token, Method::POST,
            &path("/fulfillments/ful_unknown/shipments"), None).await;
        assert_eq!(status, 404, "{unknown}");

        let delivered_path = path(&format!("/fulfillments/{fulfillment_id}/mark-as-delivered"));
        let (status, delivered) = admin_json(&app, &token, Method::POST, &delivered_path, None).await;
        assert_eq!(status, 200, "{delivered}");
        assert_eq!(delivered["order"]["fulfillment_status"], "delivered");
        assert!(delivered["order"]["fulfillments"][0]["delivered_at"].is_string());
        let (status, _) = admin_json(&app, &token, Method::POST, &delivered_path, None).await;
        assert_eq!(status, 409);

        // The shopper's view of the order follows.
        let (status, seen) = send_json(store(&app, Method::GET, &format!("/store/orders/{order_id}"), None)).await;
        assert_eq!(status, 200, "{seen}");
        assert_eq!((seen["order"]["fulfillment_status"].as_str(), seen["order"]["payment_status"].as_str()),
            (Some("delivered"), Some("captured")));

        // An open order cannot be archived; a completed one can, once.
        let open = place_order(&app, "open@example.com", 1).await;
        let (status, refused) = admin_json(&app, &token, Method::POST, &format!("/admin/orders/{open}/archive"), None).await;
        assert_eq!(status, 409, "{refused}");
        assert!(message(&refused).contains("pending"), "{refused}");
        let (status, archived) = admin_json(&app, &token, Method::POST, &path("/archive"), None).await;
        assert_eq!(status, 200, "{archived}");
        assert_eq!(archived["order"]["status"], "archived");
        assert_documented(&document, "post", "/admin/orders/{id}/archive", status, &archived);
        let (status, _) = admin_json(&app, &token, Method::POST, &path("/archive"), None).await;
        assert_eq!(status, 200, "archiving again changes nothing");
        let (_, listed) = admin_json(&app, &token, Method::GET, "/admin/orders?status=archived", None).await;
        assert_eq!(listed["count"], 1, "{listed}");
        assert_eq!(listed["orders"][0]["id"].as_str(), Some(order_id.as_str()));
        let (status, _) = admin_json(&app, &token, Method::POST, &path("/fulfillments"), None).await;
        assert_eq!(status, 409, "an archived order is not fulfilled again");
    })
    .await;
}

#[tokio::test]
async fn customers_return_items_and_staff_receive_and_refund_them() {
    on_every_db(async |app| {
        let admin = app.admin_token().await;
        let document = fetch_document(&app).await;
        let browser = app.browser();
        let registered = browser
            .post(app.url("/api/account/register"))
            .form(&[("email", "ret@example.com"), ("password", PASSWORD), ("first_name", "Ret"), ("last_name", "Urn")])
            .send()
            .await
            .unwrap();
        assert_eq!(registered.headers()[LOCATION], "/account");
        add_to_cart(&app, &browser, "sparkling-water", 3).await;
        let order_id = checkout(&app, &browser, "ret@example.com").await;
        let (_, signed_in) = post_auth(&app, "/auth/customer/emailpass", "ret@example.com", PASSWORD).await;
        let customer = signed_in["token"].as_str().expect("a customer token").to_owned();
        let (_, placed) = admin_json(&app, &admin, Method::GET, &format!("/admin/orders/{order_id}"), None).await;
        let item = placed["order"]["items"][0].clone();
        let item_id = item["id"].as_str().unwrap().to_owned();
        let (status, reason) = admin_json(&app, &admin, Method::POST, "/admin/return-reasons",
            Some(json!({ "value": "too_many", "label": "Bought too many" }))).await;
        assert_eq!(status, 200, "{reason}");
        let reason_id = reason["return_reason"]["id"].as_str().unwrap().to_owned();

        let ask = async |token: Option<&str>, body: Value| {
            send_json(store(&app, Method::POST, "/store/returns", token).json(&body)).await
        };
        let two = json!({ "order_id": order_id, "items": [{ "id": item_id, "quantity": 2, "reason_id": reason_id, "note": "  too heavy " }],
                          "return_shipping": { "option_id": "so_none" }, "note": "left at the door" });
        let (status, unsent) = ask(Some(&customer), two.clone()).await;
        assert_eq!(status, 409, "{unsent}");
        assert!(message(&unsent).contains("not been sent"), "{unsent}");

        let (status, _) = admin_json(&app, &admin, Method::POST, &format!("/admin/orders/{order_id}/fulfillments"), None).await;
        assert_eq!(status, 200);
        let (_, fulfilled) = admin_json(&app, &admin, Method::GET, &format!("/admin/orders/{order_id}"), None).await;
        let location = fulfilled["order"]["fulfillments"][0]["location_id"].as_str().unwrap().to_owned();
        let before = level_of(&app, &fulfilled["order"], &location).await;

        let (status, _) = ask(None, two.clone()).await;
        assert_eq!(status, 401, "only a signed-in customer asks");
        let stranger = signed_up(&app, "stranger@example.com").await;
        let (status, hidden) = ask(Some(&stranger), two.clone()).await;
        assert_eq!(status, 404, "another customer's order is not found: {hidden}");
        for (body, expected) in [
            (json!({ "order_id": order_id, "items": [{ "id": item_id, "quantity": 4 }] }), "1 to 3"),
            (json!({ "order_id": order_id, "items": [{ "id": item_id, "quantity": 0 }] }), "1 to 3"),
            (json!({ "order_id": order_id, "items": [{ "id": "oi_nope", "quantity": 1 }] }), "not an item"),
            (json!({ "order_id": order_id, "items": [] }), "at least one item"),
            (json!({ "order_id": order_id, "items": [{ "id": item_id, "quantity": 1 }, { "id": item_id, "quantity": 1 }] }), "twice"),
            (json!({ "order_id": order_id, "items": [{ "id": item_id, "quantity": 1 }], "location_id": location }), "for staff"),
            (json!({ "order_id": order_id, "items": [{ "id": item_id, "quantity": 1 }], "receive_now": true }), "receive_now"),
            (json!({ "order_id": order_id, "items": [{ "id": item_id, "quantity": "1" }] }), "quantity"),
        ] {
            let (status, refused) = ask(Some(&customer), body).await;
            assert_eq!(status, 400, "{refused}");
            assert!(message(&refused).contains(expected), "{expected}: {refused}");
        }
        let (status, no_reason) = ask(Some(&customer),
            json!({ "order_id": order_id, "items": [{ "id": item_id, "quantity": 1, "reason_id": "rr_gone" }] })).await;
        assert_eq!(status, 404, "{no_reason}");

        let (status, asked) = ask(Some(&customer), two.clone()).await;
        assert_eq!(status, 200, "{asked}");
        assert_documented(&document, "post", "/store/returns", status, &asked);
        let returned = &asked["return"];
        let return_id = returned["id"].as_str().unwrap().to_owned();
        assert_eq!(returned["status"], "requested");
        assert_eq!(returned["order_id"].as_str(), Some(order_id.as_str()));
        assert_eq!(returned["items"][0]["note"], "too heavy");
        assert_eq!(returned["items"][0]["reason_id"].as_str(), Some(reason_id.as_str()));
        let paid = domain::orders::order_item::Entity::find_by_id(item_id.as_str())
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .total;
        let share = paid * 2 / 3;
        let expected_refund = share as f64 / 100.0;
        assert_eq!(returned["refund_amount"].as_f64(), Some(expected_refund), "two thirds of {paid}");

        let (status, too_many) = ask(Some(&customer),
            json!({ "order_id": order_id, "items": [{ "id": item_id, "quantity": 2 }] })).await;
        assert_eq!(status, 400, "only one unit is left to return: {too_many}");

        let (status, mine) = send_json(store(&app, Method::GET, "/store/returns", Some(&customer))).await;
        assert_eq!((status, mine["count"].as_u64()), (200, Some(1)), "{mine}");
        let (status, theirs) = send_json(store(&app, Method::GET, "/store/returns", Some(&stranger))).await;
        assert_eq!((status, theirs["count"].as_u64()), (200, Some(0)), "{theirs}");
        let (status, _) = send_json(store(&app, Method::GET, &format!("/store/returns/{return_id}"), Some(&stranger))).await;
        assert_eq!(status, 404);
        let (status, one) = send_json(store(&app, Method::GET, &format!("/store/returns/{return_id}"), Some(&customer))).await;
        assert_eq!(status, 200, "{one}");

        let (status, listed) = admin_json(&app, &admin, Method::GET, &format!("/admin/returns?order_id={order_id}&status=requested"), None).await;
        assert_eq!((status, listed["count"].as_u64()), (200, Some(1)), "{listed}");
        assert_documented(&document, "get", "/admin/returns", status, &listed);
        let (status, bad_filter) = admin_json(&app, &admin, Method::GET, "/admin/returns?status=lost", None).await;
        assert_eq!(status, 400, "{bad_filter}");

        // Received: the two units are stocked again and refunded once.
        let receive = format!("/admin/returns/{return_id}/receive");
        let (status, received) = admin_json(&app, &admin, Method::POST, &receive, None).await;
        assert_eq!(status, 200, "{received}");
        assert_eq!(received["return"]["status"], "received");
        assert_eq!(received["return"]["items"][0]["received_quantity"], 2);
        assert_eq!(received["return"]["refund_amount"].as_f64(), Some(expected_refund));
        let after = level_of(&app, &fulfilled["order"], &location).await;
        assert_eq!(after.0, before.0 + 2, "the returned units are stocked again");
        let order = domain::orders::order::Entity::find_by_id(order_id.as_str()).one(&app.db).await.unwrap().unwrap();
        let refunded: i64 = payments::payment::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .filter(|p| Some(&p.payment_collection_id) == order.payment_collection_id.as_ref())
            .map(|p| p.refunded_amount)
            .sum();
        assert_eq!(refunded, share, "refunded once, by the return's share");
        let (status, twice) = admin_json(&app, &admin, Method::POST, &receive, None).await;
        assert_eq!(status, 409, "{twice}");
        let (status, _) = admin_json(&app, &admin, Method::POST, &format!("/admin/returns/{return_id}/cancel"), None).await;
        assert_eq!(status, 409, "a received return stays received");

        // Staff record the last unit for the customer, then call it off: it can be asked for again.
        let (status, staff) = admin_json(&app, &admin, Method::POST, "/admin/returns",
            Some(json!({ "order_id": order_id, "items": [{ "id": item_id, "quantity": 1 }], "location_id": location }))).await;
        assert_eq!(status, 200, "{staff}");
        let staff_id = staff["return"]["id"].as_str().unwrap();
        let (status, canceled) = admin_json(&app, &admin, Method::POST, &format!("/admin/returns/{staff_id}/cancel"), None).await;
        assert_eq!((status, canceled["return"]["status"].as_str()), (200, Some("canceled")), "{canceled}");
        let (status, last) = ask(Some(&customer), json!({ "order_id": order_id, "items": [{ "id": item_id, "quantity": 1 }] })).await;
        assert_eq!(status, 200, "{last}");
        let (status, legacy) = send_json(store(&app, Method::POST, "/store/return", Some(&customer))
            .json(&json!({ "order_id": order_id, "items": [{ "id": item_id, "quantity": 1 }] }))).await;
        assert_eq!(status, 400, "everything is returned now: {legacy}");
        assert!(message(&legacy).contains("returned already"), "{legacy}");
    })
    .await;
}
