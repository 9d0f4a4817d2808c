use chrono::Utc;
use domain::{
    DomainError,
    idempotency::{self, Begun, KEPT_FOR, KeyOwner, KeyScope, StoredResponse},
};

use crate::on_every_backend;

fn scope() -> KeyScope {
    KeyScope::new("test", KeyOwner::Customer("cus_1".into()))
}

#[tokio::test]
async fn keys_are_kept_for_a_day_after_their_first_use_then_forgotten() {
    on_every_backend(async |db| {
        for key in ["old", "young"] {
            assert!(matches!(
                idempotency::begin(&db, &scope(), key, "first request")
                    .await
                    .unwrap(),
                Begun::First
            ));
            let answer = StoredResponse {
                status: 200,
                body: "{}".into(),
            };
            idempotency::finish(&db, &scope(), key, &answer)
                .await
                .unwrap();
        }

        let nothing_old_yet = idempotency::forget_expired(&db, Utc::now()).await.unwrap();
        assert_eq!(nothing_old_yet, 0);
        let a_day_later = Utc::now() + KEPT_FOR + chrono::TimeDelta::seconds(1);
        let forgotten = idempotency::forget_expired(&db, a_day_later).await.unwrap();
        assert_eq!(forgotten, 2, "both keys are a day old by then");

        assert!(
            matches!(
                idempotency::begin(&db, &scope(), "old", "another request")
                    .await
                    .unwrap(),
                Begun::First
            ),
            "a forgotten key is free for a new request"
        );
    })
    .await;
}

#[tokio::test]
async fn a_key_is_its_owners_alone() {
    on_every_backend(async |db| {
        let answer = StoredResponse {
            status: 200,
            body: r#"{"secret":"the first owner's answer"}"#.into(),
        };
        let alice = KeyScope::new("test", KeyOwner::Customer("cus_alice".into()));
        assert!(matches!(
            idempotency::begin(&db, &alice, "k", "alice's cart cart_1")
                .await
                .unwrap(),
            Begun::First
        ));
        idempotency::finish(&db, &alice, "k", &answer)
            .await
            .unwrap();

        for other in [
            KeyScope::new("test", KeyOwner::Customer("cus_mallory".into())),
            KeyScope::new("test", KeyOwner::PublishableKey("cus_alice".into())),
        ] {
            let begun = idempotency::begin(&db, &other, "k", "alice's cart cart_1")
                .await
                .unwrap();
            assert!(
                matches!(begun, Begun::First),
                "the same key and request from {other:?} is another key: {begun:?}"
            );
        }

        let refused = idempotency::begin(&db, &alice, "k", "another cart").await;
        let Err(DomainError::Conflict(message)) = refused else {
            panic!("{refused:?}");
        };
        assert_eq!(
            message,
            "Idempotency-Key k was already used for another request; send a new key for this one"
        );
    })
    .await;
}
