//! Notification channels for device alerts: outbox subscribers that deliver
//! each `alert.raised` to a Slack incoming webhook and to admins by email.
//! Each is its own subscriber, so a channel that fails is retried (with the
//! dispatcher's back-off) without repeating the ones that succeeded; each
//! message is kept in the notifications feed by the [`Notifier`].

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use domain::{
    alerts::{ALERT_RAISED, Raised},
    events::{Event, Subscriber},
};
use lettre::message::Mailbox;

use crate::{
    config::AlertSettings,
    notifications::{Notifier, Outgoing},
};

/// How long the webhook may take to answer before the delivery counts as failed.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// A Slack incoming webhook: posts `{"text": …}`.
#[derive(Clone)]
pub struct Slack {
    client: reqwest::Client,
    url: reqwest::Url,
}

impl Slack {
    /// The webhook `settings` name, if any.
    pub fn from_settings(settings: &AlertSettings) -> anyhow::Result<Option<Self>> {
        let Some(url) = &settings.alert_slack_webhook_url else {
            return Ok(None);
        };
        let url = reqwest::Url::parse(url)
            .map_err(|e| anyhow::anyhow!("AUTOMAT_ALERT_SLACK_WEBHOOK_URL: {e}"))?;
        Ok(Some(Self {
            client: reqwest::Client::builder()
                .timeout(WEBHOOK_TIMEOUT)
                .build()?,
            url,
        }))
    }

    pub async fn post(&self, text: &str) -> Result<(), String> {
        let response = self
            .client
            .post(self.url.clone())
            .json(&serde_json::json!({ "text": text }))
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

/// The subscribers for the channels `settings` configure (none when unset).
pub fn subscribers(
    settings: &AlertSettings,
    notifier: &Notifier,
) -> anyhow::Result<Vec<Arc<dyn Subscriber>>> {
    let mut channels: Vec<Arc<dyn Subscriber>> = Vec::new();
    if notifier.has_slack() {
        channels.push(Arc::new(SlackAlerts {
            notifier: notifier.clone(),
        }));
    }
    if !settings.alert_emails.is_empty() {
        for address in &settings.alert_emails {
            address
                .parse::<Mailbox>()
                .map_err(|e| anyhow::anyhow!("AUTOMAT_ALERT_EMAILS: {address:?}: {e}"))?;
        }
        channels.push(Arc::new(AlertEmails {
            notifier: notifier.clone(),
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

/// Posts each alert's headline to the Slack webhook.
struct SlackAlerts {
    notifier: Notifier,
}

#[async_trait]
impl Subscriber for SlackAlerts {
    fn name(&self) -> &'static str {
        "alert-slack"
    }

    fn wants(&self, event_name: &str) -> bool {
        event_name == ALERT_RAISED
    }

    async fn handle(&self, event: &Event) -> Result<(), String> {
        let alert = raised(event)?;
        self.notifier
            .post_to_slack(
                event,
                self.name(),
                headline(&alert),
                Some(("alert", alert.id.clone())),
            )
            .await
    }
}

/// Mails every alert to the configured admins, in one message.
struct AlertEmails {
    notifier: Notifier,
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
        let mail = Outgoing {
            template: "alert",
            subject: format!("Alert: {}", headline(&alert)),
            text: body,
            html: None,
            resource: Some(("alert", alert.id.clone())),
            one_time_link: false,
        };
        self.notifier
            .email(event, self.name(), &self.to, mail)
            .await
    }
}
