//! Admin API authentication: bearer tokens from `/auth/user/emailpass` or the
//! dashboard's session, and nothing a customer holds.

use reqwest::Method;
use serde_json::json;

use crate::{ADMIN_EMAIL, on_every_db, send_json};

#[tokio::test]
async fn admin_routes_need_an_admin_user() {
    on_every_db(async |app| {
        let (status, body) = send_json(app.client.get(app.url("/admin/users/me"))).await;
        assert_eq!(
            (status, body["type"].as_str()),
            (401, Some("unauthorized")),
            "{body}"
        );

        let wrong = json!({ "email": ADMIN_EMAIL, "password": "not the password" });
        let (status, body) = send_json(
            app.client
                .post(app.url("/auth/user/emailpass"))
                .json(&wrong),
        )
        .await;
        assert_eq!(status, 401, "{body}");

        let token = app.admin_token().await;
        let (status, body) = send_json(app.admin(Method::GET, "/admin/users/me", &token)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["user"]["email"], ADMIN_EMAIL);

        let (status, _) = send_json(app.admin(Method::GET, "/admin/users/me", "not-a-token")).await;
        assert_eq!(status, 401);

        // A customer's token opens no admin route.
        let customer = json!({ "email": "shopper@example.com", "password": "long enough" });
        let (_, body) = send_json(
            app.client
                .post(app.url("/auth/customer/emailpass/register"))
                .json(&customer),
        )
        .await;
        let (status, _) = send_json(app.admin(
            Method::GET,
            "/admin/users/me",
            body["token"].as_str().unwrap(),
        ))
        .await;
        assert_eq!(status, 401);
    })
    .await;
}

#[tokio::test]
async fn the_dashboard_session_opens_the_admin_api() {
    on_every_db(async |app| {
        app.sign_in().await;
        let (status, body) = send_json(app.client.get(app.url("/admin/users/me"))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["user"]["email"], ADMIN_EMAIL);
    })
    .await;
}
