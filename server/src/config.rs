//! Typed settings. Every value comes from a command-line flag or an
//! `AUTOMAT_*` environment variable (optionally loaded from the file named by
//! `AUTOMAT_CONFIG_FILE`, `automat.env` by default); the defaults are the
//! embedded store that needs no external service.

use std::net::SocketAddr;

use clap::Args;

/// The shortest secret accepted in the configuration: as many bytes as the
/// 256-bit keys made from it (HS256, AES-256) have bits / 8, so guessing it
/// is no easier than guessing the key.
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Where the web server listens (port 0 picks a free one).
    #[arg(long, env = "AUTOMAT_HTTP_ADDR", default_value = "127.0.0.1:3000")]
    pub http_addr: SocketAddr,

    /// `sqlite://path?mode=rwc` or `postgres://user@host/db`.
    #[arg(
        long,
        env = "AUTOMAT_DATABASE_URL",
        default_value = "sqlite://data/automat.db?mode=rwc"
    )]
    pub database_url: String,

    /// Connections kept open to the database; by default 8 for SQLite (one
    /// writes at a time, readers share the rest) and 16 for PostgreSQL.
    #[arg(long, env = "AUTOMAT_DATABASE_MAX_CONNECTIONS")]
    pub database_max_connections: Option<u32>,

    /// Where the embedded product search keeps its index; a directory this
    /// server owns (one server per directory).
    #[arg(long, env = "AUTOMAT_SEARCH_DIR", default_value = "data/search")]
    pub search_dir: std::path::PathBuf,

    #[command(flatten)]
    pub search: SearchSettings,

    /// The bearer token Prometheus sends to `GET /metrics`; the endpoint is
    /// off while unset.
    #[arg(long, env = "AUTOMAT_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// An external MQTT broker, `mqtt://host:port`. When unset, an embedded
    /// broker is started on `mqtt_embedded_addr`.
    #[arg(long, env = "AUTOMAT_MQTT_URL")]
    pub mqtt_url: Option<String>,

    /// The embedded broker's address (1883 usually belongs to Mosquitto).
    #[arg(
        long,
        env = "AUTOMAT_MQTT_EMBEDDED_ADDR",
        default_value = "127.0.0.1:1884"
    )]
    pub mqtt_embedded_addr: SocketAddr,

    /// The certificate authority (PEM) an `mqtts://` broker's certificate
    /// is checked against; the system's when unset.
    #[arg(long, env = "AUTOMAT_MQTT_CA_FILE")]
    pub mqtt_ca_file: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub mqtt_broker: crate::vending::broker::EmbeddedBrokerSettings,

    /// `redis://host:port`; when set, web sessions live in Redis instead of the database.
    #[arg(long, env = "AUTOMAT_REDIS_URL")]
    pub redis_url: Option<String>,

    /// How many simulated vending machines to run in-process (0: none).
    #[arg(long, env = "AUTOMAT_SIMULATED_MACHINES", default_value_t = 3)]
    pub simulated_machines: usize,

    /// Seconds between device heartbeats the server expects; a device silent
    /// for three intervals is marked offline.
    #[arg(long, env = "AUTOMAT_HEARTBEAT_SECS", default_value_t = 5)]
    pub heartbeat_secs: u64,

    /// Seed the demo store on first start.
    #[arg(long, env = "AUTOMAT_SEED_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub seed_demo: bool,

    /// The admin user created on first start (when there is none).
    #[arg(
        long,
        env = "AUTOMAT_ADMIN_EMAIL",
        default_value = "admin@automat.local"
    )]
    pub admin_email: String,

    /// Its password; generated and printed when unset.
    #[arg(long, env = "AUTOMAT_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// The built site (the WASM client, CSS, assets).
    #[arg(long, env = "AUTOMAT_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// Mark the session cookie `Secure` (serve over HTTPS); it is anyway
    /// when `public_url` is `https://`.
    #[arg(long, env = "AUTOMAT_SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,

    /// A web session ends this many seconds after sign-in (or after it began,
    /// for a guest) however busy it is; unused for 7 days it ends sooner.
    #[arg(long, env = "AUTOMAT_SESSION_MAX_AGE_SECS", default_value_t = 30 * 24 * 3600)]
    pub session_max_age_secs: u64,

    /// An admin's sign-in (bearer token or dashboard session) lasts this many
    /// seconds; refreshing the token does not extend it.
    #[arg(long, env = "AUTOMAT_ADMIN_SIGN_IN_MAX_AGE_SECS", default_value_t = 12 * 3600)]
    pub admin_sign_in_max_age_secs: u64,

    /// The sales channel the web storefront sells through: it lists only
    /// products published there. The demo store's online channel by default.
    #[arg(long, env = "AUTOMAT_STOREFRONT_CHANNEL", default_value = domain::seed::ONLINE_STORE_CHANNEL)]
    pub storefront_channel: String,

    /// The store's currency (ISO 4217, lower case).
    #[arg(long, env = "AUTOMAT_CURRENCY", default_value = "eur")]
    pub currency: String,

    /// Signs customer tokens (JWT, HS256), at least 32 bytes; generated and
    /// kept in the database when unset.
    #[arg(long, env = "AUTOMAT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// How long Store catalog reads (products, categories, collections,
    /// regions) may be answered from memory, in milliseconds; 0 turns the
    /// cache off. Admin writes clear it at once; other instances' writes show
    /// after at most this long.
    #[arg(long, env = "AUTOMAT_STORE_CACHE_MS", default_value_t = 1000)]
    pub store_cache_ms: u64,
    /// Where order emails go out (`smtp://user:pass@host:25`, `smtps://…:465`,
    /// `smtp://…:587?tls=required`); when unset they are written to the log.
    #[arg(long, env = "AUTOMAT_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The store's address as shoppers reach it, for links in emails
    /// (e.g. `https://shop.example.com`); by default the HTTP address.
    #[arg(long, env = "AUTOMAT_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// The sender of order emails.
    #[arg(
        long,
        env = "AUTOMAT_MAIL_FROM",
        default_value = "Automat <orders@automat.local>"
    )]
    pub mail_from: String,
    /// The loyalty host (Conexxus-style REST) for a store without a loyalty
    /// config yet. When unset, an embedded simulator with demo members runs
    /// on `loyalty_embedded_addr`.
    #[arg(long, env = "AUTOMAT_LOYALTY_URL")]
    pub loyalty_url: Option<String>,

    /// OAuth2 client id at the loyalty host named by `loyalty_url`.
    #[arg(long, env = "AUTOMAT_LOYALTY_CLIENT_ID")]
    pub loyalty_client_id: Option<String>,

    /// Its client secret (stored encrypted).
    #[arg(long, env = "AUTOMAT_LOYALTY_CLIENT_SECRET", hide_env_values = true)]
    pub loyalty_client_secret: Option<String>,

    /// Seals loyalty secrets in the database: any text of at least 32 bytes
    /// (its SHA-256 is the AES-256 key); generated and kept in the database
    /// when unset (set it to keep the key apart from the data).
    #[arg(long, env = "AUTOMAT_LOYALTY_SECRET_KEY", hide_env_values = true)]
    pub loyalty_secret_key: Option<String>,

    /// The embedded loyalty simulator's address.
    #[arg(
        long,
        env = "AUTOMAT_LOYALTY_EMBEDDED_ADDR",
        default_value = "127.0.0.1:4100"
    )]
    pub loyalty_embedded_addr: SocketAddr,

    /// Milliseconds one loyalty host call may take before the store goes on without it.
    #[arg(long, env = "AUTOMAT_LOYALTY_TIMEOUT_MS", default_value_t = 3000)]
    pub loyalty_timeout_ms: u64,
    /// `production` refuses to start while a region offers the test payment
    /// provider (`pp_system_default`, which moves no money).
    #[arg(long = "env", env = "AUTOMAT_ENV", value_enum, default_value_t = Environment::Development)]
    pub environment: Environment,
    #[command(flatten)]
    pub stripe: StripeSettings,
    #[command(flatten)]
    pub finix: FinixSettings,
    #[command(flatten)]
    pub vending: crate::vending::VendingSettings,
    #[command(flatten)]
    pub alerts: AlertSettings,
    #[command(flatten)]
    pub rate_limits: crate::rate_limit::RateLimitSettings,
    #[command(flatten)]
    pub sms: SmsSettings,
    #[command(flatten)]
    pub files: FileSettings,
}

