//! The embedded broker's front door and topic ACL. rumqttd 0.20
//! authenticates clients but has no per-client topic rules, so devices
//! reach it through this relay, which reads every packet a client sends: a
//! device (signed in with its id as username and client id) may publish
//! only its own `status`, `heartbeat` and `events` and subscribe only to
//! its own `commands`. A client that tries anything else is disconnected
//! and logged (MQTT 3.1.1 has no way to refuse one publish). The back
//! end's own login is not restricted.
//!
//! Signing in: a client has [`Limits::connect_timeout`] from the TCP accept
//! (TLS handshake included) to send its CONNECT; the relay checks what it
//! claims ([`sign_in::claimed`]), asks the [`SignInGate`], then passes the
//! CONNECT to rumqttd, which checks the password. **Nothing else the client
//! sent goes anywhere until rumqttd answered with a successful CONNACK**:
//! bytes that came with the CONNECT wait unread in the relay, and are
//! dropped with the connection when the login is refused. The relay leaves
//! the password to rumqttd rather than checking it itself: one check per
//! sign-in (an argon2 hash costs tens of milliseconds), in one place, and
//! rumqttd refuses a client the relay would have let through all the same.
//! Connections are capped in total and per source address ([`limits`]).
//!
//! Once the gateway runs, a device's heartbeats and events go to it
//! in-process ([`Inlet`]) and the relay acknowledges them itself, after the
//! gateway's queue took them, a busy device's several at a time
//! ([`ACKS_TOGETHER`]): nobody else subscribes to them, and the trip
//! through rumqttd and back out cost more CPU than handling them. Statuses
//! (retained, and the last will on the same path) still go through the
//! broker, and so does everything else. What the broker sends back is
//! relayed packet by packet, so that the relay's acknowledgements fit in
//! between. Since the broker no longer sees all of a device's traffic, the
//! relay keeps each client's keep-alive in its place.

mod limits;
mod sign_in;

pub use limits::Limits;
pub use sign_in::{AllowAll, SignInGate};

