//! The event outbox running in the server: order emails reach an SMTP server.

use std::time::Duration;

use reqwest::Method;
use server::notifications::{self, Mailer};
use testkit::smtp::SmtpRecorder;

use crate::{Options, admin_orders::place_order, send_json, spawn_app};

const WITHIN: Duration = Duration::from_secs(15);

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
        let other = tokio::spawn(notifications::dispatch_events(
            &app.db,
            notifications::subscribers(&app.db, mailer, &app.loyalty),
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
