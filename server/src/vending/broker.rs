//! The in-process MQTT broker of the embedded default (rumqttd).
//!
//! Every client signs in: a device with its id and the password issued for
//! it (checked against the hash in the database), the back end with a
//! password generated for this process. Clients connect through the
//! [`topic_guard`](super::topic_guard), which keeps each device to its own
//! topics; rumqttd itself listens on a loopback port of its own, where the
//! back end's gateway connects directly.
//!
//! The relays run on threads of their own, as rumqttd does: a fleet of busy
//! machines then shares the CPU with the gateway instead of queueing ahead
//! of it on the server's runtime.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, OnceLock},
    time::Duration,
};

use domain::{db::DatabaseConnection, devices, ids::random_token};
use rumqttd::{AuthHandler, Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};
use tokio::sync::oneshot;

use super::{Login, MqttEndpoint, gateway::Inlet, topic_guard};

/// The username the back end signs in with.
pub const SERVER_USERNAME: &str = "automat-server";

/// How to reach a running embedded broker.
pub struct EmbeddedBroker {
    /// Where machines connect: through the topic guard.
    pub devices: MqttEndpoint,
    /// Where the back end connects: rumqttd itself, signed in as the server.
    pub back_end: MqttEndpoint,
    /// Set to the gateway once it runs: from then on the topic guard hands
    /// it devices' heartbeats and events directly (see [`topic_guard`]).
    pub gateway_inlet: Arc<OnceLock<Inlet>>,
}

/// Threads relaying device connections through the topic guard.
const GUARD_THREADS: usize = 2;

/// Starts a broker on `addr` (port 0 picks a free port) in its own threads
/// and waits until it accepts connections.
pub async fn start_embedded(
    addr: SocketAddr,
    db: DatabaseConnection,
) -> anyhow::Result<EmbeddedBroker> {
    let listener = std::net::TcpListener::bind(addr)
        .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
        .map_err(|e| anyhow::anyhow!("the embedded MQTT broker cannot listen on {addr}: {e}"))?;
    let public = listener.local_addr()?;
    let server = Login {
        username: SERVER_USERNAME.to_owned(),
        password: random_token(24),
    };
    let (addr, back_end) = start_rumqttd(&db, &server, free_loopback_port).await?;
    let gateway_inlet = Arc::new(OnceLock::new());
    let inlet = gateway_inlet.clone();
    let guard = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(GUARD_THREADS)
        .thread_name("mqtt-guard")
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("mqtt-guard".into())
        .spawn(move || {
            guard.block_on(async move {
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => {
                        topic_guard::run(listener, addr, SERVER_USERNAME.to_owned(), inlet).await
                    }
                    Err(e) => tracing::error!(error = %e, "the MQTT topic guard cannot listen"),
                }
            })
        })?;
    tracing::info!(addr = %public, "embedded MQTT broker listening");
    Ok(EmbeddedBroker {
        devices: MqttEndpoint {
            host: public.ip().to_string(),
            port: public.port(),
            login: Some(server),
        },
        back_end,
        gateway_inlet,
    })
}

/// Times rumqttd is started on a fresh loopback port when it cannot bind
/// the one picked for it.
const RUMQTTD_START_ATTEMPTS: usize = 5;

/// Starts rumqttd on a loopback port of its own and waits until it answers
/// the back end's sign-in. rumqttd binds its port itself, so the port is
/// picked by binding and releasing it; another process can take it in
/// between, and rumqttd then gives up: it is started again on another port.
async fn start_rumqttd(
    db: &DatabaseConnection,
    server: &Login,
    mut pick_port: impl FnMut() -> anyhow::Result<SocketAddr>,
) -> anyhow::Result<(SocketAddr, MqttEndpoint)> {
    for attempt in 1..=RUMQTTD_START_ATTEMPTS {
        let addr = pick_port()?;
        let stopped = spawn_rumqttd(rumqttd_config(addr, db.clone(), server.clone()))?;
        let back_end = MqttEndpoint {
            host: addr.ip().to_string(),
            port: addr.port(),
            login: Some(server.clone()),
        };
        match wait_until_accepting(&back_end, stopped).await {
            Ok(()) => return Ok((addr, back_end)),
            Err(Unanswered::Stopped) => {
                tracing::warn!(%addr, attempt, "the embedded MQTT broker could not listen; trying another port");
            }
            Err(Unanswered::Silent) => anyhow::bail!(
                "the embedded MQTT broker on {addr} did not answer within {}s",
                STARTUP_WAIT.as_secs()
            ),
        }
    }
    anyhow::bail!(
        "the embedded MQTT broker could not listen on any of {RUMQTTD_START_ATTEMPTS} loopback ports"
    )
}

/// A loopback port free at the moment of asking.
fn free_loopback_port() -> anyhow::Result<SocketAddr> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|probe| probe.local_addr())
        .map_err(|e| anyhow::anyhow!("no loopback port for the embedded MQTT broker: {e}"))
}

