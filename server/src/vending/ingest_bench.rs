//! Load test of the device gateway (`automat bench-ingest`): the server runs
//! in this process against its broker, a fleet of simulated machines streams
//! heartbeats and scale reports over MQTT, and some of them keep selling
//! (open door → door opened → door closed → order). Every message the broker
//! acknowledged to a machine must come out of the gateway as handled.

use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use domain::{
    db::WriteTurns,
    vending::{session_event, sessions, state::State},
};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use super::{
    gateway::{DoorClosedStage, GatewayStats, Handled},
    service::Vending,
    simulator::{Traffic, spawn_machines},
};
use crate::{config::Settings, startup};

/// The fleet and how hard it pushes.
#[derive(Debug, Clone, clap::Args)]
pub struct Load {
    /// Simulated machines, `vm-001`…; registered first with `automat seed --machines N`.
    #[arg(long, default_value_t = 1000)]
    pub machines: usize,
    /// Of those (the first ones), how many run purchase sessions.
    #[arg(long, default_value_t = 1000)]
    pub shopping: usize,
    /// How often each selling machine is opened for a purchase, in ms; the
    /// machines' openings are spread evenly over the interval. The default
    /// is a fridge in use without pause (the next shopper at the door as the
    /// last one leaves). 0 opens each machine again the moment its session
    /// ends: a stress test, where sessions arrive as fast as the store
    /// settles them and their latency is the queue's.
    #[arg(long, default_value_t = 20_000)]
    pub session_every_ms: u64,
    /// Each machine's unasked scale report interval.
    #[arg(long, default_value_t = 50)]
    pub readings_ms: u64,
    /// Each machine's heartbeat interval.
    #[arg(long, default_value_t = 1000)]
    pub heartbeat_ms: u64,
    /// How long the fleet pushes before the measuring starts: the window
    /// opens on the steady state, not on 1,000 machines' first reports
    /// arriving together with nothing yet in flight.
    #[arg(long, default_value_t = 3)]
    pub warmup_secs: u64,
    /// How long the fleet pushes while it is measured.
    #[arg(long, default_value_t = 20)]
    pub secs: u64,
}

/// Threads the simulated machines run on.
const FLEET_THREADS: usize = 2;

/// Machines signing in at the same time.
const CONNECTING_AT_ONCE: usize = 25;

/// How long the handled count may trail the acknowledged one after the
/// fleet goes quiet before the difference counts as lost.
const DRAIN_LIMIT: Duration = Duration::from_secs(120);

/// How often a shopping session's state is looked at: as often as the
/// shopper's page following it does, so the store reads what it would.
const SESSION_POLL: Duration = crate::http::store::vending::FOLLOW_EVERY;

/// A session not over after this long counts as stuck.
const SESSION_LIMIT: Duration = Duration::from_secs(60);

