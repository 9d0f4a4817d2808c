//! Browser-side protections: writes riding on the session cookie only from
//! the store's own pages, the security headers, and `next=` after sign-in
//! only to this site.

use reqwest::header::{LOCATION, ORIGIN};
use serde_json::{Value, json};
use testkit::DbBackend;

use crate::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Options, TestApp,
    admin_orders::add_to_cart,
    customers::{PASSWORD, signed_up},
    on_every_db, spawn_app,
};

const EVIL: &str = "https://evil.example";

/// A browser that sends no `Origin` of its own: each request says where it is from.
fn bare_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn admin_signed_in(app: &TestApp, browser: &reqwest::Client) {
    let response = browser
        .post(app.url("/api/admin/login"))
        .header(ORIGIN, EVIL)
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()[LOCATION],
        "/admin/devices",
        "without a session cookie there is nothing to forge: signing in is not refused"
    );
}

/// How many products the Admin API lists.
async fn products(app: &TestApp) -> u64 {
    let token = app.admin_token().await;
    let (_, body) = send(app.admin(reqwest::Method::GET, "/admin/products?limit=1", &token)).await;
    body["count"].as_u64().unwrap()
}

fn assert_refused((status, body): (u16, Value)) {
    assert_eq!(status, 403, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("came from") && message.contains("store's own pages"),
        "{body}"
    );
}

/// The status and JSON body (`null` when there is none) of a request.
async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_admin_action_from_another_site_is_refused() {
    on_every_db(async |app| {
        let browser = bare_browser();
        admin_signed_in(&app, &browser).await;
        let before = products(&app).await;
        let attempts = std::sync::atomic::AtomicUsize::new(0);
        let create = |from: Option<(&'static str, String)>| {
            let n = attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let product = json!({
                "title": format!("Forged {n}"),
                "variants": [{ "prices": [{ "currency_code": "eur", "amount": 1 }] }]
            });
            let request = browser.post(app.url("/admin/products")).json(&product);
            match from {
                Some((header, value)) => request.header(header, value),
                None => request,
            }
        };

        // An Admin API write, a body-less Admin API POST and a dashboard form post.
        assert_refused(send(create(Some(("origin", EVIL.into())))).await);
        assert_refused(
            send(
                browser
                    .post(app.url("/admin/users/me/sign-out-everywhere"))
                    .header(ORIGIN, EVIL),
            )
            .await,
        );
        assert_refused(
            send(
                browser
                    .post(app.url("/api/admin/logout"))
                    .header(ORIGIN, EVIL),
            )
            .await,
        );
        // Without Origin, the Referer tells; with neither, it is refused too.
        assert_refused(send(create(Some(("referer", format!("{EVIL}/shop"))))).await);
        assert_refused(send(create(None)).await);
        assert_refused(send(create(Some(("origin", "null".into())))).await);
        assert_eq!(products(&app).await, before, "nothing was created");
        let page = browser.get(app.url("/admin/devices")).send().await.unwrap();
        assert_eq!(page.status(), 200, "still signed in");

        // From the store's own pages (its address, or the public URL) it works.
        let (status, body) = send(create(Some(("origin", app.base.clone())))).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = send(create(Some((
            "referer",
            format!("{}/admin/products", app.base),
        ))))
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = send(create(Some(("origin", "http://shop.example.com".into())))).await;
        assert_eq!(status, 200, "{body}");
        let out = browser
            .post(app.url("/api/admin/logout"))
            .header(ORIGIN, &app.base)
            .send()
            .await
            .unwrap();
        assert_eq!(out.headers()[LOCATION], "/admin/login");
    })
    .await;
}

