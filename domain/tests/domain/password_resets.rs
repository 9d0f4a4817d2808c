//! Password resets: the token is issued when the mail goes out and kept
//! nowhere but in the mail.

use chrono::{Duration, Utc};
use domain::{
    credentials::{Email, Password},
    customers::{
        self,
        password_reset::{self, PASSWORD_RESET},
    },
    events::outbox_event,
};
use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Alias, Query},
};
use serde_json::{Value, json};
use testkit::{TestDb, db_backends};

use crate::on_every_backend;

async fn identity(db: &domain::db::DatabaseConnection, email: &str) -> Email {
    let email = Email::parse(email).unwrap();
    customers::register(db, &email, &Password::parse("long enough").unwrap())
        .await
        .unwrap();
    email
}

async fn reset_events(db: &domain::db::DatabaseConnection) -> Vec<outbox_event::Model> {
    outbox_event::Entity::find()
        .filter(outbox_event::Column::Name.eq(PASSWORD_RESET))
        .all(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_event_names_the_reset_and_its_mail_gets_the_token() {
    on_every_backend(async |db| {
        let email = identity(&db, "ada@example.com").await;
        password_reset::request(&db, &email).await.unwrap();
        let events = reset_events(&db).await;
        assert_eq!(events.len(), 1);
        let payload: Value = serde_json::from_str(&events[0].payload).unwrap();
        let id = payload["id"].as_str().unwrap().to_owned();
        assert_eq!(payload, json!({ "id": id }), "the id and nothing else");

        let first = password_reset::issue_token(&db, &id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.email, "ada@example.com");
        // A mail sent again (the first attempt failed) has a new token; only
        // the last one works.
        let second = password_reset::issue_token(&db, &id)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(first.token, second.token);
        let password = Password::parse("a new secret").unwrap();
        let stale = password_reset::complete(&db, &first.token, &email, &password).await;
        assert!(stale.is_err(), "{stale:?}");
        password_reset::complete(&db, &second.token, &email, &password)
            .await
            .unwrap();
        assert!(
            password_reset::issue_token(&db, &id)
                .await
                .unwrap()
                .is_none(),
            "a used reset gets no mail"
        );
        assert!(
            password_reset::issue_token(&db, "pwreset_unknown")
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

/// Resets requested before the tokens left the outbox still work, and their
/// events no longer hold the token.
#[tokio::test]
async fn the_migration_keeps_earlier_resets_and_scrubs_their_events() {
    for backend in db_backends() {
        let test_db = TestDb::create(backend).await;
        let db = domain::db::connect(&test_db.url).await.unwrap();
        let before = Migrator::migrations()
            .iter()
            .position(|m| m.name() == "m0021_password_reset_ids")
            .expect("the migration is registered");
        Migrator::up(&db, Some(before as u32)).await.unwrap();
        let email = identity(&db, "grace@example.com").await;
        let identity_id = customers::auth_identity::Entity::find()
            .one(&db)
            .await
            .unwrap()
            .unwrap()
            .id;
        // As the earlier code wrote them: the hash as the key, the token in the event.
        let (mailed, pending) = ("a".repeat(64), "b".repeat(64));
        for token in [&mailed, &pending] {
            let now = Utc::now();
            db.execute(
                Query::insert()
                    .into_table(Alias::new("password_resets"))
                    .columns(
                        ["token_hash", "auth_identity_id", "expires_at", "created_at"]
                            .map(Alias::new),
                    )
                    .values_panic([
                        sha256_hex(token).into(),
                        identity_id.clone().into(),
                        (now + Duration::minutes(15)).into(),
                        now.into(),
                    ]),
            )
            .await
            .unwrap();
            let payload =
                json!({ "entity_id": email.as_ref(), "actor_type": "customer", "token": token });
            domain::events::emit(&db, PASSWORD_RESET, &payload)
                .await
                .unwrap();
        }
        Migrator::up(&db, None).await.unwrap();

        let events = reset_events(&db).await;
        assert_eq!(events.len(), 2);
        for event in &events {
            assert!(
                !event.payload.contains(&mailed) && !event.payload.contains(&pending),
                "{event:?}"
            );
        }
        let mut ids: Vec<Value> = events
            .iter()
            .map(|event| serde_json::from_str(&event.payload).unwrap())
            .collect();
        ids.sort_by_key(|id| id.to_string());
        let mut expected = [&mailed, &pending].map(|token| json!({ "id": sha256_hex(token) }));
        expected.sort_by_key(|id| id.to_string());
        assert_eq!(ids, expected, "each names its reset");
        assert!(
            password_reset::issue_token(&db, &sha256_hex(&pending))
                .await
                .unwrap()
                .is_some(),
            "a reset not mailed yet can be"
        );
        let password = Password::parse("a new secret").unwrap();
        password_reset::complete(&db, &mailed, &email, &password)
            .await
            .expect("a mailed link still works");
        db.close().await.ok();
    }
}

fn sha256_hex(token: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
