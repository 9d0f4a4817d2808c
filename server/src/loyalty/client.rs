//! The loyalty host over Conexxus-style JSON REST: OAuth2 client credentials
//! (the token is cached, refreshed ahead of its expiry, and once more when
//! the host answers 401), every call behind the circuit breaker and a timeout.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use async_trait::async_trait;
use domain::loyalty::host::{
    BasketLine, Calculation, Finalization, HostCredentials, HostError, LoyaltyHost, Member,
};
use reqwest::StatusCode;
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};

use super::breaker::CircuitBreaker;

/// Tokens are renewed once this share of their lifetime has passed.
const REFRESH_AT_SHARE: f64 = 0.8;

pub struct HttpLoyaltyHost {
    http: reqwest::Client,
    breaker: CircuitBreaker,
    timeout: Duration,
    /// By (base URL, client id, client secret): a changed config gets a new token.
    tokens: Mutex<HashMap<(String, String, String), CachedToken>>,
}

#[derive(Clone)]
struct CachedToken {
    access_token: String,
    refresh_at: Instant,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

#[derive(Deserialize, Default)]
struct HostProblem {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

impl HttpLoyaltyHost {
    pub fn new(breaker: CircuitBreaker, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .expect("a plain HTTP client builds");
        Self {
            http,
            breaker,
            timeout,
            tokens: Mutex::default(),
        }
    }

    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }

    fn cached_token(&self, credentials: &HostCredentials) -> Option<String> {
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens
            .get(&token_key(credentials))
            .filter(|t| t.refresh_at > Instant::now())
            .map(|t| t.access_token.clone())
    }

    async fn token(&self, credentials: &HostCredentials, fresh: bool) -> Result<String, HostError> {
        if !fresh && let Some(token) = self.cached_token(credentials) {
            return Ok(token);
        }
        let response = self
            .http
            .post(format!("{}/oauth2/token", credentials.base_url))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", credentials.client_id.as_str()),
                ("client_secret", credentials.client_secret.as_str()),
            ])
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        if matches!(status, StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED) {
            return Err(HostError::Unavailable(
                "the loyalty host refused the client credentials".into(),
            ));
        }
        if !status.is_success() {
            return Err(HostError::Unavailable(format!(
                "the token endpoint answered {status}"
            )));
        }
        let token: TokenResponse = response.json().await.map_err(unreadable)?;
        let lifetime = Duration::from_secs(token.expires_in).mul_f64(REFRESH_AT_SHARE);
        let cached = CachedToken {
            access_token: token.access_token,
            refresh_at: Instant::now() + lifetime,
        };
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token_key(credentials), cached.clone());
        Ok(cached.access_token)
    }

    /// One authorized call: behind the breaker, within the timeout, retried
    /// once with a fresh token when the host says the token expired.
    async fn call<T: DeserializeOwned>(
        &self,
        credentials: &HostCredentials,
        path: &str,
        body: Value,
    ) -> Result<T, HostError> {
        let attempt = async {
            let token = self.token(credentials, false).await?;
            let mut response = self.send(credentials, path, &body, &token).await?;
            if response.status() == StatusCode::UNAUTHORIZED {
                tracing::info!(host = %credentials.base_url, "loyalty token expired; refreshing");
                let token = self.token(credentials, true).await?;
                response = self.send(credentials, path, &body, &token).await?;
            }
            decode(response).await
        };
        self.breaker
            .run(&credentials.base_url, async {
                tokio::time::timeout(self.timeout, attempt)
                    .await
                    .unwrap_or_else(|_| {
                        Err(HostError::Unavailable(format!(
                            "no answer within {} ms",
                            self.timeout.as_millis()
                        )))
                    })
            })
            .await
    }

    async fn send(
        &self,
        credentials: &HostCredentials,
        path: &str,
        body: &Value,
        token: &str,
    ) -> Result<reqwest::Response, HostError> {
        self.http
            .post(format!("{}{path}", credentials.base_url))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .map_err(unreachable)
    }
}

