use std::{
    collections::HashMap,
    future::Future,
    path::PathBuf,
    pin::Pin,
    sync::{
        Arc, LazyLock, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

pub use sea_orm::DatabaseConnection;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, Database, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, IsolationLevel, QueryResult, SqliteTransactionMode, Statement, TransactionError,
    TransactionOptions, TransactionSession, TransactionTrait,
};
use tokio::sync::OwnedMutexGuard;

use crate::{DomainError, thread_priority};

/// Opens the database named by `url` (`sqlite://…` or `postgres://…`).
///
/// SQLite files are created when missing and run in WAL mode so readers never
/// wait for the single writer; a busy timeout makes concurrent writers queue
/// instead of failing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_sized(url, None).await
}

/// [`connect`] with at most `max_connections` open (the default when `None`).
pub async fn connect_sized(
    url: &str,
    max_connections: Option<u32>,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        if let Some(dir) = sqlite_parent_dir(url) {
            std::fs::create_dir_all(dir)
                .map_err(|e| DbErr::Custom(format!("cannot create {dir}: {e}")))?;
        }
        // sqlx pings a pooled connection on every checkout by default: on
        // SQLite that is one more hop to the connection's worker thread per
        // statement, and a file does not drop connections as a network does.
        options
            .max_connections(max_connections.unwrap_or(8))
            .min_connections(1)
            .test_before_acquire(false)
            .map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
                    .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)
                    .pragma("mmap_size", MMAP_BYTES)
                    .thread_name(|n| format!("{SQLITE_THREAD}{n}"))
            })
            // Each connection's thread runs its statements inside the writer's turn.
            .map_sqlx_sqlite_pool_opts(|pool| {
                pool.after_connect(|_, _| {
                    Box::pin(async {
                        thread_priority::favour_threads_named(SQLITE_THREAD);
                        Ok(())
                    })
                })
            });
    } else {
        // A server or a firewall may drop a connection left idle; a busy one
        // is known alive and skips the ping round trip.
        options
            .max_connections(max_connections.unwrap_or(16))
            .test_before_acquire_if_idle_for(Duration::from_secs(30));
    }
    Database::connect(options).await
}

/// What each SQLite connection's own thread is named after (with a number).
const SQLITE_THREAD: &str = "sqlite-conn-";

/// WAL pages after which a committing writer copies the log into the
/// database file itself, holding the writer's turn while it does (fsyncs
/// included). SQLite's default is 1,000 pages, a few times a second under a
/// fleet's telemetry. This is the backstop: in a server, [`checkpoint_wal`]
/// keeps the log far shorter without holding anyone up.
const WAL_AUTOCHECKPOINT_PAGES: &str = "10000";

/// How much of a SQLite file each connection reads through a memory map.
/// A connection drops its page cache whenever another one has written,
/// which under a fleet's telemetry is every few milliseconds; read
/// through the map, a page is not copied again with a system call each time.
const MMAP_BYTES: &str = "268435456";

/// Copies a SQLite database's write-ahead log into the database file every
/// `every`, mostly beside the writers instead of inside one of their
/// commits. Returns at once on PostgreSQL; otherwise runs until dropped.
///
/// A passive checkpoint takes no writer's lock and waits for nobody: it
/// copies the bulk while writers go on. The log starts over only when a
/// writer finds it all copied, so the few pages written meanwhile are
/// copied with the writer's turn held.
pub async fn checkpoint_wal(db: DatabaseConnection, every: Duration) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let copied = async {
            checkpoint(&db).await?;
            let _turn = write_turn(&db).await?;
            checkpoint(&db).await
        };
        if let Err(e) = copied.await {
            tracing::warn!(error = %e, "SQLite checkpoint failed; the next one retries");
        }
    }
}

async fn checkpoint(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
        .await
        .map(|_| ())
}

/// Starts a transaction that writes. Every writing transaction starts here.
///
/// On SQLite one writer at a time holds the database, so writers of one file
/// queue in this process ([`WriteQueue`]) and the next one starts the moment
/// the previous one ends. Left to SQLite, waiting writers sleep in its busy
/// handler (up to 100 ms a nap) while the lock sits free, and throughput
/// collapses under concurrent carts. The transaction still takes the write
/// lock at once (`BEGIN IMMEDIATE`) for writers in other processes (the CLI):
/// a deferred transaction that read first cannot upgrade once another writer
/// committed, and SQLite answers "database is locked" without waiting.
///
/// Started inside an open transaction it nests (a savepoint) and keeps the
/// turn of the outer one. PostgreSQL queues its writers by row locks and
/// ignores both the queue and the SQLite mode.
pub async fn begin_write<C: Writable>(db: &C) -> Result<WriteTransaction, DbErr> {
    let turn = match db.write_queue() {
        Some(queue) => Some(queue.take_turn().await?),
        None => None,
    };
    let inner = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(WriteTransaction { inner, _turn: turn })
}

