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
    path::PathBuf,
    sync::{Arc, OnceLock},
    time::Duration,
};

use domain::{db::DatabaseConnection, devices, ids::random_token};
use rumqttd::{AuthHandler, Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};
use tokio::sync::oneshot;

use super::{
    Login, MqttEndpoint,
    gateway::Inlet,
    tls::{self, ClientTls},
    topic_guard::{self, Guard, Limits, SignInGate},
};

/// How the embedded broker meets devices: its listeners (plaintext, TLS)
/// and what one client may hold of it.
#[derive(Debug, Clone, clap::Args)]
pub struct EmbeddedBrokerSettings {
    /// Keep the plaintext listener on `AUTOMAT_MQTT_EMBEDDED_ADDR`; turn it
    /// off once the machines connect over TLS.
    #[arg(long, env = "AUTOMAT_MQTT_PLAINTEXT", default_value_t = true, action = clap::ArgAction::Set)]
    pub mqtt_plaintext: bool,

    /// Where the embedded broker listens over TLS, when a certificate is given.
    #[arg(long, env = "AUTOMAT_MQTT_TLS_ADDR", default_value = "127.0.0.1:8884")]
    pub mqtt_tls_addr: SocketAddr,

    /// The embedded broker's TLS certificate chain (PEM); with
    /// `mqtt_tls_key`, it listens over TLS too.
    #[arg(long, env = "AUTOMAT_MQTT_TLS_CERT")]
    pub mqtt_tls_cert: Option<PathBuf>,

    /// The private key of `mqtt_tls_cert` (PEM).
    #[arg(long, env = "AUTOMAT_MQTT_TLS_KEY")]
    pub mqtt_tls_key: Option<PathBuf>,

    /// Milliseconds a client has from connecting to a complete CONNECT
    /// (the TLS handshake included); past it the connection is closed.
    #[arg(long, env = "AUTOMAT_MQTT_CONNECT_TIMEOUT_MS", default_value_t = 5000)]
    pub mqtt_connect_timeout_ms: u64,

    /// Connections the embedded broker holds at most; more are closed at once.
    #[arg(long, env = "AUTOMAT_MQTT_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub mqtt_max_connections: usize,

    /// Connections from one address (IPv4, or IPv6 /64) at most; raise it to
    /// the total when machines reach the store through one address (a NAT,
    /// a TCP proxy).
    #[arg(
        long,
        env = "AUTOMAT_MQTT_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 100
    )]
    pub mqtt_max_connections_per_address: usize,

    /// Bytes of one connection's reports that may wait for the gateway;
    /// past it the connection is closed.
    #[arg(long, env = "AUTOMAT_MQTT_MAX_QUEUED_BYTES", default_value_t = 1024 * 1024)]
    pub mqtt_max_queued_bytes: usize,
}

/// The username the back end signs in with.
pub const SERVER_USERNAME: &str = "automat-server";

/// How to reach a running embedded broker.
pub struct EmbeddedBroker {
    /// Where machines connect: through the topic guard, over plaintext
    /// unless it is turned off.
    pub devices: MqttEndpoint,
    /// Where machines connect over TLS, when configured.
    pub devices_tls: Option<MqttEndpoint>,
    /// Where the back end connects: rumqttd itself, signed in as the server.
    pub back_end: MqttEndpoint,
    /// Set to the gateway once it runs: from then on the topic guard hands
    /// it devices' heartbeats and events directly (see [`topic_guard`]).
    pub gateway_inlet: Arc<OnceLock<Inlet>>,
}

/// Threads relaying device connections through the topic guard.
const GUARD_THREADS: usize = 2;

