use std::time::Duration;

use futures::StreamExt;
use reqwest::header::{LOCATION, SET_COOKIE};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, KeysInterface, Pool};

use crate::{ADMIN_EMAIL, Options, TestApp, on_every_db, spawn_app};

fn session_cookie(response: &reqwest::Response) -> String {
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("automat_session="))
        .expect("a session cookie is set")
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    cookie
}

async fn stored_sessions(db: &DatabaseConnection) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM web_sessions",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

fn session_id(cookie: &str) -> String {
    cookie
        .trim_start_matches("automat_session=")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn assert_redirects_to_login(app: &TestApp, path: &str) {
    let response = app.page(path).await;
    assert_eq!(
        response.status(),
        302,
        "{path} should redirect when signed out"
    );
    assert_eq!(
        response.headers()[LOCATION],
        format!("/admin/login?next={path}").as_str(),
        "back to {path} once signed in"
    );
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_login() {
    on_every_db(async |app| {
        assert_redirects_to_login(&app, "/admin").await;
        assert_redirects_to_login(&app, "/admin/devices").await;
        let login = app.page("/admin/login").await;
        assert_eq!(login.status(), 200);
        assert!(login.text().await.unwrap().contains("name=\"password\""));
        let devices = app
            .client
            .post(app.url("/api/admin/devices"))
            .send()
            .await
            .unwrap();
        assert!(
            !devices.status().is_success(),
            "device list needs a sign-in"
        );
    })
    .await;
}

#[tokio::test]
async fn wrong_credentials_are_refused_with_a_message() {
    on_every_db(async |app| {
        for (email, password) in [
            (ADMIN_EMAIL, "wrong password"),
            ("nobody@example.com", crate::ADMIN_PASSWORD),
        ] {
            let response = app
                .client
                .post(app.url("/api/admin/login"))
                .form(&[("email", email), ("password", password)])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 401);
            assert!(
                response
                    .text()
                    .await
                    .unwrap()
                    .contains("wrong email or password")
            );
        }
        assert_redirects_to_login(&app, "/admin").await;
    })
    .await;
}

#[tokio::test]
async fn sign_in_and_out_with_sessions_in_the_database() {
    on_every_db(async |app| {
        let response = app.sign_in().await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[LOCATION], "/admin/devices");
        let id = session_id(&session_cookie(&response));
        let page = app.page("/admin/devices").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains(ADMIN_EMAIL), "the signed-in admin is shown");
        assert!(
            html.contains(r#"data-testid="status-vm-001""#),
            "the demo machines are listed"
        );
        let stored = stored_sessions(&app.db).await;
        assert_eq!(stored, 1, "the session {id} lives in the database");

        let out = app
            .client
            .post(app.url("/api/admin/logout"))
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 200);
        assert_eq!(out.headers()[LOCATION], "/admin/login");
        assert_redirects_to_login(&app, "/admin/devices").await;
        assert_eq!(stored_sessions(&app.db).await, 0);
    })
    .await;
}

#[tokio::test]
async fn sessions_move_to_redis_when_configured() {
    let Some(redis_url) = testkit::redis_url() else {
        return;
    };
    let mut options = Options::on(testkit::DbBackend::Sqlite);
    options.redis_url = Some(redis_url.clone());
    let app = spawn_app(options).await;
    let response = app.sign_in().await;
    assert_eq!(response.status(), 200);
    let id = session_id(&session_cookie(&response));
    assert_eq!(app.page("/admin/devices").await.status(), 200);

    let redis = Pool::new(Config::from_url(&redis_url).unwrap(), None, None, None, 1).unwrap();
    redis.init().await.unwrap();
    let exists: i64 = redis.exists(id.as_str()).await.unwrap();
    assert_eq!(exists, 1, "session {id} is stored in Redis");
    assert_eq!(stored_sessions(&app.db).await, 0, "and not in the database");

    app.client
        .post(app.url("/api/admin/logout"))
        .send()
        .await
        .unwrap();
    let exists: i64 = redis.exists(id.as_str()).await.unwrap();
    assert_eq!(exists, 0, "signing out deletes it");
}

#[tokio::test]
async fn the_device_stream_needs_a_signed_in_admin() {
    let mut options = Options::on(testkit::DbBackend::Sqlite);
    options.simulated_machines = 1;
    let app = spawn_app(options).await;
    let refused = app
        .client
        .get(app.url(app::admin::devices::DEVICE_EVENTS_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    app.sign_in().await;
    let stream = app
        .client
        .get(app.url(app::admin::devices::DEVICE_EVENTS_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert_eq!(
        stream.headers()["x-accel-buffering"],
        "no",
        "a proxy passes each event on at once"
    );
    let mut body = stream.bytes_stream();
    let mut seen = String::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        while !seen.contains("vm-001") {
            seen.push_str(&String::from_utf8_lossy(
                &body.next().await.unwrap().unwrap(),
            ));
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "a snapshot of vm-001 arrives first; got {seen:?}"
    );
    assert!(seen.contains("event: device-status"), "{seen}");
}