/// Where uploaded files (product pictures) are kept: a folder this server
/// serves at `/uploads/`, or an S3-compatible bucket once one is named.
#[derive(Debug, Clone, Args)]
pub struct FileSettings {
    /// The folder uploads are kept in while no bucket is set.
    #[arg(long, env = "AUTOMAT_FILES_DIR", default_value = "data/uploads")]
    pub files_dir: std::path::PathBuf,

    /// The largest file an admin may upload, in bytes.
    #[arg(long, env = "AUTOMAT_UPLOAD_MAX_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub upload_max_bytes: usize,

    /// An S3-compatible bucket to keep uploads in instead of the folder.
    #[arg(long, env = "AUTOMAT_S3_BUCKET")]
    pub s3_bucket: Option<String>,

    #[arg(long, env = "AUTOMAT_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,

    /// The storage's address when it is not AWS (MinIO, R2, Ceph…),
    /// `https://host[:port]`.
    #[arg(long, env = "AUTOMAT_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// Name the bucket in the path (`endpoint/bucket/key`) rather than in
    /// the host name, as most non-AWS stores need.
    #[arg(long, env = "AUTOMAT_S3_PATH_STYLE", default_value_t = false, action = clap::ArgAction::Set)]
    pub s3_path_style: bool,

    #[arg(long, env = "AUTOMAT_S3_ACCESS_KEY_ID")]
    pub s3_access_key_id: Option<String>,

