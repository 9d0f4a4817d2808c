//! A circuit breaker per loyalty host: after `failure_threshold` failed or
//! slow calls in a row it opens and refuses calls for `open_for`; then one
//! probe call is let through (half-open): success closes it, failure opens it
//! again. The state lives in Redis when configured, so every server instance
//! sees the same breaker; in memory otherwise. When Redis itself fails the
//! breaker lets calls through rather than blocking loyalty for its sake.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use domain::loyalty::host::HostError;
use tower_sessions_redis_store::fred::prelude::{Expiration, KeysInterface, Pool, SetOptions};

const REDIS_PREFIX: &str = "automat:loyalty:breaker:";
/// How long a tripped breaker remembers that it must probe first.
const TRIPPED_MEMORY: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone)]
pub struct BreakerPolicy {
    pub failure_threshold: u32,
    pub open_for: Duration,
    /// A call slower than this counts as a failure even when it succeeds.
    pub slow_call: Duration,
    /// How long one probe may take before another instance may probe.
    pub probe_ttl: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            open_for: Duration::from_secs(30),
            slow_call: Duration::from_secs(2),
            probe_ttl: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    /// The open time passed; the next call is a probe.
    HalfOpen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admission {
    Closed,
    Probe,
}

#[derive(Clone)]
pub struct CircuitBreaker {
    policy: BreakerPolicy,
    store: Store,
}

#[derive(Clone)]
enum Store {
    Memory(Arc<Mutex<HashMap<String, MemoryState>>>),
    Redis(Pool),
}

#[derive(Default)]
struct MemoryState {
    failures: u32,
    open_until: Option<Instant>,
    tripped: bool,
    probe_until: Option<Instant>,
}

impl CircuitBreaker {
    pub fn in_memory(policy: BreakerPolicy) -> Self {
        Self {
            policy,
            store: Store::Memory(Arc::default()),
        }
    }

    /// Shared by every instance using the same Redis.
    pub fn in_redis(policy: BreakerPolicy, pool: Pool) -> Self {
        Self {
            policy,
            store: Store::Redis(pool),
        }
    }

    /// Runs `call` unless the breaker for `key` is open. Only
    /// [`HostError::Unavailable`] and slow calls count against the host: a
    /// host that answers "no such member" is healthy.
    pub async fn run<T>(
        &self,
        key: &str,
        call: impl Future<Output = Result<T, HostError>>,
    ) -> Result<T, HostError> {
        let admission = self.admit(key).await.ok_or_else(|| {
            HostError::Unavailable("the circuit breaker is open after repeated failures".into())
        })?;
        let started = Instant::now();
        let result = call.await;
        let failed = matches!(result, Err(HostError::Unavailable(_)))
            || started.elapsed() > self.policy.slow_call;
        if failed {
            self.record_failure(key, admission).await;
        } else {
            self.reset(key).await;
        }
        result
    }

    pub async fn state(&self, key: &str) -> BreakerState {
        match &self.store {
            Store::Memory(states) => {
                let states = states.lock().unwrap_or_else(|p| p.into_inner());
                match states.get(key) {
                    Some(s) if s.open_until.is_some_and(|until| until > Instant::now()) => {
                        BreakerState::Open
                    }
                    Some(s) if s.tripped => BreakerState::HalfOpen,
                    _ => BreakerState::Closed,
                }
            }
            Store::Redis(pool) => {
                let keys = RedisKeys::new(key);
                let open: i64 = pool.exists(&keys.open).await.unwrap_or(0);
                let tripped: i64 = pool.exists(&keys.tripped).await.unwrap_or(0);
                match (open, tripped) {
                    (1.., _) => BreakerState::Open,
                    (_, 1..) => BreakerState::HalfOpen,
                    _ => BreakerState::Closed,
                }
            }
        }
    }

    /// `None` when the call must not go out.
    async fn admit(&self, key: &str) -> Option<Admission> {
        match &self.store {
            Store::Memory(states) => {
                let now = Instant::now();
                let mut states = states.lock().unwrap_or_else(|p| p.into_inner());
                let state = states.entry(key.to_owned()).or_default();
                if state.open_until.is_some_and(|until| until > now) {
                    return None;
                }
                if !state.tripped {
                    return Some(Admission::Closed);
                }
                if state.probe_until.is_some_and(|until| until > now) {
                    return None;
                }
                state.probe_until = Some(now + self.policy.probe_ttl);
                Some(Admission::Probe)
            }
            Store::Redis(pool) => match self.admit_redis(pool, key).await {
                Ok(admission) => admission,
                Err(e) => {
                    tracing::warn!(error = %e, "circuit breaker state unavailable; letting the call through");
                    Some(Admission::Closed)
                }
            },
        }
    }

    async fn admit_redis(
        &self,
        pool: &Pool,
        key: &str,
    ) -> Result<Option<Admission>, tower_sessions_redis_store::fred::error::Error> {
        let keys = RedisKeys::new(key);
        let open: i64 = pool.exists(&keys.open).await?;
        if open > 0 {
            return Ok(None);
        }
        let tripped: i64 = pool.exists(&keys.tripped).await?;
        if tripped == 0 {
            return Ok(Some(Admission::Closed));
        }
        let won: Option<String> = pool
            .set(
                &keys.probe,
                "1",
                Some(Expiration::PX(millis(self.policy.probe_ttl))),
                Some(SetOptions::NX),
                false,
            )
            .await?;
        Ok(won.map(|_| Admission::Probe))
    }

