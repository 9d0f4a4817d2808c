//! The embedded broker's topic ACL. rumqttd 0.20 authenticates clients but
//! has no per-client topic rules, so devices reach it through this relay,
//! which reads every packet a client sends: a device (signed in with its id
//! as username) may publish only its own `status`, `heartbeat` and `events`
//! and subscribe only to its own `commands`. A client that tries anything
//! else is disconnected and logged (MQTT 3.1.1 has no way to refuse one
//! publish). The back end's own login is not restricted.
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

use std::{
    net::SocketAddr,
    sync::{
        Arc, OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use bytes::BytesMut;
use domain::devices::protocol::{self, Channel};
use rumqttc::mqttbytes::{
    self, QoS,
    v4::{Connect, Packet, PubAck, Publish},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{
        TcpListener, TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
    sync::{Mutex, mpsc},
    task::JoinHandle,
    time::Instant,
};

use super::gateway::{Inlet, NotTaken};

/// The largest packet relayed (the broker's own limit, plus headers).
const MAX_PACKET: usize = 256 * 1024 + 1024;

/// Relays every client of `listener` to the broker at `broker` until the
/// process ends, handing device reports to the gateway once `gateway` is set.
pub async fn run(
    listener: TcpListener,
    broker: SocketAddr,
    server_username: String,
    gateway: Arc<OnceLock<Inlet>>,
) {
    loop {
        match listener.accept().await {
            Ok((client, peer)) => {
                let server_username = server_username.clone();
                let gateway = gateway.clone();
                tokio::spawn(async move {
                    if let Err(e) = relay(client, broker, &server_username, &gateway).await {
                        tracing::debug!(%peer, error = %e, "MQTT relay ended");
                    }
                });
            }
            Err(e) => tracing::warn!(error = %e, "the MQTT listener cannot accept"),
        }
    }
}

/// Who the client signed in as.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Client {
    /// Nothing but CONNECT may come yet.
    Connecting,
    Server,
    Device(String),
}

async fn relay(
    client: TcpStream,
    broker: SocketAddr,
    server_username: &str,
    gateway: &OnceLock<Inlet>,
) -> anyhow::Result<()> {
    let upstream = TcpStream::connect(broker).await?;
    client.set_nodelay(true)?;
    upstream.set_nodelay(true)?;
    let (mut from_client, to_client) = client.into_split();
    let to_client = Arc::new(Mutex::new(to_client));
    let (from_broker, mut to_broker) = upstream.into_split();
    let mut downstream = tokio::spawn(pass_down(from_broker, to_client.clone()));
    let mut who = Client::Connecting;
    let mut buffer = BytesMut::with_capacity(4096);
    // Packets one read brought for the broker, written together.
    let mut to_forward = BytesMut::new();
    let mut silence_limit = None;
    let mut last_heard = Instant::now();
    let mut to_gateway = None;
    let outcome = async {
        loop {
            loop {
                let header = match mqttbytes::check(buffer.iter(), MAX_PACKET) {
                    Ok(header) => header,
                    Err(mqttbytes::Error::InsufficientBytes(_)) => break,
                    Err(e) => anyhow::bail!("malformed packet: {e:?}"),
                };
                let mut frame = buffer.split_to(header.frame_length());
                let forwarded_up_to = to_forward.len();
                to_forward.extend_from_slice(&frame);
                let packet = Packet::read(&mut frame, MAX_PACKET)
                    .map_err(|e| anyhow::anyhow!("malformed packet: {e:?}"))?;
                who = admit(who, &packet, server_username)?;
                match (&who, packet, gateway.get()) {
                    (_, Packet::Connect(connect), _) => {
                        to_forward.truncate(forwarded_up_to);
                        silence_limit = keep_alive_here(connect, &mut to_forward)?;
                    }
                    (Client::Device(_), Packet::Publish(publish), Some(inlet))
                        if goes_to_gateway(&publish) =>
                    {
                        to_forward.truncate(forwarded_up_to);
                        to_gateway
                            .get_or_insert_with(|| ToGateway::new(inlet.clone(), &to_client))
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
            let read = from_client.read_buf(&mut buffer);
            let read = match silent_until.into_iter().chain(acks_due).min() {
                Some(deadline) => match tokio::time::timeout_at(deadline, read).await {
                    Ok(read) => read?,
                    // Back round the loop, which writes the acknowledgements.
                    Err(_) if acks_due == Some(deadline) => continue,
                    Err(_) => anyhow::bail!("silent past its keep-alive"),
                },
                None => read.await?,
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
    tokio::select! {
        _ = &mut downstream => {}
        _ = tokio::time::sleep(Duration::from_secs(1)) => downstream.abort(),
    }
    outcome
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
struct ToGateway<Q> {
    queue: Q,
    to_client: Arc<Mutex<OwnedWriteHalf>>,
    /// Acknowledgements of the reports handed over, not yet written.
    acks: BytesMut,
    /// When acknowledgements were last written to the client.
    acks_written: Option<Instant>,
    /// Reports given to the waiter and not yet acknowledged: the reading
    /// hands over nothing itself meanwhile, which keeps both the reports
    /// and their acknowledgements in order.
    unacknowledged: Arc<AtomicUsize>,
    /// Started when the first report has to wait.
    waiter: Option<(mpsc::Sender<Publish>, JoinHandle<()>)>,
}

impl<Q: ReportQueue> ToGateway<Q> {
    fn new(queue: Q, to_client: &Arc<Mutex<OwnedWriteHalf>>) -> Self {
        Self {
            queue,
            to_client: to_client.clone(),
            acks: BytesMut::new(),
            acks_written: None,
            unacknowledged: Arc::default(),
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
            self.to_client.lock().await.write_all(&self.acks).await?;
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
async fn deliver(
    mut waiting: mpsc::Receiver<Publish>,
    queue: impl ReportQueue,
    to_client: Arc<Mutex<OwnedWriteHalf>>,
    unacknowledged: Arc<AtomicUsize>,
) {
    let mut batch = Vec::with_capacity(64);
    let mut acks = BytesMut::new();
    while waiting.recv_many(&mut batch, 64).await > 0 {
        let taken = batch.len();
        for publish in batch.drain(..) {
            let (qos, pkid) = (publish.qos, publish.pkid);
            if queue.deliver(publish).await.is_err() {
                tracing::debug!("the gateway stopped; client disconnected");
                let _ = to_client.lock().await.shutdown().await;
                return;
            }
            acknowledge(qos, pkid, &mut acks);
        }
        if !acks.is_empty() {
            if to_client.lock().await.write_all(&acks).await.is_err() {
                return;
            }
            acks.clear();
        }
        unacknowledged.fetch_sub(taken, Ordering::AcqRel);
    }
}

/// Forwards a client's CONNECT with the broker's keep-alive check turned
/// off in effect, and answers how long the client may stay silent: the
/// relay keeps the keep-alive itself, as the broker no longer sees every
/// packet (see [`deliver`]) and would hang up on a device that publishes
/// busily but never needs to ping. A keep-alive of 0 is passed on for the
/// broker to refuse.
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

/// Relays what the broker sends a client, whole packets at a time, then
/// closes the client's side.
async fn pass_down(mut from_broker: OwnedReadHalf, to_client: Arc<Mutex<OwnedWriteHalf>>) {
    let mut buffer = BytesMut::with_capacity(4096);
    while matches!(from_broker.read_buf(&mut buffer).await, Ok(read) if read > 0) {
        let Some(whole) = whole_packets(&buffer) else {
            tracing::warn!("the MQTT broker sent a malformed packet; client disconnected");
            break;
        };
        if whole > 0 {
            let packets = buffer.split_to(whole);
            if to_client.lock().await.write_all(&packets).await.is_err() {
                break;
            }
        }
    }
    let _ = to_client.lock().await.shutdown().await;
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

/// Checks one packet from a client signed in as `who`; who it is afterwards.
fn admit(who: Client, packet: &Packet, server_username: &str) -> anyhow::Result<Client> {
    let (device, topics): (String, Vec<(&str, bool)>) = match (&who, packet) {
        (Client::Connecting, Packet::Connect(connect)) => {
            // No login, or a wrong password: the broker refuses the connection itself.
            let device = match connect.login.as_ref().map(|l| l.username.as_str()) {
                Some(username) if username == server_username => return Ok(Client::Server),
                Some(username) => username.to_owned(),
                None => String::new(),
            };
            // The broker publishes the will for the client: it must be the client's own too.
            let will = connect.last_will.iter().map(|w| (w.topic.as_str(), false));
            (device, will.collect())
        }
        (Client::Connecting, _) => anyhow::bail!("a packet before CONNECT"),
        (Client::Server, _) => return Ok(who),
        (Client::Device(device), Packet::Publish(publish)) => {
            (device.clone(), vec![(publish.topic.as_str(), false)])
        }
        (Client::Device(device), Packet::Subscribe(subscribe)) => (
            device.clone(),
            subscribe
                .filters
                .iter()
                .map(|f| (f.path.as_str(), true))
                .collect(),
        ),
        (Client::Device(_), _) => return Ok(who),
    };
    // Devices publish on their own topics but commands, and read only their commands.
    let own = |(topic, reading): &(&str, bool)| {
        protocol::parse_topic(topic).is_some_and(|(id, channel)| {
            id.as_str() == device && (channel == Channel::Commands) == *reading
        })
    };
    if !topics.iter().all(own) {
        let topics: Vec<&str> = topics.iter().map(|(topic, _)| *topic).collect();
        tracing::warn!(
            device,
            ?topics,
            "a device used a topic not its own; disconnected"
        );
        anyhow::bail!("device {device} used a topic not its own: {topics:?}");
    }
    Ok(Client::Device(device))
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

    use rumqttc::mqttbytes::{
        QoS,
        v4::{Connect, LastWill, Login, Packet, Publish, Subscribe},
    };
    use tokio::{
        io::AsyncReadExt,
        net::{TcpListener, TcpStream},
        sync::{Mutex, mpsc},
        time::Instant,
    };

    use super::{ACKS_TOGETHER, Client, NotTaken, ReportQueue, ToGateway, admit};

    fn signed_in(username: &str) -> Client {
        let mut connect = Connect::new("c1");
        connect.login = Some(Login::new(username, "pw"));
        admit(
            Client::Connecting,
            &Packet::Connect(connect),
            "automat-server",
        )
        .unwrap()
    }

    fn publish(topic: &str) -> Packet {
        Packet::Publish(Publish::new(topic, QoS::AtLeastOnce, "{}"))
    }

    #[test]
    fn devices_keep_to_their_own_topics() {
        let device = signed_in("vm-001");
        assert_eq!(device, Client::Device("vm-001".into()));
        for own in ["status", "heartbeat", "events"] {
            let topic = format!("automat/v1/devices/vm-001/{own}");
            assert!(admit(device.clone(), &publish(&topic), "automat-server").is_ok());
        }
        for foreign in [
            "automat/v1/devices/vm-002/heartbeat",
            "automat/v1/devices/vm-001/commands",
            "elsewhere",
        ] {
            assert!(
                admit(device.clone(), &publish(foreign), "automat-server").is_err(),
                "{foreign}"
            );
        }
        let subscribe = |filter: &str| Packet::Subscribe(Subscribe::new(filter, QoS::AtLeastOnce));
        assert!(
            admit(
                device.clone(),
                &subscribe("automat/v1/devices/vm-001/commands"),
                "automat-server"
            )
            .is_ok()
        );
        for foreign in [
            "automat/v1/devices/vm-002/commands",
            "automat/v1/devices/+/commands",
            "#",
        ] {
            assert!(
                admit(device.clone(), &subscribe(foreign), "automat-server").is_err(),
                "{foreign}"
            );
        }
    }

    #[test]
    fn a_device_wills_only_its_own_status() {
        let connect = |will: &str| {
            let mut connect = Connect::new("c1");
            connect.login = Some(Login::new("vm-001", "pw"));
            connect.last_will = Some(LastWill::new(will, "{}", QoS::AtLeastOnce, true));
            Packet::Connect(connect)
        };
        assert!(
            admit(
                Client::Connecting,
                &connect("automat/v1/devices/vm-001/status"),
                "automat-server"
            )
            .is_ok()
        );
        assert!(
            admit(
                Client::Connecting,
                &connect("automat/v1/devices/vm-002/status"),
                "automat-server"
            )
            .is_err()
        );
    }

    #[test]
    fn the_back_end_may_use_every_topic_and_connect_comes_first() {
        let server = signed_in("automat-server");
        assert_eq!(server, Client::Server);
        assert!(
            admit(
                server,
                &publish("automat/v1/devices/vm-002/commands"),
                "automat-server"
            )
            .is_ok()
        );
        assert!(
            admit(
                Client::Connecting,
                &publish("automat/v1/devices/vm-001/status"),
                "automat-server"
            )
            .is_err()
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
        ToGateway<SmallQueue>,
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
}
