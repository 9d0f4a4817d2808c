//! Loyalty for the server: the HTTP client of the host, its circuit breaker,
//! the key that seals stored secrets, and the embedded host simulator that
//! runs when no host is configured (like the embedded MQTT broker).

pub mod breaker;
pub mod client;

use std::{sync::Arc, time::Duration};

use domain::loyalty::{ConfigInput, DEFAULT_STORE_ID, Loyalty, secret::SecretBox};
use loyalty_host::{HostConfig, HostHandle};
use sea_orm::DatabaseConnection;

use crate::config::Settings;
use breaker::{BreakerPolicy, CircuitBreaker};
use client::HttpLoyaltyHost;

/// The provider name of the config row that follows the embedded simulator.
pub const EMBEDDED_PROVIDER: &str = "embedded-simulator";
const SECRET_KEY_SETTING: &str = "loyalty_secret_key";

pub struct LoyaltyRuntime {
    pub loyalty: Loyalty,
    /// The in-process simulator, when one was started.
    pub simulator: Option<HostHandle>,
}

pub async fn start(settings: &Settings, db: &DatabaseConnection) -> anyhow::Result<LoyaltyRuntime> {
    let key = match &settings.loyalty_secret_key {
        Some(key) => key.clone(),
        None => {
            domain::settings::get_or_insert_with(db, SECRET_KEY_SETTING, || {
                domain::ids::random_token(32)
            })
            .await?
        }
    };
    let breaker = match &settings.redis_url {
        Some(url) => {
            CircuitBreaker::in_redis(BreakerPolicy::default(), crate::redis::pool(url).await?)
        }
        None => CircuitBreaker::in_memory(BreakerPolicy::default()),
    };
    let host = HttpLoyaltyHost::new(
        breaker,
        Duration::from_millis(settings.loyalty_timeout_ms.max(1)),
    );
    let loyalty = Loyalty::new(
        Arc::new(host),
        SecretBox::new(&key),
        crate::sms::sender(&settings.sms, db)?,
    );
    let simulator = match &settings.loyalty_url {
        Some(url) => {
            let input = ConfigInput {
                enabled: true,
                provider: "pdi-conexxus".into(),
                base_url: url.clone(),
                client_id: settings.loyalty_client_id.clone().unwrap_or_default(),
                client_secret: settings.loyalty_client_secret.clone(),
                participant_id: None,
                site_id: None,
            };
            if loyalty.config(db, DEFAULT_STORE_ID).await?.is_none() {
                loyalty.save_config(db, DEFAULT_STORE_ID, input).await?;
            }
            None
        }
        None => start_embedded(settings, db, &loyalty).await?,
    };
    Ok(LoyaltyRuntime { loyalty, simulator })
}

/// Starts the demo host and points the store at it, unless an admin chose
/// another host. A taken port only costs loyalty, never the store.
async fn start_embedded(
    settings: &Settings,
    db: &DatabaseConnection,
    loyalty: &Loyalty,
) -> anyhow::Result<Option<HostHandle>> {
    let demo = HostConfig::demo();
    let (addr, handle) = match loyalty_host::spawn_on(settings.loyalty_embedded_addr, demo.clone())
        .await
    {
        Ok(started) => started,
        Err(e) => {
            tracing::warn!(error = %e, addr = %settings.loyalty_embedded_addr, "the embedded loyalty host cannot start; loyalty stays off");
            return Ok(None);
        }
    };
    let follows_embedded = loyalty
        .config(db, DEFAULT_STORE_ID)
        .await?
        .is_none_or(|c| c.provider == EMBEDDED_PROVIDER);
    if follows_embedded {
        let client = &demo.clients[0];
        let input = ConfigInput {
            enabled: true,
            provider: EMBEDDED_PROVIDER.into(),
            base_url: format!("http://{addr}"),
            client_id: client.client_id.clone(),
            client_secret: Some(client.client_secret.clone()),
            participant_id: None,
            site_id: None,
        };
        loyalty.save_config(db, DEFAULT_STORE_ID, input).await?;
    }
    Ok(Some(handle))
}
