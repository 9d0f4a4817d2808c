//! The schema's migrations on a database that already has some.

use sea_orm::{ConnectionTrait, Statement};

use crate::on_every_backend;

async fn versions(db: &impl ConnectionTrait) -> Vec<String> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_string(
        backend,
        "SELECT version FROM seaql_migrations ORDER BY version",
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get::<String>("", "version").unwrap())
    .collect()
}

#[tokio::test]
async fn a_database_migrated_under_the_former_names_is_brought_up_without_rerunning_anything() {
    on_every_backend(async |db| {
        let current = versions(&db).await;
        let backend = db.get_database_backend();
        // As a store migrated before the migrations were numbered would have them.
        for (current, former) in [
            ("m0001_initial", "m20261122_000001_initial"),
            (
                "m0016_alerts_device_credentials",
                "m20261122_000013_alerts_device_credentials",
            ),
            (
                "m0027_overview_indexes",
                "m20261231_000010_overview_indexes",
            ),
        ] {
            db.execute_raw(Statement::from_string(
                backend,
                format!(
                    "UPDATE seaql_migrations SET version = '{former}' WHERE version = '{current}'"
                ),
            ))
            .await
            .unwrap();
        }
        migrations::up(&db)
            .await
            .expect("the former names are adopted");
        assert_eq!(
            versions(&db).await,
            current,
            "renamed back, nothing run again"
        );
    })
    .await;
}
