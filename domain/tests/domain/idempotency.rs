use chrono::Utc;
use domain::idempotency::{self, Begun, KEPT_FOR, StoredResponse};

use crate::on_every_backend;

#[tokio::test]
async fn keys_are_kept_for_a_day_after_their_first_use_then_forgotten() {
    on_every_backend(async |db| {
        for key in ["old", "young"] {
            assert!(matches!(
                idempotency::begin(&db, "test", key, "first request")
                    .await
                    .unwrap(),
                Begun::First
            ));
            let answer = StoredResponse {
                status: 200,
                body: "{}".into(),
            };
            idempotency::finish(&db, "test", key, &answer)
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
                idempotency::begin(&db, "test", "old", "another request")
                    .await
                    .unwrap(),
                Begun::First
            ),
            "a forgotten key is free for a new request"
        );
    })
    .await;
}
