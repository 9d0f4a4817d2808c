//! The figures `/metrics` reports, from the database.

use chrono::{Duration, Utc};
use domain::{
    devices,
    events::{self, outbox_event},
    overview::operations,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;

use crate::on_every_backend;

#[tokio::test]
async fn machines_online_and_the_outbox_backlog_are_counted() {
    on_every_backend(async |db| {
        let now = Utc::now();
        let empty = operations::operations(&db, now).await.unwrap();
        assert_eq!((empty.machines, empty.machines_online), (0, 0));
        assert_eq!((empty.outbox_due, empty.outbox_lag_seconds), (0, 0.0));
        assert!(empty.open_sessions.is_empty());
        assert!(empty.settlement_seconds.is_empty());

        devices::register(&db, "vm-301", "Lobby").await.unwrap();
        devices::register(&db, "vm-302", "Gym").await.unwrap();
        devices::record_seen(&db, "vm-301", None, now)
            .await
            .unwrap();
        // One event due for 90 s, one not due yet.
        let waiting = events::emit(&db, "order.placed", &json!({})).await.unwrap();
        events::emit_after(&db, "order.placed", &json!({}), Duration::minutes(5))
            .await
            .unwrap();
        outbox_event::Entity::update_many()
            .col_expr(
                outbox_event::Column::AvailableAt,
                Expr::value(now - Duration::seconds(90)),
            )
            .filter(outbox_event::Column::Id.eq(waiting))
            .exec(&db)
            .await
            .unwrap();

        let figures = operations::operations(&db, now).await.unwrap();
        assert_eq!((figures.machines, figures.machines_online), (2, 1));
        assert_eq!(figures.outbox_due, 1, "the delayed event is not due");
        assert!(
            (89.0..=91.0).contains(&figures.outbox_lag_seconds),
            "{}",
            figures.outbox_lag_seconds
        );
        assert_eq!(figures.outbox_failed, 0);
    })
    .await;
}
