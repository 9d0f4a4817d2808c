//! Text messages: a Twilio-style REST client (`POST
//! {base}/2010-04-01/Accounts/{sid}/Messages.json`, form-encoded, basic auth
//! with the account sid and token), or the log when no provider is
//! configured, so a development store shows its one-time codes there.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use domain::loyalty::verification::{SmsError, SmsSender};
use serde::Deserialize;

use crate::config::SmsSettings;

/// The sender `settings` ask for: the provider when an account is set,
/// the log otherwise. An account without its token or number is refused.
pub fn sender(settings: &SmsSettings) -> anyhow::Result<Arc<dyn SmsSender>> {
    let Some(account_sid) = settings.sms_account_sid.clone() else {
        return Ok(Arc::new(LogSms));
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
    Ok(Arc::new(RestSms {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?,
        base_url,
        account_sid,
        auth_token,
        from,
    }))
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
