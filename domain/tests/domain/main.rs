//! Domain tests, each run on SQLite and on PostgreSQL.

mod admin_users;
mod alerts;
mod backup;
mod cart_writer;
mod carts;
mod catalog;
mod catalog_editing;
mod channels;
mod checkout;
mod customers;
mod db_writes;
mod devices;
mod events;
mod idempotency;
mod inventory;
mod loyalty;
mod loyalty_verification;
mod operations;
mod orders;
mod password_hashing;
mod password_resets;
mod payment_admin;
mod payments;
mod pricing;
mod schema_migrations;
mod search;
mod sign_ins;
mod taxonomy;
mod vending;

use domain::db::DatabaseConnection;

use testkit::{TestDb, db_backends};

/// Runs `test` once per database backend on a fresh, migrated database.
pub async fn on_every_backend(test: impl AsyncFn(DatabaseConnection)) {
    for backend in db_backends() {
        let test_db = TestDb::create(backend).await;
        let db = domain::db::connect(&test_db.url).await.expect("connect");
        migrations::up(&db).await.expect("migrate");
        test(db.clone()).await;
        db.close().await.ok();
    }
}

/// A database with the demo store in it.
pub async fn seeded(db: &DatabaseConnection) {
    assert!(domain::seed::demo_store(db, 2).await.expect("seed"));
    // The seed's own events (its products created) are done with, so tests
    // that dispatch the outbox count only the events they cause.
    let nobody = domain::events::Dispatcher::new(db.clone(), Vec::new());
    while nobody.run_once(100).await.expect("dispatch") > 0 {}
}