    #[arg(long, env = "AUTOMAT_S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,

    /// Where browsers fetch uploaded files (a CDN, or the bucket's public
    /// address); the bucket's own address by default.
    #[arg(long, env = "AUTOMAT_S3_PUBLIC_URL")]
    pub s3_public_url: Option<String>,
}

/// Where text messages (loyalty's one-time codes) go: a Twilio-style REST
/// provider once an account is set, the log until then.
#[derive(Debug, Clone, Args)]
pub struct SmsSettings {
    /// The provider's base URL; it is asked `POST
    /// /2010-04-01/Accounts/{sid}/Messages.json`, as Twilio is.
    #[arg(
        long,
        env = "AUTOMAT_SMS_URL",
        default_value = "https://api.twilio.com"
    )]
    pub sms_url: String,

    /// The account sid; when unset, messages are written to the log.
    #[arg(long, env = "AUTOMAT_SMS_ACCOUNT_SID")]
    pub sms_account_sid: Option<String>,

    /// The account's auth token (basic auth with the sid).
    #[arg(long, env = "AUTOMAT_SMS_AUTH_TOKEN", hide_env_values = true)]
    pub sms_auth_token: Option<String>,

    /// The number (or sender id) messages come from.
    #[arg(long, env = "AUTOMAT_SMS_FROM")]
    pub sms_from: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

/// Product search: Meilisearch instead of the embedded index, and synonyms.
#[derive(Debug, Clone, Default, Args)]
pub struct SearchSettings {
    /// Meilisearch's address (`http://host:7700`); the embedded search
    /// (`AUTOMAT_SEARCH_DIR`) when unset.
    #[arg(long, env = "AUTOMAT_MEILISEARCH_URL")]
    pub meilisearch_url: Option<String>,

    /// The API key sent to Meilisearch (an admin key, or the master key).
    #[arg(long, env = "AUTOMAT_MEILISEARCH_KEY", hide_env_values = true)]
    pub meilisearch_key: Option<String>,

    /// The index this store keeps its products in (stores sharing one
    /// Meilisearch each need their own).
    #[arg(
        long,
        env = "AUTOMAT_MEILISEARCH_INDEX",
        default_value = "automat_products"
    )]
    pub meilisearch_index: String,

    /// Words shoppers use for the same thing, as JSON: `{"soda": ["pop",
    /// "soft drink"], "pop": ["soda"]}` (one way: list both directions to
    /// have both); either engine.
    #[arg(long, env = "AUTOMAT_SEARCH_SYNONYMS")]
    pub search_synonyms: Option<String>,
}

impl SearchSettings {
    /// The synonyms setting, parsed; a clear error names the setting.
    pub fn synonyms(
        &self,
    ) -> Result<std::collections::HashMap<String, Vec<String>>, domain::search::SearchError> {
        match &self.search_synonyms {
            None => Ok(Default::default()),
            Some(json) => serde_json::from_str(json).map_err(|e| {
                domain::search::SearchError::Engine(format!(
                    "AUTOMAT_SEARCH_SYNONYMS must be a JSON object of word lists, like {{\"soda\": [\"pop\"]}}: {e}"
                ))
            }),
        }
    }
}

