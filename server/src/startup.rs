//! Builds the whole running store from [`Settings`]: database, broker,
//! gateway, simulated machines, HTTP. Usable on port 0 from tests.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use domain::{
    DomainError, admin_users, api_keys,
    carts::CartWriter,
    devices::{self, protocol::DeviceId},
    payments::{
        Providers,
        system::{self, SystemProvider},
    },
    seed,
    vending::machines,
};
use leptos::config::LeptosOptions;

use sea_orm::DatabaseConnection;
use tokio::{net::TcpListener, sync::broadcast, task::JoinSet};

use crate::{
    alert_channels,
    config::Settings,
    http, loyalty,
    notifications::{self, Mailer, Notifier},
    rate_limit::RateLimiter,
    state::AppState,
    vending::{
        MqttEndpoint, broker,
        gateway::{Gateway, GatewayStats},
        service::Vending,
        simulator::{self, MachineConfig, SimProduct, SimScale, Take, Visit},
        tls,
        topic_guard::SignInGate,
    },
    web_sessions::{self, SessionBackend},
    write_lane::WriteLane,
};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    pub state: AppState,
    pub mqtt: MqttEndpoint,
    /// Where devices connect over TLS to the embedded broker, when it listens so.
    pub mqtt_tls: Option<MqttEndpoint>,
    /// What the device gateway has handled (load tests read it).
    pub gateway_stats: GatewayStats,
    /// What a person needs to start using the store, printed on start.
    pub welcome: Welcome,
    /// The embedded loyalty host simulator, when no host is configured.
    pub loyalty_simulator: Option<loyalty_host::HostHandle>,
    simulated_machines: JoinSet<()>,
    /// The outbox dispatcher; a `JoinSet` so that dropping the application stops it.
    event_dispatcher: JoinSet<()>,
    /// The device gateway and its session sweeper, stopped with the application too.
    gateway: JoinSet<()>,
    /// SQLite's log copied into the database file beside the writers.
    wal_checkpoints: JoinSet<()>,
    /// Captures, refunds and releases recorded and not yet answered.
    payment_operations: JoinSet<()>,
}

#[derive(Debug, Clone)]
pub struct Welcome {
    pub admin_email: String,
    /// Only when the admin user was created by this start.
    pub admin_password: Option<String>,
    pub publishable_key: Option<String>,
}

/// How often SQLite's write-ahead log is copied into the database file: a
/// fleet's telemetry writes a few thousand pages a second.
const WAL_CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