/// The writer's turn for one statement run on `db` outside a transaction (a
/// lone statement is atomic by itself); `None` where there is no queue
/// (PostgreSQL, or inside a transaction). Dropping it gives the turn back.
pub async fn write_turn<C: Writable>(db: &C) -> Result<Option<WriteTurn>, DbErr> {
    Ok(match db.write_queue() {
        Some(queue) => Some(WriteTurn {
            _turn: queue.take_turn().await?,
        }),
        None => None,
    })
}

/// A writer's turn taken by [`write_turn`].
pub struct WriteTurn {
    _turn: Turn,
}

/// What a writing transaction starts on: the database itself, or a
/// transaction already open (the new one nests in it).
pub trait Writable: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction> {
    /// The queue a new top-level writer of this database waits in; `None`
    /// inside a transaction (it already has the turn) and on PostgreSQL.
    fn write_queue(&self) -> Option<Arc<WriteQueue>>;
}

impl Writable for DatabaseConnection {
    fn write_queue(&self) -> Option<Arc<WriteQueue>> {
        if self.get_database_backend() != DbBackend::Sqlite {
            return None;
        }
        let file = self
            .get_sqlite_connection_pool()
            .connect_options()
            .get_filename()
            .to_path_buf();
        Some(WriteQueue::for_sqlite_file(file))
    }
}

impl Writable for DatabaseTransaction {
    fn write_queue(&self) -> Option<Arc<WriteQueue>> {
        None
    }
}

impl Writable for WriteTransaction {
    fn write_queue(&self) -> Option<Arc<WriteQueue>> {
        None
    }
}

/// The writers of one SQLite file in this process, served first come first
/// served, and how they used their turns.
#[derive(Default)]
pub struct WriteQueue {
    lock: Arc<tokio::sync::Mutex<()>>,
    usage: Arc<TurnCounters>,
}

#[derive(Default)]
struct TurnCounters {
    turns: AtomicU64,
    waited_ns: AtomicU64,
    held_ns: AtomicU64,
}

/// The one writer's turn: given back, and how long it was held counted,
/// when dropped.
struct Turn {
    _lock: OwnedMutexGuard<()>,
    taken: Instant,
    usage: Arc<TurnCounters>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.usage
            .held_ns
            .fetch_add(nanos(self.taken.elapsed()), Ordering::Relaxed);
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// How the writers of a SQLite database in this process have used the one
/// writer's turn since it was opened: a saturated writer (held most of the
/// time) is what makes write transactions queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteTurns {
    /// Turns taken: top-level write transactions and lone writing statements.
    pub turns: u64,
    /// Their time in the queue, added up.
    pub waited: Duration,
    /// Their time holding the turn, added up (turns still held not yet counted).
    pub held: Duration,
}

impl WriteTurns {
    /// What happened between `earlier` and these.
    pub fn since(&self, earlier: &WriteTurns) -> WriteTurns {
        WriteTurns {
            turns: self.turns - earlier.turns,
            waited: self.waited.saturating_sub(earlier.waited),
            held: self.held.saturating_sub(earlier.held),
        }
    }
}

/// The writer's turns of `db` so far; `None` on PostgreSQL (no queue).
pub fn write_turns(db: &DatabaseConnection) -> Option<WriteTurns> {
    let usage = &db.write_queue()?.usage;
    Some(WriteTurns {
        turns: usage.turns.load(Ordering::Relaxed),
        waited: Duration::from_nanos(usage.waited_ns.load(Ordering::Relaxed)),
        held: Duration::from_nanos(usage.held_ns.load(Ordering::Relaxed)),
    })
}

/// How long a writer waits for its turn before giving up, as SQLite's own
/// busy timeout did before the queue.
const WRITE_TURN_TIMEOUT: Duration = Duration::from_secs(5);

impl WriteQueue {
    fn for_sqlite_file(file: PathBuf) -> Arc<WriteQueue> {
        static QUEUES: LazyLock<Mutex<HashMap<PathBuf, Arc<WriteQueue>>>> =
            LazyLock::new(Default::default);
        let mut queues = QUEUES
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        queues.entry(file).or_default().clone()
    }