use std::{
    io,
    net::{IpAddr, SocketAddr},
    sync::{
        Arc, OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use bytes::BytesMut;
use domain::devices::protocol::{self, Channel, DeviceId};
use rumqttc::mqttbytes::{
    self, QoS,
    v4::{ConnAck, Connect, ConnectReturnCode, Packet, PubAck, Publish},
};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::{
        TcpListener, TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
    sync::{Mutex, mpsc},
    task::JoinHandle,
    time::Instant,
};
use tokio_rustls::TlsAcceptor;

use self::{
    limits::{Connections, Refusals},
    sign_in::{Client, Refused},
};
use super::{
    gateway::{Inlet, NotTaken},
    shortened,
};

/// The largest packet relayed from the back end or the broker (the
/// broker's own limit, plus headers).
const MAX_PACKET: usize = 256 * 1024 + 1024;
/// The largest packet a device sends: a report of the largest size the
/// gateway reads, plus its topic and headers.
const MAX_DEVICE_PACKET: usize = protocol::MAX_MESSAGE_BYTES + 1024;
/// The largest CONNECT: ids, a login and a status as last will take a few
/// hundred bytes. Small, as every connection may hold one before it signed in.
const MAX_CONNECT_PACKET: usize = 4096;

/// How long rumqttd may take to take a connection and answer its login
/// (a password hash check, behind others when many sign in at once).
const BROKER_ANSWER: Duration = Duration::from_secs(10);

/// How long a client may leave what it is sent unread before it is
/// dropped: meanwhile the relay reads nothing more for it from the broker,
/// so nothing piles up in the relay.
const STALLED_WRITE: Duration = Duration::from_secs(30);

/// How long the listener pauses after failing to accept (out of file
/// descriptors, most likely), instead of trying again at once in a loop.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// What the relays of one broker share.
pub struct Guard {
    /// rumqttd's own loopback port.
    broker: SocketAddr,
    server_username: String,
    /// Set once the gateway runs: reports go to it from then on.
    gateway: Arc<OnceLock<Inlet>>,
    limits: Limits,
    gate: Arc<dyn SignInGate>,
    /// Where the gate is asked: the server's runtime, where whatever it
    /// keeps (a Redis connection) lives; the relays run on their own.
    server_runtime: tokio::runtime::Handle,
    connections: Arc<Connections>,
    refusals: Refusals,
}

impl Guard {
    pub fn new(
        broker: SocketAddr,
        server_username: String,
        gateway: Arc<OnceLock<Inlet>>,
        limits: Limits,
        gate: Arc<dyn SignInGate>,
        server_runtime: tokio::runtime::Handle,
    ) -> Arc<Self> {
        Arc::new(Self {
            broker,
            server_username,
            gateway,
            limits,
            gate,
            server_runtime,
            connections: Arc::default(),
            refusals: Refusals::default(),
        })
    }

    /// Whether `peer` may try to sign in as `username` now.
    async fn may_try(&self, peer: IpAddr, username: &str) -> Result<(), Duration> {
        let (gate, username) = (self.gate.clone(), username.to_owned());
        self.server_runtime
            .spawn(async move { gate.check(peer, &username).await })
            .await
            // A gate that failed lets nobody in.
            .unwrap_or(Err(Duration::from_secs(1)))
    }
}

/// Relays every client of `listener` (over TLS when `tls` is given) to the
/// broker until the process ends.
pub async fn run(listener: TcpListener, tls: Option<TlsAcceptor>, guard: Arc<Guard>) {
    loop {
        let (client, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                guard
                    .refusals
                    .note(None, &format!("the MQTT listener cannot accept: {e}"));
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            }
        };
        // Dropped at once when a limit is reached: closed.
        let slot = match guard.connections.take(peer.ip(), &guard.limits) {
            Ok(slot) => slot,
            Err(full) => {
                guard
                    .refusals
                    .note(Some(peer), &full.describe(&guard.limits));
                continue;
            }
        };
        let (guard, tls) = (guard.clone(), tls.clone());
        tokio::spawn(async move {
            if let Err(e) = serve(client, peer, tls, &guard).await {
                tracing::debug!(%peer, error = %e, "MQTT relay ended");
            }
            drop(slot);
        });
    }
}

/// Relays one client, after its TLS handshake when `tls` is given.
async fn serve(
    client: TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    guard: &Guard,
) -> anyhow::Result<()> {
    client.set_nodelay(true)?;
    let sign_in_by = Instant::now() + guard.limits.connect_timeout;
    match tls {
        None => {
            let (from_client, to_client) = client.into_split();
            relay(from_client, to_client, peer, sign_in_by, guard).await
        }
        Some(tls) => {
            let Ok(handshake) = tokio::time::timeout_at(sign_in_by, tls.accept(client)).await
            else {
                guard
                    .refusals
                    .note(Some(peer), "no TLS handshake within the sign-in time");
                anyhow::bail!("no TLS handshake in time");
            };
            let (from_client, to_client) = tokio::io::split(handshake?);
            relay(from_client, to_client, peer, sign_in_by, guard).await
        }
    }
}

/// A client the broker accepted, and its connection to the broker.
struct SignedIn {
    who: Client,
    from_broker: OwnedReadHalf,
    to_broker: OwnedWriteHalf,
    /// What the broker sent after its CONNACK, not yet relayed.
    from_broker_buffer: BytesMut,
    /// How long the client may stay silent (see [`keep_alive_here`]).
    silence_limit: Option<Duration>,
}

async fn relay<R, W>(
    mut from_client: R,
    mut to_client: W,
    peer: SocketAddr,
    sign_in_by: Instant,
    guard: &Guard,
) -> anyhow::Result<()>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let mut buffer = BytesMut::with_capacity(4096);
    let connect = match tokio::time::timeout_at(
        sign_in_by,
        read_packet(&mut from_client, &mut buffer, MAX_CONNECT_PACKET),
    )
    .await
    {
        Ok(Ok(Some(Packet::Connect(connect)))) => connect,
        Ok(Ok(Some(_))) => anyhow::bail!("a packet before CONNECT"),
        Ok(Ok(None)) => return Ok(()),
        Ok(Err(e)) => return Err(e),
        Err(_) => {
            guard
                .refusals
                .note(Some(peer), "no CONNECT within the sign-in time");
            anyhow::bail!("no CONNECT in time");
        }
    };
    // What else came with the CONNECT stays in `buffer`, unread, until the
    // broker accepted the login.
    let Some(signed_in) = sign_in(connect, &mut to_client, peer, guard).await? else {
        return Ok(());
    };
    let SignedIn {
        who,
        from_broker,
        mut to_broker,
        from_broker_buffer,
        silence_limit,
    } = signed_in;
    let max_packet = match who {
        Client::Server => MAX_PACKET,
        Client::Device(_) => MAX_DEVICE_PACKET,
    };
    let to_client = Arc::new(Mutex::new(to_client));
    let mut downstream = tokio::spawn(pass_down(
        from_broker,
        from_broker_buffer,
        to_client.clone(),
    ));
    // Packets one read brought for the broker, written together.
    let mut to_forward = BytesMut::new();
    let mut last_heard = Instant::now();
    let mut to_gateway = None;
    let outcome = async {
        loop {
            loop {
                let header = match mqttbytes::check(buffer.iter(), max_packet) {
                    Ok(header) => header,
                    Err(mqttbytes::Error::InsufficientBytes(_)) => break,
                    Err(e) => anyhow::bail!("malformed packet: {e:?}"),
                };
                let mut frame = buffer.split_to(header.frame_length());
                let forwarded_up_to = to_forward.len();
                to_forward.extend_from_slice(&frame);
                let packet = Packet::read(&mut frame, max_packet)
                    .map_err(|e| anyhow::anyhow!("malformed packet: {e:?}"))?;
                admit(&who, &packet)?;
                match (&who, packet, guard.gateway.get()) {
                    (Client::Device(_), Packet::Publish(publish), Some(inlet))
                        if goes_to_gateway(&publish) =>
                    {
                        to_forward.truncate(forwarded_up_to);
                        to_gateway
                            .get_or_insert_with(|| {
                                ToGateway::new(
                                    inlet.clone(),
                                    &to_client,
                                    guard.limits.max_queued_bytes,
                                )
                            })
                            .take(publish)
                            .await?;
                    }
                    _ => {}
                }
            }
            let acks_due = match &mut to_gateway {
                Some(to_gateway) => to_gateway.acknowledge_when_due().await?,
                None => None,
            };
            if !to_forward.is_empty() {
                to_broker.write_all(&to_forward).await?;
                to_forward.clear();
            }
            let silent_until = silence_limit.map(|limit| last_heard + limit);
            let deadline = silent_until.into_iter().chain(acks_due).min();
            let read = tokio::select! {
                read = from_client.read_buf(&mut buffer) => read?,
                () = sleep_until(deadline) => {
                    if acks_due == deadline {
                        // Back round the loop, which writes the acknowledgements.
                        continue;
                    }
                    anyhow::bail!("silent past its keep-alive");
                }
                // The broker hung up, or the client stopped reading.
                _ = &mut downstream => anyhow::bail!("the way to the client closed"),
            };
            if read == 0 {
                return Ok(());
            }
            last_heard = Instant::now();
        }
    }
    .await;
    // Its reports reach the gateway's queue before its last will can (the
    // gateway keeps each device's messages in order from there).
    if let Some(to_gateway) = to_gateway {
        to_gateway.finish().await;
    }
    // A refused client loses its connection to the broker too: its last will fires.
    drop(to_broker);
    if !downstream.is_finished() {
        tokio::select! {
            _ = &mut downstream => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => downstream.abort(),
        }
    }
    outcome
}