pub async fn build(settings: Settings) -> anyhow::Result<Application> {
    settings.check_secrets()?;
    tls::install_crypto_provider();
    let db = settings.connect_database().await?;
    migrations::up(&db).await?;
    if settings.seed_demo
        && seed::demo_store(&db, settings.simulated_machines.max(seed::DEMO_MACHINES)).await?
    {
        tracing::info!("seeded the demo store");
    }
    let welcome = ensure_admin(&db, &settings).await?;
    refuse_test_payments_in_production(&db, &settings).await?;
    // Before the broker starts: device sign-ins are limited too.
    let limits = RateLimiter::start(&settings.rate_limits, settings.redis_url.as_deref()).await?;

    // Machines and the back end meet at one broker; the embedded one lets
    // the back end in by a door of its own.
    let (mqtt, mqtt_tls, back_end, gateway_inlet) = match &settings.mqtt_url {
        Some(url) => {
            let endpoint = MqttEndpoint::parse_trusting(url, settings.mqtt_ca_file.as_deref())?;
            (endpoint.clone(), None, endpoint, None)
        }
        None => {
            let sign_in_gate: Arc<dyn SignInGate> = Arc::new(limits.clone());
            let broker = broker::start_embedded(
                settings.mqtt_embedded_addr,
                db.clone(),
                &settings.mqtt_broker,
                sign_in_gate,
            )
            .await?;
            let inlet = Some(broker.gateway_inlet);
            (broker.devices, broker.devices_tls, broker.back_end, inlet)
        }
    };
    let heartbeat = Duration::from_secs(settings.heartbeat_secs.max(1));
    let (device_changes, _) = broadcast::channel(1024);
    let (device_activity, _) = broadcast::channel(1024);
    let payment_providers = payment_providers(&settings)?;
    let write_lane = WriteLane::start()?;
    let gateway = Gateway::spawn(
        &back_end,
        db.clone(),
        device_changes.clone(),
        heartbeat,
        |client| {
            Vending::new(
                db.clone(),
                payment_providers.clone(),
                client,
                settings.vending.clone(),
                settings.currency.clone(),
                device_activity.clone(),
                write_lane.clone(),
            )
        },
    );
    if let Some(slot) = gateway_inlet {
        // Set once: this broker serves this gateway only.
        let _ = slot.set(gateway.inlet.clone());
    }
    let simulated_machines = simulator::spawn_machines(
        &mqtt,
        demo_machines(&db, settings.simulated_machines, heartbeat).await?,
    );

    let listener = TcpListener::bind(settings.http_addr).await?;
    let addr = listener.local_addr()?;
    let leptos_options = LeptosOptions::builder()
        .output_name("automat")
        .site_root(settings.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let jwt = http::auth::JwtKeys::load(&db, settings.jwt_secret.as_deref())
        .await?
        .with_admin_max_age(
            i64::try_from(settings.admin_sign_in_max_age_secs)
                .ok()
                .and_then(chrono::Duration::try_seconds)
                .unwrap_or(chrono::Duration::MAX),
        );
    let public_url = settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let browser = http::browser::BrowserPolicy::new(&public_url)?;
    let loyalty = loyalty::start(&settings, &db).await?;
    let storefront_channel_ids = storefront_channels(&db, &settings.storefront_channel).await?;
    let gateway_stats = gateway.stats;
    let read_cache =
        http::read_cache::ReadCache::new(Duration::from_millis(settings.store_cache_ms));
    let gateway_tasks = gateway.tasks;
    let search = crate::search::open(&settings).await?;
    let files = crate::files::ObjectFiles::open(&settings.files, settings.public_url.as_deref())?;
    let state = AppState {
        files: Arc::new(files),
        uploads_dir: settings
            .files
            .s3_bucket
            .is_none()
            .then(|| Arc::from(settings.files.files_dir.as_path())),
        upload_max_bytes: settings.files.upload_max_bytes,
        leptos_options,
        db: db.clone(),
        device_changes,
        device_activity,
        gateway: gateway.health,
        vending: gateway.vending,
        currency: settings.currency.clone(),
        storefront_channel_ids,
        payment_providers,
        card_scripts: app::storefront::card::CardScripts {
            stripe: settings.stripe.stripe_secret_key.as_ref().and_then(|_| {
                Some(app::storefront::card::StripeJs {
                    publishable_key: settings.stripe.stripe_publishable_key.clone()?,
                    url: settings
                        .stripe
                        .stripe_js_url
                        .clone()
                        .unwrap_or_else(|| crate::config::STRIPE_JS.to_owned()),
                })
            }),
            finix: settings.finix.finix_js(),
        },
        stripe_webhook_secret: settings
            .stripe
            .stripe_webhook_secret
            .as_deref()
            .map(Arc::from),
        finix_webhooks: match (
            settings.finix.provider(),
            settings.finix.finix_webhook_signing_key.as_deref(),
        ) {
            (Some(finix), Some(key)) => Some(Arc::new(
                crate::payments::finix_webhook::FinixWebhooks::new(&finix, key)?,
            )),
            _ => None,
        },
        jwt,
        metrics: http::metrics::Metrics {
            token: settings.metrics_token.as_deref().map(Arc::from),
            ..Default::default()
        },
        sign_ins: http::auth::SignInCheck::new(db.clone()),
        browser: browser.clone(),
        publishable_keys: http::read_cache::Memo::new(read_cache.clone(), 10_000),
        // Enough for the carts edited within a TTL on a busy store; each is a few KB.
        recent_carts: http::read_cache::Memo::new(read_cache.clone(), 1_000),
        cart_places: http::read_cache::Memo::new(read_cache.clone(), 1_000),
        cart_writer: CartWriter::start(db.clone()),
        read_cache,
        loyalty: loyalty.loyalty,
        limits,
        search: search.clone(),
    };
    let notifier = Notifier::new(
        db.clone(),
        Mailer::new(settings.smtp_url.as_deref(), &settings.mail_from)?,
        alert_channels::Slack::from_settings(&settings.alerts)?,
    );
    let mut subscribers = alert_channels::subscribers(&settings.alerts, &notifier)?;
    subscribers.extend(notifications::subscribers(
        &db,
        &notifier,
        &state.loyalty,
        &public_url,
    ));
    subscribers.push(Arc::new(domain::search::SearchIndexer::new(
        db.clone(),
        search.clone(),
    )));
    // Before the first request and before any event is handled, so
    // searches find the whole catalog and a rebuild never overwrites a newer change.
    match domain::search::rebuild_if_out_of_step(&db, search.as_ref()).await {
        Ok(Some(indexed)) => tracing::info!(indexed, "search index rebuilt"),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, "search index rebuild failed; `automat search reindex` retries it")
        }
    }
    let mut event_dispatcher = JoinSet::new();
    event_dispatcher.spawn(notifications::dispatch_events(&db, subscribers));
    let mut payment_operations = JoinSet::new();
    payment_operations.spawn(crate::payments::operations::run(
        db.clone(),
        state.payment_providers.clone(),
    ));
    let mut wal_checkpoints = JoinSet::new();
    // On the lane: with the turn held, it holds up settlements.
    wal_checkpoints.spawn_on(
        domain::db::checkpoint_wal(db.clone(), WAL_CHECKPOINT_EVERY),
        write_lane.handle(),
    );
    http::idempotency::spawn_expired_cleanup(db.clone(), Duration::from_secs(3600));
    notifications::spawn_pruning(db.clone(), Duration::from_secs(3600));
    let routes = http::router(state.clone());
    let secure_cookies = settings.secure_cookies || browser.https();
    let session_max_age = Duration::from_secs(settings.session_max_age_secs);
    let router = match SessionBackend::connect(&db, settings.redis_url.as_deref()).await? {
        SessionBackend::Database(store) => {
            routes.layer(web_sessions::layer(store, secure_cookies, session_max_age))
        }
        SessionBackend::Redis(store) => {
            routes.layer(web_sessions::layer(store, secure_cookies, session_max_age))
        }
    }
    .with_state(state.clone());

    Ok(Application {
        listener,
        router,
        state,
        mqtt,
        mqtt_tls,
        gateway_stats,
        welcome,
        loyalty_simulator: loyalty.simulator,
        simulated_machines,
        event_dispatcher,
        gateway: gateway_tasks,
        wal_checkpoints,
        payment_operations,
    })
}

