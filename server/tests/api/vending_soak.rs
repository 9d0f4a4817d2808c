//! Several machines, many sessions, faults on: every session settles, each is
//! charged exactly what was taken, and the books match the machines.

use std::time::Duration;

use domain::{
    payments,
    vending::{device_command, session_event},
};
use sea_orm::EntityTrait;
use server::vending::simulator::{Faults, Take, Visit, spawn_machines};

use crate::{
    TestApp,
    vending_fixture::{Fridge, STOCKED, fridge, on_every_db_and_broker, wait_for_state},
};

const MACHINES: usize = 3;

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

/// Opens the machine once per visit, one after the other, checking each charge.
async fn shop(app: &TestApp, fridge: &Fridge) {
    fridge.online(app).await;
    for (colas, waters, colas_on_two) in VISITS {
        let opened = app
            .vending
            .open_purchase(fridge.id.as_str(), Some("cus_soak"))
            .await
            .expect("the previous session is over");
        let settled = wait_for_state(app, &opened.id, "settled").await;
        let payment = payments::find_payment(&app.db, settled.payment_id.as_deref().unwrap())
            .await
            .unwrap();
        let expected = i64::from(colas + colas_on_two) * fridge.cola.price
            + i64::from(waters) * fridge.water.price;
        assert_eq!(payment.captured_amount, expected, "session {}", opened.id);
        assert_eq!(payment.canceled_at.is_some(), expected == 0);
    }
}

#[tokio::test]
async fn machines_with_faults_charge_exactly_what_was_taken() {
    on_every_db_and_broker(async |app| {
        let mut fridges = Vec::with_capacity(MACHINES);
        for _ in 0..MACHINES {
            fridges.push(fridge(&app).await);
        }
        let faults = Faults {
            chaos: 0.3,
            noise_g: 2,
            bump: true,
            ..Faults::default()
        };
        let machines = fridges
            .iter()
            .map(|f| f.simulated(VISITS.map(|v| visit(f, v)).to_vec(), faults.clone()))
            .collect();
        let _machines = spawn_machines(&app.mqtt, machines);
        tokio::time::timeout(
            Duration::from_secs(120),
            futures::future::join_all(fridges.iter().map(|f| shop(&app, f))),
        )
        .await
        .expect("every session settles");
        let (colas, waters) = VISITS
            .iter()
            .fold((0, 0), |(c, w), (c1, w2, c2)| (c + c1 + c2, w + w2));
        for fridge in &fridges {
            assert_eq!(fridge.stocked(&app, &fridge.cola).await, STOCKED - colas);
            assert_eq!(fridge.stocked(&app, &fridge.water).await, STOCKED - waters);
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
