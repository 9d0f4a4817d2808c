//! Stock by hand: reservations an admin makes and gives back (Medusa's
//! `/admin/reservations`), the reservations orders hold (not an admin's to
//! change), and the inventory and reservations pages.

use reqwest::{Method, header::LOCATION};
use serde_json::{Value, json};

use crate::{
    TestApp,
    admin_catalog::{admin_get, admin_post, first_id, warehouse},
    admin_orders::place_order,
    on_every_db, send_json,
};

/// (stocked, reserved) of `item` at `location`.
async fn level(app: &TestApp, token: &str, item: &str, location: &str) -> (i64, i64) {
    let body = admin_get(app, token, &format!("/admin/inventory-items/{item}")).await;
    let level = body["inventory_item"]["location_levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["location_id"] == location)
        .unwrap_or_else(|| panic!("a level at {location}: {body}"))
        .clone();
    (
        level["stocked_quantity"].as_i64().unwrap(),
        level["reserved_quantity"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn an_admin_holds_stock_by_hand_changes_it_and_gives_it_back() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let location = warehouse(&app, &token).await;
        let item = first_id(
            &app,
            &token,
            "/admin/inventory-items?sku=COLD-BREW",
            "inventory_items",
        )
        .await;
        let counted = format!("/admin/inventory-items/{item}/location-levels/{location}");
        let (status, body) =
            admin_post(&app, &token, &counted, json!({ "stocked_quantity": 5 })).await;
        assert_eq!(status, 200, "{body}");

        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/reservations",
            json!({ "inventory_item_id": item, "location_id": location, "quantity": 2,
                    "description": "  Phone order for Ms Smith " }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let held = body["reservation"].clone();
        assert_eq!(held["quantity"], 2);
        assert_eq!(held["description"], "Phone order for Ms Smith");
        assert!(held["line_item_id"].is_null());
        assert!(held["created_by"].as_str().is_some_and(|by| by.starts_with("user_")), "{held}");
        let id = held["id"].as_str().unwrap().to_owned();
        assert_eq!(level(&app, &token, &item, &location).await, (5, 2));

        // More than is available, at once or by growing it: refused, nothing held.
        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/reservations",
            json!({ "inventory_item_id": item, "location_id": location, "quantity": 4 }),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert!(body["message"].as_str().unwrap().contains("out of stock"), "{body}");
        let this = format!("/admin/reservations/{id}");
        let (status, body) = admin_post(&app, &token, &this, json!({ "quantity": 9 })).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["message"].as_str().unwrap().contains("3 available"), "{body}");
        assert_eq!(level(&app, &token, &item, &location).await, (5, 2));

        let (status, body) = admin_post(
            &app,
            &token,
            &this,
            json!({ "quantity": 3, "description": null }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["reservation"]["quantity"], 3);
        assert!(body["reservation"]["description"].is_null(), "{body}");
        assert_eq!(level(&app, &token, &item, &location).await, (5, 3));
        // The count cannot drop below what is held.
        let (status, body) =
            admin_post(&app, &token, &counted, json!({ "stocked_quantity": 2 })).await;
        assert_eq!(status, 400, "{body}");
        let (status, body) = admin_post(&app, &token, &this, json!({ "quantity": 0 })).await;
        assert_eq!(status, 400, "{body}");
        let (status, body) =
            admin_post(&app, &token, &this, json!({ "location_id": "sloc_elsewhere" })).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["message"].as_str().unwrap().contains("stays at its location"), "{body}");
        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/reservations",
            json!({ "inventory_item_id": item, "location_id": location, "quantity": 1, "line_item_id": "cali_x" }),
        )
        .await;
        assert_eq!(status, 400, "{body}");

        let listed = admin_get(
            &app,
            &token,
            &format!("/admin/reservations?inventory_item_id={item}"),
        )
        .await;
        assert_eq!(listed["count"], 1, "{listed}");
        assert_eq!(listed["reservations"][0]["id"], id.as_str());
        assert_eq!(admin_get(&app, &token, &this).await["reservation"]["quantity"], 3);

        let (status, body) = send_json(app.admin(Method::DELETE, &this, &token)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["id"].as_str(), body["deleted"].as_bool()), (Some(id.as_str()), Some(true)));
        assert_eq!(level(&app, &token, &item, &location).await, (5, 0));
        let (status, _) = send_json(app.admin(Method::GET, &this, &token)).await;
        assert_eq!(status, 404);
        let (status, _) = send_json(app.admin(Method::DELETE, &this, &token)).await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn an_orders_reservation_is_listed_but_not_an_admins_to_change() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        place_order(&app, "held@example.com", 2).await;
        // The checkout held the order's units for its (cart) line.
        let listed = admin_get(&app, &token, "/admin/reservations").await;
        assert_eq!(listed["count"], 1, "{listed}");
        let held: Value = listed["reservations"][0].clone();
        assert_eq!(held["quantity"], 2);
        let line = held["line_item_id"]
            .as_str()
            .expect("an order's line")
            .to_owned();
        let by_line = admin_get(
            &app,
            &token,
            &format!("/admin/reservations?line_item_id={line}"),
        )
        .await;
        assert_eq!(by_line["count"], 1, "{by_line}");
        let this = format!("/admin/reservations/{}", held["id"].as_str().unwrap());
        let (status, body) = send_json(app.admin(Method::DELETE, &this, &token)).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("order"),
            "{body}"
        );
        let (status, body) = admin_post(&app, &token, &this, json!({ "quantity": 1 })).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            admin_get(&app, &token, &this).await["reservation"]["quantity"],
            2
        );

        // The reservations page shows it, without a release button.
        app.sign_in().await;
        let page = app.page("/admin/reservations").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains(&format!("order line {line}")), "{html}");
        assert!(html.contains("Sparkling Water"), "{html}");
        assert!(!html.contains(">Release<"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn the_inventory_and_reservations_pages_work_without_javascript() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let location = warehouse(&app, &token).await;
        let item = first_id(
            &app,
            &token,
            "/admin/inventory-items?sku=COLD-BREW",
            "inventory_items",
        )
        .await;
        app.sign_in().await;
        let page = app.page("/admin/inventory?q=COLD-BREW").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Cold Brew Coffee — Default"), "{html}");
        assert!(html.contains("COLD-BREW-COFFEE"), "{html}");
        assert!(
            html.contains(r#"action="/api/admin/inventory/set-stocked""#),
            "{html}"
        );

        // A count after stocktaking.
        let saved = app
            .post_form(
                "/api/admin/inventory/set-stocked",
                &[
                    ("item_id", &item),
                    ("location_id", &location),
                    ("stocked", "17"),
                    ("back", "/admin/inventory?q=COLD-BREW&page=1"),
                ],
            )
            .await;
        assert_eq!(
            saved.headers().get(LOCATION).and_then(|l| l.to_str().ok()),
            Some("/admin/inventory?q=COLD-BREW&page=1"),
            "back to the same search"
        );
        assert_eq!(level(&app, &token, &item, &location).await.0, 17);
        // Only ever back to this page, never to another site.
        for elsewhere in [
            "//evil.example/admin/inventory",
            "/admin/users",
            "https://evil.example",
        ] {
            let saved = app
                .post_form(
                    "/api/admin/inventory/set-stocked",
                    &[
                        ("item_id", &item),
                        ("location_id", &location),
                        ("stocked", "17"),
                        ("back", elsewhere),
                    ],
                )
                .await;
            assert_eq!(
                saved.headers().get(LOCATION).and_then(|l| l.to_str().ok()),
                Some("/admin/inventory"),
                "{elsewhere}"
            );
        }
        let refused = app
            .post_form(
                "/api/admin/inventory/set-stocked",
                &[
                    ("item_id", &item),
                    ("location_id", &location),
                    ("stocked", "-3"),
                    ("back", "/admin/inventory"),
                ],
            )
            .await;
        assert!(refused.text().await.unwrap().contains("negative"));
        assert_eq!(level(&app, &token, &item, &location).await.0, 17);

        // Held by SKU from the reservations page, then given back.
        let reserved = app
            .post_form(
                "/api/admin/reservations/create",
                &[
                    ("sku", " COLD-BREW-COFFEE "),
                    ("location_id", &location),
                    ("quantity", "4"),
                    ("description", "Window display"),
                ],
            )
            .await;
        assert_eq!(
            reserved
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok()),
            Some("/admin/reservations")
        );
        assert_eq!(level(&app, &token, &item, &location).await, (17, 4));
        let html = app.page("/admin/reservations").await.text().await.unwrap();
        assert!(html.contains("Window display"), "{html}");
        assert!(html.contains(">Release<"), "{html}");
        let unknown = app
            .post_form(
                "/api/admin/reservations/create",
                &[
                    ("sku", "NO-SUCH"),
                    ("location_id", &location),
                    ("quantity", "1"),
                    ("description", ""),
                ],
            )
            .await;
        assert!(unknown.text().await.unwrap().contains("NO-SUCH"));
        let listed = admin_get(
            &app,
            &token,
            &format!("/admin/reservations?inventory_item_id={item}"),
        )
        .await;
        let id = listed["reservations"][0]["id"].as_str().unwrap().to_owned();
        let released = app
            .post_form("/api/admin/reservations/release", &[("id", &id)])
            .await;
        assert_eq!(
            released
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok()),
            Some("/admin/reservations")
        );
        assert_eq!(level(&app, &token, &item, &location).await, (17, 0));
    })
    .await;
}
