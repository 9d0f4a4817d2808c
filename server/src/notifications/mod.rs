//! What the store does when something happens: event subscribers fed by the
//! outbox [`Dispatcher`] (order, password-reset and invite emails, machine
//! receipts, loyalty), the mailer, and the [`Notifier`] that sends each
//! message and keeps it in the admin's notifications feed.

mod receipts;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use domain::{
    admin_users::invites::{self, INVITE_CREATED, INVITE_RESENT, InviteSent},
    customers::password_reset::{self, PASSWORD_RESET, PasswordResetRequested},
    db::DatabaseConnection,
    events::{Dispatcher, Event, Subscriber},
    loyalty::{Loyalty, finalize::FinalizeOnOrderPlaced, sync::LoyaltySync},
    notifications::{self as feed, Channel, NOTIFICATION_RESEND, Prepared, Status, notification},
    orders::{self, ORDER_CANCELED, ORDER_PLACED, ORDER_SHIPPED, OrderDetail},
    payments::operations::{CaptureFailed, PAYMENT_CAPTURE_FAILED},
    returns::order_returns::{self, RETURN_RECEIVED},
};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};
use sea_orm::EntityTrait;

/// How often the dispatcher looks for new events when there were none.
const POLL_EVERY: Duration = Duration::from_millis(250);

/// Sends mail over SMTP, or writes it to the log when no server is configured.
#[derive(Clone)]
pub enum Mailer {
    Smtp(Box<SmtpSender>),
    Log,
}

#[derive(Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// Which carrier it is, as the notifications feed names it.
    pub fn provider_id(&self) -> &'static str {
        match self {
            Self::Smtp(_) => "smtp",
            Self::Log => "log",
        }
    }

    pub fn new(smtp_url: Option<&str>, from: &str) -> anyhow::Result<Self> {
        let Some(url) = smtp_url else {
            return Ok(Self::Log);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("AUTOMAT_SMTP_URL: {e}"))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|e| anyhow::anyhow!("AUTOMAT_MAIL_FROM {from:?}: {e}"))?;
        Ok(Self::Smtp(Box::new(SmtpSender { transport, from })))
    }

    /// One message to every address in `to`, with an HTML version beside
    /// its text when given (mail programs show the one they can).
    pub async fn deliver(
        &self,
        to: &[impl AsRef<str>],
        subject: &str,
        text: String,
        html: Option<String>,
    ) -> Result<(), String> {
        let SmtpSender { transport, from } = match self {
            Self::Log => {
                let to: Vec<&str> = to.iter().map(AsRef::as_ref).collect();
                let body = redact_links(&text);
                tracing::info!(?to, subject, body, "mail (no AUTOMAT_SMTP_URL set)");
                return Ok(());
            }
            Self::Smtp(sender) => sender.as_ref(),
        };
        let mut message = Message::builder().from(from.clone()).subject(subject);
        for to in to.iter().map(AsRef::as_ref) {
            let to: Mailbox = to.parse().map_err(|e| format!("recipient {to:?}: {e}"))?;
            message = message.to(to);
        }
        let message = match html {
            Some(html) => message.multipart(MultiPart::alternative_plain_html(text, html)),
            None => message.body(text),
        }
        .map_err(|e| e.to_string())?;
        transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| format!("SMTP: {e}"))
    }
}

/// `body` with each link's query and fragment cut off: a link may carry a
/// secret (a password reset token), and a log is read by more people than
/// the mail's recipient.
fn redact_links(body: &str) -> String {
    body.split_inclusive(char::is_whitespace)
        .map(|word| {
            let link_at = word.find("https://").or_else(|| word.find("http://"));
            match link_at.and_then(|at| word[at..].find(['?', '#']).map(|cut| at + cut)) {
                Some(cut) => {
                    let tail = &word[word.trim_end().len()..];
                    format!("{}?[redacted]{tail}", &word[..cut])
                }
                None => word.to_owned(),
            }
        })
        .collect()
}

/// Sends the store's messages (mail through the [`Mailer`], alert posts to
/// Slack) and keeps each in the notifications feed: recorded before it is
/// tried, its outcome after (see `domain::notifications`).
#[derive(Clone)]
pub struct Notifier {
    db: DatabaseConnection,
    mailer: Mailer,
    slack: Option<crate::alert_channels::Slack>,
}

