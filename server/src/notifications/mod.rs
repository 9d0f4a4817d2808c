//! What the store does when something happens: event subscribers fed by the
//! outbox [`Dispatcher`] (order, password-reset and invite emails, machine
//! receipts, loyalty), and the mailer.

mod receipts;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use domain::{
    admin_users::invites::{self, INVITE_CREATED, INVITE_RESENT, InviteSent},
    customers::password_reset::{self, PASSWORD_RESET, PasswordResetRequested},
    db::DatabaseConnection,
    events::{Dispatcher, Event, Subscriber},
    loyalty::{Loyalty, finalize::FinalizeOnOrderPlaced, sync::LoyaltySync},
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

    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), String> {
        self.send_to_all(&[to], subject, body).await
    }

    /// One message to every address in `to`.
    pub async fn send_to_all(
        &self,
        to: &[impl AsRef<str>],
        subject: &str,
        body: String,
    ) -> Result<(), String> {
        self.deliver(to, subject, body, None).await
    }

    /// A message with an HTML version beside its text (mail programs show
    /// the one they can).
    pub async fn send_with_html(
        &self,
        to: &str,
        subject: &str,
        text: String,
        html: String,
    ) -> Result<(), String> {
        self.deliver(&[to], subject, text, Some(html)).await
    }

    async fn deliver(
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

/// Emails the customer when their order is placed, canceled or shipped,
/// when a return of theirs is received (and refunded), and when its
/// payment could not be taken after all (a machine's sale whose capture
/// the card's bank refused).
pub struct OrderEmails {
    db: DatabaseConnection,
    mailer: Mailer,
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
        self.mailer.send(&to, &subject, body).await
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
        self.mailer
            .send(&to, &format!("Payment for your order {id} failed"), body)
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
    mailer: Mailer,
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
        self.mailer
            .send(&issued.email, "Reset your password", body)
            .await
    }
}

/// Emails an invited admin user the link that accepts their invite. As with
/// password resets, the token is issued here, as the mail goes out.
pub struct InviteEmails {
    db: DatabaseConnection,
    mailer: Mailer,
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
        self.mailer
            .send(&issued.email, "You are invited to the admin", body)
            .await
    }
}

/// Everything that acts on outbox events: order and password-reset emails,
/// loyalty finalize and keeping loyalty in step (links, balances, rewards,
/// caches). `public_url` is where shoppers reach the store.
pub fn subscribers(
    db: &DatabaseConnection,
    mailer: Mailer,
    loyalty: &Loyalty,
    public_url: &str,
) -> Vec<Arc<dyn Subscriber>> {
    vec![
        Arc::new(OrderEmails {
            db: db.clone(),
            mailer: mailer.clone(),
        }),
        Arc::new(receipts::MachineReceipts::new(db.clone(), mailer.clone())),
        Arc::new(InviteEmails {
            db: db.clone(),
            mailer: mailer.clone(),
            accept_page: format!(
                "{}{}",
                public_url.trim_end_matches('/'),
                app::admin::invite::ACCEPT_INVITE_PATH
            ),
        }),
        Arc::new(PasswordResetEmails {
            db: db.clone(),
            mailer,
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
