//! New passwords are hashed before the writer's turn is taken: argon2 takes
//! tens of milliseconds on purpose, and on SQLite every other writer of the
//! store would wait that long behind it.

use std::time::{Duration, Instant};

use chrono::Utc;
use domain::{
    admin_users,
    credentials::{Email, Password},
    customers::{self, Profile, password_reset},
    db::{DatabaseConnection, write_turns},
};
use sea_orm::{ActiveModelTrait, Set};

use crate::on_every_backend;

fn password(raw: &str) -> Password {
    Password::parse(raw).unwrap()
}

fn email(raw: &str) -> Email {
    Email::parse(raw).unwrap()
}

/// The shortest of a few hashes: no hash takes less.
async fn one_hash() -> Duration {
    let mut shortest = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        password("long enough").hash().await.unwrap();
        shortest = shortest.min(started.elapsed());
    }
    shortest
}

/// What `write` gave, and how long it held the writer's turn (all its turns
/// added up), with the hashing pool busy: [`HASHES_AHEAD`] hashes are queued
/// just before it. A write that hashes inside its turn then holds the turn
/// while its hash waits behind them too, several hashes long; one that
/// hashes first waits before its turn and holds it only to write.
async fn turn_held_by<T>(db: &DatabaseConnection, write: impl Future<Output = T>) -> (T, Duration) {
    let ahead: Vec<_> = (0..HASHES_AHEAD)
        .map(|_| tokio::spawn(async { password("keeps the pool busy").hash().await }))
        .collect();
    let before = write_turns(db).unwrap();
    let written = write.await;
    let held = write_turns(db).unwrap().since(&before).held;
    for hash in ahead {
        hash.await.unwrap().unwrap();
    }
    (written, held)
}

/// Hashes queued ahead of each write: a few per core of the hashing pool.
const HASHES_AHEAD: usize = 8;

/// A reset token for `identity_id`, as the mailer issues one (it is only in
/// the email).
async fn reset_token(db: &DatabaseConnection, identity_id: &str) -> String {
    let now = Utc::now();
    let reset = password_reset::ActiveModel {
        id: Set(format!("pwr_{identity_id}")),
        token_hash: Set(None),
        auth_identity_id: Set(identity_id.to_owned()),
        expires_at: Set(now + password_reset::TOKEN_LIFETIME),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .unwrap();
    password_reset::issue_token(db, &reset.id)
        .await
        .unwrap()
        .expect("a fresh reset gets its token")
        .token
}

#[tokio::test]
async fn every_write_of_a_new_password_hashes_before_taking_the_writers_turn() {
    on_every_backend(async |db| {
        if write_turns(&db).is_none() {
            return; // PostgreSQL queues its writers by row locks: no turn to hold.
        }
        let hash = one_hash().await;
        // Each write below stores one new hash; made inside the turn, it
        // would hold the turn behind the hashes queued ahead of it (eight,
        // at least two hashes long on any pool of up to four threads) and
        // its own. Written under heavy load, a commit alone took 13 ms of a
        // 15 ms hash: the bound leaves room for that.
        let under = hash * 2;
        let (identity, registering) = turn_held_by(
            &db,
            customers::register(&db, &email("ada@example.com"), &password("long enough")),
        )
        .await;
        let identity = identity.unwrap();
        let (signed_up, signing_up) = turn_held_by(
            &db,
            customers::sign_up(
                &db,
                &email("bob@example.com"),
                &password("long enough"),
                Profile::default(),
            ),
        )
        .await;
        signed_up.unwrap();
        let (created, creating) = turn_held_by(
            &db,
            admin_users::create(&db, &email("ops@example.com"), &password("long enough")),
        )
        .await;
        created.unwrap();
        let (changed, changing) = turn_held_by(
            &db,
            admin_users::upsert(
                &db,
                &email("ops@example.com"),
                &password("another password"),
            ),
        )
        .await;
        changed.unwrap();
        let token = reset_token(&db, &identity.id).await;
        let (reset, resetting) = turn_held_by(
            &db,
            password_reset::complete(
                &db,
                &token,
                &email("ada@example.com"),
                &password("a new password"),
            ),
        )
        .await;
        reset.unwrap();

        let held = [
            ("register", registering),
            ("sign_up", signing_up),
            ("admin create", creating),
            ("admin password change", changing),
            ("password reset", resetting),
        ];
        for (write, held) in held {
            assert!(
                held < under,
                "{write} held the writer's turn {held:?}; one hash takes {hash:?}"
            );
        }
        let signed_in = customers::authenticate(&db, "ada@example.com", "a new password").await;
        assert!(signed_in.is_ok(), "the reset password works");
    })
    .await;
}
