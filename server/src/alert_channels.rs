//! Notification channels for device alerts: outbox subscribers that deliver
//! each `alert.raised` to a Slack incoming webhook and to admins by email.
//! Each is its own subscriber, so a channel that fails is retried (with the
//! dispatcher's back-off) without repeating the ones that succeeded.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use domain::{
    alerts::{ALERT_RAISED, Raised},
    events::{Event, Subscriber},
};
use lettre::message::Mailbox;

use crate::{config::AlertSettings, notifications::Mailer};

/// How long the webhook may take to answer before the delivery counts as failed.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// The subscribers for the channels `settings` configure (none when unset).
pub fn subscribers(
    settings: &AlertSettings,
    mailer: &Mailer,
) -> anyhow::Result<Vec<Arc<dyn Subscriber>>> {
    let mut channels: Vec<Arc<dyn Subscriber>> = Vec::new();
    if let Some(url) = &settings.alert_slack_webhook_url {
        let url = reqwest::Url::parse(url)
            .map_err(|e| anyhow::anyhow!("AUTOMAT_ALERT_SLACK_WEBHOOK_URL: {e}"))?;
        channels.push(Arc::new(SlackWebhook {
            client: reqwest::Client::builder()
                .timeout(WEBHOOK_TIMEOUT)
                .build()?,
            url,
        }));
    }
    if !settings.alert_emails.is_empty() {
        for address in &settings.alert_emails {
            address
                .parse::<Mailbox>()
                .map_err(|e| anyhow::anyhow!("AUTOMAT_ALERT_EMAILS: {address:?}: {e}"))?;
        }
        channels.push(Arc::new(AlertEmails {
            mailer: mailer.clone(),
            to: settings.alert_emails.clone(),
        }));
    }
    Ok(channels)
}

fn raised(event: &Event) -> Result<Raised, String> {
    serde_json::from_str(&event.payload).map_err(|e| format!("alert payload: {e}"))
}

/// One line that says it all, for chat and subject lines.
fn headline(alert: &Raised) -> String {
    format!("[{}] {}: {}", alert.kind, alert.about(), alert.message)
}

/// Posts `{"text": …}` to a Slack incoming webhook.
struct SlackWebhook {
    client: reqwest::Client,
    url: reqwest::Url,
}

#[async_trait]
impl Subscriber for SlackWebhook {
    fn name(&self) -> &'static str {
        "alert-slack"
    }

    fn wants(&self, event_name: &str) -> bool {
        event_name == ALERT_RAISED
    }

    async fn handle(&self, event: &Event) -> Result<(), String> {
        let alert = raised(event)?;
        let response = self
            .client
            .post(self.url.clone())
            .json(&serde_json::json!({ "text": headline(&alert) }))
            .send()
            .await
            .map_err(|e| format!("Slack webhook: {e}"))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("Slack webhook answered {status}"))
        }
    }
}

/// Mails every alert to the configured admins, in one message.
struct AlertEmails {
    mailer: Mailer,
    to: Vec<String>,
}

#[async_trait]
impl Subscriber for AlertEmails {
    fn name(&self) -> &'static str {
        "alert-emails"
    }

    fn wants(&self, event_name: &str) -> bool {
        event_name == ALERT_RAISED
    }

    async fn handle(&self, event: &Event) -> Result<(), String> {
        let alert = raised(event)?;
        let body = format!(
            "{}\n\nAbout: {}\nKind: {}\nRaised: {}\nAlert: {}\n\nSee /admin/alerts to acknowledge it.",
            alert.message,
            alert.about(),
            alert.kind,
            alert.raised_at.format("%Y-%m-%d %H:%M:%S UTC"),
            alert.id,
        );
        self.mailer
            .send_to_all(&self.to, &format!("Alert: {}", headline(&alert)), body)
            .await
    }
}
