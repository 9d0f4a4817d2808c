//! The log of this test binary's servers, recorded while a test asks for it,
//! to show what is never logged. Everything down to DEBUG is recorded (more
//! than the servers print by default: someone will turn it on), spans
//! included, from every test running meanwhile.

use std::{
    fmt::Write as _,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use tracing::{
    Event, Level, Subscriber,
    field::{Field, Visit},
    span::{Attributes, Id, Record},
};
use tracing_subscriber::{
    EnvFilter, Layer,
    filter::{LevelFilter, dynamic_filter_fn},
    layer::{Context, SubscriberExt},
    util::SubscriberInitExt,
};

/// How many captures are running; nothing is recorded while none is.
static CAPTURES: AtomicUsize = AtomicUsize::new(0);
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Logs go to the test's captured output (shown only when it fails) and,
/// while a [`LogCapture`] lives, to it.
pub fn init() {
    let printed = tracing_subscriber::fmt::layer()
        .with_test_writer()
        .with_filter(EnvFilter::new(
            "info,rumqttd=off,sqlx=warn,sea_orm_migration=warn",
        ));
    // Dynamic: asked at every event, not once per call site (which would
    // remember the answer given while nothing was recorded).
    let recorded = Recorder.with_filter(
        dynamic_filter_fn(|meta, _| {
            CAPTURES.load(Ordering::Acquire) > 0 && *meta.level() <= Level::DEBUG
        })
        .with_max_level_hint(LevelFilter::DEBUG),
    );
    let _ = tracing_subscriber::registry()
        .with(printed)
        .with(recorded)
        .try_init();
}

/// Records log lines from its start until it is dropped.
pub struct LogCapture {
    from: usize,
}

impl LogCapture {
    pub fn start() -> Self {
        init();
        let from = lines().len();
        CAPTURES.fetch_add(1, Ordering::AcqRel);
        Self { from }
    }

    /// The lines recorded since the start (other tests' lines included).
    pub fn lines(&self) -> Vec<String> {
        lines().get(self.from..).unwrap_or_default().to_vec()
    }

    /// Panics when a recorded line contains `secret`.
    pub fn assert_never_logged(&self, secret: &str, what: &str) {
        let lines = self.lines();
        assert!(lines.len() > 10, "the capture records: {lines:?}");
        if let Some(line) = lines.iter().find(|line| line.contains(secret)) {
            panic!("{what} was logged: {line}");
        }
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        CAPTURES.fetch_sub(1, Ordering::AcqRel);
    }
}

fn lines() -> std::sync::MutexGuard<'static, Vec<String>> {
    LINES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Recorder;

impl<S: Subscriber> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        let mut line = format!(
            "span {} {}:",
            attrs.metadata().target(),
            attrs.metadata().name()
        );
        attrs.record(&mut Fields(&mut line));
        lines().push(line);
    }

    fn on_record(&self, _span: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut line = "span record:".to_owned();
        values.record(&mut Fields(&mut line));
        lines().push(line);
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut line = format!(
            "{} {}:",
            event.metadata().level(),
            event.metadata().target()
        );
        event.record(&mut Fields(&mut line));
        lines().push(line);
    }
}

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, " {}={value}", field.name());
    }
}