/// How many units the shopper (`app.client`) has in the cart.
async fn cart_quantity(app: &TestApp) -> i64 {
    crate::checkout::cart(app).await["lines"]
        .as_array()
        .map(|lines| lines.iter().map(|l| l["quantity"].as_i64().unwrap()).sum())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_shopper_action_from_another_site_is_refused() {
    on_every_db(async |app| {
        let shopper = &app.client;
        add_to_cart(&app, shopper, "sparkling-water", 1).await;
        let variant = {
            let (_, product) = crate::get_json(
                &app,
                "/store/products/sparkling-water",
                Some(&app.publishable_key),
            )
            .await;
            product["product"]["variants"][0]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let forged = shopper
            .post(app.url("/api/cart/add"))
            .header(ORIGIN, EVIL)
            .form(&[("variant_id", variant.as_str()), ("quantity", "5")]);
        assert_refused(send(forged).await);
        assert_eq!(cart_quantity(&app).await, 1, "the cart is unchanged");
        add_to_cart(&app, shopper, "sparkling-water", 2).await;
        assert_eq!(
            cart_quantity(&app).await,
            3,
            "from the store's pages it works"
        );

        // A request with a bearer token is not the cookie's: not refused.
        let token = signed_up(&app, "bearer@example.com").await;
        let cart = shopper
            .post(app.url("/store/carts"))
            .header("x-publishable-api-key", &app.publishable_key)
            .header(ORIGIN, EVIL)
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(cart.status(), 200);
        // Nor one without the cookie (a first visit, signing in).
        let stranger = bare_browser();
        let login = stranger
            .post(app.url("/api/account/login"))
            .header(ORIGIN, EVIL)
            .form(&[("email", "bearer@example.com"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(login.headers()[LOCATION], "/account");
    })
    .await;
}

/// The nonce of a page's content security policy.
fn nonce_of(policy: &str) -> String {
    let start = policy.find("'nonce-").expect("a nonce") + "'nonce-".len();
    policy[start..].split('\'').next().unwrap().to_owned()
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app(Options::on(DbBackend::Sqlite)).await;
    let page = app.page("/").await;
    let headers = page.headers().clone();
    let policy = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in [
        "default-src 'self'",
        "'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(policy.contains("script-src 'self' 'nonce-"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let nonce = nonce_of(&policy);
    let html = page.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0, "the page hydrates with an inline script");
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every inline script carries the page's nonce: {html}"
    );
    assert_ne!(
        nonce_of(
            app.page("/").await.headers()["content-security-policy"]
                .to_str()
                .unwrap()
        ),
        nonce,
        "a fresh nonce per page"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers.get("strict-transport-security").is_none(),
        "not over plain HTTP"
    );

    // The APIs too, with the policy that allows no inline script.
    for path in ["/store/products?limit=1", "/health", "/api/account/me"] {
        let response = app
            .client
            .get(app.url(path))
            .header("x-publishable-api-key", &app.publishable_key)
            .send()
            .await
            .unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(
            policy.contains("frame-ancestors 'none'") && !policy.contains("nonce"),
            "{path}: {policy}"
        );
    }

    let mut options = Options::on(DbBackend::Sqlite);
    options.settings.public_url = Some("https://shop.example.com".into());
    let https = spawn_app(options).await;
    let page = https.page("/").await;
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=63072000"
    );
}

/// Where a sign-in with `next` sends the browser.
async fn after_sign_in(
    app: &TestApp,
    path: &str,
    email: &str,
    password: &str,
    next: &str,
) -> String {
    let response = app
        .browser()
        .post(app.url(path))
        .form(&[("email", email), ("password", password), ("next", next)])
        .send()
        .await
        .unwrap();
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn after_sign_in_next_leads_only_to_this_site() {
    on_every_db(async |app| {
        signed_up(&app, "next@example.com").await;
        let foreign = [
            "/\t/evil.example",
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/\n/evil.example",
        ];
        for next in foreign {
            assert_eq!(
                after_sign_in(
                    &app,
                    "/api/account/login",
                    "next@example.com",
                    PASSWORD,
                    next
                )
                .await,
                "/account",
                "{next:?}"
            );
            assert_eq!(
                after_sign_in(&app, "/api/admin/login", ADMIN_EMAIL, ADMIN_PASSWORD, next).await,
                "/admin/devices",
                "{next:?}"
            );
        }
        assert_eq!(
            after_sign_in(
                &app,
                "/api/account/login",
                "next@example.com",
                PASSWORD,
                "/machines/vm-001"
            )
            .await,
            "/machines/vm-001"
        );
        assert_eq!(
            after_sign_in(
                &app,
                "/api/admin/login",
                ADMIN_EMAIL,
                ADMIN_PASSWORD,
                "/admin/orders"
            )
            .await,
            "/admin/orders"
        );
        // The login page hands a page's `next` on.
        let login = app
            .page("/admin/login?next=/admin/alerts")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            login.contains(r#"name="next" value="/admin/alerts""#),
            "{login}"
        );
    })
    .await;
}
