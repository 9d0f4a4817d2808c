//! Virtual vending machines speaking the device protocol, for the embedded
//! default, tests and load. Each machine holds its own MQTT connection with a
//! last will, so a machine that dies is reported offline by the broker.
//!
//! A machine has scales holding stock, answers every command, and on an
//! open-door command lets a scripted shopper take items, reporting door and
//! scale events as firmware would. [`Faults`] make it misbehave the ways real
//! machines do.

use std::{
    collections::{HashSet, VecDeque},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use chrono::Utc;
use domain::devices::protocol::{
    self, Channel, Command, CommandBody, DeviceEvent, DeviceId, DeviceMessage, DeviceMode,
    Heartbeat, MachineMode, PlanogramScale, SCHEMA_VERSION, ScaleReading, StatusMessage,
};
use rumqttc::{AsyncClient, Event, LastWill, Packet, QoS};
use tokio::{sync::mpsc, task::JoinSet};

use super::{MqttEndpoint, mqtt_client};

pub const FIRMWARE: &str = concat!("automat-sim/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone)]
pub struct MachineConfig {
    pub device_id: DeviceId,
    /// The machine's MQTT password (its username is its id); `None` signs in
    /// anonymously, which only an open broker accepts.
    pub password: Option<String>,
    pub heartbeat: Duration,
    pub scales: Vec<SimScale>,
    /// One visit per opening (purchase or service), in order; with none left
    /// nobody touches the scales.
    pub shopper: Vec<Visit>,
    /// The shopper's visits start over once all are made (the demo machines
    /// sell on every opening).
    pub repeat_shopper: bool,
    /// One visit per return opening, in order: what a shopper puts back
    /// (negative units of a scale's empties).
    pub returner: Vec<Visit>,
    /// A service visit leaves the door open until service mode is turned
    /// off (`set_mode` `normal`); otherwise the door closes after each visit.
    pub keep_service_door_open: bool,
    pub faults: Faults,
    /// How often the machine reports its scales unasked (`scale_readings`
    /// naming no session), on a fixed cadence, as firmware that streams
    /// telemetry does; `None` reports only around openings.
    pub readings_every: Option<Duration>,
    /// Shared by the machines of one load test.
    pub traffic: Arc<Traffic>,
}

/// What machines under load share: how many of their publishes the broker
/// acknowledged, and a switch that silences their periodic traffic
/// (heartbeats, unasked scale reports) while they still answer commands.
#[derive(Debug, Default)]
pub struct Traffic {
    pub acknowledged: AtomicU64,
    pub paused: AtomicBool,
}

impl Traffic {
    fn paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }
}

impl MachineConfig {
    /// A well-behaved machine with empty scales.
    pub fn new(device_id: DeviceId, heartbeat: Duration) -> Self {
        Self {
            device_id,
            password: None,
            heartbeat,
            scales: Vec::new(),
            shopper: Vec::new(),
            repeat_shopper: false,
            returner: Vec::new(),
            keep_service_door_open: false,
            faults: Faults::default(),
            readings_every: None,
            traffic: Arc::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SimScale {
    pub position: i32,
    pub products: Vec<SimProduct>,
}

#[derive(Debug, Clone)]
pub struct SimProduct {
    pub variant_id: String,
    pub unit_weight_g: i32,
    pub units: i32,
}

/// What a shopper takes (or a service person puts in) during one opening.
#[derive(Debug, Clone, Default)]
pub struct Visit {
    pub take: Vec<Take>,
}

#[derive(Debug, Clone)]
pub struct Take {
    pub scale: i32,
    pub variant_id: String,
    /// Negative puts units on the scale (restocking).
    pub units: i32,
}

/// Ways a machine misbehaves.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Commands are neither acknowledged nor obeyed.
    pub ignore_commands: bool,
    /// Every event is published twice under one message id (a QoS 1 redelivery).
    pub duplicate: bool,
    /// The door-closed report is sent again under a new message id and sequence number.
    pub resend_door_closed: bool,
    /// The door-closed report is published before the door-opened one.
    pub reorder: bool,
    /// Each reading is off by up to this many grams either way.
    pub noise_g: i32,
    /// Someone bumps the machine while the scales settle: one spike reading.
    pub bump: bool,
    /// This many door-closed reports (the first ones) are never sent.
    pub lose_door_closed: u32,
    /// Every planogram is refused (`sync_applied` with `ok: false`).
    pub fail_sync: bool,
    /// Planograms are acknowledged and applied, but their `sync_applied`
    /// report is never sent.
    pub lose_sync_applied: bool,
    /// Each opening independently, with this probability each: the open-door
    /// command is ignored the first time, reports are duplicated, reordered,
    /// and the door-closed report is resent.
    pub chaos: f64,
}

/// A bump adds this much to one reading.
const BUMP_GRAMS: i32 = 450;

/// Runs machines until the returned set is dropped or aborted.
pub fn spawn_machines(endpoint: &MqttEndpoint, machines: Vec<MachineConfig>) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for machine in machines {
        set.spawn(run_machine(endpoint.clone(), machine));
    }
    set
}

async fn run_machine(endpoint: MqttEndpoint, machine: MachineConfig) {
    let id = machine.device_id.clone();
    let status_topic = protocol::topic(&id, Channel::Status);
    let commands_topic = protocol::topic(&id, Channel::Commands);
    let offline = serde_json::to_vec(&StatusMessage {
        schema: SCHEMA_VERSION,
        online: false,
        firmware: None,
    })
    .expect("status serialises");
    let online = serde_json::to_vec(&StatusMessage {
        schema: SCHEMA_VERSION,
        online: true,
        firmware: Some(FIRMWARE.to_owned()),
    })
    .expect("status serialises");

    let mut options = endpoint.options(id.as_str(), machine.heartbeat * 2);
    if let Some(password) = &machine.password {
        options.set_credentials(id.as_str(), password);
    }
    options.set_last_will(LastWill::new(
        &status_topic,
        offline,
        QoS::AtLeastOnce,
        true,
    ));
    let (client, mut eventloop) = mqtt_client(options, 64);
    // Sequence numbers keep growing across restarts: they start from the clock.
    let seq = Arc::new(AtomicU64::new(Utc::now().timestamp_millis() as u64));
    // Heartbeats and firmware run beside the event loop, never by
    // interrupting it: a poll cancelled mid-connect drops the half-open
    // connection, and the broker would fire (and forget) the machine's last will.
    let mut beside = JoinSet::new();
    let traffic = machine.traffic.clone();
    beside.spawn(send_heartbeats(
        client.clone(),
        id.clone(),
        machine.heartbeat,
        seq.clone(),
        traffic.clone(),
    ));
    let (commands, inbox) = mpsc::channel(64);
    beside.spawn(Firmware::new(client.clone(), machine, seq).run(inbox));
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                tracing::debug!(device = id.as_str(), "simulated machine connected");
                // try_: waiting for queue space here would wait on this very loop.
                if let Err(e) = client.try_subscribe(&commands_topic, QoS::AtLeastOnce) {
                    tracing::warn!(device = id.as_str(), error = %e, "cannot subscribe");
                }
                if let Err(e) =
                    client.try_publish(&status_topic, QoS::AtLeastOnce, true, online.clone())
                {
                    tracing::warn!(device = id.as_str(), error = %e, "cannot announce");
                }
            }
            Ok(Event::Incoming(Packet::PubAck(_))) => {
                traffic.acknowledged.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Event::Incoming(Packet::Publish(publish))) if publish.topic == commands_topic => {
                match serde_json::from_slice::<Command>(&publish.payload) {
                    Ok(command) => {
                        if commands.try_send(command).is_err() {
                            tracing::warn!(device = id.as_str(), "command inbox full; dropped");
                        }
                    }
                    Err(e) => tracing::warn!(device = id.as_str(), error = %e, "bad command"),
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(device = id.as_str(), error = %e, "simulated machine disconnected; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

async fn send_heartbeats(
    client: AsyncClient,
    id: DeviceId,
    every: Duration,
    seq: Arc<AtomicU64>,
    traffic: Arc<Traffic>,
) {
    let mut beat = firmware_timer(every);
    loop {
        beat.tick().await;
        if traffic.paused() {
            continue;
        }
        let heartbeat = Heartbeat {
            schema: SCHEMA_VERSION,
            seq: seq.fetch_add(1, Ordering::Relaxed) + 1,
            msg_id: domain::ids::new_id("msg"),
            sent_at: Utc::now(),
            firmware: Some(FIRMWARE.to_owned()),
        };
        let payload = serde_json::to_vec(&heartbeat).expect("heartbeat serialises");
        // While disconnected the queue fills; a machine drops beats rather than stall.
        let _ = client.try_publish(
            protocol::topic(&id, Channel::Heartbeat),
            QoS::AtLeastOnce,
            false,
            payload,
        );
    }
}

/// The machine's own logic: scales, doors, the shopper.
struct Firmware {
    client: AsyncClient,
    id: DeviceId,
    scales: Vec<SimScale>,
    shopper: VecDeque<Visit>,
    repeat_shopper: bool,
    returner: VecDeque<Visit>,
    keep_service_door_open: bool,
    /// The session and the readings at opening of a door open for service.
    service_door: Option<(String, Vec<ScaleReading>)>,
    faults: Faults,
    seq: Arc<AtomicU64>,
    /// Commands obeyed already: a resent one is only acknowledged again.
    obeyed: HashSet<String>,
    dice: Dice,
    /// Open-door commands ignored once already (a chaos fault).
    dropped: HashSet<String>,
    readings_every: Option<Duration>,
    traffic: Arc<Traffic>,
}

impl Firmware {
    fn new(client: AsyncClient, machine: MachineConfig, seq: Arc<AtomicU64>) -> Self {
        // Seeded by the machine's id: machines misbehave differently, each reproducibly.
        let seed = machine
            .device_id
            .as_str()
            .bytes()
            .fold(0x2545_f491_4f6c_dd1d_u64, |seed, b| {
                seed.rotate_left(5) ^ u64::from(b)
            });
        Self {
            client,
            id: machine.device_id,
            scales: machine.scales,
            shopper: machine.shopper.into(),
            repeat_shopper: machine.repeat_shopper,
            returner: machine.returner.into(),
            keep_service_door_open: machine.keep_service_door_open,
            service_door: None,
            dice: Dice(seed),
            dropped: HashSet::new(),
            readings_every: machine.readings_every,
            traffic: machine.traffic,
            faults: machine.faults,
            seq,
            obeyed: HashSet::new(),
        }
    }

    async fn run(mut self, mut inbox: mpsc::Receiver<Command>) {
        let mut telemetry = self.readings_every.map(firmware_timer);
        loop {
            let next_report = async {
                match &mut telemetry {
                    Some(timer) => timer.tick().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                command = inbox.recv() => match command {
                    Some(command) => self.obey(command).await,
                    None => return,
                },
                _ = next_report => {
                    if !self.traffic.paused() {
                        let scales = self.readings();
                        let report = self.message(DeviceEvent::ScaleReadings { session: None, scales });
                        self.publish(&report, false).await;
                    }
                }
            }
        }
    }

    async fn obey(&mut self, command: Command) {
        if self.faults.ignore_commands {
            return;
        }
        let id = command.command_id.clone();
        if matches!(command.body, CommandBody::OpenDoor { .. })
            && !self.obeyed.contains(&id)
            && !self.dropped.contains(&id)
            && self.dice.chance(self.faults.chaos)
        {
            self.dropped.insert(id);
            return;
        }
        let first_time = self.obeyed.insert(id);
        // The door-closed report goes before the acknowledgement: the back
        // end takes an acknowledged `normal` with the service door still open
        // for firmware that cannot close it.
        if first_time
            && command.body
                == (CommandBody::SetMode {
                    mode: MachineMode::Normal,
                })
        {
            self.end_service().await;
        }
        let ack = self.message(DeviceEvent::Ack {
            command_id: command.command_id,
            ok: true,
            error: None,
        });
        let duplicate = self.duplicates();
        self.publish(&ack, duplicate).await;
        if !first_time {
            return;
        }
        match command.body {
            CommandBody::OpenDoor { mode, session, .. } => self.open_door(mode, session).await,
            CommandBody::SyncPlanogram { version, scales } => {
                let refused = self.faults.fail_sync;
                if !refused {
                    self.apply_planogram(scales);
                }
                let applied = self.message(DeviceEvent::SyncApplied {
                    version,
                    ok: !refused,
                    error: refused.then(|| "the scales did not take the planogram".to_owned()),
                });
                if !self.faults.lose_sync_applied {
                    self.publish(&applied, false).await;
                }
            }
            CommandBody::SetMode { .. } | CommandBody::Ping => {}
        }
    }

    async fn open_door(&mut self, mode: DeviceMode, session: String) {
        let before = self.readings();
        let opened = self.message(DeviceEvent::DoorOpened {
            session: session.clone(),
            scales: before.clone(),
        });
        let visit = if mode == DeviceMode::Return {
            self.returner.pop_front().unwrap_or_default()
        } else {
            let visit = self.shopper.pop_front().unwrap_or_default();
            if self.repeat_shopper {
                self.shopper.push_back(visit.clone());
            }
            visit
        };
        for take in &visit.take {
            self.take(take);
        }
        if mode == DeviceMode::Service && self.keep_service_door_open {
            let duplicate = self.duplicates();
            self.publish(&opened, duplicate).await;
            self.service_door = Some((session, before));
            return;
        }
        let closed = self.door_closed(session, before);
        let mut reports = vec![opened];
        let lost = self.faults.lose_door_closed > 0;
        if lost {
            self.faults.lose_door_closed -= 1;
        } else {
            reports.push(closed.clone());
        }
        let chaos = self.faults.chaos;
        if self.faults.reorder || self.dice.chance(chaos) {
            reports.reverse();
        }
        let duplicate = self.duplicates();
        for report in &reports {
            self.publish(report, duplicate).await;
        }
        if (self.faults.resend_door_closed || self.dice.chance(chaos)) && !lost {
            let again = self.message(closed.body);
            self.publish(&again, duplicate).await;
        }
    }

    /// Locks a door left open for service and reports it closed.
    async fn end_service(&mut self) {
        let Some((session, before)) = self.service_door.take() else {
            return;
        };
        let closed = self.door_closed(session, before);
        self.publish(&closed, false).await;
    }

    /// The door-closed report of `session`: the weights at opening and now.
    fn door_closed(&mut self, session: String, before: Vec<ScaleReading>) -> DeviceMessage {
        let after = self.settled_readings();
        self.message(DeviceEvent::DoorClosed {
            session,
            before,
            after,
        })
    }

    /// The readings once the scales came to rest after the door closed:
    /// three samples per scale, one spiked if someone bumps the machine.
    fn settled_readings(&mut self) -> Vec<ScaleReading> {
        let mut after = Vec::new();
        for sample in 0..3 {
            let mut readings = self.readings();
            if self.faults.bump
                && sample == 1
                && let Some(first) = readings.first_mut()
            {
                first.grams += BUMP_GRAMS;
            }
            after.extend(readings);
        }
        after
    }

    /// Whether this opening's reports go out twice.
    fn duplicates(&mut self) -> bool {
        self.faults.duplicate || self.dice.chance(self.faults.chaos)
    }

    fn take(&mut self, take: &Take) {
        let product = self
            .scales
            .iter_mut()
            .filter(|s| s.position == take.scale)
            .flat_map(|s| s.products.iter_mut())
            .find(|p| p.variant_id == take.variant_id);
        match product {
            Some(product) => product.units -= take.units.min(product.units),
            None => tracing::warn!(
                device = self.id.as_str(),
                ?take,
                "the shopper reaches for nothing"
            ),
        }
    }

    /// Keeps the units of products still assigned, adds new ones empty.
    fn apply_planogram(&mut self, planogram: Vec<PlanogramScale>) {
        let old = std::mem::take(&mut self.scales);
        let units_of = |position: i32, variant_id: &str| {
            old.iter()
                .filter(|s| s.position == position)
                .flat_map(|s| &s.products)
                .find(|p| p.variant_id == variant_id)
                .map_or(0, |p| p.units)
        };
        self.scales = planogram
            .into_iter()
            .map(|scale| SimScale {
                position: scale.scale,
                products: scale
                    .products
                    .into_iter()
                    .map(|p| SimProduct {
                        units: units_of(scale.scale, &p.variant_id),
                        variant_id: p.variant_id,
                        unit_weight_g: p.unit_weight_g,
                    })
                    .collect(),
            })
            .collect();
    }

    /// One stable reading per scale, noise included.
    fn readings(&mut self) -> Vec<ScaleReading> {
        let at = Utc::now();
        let loads: Vec<(i32, i32)> = self
            .scales
            .iter()
            .map(|s| {
                let grams = s.products.iter().map(|p| p.units * p.unit_weight_g).sum();
                (s.position, grams)
            })
            .collect();
        loads
            .into_iter()
            .map(|(scale, grams)| ScaleReading {
                scale,
                grams: grams + self.dice.noise(self.faults.noise_g),
                stable: true,
                at,
            })
            .collect()
    }

    fn message(&self, body: DeviceEvent) -> DeviceMessage {
        DeviceMessage {
            schema: SCHEMA_VERSION,
            seq: self.seq.fetch_add(1, Ordering::Relaxed) + 1,
            msg_id: domain::ids::new_id("msg"),
            sent_at: Utc::now(),
            body,
        }
    }

    /// Publishes a report, twice under one message id when `duplicate`.
    async fn publish(&self, message: &DeviceMessage, duplicate: bool) {
        let payload = serde_json::to_vec(message).expect("device messages serialise");
        let copies = if duplicate { 2 } else { 1 };
        for _ in 0..copies {
            if let Err(e) = self
                .client
                .publish(
                    protocol::topic(&self.id, Channel::Events),
                    QoS::AtLeastOnce,
                    false,
                    payload.clone(),
                )
                .await
            {
                tracing::warn!(device = self.id.as_str(), error = %e, "cannot report");
            }
        }
    }
}

/// The clock of a machine's periodic reports (heartbeats, unasked scale
/// reports). A fixed cadence, as a firmware timer keeps: a report sent late
/// does not push back the ones after it (a busy fleet would otherwise offer
/// fewer reports than it was asked for), and one missed altogether is
/// skipped, not sent in a burst (a stalled machine catching up would send
/// a flood of heartbeats saying nothing new).
fn firmware_timer(every: Duration) -> tokio::time::Interval {
    let mut timer = tokio::time::interval(every);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    timer
}

/// Reproducible randomness for noise and faults (a linear congruential
/// generator: the same machine misbehaves the same way every run).
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// Grams in `-amplitude..=amplitude`.
    fn noise(&mut self, amplitude: i32) -> i32 {
        if amplitude <= 0 {
            return 0;
        }
        let span = 2 * amplitude as u64 + 1;
        (self.next() % span) as i32 - amplitude
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (self.next() % 10_000) as f64 / 10_000.0 < p
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use domain::devices::protocol::DeviceId;
    use rumqttc::AsyncClient;
    use tokio::time::Instant;

    use super::{firmware_timer, send_heartbeats};

    #[tokio::test(start_paused = true)]
    async fn periodic_reports_keep_their_cadence_when_one_is_late() {
        let every = Duration::from_millis(50);
        let mut timer = firmware_timer(every);
        let start = Instant::now();
        timer.tick().await;
        // Busy until 130 ms: the reports due at 50 and 100 ms are late.
        tokio::time::sleep(Duration::from_millis(130)).await;
        timer.tick().await;
        timer.tick().await;
        // Keeping the schedule, the next report is the one due at 150 ms:
        // not at 180 (the schedule pushed back by the late one, offering
        // fewer reports than asked) nor at once (the missed one in a burst).
        assert_eq!(start.elapsed(), Duration::from_millis(150));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_machine_skips_the_heartbeats_it_missed() {
        let (requests, published) = flume::unbounded();
        let every = Duration::from_secs(1);
        tokio::spawn(send_heartbeats(
            AsyncClient::from_senders(requests),
            DeviceId::parse("vm-001").unwrap(),
            every,
            Arc::default(),
            Arc::default(),
        ));
        tokio::task::yield_now().await;
        assert_eq!(published.drain().count(), 1, "the first beat at start");
        // The clock jumps 3.5 beats while the machine's task does not run:
        // the beats due at 1, 2 and 3 s are missed.
        tokio::time::advance(every * 7 / 2).await;
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            published.drain().count(),
            1,
            "one beat, not the missed three"
        );
        // Back on the schedule: the next beat is the one due at 4 s.
        tokio::time::advance(every / 2).await;
        tokio::task::yield_now().await;
        assert_eq!(published.drain().count(), 1);
    }
}
