//! `GET /metrics`: off without a token, only for its bearer, Prometheus' format.

use crate::{Options, spawn_app};

const TOKEN: &str = "prometheus-scrape-token-0123456789";

#[tokio::test]
async fn metrics_are_off_without_a_token() {
    let app = spawn_app(Options::on(testkit::DbBackend::Sqlite)).await;
    let response = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("AUTOMAT_METRICS_TOKEN"),
        "{body}"
    );
}

#[tokio::test]
async fn metrics_answer_only_their_bearer_in_prometheus_text() {
    for backend in testkit::db_backends() {
        let mut options = Options::on(backend);
        options.settings.metrics_token = Some(TOKEN.into());
        let app = spawn_app(options).await;
        let url = format!("{}/metrics", app.base);

        let anonymous = app.client.get(&url).send().await.unwrap();
        assert_eq!(anonymous.status(), 401);
        assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
        let wrong = app
            .client
            .get(&url)
            .bearer_auth("prometheus-scrape-token-0123456780")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);

        app.client
            .get(format!("{}/health", app.base))
            .send()
            .await
            .unwrap();
        let scraped = app
            .client
            .get(&url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(scraped.status(), 200);
        assert!(
            scraped.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        let text = scraped.text().await.unwrap();
        let value = |name: &str| -> f64 {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
                .unwrap_or_else(|| panic!("{name} in:\n{text}"))
                .parse()
                .unwrap()
        };
        // The /health request and the two refused scrapes, at least.
        assert!(value("automat_http_request_duration_seconds_count") >= 3.0);
        assert!(value("automat_http_requests_total{class=\"4xx\"}") >= 2.0);
        let machines = domain::devices::list(&app.db).await.unwrap();
        assert_eq!(value("automat_machines"), machines.len() as f64);
        assert!(value("automat_outbox_lag_seconds") >= 0.0);
        assert_eq!(value("automat_settlement_seconds_count"), 0.0);
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, number) = line.rsplit_once(' ').expect("name value");
            assert!(number.parse::<f64>().is_ok(), "a number: {line}");
        }
    }
}