/// A message for [`Notifier::email`].
pub struct Outgoing {
    /// Which message it is, e.g. `order_confirmation`.
    pub template: &'static str,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// What it is about, e.g. `("order", id)`.
    pub resource: Option<(&'static str, String)>,
    /// It carries a one-time link (a reset, an invite): the feed keeps it
    /// with the link's secret cut out, and it cannot be sent again.
    pub one_time_link: bool,
}

impl Notifier {
    pub fn new(
        db: DatabaseConnection,
        mailer: Mailer,
        slack: Option<crate::alert_channels::Slack>,
    ) -> Self {
        Self { db, mailer, slack }
    }

    pub fn has_slack(&self) -> bool {
        self.slack.is_some()
    }

    /// Mails `outgoing` to `to`, as `subscriber`'s delivery of `event`: a
    /// retry of that delivery updates the same record, and one that finds
    /// the mail already sent does not send it again.
    pub async fn email(
        &self,
        event: &Event,
        subscriber: &str,
        to: &[String],
        outgoing: Outgoing,
    ) -> Result<(), String> {
        let Outgoing {
            template,
            subject,
            text,
            html,
            resource,
            one_time_link,
        } = outgoing;
        let kept = feed::Message {
            channel: Channel::Email,
            recipients: to.to_vec(),
            template,
            trigger_type: event.name.clone(),
            subject: subject.clone(),
            text: if one_time_link {
                redact_links(&text)
            } else {
                text.clone()
            },
            html: html.clone().filter(|_| !one_time_link),
            resendable: !one_time_link,
            resource,
            provider_id: self.mailer.provider_id(),
        };
        self.record_and_send(
            event,
            subscriber,
            kept,
            self.mailer.deliver(to, &subject, text, html),
        )
        .await
    }

    /// Posts `text` to the alert webhook (nothing when none is configured).
    pub async fn post_to_slack(
        &self,
        event: &Event,
        subscriber: &str,
        text: String,
        resource: Option<(&'static str, String)>,
    ) -> Result<(), String> {
        let Some(slack) = &self.slack else {
            return Ok(());
        };
        let kept = feed::Message {
            channel: Channel::Slack,
            recipients: vec!["Slack".to_owned()],
            template: "alert",
            trigger_type: event.name.clone(),
            subject: text.clone(),
            text: text.clone(),
            html: None,
            resendable: true,
            resource,
            provider_id: "slack",
        };
        self.record_and_send(event, subscriber, kept, slack.post(&text))
            .await
    }

    async fn record_and_send(
        &self,
        event: &Event,
        subscriber: &str,
        message: feed::Message,
        send: impl Future<Output = Result<(), String>>,
    ) -> Result<(), String> {
        let key = format!("{}:{subscriber}", event.id);
        let record = match feed::prepare(&self.db, &key, message)
            .await
            .map_err(|e| e.to_string())?
        {
            Prepared::AlreadySent(_) => return Ok(()),
            Prepared::Send(record) => record,
        };
        let outcome = send.await;
        feed::record_outcome(&self.db, &record.id, &outcome)
            .await
            .map_err(|e| e.to_string())?;
        outcome
    }

    /// Sends a recorded notification again (an admin's resend).
    async fn send_again(&self, record: &notification::Model) -> Result<(), String> {
        let outcome = match record.channel {
            Channel::Email => {
                self.mailer
                    .deliver(
                        &record.recipients(),
                        &record.subject,
                        record.body_text.clone(),
                        record.body_html.clone(),
                    )
                    .await
            }
            Channel::Slack => match &self.slack {
                Some(slack) => slack.post(&record.body_text).await,
                None => {
                    Err("no Slack webhook is configured (AUTOMAT_ALERT_SLACK_WEBHOOK_URL)".into())
                }
            },
            // Texts are kept without their codes: never resendable.
            Channel::Sms => Err("a text message is not sent again".into()),
        };
        feed::record_outcome(&self.db, &record.id, &outcome)
            .await
            .map_err(|e| e.to_string())?;
        outcome
    }
}

/// Sends what an admin asked to send again: the new record
/// `domain::notifications::resend` made, once.
pub struct Resends {
    db: DatabaseConnection,
    notifier: Notifier,
}

#[async_trait]
impl Subscriber for Resends {
    fn name(&self) -> &'static str {
        "notification-resends"
    }