/// Runs the load and prints a Markdown report; fails when a message was lost.
pub async fn run(mut settings: Settings, mut load: Load) -> anyhow::Result<()> {
    // The report counts the machines that sell, not the ones asked for.
    load.shopping = load.shopping.min(load.machines);
    settings.simulated_machines = 0;
    // Signing the fleet in takes a while, and the fleet is silent meanwhile:
    // the watchdog must not take that for machines gone offline.
    settings.heartbeat_secs = settings.heartbeat_secs.max(60);
    // The whole fleet connects from this one address.
    let broker = &mut settings.mqtt_broker;
    broker.mqtt_max_connections_per_address =
        (broker.mqtt_max_connections_per_address).max(load.machines + CONNECTING_AT_ONCE);
    broker.mqtt_max_connections = broker
        .mqtt_max_connections
        .max(load.machines + CONNECTING_AT_ONCE);
    // ...and signs in at once, far faster than a fleet reconnecting after an outage.
    settings.rate_limits.mqtt_sign_in = "off".parse().map_err(anyhow::Error::msg)?;
    let app = startup::build(settings).await?;
    let (db, vending, stats) = (
        app.state.db.clone(),
        app.state.vending.clone(),
        app.gateway_stats.clone(),
    );
    wait_for("the gateway to subscribe", Duration::from_secs(30), || {
        app.state.gateway.is_connected()
    })
    .await?;

    eprintln!("[bench] issuing credentials to {} machines", load.machines);
    // Quiet until every machine is in, so the window starts without a backlog.
    let traffic = Arc::new(Traffic::default());
    traffic.paused.store(true, Ordering::Relaxed);
    let heartbeat = Duration::from_millis(load.heartbeat_ms.max(1));
    let mut machines = startup::demo_machines(&db, load.machines, heartbeat).await?;
    if let Some(unknown) = machines.iter().find(|m| m.password.is_none()) {
        anyhow::bail!(
            "{} is not registered: run `automat seed --machines {}` on a fresh database first",
            unknown.device_id.as_str(),
            load.machines
        );
    }
    for machine in &mut machines {
        machine.readings_every = Some(Duration::from_millis(load.readings_ms.max(1)));
        machine.traffic = traffic.clone();
    }
    let shoppers: Vec<String> = machines
        .iter()
        .take(load.shopping)
        .map(|m| m.device_id.as_str().to_owned())
        .collect();
    // The machines run on threads of their own, as they would on their own
    // hardware: on the server's runtime they would queue ahead of its work.
    let fleet_threads = FleetThreads::start()?;
    // In waves: each sign-in costs the broker a password hash check.
    let mut fleet = Vec::new();
    for wave in machines.chunks(CONNECTING_AT_ONCE) {
        let connected = stats.handled().statuses + wave.len() as u64;
        fleet.push({
            let _on_fleet_threads = fleet_threads.enter();
            spawn_machines(&app.mqtt, wave.to_vec())
        });
        wait_for(
            "a wave of machines to connect",
            Duration::from_secs(60),
            || stats.handled().statuses >= connected,
        )
        .await?;
    }

    eprintln!(
        "[bench] {} machines connected; pushing for {} s, measuring the last {} s",
        load.machines,
        load.warmup_secs + load.secs,
        load.secs
    );
    traffic.paused.store(false, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(load.warmup_secs)).await;
    let (handled_before, acked_before) = (stats.handled(), acknowledged(&traffic));
    let turns_before = domain::db::write_turns(&db);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(load.secs);
    let pace = Pace {
        every: Duration::from_millis(load.session_every_ms),
        first: started,
        deadline,
    };
    let shopping = tokio::spawn(shop_all(vending, db.clone(), shoppers, pace));
    tokio::time::sleep_until(deadline.into()).await;
    let (handled_after, acked_after) = (stats.handled(), acknowledged(&traffic));
    let window = started.elapsed();
    let write_turns = domain::db::write_turns(&db)
        .zip(turns_before)
        .map(|(after, before)| after.since(&before));
    traffic.paused.store(true, Ordering::Relaxed);
    let sessions = shopping.await?;

    let quiet = Instant::now();
    let drained = wait_for("the gateway to catch up", DRAIN_LIMIT, || {
        stats.handled().total() >= acknowledged(&traffic)
    })
    .await
    .is_ok();
    let drain = quiet.elapsed();
    let report = Report {
        load,
        window,
        in_window: handled_after.minus(&handled_before),
        offered: acked_after - acked_before,
        write_turns,
        drain,
        handled: stats.handled(),
        acknowledged: acknowledged(&traffic),
        recorded_events: session_event::Entity::find().count(&db).await?,
        sessions,
        stats,
    };
    report.print();
    anyhow::ensure!(drained, "messages were lost");
    Ok(())
}

/// The fleet's own runtime, stopped without waiting when the run ends (a
/// runtime may not be dropped from inside another).
struct FleetThreads(Option<tokio::runtime::Runtime>);

impl FleetThreads {
    fn start() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(FLEET_THREADS)
            .thread_name("fleet")
            .enable_all()
            .build()?;
        Ok(Self(Some(runtime)))
    }

    /// Makes tasks spawned until the guard drops run on the fleet's threads.
    fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
        self.0.as_ref().expect("running until dropped").enter()
    }
}