fn rumqttd_config(addr: SocketAddr, db: DatabaseConnection, server: Login) -> Config {
    let mut v4 = HashMap::new();
    v4.insert(
        "v4".to_owned(),
        ServerSettings {
            name: "automat-embedded".to_owned(),
            listen: addr,
            tls: None,
            next_connection_delay_ms: 0,
            connections: ConnectionSettings {
                connection_timeout_ms: 10_000,
                max_payload_size: 256 * 1024,
                max_inflight_count: 500,
                auth: None,
                external_auth: Some(authenticator(db, server)),
                dynamic_filters: true,
            },
        },
    );
    Config {
        id: 0,
        router: RouterConfig {
            max_connections: 10_010,
            // Messages one read hands an at-most-once subscriber (the gateway).
            max_outgoing_packet_count: 4096,
            max_segment_size: 16 * 1024 * 1024,
            max_segment_count: 10,
            custom_segment: None,
            initialized_filters: None,
            shared_subscriptions_strategy: Default::default(),
        },
        v4: Some(v4),
        ..Default::default()
    }
}

/// Runs rumqttd on a thread of its own. The receiver hears when it stops:
/// `Broker::start` returns only once its listener is gone, which right
/// after the start means it could not bind its port.
fn spawn_rumqttd(config: Config) -> anyhow::Result<oneshot::Receiver<()>> {
    let (stopped, on_stop) = oneshot::channel();
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            if let Err(e) = Broker::new(config).start() {
                tracing::error!(error = %e, "embedded MQTT broker stopped");
            }
            let _ = stopped.send(());
        })?;
    Ok(on_stop)
}

/// Checks a client's username and password. The broker runs its own
/// runtime; the check runs on the server's, where the database pool lives.
fn authenticator(db: DatabaseConnection, server: Login) -> AuthHandler {
    let runtime = tokio::runtime::Handle::current();
    Arc::new(move |client_id, username, password| {
        let (db, server) = (db.clone(), server.clone());
        let check = runtime.spawn(async move {
            if username == server.username {
                return same_secret(&password, &server.password);
            }
            match devices::verify_credentials(&db, &username, &password).await {
                Ok(true) => true,
                Ok(false) => {
                    tracing::warn!(%client_id, %username, "MQTT sign-in refused: unknown device or wrong password");
                    false
                }
                Err(e) => {
                    tracing::error!(%client_id, %username, error = %e, "MQTT sign-in could not be checked");
                    false
                }
            }
        });
        Box::pin(async move { check.await.unwrap_or(false) })
    })
}

/// How long a starting rumqttd may take to answer its first sign-in; long,
/// because test runs start many servers at once on a busy machine.
const STARTUP_WAIT: Duration = Duration::from_secs(30);

/// Why a starting broker never answered.
enum Unanswered {
    /// Its thread ended: it could not listen.
    Stopped,
    /// It kept running without answering for [`STARTUP_WAIT`].
    Silent,
}

/// Waits until the broker answers a sign-in as the back end. Probing by
/// binding the port instead could take it at the instant rumqttd binds it,
/// and rumqttd gives up on a listener it cannot bind.
async fn wait_until_accepting(
    broker: &MqttEndpoint,
    mut stopped: oneshot::Receiver<()>,
) -> Result<(), Unanswered> {
    let deadline = tokio::time::Instant::now() + STARTUP_WAIT;
    while tokio::time::Instant::now() < deadline {
        if signs_in(broker).await {
            return Ok(());
        }
        if !matches!(stopped.try_recv(), Err(oneshot::error::TryRecvError::Empty)) {
            return Err(Unanswered::Stopped);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(Unanswered::Silent)
}

/// Signs in and hangs up. Closing the socket without a DISCONNECT is what
/// rumqttd logs as an ordinary goodbye; a DISCONNECT packet it logs as an error.
async fn signs_in(broker: &MqttEndpoint) -> bool {
    let options = broker.server_options("automat-broker-probe", Duration::from_secs(5));
    let (_client, mut events) = rumqttc::AsyncClient::new(options, 1);
    let answer = tokio::time::timeout(Duration::from_secs(2), events.poll()).await;
    matches!(
        answer,
        Ok(Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))))
    )
}

/// Compares secrets in time that depends on their length only.
fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0, |diff, (a, b)| diff | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::{Login, free_loopback_port, signs_in, start_embedded, start_rumqttd};

    /// Many servers start in one test run: each broker must come up on its
    /// own port however they interleave.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn brokers_started_side_by_side_all_take_sign_ins() {
        let db = domain::db::connect("sqlite::memory:").await.unwrap();
        let starts = (0..12).map(|_| start_embedded("127.0.0.1:0".parse().unwrap(), db.clone()));
        for broker in futures::future::join_all(starts).await {
            let broker = broker.expect("every broker starts");
            assert!(
                signs_in(&broker.devices).await,
                "{} (through the topic guard)",
                broker.devices
            );
            assert!(signs_in(&broker.back_end).await, "{}", broker.back_end);
        }
    }

    /// rumqttd binds its port itself, after it was picked: when something
    /// took the port in between, it is started again on another.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rumqttd_whose_port_was_taken_starts_on_another() {
        let db = domain::db::connect("sqlite::memory:").await.unwrap();
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let taken_addr = taken.local_addr().unwrap();
        let mut picks = vec![free_loopback_port().unwrap(), taken_addr];
        let server = Login {
            username: super::SERVER_USERNAME.to_owned(),
            password: "back-end-secret".to_owned(),
        };
        let (addr, back_end) = start_rumqttd(&db, &server, || Ok(picks.pop().unwrap()))
            .await
            .expect("started on the second port");
        assert_ne!(addr, taken_addr);
        assert!(picks.is_empty(), "the taken port was tried first");
        assert!(signs_in(&back_end).await, "{back_end}");
    }
}