    fn wants(&self, event_name: &str) -> bool {
        event_name == NOTIFICATION_RESEND
    }

    async fn handle(&self, event: &Event) -> Result<(), String> {
        let payload: serde_json::Value =
            serde_json::from_str(&event.payload).map_err(|e| format!("payload: {e}"))?;
        let id = payload["id"]
            .as_str()
            .ok_or("payload without a notification id")?;
        let record = feed::find(&self.db, id).await.map_err(|e| e.to_string())?;
        if record.status == Status::Success {
            return Ok(());
        }
        self.notifier.send_again(&record).await
    }
}

/// Emails the customer when their order is placed, canceled or shipped,
/// when a return of theirs is received (and refunded), and when its
/// payment could not be taken after all (a machine's sale whose capture
/// the card's bank refused).
pub struct OrderEmails {
    db: DatabaseConnection,
    notifier: Notifier,
}

#[async_trait]
impl Subscriber for OrderEmails {
    fn name(&self) -> &'static str {
        "order-emails"
    }

    fn wants(&self, event_name: &str) -> bool {
        event_name == ORDER_PLACED
            || event_name == ORDER_CANCELED
            || event_name == ORDER_SHIPPED
            || event_name == RETURN_RECEIVED
            || event_name == PAYMENT_CAPTURE_FAILED
    }

