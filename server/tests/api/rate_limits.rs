//! Rate limits: every limited action, through the Store/auth APIs and the
//! storefront's or dashboard's forms, counted per client address and per
//! target; over the limit, 429 with `Retry-After` and a message a person
//! understands. Limits are set small here so a few attempts reach them.

use domain::rate_limits::{Rule, Subject};
use reqwest::{Method, header::LOCATION};
use serde_json::{Value, json};
use server::rate_limit::RateLimitSettings;

use crate::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Options, TestApp, customers::signed_up, spawn_app,
    store_carts::new_cart,
};

/// Runs `test` on every database with the rate limits `tune` sets.
async fn limited(tune: impl Fn(&mut RateLimitSettings), test: impl AsyncFn(TestApp)) {
    for backend in testkit::db_backends() {
        let mut options = Options::on(backend);
        tune(&mut options.settings.rate_limits);
        test(spawn_app(options).await).await;
    }
}

fn limits(raw: &str) -> server::rate_limit::Limits {
    raw.parse().unwrap()
}

/// Asserts a refusal for too many attempts; `what` is named in the message.
async fn assert_refused(response: reqwest::Response, what: &str) {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    assert_eq!(status, 429, "{headers:?} {text}");
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert!(
        text.contains(&format!("Too many {what}")) && text.contains("Please try again in"),
        "{text}"
    );
    if let Ok(body) = serde_json::from_str::<Value>(&text) {
        assert_eq!(body["type"], "too_many_requests", "{body}");
    }
}

async fn assert_let_through(response: reqwest::Response) {
    let status = response.status();
    assert_ne!(status, 429, "{}", response.text().await.unwrap());
}

fn post_json(app: &TestApp, path: &str, body: Value) -> reqwest::RequestBuilder {
    app.client
        .post(app.url(path))
        .header("x-publishable-api-key", &app.publishable_key)
        .json(&body)
}

async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.unwrap()
}

fn credentials(email: &str) -> Value {
    json!({ "email": email, "password": "not the password" })
}

/// A browser's cart with one product in it.
async fn storefront_cart(app: &TestApp) {
    let product = domain::catalog::find_published(&app.db, "sparkling-water")
        .await
        .unwrap();
    let variant_id = product.variants[0].variant.id.as_str();
    let added = app
        .post_form(
            "/api/cart/add",
            &[("variant_id", variant_id), ("quantity", "1")],
        )
        .await;
    assert_eq!(added.status(), 200);
}