/// The built-in test provider, Stripe when its secret key is set, Finix
/// when its account is.
fn payment_providers(settings: &Settings) -> anyhow::Result<Providers> {
    let mut providers = Providers::default().with(Arc::new(SystemProvider));
    if let Some(secret_key) = &settings.stripe.stripe_secret_key {
        let stripe = crate::payments::stripe::StripeProvider::new(
            &crate::payments::stripe::StripeSettings {
                secret_key: secret_key.clone(),
                publishable_key: settings.stripe.stripe_publishable_key.clone(),
                api_base: settings.stripe.stripe_api_base.clone(),
            },
        )?;
        providers = providers.with(Arc::new(stripe));
    }
    if let Some(finix) = settings.finix.provider() {
        providers = providers.with(Arc::new(crate::payments::finix::FinixProvider::new(
            &finix,
        )?));
    }
    Ok(providers)
}

/// In production no region may offer the provider that moves no money:
/// shoppers would get their goods for nothing.
async fn refuse_test_payments_in_production(
    db: &DatabaseConnection,
    settings: &Settings,
) -> anyhow::Result<()> {
    if settings.environment != crate::config::Environment::Production {
        return Ok(());
    }
    let regions = domain::pricing::regions_offering(db, system::ID).await?;
    if regions.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = regions
        .iter()
        .map(|r| format!("{} ({})", r.name, r.id))
        .collect();
    anyhow::bail!(
        "AUTOMAT_ENV=production, but these regions still offer the test payment provider \
         {} (no money moves): {}. Choose a real provider for them (Admin API \
         POST /admin/regions/{{id}} with payment_providers), or start with AUTOMAT_ENV=development.",
        system::ID,
        names.join(", ")
    )
}

/// The storefront's sales channel by name; every channel (with a warning)
/// when there is none of that name, so a renamed channel never empties the shop.
async fn storefront_channels(db: &DatabaseConnection, name: &str) -> anyhow::Result<Vec<String>> {
    let found = domain::channels::find_sales_channels_named(db, name).await?;
    if found.is_empty() {
        tracing::warn!(
            channel = name,
            "no sales channel of that name; the storefront shows every channel's products"
        );
    }
    Ok(found.into_iter().take(1).map(|c| c.id).collect())
}