/// Waits until `deadline`; forever when there is none.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Signs the client in: checks what it claims and asks the gate, then
/// passes its CONNECT to the broker and relays the broker's CONNACK once
/// it accepted the login. A refused client gets a CONNACK that says why
/// and `None`: its connection ends there.
async fn sign_in<W: AsyncWrite + Unpin>(
    connect: Connect,
    to_client: &mut W,
    peer: SocketAddr,
    guard: &Guard,
) -> anyhow::Result<Option<SignedIn>> {
    let username = connect
        .login
        .as_ref()
        .map(|login| login.username.clone())
        .unwrap_or_default();
    let refuse = async |to_client: &mut W, refused: Refused| {
        guard.refusals.note(
            Some(peer),
            &format!(
                "sign-in as {:?} refused: {}",
                shortened(&username, 64),
                refused.why
            ),
        );
        let mut answer = BytesMut::new();
        ConnAck::new(refused.code, false)
            .write(&mut answer)
            .map_err(|e| anyhow::anyhow!("cannot write CONNACK: {e:?}"))?;
        let _ = tokio::time::timeout(STALLED_WRITE, async {
            to_client.write_all(&answer).await?;
            to_client.shutdown().await
        })
        .await;
        anyhow::Ok(None)
    };
    let who = match sign_in::claimed(&connect, &guard.server_username) {
        Ok(who) => who,
        Err(refused) => return refuse(to_client, refused).await,
    };
    if let Err(retry_after) = guard.may_try(peer.ip(), &username).await {
        let why = format!(
            "too many sign-ins; may try again in {} s",
            retry_after.as_secs().max(1)
        );
        return refuse(
            to_client,
            Refused::new(ConnectReturnCode::ServiceUnavailable, why),
        )
        .await;
    }
    let upstream = tokio::time::timeout(BROKER_ANSWER, TcpStream::connect(guard.broker))
        .await
        .map_err(|_| anyhow::anyhow!("the broker does not take connections"))??;
    upstream.set_nodelay(true)?;
    let (mut from_broker, mut to_broker) = upstream.into_split();
    let mut packet = BytesMut::new();
    let silence_limit = keep_alive_here(connect, &mut packet)?;
    to_broker.write_all(&packet).await?;
    let mut from_broker_buffer = BytesMut::with_capacity(4096);
    let answer = tokio::time::timeout(
        BROKER_ANSWER,
        read_packet(&mut from_broker, &mut from_broker_buffer, MAX_PACKET),
    )
    .await;
    match answer {
        Ok(Ok(Some(Packet::ConnAck(ack)))) if ack.code == ConnectReturnCode::Success => {
            let mut accepted = BytesMut::new();
            ack.write(&mut accepted)
                .map_err(|e| anyhow::anyhow!("cannot write CONNACK: {e:?}"))?;
            tokio::time::timeout(STALLED_WRITE, to_client.write_all(&accepted))
                .await
                .map_err(|_| anyhow::anyhow!("the client reads nothing"))??;
        }
        Ok(Ok(Some(Packet::ConnAck(ack)))) => {
            return refuse(to_client, Refused::new(ack.code, "refused by the broker")).await;
        }
        // rumqttd hangs up on a wrong password without a word.
        _ => {
            let refused = Refused::new(
                ConnectReturnCode::BadUserNamePassword,
                "unknown device or wrong password",
            );
            return refuse(to_client, refused).await;
        }
    }
    Ok(Some(SignedIn {
        who,
        from_broker,
        to_broker,
        from_broker_buffer,
        silence_limit,
    }))
}

