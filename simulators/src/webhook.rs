//! Webhook deliveries, shared by both simulators: events are queued as they
//! happen and a background worker posts them in order to the configured URL,
//! retrying failed attempts. Tests can hold the queue, deliver chosen events
//! (out of order), replay delivered ones and read what was delivered.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use serde::Serialize;
use tokio::sync::Notify;

/// Signs one delivery attempt: the headers that go with `body` at `timestamp`.
pub(crate) trait Signer: Send + Sync + 'static {
    fn headers(&self, body: &str, timestamp: i64) -> Vec<(String, String)>;
}

/// One attempt to deliver an event.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: String,
    pub url: String,
    /// What the endpoint answered; `None` when it could not be reached.
    pub status: Option<u16>,
    pub error: Option<String>,
    /// 1 for the first attempt of the worker, counting its retries.
    pub attempt: u32,
    /// Sent on a test's request (`deliver`/`redeliver`) rather than by the worker.
    pub manual: bool,
}

impl Delivery {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// A signed request as it would be sent, for tests that post it themselves
/// (tampered, late, to another URL).
#[derive(Debug, Clone)]
pub struct SignedEvent {
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl SignedEvent {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Queued {
    event_id: String,
    attempts: u32,
}

struct State {
    url: Option<String>,
    held: bool,
    queue: VecDeque<Queued>,
    /// Every event ever queued (type, body), so it can be replayed.
    events: HashMap<String, (String, String)>,
    log: Vec<Delivery>,
    retry_delays: Vec<Duration>,
}

pub(crate) struct Outbox {
    state: Mutex<State>,
    notify: Notify,
    signer: Box<dyn Signer>,
    http: reqwest::Client,
}

/// The default retry schedule: short, so tests see retries within a second.
fn default_retry_delays() -> Vec<Duration> {
    [100, 300, 1000]
        .into_iter()
        .map(Duration::from_millis)
        .collect()
}

impl Outbox {
    /// Starts the delivery worker; it runs until `worker` is aborted.
    pub(crate) fn start(
        signer: impl Signer,
        url: Option<String>,
    ) -> (Arc<Self>, tokio::task::JoinHandle<()>) {
        let outbox = Arc::new(Self {
            state: Mutex::new(State {
                url,
                held: false,
                queue: VecDeque::new(),
                events: HashMap::new(),
                log: Vec::new(),
                retry_delays: default_retry_delays(),
            }),
            notify: Notify::new(),
            signer: Box::new(signer),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("a plain HTTP client builds"),
        });
        let worker = tokio::spawn(outbox.clone().run());
        (outbox, worker)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn enqueue(&self, event_id: &str, event_type: &str, body: String) {
        let mut state = self.state();
        state
            .events
            .insert(event_id.to_owned(), (event_type.to_owned(), body));
        state.queue.push_back(Queued {
            event_id: event_id.to_owned(),
            attempts: 0,
        });
        drop(state);
        self.notify.notify_one();
    }

    async fn run(self: Arc<Self>) {
        loop {
            let next = {
                let mut state = self.state();
                match (&state.url, state.held) {
                    (Some(url), false) => {
                        let url = url.clone();
                        state.queue.pop_front().map(|item| (url, item))
                    }
                    _ => None,
                }
            };
            let Some((url, mut item)) = next else {
                self.notify.notified().await;
                continue;
            };
            item.attempts += 1;
            let delivery = self.send(&url, &item.event_id, item.attempts, false).await;
            if !delivery.succeeded() {
                let delay = self
                    .state()
                    .retry_delays
                    .get(item.attempts as usize - 1)
                    .copied();
                if let Some(delay) = delay {
                    let outbox = self.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        outbox.state().queue.push_back(item);
                        outbox.notify.notify_one();
                    });
                }
            }
        }
    }

    /// Signs `event_id`'s body now, as the next attempt would be sent.
    pub(crate) fn signed(&self, event_id: &str) -> Option<SignedEvent> {
        let body = self.state().events.get(event_id)?.1.clone();
        let mut headers = vec![(
            "Content-Type".to_owned(),
            "application/json; charset=utf-8".to_owned(),
        )];
        headers.extend(self.signer.headers(&body, crate::ids::now()));
        Some(SignedEvent { body, headers })
    }

    async fn send(&self, url: &str, event_id: &str, attempt: u32, manual: bool) -> Delivery {
        let event_type = self
            .state()
            .events
            .get(event_id)
            .map(|(t, _)| t.clone())
            .unwrap_or_default();
        let mut delivery = Delivery {
            event_id: event_id.to_owned(),
            event_type,
            url: url.to_owned(),
            status: None,
            error: None,
            attempt,
            manual,
        };
        let Some(signed) = self.signed(event_id) else {
            delivery.error = Some("unknown event".into());
            return delivery;
        };
        let mut request = self.http.post(url).body(signed.body);
        for (name, value) in signed.headers {
            request = request.header(name, value);
        }
        match request.send().await {
            Ok(response) => delivery.status = Some(response.status().as_u16()),
            Err(e) => delivery.error = Some(e.to_string()),
        }
        tracing::debug!(?delivery, "webhook delivery");
        self.state().log.push(delivery.clone());
        delivery
    }
}

/// Steers a simulator's webhook deliveries.
#[derive(Clone)]
pub struct WebhookControl {
    pub(crate) outbox: Arc<Outbox>,
}

impl WebhookControl {
    /// Where events go; `None` keeps them queued.
    pub fn set_url(&self, url: Option<String>) {
        self.outbox.state().url = url;
        self.outbox.notify.notify_one();
    }

    pub fn url(&self) -> Option<String> {
        self.outbox.state().url.clone()
    }

    /// Stops automatic delivery: new events wait in the queue until
    /// [`release`](Self::release) or a [`deliver`](Self::deliver) of each.
    pub fn hold(&self) {
        self.outbox.state().held = true;
    }

    /// Resumes automatic delivery of the queue, in order.
    pub fn release(&self) {
        self.outbox.state().held = false;
        self.outbox.notify.notify_one();
    }

    /// Ids of the events waiting to be delivered, oldest first.
    pub fn pending(&self) -> Vec<String> {
        self.outbox
            .state()
            .queue
            .iter()
            .map(|q| q.event_id.clone())
            .collect()
    }

    /// Forgets the queued events, as if their deliveries were lost.
    pub fn discard_pending(&self) {
        self.outbox.state().queue.clear();
    }

    /// Delivers one event now (taking it out of the queue if it waits
    /// there), whether or not the queue is held. Delivering an event that
    /// was already delivered is a replay: the same body, newly signed.
    /// `None` when no URL is set or the event is unknown.
    pub async fn deliver(&self, event_id: &str) -> Option<Delivery> {
        let url = {
            let mut state = self.outbox.state();
            if !state.events.contains_key(event_id) {
                return None;
            }
            state.queue.retain(|q| q.event_id != event_id);
            state.url.clone()?
        };
        Some(self.outbox.send(&url, event_id, 1, true).await)
    }

    /// Every attempt so far, in the order they were made.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.outbox.state().log.clone()
    }

    /// The event as it would be posted now: body and signed headers.
    pub fn signed(&self, event_id: &str) -> Option<SignedEvent> {
        self.outbox.signed(event_id)
    }

    /// Delays between the worker's attempts of a failing delivery; after the
    /// last one it gives up (the event stays replayable).
    pub fn set_retry_delays(&self, delays: Vec<Duration>) {
        self.outbox.state().retry_delays = delays;
    }
}