#[tokio::test]
async fn customer_sign_ins_are_limited_per_account_and_per_address() {
    limited(
        |l| l.customer_sign_in = limits("4/min,2/min"),
        async |app| {
            let api = "/auth/customer/emailpass";
            assert_let_through(send(post_json(&app, api, credentials("ada@example.com"))).await)
                .await;
            // The storefront's form counts against the same account, however the email is written.
            let form = [
                ("email", " ADA@example.com"),
                ("password", "not the password"),
            ];
            assert_let_through(app.post_form("/api/account/login", &form).await).await;
            assert_refused(
                send(post_json(&app, api, credentials("ada@example.com"))).await,
                "sign-in attempts",
            )
            .await;

            // Other accounts from the same address: the address's limit.
            assert_let_through(send(post_json(&app, api, credentials("bob@example.com"))).await)
                .await;
            let refused = app
                .post_form(
                    "/api/account/login",
                    &[
                        ("email", "cy@example.com"),
                        ("password", "not the password"),
                    ],
                )
                .await;
            assert_refused(refused, "sign-in attempts").await;

            // A browser without JavaScript is sent back to the form, which says so.
            let back = app
                .client
                .post(app.url("/api/account/login"))
                .header("accept", "text/html")
                .header("referer", app.url("/account/login"))
                .form(&[
                    ("email", "di@example.com"),
                    ("password", "not the password"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(back.status(), 302);
            let location = back.headers()[LOCATION].to_str().unwrap().to_owned();
            let page = app.page(location.trim_start_matches(&app.base)).await;
            let html = page.text().await.unwrap();
            assert!(html.contains("Too many sign-in attempts"), "{html}");
        },
    )
    .await;
}

#[tokio::test]
async fn admin_sign_ins_are_limited_even_with_the_right_password() {
    limited(
        |l| l.admin_sign_in = limits("4/min,2/min"),
        async |app| {
            let api = "/auth/user/emailpass";
            assert_let_through(send(post_json(&app, api, credentials(ADMIN_EMAIL))).await).await;
            let wrong = [("email", ADMIN_EMAIL), ("password", "not the password")];
            assert_let_through(app.post_form("/api/admin/login", &wrong).await).await;
            let right = json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD });
            assert_refused(send(post_json(&app, api, right)).await, "sign-in attempts").await;

            assert_let_through(send(post_json(&app, api, credentials("eve@example.com"))).await)
                .await;
            let other = [
                ("email", "mallory@example.com"),
                ("password", "not the password"),
            ];
            assert_refused(
                app.post_form("/api/admin/login", &other).await,
                "sign-in attempts",
            )
            .await;
        },
    )
    .await;
}

#[tokio::test]
async fn sign_ups_are_limited() {
    limited(
        |l| l.registration = limits("3/min,1/min"),
        async |app| {
            let api = "/auth/customer/emailpass/register";
            let first = json!({ "email": "ada@example.com", "password": "long enough" });
            assert_eq!(send(post_json(&app, api, first)).await.status(), 200);
            let again = [
                ("email", "Ada@example.com"),
                ("password", "long enough"),
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
            ];
            assert_refused(
                app.post_form("/api/account/register", &again).await,
                "sign-ups",
            )
            .await;

            let other = [
                ("email", "bob@example.com"),
                ("password", "long enough"),
                ("first_name", "Bob"),
                ("last_name", "B"),
            ];
            assert_let_through(app.post_form("/api/account/register", &other).await).await;
            let third = json!({ "email": "cy@example.com", "password": "long enough" });
            assert_refused(send(post_json(&app, api, third)).await, "sign-ups").await;
        },
    )
    .await;
}

#[tokio::test]
async fn password_reset_requests_are_limited() {
    limited(
        |l| l.password_reset = limits("3/min,1/min"),
        async |app| {
            let api = "/auth/customer/emailpass/reset-password";
            let ada = json!({ "identifier": "ada@example.com" });
            assert_eq!(send(post_json(&app, api, ada)).await.status(), 201);
            let again = [("email", "ADA@example.com")];
            assert_refused(
                app.post_form("/api/account/forgot-password", &again).await,
                "password reset requests",
            )
            .await;

            let bob = [("email", "bob@example.com")];
            assert_let_through(app.post_form("/api/account/forgot-password", &bob).await).await;
            let cy = json!({ "identifier": "cy@example.com" });
            assert_refused(
                send(post_json(&app, api, cy)).await,
                "password reset requests",
            )
            .await;
        },
    )
    .await;
}

#[tokio::test]
async fn loyalty_look_ups_are_limited_per_phone_and_per_address() {
    limited(
        |l| l.loyalty_identify = limits("3/min,1/min"),
        async |app| {
            let cart = new_cart(&app, json!({})).await;
            let cart_id = cart["id"].as_str().unwrap();
            let api = "/store/loyalty/identify";
            let member = json!({ "cart_id": cart_id, "phone": "+1 555 010 0001" });
            assert_eq!(send(post_json(&app, api, member)).await.status(), 200);
            // The same number, written otherwise.
            let same = json!({ "cart_id": cart_id, "phone": "15550100001" });
            assert_refused(send(post_json(&app, api, same)).await, "loyalty look-ups").await;

            storefront_cart(&app).await;
            let other = [("phone", "+1 555 010 0002")];
            assert_let_through(app.post_form("/api/loyalty/identify", &other).await).await;
            let third = [("phone", "+1 555 010 0003")];
            assert_refused(
                app.post_form("/api/loyalty/identify", &third).await,
                "loyalty look-ups",
            )
            .await;
        },
    )
    .await;
}

#[tokio::test]
async fn promotion_codes_are_limited_per_cart_and_per_address() {
    limited(
        |l| l.promotion_code = limits("4/min,2/min"),
        async |app| {
            let cart = new_cart(&app, json!({})).await;
            let id = cart["id"].as_str().unwrap();
            let promotions = format!("/store/carts/{id}/promotions");
            let guess = |code: &str| json!({ "promo_codes": [code] });
            assert_let_through(send(post_json(&app, &promotions, guess("GUESS1"))).await).await;
            // Codes given with a cart update count against the same cart.
            let update = format!("/store/carts/{id}");
            assert_let_through(send(post_json(&app, &update, guess("GUESS2"))).await).await;
            assert_refused(
                send(post_json(&app, &promotions, guess("WELCOME10"))).await,
                "promotion code attempts",
            )
            .await;

            // A new cart with codes, then the storefront's form: the address's limit.
            let created = send(post_json(&app, "/store/carts", guess("GUESS3"))).await;
            assert_let_through(created).await;
            storefront_cart(&app).await;
            assert_refused(
                app.post_form("/api/cart/promo/apply", &[("code", "welcome10")])
                    .await,
                "promotion code attempts",
            )
            .await;
        },
    )
    .await;
}

#[tokio::test]
async fn machine_openings_are_limited_per_shopper_and_per_address() {
    limited(
        |l| l.machine_opening = limits("3/min,1/min"),
        async |app| {
            let token = signed_up(&app, "ada@example.com").await;
            let open = |path: &str| {
                app.client
                    .request(Method::POST, app.url(path))
                    .header("x-publishable-api-key", &app.publishable_key)
                    .bearer_auth(&token)
            };
            // Not a machine of this store: refused by the store, but counted.
            assert_let_through(send(open("/store/vending/machines/vm-x/sessions")).await).await;
            assert_refused(
                send(open("/store/vending/machines/vm-x/returns")).await,
                "machine openings",
            )
            .await;

            // Another shopper, signed in to the storefront.
            signed_up(&app, "bob@example.com").await;
            let signed_in = app
                .post_form(
                    "/api/account/login",
                    &[("email", "bob@example.com"), ("password", "long enough")],
                )
                .await;
            assert_eq!(signed_in.headers()[LOCATION], "/account");
            let machine = [("machine_id", "vm-x")];
            assert_let_through(app.post_form("/api/machines/open", &machine).await).await;
            assert_refused(
                app.post_form("/api/machines/return", &machine).await,
                "machine openings",
            )
            .await;
        },
    )
    .await;
}

#[tokio::test]
async fn server_instances_share_the_counts_through_redis() {
    let Some(redis_url) = testkit::redis_url() else {
        return;
    };
    let options = || {
        let mut options = Options::on(testkit::DbBackend::Sqlite);
        options.redis_url = Some(redis_url.clone());
        options.settings.rate_limits.customer_sign_in = limits("100/min,3/min");
        options
    };
    let first = options();
    let prefix = first.settings.rate_limits.prefix.clone();
    let mut second = options();
    second.settings.rate_limits.prefix = prefix.clone();
    let (first, second) = (spawn_app(first).await, spawn_app(second).await);

    let api = "/auth/customer/emailpass";
    for app in [&first, &second, &first] {
        assert_let_through(send(post_json(app, api, credentials("ada@example.com"))).await).await;
    }
    assert_refused(
        send(post_json(&second, api, credentials("ada@example.com"))).await,
        "sign-in attempts",
    )
    .await;

    // Kept under the prefix, by a digest of the email rather than the email.
    use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, KeysInterface, Pool};
    let redis = Pool::new(Config::from_url(&redis_url).unwrap(), None, None, None, 1).unwrap();
    redis.init().await.unwrap();
    let digest = Subject::Target("ada@example.com").key(Rule::CustomerSignIn);
    let key = format!("{prefix}:customer_sign_in:target:{digest}");
    let exists: i64 = redis.exists(key.as_str()).await.unwrap();
    assert_eq!(exists, 1, "{key}");
}