/// Reads the next whole packet of at most `max` bytes, keeping what
/// follows it in `buffer`; `None` when the other side closed first.
async fn read_packet(
    from: &mut (impl AsyncRead + Unpin),
    buffer: &mut BytesMut,
    max: usize,
) -> anyhow::Result<Option<Packet>> {
    loop {
        match Packet::read(buffer, max) {
            Ok(packet) => return Ok(Some(packet)),
            Err(mqttbytes::Error::InsufficientBytes(_)) => {}
            Err(e) => anyhow::bail!("malformed packet: {e:?}"),
        }
        if from.read_buf(buffer).await? == 0 {
            return Ok(None);
        }
    }
}

/// Writes `bytes` to the client, giving up on one that takes none of them
/// for [`STALLED_WRITE`].
async fn write_to<W: AsyncWrite + Unpin>(to_client: &Mutex<W>, bytes: &[u8]) -> io::Result<()> {
    tokio::time::timeout(STALLED_WRITE, async {
        to_client.lock().await.write_all(bytes).await
    })
    .await
    .unwrap_or_else(|_| {
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client reads nothing",
        ))
    })
}

/// Reports of one connection taken for the gateway and not yet in its
/// queue. Beyond this the relay stops reading the client; a device's own
/// in-flight window (unacknowledged QoS 1 publishes) is far smaller.
const WAITING_FOR_GATEWAY: usize = 1024;

/// How long a busy device's acknowledgements are held back after the
/// last ones were written, to go out several in one write. Written one
/// per report, a fleet reporting every 50 ms cost a system call and a
/// wake-up on both ends per message: at saturation the ingest bench
/// handled about a tenth more with them held. A report after a quiet
/// spell is acknowledged at once, and what is held goes out when due
/// whether or not the device says more. Nothing waits on these but the
/// device's outbox, which keeps its reports until then (QoS 1).
const ACKS_TOGETHER: Duration = Duration::from_millis(200);

/// How long a closed connection's last reports may take to reach the
/// gateway's queue before its last will goes out anyway.
const REPORTS_BEFORE_WILL: Duration = Duration::from_secs(10);

/// One connection's reports on their way to the gateway, in order, each
/// acknowledged (QoS 1) once the gateway's queue holds it. A report is
/// handed over by the reading itself while its worker's queue has room;
/// otherwise it waits for a task of its own, and so do the ones after it
/// until that task caught up. Apart from the reading: while the gateway is
/// busy, the client's pings still get their answers and it stays connected.
struct ToGateway<Q, W> {
    queue: Q,
    to_client: Arc<Mutex<W>>,
    /// Acknowledgements of the reports handed over, not yet written.
    acks: BytesMut,
    /// When acknowledgements were last written to the client.
    acks_written: Option<Instant>,
    /// Reports given to the waiter and not yet acknowledged: the reading
    /// hands over nothing itself meanwhile, which keeps both the reports
    /// and their acknowledgements in order.
    unacknowledged: Arc<AtomicUsize>,
    /// Bytes of the reports given to the waiter and not yet in the
    /// gateway's queue: past `max_waiting_bytes` the client is disconnected.
    /// (A device that waits for its acknowledgements never gets near it;
    /// one that floods at QoS 0 would otherwise fill the relay's memory.)
    waiting_bytes: Arc<AtomicUsize>,
    max_waiting_bytes: usize,
    /// Started when the first report has to wait.
    waiter: Option<(mpsc::Sender<Publish>, JoinHandle<()>)>,
}