fn token_key(credentials: &HostCredentials) -> (String, String, String) {
    (
        credentials.base_url.clone(),
        credentials.client_id.clone(),
        credentials.client_secret.clone(),
    )
}

fn unreachable(e: reqwest::Error) -> HostError {
    let what = if e.is_timeout() {
        "timed out"
    } else {
        "cannot be reached"
    };
    HostError::Unavailable(format!("the loyalty host {what}"))
}

fn unreadable(e: reqwest::Error) -> HostError {
    HostError::Unavailable(format!("the loyalty host's answer is unreadable: {e}"))
}

async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, HostError> {
    let status = response.status();
    if status.is_success() {
        return response.json().await.map_err(unreadable);
    }
    if status == StatusCode::UNAUTHORIZED {
        return Err(HostError::Unavailable(
            "the loyalty host refused a fresh token".into(),
        ));
    }
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        return Err(HostError::Unavailable(format!(
            "the loyalty host answered {status}"
        )));
    }
    let problem: HostProblem = response.json().await.unwrap_or_default();
    if problem.code == "MEMBER_NOT_FOUND" {
        return Err(HostError::MemberNotFound);
    }
    Err(HostError::Rejected(if problem.message.is_empty() {
        format!("the loyalty host answered {status}")
    } else {
        problem.message
    }))
}

#[async_trait]
impl LoyaltyHost for HttpLoyaltyHost {
    async fn identify(
        &self,
        credentials: &HostCredentials,
        phone: &str,
        pos_sequence_id: &str,
    ) -> Result<Member, HostError> {
        let body = json!({ "phone": phone, "posSequenceId": pos_sequence_id });
        self.call(credentials, "/loyalty/v1/members/identify", body)
            .await
    }

    async fn member(
        &self,
        credentials: &HostCredentials,
        phone: &str,
    ) -> Result<Member, HostError> {
        let body = json!({ "phone": phone });
        self.call(credentials, "/loyalty/v1/members/inquiry", body)
            .await
    }

    async fn calculate(
        &self,
        credentials: &HostCredentials,
        pos_sequence_id: &str,
        lines: &[BasketLine],
    ) -> Result<Calculation, HostError> {
        let body = json!({ "posSequenceId": pos_sequence_id, "lines": lines });
        self.call(credentials, "/loyalty/v1/rewards/calculate", body)
            .await
    }

    async fn finalize(
        &self,
        credentials: &HostCredentials,
        pos_sequence_id: &str,
        lines: &[BasketLine],
        applied_reward_ids: &[String],
    ) -> Result<Finalization, HostError> {
        let body = json!({
            "posSequenceId": pos_sequence_id,
            "lines": lines,
            "appliedRewardIds": applied_reward_ids,
        });
        self.call(credentials, "/loyalty/v1/transactions/finalize", body)
            .await
    }

    async fn cancel(
        &self,
        credentials: &HostCredentials,
        pos_sequence_id: &str,
    ) -> Result<(), HostError> {
        let path = format!("/loyalty/v1/transactions/{pos_sequence_id}/cancel");
        let _: Value = self.call(credentials, &path, json!({})).await?;
        Ok(())
    }

    /// A token in hand, or one the host hands out within the timeout; an
    /// open breaker answers no without asking.
    async fn reachable(&self, credentials: &HostCredentials) -> bool {
        self.breaker
            .run(&credentials.base_url, async {
                tokio::time::timeout(self.timeout, self.token(credentials, false))
                    .await
                    .unwrap_or_else(|_| Err(HostError::Unavailable("token timeout".into())))
            })
            .await
            .is_ok()
    }

    async fn forget(&self, base_url: &str) {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(url, _, _), _| url != base_url);
        self.breaker.reset(base_url).await;
    }
}
