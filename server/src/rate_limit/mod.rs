//! Rate limits on the actions an attacker would repeat (see
//! [`domain::rate_limits`]): counted in memory (governor), or in Redis when
//! `AUTOMAT_REDIS_URL` is set so every server instance shares the counts.
//! HTTP handlers and server functions count an attempt with one call
//! ([`Attempts::admit`], `app::server_context::admit`); the MQTT broker can
//! call [`RateLimiter::check`] for [`Rule::MqttSignIn`] the same way.

mod client;
mod http;
mod memory;
mod redis;
mod settings;

use std::{net::IpAddr, sync::Arc, time::Duration};

pub use client::{ClientAddr, note_client};
use domain::rate_limits::{RetryAfter, Rule, Subject};
pub use http::Attempts;
pub use settings::{Limit, Limits, ProxyRange, RateLimitSettings};

use self::{memory::MemoryCounts, redis::RedisCounts};

/// Counts attempts per rule, address and target. Cheap to clone.
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    settings: RateLimitSettings,
    memory: MemoryCounts,
    /// Shared counts; the memory ones stand in while Redis fails.
    redis: Option<RedisCounts>,
}

/// How often counts of clients no longer limited are dropped from memory.
const FORGET_EVERY: Duration = Duration::from_secs(60);

impl RateLimiter {
    /// Counts in Redis when `redis_url` is given, in memory otherwise.
    pub async fn start(
        settings: &RateLimitSettings,
        redis_url: Option<&str>,
    ) -> anyhow::Result<Self> {
        let redis = match redis_url {
            Some(url) => Some(RedisCounts::new(
                crate::redis::pool(url).await?,
                &settings.prefix,
            )),
            None => None,
        };
        let limiter = Self {
            inner: Arc::new(Inner {
                memory: MemoryCounts::new(settings),
                settings: settings.clone(),
                redis,
            }),
        };
        memory::spawn_forgetting(Arc::downgrade(&limiter.inner), FORGET_EVERY);
        Ok(limiter)
    }

    /// Counts one attempt at `rule` by `subject`; refused while over the
    /// limit, with the time until the next attempt is let through.
    pub async fn check(&self, rule: Rule, subject: Subject<'_>) -> Result<(), RetryAfter> {
        let limits = self.inner.settings.limits(rule);
        let limit = match subject {
            Subject::Address(_) => limits.per_address,
            Subject::Target(_) => limits.per_target,
        };
        let Some(limit) = limit else {
            return Ok(());
        };
        let key = subject.key(rule);
        let counted = match &self.inner.redis {
            Some(redis) => match redis.check(rule, subject.scope(), &key, limit).await {
                Ok(counted) => counted,
                Err(e) => {
                    tracing::warn!(error = %e, %rule, "rate limit counts unavailable in Redis; counting in memory");
                    self.inner.memory.check(rule, subject.scope(), &key)
                }
            },
            None => self.inner.memory.check(rule, subject.scope(), &key),
        };
        counted.map_err(|wait| {
            tracing::info!(%rule, scope = subject.scope(), "rate limit reached");
            RetryAfter { rule, wait }
        })
    }

    /// Counts one attempt at `rule` on `target` from `address`: refused when
    /// the address or the target is over its limit (the target is not
    /// counted for an address already refused).
    pub async fn admit(&self, rule: Rule, address: IpAddr, target: &str) -> Result<(), RetryAfter> {
        self.check(rule, Subject::Address(address)).await?;
        self.check(rule, Subject::Target(target)).await
    }

    /// The client of a request that came from `peer` with these headers.
    pub fn client_address(&self, peer: Option<IpAddr>, headers: &axum::http::HeaderMap) -> IpAddr {
        client::client_address(&self.inner.settings.trusted_proxies, peer, headers)
    }
}

/// MQTT sign-ins at the embedded broker, per address and per device id.
#[async_trait::async_trait]
impl crate::vending::topic_guard::SignInGate for RateLimiter {
    async fn check(&self, peer: IpAddr, username: &str) -> Result<(), Duration> {
        self.admit(Rule::MqttSignIn, peer, username)
            .await
            .map_err(|refused| refused.wait)
    }
}

impl app::server_context::Throttle for RateLimiter {
    fn admit(
        &self,
        rule: Rule,
        address: IpAddr,
        target: &str,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), RetryAfter>> + Send + '_>> {
        let target = target.to_owned();
        Box::pin(async move { RateLimiter::admit(self, rule, address, &target).await })
    }
}

#[cfg(test)]
mod tests {
    use std::{net::IpAddr, time::Duration};

    use domain::rate_limits::Rule;

    use super::{RateLimitSettings, RateLimiter};

    /// The defaults, device sign-ins limited to 2 a minute per device id.
    fn settings() -> RateLimitSettings {
        let mut settings = crate::config::Settings::defaults().rate_limits;
        settings.mqtt_sign_in = "off,2/min".parse().unwrap();
        settings.prefix = format!("automat-test:{}:rate", ulid::Ulid::new());
        settings
    }

    /// What the device relay does on each CONNECT: its address, then its id.
    async fn device_signs_in(limiter: &RateLimiter, device: &str) -> Result<(), Duration> {
        let address: IpAddr = "192.0.2.10".parse().unwrap();
        limiter
            .admit(Rule::MqttSignIn, address, device)
            .await
            .map_err(|refused| refused.wait)
    }

    async fn a_device_is_refused_once_over_its_limit(limiter: RateLimiter) {
        device_signs_in(&limiter, "vm-001").await.unwrap();
        device_signs_in(&limiter, "vm-001").await.unwrap();
        let wait = device_signs_in(&limiter, "vm-001").await.unwrap_err();
        // Two a minute: one attempt comes back every 30 s.
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        device_signs_in(&limiter, "vm-002")
            .await
            .expect("another device has its own count");
    }

    #[tokio::test]
    async fn in_memory_a_device_is_refused_once_over_its_limit() {
        let limiter = RateLimiter::start(&settings(), None).await.unwrap();
        a_device_is_refused_once_over_its_limit(limiter).await;
    }

    #[tokio::test]
    async fn in_redis_a_device_is_refused_once_over_its_limit() {
        let Some(url) = testkit::redis_url() else {
            return;
        };
        let limiter = RateLimiter::start(&settings(), Some(&url)).await.unwrap();
        a_device_is_refused_once_over_its_limit(limiter).await;
    }
}