impl Drop for FleetThreads {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

fn acknowledged(traffic: &Traffic) -> u64 {
    traffic.acknowledged.load(Ordering::Relaxed)
}

async fn wait_for(
    what: &str,
    limit: Duration,
    mut done: impl FnMut() -> bool,
) -> anyhow::Result<()> {
    let give_up = Instant::now() + limit;
    while !done() {
        anyhow::ensure!(Instant::now() < give_up, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// How the shopping sessions ended.
#[derive(Debug, Default)]
struct Sessions {
    settled: u64,
    with_order: u64,
    failed: u64,
    stuck: u64,
    refused: u64,
}

/// When the selling machines open.
#[derive(Debug, Clone, Copy)]
struct Pace {
    /// Between one machine's openings; zero: again as soon as one ends.
    every: Duration,
    /// When the first machine opens.
    first: Instant,
    /// No session opens after it.
    deadline: Instant,
}

impl Pace {
    /// The first opening of the `n`th of `of` machines: spread evenly over
    /// one interval, so openings arrive at a steady rate.
    fn start_of(&self, n: usize, of: usize) -> Instant {
        self.first + self.every.mul_f64(n as f64 / of.max(1) as f64)
    }
}

async fn shop_all(
    vending: Vending,
    db: DatabaseConnection,
    machines: Vec<String>,
    pace: Pace,
) -> Sessions {
    let shops = machines.iter().enumerate().map(|(n, device)| {
        shop(
            &vending,
            &db,
            device,
            pace.start_of(n, machines.len()),
            pace,
        )
    });
    futures::future::join_all(shops)
        .await
        .into_iter()
        .fold(Sessions::default(), |all, one| Sessions {
            settled: all.settled + one.settled,
            with_order: all.with_order + one.with_order,
            failed: all.failed + one.failed,
            stuck: all.stuck + one.stuck,
            refused: all.refused + one.refused,
        })
}

/// Opens the machine for a purchase from `first` on, at the pace's
/// interval until the deadline, each time waiting for the session to end
/// (a machine holds one session at a time).
async fn shop(
    vending: &Vending,
    db: &DatabaseConnection,
    device: &str,
    first: Instant,
    pace: Pace,
) -> Sessions {
    let mut ended = Sessions::default();
    let mut next = first;
    loop {
        tokio::time::sleep_until(next.into()).await;
        if Instant::now() >= pace.deadline {
            break;
        }
        // A session that outlasts the interval delays the next opening, never doubles it.
        next = (next + pace.every).max(Instant::now());
        let session = match vending.open_purchase(device, None).await {
            Ok(session) => session,
            Err(e) => {
                tracing::warn!(device, error = %e, "cannot open the machine");
                ended.refused += 1;
                tokio::time::sleep(SESSION_POLL).await;
                continue;
            }
        };
        let opened = Instant::now();
        loop {
            tokio::time::sleep(SESSION_POLL).await;
            let state = sessions::find(db, &session.id)
                .await
                .ok()
                .map(|s| (s.state, s.order_id.is_some()));
            match state {
                Some((State::Settled, with_order)) => {
                    ended.settled += 1;
                    ended.with_order += u64::from(with_order);
                    break;
                }
                Some((State::Failed, _)) => {
                    ended.failed += 1;
                    break;
                }
                _ if opened.elapsed() > SESSION_LIMIT => {
                    ended.stuck += 1;
                    break;
                }
                _ => {}
            }
        }
    }
    ended
}

impl Handled {
    fn minus(&self, earlier: &Handled) -> Handled {
        Handled {
            heartbeats: self.heartbeats - earlier.heartbeats,
            statuses: self.statuses - earlier.statuses,
            readings: self.readings - earlier.readings,
            events: self.events - earlier.events,
            failed: self.failed - earlier.failed,
        }
    }
}

struct Report {
    load: Load,
    window: Duration,
    in_window: Handled,
    /// Publishes the broker acknowledged to the machines in the window.
    offered: u64,
    /// How SQLite's one writer's turn was used in the window (`None` on PostgreSQL).
    write_turns: Option<WriteTurns>,
    drain: Duration,
    handled: Handled,
    acknowledged: u64,
    recorded_events: u64,
    sessions: Sessions,
    stats: GatewayStats,
}

impl Report {
    fn print(&self) {
        let Load {
            machines,
            shopping,
            session_every_ms,
            readings_ms,
            heartbeat_ms,
            warmup_secs,
            secs,
        } = self.load;
        let per_sec = |n: u64| n as f64 / self.window.as_secs_f64();
        let lost = self.acknowledged.saturating_sub(self.handled.total());
        let pace = if session_every_ms == 0 {
            "each opened again as soon as its session ends".to_owned()
        } else {
            format!(
                "each opened every {:.1} s ({:.1} openings/s offered)",
                session_every_ms as f64 / 1000.0,
                shopping as f64 * 1000.0 / session_every_ms as f64
            )
        };
        println!(
            "- load: {machines} machines, a scale report every {readings_ms} ms and a heartbeat every {heartbeat_ms} ms each, {shopping} of them selling, {pace}; measured for {secs} s after {warmup_secs} s of warm-up"
        );
        println!(
            "- handled in the window: **{:.0} messages/s** ({:.0} scale reports/s, {:.0} other events/s, {:.0} heartbeats/s); the broker acknowledged {:.0}/s to the machines",
            per_sec(self.in_window.total()),
            per_sec(self.in_window.readings),
            per_sec(self.in_window.events),
            per_sec(self.in_window.heartbeats),
            per_sec(self.offered),
        );
        println!(
            "- backlog handled after the fleet went quiet: {:.1} s",
            self.drain.as_secs_f64()
        );
        println!(
            "- accounting: {} publishes acknowledged by the broker, {} handled by the gateway ({} heartbeats, {} statuses, {} unasked scale reports, {} other events, {} failed); **lost: {lost}**",
            self.acknowledged,
            self.handled.total(),
            self.handled.heartbeats,
            self.handled.statuses,
            self.handled.readings,
            self.handled.events,
            self.handled.failed,
        );
        println!(
            "- events in the session event log (`device_session_events`): {} (gateway counted {} other events)",
            self.recorded_events, self.handled.events
        );
        if let Some(turns) = &self.write_turns {
            let mean = |total: Duration| total.as_secs_f64() * 1000.0 / turns.turns.max(1) as f64;
            println!(
                "- SQLite writer in the window: {:.0} write transactions/s, the writer's turn held **{:.0} %** of the time (each held {:.1} ms and waited {:.1} ms for it on average)",
                per_sec(turns.turns),
                turns.held.as_secs_f64() / self.window.as_secs_f64() * 100.0,
                mean(turns.held),
                mean(turns.waited),
            );
        }
        println!(
            "- threads on the database's write path (the write lane, SQLite's connections): {}",
            match domain::thread_priority::favouring() {
                Some(true) => format!("favoured (nice {})", domain::thread_priority::FAVOURED_NICE),
                Some(false) => "normal priority (the process may not raise it)".to_owned(),
                None => "normal priority".to_owned(),
            }
        );
        let s = &self.sessions;
        println!(
            "- purchase sessions: {} settled ({:.1}/s, {} with an order), {} failed, {} stuck, {} openings refused",
            s.settled,
            per_sec(s.settled),
            s.with_order,
            s.failed,
            s.stuck,
            s.refused
        );
        for (stage, what) in [
            (DoorClosedStage::ReachedGateway, "reached the gateway"),
            (DoorClosedStage::TakenUp, "taken up by its worker"),
            (DoorClosedStage::Settled, "settlement committed"),
        ] {
            let (settled, latencies) = self.stats.door_closed_until(stage, &[0.5, 0.99]);
            println!(
                "- door closed (machine's `sent_at`) → {what}: p50 {} ms, p99 {} ms over {settled} sessions (1 ms buckets)",
                latencies[0].as_millis(),
                latencies[1].as_millis()
            );
        }
    }
}
