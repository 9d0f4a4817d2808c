//! The event outbox running in the server: order emails reach an SMTP server.

use std::time::Duration;

use reqwest::Method;
use server::notifications::{self, Mailer, Notifier};
use testkit::smtp::SmtpRecorder;

use sea_orm::{ConnectionTrait, Statement};

use crate::{Options, TestApp, admin_orders::place_order, eventually, send_json, spawn_app};

const WITHIN: Duration = Duration::from_secs(15);

/// An SMTP URL nothing listens on: mail to it fails at once.
pub fn dead_smtp_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("smtp://{}", listener.local_addr().unwrap())
}

/// Waits until the one `order.placed` event has failed a delivery and no
/// dispatcher holds it (a server restarted now need not wait out a claim).
pub async fn order_placed_failed_and_released(app: &TestApp) {
    eventually(WITHIN, "a failed delivery attempt, released", async || {
        let failed = Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM outbox_events \
             WHERE name = 'order.placed' AND attempts > 0 AND claimed_by IS NULL AND processed_at IS NULL",
        );
        let row = app.db.query_one_raw(failed).await.unwrap().unwrap();
        row.try_get::<i64>("", "n").unwrap() == 1
    })
    .await;
}

#[tokio::test]
async fn customers_are_mailed_when_their_order_is_placed_and_canceled() {
    for backend in testkit::db_backends() {
        let smtp = SmtpRecorder::start().await;
        let app = spawn_app(Options {
            smtp_url: Some(smtp.url()),
            ..Options::on(backend)
        })
        .await;
        let order = place_order(&app, "mail@example.com", 2).await;
        let mails = smtp.wait_for("mail@example.com", 1, WITHIN).await;
        assert_eq!(mails.len(), 1, "{mails:?}");
        assert_eq!(mails[0].from, "orders@example.com");
        assert!(
            mails[0]
                .data
                .contains(&format!("Subject: Order confirmation {order}"))
        );
        // The body is quoted-printable (it has "×" and "€"); its ASCII words read as sent.
        assert!(
            mails[0].data.contains("Sparkling Water"),
            "{}",
            mails[0].data
        );
        assert!(mails[0].data.contains("Total: "), "{}", mails[0].data);

        let token = app.admin_token().await;
        let cancel = format!("/admin/orders/{order}/cancel");
        let (status, _) = send_json(app.admin(Method::POST, &cancel, &token)).await;
        assert_eq!(status, 200);
        let mails = smtp.wait_for("mail@example.com", 2, WITHIN).await;
        assert_eq!(mails.len(), 2, "{mails:?}");
        assert!(
            mails[1]
                .data
                .contains(&format!("Subject: Your order {order} was canceled"))
        );
    }
}

#[tokio::test]
async fn a_second_dispatcher_on_the_same_database_never_mails_twice() {
    for backend in testkit::db_backends() {
        let smtp = SmtpRecorder::start().await;
        let app = spawn_app(Options {
            smtp_url: Some(smtp.url()),
            ..Options::on(backend)
        })
        .await;
        // Another server instance polling the same outbox.
        let mailer = Mailer::new(Some(&smtp.url()), "Automat <orders@example.com>").unwrap();
        let notifier = Notifier::new(app.db.clone(), mailer, None);
        let other = tokio::spawn(notifications::dispatch_events(
            &app.db,
            notifications::subscribers(&app.db, &notifier, &app.loyalty, "http://shop.example.com"),
        ));
        let shoppers: Vec<String> = (0..4).map(|n| format!("shopper{n}@example.com")).collect();
        for shopper in &shoppers {
            place_order(&app, shopper, 1).await;
        }
        for shopper in &shoppers {
            assert_eq!(smtp.wait_for(shopper, 1, WITHIN).await.len(), 1);
        }
        // Time for a duplicate to show up, were there one.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(smtp.mails().len(), shoppers.len(), "{:?}", smtp.mails());
        other.abort();
    }
}

/// The server dies after the order committed and before its email went out:
/// the next server on the same database sends it, once.
#[tokio::test]
async fn an_order_committed_before_a_crash_is_mailed_after_the_restart() {
    for backend in testkit::db_backends() {
        let dead_smtp = dead_smtp_url();
        let app = spawn_app(Options {
            smtp_url: Some(dead_smtp),
            ..Options::on(backend)
        })
        .await;
        let order = place_order(&app, "crash@example.com", 1).await;
        // Killed once a delivery has failed and nothing holds the event, so
        // the next server need not wait out a claim.
        order_placed_failed_and_released(&app).await;
        let smtp = SmtpRecorder::start().await;
        let app = app
            .restart(Options {
                smtp_url: Some(smtp.url()),
                ..Options::on(backend)
            })
            .await;
        let mails = smtp.wait_for("crash@example.com", 1, WITHIN).await;
        assert_eq!(mails.len(), 1, "{mails:?}");
        assert!(
            mails[0]
                .data
                .contains(&format!("Subject: Order confirmation {order}"))
        );
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            smtp.wait_for("crash@example.com", 1, WITHIN).await.len(),
            1,
            "sent once"
        );
        drop(app);
    }
}

#[tokio::test]
async fn customers_are_mailed_when_their_order_ships_and_their_return_is_received() {
    for backend in testkit::db_backends() {
        let smtp = SmtpRecorder::start().await;
        let app = spawn_app(Options {
            smtp_url: Some(smtp.url()),
            ..Options::on(backend)
        })
        .await;
        let order = place_order(&app, "track@example.com", 2).await;
        smtp.wait_for("track@example.com", 1, WITHIN).await;
        let token = app.admin_token().await;
        let (status, fulfilled) = crate::admin_json(
            &app,
            &token,
            Method::POST,
            &format!("/admin/orders/{order}/fulfillments"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{fulfilled}");
        let fulfillment = fulfilled["order"]["fulfillments"][0]["id"]
            .as_str()
            .unwrap();
        let item = fulfilled["order"]["items"][0]["id"].as_str().unwrap();
        let (status, _) = crate::admin_json(
            &app,
            &token,
            Method::POST,
            &format!("/admin/orders/{order}/fulfillments/{fulfillment}/shipments"),
            Some(serde_json::json!({ "labels": [{ "tracking_number": "TRACK-9" }] })),
        )
        .await;
        assert_eq!(status, 200);
        let mails = smtp.wait_for("track@example.com", 2, WITHIN).await;
        assert!(
            mails[1]
                .data
                .contains(&format!("Subject: Your order {order} is on its way")),
            "{}",
            mails[1].data
        );
        assert!(mails[1].data.contains("TRACK-9"), "{}", mails[1].data);

        let (status, asked) = crate::admin_json(
            &app,
            &token,
            Method::POST,
            "/admin/returns",
            Some(
                serde_json::json!({ "order_id": order, "items": [{ "id": item, "quantity": 1 }] }),
            ),
        )
        .await;
        assert_eq!(status, 200, "{asked}");
        let return_id = asked["return"]["id"].as_str().unwrap();
        let (status, received) = crate::admin_json(
            &app,
            &token,
            Method::POST,
            &format!("/admin/returns/{return_id}/receive"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{received}");
        let mails = smtp.wait_for("track@example.com", 3, WITHIN).await;
        assert!(
            mails[2].data.contains(&format!(
                "Subject: We received your return for order {order}"
            )),
            "{}",
            mails[2].data
        );
        assert!(mails[2].data.contains("refunded"), "{}", mails[2].data);
    }
}
