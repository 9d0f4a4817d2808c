use std::sync::Arc;

use chrono::{Duration, Utc};
use domain::{
    DomainError, catalog, channels,
    db::DatabaseConnection,
    devices::{
        self, device,
        protocol::{
            DeviceEvent, DeviceMessage, MAX_SEQ, MAX_SEQ_JUMP, SCHEMA_VERSION, ScaleReading,
        },
    },
    inventory, orders,
    payments::{self, Providers, system::SystemProvider},
    vending::{
        device_session, scale, scale_assignment,
        scales::{self, NewAssignment},
        sessions::{self, NewSession, Received},
        state::{Mode, State},
    },
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{on_every_backend, seeded};

const MACHINE: &str = "vm-001";
const UNIT_GRAMS: i32 = 500;
const HOLD: i64 = 2000;

/// The demo machine vm-001, its demo scales replaced by one scale holding
/// the first product.
struct Machine {
    providers: Providers,
    location: String,
    variant_id: String,
    item_id: String,
    price: i64,
}

async fn machine(db: &DatabaseConnection) -> Machine {
    seeded(db).await;
    let channel = device::Entity::find_by_id(MACHINE)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .sales_channel_id
        .unwrap();
    let location = channels::stock_location_ids(db, &[channel]).await.unwrap()[0].clone();
    let variant = catalog::variant::Entity::find()
        .order_by_asc(catalog::variant::Column::Id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let (_, _, prices) = catalog::find_variant(db, &variant.id).await.unwrap();
    let item = inventory::find_item_by_variant(db, &variant.id)
        .await
        .unwrap()
        .unwrap();
    clear_scales(db).await;
    let scale = scales::add_scale(db, MACHINE, 1, 3).await.unwrap();
    scales::assign(
        db,
        &scale.id,
        NewAssignment {
            variant_id: variant.id.clone(),
            unit_weight_grams: UNIT_GRAMS,
            min_weight_grams: UNIT_GRAMS - 5,
            max_weight_grams: UNIT_GRAMS + 5,
            deposit: None,
        },
    )
    .await
    .unwrap();
    Machine {
        providers: Providers::default().with(Arc::new(SystemProvider)),
        location,
        price: prices
            .iter()
            .find(|p| p.currency_code == "eur")
            .unwrap()
            .amount,
        variant_id: variant.id,
        item_id: item.id,
    }
}

/// Takes the demo machine's scales away, with what is assigned to them.
async fn clear_scales(db: &DatabaseConnection) {
    let demo_scales: Vec<String> = scale::Entity::find()
        .filter(scale::Column::DeviceId.eq(MACHINE))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    scale_assignment::Entity::delete_many()
        .filter(scale_assignment::Column::ScaleId.is_in(demo_scales.clone()))
        .exec(db)
        .await
        .unwrap();
    scale::Entity::delete_many()
        .filter(scale::Column::Id.is_in(demo_scales))
        .exec(db)
        .await
        .unwrap();
}

impl Machine {
    async fn open(&self, db: &DatabaseConnection, mode: Mode) -> device_session::Model {
        sessions::open(
            db,
            &self.providers,
            NewSession {
                device_id: MACHINE.into(),
                mode,
                customer_id: Some("cus_1".into()),
                hold_amount: if mode == Mode::Purchase { HOLD } else { 0 },
                currency_code: "eur".into(),
                provider_id: domain::payments::system::ID.into(),
                card_id: None,
            },
        )
        .await
        .unwrap()
        .session
    }

    /// A purchase held by `provider_id` in which one unit is taken: settled.
    async fn sell_one_held_by(
        &self,
        db: &DatabaseConnection,
        providers: &Providers,
        provider_id: &str,
    ) -> device_session::Model {
        let session = sessions::open(
            db,
            providers,
            NewSession {
                device_id: MACHINE.into(),
                mode: Mode::Purchase,
                customer_id: Some("cus_1".into()),
                hold_amount: HOLD,
                currency_code: "eur".into(),
                provider_id: provider_id.into(),
                card_id: None,
            },
        )
        .await
        .unwrap()
        .session;
        self.receive(db, &message(1, "m1", opened(&session.id)))
            .await;
        let close = message(2, "m2", closed(&session.id, 5000, 5000 - UNIT_GRAMS));
        assert_eq!(self.receive(db, &close).await, Received::Applied);
        session
    }

    async fn receive(&self, db: &DatabaseConnection, message: &DeviceMessage) -> Received {
        sessions::receive(db, MACHINE, message).await.unwrap()
    }

    async fn stocked(&self, db: &DatabaseConnection) -> i32 {
        inventory::level(db, &self.item_id, &self.location)
            .await
            .unwrap()
            .stocked_quantity
    }
}

fn message(seq: u64, msg_id: &str, body: DeviceEvent) -> DeviceMessage {
    DeviceMessage {
        schema: SCHEMA_VERSION,
        seq,
        msg_id: msg_id.into(),
        sent_at: Utc::now(),
        body,
    }
}

fn weight(grams: i32) -> Vec<ScaleReading> {
    vec![ScaleReading {
        scale: 1,
        grams,
        stable: true,
        at: Utc::now(),
    }]
}

fn opened(session: &str) -> DeviceEvent {
    DeviceEvent::DoorOpened {
        session: session.into(),
        scales: weight(5000),
    }
}

fn closed(session: &str, before: i32, after: i32) -> DeviceEvent {
    DeviceEvent::DoorClosed {
        session: session.into(),
        before: weight(before),
        after: weight(after),
    }
}

/// The session's payment, once the provider has been asked for what
/// settling or failing it recorded (the server's payment worker does that).
async fn payment(
    db: &DatabaseConnection,
    session: &device_session::Model,
) -> payments::payment::Model {
    let system = Providers::default().with(Arc::new(SystemProvider));
    payments::operations::run_due(db, &system, 100)
        .await
        .unwrap();
    payments::find_payment(db, session.payment_id.as_deref().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_closed_door_settles_once_however_often_it_is_reported() {
    on_every_backend(async |db| {
        let m = machine(&db).await;
        let before = m.stocked(&db).await;
        let session = m.open(&db, Mode::Purchase).await;
        assert_eq!(
            payment(&db, &session).await.amount,
            HOLD,
            "held before opening"
        );
        assert_eq!(
            m.receive(&db, &message(1, "m1", opened(&session.id))).await,
            Received::Applied
        );
        let close = message(
            2,
            "m2",
            closed(&session.id, 5000, 5000 - 2 * UNIT_GRAMS + 2),
        );
        assert_eq!(m.receive(&db, &close).await, Received::Applied);
        assert_eq!(
            m.receive(&db, &close).await,
            Received::Duplicate,
            "redelivered"
        );
        let resent = message(3, "m3", closed(&session.id, 5000, 5000 - 2 * UNIT_GRAMS));
        assert!(
            matches!(m.receive(&db, &resent).await, Received::Ignored(_)),
            "sent again"
        );

        let settled = sessions::find(&db, &session.id).await.unwrap();
        assert_eq!(settled.state, State::Settled);
        let order = orders::find(&db, settled.order_id.as_deref().unwrap())
            .await
            .unwrap();
        assert_eq!(order.items.len(), 1);
        assert_eq!(order.items[0].variant_id, m.variant_id);
        assert_eq!(order.items[0].quantity, 2);
        assert_eq!(order.order.total, 2 * m.price);
        assert_eq!(order.order.customer_id.as_deref(), Some("cus_1"));
        assert_eq!(payment(&db, &settled).await.captured_amount, 2 * m.price);
        assert_eq!(m.stocked(&db).await, before - 2);
        assert_eq!(
            sessions::events_of(&db, &session.id).await.unwrap().len(),
            3
        );
    })
    .await;
}

#[tokio::test]
async fn a_machine_sale_is_never_fulfilled_again_from_the_admin() {
    on_every_backend(async |db| {
        let m = machine(&db).await;
        let session = m.open(&db, Mode::Purchase).await;
        m.receive(&db, &message(1, "m1", opened(&session.id))).await;
        let close = message(2, "m2", closed(&session.id, 5000, 5000 - UNIT_GRAMS));
        assert_eq!(m.receive(&db, &close).await, Received::Applied);
        let settled = sessions::find(&db, &session.id).await.unwrap();
        let order_id = settled.order_id.clone().unwrap();
        let captured = payment(&db, &settled).await.captured_amount;
        let system = Providers::default().with(Arc::new(SystemProvider));
        let refused = orders::fulfil(&db, &system, &order_id, &Default::default()).await;
        assert!(
            matches!(&refused, Err(domain::DomainError::Conflict(m)) if m.contains("sold at a machine")),
            "{refused:?}"
        );
        assert_eq!(
            payment(&db, &settled).await.captured_amount,
            captured,
            "the rest of the hold is not captured"
        );
    })
    .await;
}

#[tokio::test]
async fn an_overtaken_report_is_stale() {
    on_every_backend(async |db| {
        let m = machine(&db).await;
        let session = m.open(&db, Mode::Purchase).await;
        let close = message(11, "m11", closed(&session.id, 5000, 5000 - UNIT_GRAMS));
        assert_eq!(
            m.receive(&db, &close).await,
            Received::Applied,
            "closing proves it opened"
        );
        assert_eq!(
            m.receive(&db, &message(10, "m10", opened(&session.id)))
                .await,
            Received::Stale
        );
        let settled = sessions::find(&db, &session.id).await.unwrap();
        assert_eq!(settled.state, State::Settled);
        assert_eq!(payment(&db, &settled).await.captured_amount, m.price);
    })
    .await;
}

/// A door report whose seq jumps far past the session's last is ignored
/// (and kept in the timeline as such); the next sane one is applied.
#[tokio::test]
async fn a_seq_far_ahead_of_the_sessions_last_is_ignored_and_pins_nothing() {
    on_every_backend(async |db| {
        let m = machine(&db).await;
        let session = m.open(&db, Mode::Purchase).await;
        m.receive(&db, &message(10, "m10", opened(&session.id)))
            .await;
        let far = message(
            10 + MAX_SEQ_JUMP + 1,
            "m-far",
            closed(&session.id, 5000, 5000 - 3 * UNIT_GRAMS),
        );
        assert!(matches!(m.receive(&db, &far).await, Received::Ignored(_)));
        assert_eq!(
            sessions::find(&db, &session.id).await.unwrap().state,
            State::DoorOpen
        );
        let timeline = sessions::events_of(&db, &session.id).await.unwrap();
        assert!(
            timeline[1]
                .outcome
                .as_deref()
                .unwrap()
                .contains("past the session's last")
        );
        let sane = message(11, "m11", closed(&session.id, 5000, 5000 - UNIT_GRAMS));
        assert_eq!(m.receive(&db, &sane).await, Received::Applied);
        let settled = sessions::find(&db, &session.id).await.unwrap();
        assert_eq!(payment(&db, &settled).await.captured_amount, m.price);
    })
    .await;
}

/// A machine's telemetry with a seq far past the weights kept is refused
/// and reported; weights kept with a seq out of line (far past the next
/// report's, or kept long ago) give way to the next report.
#[tokio::test]
async fn telemetry_far_ahead_is_refused_and_no_seq_pins_a_machines_weights() {
    on_every_backend(async |db| {
        let m = machine(&db).await;
        let telemetry = |seq: i64, at, grams: i32| devices::Reports {
            device_id: MACHINE.into(),
            heartbeat: None,
            weights: Some(devices::Weights {
                seq,
                at,
                scales: weight(grams),
            }),
        };
        let grams = async || {
            let (_, scales) = sessions::last_weights(&db, MACHINE).await.unwrap().unwrap();
            scales[0].grams
        };
        let jump = MAX_SEQ_JUMP as i64;
        let hours_ago =
            |hours: i64, secs: i64| Utc::now() - Duration::hours(hours) + Duration::seconds(secs);
        devices::record_reports(&db, &[telemetry(10, hours_ago(2, 0), 4000)])
            .await
            .unwrap();
        let found = devices::record_reports(&db, &[telemetry(11 + jump, hours_ago(2, 1), 1)])
            .await
            .unwrap();
        assert_eq!(found.refused.len(), 1, "{:?}", found.refused);
        assert_eq!(found.refused[0].0, MACHINE);
        assert_eq!(grams().await, 4000, "the weights kept stay");

        // Long after the last weights kept, a report counts as later whatever its seq...
        devices::record_reports(&db, &[telemetry(i64::MAX, hours_ago(1, 0), 7)])
            .await
            .unwrap();
        assert_eq!(grams().await, 7);
        // ...and kept weights far ahead of the next report were out of line: it wins.
        devices::record_reports(&db, &[telemetry(12, hours_ago(1, 1), 4100)])
            .await
            .unwrap();
        assert_eq!(grams().await, 4100);
        // An overtaken report still leaves the later weights.
        let found = devices::record_reports(&db, &[telemetry(11, hours_ago(1, 2), 3000)])
            .await
            .unwrap();
        assert!(found.refused.is_empty());
        assert_eq!(grams().await, 4100);

        // A session's first event has no seq to be compared with: a wild one
        // does not keep the machine's live weights on it.
        let session = m.open(&db, Mode::Purchase).await;
        let wild = message(MAX_SEQ, "m-wild", opened(&session.id));
        assert_eq!(m.receive(&db, &wild).await, Received::Applied);
        assert_eq!(grams().await, 5000);
        devices::record_reports(&db, &[telemetry(13, Utc::now(), 4200)])
            .await
            .unwrap();
        assert_eq!(grams().await, 4200);
    })
    .await;
}

#[tokio::test]
async fn a_session_the_server_does_not_know_changes_nothing() {
    on_every_backend(async |db| {
        let m = machine(&db).await;
        let stocked = m.stocked(&db).await;
        let stranger = message(1, "m1", closed("vsess_unknown", 5000, 4000));
        assert!(matches!(
            m.receive(&db, &stranger).await,
            Received::Ignored(_)
        ));
        assert!(
            orders::order::Entity::find()
                .all(&db)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(m.stocked(&db).await, stocked);
        // Another machine cannot report this machine's session either.
        let session = m.open(&db, Mode::Purchase).await;
        devices::register(&db, "vm-777", "Elsewhere").await.unwrap();
        let foreign = message(2, "m2", closed(&session.id, 5000, 4000));
        let received = sessions::receive(&db, "vm-777", &foreign).await.unwrap();
        assert!(matches!(received, Received::Ignored(_)), "{received:?}");
        assert_eq!(
            sessions::find(&db, &session.id).await.unwrap().state,
            State::Requested
        );
    })
    .await;
}

#[tokio::test]
async fn a_lost_door_closed_report_expires_the_session_and_a_late_one_still_settles() {
    on_every_backend(async |db| {
        let m = machine(&db).await;
        let session = m.open(&db, Mode::Purchase).await;
        m.receive(&db, &message(1, "m1", opened(&session.id))).await;
        assert!(
            sessions::expire_overdue(&db, Utc::now() - Duration::minutes(5))
                .await
                .unwrap()
                .is_empty(),
            "not overdue yet"
        );
        let expired = sessions::expire_overdue(&db, Utc::now() + Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].state, State::Expired);
        assert!(
            payment(&db, &session).await.canceled_at.is_none(),
            "the hold is kept"
        );
        let late = message(2, "m2", closed(&session.id, 5000, 5000 - UNIT_GRAMS));
        assert_eq!(m.receive(&db, &late).await, Received::Applied);
        let settled = sessions::find(&db, &session.id).await.unwrap();
        assert_eq!(settled.state, State::Settled);
        assert_eq!(payment(&db, &settled).await.captured_amount, m.price);
    })
    .await;
}

#[tokio::test]
async fn unasked_scale_reports_keep_a_machines_latest_weights_beside_its_session_events() {
    on_every_backend(async |db| {
        let m = machine(&db).await;
        let telemetry = |seq: i64, grams: i32| devices::Reports {
            device_id: MACHINE.into(),
            heartbeat: None,
            weights: Some(devices::Weights {
                seq,
                at: Utc::now(),
                scales: weight(grams),
            }),
        };
        let beat = |device: &str| devices::Reports {
            device_id: device.into(),
            heartbeat: Some(devices::Seen {
                firmware: Some("fw-9".into()),
                at: Utc::now(),
            }),
            weights: None,
        };
        let grams = async || {
            let (_, scales) = sessions::last_weights(&db, MACHINE).await.unwrap().unwrap();
            scales[0].grams
        };
        assert_eq!(sessions::last_weights(&db, MACHINE).await.unwrap(), None);
        let mut first = telemetry(10, 4000);
        first.heartbeat = beat(MACHINE).heartbeat;
        let found = devices::record_reports(&db, &[first, beat("vm-999")])
            .await
            .unwrap();
        assert_eq!(found.unknown, vec!["vm-999".to_owned()]);
        assert_eq!(found.changes.len(), 1, "the heartbeat brought it online");
        let row = device::Entity::find_by_id(MACHINE)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert!(row.online);
        assert_eq!(row.firmware.as_deref(), Some("fw-9"));
        assert_eq!(grams().await, 4000);

        devices::record_reports(&db, &[telemetry(9, 3000)])
            .await
            .unwrap();
        assert_eq!(
            grams().await,
            4000,
            "a late report leaves the later weights"
        );
        let session = m.open(&db, Mode::Purchase).await;
        m.receive(&db, &message(11, "m11", opened(&session.id)))
            .await;
        assert_eq!(
            grams().await,
            5000,
            "the door report came after the telemetry"
        );
        devices::record_reports(&db, &[telemetry(12, 4500)])
            .await
            .unwrap();
        assert_eq!(
            grams().await,
            4500,
            "and this telemetry after the door report"
        );
        let logged = domain::vending::session_event::Entity::find()
            .filter(domain::vending::session_event::Column::DeviceId.eq(MACHINE))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(
            logged.len(),
            1,
            "telemetry stays out of the session event log"
        );

        assert!(
            sessions::reconciling(&db, &[MACHINE])
                .await
                .unwrap()
                .is_empty()
        );
        sessions::expire_overdue(&db, Utc::now() + Duration::seconds(1))
            .await
            .unwrap();
        assert!(
            sessions::reconciling(&db, &[MACHINE, "vm-002"])
                .await
                .unwrap()
                .into_iter()
                .eq([MACHINE.to_owned()]),
            "an expired session waits for the machine's next report"
        );
    })
    .await;
}

#[tokio::test]
async fn service_mode_restocks_from_the_weight_increase_without_charging() {
    on_every_backend(async |db| {
        let m = machine(&db).await;
        let before = m.stocked(&db).await;
        let session = m.open(&db, Mode::Service).await;
        assert_eq!(session.payment_id, None, "nothing is held");
        m.receive(&db, &message(1, "m1", opened(&session.id))).await;
        assert!(
            sessions::expire_overdue(&db, Utc::now() + Duration::seconds(1))
                .await
                .unwrap()
                .is_empty(),
            "service sessions do not expire"
        );
        let restocked = message(2, "m2", closed(&session.id, 1000, 1000 + 3 * UNIT_GRAMS));
        assert_eq!(m.receive(&db, &restocked).await, Received::Applied);
        let settled = sessions::find(&db, &session.id).await.unwrap();
        assert_eq!(settled.state, State::Settled);
        assert_eq!(settled.order_id, None);
        assert_eq!(m.stocked(&db).await, before + 3);
    })
    .await;
}

#[tokio::test]
async fn an_unexplained_weight_change_fails_the_session_and_releases_the_hold() {
    on_every_backend(async |db| {
        let m = machine(&db).await;
        let stocked = m.stocked(&db).await;
        let session = m.open(&db, Mode::Purchase).await;
        let odd = message(1, "m1", closed(&session.id, 5000, 4880));
        assert_eq!(m.receive(&db, &odd).await, Received::Applied);
        let failed = sessions::find(&db, &session.id).await.unwrap();
        assert_eq!(failed.state, State::Failed);
        assert!(
            failed
                .failure_reason
                .unwrap()
                .contains("no assigned product explains")
        );
        let held = payment(&db, &session).await;
        assert!(held.canceled_at.is_some());
        assert_eq!(held.captured_amount, 0);
        assert_eq!(m.stocked(&db).await, stocked);
    })
    .await;
}

#[tokio::test]
async fn acknowledgements_are_recorded_once_and_only_from_the_addressee() {
    on_every_backend(async |db| {
        let m = machine(&db).await;
        let session = m.open(&db, Mode::Purchase).await;
        // The opening wrote its open-door command with the session.
        let commands = sessions::commands_of(&db, &session.id).await.unwrap();
        let [command] = &commands[..] else {
            panic!("one open-door command, not {commands:?}")
        };
        assert_eq!(command.kind.to_string(), "open_door");
        assert_eq!(command.attempts, 0);
        let command = command.clone();
        let command = sessions::count_attempt(&db, &command).await.unwrap();
        assert_eq!(command.attempts, 1);
        let ack = |msg_id: &str| {
            message(
                1,
                msg_id,
                DeviceEvent::Ack {
                    command_id: command.id.clone(),
                    ok: true,
                    error: None,
                },
            )
        };
        devices::register(&db, "vm-777", "Elsewhere").await.unwrap();
        let foreign = sessions::receive(&db, "vm-777", &ack("x1")).await.unwrap();
        assert!(matches!(foreign, Received::Ignored(_)));
        assert_eq!(
            sessions::find_command(&db, &command.id)
                .await
                .unwrap()
                .acked_at,
            None
        );
        assert_eq!(m.receive(&db, &ack("a1")).await, Received::Applied);
        assert!(matches!(
            m.receive(&db, &ack("a2")).await,
            Received::Ignored(_)
        ));
        let acked = sessions::find_command(&db, &command.id).await.unwrap();
        assert_eq!(acked.ack_ok, Some(true));
    })
    .await;
}

#[tokio::test]
async fn bad_setups_and_busy_machines_are_refused() {
    on_every_backend(async |db| {
        let m = machine(&db).await;
        let scale = scales::add_scale(&db, MACHINE, 2, 3).await.unwrap();
        let lopsided = NewAssignment {
            variant_id: m.variant_id.clone(),
            unit_weight_grams: 500,
            min_weight_grams: 510,
            max_weight_grams: 520,
            deposit: None,
        };
        assert!(matches!(
            scales::assign(&db, &scale.id, lopsided).await,
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            scales::add_scale(&db, MACHINE, 2, 3).await,
            Err(DomainError::Conflict(_))
        ));
        devices::register(&db, "vm-888", "Unassigned")
            .await
            .unwrap();
        let unassigned = sessions::open(
            &db,
            &m.providers,
            NewSession {
                device_id: "vm-888".into(),
                mode: Mode::Purchase,
                customer_id: None,
                hold_amount: HOLD,
                currency_code: "eur".into(),
                provider_id: domain::payments::system::ID.into(),
                card_id: None,
            },
        )
        .await;
        assert!(
            matches!(unassigned, Err(DomainError::Invalid(_))),
            "no sales channel"
        );
        m.open(&db, Mode::Purchase).await;
        let busy = sessions::open(
            &db,
            &m.providers,
            NewSession {
                device_id: MACHINE.into(),
                mode: Mode::Service,
                customer_id: None,
                hold_amount: 0,
                currency_code: "eur".into(),
                provider_id: domain::payments::system::ID.into(),
                card_id: None,
            },
        )
        .await;
        assert!(matches!(busy, Err(DomainError::Conflict(_))));
    })
    .await;
}

#[tokio::test]
async fn a_return_credits_a_shopper_so_it_needs_one() {
    on_every_backend(async |db| {
        let m = machine(&db).await;
        let anonymous = sessions::open(
            &db,
            &m.providers,
            NewSession {
                device_id: MACHINE.into(),
                mode: Mode::Return,
                customer_id: None,
                hold_amount: 0,
                currency_code: "eur".into(),
                provider_id: domain::payments::system::ID.into(),
                card_id: None,
            },
        )
        .await;
        assert!(matches!(anonymous, Err(DomainError::Invalid(_))));
        let opened = m.open(&db, Mode::Return).await;
        assert_eq!(opened.payment_id, None, "a return holds nothing");
    })
    .await;
}

#[tokio::test]
async fn a_door_that_never_reports_opening_fails_its_session_and_releases_the_hold() {
    on_every_backend(async |db| {
        let m = machine(&db).await;
        let session = m.open(&db, Mode::Purchase).await;
        let not_yet = sessions::fail_unopened(&db, Utc::now() - Duration::minutes(5))
            .await
            .unwrap();
        assert!(not_yet.is_empty());
        let failed = sessions::fail_unopened(&db, Utc::now() + Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].state, State::Failed);
        assert!(payment(&db, &session).await.canceled_at.is_some());
        // A door report after giving up changes nothing and charges nothing.
        let late = message(1, "m1", closed(&session.id, 5000, 5000 - UNIT_GRAMS));
        assert!(matches!(m.receive(&db, &late).await, Received::Ignored(_)));
        assert_eq!(payment(&db, &session).await.captured_amount, 0);
    })
    .await;
}

#[tokio::test]
async fn a_lost_door_closed_report_is_reconciled_from_the_next_opening() {
    on_every_backend(async |db| {
        let m = machine(&db).await;
        let stocked = m.stocked(&db).await;
        let lost = m.open(&db, Mode::Purchase).await;
        m.receive(&db, &message(1, "m1", opened(&lost.id))).await;
        sessions::expire_overdue(&db, Utc::now() + Duration::seconds(1))
            .await
            .unwrap();
        // Its own door report again (a resend) is no later state of the scales.
        let resent = message(2, "m2", opened(&lost.id));
        m.receive(&db, &resent).await;
        assert_eq!(
            sessions::find(&db, &lost.id).await.unwrap().state,
            State::Expired
        );

        let next = m.open(&db, Mode::Purchase).await;
        let one_gone = DeviceEvent::DoorOpened {
            session: next.id.clone(),
            scales: weight(5000 - UNIT_GRAMS),
        };
        assert_eq!(
            m.receive(&db, &message(5, "m5", one_gone)).await,
            Received::Applied
        );
        let reconciled = sessions::find(&db, &lost.id).await.unwrap();
        assert_eq!(reconciled.state, State::Settled);
        assert_eq!(payment(&db, &reconciled).await.captured_amount, m.price);
        assert_eq!(m.stocked(&db).await, stocked - 1);
        assert_eq!(
            sessions::find(&db, &next.id).await.unwrap().state,
            State::DoorOpen
        );
    })
    .await;
}

#[tokio::test]
async fn a_settlement_that_failed_is_retried_from_the_timeline() {
    on_every_backend(async |db| {
        use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
        let m = machine(&db).await;
        let stocked = m.stocked(&db).await;
        let session = m.open(&db, Mode::Purchase).await;
        // Without a price the sale cannot be booked yet.
        let price = catalog::price::Entity::find()
            .filter(catalog::price::Column::VariantId.eq(&m.variant_id))
            .filter(catalog::price::Column::CurrencyCode.eq("eur"))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        catalog::price::Entity::delete_by_id(price.id.clone())
            .exec(&db)
            .await
            .unwrap();
        let close = message(1, "m1", closed(&session.id, 5000, 5000 - UNIT_GRAMS));
        assert!(sessions::receive(&db, MACHINE, &close).await.is_err());
        assert_eq!(
            sessions::find(&db, &session.id).await.unwrap().state,
            State::DoorClosed
        );
        assert!(
            sessions::settle_stranded(&db, Utc::now() - Duration::minutes(1))
                .await
                .unwrap()
                .is_empty(),
            "not stranded yet"
        );

        catalog::price::ActiveModel {
            id: Set(price.id),
            variant_id: Set(price.variant_id),
            currency_code: Set(price.currency_code),
            amount: Set(price.amount),
        }
        .insert(&db)
        .await
        .unwrap();
        let cutoff = Utc::now() + Duration::seconds(1);
        let settled = sessions::settle_stranded(&db, cutoff).await.unwrap();
        assert_eq!(settled.len(), 1);
        assert_eq!(settled[0].state, State::Settled);
        assert_eq!(payment(&db, &session).await.captured_amount, m.price);
        assert_eq!(m.stocked(&db).await, stocked - 1);
        assert!(
            sessions::settle_stranded(&db, cutoff)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

/// The built-in provider, slowed down as one over the internet is, and
/// counting the holds it granted and gave back.
#[derive(Default)]
struct FarAway {
    authorized: std::sync::atomic::AtomicUsize,
    captured: std::sync::atomic::AtomicUsize,
    canceled: std::sync::atomic::AtomicUsize,
}

const FAR_AWAY_MS: u64 = 300;

#[async_trait::async_trait]
impl payments::PaymentProvider for FarAway {
    fn id(&self) -> &'static str {
        "pp_far_away"
    }
    async fn initiate(
        &self,
        payment: &payments::Initiation,
    ) -> Result<serde_json::Value, payments::ProviderError> {
        SystemProvider.initiate(payment).await
    }
    async fn authorize(
        &self,
        data: &serde_json::Value,
    ) -> Result<payments::ProviderOutcome, payments::ProviderError> {
        tokio::time::sleep(std::time::Duration::from_millis(FAR_AWAY_MS)).await;
        self.authorized
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        SystemProvider.authorize(data).await
    }
    async fn capture(
        &self,
        data: &serde_json::Value,
        amount: i64,
        key: &str,
    ) -> Result<serde_json::Value, payments::ProviderError> {
        tokio::time::sleep(std::time::Duration::from_millis(FAR_AWAY_MS)).await;
        self.captured
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        SystemProvider.capture(data, amount, key).await
    }
    async fn refund(
        &self,
        data: &serde_json::Value,
        amount: i64,
        key: &str,
    ) -> Result<serde_json::Value, payments::ProviderError> {
        SystemProvider.refund(data, amount, key).await
    }
    async fn cancel(
        &self,
        data: &serde_json::Value,
        key: &str,
    ) -> Result<serde_json::Value, payments::ProviderError> {
        self.canceled
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        SystemProvider.cancel(data, key).await
    }
}

#[tokio::test]
async fn no_writer_waits_on_the_payment_provider_and_a_hold_never_used_is_given_back() {
    on_every_backend(async |db| {
        machine(&db).await;
        let far_away = Arc::new(FarAway::default());
        let providers = Providers::default().with(far_away.clone());
        let purchase = || NewSession {
            device_id: MACHINE.into(),
            mode: Mode::Purchase,
            customer_id: Some("cus_1".into()),
            hold_amount: HOLD,
            currency_code: "eur".into(),
            provider_id: "pp_far_away".into(),
            card_id: None,
        };
        let turns_before = domain::db::write_turns(&db);
        // Two shoppers at one machine at once: both are let through to the
        // provider, and only one session can be written.
        let (first, second) = tokio::join!(
            sessions::open(&db, &providers, purchase()),
            sessions::open(&db, &providers, purchase()),
        );
        let (opened, refused) = match (first, second) {
            (Ok(opened), Err(refused)) | (Err(refused), Ok(opened)) => (opened, refused),
            other => panic!("one opening, one refusal, not {other:?}"),
        };
        assert!(matches!(refused, DomainError::Conflict(_)), "{refused:?}");
        assert_eq!(
            far_away
                .authorized
                .load(std::sync::atomic::Ordering::SeqCst),
            2
        );
        assert_eq!(
            far_away.canceled.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "the hold of the refused opening is given back"
        );
        // Only the opened session's hold is on the books, authorized.
        let payments = payments::payment::Entity::find().all(&db).await.unwrap();
        assert_eq!(payments.len(), 1);
        assert_eq!(Some(&payments[0].id), opened.session.payment_id.as_ref());
        assert_eq!(payments[0].amount, HOLD);
        let collection = payments::find_collection(&db, &payments[0].payment_collection_id)
            .await
            .unwrap();
        assert_eq!(collection.status, payments::collection::Status::Authorized);
        // SQLite's one writer was held for the writes, never for the provider.
        if let (Some(before), Some(after)) = (turns_before, domain::db::write_turns(&db)) {
            let held = after.since(&before).held;
            assert!(
                held < std::time::Duration::from_millis(FAR_AWAY_MS),
                "the writer was held {held:?} across a {FAR_AWAY_MS} ms provider"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_sale_settles_without_asking_the_provider_and_is_captured_once_afterwards() {
    on_every_backend(async |db| {
        use payments::operations::{self, Kind, Status};
        let m = machine(&db).await;
        let far_away = Arc::new(FarAway::default());
        let providers = Providers::default().with(far_away.clone());
        let session = m.sell_one_held_by(&db, &providers, "pp_far_away").await;
        let settled = sessions::find(&db, &session.id).await.unwrap();
        assert_eq!(settled.state, State::Settled);
        let captures = || far_away.captured.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(captures(), 0, "the provider is asked after the commit");
        let payment_id = settled.payment_id.clone().unwrap();
        let recorded = operations::of_payment(&db, &payment_id).await.unwrap();
        assert_eq!(recorded.len(), 1);
        assert_eq!(
            (recorded[0].kind, recorded[0].amount, recorded[0].status),
            (Kind::Capture, m.price, Status::Pending)
        );
        assert_eq!(
            payments::find_payment(&db, &payment_id)
                .await
                .unwrap()
                .captured_amount,
            0
        );

        assert_eq!(operations::run_due(&db, &providers, 10).await.unwrap(), 1);
        assert_eq!(operations::run_due(&db, &providers, 10).await.unwrap(), 0);
        assert_eq!(captures(), 1, "captured once");
        let paid = payments::find_payment(&db, &payment_id).await.unwrap();
        assert_eq!(paid.captured_amount, m.price);
        assert_eq!(
            operations::of_payment(&db, &payment_id).await.unwrap()[0].status,
            Status::Done
        );
    })
    .await;
}

#[tokio::test]
async fn a_capture_the_provider_cannot_be_reached_for_raises_one_alert_and_is_still_retried() {
    on_every_backend(async |db| {
        use domain::alerts;
        use payments::operations::{self, STUCK_AFTER_ATTEMPTS, Status, entity};
        use sea_orm::sea_query::Expr;
        let m = machine(&db).await;
        let far_away = Arc::new(FarAway::default());
        let providers = Providers::default().with(far_away.clone());
        let session = m.sell_one_held_by(&db, &providers, "pp_far_away").await;
        let payment_id = sessions::find(&db, &session.id)
            .await
            .unwrap()
            .payment_id
            .unwrap();
        let operation = operations::of_payment(&db, &payment_id).await.unwrap()[0].clone();
        let stuck_alerts = async || {
            alerts::alert::Entity::find()
                .filter(alerts::alert::Column::Kind.eq(alerts::Kind::PaymentOperationStuck))
                .all(&db)
                .await
                .unwrap()
        };
        // The provider is out of reach (here: no longer configured); the
        // back-off is skipped by making each attempt due at once.
        let unreachable = Providers::default();
        let attempt = async || {
            entity::Entity::update_many()
                .col_expr(entity::Column::NextAttemptAt, Expr::value(Utc::now()))
                .filter(entity::Column::Id.eq(&operation.id))
                .exec(&db)
                .await
                .unwrap();
            assert_eq!(operations::run_due(&db, &unreachable, 10).await.unwrap(), 0);
        };
        entity::Entity::update_many()
            .col_expr(
                entity::Column::Attempts,
                Expr::value(STUCK_AFTER_ATTEMPTS - 2),
            )
            .filter(entity::Column::Id.eq(&operation.id))
            .exec(&db)
            .await
            .unwrap();
        attempt().await;
        assert!(stuck_alerts().await.is_empty(), "not yet");
        attempt().await;
        let raised = stuck_alerts().await;
        assert_eq!(raised.len(), 1, "{raised:?}");
        assert_eq!(raised[0].device_id.as_deref(), Some(MACHINE));
        assert!(
            raised[0].message.contains(&operation.id) && raised[0].message.contains("capture"),
            "{}",
            raised[0].message
        );
        attempt().await;
        assert_eq!(stuck_alerts().await.len(), 1, "raised once");

        // Still retried: once the provider answers, the sale is captured.
        entity::Entity::update_many()
            .col_expr(entity::Column::NextAttemptAt, Expr::value(Utc::now()))
            .filter(entity::Column::Id.eq(&operation.id))
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(operations::run_due(&db, &providers, 10).await.unwrap(), 1);
        assert_eq!(
            operations::of_payment(&db, &payment_id).await.unwrap()[0].status,
            Status::Done
        );
    })
    .await;
}

/// Credits a deposit to cus_1 as a return's settlement does.
async fn credit(db: &DatabaseConnection, m: &Machine, session_id: &str, amount: i64) {
    use domain::vending::deposit_credit;
    use sea_orm::{ActiveModelTrait, Set};
    deposit_credit::ActiveModel {
        id: Set(domain::ids::new_id("depcr")),
        session_id: Set(session_id.to_owned()),
        customer_id: Set(Some("cus_1".into())),
        variant_id: Set(m.variant_id.clone()),
        quantity: Set(1),
        unit_deposit: Set(amount),
        amount: Set(amount),
        currency_code: Set("eur".into()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .unwrap();
}

#[tokio::test]
async fn deposit_credit_is_paid_back_to_the_shoppers_card_once_and_what_it_cannot_take_stays() {
    on_every_backend(async |db| {
        use domain::vending::payouts;
        let m = machine(&db).await;
        let purchase = m.open(&db, Mode::Purchase).await;
        m.receive(&db, &message(1, "m1", opened(&purchase.id)))
            .await;
        let close = message(2, "m2", closed(&purchase.id, 5000, 5000 - 2 * UNIT_GRAMS));
        assert_eq!(m.receive(&db, &close).await, Received::Applied);
        let paid = payment(&db, &purchase).await;
        assert_eq!(paid.captured_amount, 2 * m.price);
        let refused = payouts::pay_out(&db, &m.providers, "cus_1", "eur").await;
        assert!(
            matches!(&refused, Err(DomainError::Invalid(m)) if m.contains("no deposit credit")),
            "{refused:?}"
        );

        credit(&db, &m, &purchase.id, 50).await;
        let payout = payouts::pay_out(&db, &m.providers, "cus_1", "EUR")
            .await
            .unwrap();
        assert_eq!((payout.amount, payout.left), (50, 0));
        assert_eq!(payout.refunds.len(), 1);
        assert_eq!(payout.refunds[0].payment_id, paid.id);
        let refunded = payments::find_payment(&db, &paid.id).await.unwrap();
        assert_eq!(refunded.refunded_amount, 50, "refunded to the card at once");
        let balance = payouts::balance(&db, "cus_1", "eur").await.unwrap();
        assert_eq!(
            (balance.credited, balance.paid_out, balance.available()),
            (50, 50, 0)
        );
        assert!(
            matches!(
                payouts::pay_out(&db, &m.providers, "cus_1", "eur").await,
                Err(DomainError::Invalid(_))
            ),
            "paid out once"
        );

        // More credit than the card payment has left: the rest stays credit.
        let returned = m.open(&db, Mode::Return).await;
        credit(&db, &m, &returned.id, 2 * m.price).await;
        let payout = payouts::pay_out(&db, &m.providers, "cus_1", "eur")
            .await
            .unwrap();
        assert_eq!((payout.amount, payout.left), (2 * m.price - 50, 50));
        let balance = payouts::balance(&db, "cus_1", "eur").await.unwrap();
        assert_eq!(balance.available(), 50);
        assert_eq!(
            payments::find_payment(&db, &paid.id)
                .await
                .unwrap()
                .refunded_amount,
            2 * m.price
        );
        let nothing_left = payouts::pay_out(&db, &m.providers, "cus_1", "eur").await;
        assert!(
            matches!(&nothing_left, Err(DomainError::Conflict(m)) if m.contains("stays as credit")),
            "{nothing_left:?}"
        );
        assert_eq!(
            payouts::payouts_of(&db, "cus_1", 0, 10)
                .await
                .unwrap()
                .count,
            2
        );
    })
    .await;
}

#[tokio::test]
async fn par_levels_raise_a_low_stock_alert_and_make_the_pick_list() {
    on_every_backend(async |db| {
        use domain::{alerts, vending::restock};
        let m = machine(&db).await;
        let before = m.stocked(&db).await;
        assert!(before >= 2, "the fixture stocks the machine: {before}");
        for (par, low_at) in [(-1, 0), (10_001, 0), (5, 5), (5, -1)] {
            let refused = restock::set_par_level(&db, MACHINE, &m.variant_id, par, low_at).await;
            assert!(
                matches!(refused, Err(DomainError::Invalid(_))),
                "{par}/{low_at}: {refused:?}"
            );
        }
        let elsewhere = restock::set_par_level(&db, MACHINE, "variant_not_here", 5, 1).await;
        assert!(
            matches!(elsewhere, Err(DomainError::Invalid(_))),
            "{elsewhere:?}"
        );

        // Low once one more unit is sold.
        restock::set_par_level(&db, MACHINE, &m.variant_id, before + 5, before - 1)
            .await
            .unwrap();
        let stock = restock::stock_of(&db, MACHINE).await.unwrap();
        assert_eq!(stock.len(), 1);
        assert_eq!(
            (stock[0].in_stock, stock[0].to_bring(), stock[0].is_low()),
            (before, 5, false)
        );
        let low_alerts = async || {
            alerts::alert::Entity::find()
                .filter(alerts::alert::Column::DeviceId.eq(MACHINE))
                .filter(alerts::alert::Column::Kind.eq(alerts::Kind::LowStock))
                .filter(alerts::alert::Column::ResolvedAt.is_null())
                .all(&db)
                .await
                .unwrap()
        };
        m.sell_one_held_by(&db, &m.providers, domain::payments::system::ID)
            .await;
        let raised = low_alerts().await;
        assert_eq!(raised.len(), 1, "the sale took it to its threshold");
        assert!(
            raised[0].message.contains(&format!("{} left", before - 1)),
            "{}",
            raised[0].message
        );

        let (picks, totals) = restock::pick_list(&db, &[MACHINE.to_owned(), MACHINE.to_owned()])
            .await
            .unwrap();
        assert_eq!(picks.len(), 1, "each machine once");
        assert_eq!(picks[0].lines[0].to_bring(), 6);
        assert_eq!(totals.len(), 1);
        assert_eq!(totals[0].1, 6);
        let too_many = restock::pick_list_of_route(&db, vec!["a".into(), "b".into()], 1).await;
        assert!(
            matches!(too_many, Err(DomainError::Invalid(_))),
            "{too_many:?}"
        );

        // A lower threshold (as after a restock) ends the alert.
        restock::set_par_level(&db, MACHINE, &m.variant_id, before + 5, 0)
            .await
            .unwrap();
        restock::check_low_stock(&db, MACHINE).await.unwrap();
        assert!(low_alerts().await.is_empty(), "resolved");
    })
    .await;
}

/// Several server instances run the same sweeps: each condition is acted on
/// once however many run it at the same moment (compare-and-set on the
/// session's state, one open alert a machine and kind, the device's status).
#[tokio::test]
async fn every_sweep_acts_once_when_two_instances_run_it_at_once() {
    on_every_backend(async |db| {
        use domain::alerts;
        const OTHER: &str = "vm-002";
        let m = machine(&db).await;
        let soon = Utc::now() + Duration::minutes(1);
        let open_alerts = async |kind: alerts::Kind| {
            alerts::alert::Entity::find()
                .filter(alerts::alert::Column::Kind.eq(kind))
                .filter(alerts::alert::Column::ResolvedAt.is_null())
                .all(&db)
                .await
                .unwrap()
                .len()
        };

        // A door left open: one alert, then expired once.
        let open = m.open(&db, Mode::Purchase).await;
        m.receive(&db, &message(1, "m1", opened(&open.id))).await;
        let (a, b) = tokio::join!(
            sessions::alert_doors_open_since(&db, soon),
            sessions::alert_doors_open_since(&db, soon),
        );
        assert_eq!(a.unwrap().len() + b.unwrap().len(), 1, "alerted once");
        let (a, b) = tokio::join!(
            sessions::expire_overdue(&db, soon),
            sessions::expire_overdue(&db, soon),
        );
        assert_eq!(a.unwrap().len() + b.unwrap().len(), 1, "expired once");
        assert_eq!(open_alerts(alerts::Kind::DoorOpenTooLong).await, 1);

        // A door that never reported opening: failed once, its hold released once.
        let far_away = Arc::new(FarAway::default());
        let providers = Providers::default().with(far_away.clone());
        let unopened = sessions::open(
            &db,
            &providers,
            NewSession {
                device_id: OTHER.into(),
                mode: Mode::Purchase,
                customer_id: Some("cus_2".into()),
                hold_amount: HOLD,
                currency_code: "eur".into(),
                provider_id: "pp_far_away".into(),
                card_id: None,
            },
        )
        .await
        .unwrap()
        .session;
        let (a, b) = tokio::join!(
            sessions::fail_unopened(&db, soon),
            sessions::fail_unopened(&db, soon),
        );
        assert_eq!(a.unwrap().len() + b.unwrap().len(), 1, "failed once");
        assert_eq!(
            sessions::find(&db, &unopened.id).await.unwrap().state,
            State::Failed
        );
        let releases =
            payments::operations::of_payment(&db, unopened.payment_id.as_deref().unwrap())
                .await
                .unwrap();
        assert_eq!(releases.len(), 1, "one release asked: {releases:?}");
        payments::operations::run_due(&db, &providers, 10)
            .await
            .unwrap();
        payments::operations::run_due(&db, &providers, 10)
            .await
            .unwrap();
        assert_eq!(
            far_away.canceled.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "the hold given back once"
        );

        // A machine gone silent: marked offline once.
        devices::record_seen(&db, OTHER, None, Utc::now() - Duration::hours(1))
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            devices::expire_silent(&db, soon),
            devices::expire_silent(&db, soon),
        );
        let changes: Vec<_> = a.unwrap().into_iter().chain(b.unwrap()).collect();
        assert_eq!(
            changes.iter().filter(|c| c.device_id == OTHER).count(),
            1,
            "{changes:?}"
        );
    })
    .await;
}
