//! Counts in Redis, shared by every server instance that uses it.
//!
//! No maintained crate keeps governor-style limits in Redis through the
//! client the store already has (fred, via tower-sessions-redis-store): the
//! few that exist are young, single-release, or built on another Redis
//! client. So this is the generic cell rate algorithm in a Lua script of a
//! dozen lines — the same algorithm governor runs in memory — executed
//! atomically by Redis on Redis's clock, one key per counted subject that
//! expires once its attempts are all taken back.

use std::time::Duration;

use domain::rate_limits::Rule;
use fred::{error::Error, interfaces::LuaInterface, prelude::Pool};

use super::Limit;

/// KEYS[1]: the subject's key. ARGV[1]: the interval one attempt takes back,
/// ms. ARGV[2]: the burst tolerance, ms ((count - 1) intervals). Returns 0
/// when the attempt is let through (and counted), else the ms to wait.
/// The stored value is the "theoretical arrival time", in ms of Redis's clock.
const GCRA: &str = r"
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local allowed_at = tat - tolerance
if now < allowed_at then return allowed_at - now end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', next_tat - now)
return 0
";

pub(super) struct RedisCounts {
    pool: Pool,
    prefix: String,
}

impl RedisCounts {
    pub(super) fn new(pool: Pool, prefix: &str) -> Self {
        Self {
            pool,
            prefix: prefix.to_owned(),
        }
    }

    /// One attempt by `key`: `Ok(Err(wait))` when refused, `Err` when Redis failed.
    pub(super) async fn check(
        &self,
        rule: Rule,
        scope: &str,
        key: &str,
        limit: Limit,
    ) -> Result<Result<(), Duration>, Error> {
        let interval = millis(limit.interval()).max(1);
        let tolerance = interval * (i64::from(limit.count) - 1);
        let redis_key = format!("{}:{}:{scope}:{key}", self.prefix, rule.name());
        let wait: i64 = self
            .pool
            .eval(GCRA, vec![redis_key], vec![interval, tolerance])
            .await?;
        Ok(match u64::try_from(wait) {
            Ok(0) | Err(_) => Ok(()),
            Ok(ms) => Err(Duration::from_millis(ms)),
        })
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
