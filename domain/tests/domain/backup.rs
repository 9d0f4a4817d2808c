//! `automat backup`: a consistent copy of a running SQLite store.

use domain::{DomainError, catalog, db, seed};
use migrations::MigratorTrait;
use testkit::{DbBackend, TestDb};

/// A new, empty directory of this test's own.
fn scratch_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("automat-backup-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn a_sqlite_store_is_copied_whole_and_never_over_a_file() {
    let test_db = TestDb::create(DbBackend::Sqlite).await;
    let live = db::connect(&test_db.url).await.unwrap();
    migrations::up(&live).await.unwrap();
    seed::demo_store(&live, 1).await.unwrap();
    let dir = scratch_dir();
    let to = dir.join("new folder").join("it's a backup.sqlite");

    db::backup(&live, &to).await.unwrap();
    let copy = db::connect(&format!("sqlite://{}?mode=rw", to.display()))
        .await
        .unwrap();
    assert_eq!(
        catalog::count_products(&copy).await.unwrap(),
        catalog::count_products(&live).await.unwrap()
    );
    assert!(catalog::count_products(&copy).await.unwrap() > 0);
    assert_eq!(
        migrations::Migrator::get_pending_migrations(&copy)
            .await
            .unwrap()
            .len(),
        0,
        "the copy has the schema's migrations recorded"
    );

    assert!(matches!(
        db::backup(&live, &to).await,
        Err(DomainError::Conflict(m)) if m.contains("never overwrites")
    ));
    copy.close().await.ok();
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn postgresql_is_pointed_to_pg_dump() {
    for backend in testkit::db_backends() {
        if backend != DbBackend::Postgres {
            continue;
        }
        let test_db = TestDb::create(backend).await;
        let live = db::connect(&test_db.url).await.unwrap();
        assert!(matches!(
            db::backup(&live, &scratch_dir().join("x")).await,
            Err(DomainError::Invalid(m)) if m.contains("pg_dump")
        ));
    }
}
