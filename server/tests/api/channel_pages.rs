//! The sales channels, stock locations and publishable keys pages: listed,
//! added and removed with plain forms, on the Admin API's own paths.

use reqwest::{Method, header::LOCATION};

use crate::{TestApp, admin_json, on_every_db};

async fn html(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    client
        .get(app.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn submit(app: &TestApp, path: &str, form: &[(&str, &str)], back_to: &str) {
    let answer = app.post_form(path, form).await;
    assert_eq!(
        answer.headers().get(LOCATION).map(|l| l.to_str().unwrap()),
        Some(back_to),
        "{path} {form:?}: {}",
        answer.status()
    );
}

#[tokio::test]
async fn an_operator_adds_and_removes_channels_locations_and_keys_without_javascript() {
    on_every_db(async |app| {
        assert!(
            !html(&app, &app.browser(), "/admin/sales-channels")
                .await
                .contains("channel-row")
        );
        app.sign_in().await;
        let token = app.admin_token().await;
        let create = "/api/admin/channels/create";
        let remove = "/api/admin/channels/remove";

        submit(
            &app,
            create,
            &[
                ("kind", "SalesChannels"),
                ("name", "Lobby kiosk"),
                ("detail", "Ground floor"),
            ],
            "/admin/sales-channels",
        )
        .await;
        let page = html(&app, &app.client, "/admin/sales-channels").await;
        assert!(
            page.contains("Lobby kiosk") && page.contains("Ground floor"),
            "{page}"
        );
        let refused = app
            .post_form(
                create,
                &[("kind", "SalesChannels"), ("name", "  "), ("detail", "")],
            )
            .await;
        assert_ne!(refused.status(), 200, "a channel needs a name");
        let (_, channels) = admin_json(
            &app,
            &token,
            Method::GET,
            "/admin/sales-channels?q=Lobby",
            None,
        )
        .await;
        let channel = channels["sales_channels"][0]["id"]
            .as_str()
            .expect("the new channel")
            .to_owned();

        submit(
            &app,
            create,
            &[
                ("kind", "StockLocations"),
                ("name", "Lobby fridge"),
                ("detail", "Main street 1"),
                ("channel_id", &channel),
            ],
            "/admin/stock-locations",
        )
        .await;
        let page = html(&app, &app.client, "/admin/stock-locations").await;
        let row = page
            .split(r#"data-testid="channel-row""#)
            .find(|r| r.contains("Lobby fridge"))
            .expect("the new location's row");
        assert!(
            row.contains("Main street 1") && row.contains("Lobby kiosk"),
            "{row}"
        );

        submit(
            &app,
            create,
            &[
                ("kind", "ApiKeys"),
                ("name", "Kiosk tablet"),
                ("channel_id", &channel),
            ],
            "/admin/api-keys",
        )
        .await;
        let page = html(&app, &app.client, "/admin/api-keys").await;
        let row = page
            .split(r#"data-testid="channel-row""#)
            .find(|r| r.contains("Kiosk tablet"))
            .expect("the new key's row")
            .to_owned();
        assert!(row.contains("Lobby kiosk"), "{row}");
        let key_token = row
            .split("<code>pk_")
            .nth(1)
            .map(|t| format!("pk_{}", t.split('<').next().unwrap()))
            .expect("the token is shown");
        let key_id = row
            .split(r#"name="id" value=""#)
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_owned();
        let works = app
            .client
            .get(app.url("/store/regions"))
            .header("x-publishable-api-key", &key_token)
            .send()
            .await
            .unwrap();
        assert_eq!(works.status(), 200);

        submit(
            &app,
            remove,
            &[("kind", "ApiKeys"), ("id", &key_id)],
            "/admin/api-keys",
        )
        .await;
        let page = html(&app, &app.client, "/admin/api-keys").await;
        let row = page
            .split(r#"data-testid="channel-row""#)
            .find(|r| r.contains("Kiosk tablet"))
            .expect("a revoked key stays listed")
            .to_owned();
        assert!(row.contains("revoked"), "{row}");
        let refused = app
            .client
            .get(app.url("/store/regions"))
            .header("x-publishable-api-key", &key_token)
            .send()
            .await
            .unwrap();
        assert!(
            refused.status().is_client_error(),
            "a revoked key opens nothing: {}",
            refused.status()
        );
        submit(
            &app,
            remove,
            &[("kind", "ApiKeys"), ("id", &key_id)],
            "/admin/api-keys",
        )
        .await;
        assert!(
            !html(&app, &app.client, "/admin/api-keys")
                .await
                .contains("Kiosk tablet"),
            "deleted once revoked"
        );

        submit(
            &app,
            remove,
            &[("kind", "SalesChannels"), ("id", &channel)],
            "/admin/sales-channels",
        )
        .await;
        assert!(
            !html(&app, &app.client, "/admin/sales-channels")
                .await
                .contains("Lobby kiosk")
        );
        // The Admin API still answers JSON on the same paths.
        let (status, listed) =
            admin_json(&app, &token, Method::GET, "/admin/stock-locations", None).await;
        assert_eq!(status, 200, "{listed}");
        assert!(listed["stock_locations"].is_array());
    })
    .await;
}

#[tokio::test]
async fn names_addresses_and_titles_are_checked_on_the_server() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let long = "x".repeat(201);
        for (path, body, expected) in [
            ("/admin/sales-channels", serde_json::json!({ "name": long }), "too long"),
            (
                "/admin/sales-channels",
                serde_json::json!({ "name": "Lobby", "description": "d".repeat(1001) }),
                "too long",
            ),
            ("/admin/stock-locations", serde_json::json!({ "name": long }), "too long"),
            (
                "/admin/stock-locations",
                serde_json::json!({ "name": "Depot", "address": { "country_code": "deu" } }),
                "country code",
            ),
            (
                "/admin/stock-locations",
                serde_json::json!({ "name": "Depot", "address": { "address_1": "a".repeat(501) } }),
                "too long",
            ),
            (
                "/admin/api-keys",
                serde_json::json!({ "title": long, "type": "publishable" }),
                "too long",
            ),
        ] {
            let (status, refused) = admin_json(&app, &token, Method::POST, path, Some(body)).await;
            assert_eq!(status, 400, "{path}: {refused}");
            assert!(
                refused["message"].as_str().unwrap_or_default().contains(expected),
                "{path} {expected}: {refused}"
            );
        }
        let (status, depot) = admin_json(
            &app,
            &token,
            Method::POST,
            "/admin/stock-locations",
            Some(serde_json::json!({ "name": " Depot ", "address": { "country_code": "DE", "city": "  " } })),
        )
        .await;
        assert_eq!(status, 200, "{depot}");
        let depot = &depot["stock_location"];
        assert_eq!(
            (&depot["name"], &depot["address"]["country_code"], &depot["address"]["city"]),
            (&serde_json::json!("Depot"), &serde_json::json!("de"), &serde_json::Value::Null),
            "trimmed, lowercase, blank is absent: {depot}"
        );
    })
    .await;
}
