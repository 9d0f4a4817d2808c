//! Writing transactions on one SQLite file queue in the process, and a
//! transaction opened inside a writer nests without waiting. How fast the
//! queue hands over is measured by the cart benchmark (`bench/`).

use std::time::Duration;

use domain::db::begin_write;
use sea_orm::{ConnectionTrait, TransactionSession};
use testkit::{DbBackend, TestDb};

async fn sqlite() -> (TestDb, domain::db::DatabaseConnection) {
    let test_db = TestDb::create(DbBackend::Sqlite).await;
    let db = domain::db::connect(&test_db.url).await.expect("connect");
    db.execute_unprepared("CREATE TABLE tally (n INTEGER NOT NULL)")
        .await
        .unwrap();
    (test_db, db)
}

#[tokio::test]
async fn a_second_writer_waits_for_the_first_to_commit() {
    let (_file, db) = sqlite().await;
    let first = begin_write(&db).await.unwrap();
    first
        .execute_unprepared("INSERT INTO tally VALUES (1)")
        .await
        .unwrap();

    let second = tokio::spawn({
        let db = db.clone();
        async move {
            let txn = begin_write(&db).await.unwrap();
            txn.execute_unprepared("INSERT INTO tally VALUES (2)")
                .await
                .unwrap();
            txn.commit().await.unwrap();
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!second.is_finished(), "the second writer waits its turn");

    first.commit().await.unwrap();
    tokio::time::timeout(Duration::from_secs(1), second)
        .await
        .expect("the second writer ran once the first committed")
        .unwrap();
}

#[tokio::test]
async fn a_writer_nested_in_a_writer_does_not_wait_for_itself() {
    let (_file, db) = sqlite().await;
    let outer = begin_write(&db).await.unwrap();
    let inner = tokio::time::timeout(Duration::from_secs(1), begin_write(&outer))
        .await
        .expect("a nested writer starts at once")
        .unwrap();
    inner
        .execute_unprepared("INSERT INTO tally VALUES (1)")
        .await
        .unwrap();
    inner.commit().await.unwrap();
    outer.commit().await.unwrap();
    begin_write(&db)
        .await
        .expect("the turn was given back")
        .commit()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_dropped_writer_gives_its_turn_back() {
    let (_file, db) = sqlite().await;
    drop(begin_write(&db).await.unwrap());
    tokio::time::timeout(Duration::from_secs(1), begin_write(&db))
        .await
        .expect("the turn came back when the transaction was dropped")
        .unwrap();
}

#[tokio::test]
async fn many_concurrent_writers_all_commit() {
    let (_file, db) = sqlite().await;
    let writers = (0..64).map(|n| {
        let db = db.clone();
        tokio::spawn(async move {
            let txn = begin_write(&db).await?;
            txn.execute_unprepared(&format!("INSERT INTO tally VALUES ({n})"))
                .await?;
            txn.commit().await
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.unwrap().expect("every writer commits");
    }
    let count = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT COUNT(*) AS n FROM tally",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(count, 64);
}

#[tokio::test]
async fn the_writers_turns_are_counted_with_their_waits_and_holds() {
    let (_file, db) = sqlite().await;
    let before = domain::db::write_turns(&db).expect("SQLite has a writer's turn");
    let first = begin_write(&db).await.unwrap();
    let nested = begin_write(&first).await.unwrap();
    nested.commit().await.unwrap();
    let (asking, asked) = tokio::sync::oneshot::channel();
    let second = tokio::spawn({
        let db = db.clone();
        async move {
            asking.send(()).unwrap();
            begin_write(&db).await.unwrap().commit().await.unwrap()
        }
    });
    // The second writer is in the queue before the first holds on for 200 ms.
    asked.await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    first.commit().await.unwrap();
    second.await.unwrap();

    let used = domain::db::write_turns(&db).unwrap().since(&before);
    assert_eq!(used.turns, 2, "a nested writer takes no turn of its own");
    assert!(used.waited >= Duration::from_millis(200), "{used:?}");
    assert!(used.held >= Duration::from_millis(200), "{used:?}");

    let postgres = TestDb::create(DbBackend::Postgres).await;
    let pg = domain::db::connect(&postgres.url).await.expect("connect");
    assert_eq!(
        domain::db::write_turns(&pg),
        None,
        "PostgreSQL has no queue"
    );
}

/// The high-water mark of a SQLite file's write-ahead log, in bytes.
fn wal_size(test_db: &TestDb) -> u64 {
    let file = test_db
        .url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap();
    std::fs::metadata(format!("{file}-wal"))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// Writes about 12 MB in 300 transactions, a few milliseconds apart.
async fn write_12_mb(db: &domain::db::DatabaseConnection) {
    for _ in 0..300 {
        let txn = begin_write(db).await.unwrap();
        txn.execute_unprepared("INSERT INTO tally VALUES (length(zeroblob(40000)))")
            .await
            .unwrap();
        txn.execute_unprepared("INSERT INTO blobs VALUES (randomblob(40000))")
            .await
            .unwrap();
        txn.commit().await.unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test]
async fn the_checkpointer_keeps_the_log_short_without_a_writer_copying_it() {
    let (quiet, db) = sqlite().await;
    db.execute_unprepared("CREATE TABLE blobs (b BLOB NOT NULL)")
        .await
        .unwrap();
    write_12_mb(&db).await;
    assert!(
        wal_size(&quiet) > 10_000_000,
        "without the checkpointer, writers leave the log alone well past 10 MB: {} bytes",
        wal_size(&quiet)
    );

    let (checkpointed, db) = sqlite().await;
    db.execute_unprepared("CREATE TABLE blobs (b BLOB NOT NULL)")
        .await
        .unwrap();
    let checkpointer = tokio::spawn(domain::db::checkpoint_wal(
        db.clone(),
        Duration::from_millis(20),
    ));
    write_12_mb(&db).await;
    checkpointer.abort();
    assert!(
        wal_size(&checkpointed) < 4_000_000,
        "the log restarts once copied: {} bytes",
        wal_size(&checkpointed)
    );
}