/// The in-process machines: their scales hold what the books say each
/// machine has, on every opening a shopper takes one unit of the next
/// product in turn, and each return brings back one empty of a returnable
/// product.
pub async fn demo_machines(
    db: &DatabaseConnection,
    count: usize,
    heartbeat: Duration,
) -> anyhow::Result<Vec<MachineConfig>> {
    let mut configs = Vec::with_capacity(count);
    for n in 1..=count {
        let id = seed::demo_device_id(n);
        // A machine the store knows gets fresh credentials on every start:
        // its simulated twin is the only one that needs them.
        let (shelves, password) = match machines::find(db, &id).await {
            // Decommissioned: it signs in no more, so its twin gets no password.
            Ok(machine) if machine.device.decommissioned_at.is_some() => (Vec::new(), None),
            Ok(machine) => (
                machines::shelves(db, &machine).await?,
                Some(devices::issue_credentials(db, &id).await?.password),
            ),
            // Simulated beyond the machines the store registered: empty
            // scales, and no password (the embedded broker turns it away).
            Err(DomainError::NotFound { .. }) => (Vec::new(), None),
            Err(e) => return Err(e.into()),
        };
        let mut scales: Vec<SimScale> = Vec::new();
        let mut shopper = Vec::with_capacity(shelves.len());
        let mut returner = Vec::new();
        for shelf in shelves {
            let mut products = vec![SimProduct {
                variant_id: shelf.variant_id.clone(),
                unit_weight_g: shelf.unit_weight_grams,
                units: shelf.in_stock.max(0),
            }];
            // A returnable product's empties come back on its own scale, one per return.
            if let Some(grams) = shelf.container_weight_grams {
                let empties = format!("{}-empty", shelf.variant_id);
                products.push(SimProduct {
                    variant_id: empties.clone(),
                    unit_weight_g: grams,
                    units: 0,
                });
                returner.push(Visit {
                    take: vec![Take {
                        scale: shelf.scale,
                        variant_id: empties,
                        units: -1,
                    }],
                });
            }
            match scales.iter_mut().find(|s| s.position == shelf.scale) {
                Some(scale) => scale.products.extend(products),
                None => scales.push(SimScale {
                    position: shelf.scale,
                    products,
                }),
            }
            shopper.push(Visit {
                take: vec![Take {
                    scale: shelf.scale,
                    variant_id: shelf.variant_id,
                    units: 1,
                }],
            });
        }
        configs.push(MachineConfig {
            scales,
            shopper,
            repeat_shopper: true,
            returner,
            // Service mode lasts until an admin turns it off, as at a real machine.
            keep_service_door_open: true,
            password,
            ..MachineConfig::new(DeviceId::parse(&id)?, heartbeat)
        });
    }
    Ok(configs)
}

/// Creates the first admin user when there is none.
async fn ensure_admin(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<Welcome> {
    let publishable_key = api_keys::first_publishable(db).await?.map(|k| k.token);
    let email = admin_users::Email::parse(&settings.admin_email)?;
    if admin_users::count(db).await? > 0 {
        return Ok(Welcome {
            admin_email: email.to_string(),
            admin_password: None,
            publishable_key,
        });
    }
    let password = settings
        .admin_password
        .clone()
        .unwrap_or_else(|| domain::ids::random_token(9));
    admin_users::create(db, &email, &admin_users::Password::parse(&password)?).await?;
    Ok(Welcome {
        admin_email: email.to_string(),
        admin_password: Some(password),
        publishable_key,
    })
}

impl Application {
    pub fn addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.addr().port()
    }

    pub fn print_welcome(&self) {
        let url = format!("http://{}", self.addr());
        let w = &self.welcome;
        println!("\nAutomat is running.");
        println!("  Storefront       {url}");
        println!("  Admin            {url}/admin");
        match &w.admin_password {
            Some(password) => println!("  Admin login      {} / {password}", w.admin_email),
            None => println!(
                "  Admin login      {} (password as set on first start; reset with `automat user -e {} -p NEW_PASSWORD`)",
                w.admin_email, w.admin_email
            ),
        }
        if let Some(key) = &w.publishable_key {
            println!("  Publishable key  {key}   (send as x-publishable-api-key to /store/*)");
        }
        println!("  MQTT broker      {}", self.mqtt);
        if let Some(tls) = self.mqtt_tls.as_ref().filter(|tls| **tls != self.mqtt) {
            println!("  MQTT over TLS    {tls}");
        }
        if self.loyalty_simulator.is_some() {
            println!("  Loyalty host     embedded simulator (demo member phone +1 555 010 0001)");
        }
        println!("  Simulated machines {}\n", self.simulated_machines.len());
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Self {
            listener,
            router,
            mut simulated_machines,
            mut event_dispatcher,
            mut gateway,
            mut wal_checkpoints,
            mut payment_operations,
            ..
        } = self;
        // A connection gets a clone of the router's `Arc`. Served as itself,
        // the router would be deep-copied for every connection (axum
        // re-applies its state eagerly): about 0.9 MB per connection here.
        // Each request knows its peer's address: rate limits count by it.
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await?;
        simulated_machines.shutdown().await;
        event_dispatcher.shutdown().await;
        gateway.shutdown().await;
        wal_checkpoints.shutdown().await;
        payment_operations.shutdown().await;
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