/// Stripe (`pp_stripe_stripe`), offered once the secret key is set.
#[derive(Debug, Clone, Default, Args)]
pub struct StripeSettings {
    /// The secret API key (`sk_live_…`, `sk_test_…`).
    #[arg(long, env = "AUTOMAT_STRIPE_SECRET_KEY", hide_env_values = true)]
    pub stripe_secret_key: Option<String>,

    /// The publishable key Stripe.js uses in the storefront (`pk_…`).
    #[arg(long, env = "AUTOMAT_STRIPE_PUBLISHABLE_KEY")]
    pub stripe_publishable_key: Option<String>,

    /// The signing secret of the webhook endpoint `/hooks/payment/stripe`
    /// (`whsec_…`); webhooks are refused while unset.
    #[arg(long, env = "AUTOMAT_STRIPE_WEBHOOK_SECRET", hide_env_values = true)]
    pub stripe_webhook_secret: Option<String>,

    /// Stripe's API address; Stripe itself when unset (tests point it at a
    /// local simulator).
    #[arg(long, env = "AUTOMAT_STRIPE_API_BASE")]
    pub stripe_api_base: Option<String>,

    /// Where the storefront loads Stripe.js from: Stripe's own
    /// ([`STRIPE_JS`]) when unset; tests point it at the simulator's stand-in.
    #[arg(long, env = "AUTOMAT_STRIPE_JS_URL")]
    pub stripe_js_url: Option<String>,
}

/// Stripe.js v3, which Stripe requires to be loaded from its own address
/// (never bundled or copied, for PCI compliance).
pub const STRIPE_JS: &str = "https://js.stripe.com/v3/";

/// Finix (`pp_finix`), offered once the username, password, merchant and
/// application are set.
#[derive(Debug, Clone, Args)]
pub struct FinixSettings {
    /// Finix's API address (the live one by default; the sandbox is
    /// `https://finix.sandbox-payments-api.com/`; tests point it at a local
    /// simulator).
    #[arg(
        long,
        env = "AUTOMAT_FINIX_API_BASE",
        default_value = "https://finix.live-payments-api.com/"
    )]
    pub finix_api_base: String,

    /// The API user (`US…`), with the password as HTTP basic auth.
    #[arg(long, env = "AUTOMAT_FINIX_USERNAME")]
    pub finix_username: Option<String>,

    #[arg(long, env = "AUTOMAT_FINIX_PASSWORD", hide_env_values = true)]
    pub finix_password: Option<String>,

    /// The merchant our authorizations pay (`MU…`).
    #[arg(long, env = "AUTOMAT_FINIX_MERCHANT_ID")]
    pub finix_merchant_id: Option<String>,

    /// The application Finix.js tokenizes cards for (`AP…`).
    #[arg(long, env = "AUTOMAT_FINIX_APPLICATION_ID")]
    pub finix_application_id: Option<String>,

    /// Where the storefront loads Finix.js from: Finix's own ([`FINIX_JS`])
    /// when unset; tests point it at the simulator's stand-in.
    #[arg(long, env = "AUTOMAT_FINIX_JS_URL")]
    pub finix_js_url: Option<String>,

    /// The webhook's `secret_signing_key`, which signs `Finix-Signature`;
    /// `/hooks/payment/finix` refuses every delivery while unset.
    #[arg(
        long,
        env = "AUTOMAT_FINIX_WEBHOOK_SIGNING_KEY",
        hide_env_values = true
    )]
    pub finix_webhook_signing_key: Option<String>,
}

/// Finix.js v2, loaded from Finix's own address.
pub const FINIX_JS: &str = "https://js.finix.com/v/2/finix.js";

impl FinixSettings {
    /// What the storefront's card form loads Finix.js with, once Finix is
    /// configured: its environment follows the API address (the sandbox's,
    /// or live).
    pub fn finix_js(&self) -> Option<app::storefront::card::FinixJs> {
        let provider = self.provider()?;
        Some(app::storefront::card::FinixJs {
            url: self
                .finix_js_url
                .clone()
                .unwrap_or_else(|| FINIX_JS.to_owned()),
            environment: if provider.api_base.contains("live-payments-api") {
                "live".to_owned()
            } else {
                "sandbox".to_owned()
            },
            application_id: provider.application_id,
        })
    }

