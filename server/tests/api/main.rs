//! HTTP and MQTT tests against the whole server, started on port 0.

mod admin_api;
mod admin_auth;
mod admin_catalog;
mod admin_customers;
mod admin_orders;
mod admin_products_pages;
mod admin_promotions;
mod admin_roles;
mod alerts;
mod browser_protections;
mod cart;
mod channel_pages;
mod checkout;
mod customer_groups;
mod customers;
mod device_channel;
mod device_credentials;
mod devices;
mod first_start;
mod fleet;
mod health;
mod idempotency;
mod inventory_admin;
mod list_limits;
mod log_capture;
mod loyalty;
mod loyalty_client;
mod loyalty_pages;
mod loyalty_verification;
mod machine_pages;
mod metrics;
mod notifications;
mod openapi;
mod order_emails;
mod order_fulfilment;
mod order_history;
mod overview;
mod password_flood;
mod password_reset;
mod payment_admin;
mod payments_finix;
mod payments_stripe;
mod payments_stripe_storefront;
mod product_options;
mod rate_limits;
mod read_cache;
mod return_reasons;
mod shipping_admin;
mod short_secrets;
mod sign_ins;
mod sqlite_writes;
mod store_cart_channels;
mod store_carts;
mod store_catalog;
mod store_channels;
mod store_currencies;
mod store_customer_carts;
mod store_products;
mod store_regions;
mod store_search;
mod store_settings;
mod storefront;
mod storefront_account;
mod storefront_checkout;
mod uploads;
mod vending_admin;
mod vending_admin_pages;
mod vending_commands;
mod vending_fixture;
mod vending_purchase;
mod vending_return;
mod vending_service;
mod vending_soak;

use std::time::Duration;

use domain::db::DatabaseConnection;
use server::{config::Settings, startup, vending::MqttEndpoint};
use testkit::{DbBackend, TestDb};

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

#[derive(Debug, Clone)]
pub struct Options {
    pub db: DbBackend,
    pub redis_url: Option<String>,
    /// An external broker; the embedded one (on a free port) when `None`.
    pub mqtt_url: Option<String>,
    pub simulated_machines: usize,
    pub heartbeat_secs: u64,
    /// `AUTOMAT_JWT_SECRET`; generated and stored when `None`.
    pub jwt_secret: Option<String>,
    /// `AUTOMAT_STORE_CACHE_MS`; the production default unless a test says otherwise.
    pub store_cache_ms: u64,
    /// `AUTOMAT_SMTP_URL`; mail is logged when `None`.
    pub smtp_url: Option<String>,
    /// `AUTOMAT_LOYALTY_TIMEOUT_MS`.
    pub loyalty_timeout_ms: u64,
    pub vending: server::vending::VendingSettings,
    /// Where alerts are delivered; nowhere when default.
    pub alerts: server::config::AlertSettings,
    /// Every other setting: the defaults unless a test changes them. The
    /// fields above win over their namesakes here.
    pub settings: Settings,
}