impl<Q: ReportQueue, W: AsyncWrite + Unpin + Send + 'static> ToGateway<Q, W> {
    fn new(queue: Q, to_client: &Arc<Mutex<W>>, max_waiting_bytes: usize) -> Self {
        Self {
            queue,
            to_client: to_client.clone(),
            acks: BytesMut::new(),
            acks_written: None,
            unacknowledged: Arc::default(),
            waiting_bytes: Arc::default(),
            max_waiting_bytes,
            waiter: None,
        }
    }

    async fn take(&mut self, publish: Publish) -> anyhow::Result<()> {
        let publish = if self.unacknowledged.load(Ordering::Acquire) == 0 {
            let pkid = publish.pkid;
            let qos = publish.qos;
            match self.queue.try_deliver(publish) {
                Ok(()) => {
                    acknowledge(qos, pkid, &mut self.acks);
                    return Ok(());
                }
                Err(NotTaken::Full(publish)) => publish,
                Err(NotTaken::GatewayStopped) => anyhow::bail!("the gateway stopped"),
            }
        } else {
            publish
        };
        let size = waiting_size(&publish);
        let waiting = self.waiting_bytes.fetch_add(size, Ordering::AcqRel) + size;
        if waiting > self.max_waiting_bytes {
            tracing::warn!(
                topic = %publish.topic,
                waiting,
                "MQTT client disconnected: more reports waiting for the gateway than it may queue"
            );
            anyhow::bail!("{waiting} bytes of reports waiting for the gateway");
        }
        // What was handed over is acknowledged before what waits.
        self.acknowledge_taken().await?;
        self.unacknowledged.fetch_add(1, Ordering::AcqRel);
        let (waiter, _) = self.waiter.get_or_insert_with(|| {
            let (waiter, waiting) = mpsc::channel(WAITING_FOR_GATEWAY);
            let delivering = tokio::spawn(deliver(
                waiting,
                self.queue.clone(),
                self.to_client.clone(),
                self.unacknowledged.clone(),
                self.waiting_bytes.clone(),
            ));
            (waiter, delivering)
        });
        waiter
            .send(publish)
            .await
            .map_err(|_| anyhow::anyhow!("the gateway stopped"))
    }

    /// Writes the acknowledgements of the reports handed over.
    async fn acknowledge_taken(&mut self) -> anyhow::Result<()> {
        if !self.acks.is_empty() {
            write_to(&self.to_client, &self.acks).await?;
            self.acks.clear();
            self.acks_written = Some(Instant::now());
        }
        Ok(())
    }

    /// Writes the acknowledgements of the reports handed over if the last
    /// ones went out [`ACKS_TOGETHER`] ago or more; otherwise answers when
    /// they are due.
    async fn acknowledge_when_due(&mut self) -> anyhow::Result<Option<Instant>> {
        if self.acks.is_empty() {
            return Ok(None);
        }
        match self.acks_written.map(|at| at + ACKS_TOGETHER) {
            Some(due) if due > Instant::now() => Ok(Some(due)),
            _ => self.acknowledge_taken().await.map(|()| None),
        }
    }

    /// Waits (a while) until the waiting reports are in the gateway's queue.
    async fn finish(mut self) {
        let _ = self.acknowledge_taken().await;
        if let Some((waiter, delivering)) = self.waiter {
            drop(waiter);
            let _ = tokio::time::timeout(REPORTS_BEFORE_WILL, delivering).await;
        }
    }
}

/// Where a connection's reports go: the gateway's queues.
trait ReportQueue: Clone + Send + Sync + 'static {
    /// Queues `publish` if there is room now.
    fn try_deliver(&self, publish: Publish) -> Result<(), NotTaken>;
    /// Queues `publish`, waiting for room; hands it back when nobody takes reports any more.
    fn deliver(&self, publish: Publish) -> impl Future<Output = Result<(), Publish>> + Send;
}

impl ReportQueue for Inlet {
    fn try_deliver(&self, publish: Publish) -> Result<(), NotTaken> {
        Inlet::try_deliver(self, publish)
    }

    fn deliver(&self, publish: Publish) -> impl Future<Output = Result<(), Publish>> + Send {
        Inlet::deliver(self, publish)
    }
}

/// What a report waiting for the gateway holds of the relay's memory.
fn waiting_size(publish: &Publish) -> usize {
    publish.topic.len() + publish.payload.len()
}

/// Adds the acknowledgement a publish of `qos` needs, if any, to `acks`.
fn acknowledge(qos: QoS, pkid: u16, acks: &mut BytesMut) {
    if qos == QoS::AtLeastOnce {
        // Cannot fail: it only writes into the buffer.
        let _ = PubAck::new(pkid).write(acks);
    }
}

/// Hands the reports that had to wait to the gateway, waiting for room in
/// its queues, and acknowledges them. Hangs up on the client when the
/// gateway stopped.
async fn deliver<W: AsyncWrite + Unpin>(
    mut waiting: mpsc::Receiver<Publish>,
    queue: impl ReportQueue,
    to_client: Arc<Mutex<W>>,
    unacknowledged: Arc<AtomicUsize>,
    waiting_bytes: Arc<AtomicUsize>,
) {
    let mut batch = Vec::with_capacity(64);
    let mut acks = BytesMut::new();
    while waiting.recv_many(&mut batch, 64).await > 0 {
        let taken = batch.len();
        for publish in batch.drain(..) {
            let (qos, pkid, size) = (publish.qos, publish.pkid, waiting_size(&publish));
            if queue.deliver(publish).await.is_err() {
                tracing::debug!("the gateway stopped; client disconnected");
                let _ = tokio::time::timeout(STALLED_WRITE, async {
                    to_client.lock().await.shutdown().await
                })
                .await;
                return;
            }
            waiting_bytes.fetch_sub(size, Ordering::AcqRel);
            acknowledge(qos, pkid, &mut acks);
        }
        if !acks.is_empty() {
            if write_to(&to_client, &acks).await.is_err() {
                return;
            }
            acks.clear();
        }
        unacknowledged.fetch_sub(taken, Ordering::AcqRel);
    }
}

