//! Typed settings. Every value comes from a command-line flag or an
//! `AUTOMAT_*` environment variable (optionally loaded from the file named by
//! `AUTOMAT_CONFIG_FILE`, `automat.env` by default); the defaults are the
//! embedded store that needs no external service.

use std::net::SocketAddr;

use clap::Args;

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

    /// Mark the session cookie `Secure` (serve over HTTPS).
    #[arg(long, env = "AUTOMAT_SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,

    /// The sales channel the web storefront sells through: it lists only
    /// products published there. The demo store's online channel by default.
    #[arg(long, env = "AUTOMAT_STOREFRONT_CHANNEL", default_value = domain::seed::ONLINE_STORE_CHANNEL)]
    pub storefront_channel: String,

    /// The store's currency (ISO 4217, lower case).
    #[arg(long, env = "AUTOMAT_CURRENCY", default_value = "eur")]
    pub currency: String,

    /// Signs customer tokens (JWT, HS256); generated and kept in the database when unset.
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

    /// Seals loyalty secrets in the database; generated and kept in the
    /// database when unset (set it to keep the key apart from the data).
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
    #[command(flatten)]
    pub vending: crate::vending::VendingSettings,
    #[command(flatten)]
    pub alerts: AlertSettings,
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
    fn bad_values_are_explained() {
        let err = parse(&["--http-addr", "localhost"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--http-addr"), "{err}");
        assert!(parse(&["--simulated-machines", "-1"]).is_err());
    }
}