    /// The provider's settings, when all of them are set.
    pub fn provider(&self) -> Option<crate::payments::finix::FinixSettings> {
        Some(crate::payments::finix::FinixSettings {
            api_base: self.finix_api_base.clone(),
            username: self.finix_username.clone()?,
            password: self.finix_password.clone()?,
            merchant_id: self.finix_merchant_id.clone()?,
            application_id: self.finix_application_id.clone()?,
        })
    }
}

/// Where device alerts go besides the dashboard; each channel is off while
/// unset.
#[derive(Debug, Clone, Default, Args)]
pub struct AlertSettings {
    /// A Slack incoming-webhook URL every alert is posted to.
    #[arg(long, env = "AUTOMAT_ALERT_SLACK_WEBHOOK_URL", hide_env_values = true)]
    pub alert_slack_webhook_url: Option<String>,

    /// Admins mailed every alert (comma-separated addresses), through
    /// `AUTOMAT_SMTP_URL` (written to the log when that is unset).
    #[arg(long, env = "AUTOMAT_ALERT_EMAILS", value_delimiter = ',')]
    pub alert_emails: Vec<String>,
}

impl Settings {
    /// Every setting at its default, as `automat serve` with no flags would
    /// start; the environment is not read. Tests start from here and change
    /// what they need, so a new setting needs no edit elsewhere.
    pub fn defaults() -> Self {
        use clap::{Args as _, FromArgMatches as _};
        let command = Self::augment_args(clap::Command::new("automat"))
            .mut_args(|arg| arg.env(None::<&'static str>));
        let matches = command
            .try_get_matches_from(["automat"])
            .expect("every setting has a default or is optional");
        Self::from_arg_matches(&matches).expect("the defaults parse")
    }

    /// Refuses a configured secret too short to be safe (JWT signing key,
    /// loyalty key); the message names the setting, never the value.
    pub fn check_secrets(&self) -> anyhow::Result<()> {
        let configured = [
            ("AUTOMAT_JWT_SECRET", &self.jwt_secret),
            ("AUTOMAT_LOYALTY_SECRET_KEY", &self.loyalty_secret_key),
            ("AUTOMAT_METRICS_TOKEN", &self.metrics_token),
        ];
        for (name, secret) in configured {
            if let Some(secret) = secret
                && secret.len() < MIN_SECRET_BYTES
            {
                anyhow::bail!(
                    "{name} has {} bytes; a secret needs at least {MIN_SECRET_BYTES} \
                     (e.g. the output of `openssl rand -hex 32`). Leave it unset to have \
                     one generated and kept in the database.",
                    secret.len()
                );
            }
        }
        Ok(())
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    pub async fn connect_database(&self) -> Result<domain::db::DatabaseConnection, sea_orm::DbErr> {
        domain::db::connect_sized(&self.database_url, self.database_max_connections).await
    }
}

/// Loads `AUTOMAT_CONFIG_FILE` (or `./automat.env` when present) into the
/// environment without overriding variables that are already set.
pub fn load_config_file() -> anyhow::Result<()> {
    match std::env::var("AUTOMAT_CONFIG_FILE") {
        Ok(path) => {
            dotenvy::from_path(&path)
                .map_err(|e| anyhow::anyhow!("cannot read config file {path}: {e}"))?;
        }
        Err(_) => {
            if std::path::Path::new("automat.env").exists() {
                dotenvy::from_path("automat.env")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Settings;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        Cli::try_parse_from(std::iter::once("automat").chain(args.iter().copied()))
            .map(|c| c.settings)
    }

    #[test]
    fn defaults_are_the_embedded_store() {
        let s = parse(&[]).unwrap();
        assert_eq!(s.http_addr.to_string(), "127.0.0.1:3000");
        assert!(s.is_sqlite());
        assert_eq!(s.mqtt_url, None);
        assert_eq!(s.mqtt_embedded_addr.port(), 1884, "not Mosquitto's 1883");
        assert_eq!(s.redis_url, None);
        assert_eq!(s.simulated_machines, 3);
        assert!(s.seed_demo);
        assert_eq!(s.jwt_secret, None, "generated and kept in the database");
        assert_eq!(s.loyalty_url, None, "the embedded loyalty simulator");
        assert_eq!(s.loyalty_embedded_addr.port(), 4100);
        assert_eq!(s.loyalty_timeout_ms, 3000);
        assert_eq!(
            s.alerts.alert_slack_webhook_url, None,
            "alert channels are off"
        );
        assert!(s.alerts.alert_emails.is_empty());
        assert_eq!(s.environment, super::Environment::Development);
        assert_eq!(
            s.stripe.stripe_secret_key, None,
            "no Stripe until configured"
        );
        assert!(s.finix.provider().is_none(), "no Finix until configured");
        assert!(
            s.rate_limits.trusted_proxies.is_empty(),
            "X-Forwarded-For is believed from nobody"
        );
        assert_eq!(s.sms.sms_account_sid, None, "codes go to the log");
        assert_eq!(s.sms.sms_url, "https://api.twilio.com");
        assert_eq!(s.files.s3_bucket, None, "uploads stay on this machine");
        assert_eq!(s.files.files_dir, std::path::Path::new("data/uploads"));
        let vending = crate::vending::VendingSettings::default();
        assert_eq!(
            (
                s.vending.hold_amount,
                s.vending.ack_timeout_ms,
                s.vending.command_attempts
            ),
            (
                vending.hold_amount,
                vending.ack_timeout_ms,
                vending.command_attempts
            ),
            "the flags' defaults are the struct's"
        );
    }

    #[test]
    // Setting a variable is unsafe since edition 2024 (the workspace denies unsafe code).
    #[allow(unsafe_code)]
    fn defaults_ignore_the_environment() {
        // A variable no other test here asserts on: tests run in parallel.
        // SAFETY: the other tests only read the environment.
        unsafe { std::env::set_var("AUTOMAT_MAIL_FROM", "Elsewhere <x@example.com>") };
        let s = Settings::defaults();
        unsafe { std::env::remove_var("AUTOMAT_MAIL_FROM") };
        assert_eq!(s.mail_from, "Automat <orders@automat.local>");
        assert_eq!(s.http_addr.to_string(), "127.0.0.1:3000");
    }

    #[test]
    fn flags_pick_production_parts() {
        let s = parse(&[
            "--database-url",
            "postgres://u@db/automat",
            "--mqtt-url",
            "mqtt://broker:1883",
            "--redis-url",
            "redis://cache:6379",
            "--seed-demo",
            "false",
            "--jwt-secret",
            "a shared secret",
            "--alert-emails",
            "ops@example.com,oncall@example.com",
        ])
        .unwrap();
        assert!(!s.is_sqlite());
        assert_eq!(s.mqtt_url.as_deref(), Some("mqtt://broker:1883"));
        assert_eq!(s.redis_url.as_deref(), Some("redis://cache:6379"));
        assert!(!s.seed_demo);
        assert_eq!(s.jwt_secret.as_deref(), Some("a shared secret"));
        assert_eq!(
            s.alerts.alert_emails,
            ["ops@example.com", "oncall@example.com"]
        );
    }

    #[test]
    fn short_secrets_are_refused_without_showing_them() {
        let long = "x".repeat(super::MIN_SECRET_BYTES);
        for (flag, name) in [
            ("--jwt-secret", "AUTOMAT_JWT_SECRET"),
            ("--loyalty-secret-key", "AUTOMAT_LOYALTY_SECRET_KEY"),
        ] {
            let short = "y".repeat(super::MIN_SECRET_BYTES - 1);
            let err = parse(&[flag, &short])
                .unwrap()
                .check_secrets()
                .unwrap_err()
                .to_string();
            assert!(err.contains(name) && err.contains("at least 32"), "{err}");
            assert!(!err.contains(&short), "{err}");
            parse(&[flag, &long]).unwrap().check_secrets().unwrap();
        }
        parse(&[]).unwrap().check_secrets().unwrap();
    }

    #[test]
    fn bad_values_are_explained() {
        let err = parse(&["--http-addr", "localhost"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--http-addr"), "{err}");
        assert!(parse(&["--simulated-machines", "-1"]).is_err());
    }
}
