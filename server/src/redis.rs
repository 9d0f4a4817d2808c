//! The connection to Redis, for the parts of the store that share state
//! between instances through it (loyalty's circuit breaker, rate limits).

use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, Pool};

/// A small pool connected to `url`; fails when Redis cannot be reached.
pub async fn pool(url: &str) -> anyhow::Result<Pool> {
    let config =
        Config::from_url(url).map_err(|e| anyhow::anyhow!("invalid Redis URL {url}: {e}"))?;
    let pool = Pool::new(config, None, None, None, 2)?;
    pool.init()
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach Redis at {url}: {e}"))?;
    Ok(pool)
}
