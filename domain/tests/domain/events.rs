use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use domain::events::{self, Dispatcher, Event, Subscriber};
use sea_orm::{EntityTrait, TransactionTrait};
use serde_json::json;

use testkit::eventually;

use crate::on_every_backend;

/// Records what it handled; fails the first `failures` calls.
struct Recorder {
    name: &'static str,
    prefix: &'static str,
    handled: Mutex<Vec<String>>,
    failures: AtomicUsize,
}

impl Recorder {
    fn new(name: &'static str, prefix: &'static str, failures: usize) -> Arc<Self> {
        Arc::new(Self {
            name,
            prefix,
            handled: Mutex::new(Vec::new()),
            failures: AtomicUsize::new(failures),
        })
    }

    fn handled(&self) -> Vec<String> {
        self.handled.lock().unwrap().clone()
    }
}

#[async_trait]
impl Subscriber for Recorder {
    fn name(&self) -> &'static str {
        self.name
    }

    fn wants(&self, event_name: &str) -> bool {
        event_name.starts_with(self.prefix)
    }

    async fn handle(&self, event: &Event) -> Result<(), String> {
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err("downstream unavailable".into());
        }
        self.handled.lock().unwrap().push(event.id.clone());
        Ok(())
    }
}

#[tokio::test]
async fn events_exist_only_when_their_transaction_commits() {
    on_every_backend(async |db| {
        let txn = db.begin().await.unwrap();
        events::emit(&txn, "order.placed", &json!({"order_id": "order_1"}))
            .await
            .unwrap();
        txn.rollback().await.unwrap();
        assert!(events::pending(&db).await.unwrap().is_empty());

        let txn = db.begin().await.unwrap();
        let id = events::emit(&txn, "order.placed", &json!({"order_id": "order_2"}))
            .await
            .unwrap();
        txn.commit().await.unwrap();
        let pending = events::pending(&db).await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].id, id);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&pending[0].payload).unwrap()["order_id"],
            "order_2"
        );
    })
    .await;
}