/// Starts a broker for devices on `addr` (port 0 picks a free port), over
/// TLS too when `settings` name a certificate, in its own threads, and
/// waits until it accepts connections. `gate` is asked before every
/// sign-in is checked.
pub async fn start_embedded(
    addr: SocketAddr,
    db: DatabaseConnection,
    settings: &EmbeddedBrokerSettings,
    gate: Arc<dyn SignInGate>,
) -> anyhow::Result<EmbeddedBroker> {
    let tls = match (&settings.mqtt_tls_cert, &settings.mqtt_tls_key) {
        (Some(cert), Some(key)) => Some((tls::acceptor(cert, key)?, cert)),
        (None, None) => None,
        _ => anyhow::bail!("give both AUTOMAT_MQTT_TLS_CERT and AUTOMAT_MQTT_TLS_KEY, or neither"),
    };
    if tls.is_none() && !settings.mqtt_plaintext {
        anyhow::bail!(
            "the embedded MQTT broker would not listen at all: with AUTOMAT_MQTT_PLAINTEXT=false \
             give AUTOMAT_MQTT_TLS_CERT and AUTOMAT_MQTT_TLS_KEY"
        );
    }
    let bind = |addr: SocketAddr| {
        std::net::TcpListener::bind(addr)
            .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
            .map_err(|e| anyhow::anyhow!("the embedded MQTT broker cannot listen on {addr}: {e}"))
    };
    let plaintext = settings.mqtt_plaintext.then(|| bind(addr)).transpose()?;
    let tls = match tls {
        Some((acceptor, cert)) => Some((bind(settings.mqtt_tls_addr)?, acceptor, cert)),
        None => None,
    };
    let server = Login {
        username: SERVER_USERNAME.to_owned(),
        password: random_token(24),
    };
    let limits = limits(settings);
    let (addr, back_end) =
        start_rumqttd(&db, &server, limits.max_connections, free_loopback_port).await?;
    let gateway_inlet = Arc::new(OnceLock::new());
    let endpoint = |listener: &std::net::TcpListener, tls| {
        listener.local_addr().map(|public| MqttEndpoint {
            host: public.ip().to_string(),
            port: public.port(),
            login: Some(server.clone()),
            tls,
        })
    };
    let plaintext_endpoint = plaintext.as_ref().map(|l| endpoint(l, None)).transpose()?;
    let tls_endpoint = match &tls {
        // The in-process machines trust the broker's own certificate.
        Some((listener, _, cert)) => {
            Some(endpoint(listener, Some(ClientTls::trusting_file(cert)?))?)
        }
        None => None,
    };
    let guard = Guard::new(
        addr,
        SERVER_USERNAME.to_owned(),
        gateway_inlet.clone(),
        limits,
        gate,
        tokio::runtime::Handle::current(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(GUARD_THREADS)
        .thread_name("mqtt-guard")
        .enable_all()
        .build()?;
    let listeners: Vec<_> = plaintext
        .map(|listener| (listener, None))
        .into_iter()
        .chain(tls.map(|(listener, acceptor, _)| (listener, Some(acceptor))))
        .collect();
    std::thread::Builder::new()
        .name("mqtt-guard".into())
        .spawn(move || {
            runtime.block_on(async move {
                let mut relaying = tokio::task::JoinSet::new();
                for (listener, tls) in listeners {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => {
                            relaying.spawn(topic_guard::run(listener, tls, guard.clone()));
                        }
                        Err(e) => tracing::error!(error = %e, "the MQTT topic guard cannot listen"),
                    }
                }
                relaying.join_all().await;
            })
        })?;
    for endpoint in plaintext_endpoint.iter().chain(&tls_endpoint) {
        tracing::info!(%endpoint, "embedded MQTT broker listening");
    }
    let devices = plaintext_endpoint
        .or_else(|| tls_endpoint.clone())
        .ok_or_else(|| anyhow::anyhow!("the embedded MQTT broker has no listener"))?;
    Ok(EmbeddedBroker {
        devices,
        devices_tls: tls_endpoint,
        back_end,
        gateway_inlet,
    })
}

/// The relay's limits from `settings`, the connections held at most within
/// what the process may open: each takes three file descriptors (the
/// client's socket, the relay's to rumqttd and rumqttd's end of it), and a
/// quarter of them stay for the database, HTTP and the rest. Past that,
/// accepting would fail for every listener of the process, the web server's too.
fn limits(settings: &EmbeddedBrokerSettings) -> Limits {
    let mut max_connections = settings.mqtt_max_connections;
    if let Some(files) = raise_open_files_limit() {
        // Three quarters of the files, three a connection.
        let fitting = usize::try_from(files / 4).unwrap_or(usize::MAX);
        if fitting < max_connections {
            tracing::warn!(
                open_files = files,
                asked = max_connections,
                held = fitting,
                "the process may not open enough files for AUTOMAT_MQTT_MAX_CONNECTIONS; \
                 the embedded MQTT broker holds fewer (raise the open files limit, ulimit -n)"
            );
            max_connections = fitting;
        }
    }
    Limits {
        connect_timeout: Duration::from_millis(settings.mqtt_connect_timeout_ms),
        max_connections,
        max_per_address: settings.mqtt_max_connections_per_address,
        max_queued_bytes: settings.mqtt_max_queued_bytes,
    }
}

/// Raises this process's soft limit of open files to its hard limit (as
/// servers do; the soft one is often a historical 1,024) and answers it.
// The workspace denies unsafe code; these two libc calls are the only way to it.
#[allow(unsafe_code)]
pub fn raise_open_files_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `limit` is a valid rlimit for getrlimit to fill in and setrlimit to read.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return None;
            }
            if limit.rlim_cur < limit.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: limit.rlim_max,
                    rlim_max: limit.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit = raised;
                }
            }
        }
        // rlim_t is u64 on Linux, not on every unix.
        #[allow(clippy::useless_conversion)]
        Some(u64::try_from(limit.rlim_cur).unwrap_or(u64::MAX))
    }
    #[cfg(not(unix))]
    None
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
    max_connections: usize,
    mut pick_port: impl FnMut() -> anyhow::Result<SocketAddr>,
) -> anyhow::Result<(SocketAddr, MqttEndpoint)> {
    for attempt in 1..=RUMQTTD_START_ATTEMPTS {
        let addr = pick_port()?;
        let config = rumqttd_config(addr, db.clone(), server.clone(), max_connections);
        let stopped = spawn_rumqttd(config)?;
        let back_end = MqttEndpoint {
            host: addr.ip().to_string(),
            port: addr.port(),
            login: Some(server.clone()),
            tls: None,
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

fn rumqttd_config(
    addr: SocketAddr,
    db: DatabaseConnection,
    server: Login,
    max_connections: usize,
) -> Config {
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
            // The relay's, and the back end's own.
            max_connections: max_connections + 10,
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
                return domain::credentials::same_secret(&password, &server.password);
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

#[cfg(test)]
mod tests {
    use std::{
        net::IpAddr,
        sync::{Arc, Mutex},
        time::Duration,
    };

    use domain::devices;

    use rumqttc::{ConnectReturnCode, ConnectionError, Event, Packet};

    use super::{Login, free_loopback_port, signs_in, start_embedded, start_rumqttd};
    use crate::{
        config::Settings,
        vending::{
            MqttEndpoint,
            topic_guard::{AllowAll, SignInGate},
        },
    };

    /// Refuses every sign-in, noting who tried.
    #[derive(Default)]
    struct Refusing(Mutex<Vec<(IpAddr, String)>>);

    #[async_trait::async_trait]
    impl SignInGate for Refusing {
        async fn check(&self, peer: IpAddr, username: &str) -> Result<(), Duration> {
            self.0.lock().unwrap().push((peer, username.to_owned()));
            Err(Duration::from_secs(30))
        }
    }

    /// How the broker answers a device signing in with `password`.
    async fn answer(
        broker: &MqttEndpoint,
        id: &str,
        password: &str,
    ) -> Result<(), ConnectionError> {
        let mut options = broker.options(id, Duration::from_secs(30));
        options.set_credentials(id, password);
        let (_client, mut events) = rumqttc::AsyncClient::new(options, 1);
        loop {
            match tokio::time::timeout(Duration::from_secs(5), events.poll()).await {
                Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => return Ok(()),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => panic!("no answer"),
            }
        }
    }

    /// The gate is asked before a login is checked: refused there, a device
    /// with the right password gets "server unavailable" and is disconnected.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sign_in_gate_that_refuses_turns_devices_away() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/gate.db?mode=rwc", dir.path().display());
        let db = domain::db::connect(&url).await.unwrap();
        migrations::up(&db).await.unwrap();
        devices::register(&db, "vm-gated", "Gated").await.unwrap();
        let password = devices::issue_credentials(&db, "vm-gated")
            .await
            .unwrap()
            .password;
        let settings = Settings::defaults().mqtt_broker;
        let addr = "127.0.0.1:0".parse().unwrap();
        let gate = Arc::new(Refusing::default());
        let gated = start_embedded(addr, db.clone(), &settings, gate.clone())
            .await
            .unwrap();
        let refused = answer(&gated.devices, "vm-gated", &password).await;
        assert!(
            matches!(
                refused,
                Err(ConnectionError::ConnectionRefused(
                    ConnectReturnCode::ServiceUnavailable
                ))
            ),
            "{refused:?}"
        );
        assert_eq!(
            *gate.0.lock().unwrap(),
            [("127.0.0.1".parse().unwrap(), "vm-gated".to_owned())]
        );
        // The same login where every sign-in may be tried.
        let open = start_embedded(addr, db, &settings, Arc::new(AllowAll))
            .await
            .unwrap();
        assert!(answer(&open.devices, "vm-gated", &password).await.is_ok());
    }

    /// Many servers start in one test run: each broker must come up on its
    /// own port however they interleave.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn brokers_started_side_by_side_all_take_sign_ins() {
        let db = domain::db::connect("sqlite::memory:").await.unwrap();
        let settings = Settings::defaults().mqtt_broker;
        let starts = (0..12).map(|_| {
            start_embedded(
                "127.0.0.1:0".parse().unwrap(),
                db.clone(),
                &settings,
                Arc::new(AllowAll),
            )
        });
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
        let (addr, back_end) = start_rumqttd(&db, &server, 100, || Ok(picks.pop().unwrap()))
            .await
            .expect("started on the second port");
        assert_ne!(addr, taken_addr);
        assert!(picks.is_empty(), "the taken port was tried first");
        assert!(signs_in(&back_end).await, "{back_end}");
    }
}