    /// Closes the breaker for `key`: a success, or a host whose configuration changed.
    pub async fn reset(&self, key: &str) {
        match &self.store {
            Store::Memory(states) => {
                let mut states = states.lock().unwrap_or_else(|p| p.into_inner());
                states.remove(key);
            }
            Store::Redis(pool) => {
                let keys = RedisKeys::new(key);
                let all = vec![keys.failures, keys.open, keys.tripped, keys.probe];
                if let Err(e) = pool.del::<i64, _>(all).await {
                    tracing::warn!(error = %e, "cannot reset the circuit breaker");
                }
            }
        }
    }

    async fn record_failure(&self, key: &str, admission: Admission) {
        match &self.store {
            Store::Memory(states) => {
                let now = Instant::now();
                let mut states = states.lock().unwrap_or_else(|p| p.into_inner());
                let state = states.entry(key.to_owned()).or_default();
                state.probe_until = None;
                state.failures += 1;
                if admission == Admission::Probe || state.failures >= self.policy.failure_threshold
                {
                    state.open_until = Some(now + self.policy.open_for);
                    state.tripped = true;
                    state.failures = 0;
                }
            }
            Store::Redis(pool) => {
                if let Err(e) = self.record_failure_redis(pool, key, admission).await {
                    tracing::warn!(error = %e, "cannot record a failure in the circuit breaker");
                }
            }
        }
    }

    async fn record_failure_redis(
        &self,
        pool: &Pool,
        key: &str,
        admission: Admission,
    ) -> Result<(), tower_sessions_redis_store::fred::error::Error> {
        let keys = RedisKeys::new(key);
        let failures: i64 = pool.incr(&keys.failures).await?;
        let _: i64 = pool
            .pexpire(&keys.failures, millis(TRIPPED_MEMORY), None)
            .await?;
        if admission == Admission::Probe || failures >= i64::from(self.policy.failure_threshold) {
            let _: Option<String> = pool
                .set(
                    &keys.open,
                    "1",
                    Some(Expiration::PX(millis(self.policy.open_for))),
                    None,
                    false,
                )
                .await?;
            let _: Option<String> = pool
                .set(
                    &keys.tripped,
                    "1",
                    Some(Expiration::PX(millis(TRIPPED_MEMORY))),
                    None,
                    false,
                )
                .await?;
            let _: i64 = pool.del(vec![keys.failures, keys.probe]).await?;
        }
        Ok(())
    }
}

struct RedisKeys {
    failures: String,
    open: String,
    tripped: String,
    probe: String,
}

impl RedisKeys {
    fn new(key: &str) -> Self {
        Self {
            failures: format!("{REDIS_PREFIX}{key}:failures"),
            open: format!("{REDIS_PREFIX}{key}:open"),
            tripped: format!("{REDIS_PREFIX}{key}:tripped"),
            probe: format!("{REDIS_PREFIX}{key}:probe"),
        }
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> BreakerPolicy {
        BreakerPolicy {
            failure_threshold: 2,
            open_for: Duration::from_millis(100),
            slow_call: Duration::from_millis(50),
            probe_ttl: Duration::from_secs(1),
        }
    }

    async fn fail(breaker: &CircuitBreaker) -> Result<(), HostError> {
        breaker
            .run("host", async { Err(HostError::Unavailable("down".into())) })
            .await
    }

    async fn succeed(breaker: &CircuitBreaker) -> Result<(), HostError> {
        breaker.run("host", async { Ok(()) }).await
    }

    #[tokio::test]
    async fn opens_after_failures_then_probes_once_and_closes() {
        let breaker = CircuitBreaker::in_memory(policy());
        fail(&breaker).await.unwrap_err();
        assert_eq!(breaker.state("host").await, BreakerState::Closed);
        fail(&breaker).await.unwrap_err();
        assert_eq!(breaker.state("host").await, BreakerState::Open);
        let refused: Result<(), _> = breaker
            .run("host", async { panic!("an open breaker makes no call") })
            .await;
        assert!(matches!(refused, Err(HostError::Unavailable(_))));

        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(breaker.state("host").await, BreakerState::HalfOpen);
        fail(&breaker).await.unwrap_err();
        assert_eq!(
            breaker.state("host").await,
            BreakerState::Open,
            "a failed probe reopens"
        );

        tokio::time::sleep(Duration::from_millis(120)).await;
        succeed(&breaker).await.unwrap();
        assert_eq!(breaker.state("host").await, BreakerState::Closed);
        assert_eq!(breaker.state("another host").await, BreakerState::Closed);
    }

    #[tokio::test]
    async fn slow_calls_count_as_failures_and_refusals_do_not() {
        let breaker = CircuitBreaker::in_memory(policy());
        for _ in 0..3 {
            let refused = breaker.run("host", async { Err::<(), _>(HostError::MemberNotFound) });
            assert!(matches!(refused.await, Err(HostError::MemberNotFound)));
        }
        assert_eq!(breaker.state("host").await, BreakerState::Closed);
        for _ in 0..2 {
            breaker
                .run("host", async {
                    tokio::time::sleep(Duration::from_millis(60)).await;
                    Ok(())
                })
                .await
                .unwrap();
        }
        assert_eq!(breaker.state("host").await, BreakerState::Open);
    }
}