impl Options {
    pub fn on(db: DbBackend) -> Self {
        Self {
            db,
            redis_url: None,
            mqtt_url: None,
            simulated_machines: 0,
            heartbeat_secs: 1,
            jwt_secret: None,
            store_cache_ms: 1000,
            smtp_url: None,
            loyalty_timeout_ms: 500,
            // Quick to give up on a silent machine.
            vending: server::vending::VendingSettings {
                ack_timeout_ms: 400,
                ..Default::default()
            },
            alerts: Default::default(),
            settings: Settings {
                rate_limits: server::rate_limit::RateLimitSettings {
                    // Counts kept in a shared Redis stay this test's own.
                    prefix: format!("automat-test:{}:rate", ulid::Ulid::new()),
                    ..Settings::defaults().rate_limits
                },
                ..Settings::defaults()
            },
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub db: DatabaseConnection,
    pub mqtt: MqttEndpoint,
    pub publishable_key: String,
    pub device_changes: tokio::sync::broadcast::Sender<domain::devices::StatusChange>,
    pub gateway: server::vending::gateway::GatewayHealth,
    /// What the device gateway has handled so far.
    pub gateway_stats: server::vending::gateway::GatewayStats,
    pub vending: server::vending::service::Vending,
    /// A browser on the store's pages: keeps cookies, does not follow
    /// redirects, sends the store's `Origin` (see [`TestApp::browser`]).
    pub client: reqwest::Client,
    /// The embedded loyalty host the store talks to.
    pub loyalty_host: loyalty_host::HostHandle,
    pub loyalty: domain::loyalty::Loyalty,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    /// Kept for the app's lifetime; taken over by [`TestApp::restart`].
    test_db: Option<TestDb>,
    /// The search index's directory, this app's own (removed with it).
    _search_dir: tempfile::TempDir,
    /// The uploads' folder, likewise.
    _files_dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub async fn spawn_app(options: Options) -> TestApp {
    log_capture::init();
    let test_db = TestDb::create(options.db).await;
    start_on(test_db, options).await
}

impl TestApp {
    /// Stops this server as a crash would (its tasks are dropped mid-work)
    /// and starts a new one on the same database.
    pub async fn restart(mut self, options: Options) -> TestApp {
        self.server.abort();
        let test_db = self.test_db.take().expect("the database is still here");
        drop(self);
        start_on(test_db, options).await
    }
}

async fn start_on(test_db: TestDb, options: Options) -> TestApp {
    // A fresh index on every start: a restarted app rebuilds it, as a
    // server whose index was lost does.
    let search_dir = tempfile::tempdir().unwrap();
    // Uploads too: kept in a folder of this app's own, not the checkout's data/.
    let files_dir = tempfile::tempdir().unwrap();
    let files = server::config::FileSettings {
        files_dir: files_dir.path().to_owned(),
        ..options.settings.files.clone()
    };
    let settings = Settings {
        files,
        search_dir: search_dir.path().to_owned(),
        http_addr: "127.0.0.1:0".parse().unwrap(),
        database_url: test_db.url.clone(),
        mqtt_url: options.mqtt_url,
        mqtt_embedded_addr: "127.0.0.1:0".parse().unwrap(),
        redis_url: options.redis_url,
        simulated_machines: options.simulated_machines,
        heartbeat_secs: options.heartbeat_secs,
        admin_email: ADMIN_EMAIL.into(),
        admin_password: Some(ADMIN_PASSWORD.into()),
        storefront_channel: domain::seed::ONLINE_STORE_CHANNEL.into(),
        jwt_secret: options.jwt_secret,
        store_cache_ms: options.store_cache_ms,
        smtp_url: options.smtp_url,
        mail_from: "Automat <orders@example.com>".into(),
        // Unless a test serves the store elsewhere (https, say).
        public_url: options
            .settings
            .public_url
            .clone()
            .or_else(|| Some("http://shop.example.com".into())),
        loyalty_embedded_addr: "127.0.0.1:0".parse().unwrap(),
        loyalty_timeout_ms: options.loyalty_timeout_ms,
        vending: options.vending,
        alerts: options.alerts,
        ..options.settings
    };
    let app = startup::build(settings).await.expect("the server starts");
    let base = format!("http://{}", app.addr());
    let db = app.state.db.clone();
    let mqtt = app.mqtt.clone();
    let publishable_key = app
        .welcome
        .publishable_key
        .clone()
        .expect("the demo store has a publishable key");
    let device_changes = app.state.device_changes.clone();
    let gateway = app.state.gateway.clone();
    let gateway_stats = app.gateway_stats.clone();
    let loyalty = app.state.loyalty.clone();
    let loyalty_host = app
        .loyalty_simulator
        .clone()
        .expect("without AUTOMAT_LOYALTY_URL the embedded loyalty host runs");
    let vending = app.state.vending.clone();
    let server = tokio::spawn(app.run_until_stopped());
    let client = browser(&base);
    TestApp {
        base,
        db,
        mqtt,
        publishable_key,
        device_changes,
        gateway,
        gateway_stats,
        vending,
        client,
        loyalty_host,
        loyalty,
        server,
        test_db: Some(test_db),
        _search_dir: search_dir,
        _files_dir: files_dir,
    }
}

/// A browser of the store at `base`: keeps cookies, does not follow
/// redirects, and names the store's pages as the `Origin` of its requests, as
/// a browser does with every POST from them.
fn browser(base: &str) -> reqwest::Client {
    let mut from_the_store = reqwest::header::HeaderMap::new();
    from_the_store.insert(
        reqwest::header::ORIGIN,
        reqwest::header::HeaderValue::from_str(base).unwrap(),
    );
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(from_the_store)
        // A request the server never answers fails its test instead of hanging CI.
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

impl TestApp {
    /// The database the server runs on, for the command line's tests.
    pub fn database_url(&self) -> &str {
        &self.test_db.as_ref().expect("the database is here").url
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Another browser (cookies of its own) on the store's pages.
    pub fn browser(&self) -> reqwest::Client {
        browser(&self.base)
    }

    pub async fn sign_in(&self) -> reqwest::Response {
        self.client
            .post(self.url("/api/admin/login"))
            .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
            .send()
            .await
            .unwrap()
    }

    /// An Admin API bearer token for the seeded admin user.
    pub async fn admin_token(&self) -> String {
        let response = self
            .client
            .post(self.url("/auth/user/emailpass"))
            .json(&serde_json::json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        body["token"].as_str().expect("a token").to_owned()
    }

    /// An Admin API request carrying `token`.
    pub fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    /// Waits until the device gateway listens to the broker.
    pub async fn gateway_subscribed(&self) {
        eventually(
            Duration::from_secs(5),
            "the gateway subscribes",
            async || self.gateway.is_connected(),
        )
        .await;
    }

    /// POSTs a form as a browser without JavaScript would.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// GETs a page as a browser would (asking for HTML).
    pub async fn page(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap()
    }
}

/// GETs a Store API path, with `key` as the publishable key; the status and the JSON body.
pub async fn get_json(app: &TestApp, path: &str, key: Option<&str>) -> (u16, serde_json::Value) {
    let mut request = app.client.get(app.url(path));
    if let Some(key) = key {
        request = request.header("x-publishable-api-key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// Sends a request; the status and the JSON body.
pub async fn send_json(request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// Sends an Admin API request carrying `token`, with `body` as JSON if any;
/// the status and the JSON body.
pub async fn admin_json(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let request = app.admin(method, path, token);
    send_json(match body {
        Some(body) => request.json(&body),
        None => request,
    })
    .await
}

/// Runs `test` once per database backend, each on a fresh server.
pub async fn on_every_db(test: impl AsyncFn(TestApp)) {
    for backend in testkit::db_backends() {
        test(spawn_app(Options::on(backend)).await).await;
    }
}

pub use testkit::eventually;
