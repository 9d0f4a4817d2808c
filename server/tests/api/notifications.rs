//! The notifications feed: every email the store sends is kept with how
//! sending it went (`GET /admin/notifications`), retries update it, and an
//! admin can send one again.

use std::time::Duration;

use reqwest::{Method, header::LOCATION};
use serde_json::{Value, json};
use testkit::smtp::SmtpRecorder;

use crate::{
    Options, TestApp, admin_json,
    admin_orders::place_order,
    customers::signed_up,
    eventually,
    loyalty_verification::{PHONE_E164, nth_code, on_every_db_with_sms, verified_cart},
    order_emails::{dead_smtp_url, order_placed_failed_and_released},
    spawn_app,
};

const WITHIN: Duration = Duration::from_secs(15);

async fn notifications(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, body) = admin_json(
        app,
        token,
        Method::GET,
        &format!("/admin/notifications{query}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn notification(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, body) = admin_json(
        app,
        token,
        Method::GET,
        &format!("/admin/notifications/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["notification"].clone()
}

#[tokio::test]
async fn a_failed_email_shows_as_failed_until_a_retry_sends_it_and_an_admin_can_resend_it() {
    for backend in testkit::db_backends() {
        let app = spawn_app(Options {
            smtp_url: Some(dead_smtp_url()),
            ..Options::on(backend)
        })
        .await;
        let order = place_order(&app, "feed@example.com", 1).await;
        let token = app.admin_token().await;
        eventually(WITHIN, "the failed confirmation in the feed", async || {
            notifications(&app, &token, "?status=failure").await["count"] == 1
        })
        .await;
        let failed = notifications(&app, &token, "?status=failure").await;
        let first = failed["notifications"][0].clone();
        assert_eq!(first["to"], "feed@example.com", "{first}");
        assert_eq!(first["channel"], "email");
        assert_eq!(first["template"], "order_confirmation");
        assert_eq!(first["trigger_type"], "order.placed");
        assert_eq!(
            (
                first["resource_type"].as_str(),
                first["resource_id"].as_str()
            ),
            (Some("order"), Some(order.as_str()))
        );
        assert_eq!(first["provider_id"], "smtp");
        assert_eq!(first["resendable"], true);
        assert_eq!(
            first["data"]["subject"],
            format!("Order confirmation {order}")
        );
        assert!(
            first["data"]["text"]
                .as_str()
                .unwrap()
                .contains("Sparkling Water"),
            "{first}"
        );
        assert!(
            first["error"].as_str().unwrap().contains("SMTP"),
            "the reason is kept: {first}"
        );
        assert!(first["sent_at"].is_null());
        let id = first["id"].as_str().unwrap().to_owned();

        order_placed_failed_and_released(&app).await;
        // The mail server is back: the outbox's retry sends it, and the
        // same record says so (one record per message, not per attempt).
        let smtp = SmtpRecorder::start().await;
        let app = app
            .restart(Options {
                smtp_url: Some(smtp.url()),
                ..Options::on(backend)
            })
            .await;
        assert_eq!(smtp.wait_for("feed@example.com", 1, WITHIN).await.len(), 1);
        eventually(WITHIN, "the record marked sent", async || {
            notification(&app, &token, &id).await["status"] == "success"
        })
        .await;
        let sent = notification(&app, &token, &id).await;
        assert!(sent["attempts"].as_i64().unwrap() >= 2, "{sent}");
        assert!(sent["error"].is_null(), "{sent}");
        assert!(sent["sent_at"].is_string(), "{sent}");
        let about_order = notifications(&app, &token, &format!("?resource_id={order}")).await;
        assert_eq!(about_order["count"], 1, "{about_order}");

        // The customer says it never came: send it again.
        let (status, resent) = admin_json(
            &app,
            &token,
            Method::POST,
            &format!("/admin/notifications/{id}/resend"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{resent}");
        let copy = resent["notification"].clone();
        assert_ne!(copy["id"], id.as_str());
        assert_eq!(copy["original_notification_id"], id.as_str());
        assert_eq!(copy["status"], "pending");
        let mails = smtp.wait_for("feed@example.com", 2, WITHIN).await;
        assert_eq!(mails.len(), 2, "{mails:?}");
        assert!(
            mails[1]
                .data
                .contains(&format!("Subject: Order confirmation {order}"))
        );
        let copy_id = copy["id"].as_str().unwrap().to_owned();
        eventually(WITHIN, "the resend marked sent", async || {
            notification(&app, &token, &copy_id).await["status"] == "success"
        })
        .await;

        // The page lists both, and its form (no JavaScript) resends too,
        // pointing at the first message rather than at the copy.
        app.sign_in().await;
        let page = app.page("/admin/notifications").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert_eq!(
            html.matches(r#"data-testid="notification-row""#).count(),
            2,
            "{html}"
        );
        assert!(
            html.contains(&format!("Order confirmation {order}")),
            "{html}"
        );
        assert!(
            html.contains(r#"action="/api/admin/notifications/resend""#),
            "{html}"
        );
        let posted = app
            .post_form("/api/admin/notifications/resend", &[("id", &copy_id)])
            .await;
        assert_eq!(
            posted.headers().get(LOCATION).and_then(|l| l.to_str().ok()),
            Some("/admin/notifications"),
        );
        assert_eq!(smtp.wait_for("feed@example.com", 3, WITHIN).await.len(), 3);
        let all = notifications(&app, &token, "").await;
        assert_eq!(all["count"], 3, "{all}");
        assert_eq!(
            all["notifications"][0]["original_notification_id"],
            id.as_str()
        );
        // From the order's page, its messages only.
        let order_page = app
            .page(&format!("/admin/orders/{order}"))
            .await
            .text()
            .await
            .unwrap();
        let messages = format!(r#"href="/admin/notifications?resource_id={order}""#);
        assert!(order_page.contains(&messages), "{order_page}");
        let about = app
            .page(&format!("/admin/notifications?resource_id={order}"))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(
            about.matches(r#"data-testid="notification-row""#).count(),
            3,
            "{about}"
        );
        let about_other = app
            .page("/admin/notifications?resource_id=order_other")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            about_other.contains("Nothing was sent about order_other"),
            "{about_other}"
        );
        let none_failed = app.page("/admin/notifications?status=failure").await;
        assert!(
            none_failed
                .text()
                .await
                .unwrap()
                .contains(r#"data-testid="notifications-empty""#)
        );
    }
}

#[tokio::test]
async fn a_mail_with_a_one_time_link_is_kept_without_the_secret_and_cannot_be_resent() {
    for backend in testkit::db_backends() {
        let smtp = SmtpRecorder::start().await;
        let app = spawn_app(Options {
            smtp_url: Some(smtp.url()),
            ..Options::on(backend)
        })
        .await;
        signed_up(&app, "secret@example.com").await;
        let asked = app
            .client
            .post(app.url("/auth/customer/emailpass/reset-password"))
            .json(&json!({ "identifier": "secret@example.com" }))
            .send()
            .await
            .unwrap();
        assert_eq!(asked.status(), 201);
        let link = crate::password_reset::reset_link(&smtp, "secret@example.com", 1).await;
        let token = app.admin_token().await;
        let has_reset = |listed: &Value| {
            listed["notifications"]
                .as_array()
                .is_some_and(|n| n.iter().any(|n| n["template"] == "password_reset"))
        };
        eventually(WITHIN, "the reset mail recorded as sent", async || {
            has_reset(&notifications(&app, &token, "?status=success").await)
        })
        .await;
        let listed = notifications(&app, &token, "?status=success").await;
        let reset = listed["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["template"] == "password_reset")
            .unwrap()
            .clone();
        let kept = reset["data"]["text"].as_str().unwrap();
        let secret = link.query().unwrap();
        assert!(!kept.contains(secret), "the token is not kept: {kept}");
        assert!(!kept.contains("token="), "{kept}");
        assert!(kept.contains("reset-password?[redacted]"), "{kept}");
        assert_eq!(reset["resendable"], false);
        let id = reset["id"].as_str().unwrap();
        let (status, refused) = admin_json(
            &app,
            &token,
            Method::POST,
            &format!("/admin/notifications/{id}/resend"),
            None,
        )
        .await;
        assert_eq!(status, 400, "{refused}");
        assert!(
            refused["message"]
                .as_str()
                .unwrap()
                .contains("one-time link"),
            "{refused}"
        );

        // Clear answers for what is not there or not a status.
        let (status, missing) = admin_json(
            &app,
            &token,
            Method::GET,
            "/admin/notifications/noti_missing",
            None,
        )
        .await;
        assert_eq!(status, 404, "{missing}");
        let (status, missing) = admin_json(
            &app,
            &token,
            Method::POST,
            "/admin/notifications/noti_missing/resend",
            None,
        )
        .await;
        assert_eq!(status, 404, "{missing}");
        let (status, bad) = admin_json(
            &app,
            &token,
            Method::GET,
            "/admin/notifications?status=lost",
            None,
        )
        .await;
        assert_eq!(status, 400, "{bad}");
        assert!(bad["message"].as_str().unwrap().contains("lost"), "{bad}");
        // Without a token, nothing.
        let anonymous = app
            .client
            .get(app.url("/admin/notifications"))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);
    }
}

/// The dispatcher hands an event over again after a crash that came between
/// sending its mail and recording the delivery: the feed knows the mail
/// went, so it is not sent twice.
#[tokio::test]
async fn a_delivery_repeated_after_its_mail_went_out_does_not_mail_again() {
    use domain::notifications::{self, Channel, Message, Prepared};
    for backend in testkit::db_backends() {
        let app = spawn_app(Options::on(backend)).await;
        let message = || Message {
            channel: Channel::Email,
            recipients: vec!["once@example.com".into()],
            template: "order_confirmation",
            trigger_type: "order.placed".into(),
            subject: "Order confirmation".into(),
            text: "Thank you".into(),
            html: None,
            resendable: true,
            resource: None,
            provider_id: "smtp",
        };
        let key = "evt_test:order-emails";
        let Prepared::Send(first) = notifications::prepare(&app.db, key, message())
            .await
            .unwrap()
        else {
            panic!("a new message is to be sent");
        };
        notifications::record_outcome(&app.db, &first.id, &Err("SMTP: refused".into()))
            .await
            .unwrap();
        let Prepared::Send(again) = notifications::prepare(&app.db, key, message())
            .await
            .unwrap()
        else {
            panic!("a failed message is to be sent again");
        };
        assert_eq!(again.id, first.id, "a retry updates the same record");
        notifications::record_outcome(&app.db, &first.id, &Ok(()))
            .await
            .unwrap();
        assert!(matches!(
            notifications::prepare(&app.db, key, message()).await.unwrap(),
            Prepared::AlreadySent(sent) if sent.id == first.id && sent.attempts == 2
        ));
    }
}

#[tokio::test]
async fn a_texted_loyalty_code_is_in_the_feed_without_the_code() {
    on_every_db_with_sms(async |app, sms| {
        let cart_id = crate::loyalty::cart(&app).await;
        verified_cart(&app, &sms, &cart_id).await;
        let code = nth_code(&sms, 1).await;
        let token = app.admin_token().await;
        let texts = notifications(&app, &token, "?channel=sms").await;
        assert_eq!(texts["count"], 1, "{texts}");
        let text = &texts["notifications"][0];
        assert_eq!(text["to"], PHONE_E164);
        assert_eq!(text["status"], "success");
        assert_eq!(text["provider_id"], "twilio");
        assert_eq!(text["resendable"], false);
        let kept = text["data"]["text"].as_str().unwrap();
        assert!(!kept.contains(&code), "the code is not kept: {kept}");
        assert!(kept.contains("[code]"), "{kept}");
    })
    .await;
}
