//! Counts in this process, with governor's keyed rate limiters (a generic
//! cell rate algorithm, as the Redis counts use).

use std::{collections::HashMap, num::NonZeroU32, sync::Weak, time::Duration};

use domain::rate_limits::Rule;
use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};

use super::{Inner, Limit, RateLimitSettings};

pub(super) struct MemoryCounts {
    /// By rule and scope (`address`, `target`); none for a side that is off.
    limiters: HashMap<(Rule, &'static str), DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
}

impl MemoryCounts {
    pub(super) fn new(settings: &RateLimitSettings) -> Self {
        let mut limiters = HashMap::new();
        for rule in Rule::ALL {
            let limits = settings.limits(rule);
            for (scope, limit) in [
                ("address", limits.per_address),
                ("target", limits.per_target),
            ] {
                if let Some(limit) = limit {
                    limiters.insert((rule, scope), governor::RateLimiter::keyed(quota(limit)));
                }
            }
        }
        Self {
            limiters,
            clock: DefaultClock::default(),
        }
    }

    /// One attempt by `key`; the wait until the next is let through when refused.
    pub(super) fn check(&self, rule: Rule, scope: &'static str, key: &str) -> Result<(), Duration> {
        let Some(limiter) = self.limiters.get(&(rule, scope)) else {
            return Ok(());
        };
        limiter
            .check_key(&key.to_owned())
            .map_err(|refused| refused.wait_time_from(self.clock.now()))
    }

    /// Drops the counts of clients whose attempts have all been taken back,
    /// so memory holds only the recently active.
    fn forget_idle(&self) {
        for limiter in self.limiters.values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

fn quota(limit: Limit) -> Quota {
    let burst = NonZeroU32::new(limit.count).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(limit.interval())
        .unwrap_or_else(|| Quota::per_second(burst))
        .allow_burst(burst)
}

/// Forgets idle clients every `every`, while the limiter lives.
pub(super) fn spawn_forgetting(limiter: Weak<Inner>, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(inner) = limiter.upgrade() else {
                return;
            };
            inner.memory.forget_idle();
        }
    });
}