    async fn take_turn(&self) -> Result<Turn, DbErr> {
        let asked = Instant::now();
        let lock = tokio::time::timeout(WRITE_TURN_TIMEOUT, self.lock.clone().lock_owned())
            .await
            .map_err(|_| {
                DbErr::Custom(format!(
                    "the database stayed busy with other writes for {} s",
                    WRITE_TURN_TIMEOUT.as_secs()
                ))
            })?;
        let taken = Instant::now();
        self.usage.turns.fetch_add(1, Ordering::Relaxed);
        self.usage
            .waited_ns
            .fetch_add(nanos(taken - asked), Ordering::Relaxed);
        Ok(Turn {
            _lock: lock,
            taken,
            usage: self.usage.clone(),
        })
    }
}

/// A writing transaction from [`begin_write`]: a [`DatabaseTransaction`]
/// holding its writer's turn until it commits, rolls back or is dropped.
pub struct WriteTransaction {
    inner: DatabaseTransaction,
    _turn: Option<Turn>,
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTransaction {
    fn get_database_backend(&self) -> DbBackend {
        self.inner.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.inner.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.inner.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.inner.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.inner.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.inner.support_returning()
    }
}

#[async_trait::async_trait]
impl TransactionTrait for WriteTransaction {
    type Transaction = DatabaseTransaction;

    async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.inner.begin().await
    }

    async fn begin_with_config(
        &self,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<DatabaseTransaction, DbErr> {
        self.inner
            .begin_with_config(isolation_level, access_mode)
            .await
    }

    async fn begin_with_options(
        &self,
        options: TransactionOptions,
    ) -> Result<DatabaseTransaction, DbErr> {
        self.inner.begin_with_options(options).await
    }

    async fn transaction<F, T, E>(&self, callback: F) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c DatabaseTransaction,
            ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.inner.transaction(callback).await
    }

    async fn transaction_with_config<F, T, E>(
        &self,
        callback: F,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c DatabaseTransaction,
            ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.inner
            .transaction_with_config(callback, isolation_level, access_mode)
            .await
    }
}

#[async_trait::async_trait]
impl TransactionSession for WriteTransaction {
    async fn commit(self) -> Result<(), DbErr> {
        self.inner.commit().await
    }

    async fn rollback(self) -> Result<(), DbErr> {
        self.inner.rollback().await
    }
}

/// Writes a consistent copy of a SQLite database to `to` while the store
/// runs (`VACUUM INTO`: one read transaction, so writers go on and the copy
/// is the database as of one moment, compacted). `to` must not exist yet.
/// PostgreSQL is backed up with its own tools (`pg_dump`).
pub async fn backup(db: &DatabaseConnection, to: &std::path::Path) -> Result<(), DomainError> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Err(DomainError::Invalid(
            "this store runs on PostgreSQL: back it up with pg_dump \
             (e.g. `pg_dump --format=custom --file=automat.dump \"$AUTOMAT_DATABASE_URL\"`)"
                .into(),
        ));
    }
    if to.exists() {
        return Err(DomainError::Conflict(format!(
            "{} already exists; a backup never overwrites a file",
            to.display()
        )));
    }
    let Some(path) = to.to_str() else {
        return Err(DomainError::Invalid(format!(
            "{} is not a UTF-8 path SQLite can be given",
            to.display()
        )));
    };
    if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            DomainError::Invalid(format!("cannot create {}: {e}", parent.display()))
        })?;
    }
    // A string literal: quotes inside are doubled, nothing else is special.
    let literal = path.replace('\'', "''");
    db.execute_unprepared(&format!("VACUUM INTO '{literal}'"))
        .await?;
    Ok(())
}

/// Answers whether the database is reachable right now (readiness probes).
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

fn sqlite_parent_dir(url: &str) -> Option<&str> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    let dir = std::path::Path::new(path).parent()?.to_str()?;
    (!dir.is_empty()).then_some(dir)
}

/// `column` contains `text`, ignoring case, on SQLite and PostgreSQL alike.
pub fn contains_ignoring_case(
    column: impl sea_orm::sea_query::IntoColumnRef,
    text: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    Expr::expr(Func::lower(Expr::col(column))).like(format!("%{}%", text.to_lowercase()))
}

/// `column` equals `text`, ignoring case, on SQLite and PostgreSQL alike.
pub fn equals_ignoring_case(
    column: impl sea_orm::sea_query::IntoColumnRef,
    text: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    Expr::expr(Func::lower(Expr::col(column))).eq(text.to_lowercase())
}
