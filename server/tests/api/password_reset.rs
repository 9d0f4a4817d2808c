//! Medusa's password reset: `reset-password` mails a single-use link,
//! `update` sets the new password with its token.

use std::time::Duration;

use domain::{
    customers::password_reset::{self, PASSWORD_RESET},
    events::outbox_event,
};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use testkit::smtp::SmtpRecorder;

use crate::{
    Options, TestApp, customers::signed_up, eventually, log_capture::LogCapture, send_json,
    spawn_app,
};

const WITHIN: Duration = Duration::from_secs(15);

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> u16 {
    post(
        app,
        "/auth/customer/emailpass",
        json!({ "email": email, "password": password }),
    )
    .await
    .0
}

/// The reset link of the latest mail to `to`, its quoted-printable soft
/// breaks undone.
pub async fn reset_link(smtp: &SmtpRecorder, to: &str, count: usize) -> reqwest::Url {
    let mails = smtp.wait_for(to, count, WITHIN).await;
    assert_eq!(mails.len(), count, "{mails:?}");
    let data = mails[count - 1]
        .data
        .replace("=\r\n", "")
        .replace("=3D", "=");
    assert!(data.contains("Subject: Reset your password"), "{data}");
    let start = data
        .find("http://shop.example.com/account/reset-password?")
        .expect("a reset link");
    let link = data[start..].split_whitespace().next().unwrap();
    reqwest::Url::parse(link).unwrap()
}

pub fn token_of(link: &reqwest::Url) -> String {
    link.query_pairs()
        .find(|(k, _)| k == "token")
        .unwrap()
        .1
        .into_owned()
}

#[tokio::test]
async fn a_customer_resets_a_forgotten_password_once_with_the_mailed_link() {
    for backend in testkit::db_backends() {
        let smtp = SmtpRecorder::start().await;
        let app = spawn_app(Options {
            smtp_url: Some(smtp.url()),
            ..Options::on(backend)
        })
        .await;
        signed_up(&app, "forgetful@example.com").await;

        let (status, _) = post(
            &app,
            "/auth/customer/emailpass/reset-password",
            json!({ "identifier": "forgetful@example.com" }),
        )
        .await;
        assert_eq!(status, 201);
        // An unknown email gets the same answer and no mail.
        let (status, _) = post(
            &app,
            "/auth/customer/emailpass/reset-password",
            json!({ "identifier": "nobody@example.com" }),
        )
        .await;
        assert_eq!(status, 201);
        let link = reset_link(&smtp, "forgetful@example.com", 1).await;
        assert_eq!(
            link.query_pairs().find(|(k, _)| k == "email").unwrap().1,
            "forgetful@example.com"
        );
        let token = token_of(&link);

        // The token is for that email only.
        let wrong = json!({ "email": "other@example.com", "password": "a new secret" });
        let (status, body) = post(
            &app,
            &format!("/auth/customer/emailpass/update?token={token}"),
            wrong,
        )
        .await;
        assert_eq!(status, 401, "{body}");
        let short = json!({ "email": "forgetful@example.com", "password": "short" });
        let (status, body) = post(
            &app,
            &format!("/auth/customer/emailpass/update?token={token}"),
            short,
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert!(body["message"].as_str().unwrap().contains("8"), "{body}");

        let new = json!({ "email": "forgetful@example.com", "password": "a new secret" });
        let (status, body) = post(
            &app,
            &format!("/auth/customer/emailpass/update?token={token}"),
            new.clone(),
        )
        .await;
        assert_eq!((status, &body), (200, &json!({ "success": true })));
        assert_eq!(
            sign_in(&app, "forgetful@example.com", "a new secret").await,
            200
        );
        assert_eq!(
            sign_in(&app, "forgetful@example.com", "long enough").await,
            401
        );

        // Used once, never again.
        let (status, body) = post(
            &app,
            &format!("/auth/customer/emailpass/update?token={token}"),
            new.clone(),
        )
        .await;
        assert_eq!(status, 401, "{body}");

        // Later Medusa clients send the token as a bearer token.
        post(
            &app,
            "/auth/customer/emailpass/reset-password",
            json!({ "identifier": "forgetful@example.com" }),
        )
        .await;
        let token = token_of(&reset_link(&smtp, "forgetful@example.com", 2).await);
        let again = json!({ "email": "forgetful@example.com", "password": "third secret" });
        let request = app
            .client
            .post(app.url("/auth/customer/emailpass/update"))
            .bearer_auth(token)
            .json(&again);
        let (status, body) = send_json(request).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            sign_in(&app, "forgetful@example.com", "third secret").await,
            200
        );
    }
}