/// Writes a client's CONNECT to `to_forward` with the broker's keep-alive
/// check turned off in effect, and answers how long the client may stay
/// silent: the relay keeps the keep-alive itself, as the broker no longer
/// sees every packet (see [`deliver`]) and would hang up on a device that
/// publishes busily but never needs to ping. A keep-alive of 0 is passed
/// on for the broker to refuse.
fn keep_alive_here(
    mut connect: Connect,
    to_forward: &mut BytesMut,
) -> anyhow::Result<Option<Duration>> {
    let limit = (connect.keep_alive > 0)
        .then(|| Duration::from_secs(connect.keep_alive.into()).mul_f32(1.5));
    if limit.is_some() {
        connect.keep_alive = u16::MAX;
    }
    connect
        .write(to_forward)
        .map_err(|e| anyhow::anyhow!("cannot pass CONNECT on: {e:?}"))?;
    Ok(limit)
}

/// Heartbeats and events, at most once or at least once, not retained.
fn goes_to_gateway(publish: &Publish) -> bool {
    !publish.retain
        && publish.qos != QoS::ExactlyOnce
        && protocol::parse_topic(&publish.topic)
            .is_some_and(|(_, channel)| matches!(channel, Channel::Heartbeat | Channel::Events))
}

/// Relays what the broker sends a client (beginning with what `buffer`
/// holds already), whole packets at a time, then closes the client's side.
/// Nothing is read from the broker while a write to the client waits: a
/// client that reads slowly holds up its own commands in the broker, not
/// the relay's memory, and one that reads nothing is given up on.
async fn pass_down<W: AsyncWrite + Unpin>(
    mut from_broker: OwnedReadHalf,
    mut buffer: BytesMut,
    to_client: Arc<Mutex<W>>,
) {
    loop {
        let Some(whole) = whole_packets(&buffer) else {
            tracing::warn!("the MQTT broker sent a malformed packet; client disconnected");
            break;
        };
        if whole > 0 {
            let packets = buffer.split_to(whole);
            if write_to(&to_client, &packets).await.is_err() {
                break;
            }
        }
        if !matches!(from_broker.read_buf(&mut buffer).await, Ok(read) if read > 0) {
            break;
        }
    }
    let _ = tokio::time::timeout(STALLED_WRITE, async {
        to_client.lock().await.shutdown().await
    })
    .await;
}

/// How many leading bytes of `buffer` are complete packets; `None` when one is malformed.
fn whole_packets(buffer: &[u8]) -> Option<usize> {
    let mut whole = 0;
    loop {
        match mqttbytes::check(buffer[whole..].iter(), MAX_PACKET) {
            Ok(header) => whole += header.frame_length(),
            Err(mqttbytes::Error::InsufficientBytes(_)) => return Some(whole),
            Err(_) => return None,
        }
    }
}

/// Checks one packet from a client signed in as `who`: a device publishes
/// on its own topics but commands, and reads only its commands.
fn admit(who: &Client, packet: &Packet) -> anyhow::Result<()> {
    let Client::Device(device) = who else {
        return Ok(());
    };
    let topics: Vec<(&str, bool)> = match packet {
        Packet::Connect(_) => anyhow::bail!("a second CONNECT"),
        Packet::Publish(publish) => vec![(publish.topic.as_str(), false)],
        Packet::Subscribe(subscribe) => subscribe
            .filters
            .iter()
            .map(|f| (f.path.as_str(), true))
            .collect(),
        _ => return Ok(()),
    };
    if !topics
        .iter()
        .all(|(topic, reading)| owns(device, topic, *reading))
    {
        let topics: Vec<&str> = topics.iter().map(|(topic, _)| *topic).collect();
        let device = device.as_str();
        tracing::warn!(
            device,
            ?topics,
            "a device used a topic not its own; disconnected"
        );
        anyhow::bail!("device {device} used a topic not its own: {topics:?}");
    }
    Ok(())
}

