//! Text messages: a Twilio-style REST client (`POST
//! {base}/2010-04-01/Accounts/{sid}/Messages.json`, form-encoded, basic auth
//! with the account sid and token), or the log when no provider is
//! configured, so a development store shows its one-time codes there.
//! Every message is kept in the notifications feed, its code cut out.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use domain::{
    db::DatabaseConnection,
    loyalty::verification::{SmsError, SmsSender},
    notifications::{self, Channel, Message, Prepared},
};
use serde::Deserialize;

use crate::config::SmsSettings;

/// The sender `settings` ask for: the provider when an account is set,
/// the log otherwise, each message kept in `db`'s notifications feed. An
/// account without its token or number is refused.
pub fn sender(
    settings: &SmsSettings,
    db: &DatabaseConnection,
) -> anyhow::Result<Arc<dyn SmsSender>> {
    let (carrier, provider_id): (Arc<dyn SmsSender>, _) = match carrier(settings)? {
        Some(rest) => (Arc::new(rest), "twilio"),
        None => (Arc::new(LogSms), "log"),
    };
    Ok(Arc::new(Recorded {
        carrier,
        provider_id,
        db: db.clone(),
    }))
}

/// The provider `settings` name, if any.
fn carrier(settings: &SmsSettings) -> anyhow::Result<Option<RestSms>> {
    let Some(account_sid) = settings.sms_account_sid.clone() else {
        return Ok(None);
    };
    let (Some(auth_token), Some(from)) =
        (settings.sms_auth_token.clone(), settings.sms_from.clone())
    else {
        anyhow::bail!(
            "AUTOMAT_SMS_ACCOUNT_SID is set: AUTOMAT_SMS_AUTH_TOKEN and AUTOMAT_SMS_FROM are needed too"
        );
    };
    let base_url = settings.sms_url.trim_end_matches('/').to_owned();
    if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
        anyhow::bail!("AUTOMAT_SMS_URL must be an http:// or https:// URL");
    }
    Ok(Some(RestSms {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?,
        base_url,
        account_sid,
        auth_token,
        from,
    }))
}

/// Sends through `carrier` and keeps each message in the notifications
/// feed: recorded before it goes, its outcome after. What is kept has its
/// code cut out, so it cannot be sent again.
struct Recorded {
    carrier: Arc<dyn SmsSender>,
    provider_id: &'static str,
    db: DatabaseConnection,
}

#[async_trait]
impl SmsSender for Recorded {
    async fn send(&self, to: &str, body: &str) -> Result<(), SmsError> {
        let kept = Message {
            channel: Channel::Sms,
            recipients: vec![to.to_owned()],
            template: "loyalty_code",
            trigger_type: "loyalty.code_requested".to_owned(),
            subject: "Loyalty code".to_owned(),
            text: without_codes(body),
            html: None,
            resendable: false,
            resource: None,
            provider_id: self.provider_id,
        };
        // Each text is its own message: nothing retries it under the same key.
        let key = domain::ids::new_id("sms");
        let record = match notifications::prepare(&self.db, &key, kept).await {
            Ok(Prepared::Send(record) | Prepared::AlreadySent(record)) => record,
            Err(e) => return Err(SmsError(format!("cannot record the message: {e}"))),
        };
        let outcome = self.carrier.send(to, body).await;
        let recorded = outcome.clone().map_err(|e| e.to_string());
        if let Err(e) = notifications::record_outcome(&self.db, &record.id, &recorded).await {
            tracing::warn!(error = %e, notification = %record.id, "cannot record how an SMS went");
        }
        outcome
    }
}

/// `body` with every run of four or more digits (a one-time code) replaced.
fn without_codes(body: &str) -> String {
    let mut kept = String::with_capacity(body.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, kept: &mut String| {
        if digits.len() >= 4 {
            kept.push_str("[code]");
        } else {
            kept.push_str(digits);
        }
        digits.clear();
    };
    for c in body.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut kept);
            kept.push(c);
        }
    }
    flush(&mut digits, &mut kept);
    kept
}

/// Writes each message to the log (no provider configured).
pub struct LogSms;

#[async_trait]
impl SmsSender for LogSms {
    async fn send(&self, to: &str, body: &str) -> Result<(), SmsError> {
        tracing::info!(to, body, "SMS (no AUTOMAT_SMS_ACCOUNT_SID set)");
        Ok(())
    }
}

/// Twilio's Messages API, or any provider speaking it.
pub struct RestSms {
    http: reqwest::Client,
    base_url: String,
    account_sid: String,
    auth_token: String,
    from: String,
}

/// What the provider says when it refuses a message.
#[derive(Deserialize, Default)]
struct Problem {
    #[serde(default)]
    message: String,
}

#[async_trait]
impl SmsSender for RestSms {
    async fn send(&self, to: &str, body: &str) -> Result<(), SmsError> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.base_url, self.account_sid
        );
        let response = self
            .http
            .post(url)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&[("To", to), ("From", self.from.as_str()), ("Body", body)])
            .send()
            .await
            .map_err(|e| SmsError(format!("the SMS provider cannot be reached ({e})")))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let problem: Problem = response.json().await.unwrap_or_default();
        Err(SmsError(format!(
            "the SMS provider answered {status}: {}",
            problem.message
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::without_codes;

    #[test]
    fn kept_messages_lose_their_codes_but_not_short_numbers() {
        assert_eq!(
            without_codes("Your loyalty code is 123456. It works for 10 minutes."),
            "Your loyalty code is [code]. It works for 10 minutes."
        );
        assert_eq!(without_codes("4821"), "[code]");
        assert_eq!(without_codes("no code, 3 tries"), "no code, 3 tries");
    }
}
