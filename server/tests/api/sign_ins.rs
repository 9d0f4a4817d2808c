//! Sessions and tokens: ending every sign-in of an account (sign out
//! everywhere, a new password), admins' maximum sign-in age, web sessions'
//! absolute lifetime, the `Secure` cookie behind HTTPS, and Medusa's guests
//! with a stale token.

use std::time::Duration;

use reqwest::{
    Method,
    header::{LOCATION, SET_COOKIE},
};
use serde_json::{Value, json};
use server::http::auth::{ACTOR_USER, AppMetadata, Claims, JwtKeys};
use testkit::{DbBackend, smtp::SmtpRecorder};

use crate::{
    ADMIN_EMAIL, Options, TestApp,
    customers::{PASSWORD, post_auth, signed_up, store},
    eventually, on_every_db,
    password_reset::{reset_link, token_of},
    send_json, spawn_app,
};

const SECRET: &str = "a configured secret of at least 32 bytes";

/// The status of `GET /store/customers/me` with `token`, or with `browser`'s session cookie.
async fn customer_me(app: &TestApp, browser: &reqwest::Client, token: Option<&str>) -> u16 {
    let mut request = browser
        .get(app.url("/store/customers/me"))
        .header("x-publishable-api-key", &app.publishable_key);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

/// The status of `GET /admin/users/me` with `token`, or with `browser`'s session cookie.
async fn admin_me(app: &TestApp, browser: &reqwest::Client, token: Option<&str>) -> u16 {
    let mut request = browser.get(app.url("/admin/users/me"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

/// A new browser signed in with `token` through `POST /auth/session`.
async fn browser_signed_in_with(app: &TestApp, token: &str) -> reqwest::Client {
    let browser = app.browser();
    let response = browser
        .post(app.url("/auth/session"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    browser
}

async fn customer_token(app: &TestApp, email: &str, password: &str) -> String {
    let (status, body) = post_auth(app, "/auth/customer/emailpass", email, password).await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// Where `browser` is sent for `path` (`None`: the page itself).
async fn sent_from(app: &TestApp, browser: &reqwest::Client, path: &str) -> Option<String> {
    let response = browser
        .get(app.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    response
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_customer_signing_out_everywhere_ends_every_token_and_web_session() {
    on_every_db(async |app| {
        let email = "everywhere@example.com";
        let first = signed_up(&app, email).await;
        let second = customer_token(&app, email, PASSWORD).await;
        let laptop = browser_signed_in_with(&app, &first).await;
        assert_eq!(customer_me(&app, &laptop, None).await, 200);
        assert_eq!(sent_from(&app, &laptop, "/account").await, None);
        let someone_else = signed_up(&app, "bystander@example.com").await;

        let (status, body) = send_json(store(
            &app,
            Method::POST,
            "/store/customers/me/sign-out-everywhere",
            Some(&second),
        ))
        .await;
        assert_eq!((status, &body), (200, &json!({ "success": true })));

        for token in [&first, &second] {
            assert_eq!(customer_me(&app, &app.client, Some(token)).await, 401);
        }
        assert_eq!(
            customer_me(&app, &laptop, None).await,
            401,
            "the web session ended"
        );
        assert_eq!(
            sent_from(&app, &laptop, "/account").await.as_deref(),
            Some("/account/login")
        );
        assert_eq!(
            customer_me(&app, &app.client, Some(&someone_else)).await,
            200,
            "another customer stays signed in"
        );
        // Signing in again works, and the account page's button ends that too.
        let again = customer_token(&app, email, PASSWORD).await;
        assert_eq!(customer_me(&app, &app.client, Some(&again)).await, 200);
        let desktop = app.browser();
        let signed_in = desktop
            .post(app.url("/api/account/login"))
            .form(&[("email", email), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.headers()[LOCATION], "/account");
        let account = desktop.get(app.url("/account")).send().await.unwrap();
        assert!(
            account
                .text()
                .await
                .unwrap()
                .contains("Sign out everywhere"),
            "the account page offers it"
        );
        let out = desktop
            .post(app.url("/api/account/sign-out-everywhere"))
            .send()
            .await
            .unwrap();
        assert_eq!(out.headers()[LOCATION], "/account/login");
        assert_eq!(customer_me(&app, &app.client, Some(&again)).await, 401);
        assert_eq!(customer_me(&app, &desktop, None).await, 401);
    })
    .await;
}

#[tokio::test]
async fn an_admin_signing_out_everywhere_ends_every_token_and_dashboard_session() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        app.sign_in().await;
        assert_eq!(admin_me(&app, &app.client, None).await, 200);
        let dashboard = app.page("/admin/devices").await.text().await.unwrap();
        assert!(
            dashboard.contains("Sign out everywhere"),
            "the dashboard offers it"
        );

        let ended = app
            .admin(Method::POST, "/admin/users/me/sign-out-everywhere", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(ended.status(), 200);
        assert_eq!(admin_me(&app, &app.client, Some(&token)).await, 401);
        assert_eq!(
            admin_me(&app, &app.client, None).await,
            401,
            "the session ended"
        );
        assert_eq!(
            sent_from(&app, &app.client, "/admin/devices")
                .await
                .as_deref(),
            Some("/admin/login?next=/admin/devices")
        );

        // The dashboard's button ends the tokens issued since.
        let token = app.admin_token().await;
        app.sign_in().await;
        let out = app
            .client
            .post(app.url("/api/admin/sign-out-everywhere"))
            .send()
            .await
            .unwrap();
        assert_eq!(out.headers()[LOCATION], "/admin/login");
        assert_eq!(admin_me(&app, &app.client, Some(&token)).await, 401);
        assert_eq!(admin_me(&app, &app.client, None).await, 401);
    })
    .await;
}

#[tokio::test]
async fn a_new_password_ends_the_earlier_sign_ins() {
    for backend in testkit::db_backends() {
        let smtp = SmtpRecorder::start().await;
        let app = spawn_app(Options {
            smtp_url: Some(smtp.url()),
            ..Options::on(backend)
        })
        .await;
        let email = "reset@example.com";
        let token = signed_up(&app, email).await;
        let laptop = browser_signed_in_with(&app, &token).await;
        let status = app
            .client
            .post(app.url("/auth/customer/emailpass/reset-password"))
            .json(&json!({ "identifier": email }))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 201);
        let reset = token_of(&reset_link(&smtp, email, 1).await);
        assert_eq!(
            customer_me(&app, &laptop, None).await,
            200,
            "not before the reset"
        );
        let (status, body) = send_json(
            app.client
                .post(app.url(&format!("/auth/customer/emailpass/update?token={reset}")))
                .json(&json!({ "email": email, "password": "a brand new secret" })),
        )
        .await;
        assert_eq!(status, 200, "{body}");

        assert_eq!(customer_me(&app, &app.client, Some(&token)).await, 401);
        assert_eq!(customer_me(&app, &laptop, None).await, 401);
        let fresh = customer_token(&app, email, "a brand new secret").await;
        assert_eq!(customer_me(&app, &app.client, Some(&fresh)).await, 200);

        // An admin's new password (`automat user`) ends the admin's sign-ins.
        let admin = app.admin_token().await;
        app.sign_in().await;
        domain::admin_users::upsert(
            &app.db,
            &domain::admin_users::Email::parse(ADMIN_EMAIL).unwrap(),
            &domain::admin_users::Password::parse("another admin password").unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(admin_me(&app, &app.client, Some(&admin)).await, 401);
        assert_eq!(admin_me(&app, &app.client, None).await, 401);
    }
}

/// An admin's claims, signed in `signed_in_ago` seconds ago.
fn admin_claims(admin_id: &str, signed_in_ago: i64) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        actor_id: admin_id.to_owned(),
        actor_type: ACTOR_USER.to_owned(),
        auth_identity_id: admin_id.to_owned(),
        app_metadata: AppMetadata::default(),
        iat: now - 5,
        exp: now + 3600,
        generation: 0,
        auth_time: Some(now - signed_in_ago),
    }
}

async fn refresh(app: &TestApp, token: &str) -> (u16, Value) {
    send_json(
        app.client
            .post(app.url("/auth/token/refresh"))
            .bearer_auth(token),
    )
    .await
}

#[tokio::test]
async fn admin_sign_ins_have_a_maximum_age_that_refreshing_does_not_extend() {
    for backend in testkit::db_backends() {
        let mut options = Options::on(backend);
        options.jwt_secret = Some(SECRET.into());
        options.settings.admin_sign_in_max_age_secs = 3600;
        let app = spawn_app(options).await;
        let keys = JwtKeys::new(SECRET);
        let now = chrono::Utc::now().timestamp();

        let token = app.admin_token().await;
        let claims = keys.verify(&token).unwrap();
        assert!(
            claims.exp <= now + 3600 + 5,
            "a token lasts no longer than the sign-in"
        );
        let admin_id = claims.actor_id;

        // Near the end of the sign-in, a refresh reaches no further.
        let late = admin_claims(&admin_id, 3500);
        let signed_in = late.auth_time.unwrap();
        let late = keys.encode(&late);
        assert_eq!(admin_me(&app, &app.client, Some(&late)).await, 200);
        let (status, body) = refresh(&app, &late).await;
        assert_eq!(status, 200, "{body}");
        let refreshed = keys.verify(body["token"].as_str().unwrap()).unwrap();
        assert_eq!(refreshed.auth_time, Some(signed_in));
        assert_eq!(refreshed.exp, signed_in + 3600, "{refreshed:?}");

        // Past it, the token is refused, and so is its refresh.
        let old = keys.encode(&admin_claims(&admin_id, 3601));
        assert_eq!(admin_me(&app, &app.client, Some(&old)).await, 401);
        let (status, body) = refresh(&app, &old).await;
        assert_eq!(status, 401, "{body}");
    }
}

#[tokio::test]
async fn an_admin_dashboard_session_ends_at_the_maximum_sign_in_age() {
    let mut options = Options::on(DbBackend::Sqlite);
    options.settings.admin_sign_in_max_age_secs = 2;
    let app = spawn_app(options).await;
    app.sign_in().await;
    assert_eq!(sent_from(&app, &app.client, "/admin/devices").await, None);
    eventually(
        Duration::from_secs(10),
        "the admin's session ends",
        async || {
            sent_from(&app, &app.client, "/admin/devices")
                .await
                .is_some()
        },
    )
    .await;
    assert_eq!(admin_me(&app, &app.client, None).await, 401);
}

#[tokio::test]
async fn a_web_session_ends_at_its_absolute_lifetime_however_busy() {
    let mut backends: Vec<(DbBackend, Option<String>)> = testkit::db_backends()
        .into_iter()
        .map(|backend| (backend, None))
        .collect();
    if let Some(redis) = testkit::redis_url() {
        backends.push((DbBackend::Sqlite, Some(redis)));
    }
    for (backend, redis_url) in backends {
        let mut options = Options::on(backend);
        options.redis_url = redis_url;
        options.settings.session_max_age_secs = 3;
        let app = spawn_app(options).await;
        let browser = app.browser();
        let registered = browser
            .post(app.url("/api/account/register"))
            .form(&[
                ("email", "busy@example.com"),
                ("password", PASSWORD),
                ("first_name", ""),
                ("last_name", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(registered.headers()[LOCATION], "/account");
        let began = std::time::Instant::now();
        // Busy all along, yet signed out once the lifetime is over.
        eventually(Duration::from_secs(10), "the session ends", async || {
            let out = customer_me(&app, &browser, None).await == 401;
            assert!(
                out || began.elapsed() < Duration::from_secs(4),
                "still signed in after {:?}",
                began.elapsed()
            );
            out
        })
        .await;
        assert!(
            began.elapsed() >= Duration::from_secs(2),
            "not before its time: {:?}",
            began.elapsed()
        );
    }
}

/// The session cookie a sign-in sets.
async fn session_cookie(app: &TestApp) -> String {
    let response = app.sign_in().await;
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("automat_session="))
        .expect("a session cookie")
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_the_store_is_served_over_https() {
    let plain = spawn_app(Options::on(DbBackend::Sqlite)).await;
    let cookie = session_cookie(&plain).await;
    assert!(!cookie.contains("Secure"), "{cookie}");

    let mut options = Options::on(DbBackend::Sqlite);
    options.settings.public_url = Some("https://shop.example.com".into());
    let https = spawn_app(options).await;
    let cookie = session_cookie(&https).await;
    assert!(cookie.contains("; Secure"), "{cookie}");
}

/// Creates a cart with `token`; the status and the cart's customer.
async fn new_cart_with(app: &TestApp, token: &str) -> (u16, Value) {
    let (status, body) =
        send_json(store(app, Method::POST, "/store/carts", Some(token)).json(&json!({}))).await;
    (status, body["cart"]["customer_id"].clone())
}

#[tokio::test]
async fn a_stale_token_shops_as_a_guest_where_sign_in_is_optional() {
    for backend in testkit::db_backends() {
        let mut options = Options::on(backend);
        options.jwt_secret = Some(SECRET.into());
        let app = spawn_app(options).await;
        let token = signed_up(&app, "stale@example.com").await;
        let mut expired = JwtKeys::new(SECRET).verify(&token).unwrap();
        expired.exp = chrono::Utc::now().timestamp() - 60;
        let expired = JwtKeys::new(SECRET).encode(&expired);
        let forged = JwtKeys::new("another secret of at least 32 bytes")
            .encode(&JwtKeys::new(SECRET).verify(&token).unwrap());

        let (status, customer) = new_cart_with(&app, &token).await;
        assert_eq!(status, 200);
        assert!(customer.as_str().unwrap().starts_with("cus_"), "{customer}");

        let ended = customer_token(&app, "stale@example.com", PASSWORD).await;
        let (status, _) = send_json(store(
            &app,
            Method::POST,
            "/store/customers/me/sign-out-everywhere",
            Some(&ended),
        ))
        .await;
        assert_eq!(status, 200);
        for stale in [
            expired.as_str(),
            forged.as_str(),
            "not.a.jwt",
            ended.as_str(),
        ] {
            assert_eq!(
                new_cart_with(&app, stale).await,
                (200, Value::Null),
                "a guest's cart with {stale}"
            );
            let (status, body) = send_json(store(
                &app,
                Method::GET,
                "/store/products?limit=1",
                Some(stale),
            ))
            .await;
            assert_eq!(status, 200, "{body}");
            // Where a customer is needed, the token is still refused.
            assert_eq!(customer_me(&app, &app.client, Some(stale)).await, 401);
        }
    }
}