    async fn handle(&self, event: &Event) -> Result<(), String> {
        if event.name == PAYMENT_CAPTURE_FAILED {
            return self.capture_failed(event).await;
        }
        let payload: serde_json::Value =
            serde_json::from_str(&event.payload).map_err(|e| format!("payload: {e}"))?;
        let id = payload["id"]
            .as_str()
            .ok_or("payload without an order id")?;
        let order = orders::find(&self.db, id)
            .await
            .map_err(|e| e.to_string())?;
        let Some(to) = order.order.email.clone() else {
            return Ok(());
        };
        let template = match event.name.as_str() {
            ORDER_CANCELED => "order_canceled",
            ORDER_SHIPPED => "order_shipped",
            RETURN_RECEIVED => "return_received",
            _ => "order_confirmation",
        };
        let (subject, body) = if event.name == ORDER_CANCELED {
            (
                format!("Your order {id} was canceled"),
                format!(
                    "Your order {id} was canceled. Whatever you paid is returned to you.\n\n{}",
                    summary(&order)
                ),
            )
        } else if event.name == ORDER_SHIPPED {
            let tracking = order
                .fulfillment
                .as_ref()
                .map(|f| {
                    [f.tracking_number.as_deref(), f.tracking_url.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .filter(|t| !t.is_empty())
                .map(|t| format!("Tracking: {t}\n\n"))
                .unwrap_or_default();
            (
                format!("Your order {id} is on its way"),
                format!(
                    "Your order {id} has been shipped.\n\n{tracking}{}",
                    summary(&order)
                ),
            )
        } else if event.name == RETURN_RECEIVED {
            let return_id = payload["return_id"]
                .as_str()
                .ok_or("payload without a return id")?;
            let received = order_returns::find(&self.db, return_id)
                .await
                .map_err(|e| e.to_string())?;
            let refund = app::components::format_money(
                received.order_return.refund_amount,
                &received.currency_code,
            );
            (
                format!("We received your return for order {id}"),
                format!(
                    "We received the items you sent back from order {id}. {refund} is refunded to your card; \
                     it can take a few days to show on your statement.\n\n{}",
                    summary(&order)
                ),
            )
        } else {
            (
                format!("Order confirmation {id}"),
                format!("Thank you for your order {id}.\n\n{}", summary(&order)),
            )
        };
        let mail = Outgoing {
            template,
            subject,
            text: body,
            html: None,
            resource: Some(("order", id.to_owned())),
            one_time_link: false,
        };
        self.notifier.email(event, self.name(), &[to], mail).await
    }
}

impl OrderEmails {
    async fn capture_failed(&self, event: &Event) -> Result<(), String> {
        let failed: CaptureFailed =
            serde_json::from_str(&event.payload).map_err(|e| format!("payload: {e}"))?;
        let Some(id) = &failed.order_id else {
            return Ok(());
        };
        let order = orders::find(&self.db, id)
            .await
            .map_err(|e| e.to_string())?;
        let Some(to) = self.recipient(&order).await? else {
            return Ok(());
        };
        let due = app::components::format_money(failed.amount, &failed.currency_code);
        let body = format!(
            "We could not take the payment of {due} for your order {id}: your card's bank refused it \
             ({}).\n\nNothing else is charged for now; we will be in touch about paying it. If your \
             card has changed, save the new one in your account.\n\n{}",
            failed.reason,
            summary(&order)
        );
        let mail = Outgoing {
            template: "payment_failed",
            subject: format!("Payment for your order {id} failed"),
            text: body,
            html: None,
            resource: Some(("order", id.clone())),
            one_time_link: false,
        };
        self.notifier
            .email(event, "order-emails", &[to], mail)
            .await
    }

    /// The order's email, or its customer's (a machine's sale has no email of its own).
    async fn recipient(&self, order: &OrderDetail) -> Result<Option<String>, String> {
        if let Some(email) = &order.order.email {
            return Ok(Some(email.clone()));
        }
        match &order.order.customer_id {
            Some(customer_id) => customer_email(&self.db, customer_id).await,
            None => Ok(None),
        }
    }
}

/// The customer's email; `None` for one since deleted.
async fn customer_email(
    db: &DatabaseConnection,
    customer_id: &str,
) -> Result<Option<String>, String> {
    Ok(domain::customers::customer::Entity::find_by_id(customer_id)
        .one(db)
        .await
        .map_err(|e| e.to_string())?
        .map(|c| c.email))
}

fn summary(order: &OrderDetail) -> String {
    let currency = &order.order.currency_code;
    let mut lines: Vec<String> = order
        .items
        .iter()
        .map(|i| {
            format!(
                "{} × {} — {}",
                i.quantity,
                i.title,
                app::components::format_money(i.unit_price, currency)
            )
        })
        .collect();
    lines.push(format!(
        "Total: {}",
        app::components::format_money(order.order.total, currency)
    ));
    lines.join("\n")
}

/// Emails a customer the link that sets a new password (Medusa leaves this
/// to a subscriber of `auth.password_reset` too). The event names the reset;
/// its token is issued here, as the mail goes out, and is nowhere else.
pub struct PasswordResetEmails {
    db: DatabaseConnection,
    notifier: Notifier,
    /// The storefront's reset page, absolute.
    reset_page: String,
}

#[async_trait]
impl Subscriber for PasswordResetEmails {
    fn name(&self) -> &'static str {
        "password-reset-emails"
    }

    fn wants(&self, event_name: &str) -> bool {
        event_name == PASSWORD_RESET
    }

    async fn handle(&self, event: &Event) -> Result<(), String> {
        let request: PasswordResetRequested =
            serde_json::from_str(&event.payload).map_err(|e| format!("payload: {e}"))?;
        let Some(issued) = password_reset::issue_token(&self.db, &request.id)
            .await
            .map_err(|e| e.to_string())?
        else {
            // Used or expired before its mail went out: nothing to send.
            return Ok(());
        };
        let mut link = reqwest::Url::parse(&self.reset_page).map_err(|e| e.to_string())?;
        link.query_pairs_mut()
            .append_pair("token", &issued.token)
            .append_pair("email", &issued.email);
        let minutes = password_reset::TOKEN_LIFETIME.num_minutes();
        let body = format!(
            "Someone asked to reset the password of your account.\n\n\
             Choose a new password here (the link works once, for {minutes} minutes):\n{link}\n\n\
             If it was not you, ignore this email: your password stays as it is."
        );
        let mail = Outgoing {
            template: "password_reset",
            subject: "Reset your password".to_owned(),
            text: body,
            html: None,
            resource: None,
            one_time_link: true,
        };
        self.notifier
            .email(event, self.name(), &[issued.email], mail)
            .await
    }
}

/// Emails an invited admin user the link that accepts their invite. As with
/// password resets, the token is issued here, as the mail goes out.
pub struct InviteEmails {
    db: DatabaseConnection,
    notifier: Notifier,
    /// The admin's accept page, absolute.
    accept_page: String,
}

#[async_trait]
impl Subscriber for InviteEmails {
    fn name(&self) -> &'static str {
        "invite-emails"
    }

    fn wants(&self, event_name: &str) -> bool {
        event_name == INVITE_CREATED || event_name == INVITE_RESENT
    }

    async fn handle(&self, event: &Event) -> Result<(), String> {
        let sent: InviteSent =
            serde_json::from_str(&event.payload).map_err(|e| format!("payload: {e}"))?;
        let Some(issued) = invites::issue_token(&self.db, &sent.id)
            .await
            .map_err(|e| e.to_string())?
        else {
            // Accepted, withdrawn or expired before its mail went out.
            return Ok(());
        };
        let mut link = reqwest::Url::parse(&self.accept_page).map_err(|e| e.to_string())?;
        link.query_pairs_mut().append_pair("token", &issued.token);
        let days = invites::LIFETIME.num_days();
        let body = format!(
            "You are invited to the store's admin as {role}.\n\n\
             Choose your name and password here (the link works once, for {days} days):\n{link}\n\n\
             If you did not expect this, ignore this email.",
            role = issued.role.name(),
        );
        let mail = Outgoing {
            template: "invite",
            subject: "You are invited to the admin".to_owned(),
            text: body,
            html: None,
            resource: Some(("invite", sent.id.clone())),
            one_time_link: true,
        };
        self.notifier
            .email(event, self.name(), &[issued.email], mail)
            .await
    }
}

/// Everything that acts on outbox events: order and password-reset emails,
/// resends, loyalty finalize and keeping loyalty in step (links, balances,
/// rewards, caches). `public_url` is where shoppers reach the store.
pub fn subscribers(
    db: &DatabaseConnection,
    notifier: &Notifier,
    loyalty: &Loyalty,
    public_url: &str,
) -> Vec<Arc<dyn Subscriber>> {
    vec![
        Arc::new(OrderEmails {
            db: db.clone(),
            notifier: notifier.clone(),
        }),
        Arc::new(receipts::MachineReceipts::new(db.clone(), notifier.clone())),
        Arc::new(Resends {
            db: db.clone(),
            notifier: notifier.clone(),
        }),
        Arc::new(InviteEmails {
            db: db.clone(),
            notifier: notifier.clone(),
            accept_page: format!(
                "{}{}",
                public_url.trim_end_matches('/'),
                app::admin::invite::ACCEPT_INVITE_PATH
            ),
        }),
        Arc::new(PasswordResetEmails {
            db: db.clone(),
            notifier: notifier.clone(),
            reset_page: format!(
                "{}{}",
                public_url.trim_end_matches('/'),
                app::storefront::RESET_PASSWORD_PATH
            ),
        }),
        Arc::new(FinalizeOnOrderPlaced::new(db.clone(), loyalty.clone())),
        Arc::new(LoyaltySync::new(db.clone(), loyalty.clone())),
    ]
}

/// How long the notifications feed keeps a message (with its body).
const KEEP_NOTIFICATIONS_FOR: chrono::TimeDelta = chrono::TimeDelta::days(90);

/// Forgets notifications older than [`KEEP_NOTIFICATIONS_FOR`], every `every`.
pub fn spawn_pruning(db: DatabaseConnection, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let before = chrono::Utc::now() - KEEP_NOTIFICATIONS_FOR;
            if let Err(e) = feed::prune(&db, before).await {
                tracing::warn!(error = %e, "cannot prune old notifications");
            }
        }
    });
}

/// Delivers outbox events to `subscribers` until the task is dropped.
pub fn dispatch_events(
    db: &DatabaseConnection,
    subscribers: Vec<Arc<dyn Subscriber>>,
) -> impl Future<Output = ()> + Send + 'static {
    Dispatcher::new(db.clone(), subscribers).run(POLL_EVERY)
}

#[cfg(test)]
mod tests {
    use super::redact_links;

    #[test]
    fn logged_links_lose_their_query_and_fragment() {
        let body = "Choose a new password here:\nhttp://shop.example.com/account/reset-password?token=abc&email=a%40b.c\n\nThanks";
        assert_eq!(
            redact_links(body),
            "Choose a new password here:\nhttp://shop.example.com/account/reset-password?[redacted]\n\nThanks"
        );
        assert_eq!(
            redact_links("(see https://x.example/p#secret) or https://x.example/plain"),
            "(see https://x.example/p?[redacted] or https://x.example/plain"
        );
        assert_eq!(redact_links("no link? none#here"), "no link? none#here");
    }
}
