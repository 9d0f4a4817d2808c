//! A web session's absolute lifetime, over any store: each record keeps when
//! it began (its sign-in, which starts a new session id, or its first save),
//! and it ends that long after however busy it is. The idle lifetime ends
//! an unused one sooner.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store,
};

/// Where a record keeps when it began (unix seconds).
const BEGAN_AT: &str = "__began_at";

#[derive(Debug, Clone)]
pub struct MaxAge<S> {
    inner: S,
    max_age: Duration,
}

impl<S> MaxAge<S> {
    pub fn new(inner: S, max_age: Duration) -> Self {
        Self { inner, max_age }
    }

    /// When the record's session ends at the latest; a record from before
    /// this limit counts from now.
    fn end_of(&self, record: &Record) -> OffsetDateTime {
        let began = record
            .data
            .get(BEGAN_AT)
            .and_then(|v| v.as_i64())
            .and_then(|at| OffsetDateTime::from_unix_timestamp(at).ok())
            .unwrap_or_else(OffsetDateTime::now_utc);
        began.saturating_add(self.max_age)
    }

    /// Stamps a record without a beginning, and brings its expiry forward to its end.
    fn bounded(&self, record: &mut Record) {
        record
            .data
            .entry(BEGAN_AT.to_owned())
            .or_insert_with(|| OffsetDateTime::now_utc().unix_timestamp().into());
        record.expiry_date = record.expiry_date.min(self.end_of(record));
    }
}

#[async_trait]
impl<S: SessionStore + Clone> SessionStore for MaxAge<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A new session (a sign-in cycles the id into one) begins now.
        record.data.remove(BEGAN_AT);
        self.bounded(record);
        self.inner.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut record = record.clone();
        self.bounded(&mut record);
        if record.expiry_date <= OffsetDateTime::now_utc() {
            return self.inner.delete(&record.id).await;
        }
        self.inner.save(&record).await
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let Some(record) = self.inner.load(session_id).await? else {
            return Ok(None);
        };
        if self.end_of(&record) <= OffsetDateTime::now_utc() {
            self.inner.delete(session_id).await?;
            return Ok(None);
        }
        Ok(Some(record))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.inner.delete(session_id).await
    }
}
