//! The loyalty HTTP client against the simulator: tokens, 401 retry, the
//! circuit breaker, timeouts.

use std::time::{Duration, Instant};

use domain::loyalty::host::{HostCredentials, HostError, LoyaltyHost};
use loyalty_host::{Faults, HostConfig, HostHandle};
use server::loyalty::{
    breaker::{BreakerPolicy, BreakerState, CircuitBreaker},
    client::HttpLoyaltyHost,
};
use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, Pool};

const PHONE: &str = "+1 555 010 0001";

fn policy() -> BreakerPolicy {
    BreakerPolicy {
        failure_threshold: 3,
        open_for: Duration::from_millis(300),
        slow_call: Duration::from_secs(5),
        probe_ttl: Duration::from_secs(5),
    }
}

async fn simulator() -> (HostCredentials, HostHandle) {
    let config = HostConfig::demo();
    let client = config.clients[0].clone();
    let (addr, handle) = loyalty_host::spawn(config).await.unwrap();
    let credentials = HostCredentials {
        base_url: format!("http://{addr}"),
        client_id: client.client_id,
        client_secret: client.client_secret,
    };
    (credentials, handle)
}

fn client(timeout: Duration) -> HttpLoyaltyHost {
    HttpLoyaltyHost::new(CircuitBreaker::in_memory(policy()), timeout)
}

async fn identify(
    client: &HttpLoyaltyHost,
    credentials: &HostCredentials,
) -> Result<(), HostError> {
    client
        .identify(credentials, PHONE, "seq-1")
        .await
        .map(|_| ())
}

#[tokio::test]
async fn the_token_is_cached_refreshed_ahead_of_expiry_and_once_on_401() {
    let (credentials, host) = simulator().await;
    let client = client(Duration::from_secs(2));
    let member = client.identify(&credentials, PHONE, "seq-1").await.unwrap();
    assert_eq!(member.member_id, "************5678");
    identify(&client, &credentials).await.unwrap();
    assert_eq!(host.tokens_issued(), 1, "cached");

    // The host forgets the token (expired early): one 401, one refresh, success.
    host.set_token_lifetime(Duration::from_secs(1));
    host.revoke_tokens();
    identify(&client, &credentials).await.unwrap();
    assert_eq!(host.tokens_issued(), 2);

    // 1 s tokens are renewed after 0.8 s, while the old one still works.
    tokio::time::sleep(Duration::from_millis(850)).await;
    let calls = host.api_calls();
    identify(&client, &credentials).await.unwrap();
    assert_eq!(host.tokens_issued(), 3, "refreshed ahead of time");
    assert_eq!(host.api_calls(), calls + 1, "without a 401 first");
}

#[tokio::test]
async fn a_host_that_refuses_fresh_tokens_is_unavailable_after_one_refresh() {
    let (credentials, host) = simulator().await;
    let client = client(Duration::from_secs(2));
    identify(&client, &credentials).await.unwrap();
    host.set_faults(Faults {
        force_unauthorized: true,
        ..Faults::default()
    });
    let refused = identify(&client, &credentials).await;
    assert!(
        matches!(refused, Err(HostError::Unavailable(_))),
        "{refused:?}"
    );
    assert_eq!(host.tokens_issued(), 2, "one refresh, no loop");

    let wrong = HostCredentials {
        client_secret: "wrong".into(),
        ..credentials.clone()
    };
    assert!(matches!(
        identify(&client, &wrong).await,
        Err(HostError::Unavailable(_))
    ));
    host.clear_faults();
    assert!(matches!(
        client
            .identify(&credentials, "+1 000 000 0000", "seq-2")
            .await,
        Err(HostError::MemberNotFound)
    ));
}

#[tokio::test]
async fn the_breaker_opens_on_errors_and_closes_after_a_successful_probe() {
    let (credentials, host) = simulator().await;
    let client = client(Duration::from_secs(2));
    let breaker = client.breaker().clone();
    host.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    for _ in 0..3 {
        assert!(matches!(
            identify(&client, &credentials).await,
            Err(HostError::Unavailable(_))
        ));
    }
    assert_eq!(
        breaker.state(&credentials.base_url).await,
        BreakerState::Open
    );

    // Open: the host is healthy again but not called.
    host.clear_faults();
    let calls = host.api_calls();
    let refused = identify(&client, &credentials).await;
    assert!(
        matches!(&refused, Err(HostError::Unavailable(m)) if m.contains("circuit breaker")),
        "{refused:?}"
    );
    assert_eq!(host.api_calls(), calls);

    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        breaker.state(&credentials.base_url).await,
        BreakerState::HalfOpen
    );
    identify(&client, &credentials).await.unwrap();
    assert_eq!(
        breaker.state(&credentials.base_url).await,
        BreakerState::Closed
    );
}

#[tokio::test]
async fn slow_and_hanging_hosts_time_out() {
    let (credentials, host) = simulator().await;
    let client = client(Duration::from_millis(300));
    identify(&client, &credentials).await.unwrap();
    for faults in [
        Faults {
            latency_ms: 1000,
            ..Faults::default()
        },
        Faults {
            hang: true,
            ..Faults::default()
        },
    ] {
        host.set_faults(faults);
        let started = Instant::now();
        let slow = identify(&client, &credentials).await;
        assert!(matches!(slow, Err(HostError::Unavailable(_))), "{slow:?}");
        assert!(started.elapsed() < Duration::from_millis(900));
    }
    host.clear_faults();
    identify(&client, &credentials).await.unwrap();
}

#[tokio::test]
async fn a_stopped_host_is_unavailable() {
    let (credentials, host) = simulator().await;
    let client = client(Duration::from_secs(1));
    host.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(matches!(
        identify(&client, &credentials).await,
        Err(HostError::Unavailable(_))
    ));
}

#[tokio::test]
async fn server_instances_share_the_breaker_through_redis() {
    let Some(redis_url) = testkit::redis_url() else {
        return;
    };
    let pool = || async {
        let pool = Pool::new(Config::from_url(&redis_url).unwrap(), None, None, None, 1).unwrap();
        pool.init().await.unwrap();
        pool
    };
    let (credentials, host) = simulator().await;
    let first = HttpLoyaltyHost::new(
        CircuitBreaker::in_redis(policy(), pool().await),
        Duration::from_secs(2),
    );
    let second = HttpLoyaltyHost::new(
        CircuitBreaker::in_redis(policy(), pool().await),
        Duration::from_secs(2),
    );
    host.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    for _ in 0..3 {
        identify(&first, &credentials).await.unwrap_err();
    }
    host.clear_faults();
    let state = second.breaker().state(&credentials.base_url).await;
    assert_eq!(state, BreakerState::Open, "the other instance sees it open");
    let calls = host.api_calls();
    identify(&second, &credentials).await.unwrap_err();
    assert_eq!(host.api_calls(), calls, "and does not call");

    tokio::time::sleep(Duration::from_millis(350)).await;
    identify(&second, &credentials).await.unwrap();
    assert_eq!(
        first.breaker().state(&credentials.base_url).await,
        BreakerState::Closed,
        "the probe's success closes it for everyone"
    );
}