/// Whether `topic` is one `device` may read (its commands) or write (its
/// status, heartbeat and events).
fn owns(device: &DeviceId, topic: &str, reading: bool) -> bool {
    protocol::parse_topic(topic)
        .is_some_and(|(id, channel)| id == *device && (channel == Channel::Commands) == reading)
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{
            Arc,
            atomic::{AtomicUsize, Ordering},
        },
        time::Duration,
    };

    use domain::devices::protocol::DeviceId;
    use rumqttc::mqttbytes::{
        QoS,
        v4::{Connect, Packet, Publish, Subscribe},
    };
    use tokio::{
        io::AsyncReadExt,
        net::{TcpListener, TcpStream, tcp::OwnedWriteHalf},
        sync::{Mutex, mpsc},
        time::Instant,
    };

    use bytes::BytesMut;
    use tokio::io::AsyncWriteExt;

    use super::{
        ACKS_TOGETHER, Client, NotTaken, ReportQueue, STALLED_WRITE, ToGateway, admit, pass_down,
    };

    fn device(id: &str) -> Client {
        Client::Device(DeviceId::parse(id).unwrap())
    }

    fn publish(topic: &str) -> Packet {
        Packet::Publish(Publish::new(topic, QoS::AtLeastOnce, "{}"))
    }

    #[test]
    fn devices_keep_to_their_own_topics() {
        let device = device("vm-001");
        for own in ["status", "heartbeat", "events"] {
            let topic = format!("automat/v1/devices/vm-001/{own}");
            assert!(admit(&device, &publish(&topic)).is_ok());
        }
        for foreign in [
            "automat/v1/devices/vm-002/heartbeat",
            "automat/v1/devices/vm-001/commands",
            "elsewhere",
        ] {
            assert!(admit(&device, &publish(foreign)).is_err(), "{foreign}");
        }
        let subscribe = |filter: &str| Packet::Subscribe(Subscribe::new(filter, QoS::AtLeastOnce));
        assert!(admit(&device, &subscribe("automat/v1/devices/vm-001/commands")).is_ok());
        for foreign in [
            "automat/v1/devices/vm-002/commands",
            "automat/v1/devices/+/commands",
            "#",
        ] {
            assert!(admit(&device, &subscribe(foreign)).is_err(), "{foreign}");
        }
        assert!(
            admit(&device, &Packet::Connect(Connect::new("vm-001"))).is_err(),
            "one CONNECT per connection"
        );
    }

    #[test]
    fn the_back_end_may_use_every_topic() {
        assert!(
            admit(
                &Client::Server,
                &publish("automat/v1/devices/vm-002/commands")
            )
            .is_ok()
        );
    }

    /// A gateway queue of three places that counts what it took without waiting.
    #[derive(Clone)]
    struct SmallQueue {
        queue: mpsc::Sender<Publish>,
        taken_at_once: Arc<AtomicUsize>,
    }

    impl ReportQueue for SmallQueue {
        fn try_deliver(&self, publish: Publish) -> Result<(), NotTaken> {
            self.queue.try_send(publish).map_err(|e| match e {
                mpsc::error::TrySendError::Full(publish) => NotTaken::Full(publish),
                mpsc::error::TrySendError::Closed(_) => NotTaken::GatewayStopped,
            })?;
            self.taken_at_once.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }

        fn deliver(&self, publish: Publish) -> impl Future<Output = Result<(), Publish>> + Send {
            let queue = self.queue.clone();
            async move { queue.send(publish).await.map_err(|e| e.0) }
        }
    }

    fn report(pkid: u16) -> Publish {
        let mut publish = Publish::new(
            "automat/v1/devices/vm-001/events",
            QoS::AtLeastOnce,
            pkid.to_string(),
        );
        publish.pkid = pkid;
        publish
    }

    fn text(publish: &Publish) -> String {
        String::from_utf8(publish.payload.to_vec()).unwrap()
    }

    /// A client and its connection's way to a gateway queue of `places`;
    /// the queue's receiving end, and how many reports it took without
    /// waiting.
    async fn relaying_to_a_queue_of(
        places: usize,
    ) -> (
        TcpStream,
        ToGateway<SmallQueue, OwnedWriteHalf>,
        mpsc::Receiver<Publish>,
        Arc<AtomicUsize>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (relayed, _) = listener.accept().await.unwrap();
        let to_client = Arc::new(Mutex::new(relayed.into_split().1));
        let (queue, gateway) = mpsc::channel(places);
        let taken_at_once = Arc::new(AtomicUsize::new(0));
        let to_gateway = ToGateway::new(
            SmallQueue {
                queue,
                taken_at_once: taken_at_once.clone(),
            },
            &to_client,
            1024 * 1024,
        );
        (client, to_gateway, gateway, taken_at_once)
    }

    /// The packet ids of the next `count` PUBACKs the client reads.
    async fn acknowledged(client: &mut TcpStream, count: usize) -> Vec<u16> {
        let mut acks = vec![0; count * 4];
        client.read_exact(&mut acks).await.unwrap();
        acks.chunks(4)
            .map(|ack| {
                assert_eq!(ack[..2], [0x40, 0x02], "a PUBACK");
                u16::from_be_bytes([ack[2], ack[3]])
            })
            .collect()
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_busy_devices_acknowledgements_go_out_together() {
        let (mut client, mut to_gateway, _gateway, _) = relaying_to_a_queue_of(16).await;

        // The first report after a quiet spell is acknowledged at once.
        to_gateway.take(report(1)).await.unwrap();
        assert_eq!(to_gateway.acknowledge_when_due().await.unwrap(), None);
        assert_eq!(acknowledged(&mut client, 1).await, [1]);
        let written = Instant::now();

        // The next ones wait until ACKS_TOGETHER after it...
        tokio::time::advance(Duration::from_millis(50)).await;
        to_gateway.take(report(2)).await.unwrap();
        tokio::time::advance(Duration::from_millis(50)).await;
        to_gateway.take(report(3)).await.unwrap();
        let due = written + ACKS_TOGETHER;
        assert_eq!(to_gateway.acknowledge_when_due().await.unwrap(), Some(due));
        tokio::time::sleep_until(due - Duration::from_millis(1)).await;
        assert_eq!(to_gateway.acknowledge_when_due().await.unwrap(), Some(due));
        // ...and then go out together, in order.
        tokio::time::sleep_until(due).await;
        assert_eq!(to_gateway.acknowledge_when_due().await.unwrap(), None);
        assert_eq!(acknowledged(&mut client, 2).await, [2, 3]);
    }

    // One thread: the waiter runs only when the test awaits something.
    #[tokio::test(flavor = "current_thread")]
    async fn reports_and_their_acknowledgements_stay_in_order_when_the_gateway_falls_behind() {
        let (mut client, mut to_gateway, mut gateway, taken_at_once) =
            relaying_to_a_queue_of(3).await;

        // The gateway's queue holds three: the fourth report has to wait,
        // and the fifth waits behind it.
        for pkid in 1..=5 {
            to_gateway.take(report(pkid)).await.unwrap();
        }
        // Room in the gateway's queue before the waiting reports got there
        // (the waiter has not run yet): the reports after them still wait
        // behind them.
        let first = gateway.try_recv().unwrap();
        for pkid in 6..=10 {
            to_gateway.take(report(pkid)).await.unwrap();
            if pkid % 2 == 0 {
                to_gateway.acknowledge_taken().await.unwrap();
            }
        }
        assert_eq!(acknowledged(&mut client, 3).await, [1, 2, 3]);
        assert_eq!(taken_at_once.load(Ordering::Relaxed), 3);

        let received = tokio::spawn(async move {
            let mut received = vec![text(&first)];
            while let Some(publish) = gateway.recv().await {
                received.push(text(&publish));
            }
            received
        });
        assert_eq!(
            acknowledged(&mut client, 7).await,
            (4..=10).collect::<Vec<_>>()
        );

        // Caught up: reports are handed over by the reading again.
        while to_gateway.unacknowledged.load(Ordering::Acquire) > 0 {
            tokio::task::yield_now().await;
        }
        for pkid in 11..=12 {
            to_gateway.take(report(pkid)).await.unwrap();
        }
        to_gateway.acknowledge_taken().await.unwrap();
        assert_eq!(acknowledged(&mut client, 2).await, [11, 12]);
        assert_eq!(taken_at_once.load(Ordering::Relaxed), 5);

        to_gateway.finish().await;
        let received = received.await.unwrap();
        let expected: Vec<String> = (1..=12).map(|pkid| pkid.to_string()).collect();
        assert_eq!(received, expected);
    }

    // One thread: the waiter runs only when the test awaits something.
    #[tokio::test(flavor = "current_thread")]
    async fn reports_waiting_for_the_gateway_are_bounded_in_bytes() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (relayed, _) = listener.accept().await.unwrap();
        let to_client = Arc::new(Mutex::new(relayed.into_split().1));
        // The gateway takes one report and then nothing: the rest wait.
        let (queue, _gateway) = mpsc::channel(1);
        let queue = SmallQueue {
            queue,
            taken_at_once: Arc::default(),
        };
        let mut to_gateway = ToGateway::new(queue, &to_client, 10_000);
        let large = |pkid: u16| {
            let mut publish = report(pkid);
            publish.payload = vec![b' '; 4_000].into();
            publish
        };
        for pkid in 1..=3 {
            to_gateway.take(large(pkid)).await.unwrap();
        }
        let over = to_gateway.take(large(4)).await;
        assert!(over.is_err(), "12 kB waiting with 10 kB allowed");
    }

    /// The relay reads nothing more from the broker while a client does
    /// not read what it is sent, and gives up on it.
    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_client_that_reads_nothing_is_dropped() {
        let pair = async || {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let near = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            (near, listener.accept().await.unwrap().0)
        };
        let (mut broker, from_broker) = pair().await;
        let (_client_reading_nothing, to_client) = pair().await;
        let commands = tokio::spawn(async move {
            let mut packet = BytesMut::new();
            let mut command = Publish::new(
                "automat/v1/devices/vm-001/commands",
                QoS::AtMostOnce,
                vec![b'x'; 200_000],
            );
            command.pkid = 0;
            command.write(&mut packet).unwrap();
            loop {
                if broker.write_all(&packet).await.is_err() {
                    return;
                }
            }
        });
        let relaying = tokio::spawn(pass_down(
            from_broker.into_split().0,
            BytesMut::new(),
            Arc::new(Mutex::new(to_client)),
        ));
        let ended = tokio::time::timeout(STALLED_WRITE * 2, relaying).await;
        assert!(
            ended.is_ok(),
            "still relaying to a client that reads nothing"
        );
        commands.abort();
    }
}
