//! Several machines, many sessions, faults on: every session settles, each is
//! charged exactly what was taken, nothing twice, and the books match the
//! machines.
//!
//! Small by default; the full size runs with `bench/soak.sh`, or with
//! `AUTOMAT_SOAK_MACHINES`, `AUTOMAT_SOAK_SESSIONS` (per machine),
//! `AUTOMAT_SOAK_CHAOS` (the chance of each fault per opening) and
//! `AUTOMAT_SOAK_NOISE_G` (grams either way) set.

use std::{str::FromStr, time::Duration};

use domain::vending::state::State as SessionState;
use domain::{
    orders::order,
    vending::{device_command, device_session, session_event},
};
use sea_orm::{EntityTrait, PaginatorTrait};
use server::vending::{
    VendingSettings,
    simulator::{Faults, Take, Visit, spawn_machines},
};

use crate::{
    Options, TestApp, eventually,
    vending_fixture::{
        Fridge, STOCKED, fridge_stocked, on_every_db_and_broker_with, paid, session,
    },
};

/// The soak's size and faults.
struct Soak {
    machines: usize,
    /// Openings per machine, one after the other.
    sessions: usize,
    chaos: f64,
    noise_g: i32,
}

impl Soak {
    fn from_env() -> Self {
        fn var<T: FromStr>(name: &str, default: T) -> T {
            match std::env::var(name) {
                Ok(value) => value
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
                Err(_) => default,
            }
        }
        Self {
            machines: var("AUTOMAT_SOAK_MACHINES", 3),
            sessions: var("AUTOMAT_SOAK_SESSIONS", VISITS.len()),
            chaos: var("AUTOMAT_SOAK_CHAOS", 0.3),
            noise_g: var("AUTOMAT_SOAK_NOISE_G", 2),
        }
    }

    /// The openings of one machine: the six visits over and over.
    fn visits(&self) -> Vec<(i32, i32, i32)> {
        VISITS.iter().copied().cycle().take(self.sessions).collect()
    }

    /// Units of each product a machine starts with: enough for every visit.
    fn units(&self) -> i32 {
        STOCKED * self.sessions.div_ceil(VISITS.len()).max(1) as i32
    }

    /// How long all sessions may take: generous per session, since a
    /// command the chaos ignores waits for its resend.
    fn limit(&self) -> Duration {
        Duration::from_secs(60) + Duration::from_millis(500) * self.sessions as u32
    }
}

/// Six openings: (colas from scale 1, waters from scale 2, colas from scale 2).
const VISITS: [(i32, i32, i32); 6] = [
    (1, 0, 0),
    (0, 1, 0),
    (0, 0, 0),
    (2, 0, 1),
    (0, 1, 0),
    (1, 0, 0),
];

fn visit(fridge: &Fridge, (colas, waters, colas_on_two): (i32, i32, i32)) -> Visit {
    let take = |scale, variant_id: &str, units| Take {
        scale,
        variant_id: variant_id.to_owned(),
        units,
    };
    Visit {
        take: vec![
            take(1, &fridge.cola.variant_id, colas),
            take(2, &fridge.water.variant_id, waters),
            take(2, &fridge.cola.variant_id, colas_on_two),
        ]
        .into_iter()
        .filter(|t| t.units > 0)
        .collect(),
    }
}

/// Waits until a session settles or fails (a busy machine may take a while
/// to resend a command the chaos ignored); the session as it ended.
async fn session_over(app: &TestApp, id: &str) -> device_session::Model {
    let what = format!("session {id} settles or fails");
    eventually(Duration::from_secs(30), &what, async || {
        session(app, id).await.state.is_final()
    })
    .await;
    session(app, id).await
}

/// Opens the machine once per visit, one after the other, checking each
/// charge. How many sessions charged something.
async fn shop(app: &TestApp, fridge: &Fridge, visits: &[(i32, i32, i32)]) -> u64 {
    fridge.online(app).await;
    let mut charged = 0;
    for &(colas, waters, colas_on_two) in visits {
        let opened = app
            .vending
            .open_purchase(fridge.id.as_str(), Some("cus_soak"))
            .await
            .expect("the previous session is over");
        let settled = session_over(app, &opened.id).await;
        assert_eq!(
            (settled.state, settled.failure_reason.as_deref()),
            (SessionState::Settled, None),
            "session {} of {}",
            opened.id,
            fridge.id.as_str()
        );
        let payment = paid(app, &settled).await;
        let expected = i64::from(colas + colas_on_two) * fridge.cola.price
            + i64::from(waters) * fridge.water.price;
        assert_eq!(payment.captured_amount, expected, "session {}", opened.id);
        assert_eq!(payment.canceled_at.is_some(), expected == 0);
        charged += u64::from(expected > 0);
    }
    charged
}

#[tokio::test]
async fn machines_with_faults_charge_exactly_what_was_taken() {
    // The production acknowledgement timeout, not the tests' short one: many
    // machines at once on a busy test machine must not fail openings whose
    // acknowledgement is merely queued.
    let production_ack_timeout =
        |o: &mut Options| o.vending.ack_timeout_ms = VendingSettings::default().ack_timeout_ms;
    on_every_db_and_broker_with(production_ack_timeout, async |app| {
        let soak = Soak::from_env();
        let visits = soak.visits();
        let mut fridges = Vec::with_capacity(soak.machines);
        for _ in 0..soak.machines {
            fridges.push(fridge_stocked(&app, soak.units()).await);
        }
        let faults = Faults {
            chaos: soak.chaos,
            noise_g: soak.noise_g,
            bump: true,
            ..Faults::default()
        };
        let machines = fridges
            .iter()
            .map(|f| {
                f.simulated(
                    visits.iter().map(|v| visit(f, *v)).collect(),
                    faults.clone(),
                )
            })
            .collect();
        let _machines = spawn_machines(&app.mqtt, machines);
        let started = std::time::Instant::now();
        let charged: u64 = tokio::time::timeout(
            soak.limit(),
            futures::future::join_all(fridges.iter().map(|f| shop(&app, f, &visits))),
        )
        .await
        .expect("every session settles")
        .into_iter()
        .sum();
        eprintln!(
            "soak: {} machines x {} sessions settled in {:.1} s ({charged} charged)",
            soak.machines,
            soak.sessions,
            started.elapsed().as_secs_f64()
        );
        // Nothing charged twice: one order per charging session, no more.
        assert_eq!(order::Entity::find().count(&app.db).await.unwrap(), charged);
        let (colas, waters) = visits
            .iter()
            .fold((0, 0), |(c, w), (c1, w2, c2)| (c + c1 + c2, w + w2));
        for fridge in &fridges {
            assert_eq!(
                fridge.stocked(&app, &fridge.cola).await,
                fridge.units - colas
            );
            assert_eq!(
                fridge.stocked(&app, &fridge.water).await,
                fridge.units - waters
            );
        }
        // The faults did strike: reports arrived late or twice, commands went unanswered.
        let events = session_event::Entity::find().all(&app.db).await.unwrap();
        let struck = |prefix: &str| {
            events
                .iter()
                .filter(|e| e.outcome.as_deref().is_some_and(|o| o.starts_with(prefix)))
                .count()
        };
        assert!(
            struck("stale") + struck("ignored") > 0,
            "no report was overtaken or resent"
        );
        let resent = device_command::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .iter()
            .filter(|c| c.attempts > 1)
            .count();
        assert!(resent > 0, "no open-door command needed resending");
    })
    .await;
}