#[tokio::test]
async fn each_interested_subscriber_gets_each_event_once() {
    on_every_backend(async |db| {
        let orders = Recorder::new("orders", "order.", 0);
        let carts = Recorder::new("carts", "cart.", 0);
        let placed = events::emit(&db, "order.placed", &json!({})).await.unwrap();
        let updated = events::emit(&db, "cart.updated", &json!({})).await.unwrap();
        let dispatcher = Dispatcher::new(db.clone(), vec![orders.clone(), carts.clone()]);
        assert_eq!(dispatcher.run_once(10).await.unwrap(), 2);
        assert_eq!(
            dispatcher.run_once(10).await.unwrap(),
            0,
            "nothing is delivered twice"
        );
        assert_eq!(orders.handled(), [placed]);
        assert_eq!(carts.handled(), [updated]);
        assert!(events::pending(&db).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_failing_subscriber_is_retried_without_repeating_the_others() {
    on_every_backend(async |db| {
        let flaky = Recorder::new("flaky", "order.", 1);
        let steady = Recorder::new("steady", "order.", 0);
        let id = events::emit(&db, "order.placed", &json!({})).await.unwrap();
        let dispatcher = Dispatcher::new(db.clone(), vec![flaky.clone(), steady.clone()]);
        assert_eq!(
            dispatcher.run_once(10).await.unwrap(),
            0,
            "not complete while one subscriber failed"
        );
        let pending = events::pending(&db).await.unwrap();
        assert_eq!(pending[0].attempts, 1);
        assert!(
            pending[0]
                .last_error
                .as_deref()
                .unwrap()
                .contains("downstream unavailable")
        );
        assert_eq!(dispatcher.run_once(10).await.unwrap(), 0, "backing off");

        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(dispatcher.run_once(10).await.unwrap(), 1);
        assert_eq!(flaky.handled(), std::slice::from_ref(&id));
        assert_eq!(
            steady.handled(),
            [id],
            "the steady subscriber was not called again"
        );
    })
    .await;
}

/// Marks the event as claimed by a dispatcher that died, its claim ending `from_now`.
async fn set_claim(db: &domain::db::DatabaseConnection, id: &str, from_now: chrono::Duration) {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let event = events::outbox_event::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let mut event = event.into_active_model();
    event.claimed_by = Set(Some("worker_dead".into()));
    event.claimed_until = Set(Some(chrono::Utc::now() + from_now));
    event.update(db).await.unwrap();
}

#[tokio::test]
async fn a_crashed_dispatchers_claim_expires_and_the_event_is_delivered() {
    on_every_backend(async |db| {
        let id = events::emit(&db, "order.placed", &json!({})).await.unwrap();
        // A dispatcher claimed it and died before finishing.
        set_claim(&db, &id, chrono::Duration::seconds(30)).await;
        let recorder = Recorder::new("orders", "order.", 0);
        let dispatcher = Dispatcher::new(db.clone(), vec![recorder.clone()]);
        assert_eq!(
            dispatcher.run_once(10).await.unwrap(),
            0,
            "a live claim is respected"
        );
        set_claim(&db, &id, chrono::Duration::seconds(-1)).await;
        assert_eq!(dispatcher.run_once(10).await.unwrap(), 1);
        assert_eq!(recorder.handled(), [id]);
    })
    .await;
}

#[tokio::test]
async fn competing_dispatchers_never_handle_an_event_twice() {
    on_every_backend(async |db| {
        let mut ids = Vec::new();
        for n in 0..40 {
            ids.push(
                events::emit(&db, "order.placed", &json!({ "n": n }))
                    .await
                    .unwrap(),
            );
        }
        let recorder = Recorder::new("orders", "order.", 0);
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let dispatcher = Dispatcher::new(db.clone(), vec![recorder.clone()]);
                tokio::spawn(async move {
                    let mut total = 0;
                    loop {
                        let done = dispatcher.run_once(5).await.unwrap();
                        if done == 0 {
                            return total;
                        }
                        total += done;
                    }
                })
            })
            .collect();
        let mut completed = 0;
        for worker in workers {
            completed += worker.await.unwrap();
        }
        assert_eq!(completed, 40);
        let mut counts: HashMap<String, usize> = HashMap::new();
        for id in recorder.handled() {
            *counts.entry(id).or_default() += 1;
        }
        assert_eq!(counts.len(), 40, "every event handled");
        assert!(counts.values().all(|&c| c == 1), "none twice: {counts:?}");
    })
    .await;
}

/// A subscriber whose handling never finishes, as if its process hung or died.
struct Stuck {
    started: tokio::sync::Notify,
}

#[async_trait]
impl Subscriber for Stuck {
    fn name(&self) -> &'static str {
        "mailer"
    }

    fn wants(&self, _event_name: &str) -> bool {
        true
    }

    async fn handle(&self, _event: &Event) -> Result<(), String> {
        self.started.notify_one();
        std::future::pending().await
    }
}

#[tokio::test]
async fn a_dispatcher_killed_mid_delivery_is_finished_by_the_next_once_per_subscriber() {
    on_every_backend(async |db| {
        let id = events::emit(&db, "order.placed", &json!({})).await.unwrap();
        let quick = Recorder::new("quick", "order.", 0);
        let stuck = Arc::new(Stuck {
            started: tokio::sync::Notify::new(),
        });
        let doomed = Dispatcher::new(db.clone(), vec![quick.clone(), stuck.clone()]);
        let running = tokio::spawn(async move { doomed.run_once(10).await });
        tokio::time::timeout(Duration::from_secs(10), stuck.started.notified())
            .await
            .expect("the delivery starts");
        // Subscribers work side by side: wait until the quick one's
        // completion is recorded, as it would be long before a real crash.
        eventually(
            Duration::from_secs(10),
            "the quick subscriber's delivery recorded",
            async || events::delivered_to(&db, &id).await.unwrap() == ["quick"],
        )
        .await;
        running.abort();
        assert!(running.await.unwrap_err().is_cancelled());
        assert_eq!(quick.handled(), std::slice::from_ref(&id));
        assert_eq!(
            events::pending(&db).await.unwrap().len(),
            1,
            "not completed"
        );

        // The dead dispatcher's claim runs out; a new instance takes over.
        set_claim(&db, &id, chrono::Duration::seconds(-1)).await;
        let mailer = Recorder::new("mailer", "order.", 0);
        let next = Dispatcher::new(db.clone(), vec![quick.clone(), mailer.clone()]);
        assert_eq!(next.run_once(10).await.unwrap(), 1);
        assert_eq!(
            quick.handled(),
            std::slice::from_ref(&id),
            "not repeated for a subscriber that finished"
        );
        assert_eq!(mailer.handled(), [id]);
        assert!(events::pending(&db).await.unwrap().is_empty());
        assert_eq!(
            next.run_once(10).await.unwrap(),
            0,
            "nothing is left to deliver"
        );
    })
    .await;
}

#[tokio::test]
async fn a_hung_subscriber_does_not_hold_back_the_others_later_events() {
    on_every_backend(async |db| {
        let stuck = Arc::new(Stuck {
            started: tokio::sync::Notify::new(),
        });
        let quick = Recorder::new("quick", "order.", 0);
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(
                events::emit(&db, "order.placed", &json!({ "n": n }))
                    .await
                    .unwrap(),
            );
        }
        // The hung subscriber comes first and never finishes its first event.
        let dispatcher = Dispatcher::new(db.clone(), vec![stuck.clone(), quick.clone()]);
        let running = tokio::spawn(async move { dispatcher.run_once(10).await });
        // The handler returns before its completion is written: wait for both.
        eventually(
            Duration::from_secs(10),
            "the quick subscriber's events handled and recorded",
            async || {
                if quick.handled() != ids {
                    return false;
                }
                for id in &ids {
                    if events::delivered_to(&db, id).await.unwrap() != ["quick"] {
                        return false;
                    }
                }
                true
            },
        )
        .await;
        running.abort();
    })
    .await;
}
