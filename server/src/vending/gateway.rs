//! The device gateway: subscribes to every device's topics, records what the
//! machines report through the domain, and fans status changes out to live
//! dashboards.

use std::{
    collections::{BTreeSet, HashMap},
    hash::{BuildHasher, RandomState},
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use domain::{
    DomainError,
    alerts::{self, Kind},
    devices::{
        self, Reports, Seen, StatusChange, Weights,
        protocol::{self, Channel, DeviceEvent, DeviceId, DeviceMessage, SeqOrder},
    },
    vending::sessions::{self, Received},
};
use rumqttc::{AsyncClient, Event, EventLoop, Packet, Publish, QoS, SubscribeFilter};
use sea_orm::DatabaseConnection;
use tokio::{
    sync::{broadcast, mpsc},
    task::JoinSet,
};

use super::{MqttEndpoint, mqtt_client, service::Vending, shortened};

/// Shared view of the gateway for readiness checks.
#[derive(Clone, Default)]
pub struct GatewayHealth(Arc<AtomicBool>);

impl GatewayHealth {
    pub fn is_connected(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, connected: bool) {
        self.0.store(connected, Ordering::Relaxed);
    }
}

pub struct Gateway {
    db: DatabaseConnection,
    changes: broadcast::Sender<StatusChange>,
    health: GatewayHealth,
    vending: Vending,
    stats: GatewayStats,
    workers: Vec<mpsc::Sender<Report>>,
    /// Picks a device's worker.
    hasher: RandomState,
    /// When each device last had a `rejected_message` alert raised (see [`Gateway::refuse`]).
    rejections_alerted: std::sync::Mutex<HashMap<String, std::time::Instant>>,
}

/// What the rest of the server uses of a running gateway.
pub struct GatewayHandle {
    pub health: GatewayHealth,
    /// Device sessions, commanding machines through the gateway's connection.
    pub vending: Vending,
    pub stats: GatewayStats,
    /// Where the embedded broker hands device publishes over in-process.
    pub inlet: Inlet,
    /// The gateway's tasks: dropping them stops it (a server stopped in a
    /// test must not go on handling the next server's machines).
    pub tasks: JoinSet<()>,
}

/// Takes device publishes to a running gateway without a broker hop: the
/// embedded broker's topic guard has already read and checked each one, and
/// relaying it through rumqttd and back out to the gateway's connection cost
/// the fleet's machines most of their CPU. Weak: a stopped gateway is not
/// kept alive by the broker's relays.
#[derive(Clone)]
pub struct Inlet(Weak<Gateway>);

/// Why [`Inlet::try_deliver`] handed a publish back.
pub enum NotTaken {
    /// Its device's worker queue is full: [`Inlet::deliver`] waits for room.
    Full(Publish),
    GatewayStopped,
}

impl Inlet {
    /// Queues `publish` for its device's worker; waits while that queue is
    /// full. Hands it back when the gateway has stopped.
    pub async fn deliver(&self, publish: Publish) -> Result<(), Publish> {
        match self.0.upgrade() {
            Some(gateway) => {
                gateway.dispatch(publish).await;
                Ok(())
            }
            None => Err(publish),
        }
    }

    /// Queues `publish` for its device's worker if that queue has room now.
    pub fn try_deliver(&self, publish: Publish) -> Result<(), NotTaken> {
        let gateway = self.0.upgrade().ok_or(NotTaken::GatewayStopped)?;
        let Some((worker, report)) = gateway.route(&publish.topic) else {
            return Ok(());
        };
        match gateway.workers[worker].try_reserve() {
            Ok(room) => room.send(report(publish.payload)),
            Err(mpsc::error::TrySendError::Full(())) => return Err(NotTaken::Full(publish)),
            Err(mpsc::error::TrySendError::Closed(())) => {
                tracing::error!("a device gateway worker stopped; message dropped");
            }
        }
        Ok(())
    }
}

/// Device messages are handled by this many workers, each device always by
/// the same one: its messages stay in order while others' go on beside them.
const WORKERS: usize = 4;

/// Messages one worker takes from its queue at a time (their scale reports
/// are recorded in one transaction).
const BATCH: usize = 512;

/// How long heartbeats and unasked scale reports are gathered, at most,
/// before their devices' last-seen times and latest weights are written, in
/// one transaction: about as often as an operator's eye follows a machine's
/// scales. Each write holds SQLite's one writer while settlements wait:
/// written four times a second, 1,000 machines' reports held it a fifth of
/// the time.
const REPORTS_FLUSH: Duration = Duration::from_secs(1);

/// Devices whose reports one write transaction records: a flush is written
/// in slices, and a settlement waiting for SQLite's writer goes in between
/// instead of after the whole flush.
const REPORTS_PER_WRITE: usize = 64;

/// A publish on a device topic, waiting for its worker.
struct Report {
    device: DeviceId,
    channel: Channel,
    payload: Bytes,
    received_at: DateTime<Utc>,
}

impl Gateway {
    /// Connects to the broker and runs until the process ends, reconnecting
    /// after any failure. Also starts the watchdog that marks silent devices
    /// offline after three missed heartbeats, and the session sweeper
    /// (resumes unacknowledged openings, expires and fails stuck sessions). `vending` builds the session
    /// service on the gateway's connection; it announces what a machine does
    /// after each of its events. Status changes go to `changes`.
    pub fn spawn(
        endpoint: &MqttEndpoint,
        db: DatabaseConnection,
        changes: broadcast::Sender<StatusChange>,
        heartbeat: Duration,
        vending: impl FnOnce(AsyncClient) -> Vending,
    ) -> GatewayHandle {
        let health = GatewayHealth::default();
        let stats = GatewayStats::default();
        // Unique per instance: a broker drops the older of two clients with one id.
        let client_id = domain::ids::new_id("automat-gateway");
        let (client, eventloop) = mqtt_client(
            endpoint.server_options(&client_id, Duration::from_secs(10)),
            1024,
        );
        let vending = vending(client.clone());
        let (workers, inboxes): (Vec<_>, Vec<_>) =
            (0..WORKERS).map(|_| mpsc::channel(BATCH * 2)).unzip();
        let gateway = Arc::new(Gateway {
            db,
            changes,
            health: health.clone(),
            vending: vending.clone(),
            stats: stats.clone(),
            workers,
            hasher: RandomState::new(),
            rejections_alerted: Default::default(),
        });
        let inlet = Inlet(Arc::downgrade(&gateway));
        let mut tasks = JoinSet::new();
        // Small against the watchdog's three heartbeat intervals.
        let flush_every = REPORTS_FLUSH.min(heartbeat / 4);
        for (n, inbox) in inboxes.into_iter().enumerate() {
            // The workers write their reports in turn, not all at one moment
            // with the settlements queued behind the four of them.
            let first_flush = flush_every * (n as u32 + 1) / WORKERS as u32;
            tasks.spawn(gateway.clone().work(inbox, first_flush, flush_every));
        }
        tasks.spawn(gateway.clone().receive(client, eventloop));
        // What writes without a device waiting on it goes on the lane too:
        // on the runtime, its transactions would hold the writer longer.
        let lane = vending.lane().handle();
        tasks.spawn_on(gateway.watchdog(heartbeat), lane);
        tasks.spawn_on(vending.clone().sweep_sessions(), lane);
        GatewayHandle {
            health,
            vending,
            stats,
            inlet,
            tasks,
        }
    }

    async fn receive(self: Arc<Self>, client: AsyncClient, mut eventloop: EventLoop) {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    tracing::info!("device gateway connected to the broker");
                    // One SUBSCRIBE for all, so its SubAck means every channel is heard.
                    // At most once: over one live TCP connection nothing is lost
                    // either way, and with a clean session a broken one loses its
                    // unacknowledged messages at either QoS. Acknowledging each
                    // one would cap the gateway at the broker's in-flight window
                    // (100 messages in rumqttd, 20 in Mosquitto), which a fleet
                    // of publishers crowds out.
                    let filters =
                        [Channel::Status, Channel::Heartbeat, Channel::Events].map(|channel| {
                            SubscribeFilter::new(channel.all_devices_filter(), QoS::AtMostOnce)
                        });
                    // try_: waiting for queue space here would wait on this very loop.
                    if let Err(e) = client.try_subscribe_many(filters) {
                        tracing::error!(error = %e, "cannot subscribe to device topics");
                    }
                }
                // Ready once the broker confirms the subscriptions: from then on no device message is missed.
                Ok(Event::Incoming(Packet::SubAck(_))) => self.health.set(true),
                Ok(Event::Incoming(Packet::Publish(publish))) => self.dispatch(publish).await,
                Ok(_) => {}
                Err(e) => {
                    if self.health.is_connected() {
                        tracing::warn!(error = %e, "device gateway lost the broker; reconnecting");
                    }
                    self.health.set(false);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Hands a publish to its device's worker. A full queue holds up the
    /// broker connection: the broker keeps the backlog, nothing is dropped.
    async fn dispatch(&self, publish: Publish) {
        let Some((worker, report)) = self.route(&publish.topic) else {
            return;
        };
        if self.workers[worker]
            .send(report(publish.payload))
            .await
            .is_err()
        {
            tracing::error!("a device gateway worker stopped; message dropped");
        }
    }

    /// The worker a publish on `topic` goes to, and its report given the
    /// payload; `None` (logged) for a topic that is not a device's.
    fn route(&self, topic: &str) -> Option<(usize, impl FnOnce(Bytes) -> Report + use<>)> {
        let Some((device, channel)) = protocol::parse_topic(topic) else {
            tracing::debug!(topic, "ignoring message on a foreign topic");
            return None;
        };
        let worker = self.hasher.hash_one(device.as_str()) as usize % self.workers.len();
        let report = move |payload| Report {
            device,
            channel,
            payload,
            received_at: Utc::now(),
        };
        Some((worker, report))
    }

    async fn work(
        self: Arc<Self>,
        mut inbox: mpsc::Receiver<Report>,
        first_flush: Duration,
        flush_every: Duration,
    ) {
        let mut gathered = Gathered::default();
        let mut seqs = Seqs::default();
        // The flush being written, beside the worker's events: a door-closed
        // report never waits in the queue for telemetry. One at a time, so a
        // device's reports are written in order; dropped with the worker.
        let mut flushing = JoinSet::new();
        let mut flush =
            tokio::time::interval_at(tokio::time::Instant::now() + first_flush, flush_every);
        flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            tokio::select! {
                taken = inbox.recv_many(&mut batch, BATCH) => {
                    if taken == 0 {
                        return;
                    }
                    self.handle(&mut gathered, &mut seqs, &mut flushing, batch.drain(..)).await;
                }
                _ = flush.tick() => {
                    finish(&mut flushing).await;
                    let mut reports = std::mem::take(&mut gathered);
                    let gateway = self.clone();
                    let lane = self.vending.lane().handle();
                    flushing.spawn_on(async move { gateway.flush_reports(&mut reports).await }, lane);
                }
            }
        }
    }

    /// Handles a batch in arrival order as far as anyone can tell:
    /// heartbeats and unasked scale reports are gathered (a status report
    /// writes them first), the other events are taken in order.
    async fn handle(
        &self,
        gathered: &mut Gathered,
        seqs: &mut Seqs,
        flushing: &mut JoinSet<()>,
        batch: impl Iterator<Item = Report>,
    ) {
        let mut events = Vec::new();
        for report in batch {
            let device = report.device.as_str();
            let at = report.received_at;
            match report.channel {
                Channel::Heartbeat => match protocol::parse_heartbeat(&report.payload)
                    .map_err(|e| e.to_string())
                    .and_then(|beat| seqs.admit(device, beat.seq, at).map(|()| beat))
                {
                    Ok(beat) => gathered.heartbeat(device, beat.firmware, at),
                    Err(e) => self.refuse(device, &e),
                },
                Channel::Status => {
                    finish(flushing).await;
                    self.flush_reports(gathered).await;
                    self.handle_status(&report).await;
                }
                // Of a machine's telemetry only the latest is kept: the rest
                // is read no further than what tells it from an event.
                Channel::Events => match protocol::telemetry_seq(&report.payload) {
                    Ok(Some(seq)) => match seqs.admit(device, seq, at) {
                        Ok(()) => gathered.readings(Latest {
                            device: report.device,
                            seq,
                            payload: report.payload,
                            reached: at,
                        }),
                        Err(e) => self.refuse(device, &e),
                    },
                    Ok(None) => match protocol::parse_device_message(&report.payload)
                        .map_err(|e| e.to_string())
                        .and_then(|m| seqs.admit(device, m.seq, at).map(|()| m))
                    {
                        Ok(message) => events.push((report.device, message, at)),
                        Err(e) => self.refuse(device, &e),
                    },
                    Err(e) => self.refuse(device, &e.to_string()),
                },
                // Commands are what this gateway sends.
                Channel::Commands => {}
            }
        }
        self.record_events(events).await;
    }

    async fn handle_status(&self, report: &Report) {
        let device = report.device.as_str();
        let outcome = match protocol::parse_status(&report.payload) {
            Ok(status) if status.online => {
                devices::record_seen(
                    &self.db,
                    device,
                    status.firmware.as_deref(),
                    report.received_at,
                )
                .await
            }
            Ok(_) => devices::record_offline(&self.db, device).await,
            Err(e) => return self.refuse(device, &e.to_string()),
        };
        match outcome {
            Ok(change) => {
                self.stats.count(&self.stats.0.statuses, 1);
                change.into_iter().for_each(|c| self.announce(c));
            }
            Err(e) => self.not_recorded(device, &e),
        }
    }

    /// Records device events, each with the time it reached the gateway:
    /// the batch together, or one by one when that failed.
    async fn record_events(&self, events: Vec<(DeviceId, DeviceMessage, DateTime<Utc>)>) {
        if events.is_empty() {
            return;
        }
        let messages: Vec<(&str, &DeviceMessage)> =
            events.iter().map(|(d, m, _)| (d.as_str(), m)).collect();
        let taken_up = Utc::now();
        let outcomes = match self.vending.receive_all(&messages).await {
            Ok(outcomes) => outcomes,
            Err(e) => {
                tracing::warn!(error = %e, "device events not recorded together; one by one instead");
                let mut outcomes = Vec::with_capacity(messages.len());
                for (device, message) in &messages {
                    outcomes.push(self.vending.receive(device, message).await);
                }
                outcomes
            }
        };
        let settled = Utc::now();
        // Dashboards follow each machine that reported something new.
        let mut changed = BTreeSet::new();
        for ((device, message, reached), outcome) in events.iter().zip(outcomes) {
            let device = device.as_str();
            match outcome {
                Ok(received) => {
                    self.stats.count(&self.stats.0.events, 1);
                    if matches!(message.body, DeviceEvent::DoorClosed { .. })
                        && received == Received::Applied
                    {
                        let since_sent =
                            |at: DateTime<Utc>| (at - message.sent_at).to_std().unwrap_or_default();
                        let stages = &self.stats.0.door_closed;
                        stages[DoorClosedStage::ReachedGateway as usize]
                            .record(since_sent(*reached));
                        stages[DoorClosedStage::TakenUp as usize].record(since_sent(taken_up));
                        stages[DoorClosedStage::Settled as usize].record(since_sent(settled));
                    }
                    if received != Received::Duplicate {
                        changed.insert(device);
                    }
                }
                Err(e) => self.not_recorded(device, &e),
            }
        }
        for device in changed {
            self.vending.announce_activity(device).await;
        }
    }

    /// Writes the gathered reports: last seen and back online, latest
    /// weights. A machine whose expired session waits for its next state
    /// report has its latest scale report taken as an event instead: it
    /// reconciles the session.
    async fn flush_reports(&self, gathered: &mut Gathered) {
        if gathered.0.is_empty() {
            return;
        }
        let reporting: Vec<&str> = gathered
            .0
            .iter()
            .filter(|(_, pending)| pending.latest_readings.is_some())
            .map(|(device, _)| device.as_str())
            .collect();
        let reconciling = sessions::reconciling(&self.db, &reporting)
            .await
            .unwrap_or_else(|e| {
                // Their sessions wait for the next flush's reports.
                tracing::warn!(error = %e, "cannot look for sessions to reconcile");
                Default::default()
            });
        let mut reconciling_reports = Vec::new();
        let mut reports = Vec::with_capacity(gathered.0.len());
        let mut counts = HashMap::with_capacity(gathered.0.len());
        for (device, mut pending) in gathered.0.drain() {
            let mut weights = None;
            let latest = pending.latest_readings.take().and_then(|latest| {
                match protocol::parse_device_message(&latest.payload) {
                    Ok(message) => Some((latest.device, message, latest.reached)),
                    Err(e) => {
                        pending.readings -= 1;
                        self.refuse(&device, &e.to_string());
                        None
                    }
                }
            });
            if let Some((id, message, reached)) = latest {
                if reconciling.contains(&device) {
                    pending.readings -= 1;
                    reconciling_reports.push((id, message, reached));
                } else if let DeviceEvent::ScaleReadings { scales, .. } = message.body {
                    let seq = i64::try_from(message.seq).unwrap_or(i64::MAX);
                    weights = Some(Weights {
                        seq,
                        at: reached,
                        scales,
                    });
                }
            }
            counts.insert(device.clone(), (pending.beats, pending.readings));
            reports.push(Reports {
                device_id: device,
                heartbeat: pending.heartbeat,
                weights,
            });
        }
        self.record_events(reconciling_reports).await;
        for slice in reports.chunks(REPORTS_PER_WRITE) {
            self.record_reports(slice, &counts).await;
        }
    }

    /// Writes devices' reports; `counts` says how many heartbeats and scale
    /// reports each device's stand for.
    async fn record_reports(&self, reports: &[Reports], counts: &HashMap<String, (u64, u64)>) {
        let (mut beats, mut readings) = reports
            .iter()
            .filter_map(|report| counts.get(&report.device_id))
            .fold((0, 0), |(b, r), (beats, readings)| {
                (b + beats, r + readings)
            });
        match devices::record_reports(&self.db, reports).await {
            Ok(found) => {
                for device in &found.unknown {
                    let (b, r) = counts.get(device).copied().unwrap_or_default();
                    (beats, readings) = (beats - b, readings - r);
                    self.stats.count(&self.stats.0.failed, b + r);
                    tracing::warn!(device, "message from an unknown device ignored");
                }
                // The latest scale report of each; the others were left for it.
                for (device, why) in &found.refused {
                    readings -= 1;
                    self.refuse(device, why);
                }
                self.stats.count(&self.stats.0.heartbeats, beats);
                self.stats.count(&self.stats.0.readings, readings);
                found.changes.into_iter().for_each(|c| self.announce(c));
                // Dashboards follow each machine's scales.
                for report in reports.iter().filter(|r| r.weights.is_some()) {
                    if !found.unknown.contains(&report.device_id) {
                        self.vending.announce_activity(&report.device_id).await;
                    }
                }
            }
            Err(e) => {
                self.stats.count(&self.stats.0.failed, beats + readings);
                tracing::warn!(error = %e, devices = reports.len(), "heartbeats and scale reports not recorded");
            }
        }
    }

    /// Refuses a device's message that is malformed or out of bounds: it
    /// is counted as failed and logged, and an admin hears of it through a
    /// `rejected_message` alert, raised at most once per device every
    /// [`REJECTION_ALERT_EVERY`] (a device sending nothing but garbage
    /// costs the database one write a minute) and open until acknowledged.
    fn refuse(&self, device: &str, why: &str) {
        self.stats.count(&self.stats.0.failed, 1);
        // What a device sent may be quoted in the reason: never all of it.
        let why = shortened(why, 300);
        tracing::warn!(device, error = why, "device message refused");
        let now = std::time::Instant::now();
        {
            let mut alerted = self
                .rejections_alerted
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if alerted
                .get(device)
                .is_some_and(|at| now.duration_since(*at) < REJECTION_ALERT_EVERY)
            {
                return;
            }
            // Only registered devices reach the gateway, but bounded all the same.
            if alerted.len() >= 100_000 {
                alerted.clear();
            }
            alerted.insert(device.to_owned(), now);
        }
        let (db, device, message) = (
            self.db.clone(),
            device.to_owned(),
            format!("{device} sent a message that was refused: {why}"),
        );
        self.vending.lane().handle().spawn(async move {
            if let Err(e) = alerts::raise(&db, Kind::RejectedMessage, &device, &message).await {
                tracing::debug!(device, error = %e, "no rejected_message alert raised");
            }
        });
    }

    fn not_recorded(&self, device: &str, error: &DomainError) {
        self.stats.count(&self.stats.0.failed, 1);
        match error {
            DomainError::NotFound { .. } => {
                tracing::warn!(device, "message from an unknown device ignored");
            }
            other => tracing::warn!(device, error = %other, "device message not recorded"),
        }
    }

    async fn watchdog(self: Arc<Self>, heartbeat: Duration) {
        let mut tick = tokio::time::interval(heartbeat);
        loop {
            tick.tick().await;
            let cutoff = Utc::now() - heartbeat * 3;
            match devices::expire_silent(&self.db, cutoff).await {
                Ok(changes) => changes.into_iter().for_each(|c| self.announce(c)),
                Err(e) => tracing::warn!(error = %e, "device watchdog failed"),
            }
        }
    }

    fn announce(&self, change: StatusChange) {
        tracing::info!(device = %change.device_id, online = change.online, "device status changed");
        // No receiver simply means no dashboard is open.
        let _ = self.changes.send(change);
    }
}

/// How often, at most, a device's refused messages raise a `rejected_message` alert.
const REJECTION_ALERT_EVERY: Duration = Duration::from_secs(60);

/// The highest `seq` each of a worker's devices reported since the gateway
/// started, and when. A message more than [`protocol::MAX_SEQ_JUMP`] past
/// it is refused ([`protocol::seq_order`]) before it could make the
/// device's next reports look overtaken. In memory, per worker (a device
/// always goes to the same one): no database call per message. A device's
/// first message after a start is bounded by [`protocol::MAX_SEQ`] only;
/// where a `seq` is kept, the domain orders it the same way.
#[derive(Default)]
struct Seqs(HashMap<String, (i64, DateTime<Utc>)>);

impl Seqs {
    fn admit(&mut self, device: &str, seq: u64, at: DateTime<Utc>) -> Result<(), String> {
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        let Some(last) = self.0.get_mut(device) else {
            self.0.insert(device.to_owned(), (seq, at));
            return Ok(());
        };
        match protocol::seq_order(seq, at, Some(*last)) {
            SeqOrder::After => *last = (seq, at),
            // Redelivered or overtaken: the domain decides what it changes.
            SeqOrder::NotAfter => {}
            SeqOrder::TooFarAhead => {
                return Err(format!(
                    "seq {seq} is more than {} past the last one ({})",
                    protocol::MAX_SEQ_JUMP,
                    last.0
                ));
            }
        }
        Ok(())
    }
}

/// Waits for the flush in flight, if any.
async fn finish(flushing: &mut JoinSet<()>) {
    while let Some(done) = flushing.join_next().await {
        if let Err(e) = done {
            tracing::error!(error = %e, "writing heartbeats and scale reports stopped");
        }
    }
}

/// Heartbeats and unasked scale reports gathered by a worker since its
/// last flush: per device the latest of each, and how many.
#[derive(Default)]
struct Gathered(HashMap<String, Pending>);

#[derive(Default)]
struct Pending {
    heartbeat: Option<Seen>,
    latest_readings: Option<Latest>,
    beats: u64,
    readings: u64,
}

/// A machine's telemetry (a scale report naming no session), parsed only
/// when it is still the latest at the flush.
struct Latest {
    device: DeviceId,
    seq: u64,
    payload: Bytes,
    /// When it reached the gateway.
    reached: DateTime<Utc>,
}

impl Gathered {
    fn of(&mut self, device: &str) -> &mut Pending {
        self.0.entry(device.to_owned()).or_default()
    }

    fn heartbeat(&mut self, device: &str, firmware: Option<String>, at: DateTime<Utc>) {
        let pending = self.of(device);
        pending.beats += 1;
        // A later heartbeat without firmware keeps the one reported before.
        let earlier = pending.heartbeat.take();
        let firmware = firmware.or(earlier.and_then(|seen| seen.firmware));
        pending.heartbeat = Some(Seen { firmware, at });
    }

    fn readings(&mut self, readings: Latest) {
        let pending = self.of(readings.device.as_str());
        pending.readings += 1;
        // A duplicate or a late report leaves the later one.
        if pending
            .latest_readings
            .as_ref()
            .is_none_or(|latest| latest.seq < readings.seq)
        {
            pending.latest_readings = Some(readings);
        }
    }
}

/// What the gateway has handled since it started: messages recorded, by
/// topic, and those it could not record; and how long a door-closed report
/// took from the machine to each [`DoorClosedStage`]. Read by load tests.
#[derive(Clone, Default)]
pub struct GatewayStats(Arc<Counters>);

#[derive(Default)]
struct Counters {
    heartbeats: AtomicU64,
    statuses: AtomicU64,
    readings: AtomicU64,
    events: AtomicU64,
    failed: AtomicU64,
    /// Indexed by [`DoorClosedStage`].
    door_closed: [Latencies; 3],
}

/// Where a door-closed report is, timed from the machine's `sent_at`.
#[derive(Debug, Clone, Copy)]
pub enum DoorClosedStage {
    /// Through the broker to the gateway's connection.
    ReachedGateway,
    /// Its device's worker starts on its batch (after the batches ahead).
    TakenUp,
    /// The session's settlement is committed.
    Settled,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Handled {
    pub heartbeats: u64,
    pub statuses: u64,
    /// Unasked scale reports, kept as their machines' latest weights.
    pub readings: u64,
    /// Every other device event, recorded in the session event log.
    pub events: u64,
    /// Messages refused (bad payload, unknown device) or not recorded (database errors).
    pub failed: u64,
}

impl Handled {
    /// Every message accounted for, recorded or not.
    pub fn total(&self) -> u64 {
        self.heartbeats + self.statuses + self.readings + self.events + self.failed
    }
}

impl GatewayStats {
    fn count(&self, counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn handled(&self) -> Handled {
        let c = &self.0;
        Handled {
            heartbeats: c.heartbeats.load(Ordering::Relaxed),
            statuses: c.statuses.load(Ordering::Relaxed),
            readings: c.readings.load(Ordering::Relaxed),
            events: c.events.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        }
    }

    /// Door-closed reports applied, and the given quantiles (0.0–1.0) of
    /// their time from the machine's `sent_at` to `stage`.
    pub fn door_closed_until(
        &self,
        stage: DoorClosedStage,
        quantiles: &[f64],
    ) -> (u64, Vec<Duration>) {
        self.0.door_closed[stage as usize].quantiles(quantiles)
    }
}

/// A histogram of durations in 1 ms buckets up to [`Latencies::BUCKETS`] ms
/// (longer ones land in the last): fixed memory, lock-free.
struct Latencies(Box<[AtomicU64]>);

impl Latencies {
    const BUCKETS: usize = 10_000;

    fn record(&self, waited: Duration) {
        let bucket = (waited.as_millis() as usize).min(Self::BUCKETS - 1);
        self.0[bucket].fetch_add(1, Ordering::Relaxed);
    }

    /// The count, and each quantile as the upper edge of its bucket.
    fn quantiles(&self, quantiles: &[f64]) -> (u64, Vec<Duration>) {
        let counts: Vec<u64> = self.0.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        let at = |q: f64| {
            let rank = ((q * total as f64).ceil() as u64).max(1);
            let mut seen = 0;
            let bucket = counts
                .iter()
                .position(|c| {
                    seen += c;
                    seen >= rank
                })
                .unwrap_or(Self::BUCKETS - 1);
            Duration::from_millis(bucket as u64 + 1)
        };
        (total, quantiles.iter().map(|q| at(*q)).collect())
    }
}

impl Default for Latencies {
    fn default() -> Self {
        Self((0..Self::BUCKETS).map(|_| AtomicU64::new(0)).collect())
    }
}
