use serde_json::Value;

use crate::on_every_db;

#[tokio::test]
async fn live_and_ready() {
    on_every_db(async |app| {
        let live = app.client.get(app.url("/health")).send().await.unwrap();
        assert_eq!(live.status(), 200);
        // Ready once the gateway's subscriptions are confirmed, shortly after start.
        crate::eventually(
            std::time::Duration::from_secs(5),
            "the store is ready",
            async || {
                app.client
                    .get(app.url("/health/ready"))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    == 200
            },
        )
        .await;
        let body: Value = app
            .client
            .get(app.url("/health/ready"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["database"], "up");
        assert_eq!(body["broker"], "up");
    })
    .await;
}

#[tokio::test]
async fn not_ready_while_the_broker_is_unreachable() {
    // A broker URL where nothing listens: the database is fine, the broker is not.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut options = crate::Options::on(testkit::DbBackend::Sqlite);
    options.mqtt_url = Some(format!("mqtt://{closed}"));
    let app = crate::spawn_app(options).await;
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["database"], "up");
    assert_eq!(body["broker"], "down");
}