#[tokio::test]
async fn bad_reset_requests_are_explained() {
    let app = spawn_app(Options::on(testkit::DbBackend::Sqlite)).await;
    let (status, body) = post(
        &app,
        "/auth/customer/emailpass/reset-password",
        json!({ "identifier": "not an email" }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(&app, "/auth/customer/emailpass/reset-password", json!({})).await;
    assert_eq!(status, 400, "{body}");
    let new = json!({ "email": "a@example.com", "password": "long enough" });
    let (status, body) = post(&app, "/auth/customer/emailpass/update", new.clone()).await;
    assert_eq!(status, 401, "no token: {body}");
    assert!(
        body["message"].as_str().unwrap().contains("token"),
        "{body}"
    );
    let (status, body) = post(&app, "/auth/customer/emailpass/update?token=made-up", new).await;
    assert_eq!(status, 401, "{body}");
}

/// The reset token is in the mail and nowhere else: not in the outbox, not in
/// the database, not in the log (DEBUG included); and the mailed link works.
#[tokio::test]
async fn the_reset_token_is_in_the_mail_only() {
    for backend in testkit::db_backends() {
        let smtp = SmtpRecorder::start().await;
        let app = spawn_app(Options {
            smtp_url: Some(smtp.url()),
            ..Options::on(backend)
        })
        .await;
        signed_up(&app, "careful@example.com").await;
        let log = LogCapture::start();

        let (status, _) = post(
            &app,
            "/auth/customer/emailpass/reset-password",
            json!({ "identifier": "careful@example.com" }),
        )
        .await;
        assert_eq!(status, 201);
        let link = reset_link(&smtp, "careful@example.com", 1).await;
        let token = token_of(&link);

        let events = outbox_event::Entity::find().all(&app.db).await.unwrap();
        let reset = events
            .iter()
            .find(|event| event.name == PASSWORD_RESET)
            .expect("the reset is announced");
        let payload: Value = serde_json::from_str(&reset.payload).unwrap();
        assert_eq!(
            payload,
            json!({ "id": payload["id"] }),
            "only the reset's id"
        );
        for event in &events {
            assert!(!format!("{event:?}").contains(&token), "{event:?}");
        }
        for reset in password_reset::Entity::find().all(&app.db).await.unwrap() {
            assert!(!format!("{reset:?}").contains(&token), "{reset:?}");
        }

        // The link works, its page and the update that follows.
        let page = app
            .page(&format!("{}?{}", link.path(), link.query().unwrap()))
            .await;
        assert_eq!(page.status(), 200);
        let new = json!({ "email": "careful@example.com", "password": "a new secret" });
        let (status, body) = post(
            &app,
            &format!("/auth/customer/emailpass/update?token={token}"),
            new,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            sign_in(&app, "careful@example.com", "a new secret").await,
            200
        );
        log.assert_never_logged(&token, "the reset token");
    }
}

/// Without SMTP, mails are written to the log, the reset link without its token.
#[tokio::test]
async fn the_log_mailer_withholds_the_reset_link() {
    for backend in testkit::db_backends() {
        let app = spawn_app(Options::on(backend)).await;
        signed_up(&app, "watchful@example.com").await;
        let log = LogCapture::start();
        let (status, _) = post(
            &app,
            "/auth/customer/emailpass/reset-password",
            json!({ "identifier": "watchful@example.com" }),
        )
        .await;
        assert_eq!(status, 201);
        let logged_mail = || {
            log.lines().into_iter().find(|line| {
                line.contains("watchful@example.com") && line.contains("Reset your password")
            })
        };
        eventually(WITHIN, "the reset mail is logged", async || {
            logged_mail().is_some()
        })
        .await;
        let mail = logged_mail().unwrap();
        assert!(
            mail.contains("http://shop.example.com/account/reset-password?[redacted]"),
            "{mail}"
        );
        assert!(!mail.contains("token="), "{mail}");
        let issued = password_reset::Entity::find().all(&app.db).await.unwrap();
        assert!(
            issued.iter().all(|reset| reset.token_hash.is_some()),
            "the mail went out with a token: {issued:?}"
        );
    }
}
