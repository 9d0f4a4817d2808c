//! `pp_finix`: payments through Finix's REST API (HTTP basic auth,
//! `Finix-Version`), with reqwest.
//!
//! Online, the storefront tokenizes the card with Finix.js and creates the
//! payment session with `data: {"token": "TK…"}`; the session opens a buyer
//! Identity and a payment instrument from the token (card data never reaches
//! us). Completing the cart creates the Authorization. A vending hold is an
//! Authorization on the newest enabled instrument of the shopper's Identity
//! (`payment_accounts`). Captures are `PUT /authorizations/{id}`
//! `capture_amount` (one per authorization, as Finix allows), releases
//! `void_me`, refunds reversals of the capture's transfer.
//!
//! Authorizations and reversals carry an `idempotency_id` made of our own
//! ids, so a retry is answered with the first result instead of paying
//! twice; a capture or void retried after it went through is recognized by
//! reading the authorization back. Our session id travels in the `tags` of
//! the authorization (Finix copies them onto the capture's transfer), which
//! is how webhooks name our payments (see `finix_webhook`).

use std::time::Duration;

use async_trait::async_trait;
use domain::payments::{
    Initiation, Payer, PaymentProvider, ProviderError, ProviderOutcome, SavedCard,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const ID: &str = "pp_finix";

/// The API version our requests are written against.
pub const FINIX_VERSION: &str = "2022-02-01";

/// How long one call to Finix may take before it counts as unavailable.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and as whom to reach Finix.
#[derive(Debug, Clone)]
pub struct FinixSettings {
    /// `https://finix.live-payments-api.com/` or the sandbox's; tests point
    /// it at the local simulator.
    pub api_base: String,
    pub username: String,
    pub password: String,
    /// The merchant our authorizations pay (`MU…`).
    pub merchant_id: String,
    /// The application Finix.js tokenizes for (`AP…`), handed to the browser.
    pub application_id: String,
}

pub struct FinixProvider {
    http: reqwest::Client,
    settings: FinixSettings,
}

impl FinixProvider {
    pub fn new(settings: &FinixSettings) -> anyhow::Result<Self> {
        let mut settings = settings.clone();
        if !settings.api_base.ends_with('/') {
            settings.api_base.push('/');
        }
        Ok(Self {
            http: reqwest::Client::builder().timeout(CALL_TIMEOUT).build()?,
            settings,
        })
    }

    /// One API call; Finix's error body becomes a [`ProviderError`].
    async fn call(
        &self,
        what: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ProviderError> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.settings.api_base))
            .basic_auth(&self.settings.username, Some(&self.settings.password))
            .header("Finix-Version", FINIX_VERSION);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| ProviderError::Unavailable(format!("Finix ({what}): {e}")))?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            Ok(answer)
        } else {
            Err(refusal(what, status, &answer))
        }
    }

    /// A GET of `path` (under the API base).
    pub(crate) async fn read(&self, what: &str, path: &str) -> Result<Value, ProviderError> {
        self.call(what, Method::GET, path, None).await
    }

    async fn authorization(&self, id: &str) -> Result<Value, ProviderError> {
        self.call(
            "read an authorization",
            Method::GET,
            &format!("authorizations/{id}"),
            None,
        )
        .await
    }

    /// The newest enabled card of the Identity `account`.
    /// Whether `card_id` is a card `account` saved and has not removed.
    async fn own_card(&self, account: &str, card_id: &str) -> Result<bool, ProviderError> {
        let instrument = match self
            .read(
                "read a saved card",
                &format!("payment_instruments/{card_id}"),
            )
            .await
        {
            Ok(instrument) => instrument,
            Err(ProviderError::Declined(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        Ok(instrument["identity"] == account && instrument["enabled"] == true)
    }

    async fn saved_card(&self, account: &str) -> Result<String, ProviderError> {
        let listed = self
            .call(
                "list saved cards",
                Method::GET,
                &format!("identities/{account}/payment_instruments?limit=20"),
                None,
            )
            .await?;
        listed["_embedded"]["payment_instruments"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| i["enabled"] == true)
            .and_then(|i| i["id"].as_str())
            .map(str::to_owned)
            .ok_or_else(no_saved_card)
    }
}

fn not_your_card() -> ProviderError {
    ProviderError::Declined(
        "that card is not one of your saved cards; choose one from the list".into(),
    )
}

fn no_saved_card() -> ProviderError {
    ProviderError::Declined(
        "no card is saved with your account yet; add one in your account first".into(),
    )
}

/// Finix's refusal, readable by a shopper or an admin: a decline (402)
/// with the processor's `failure_message`, other 4xx answers with Finix's
/// message; 5xx, 429, 409 and a refusal of our credentials mean try again
/// later (an operator must fix the last one, the shopper cannot).
fn refusal(what: &str, status: StatusCode, body: &Value) -> ProviderError {
    let error = &body["_embedded"]["errors"][0];
    let text = |key: &str| error[key].as_str().filter(|s| !s.is_empty());
    let message = text("failure_message")
        .or_else(|| text("message"))
        .unwrap_or("the payment was refused")
        .to_owned();
    if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::CONFLICT
    {
        ProviderError::Unavailable(format!("Finix ({what}): {status} {message}"))
    } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        ProviderError::Unavailable(format!(
            "Finix refused our credentials ({what}); check AUTOMAT_FINIX_USERNAME and AUTOMAT_FINIX_PASSWORD"
        ))
    } else {
        ProviderError::Declined(message)
    }
}

fn text<'a>(data: &'a Value, key: &str) -> Result<&'a str, ProviderError> {
    data[key]
        .as_str()
        .ok_or_else(|| ProviderError::Unavailable(format!("the Finix payment has no {key}")))
}

/// The id of the authorization's capture transfer, if it was captured.
fn capture_transfer(authorization: &Value) -> Option<&str> {
    authorization["transfer"].as_str()
}

/// Finix knows sessions by our id in the authorization's tags.
fn with_authorization(data: &Value, authorization: &Value) -> Value {
    let mut data = data.clone();
    data["authorization"] = authorization["id"].clone();
    data["state"] = authorization["state"].clone();
    data["is_void"] = authorization["is_void"].clone();
    if let Some(transfer) = capture_transfer(authorization) {
        data["transfer"] = json!(transfer);
    }
    data
}

#[async_trait]
impl PaymentProvider for FinixProvider {
    fn id(&self) -> &'static str {
        ID
    }

    fn tokenized_in_browser(&self) -> bool {
        true
    }

    /// Opens the instrument the session pays with; the authorization waits
    /// for [`authorize`](Self::authorize), when the cart is completed.
    async fn initiate(&self, payment: &Initiation) -> Result<Value, ProviderError> {
        let (identity, instrument) = match &payment.payer {
            Payer::Away { account, card } => {
                let account = account.as_deref().ok_or_else(no_saved_card)?;
                let card = match card {
                    Some(chosen) if self.own_card(account, chosen).await? => chosen.clone(),
                    Some(_) => return Err(not_your_card()),
                    None => self.saved_card(account).await?,
                };
                (account.to_owned(), card)
            }
            Payer::Present => {
                let token = payment
                    .input
                    .as_ref()
                    .and_then(|input| input["token"].as_str())
                    .filter(|t| t.starts_with("TK") && t.len() <= 64)
                    .ok_or_else(|| {
                        ProviderError::Declined(
                            "enter your card details first: the payment session needs the Finix.js token (data.token)".into(),
                        )
                    })?;
                let identity = self
                    .call(
                        "create a buyer identity",
                        Method::POST,
                        "identities",
                        Some(json!({
                            "entity": {},
                            "tags": { "session_id": payment.session_id },
                        })),
                    )
                    .await?;
                let identity = text(&identity, "id")?.to_owned();
                let instrument = self
                    .call(
                        "create a payment instrument",
                        Method::POST,
                        "payment_instruments",
                        Some(json!({
                            "type": "TOKEN",
                            "token": token,
                            "identity": identity,
                        })),
                    )
                    .await?;
                (identity, text(&instrument, "id")?.to_owned())
            }
        };
        Ok(json!({
            "id": payment.session_id,
            "identity": identity,
            "instrument": instrument,
            "amount": payment.amount,
            "currency": payment.currency_code.to_uppercase(),
            "cart_id": payment.cart_id,
            "application_id": self.settings.application_id,
        }))
    }

    async fn authorize(&self, data: &Value) -> Result<ProviderOutcome, ProviderError> {
        let session_id = text(data, "id")?;
        let mut tags = json!({ "session_id": session_id });
        if let Some(cart_id) = data["cart_id"].as_str() {
            tags["cart_id"] = json!(cart_id);
        }
        let authorization = self
            .call(
                "create an authorization",
                Method::POST,
                "authorizations",
                Some(json!({
                    "merchant": self.settings.merchant_id,
                    "source": text(data, "instrument")?,
                    "amount": data["amount"].as_i64().ok_or_else(|| {
                        ProviderError::Unavailable("the Finix payment has no amount".into())
                    })?,
                    "currency": text(data, "currency")?,
                    // The same session authorizes once, however often asked.
                    "idempotency_id": format!("{session_id}:authorize"),
                    "tags": tags,
                })),
            )
            .await?;
        match authorization["state"].as_str() {
            Some("SUCCEEDED") => Ok(ProviderOutcome::Authorized(with_authorization(
                data,
                &authorization,
            ))),
            Some("PENDING") => Ok(ProviderOutcome::RequiresMore(with_authorization(
                data,
                &authorization,
            ))),
            _ => Err(ProviderError::Declined(
                authorization["failure_message"]
                    .as_str()
                    .unwrap_or("the card was declined")
                    .to_owned(),
            )),
        }
    }

    /// Finix captures an authorization once, so a retry of ours (Finix
    /// answers "already captured") is recognized by reading it back.
    async fn capture(&self, data: &Value, amount: i64, _key: &str) -> Result<Value, ProviderError> {
        let id = text(data, "authorization")?;
        let captured = self
            .call(
                "capture an authorization",
                Method::PUT,
                &format!("authorizations/{id}"),
                Some(json!({ "capture_amount": amount })),
            )
            .await;
        let authorization = match captured {
            Ok(authorization) => authorization,
            Err(ProviderError::Declined(message)) => {
                let authorization = self.authorization(id).await?;
                if capture_transfer(&authorization).is_none() {
                    return Err(ProviderError::Declined(message));
                }
                authorization
            }
            Err(e) => return Err(e),
        };
        let mut data = with_authorization(data, &authorization);
        data["captured"] = json!(amount);
        Ok(data)
    }

    async fn refund(&self, data: &Value, amount: i64, key: &str) -> Result<Value, ProviderError> {
        let transfer = match data["transfer"].as_str() {
            Some(transfer) => transfer.to_owned(),
            None => {
                let authorization = self.authorization(text(data, "authorization")?).await?;
                capture_transfer(&authorization)
                    .ok_or_else(|| {
                        ProviderError::Declined(
                            "nothing was captured, so nothing is refunded".into(),
                        )
                    })?
                    .to_owned()
            }
        };
        let reversal = self
            .call(
                "refund a transfer",
                Method::POST,
                &format!("transfers/{transfer}/reversals"),
                Some(json!({
                    "refund_amount": amount,
                    "idempotency_id": key,
                    "tags": { "session_id": text(data, "id")? },
                })),
            )
            .await?;
        let mut data = data.clone();
        data["transfer"] = json!(transfer);
        data["last_refund"] = json!({ "id": reversal["id"], "amount": reversal["amount"] });
        Ok(data)
    }

    async fn cancel(&self, data: &Value, _key: &str) -> Result<Value, ProviderError> {
        let Some(id) = data["authorization"].as_str() else {
            // Never authorized: nothing is held.
            return Ok(data.clone());
        };
        let voided = self
            .call(
                "void an authorization",
                Method::PUT,
                &format!("authorizations/{id}"),
                Some(json!({ "void_me": true })),
            )
            .await;
        match voided {
            Ok(authorization) => Ok(with_authorization(data, &authorization)),
            Err(ProviderError::Declined(message)) => {
                // Voided already (an earlier try), or declined at the start:
                // what cancel was for is done.
                let authorization = self.authorization(id).await?;
                if authorization["is_void"] == true || authorization["state"] != "SUCCEEDED" {
                    Ok(with_authorization(data, &authorization))
                } else {
                    Err(ProviderError::Declined(message))
                }
            }
            Err(e) => Err(e),
        }
    }

    fn reference(&self, data: &Value) -> Option<String> {
        data["id"].as_str().map(str::to_owned)
    }

    /// A buyer Identity tagged with our customer id. Finix keeps no
    /// idempotency for identities: two first attempts at once may open two,
    /// of which `payment_accounts` keeps the first.
    async fn create_account(
        &self,
        customer_id: &str,
        email: Option<&str>,
        _key: &str,
    ) -> Result<String, ProviderError> {
        let identity = self
            .call(
                "create a buyer identity",
                Method::POST,
                "identities",
                Some(json!({
                    "entity": { "email": email },
                    "tags": { "customer_id": customer_id },
                })),
            )
            .await?;
        Ok(text(&identity, "id")?.to_owned())
    }

    /// What Finix.js needs to tokenize a card for the Identity `account`.
    async fn start_saving_card(&self, account: &str, _key: &str) -> Result<Value, ProviderError> {
        Ok(json!({
            "identity": account,
            "application_id": self.settings.application_id,
        }))
    }

    /// A Payment Instrument of the Identity `account` from a Finix.js token
    /// (Finix uses a token once, so a retry cannot save the card twice).
    async fn save_card(&self, account: &str, token: &str) -> Result<SavedCard, ProviderError> {
        let instrument = self
            .call(
                "save a card",
                Method::POST,
                "payment_instruments",
                Some(json!({ "type": "TOKEN", "token": token, "identity": account })),
            )
            .await?;
        card_of(&instrument).ok_or_else(|| {
            ProviderError::Unavailable("Finix answered a card without its details".into())
        })
    }

    /// The enabled cards of the Identity `account`, newest first.
    async fn saved_cards(&self, account: &str) -> Result<Vec<SavedCard>, ProviderError> {
        let listed = self
            .read(
                "list saved cards",
                &format!("identities/{account}/payment_instruments?limit=20"),
            )
            .await?;
        Ok(listed["_embedded"]["payment_instruments"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["enabled"] == true)
            .filter_map(card_of)
            .collect())
    }

    /// Disables the instrument (Finix deletes none) if it is `account`'s.
    async fn remove_saved_card(&self, account: &str, card_id: &str) -> Result<bool, ProviderError> {
        if !self.own_card(account, card_id).await? {
            return Ok(false);
        }
        self.call(
            "remove a saved card",
            Method::PUT,
            &format!("payment_instruments/{card_id}"),
            Some(json!({ "enabled": false })),
        )
        .await?;
        Ok(true)
    }
}

/// A Finix Payment Instrument as a saved card.
fn card_of(instrument: &Value) -> Option<SavedCard> {
    Some(SavedCard {
        id: instrument["id"].as_str()?.to_owned(),
        brand: instrument["brand"]
            .as_str()
            .unwrap_or("card")
            .to_ascii_lowercase(),
        last4: instrument["last_four"].as_str()?.to_owned(),
        exp_month: instrument["expiration_month"].as_i64()?,
        exp_year: instrument["expiration_year"].as_i64()?,
    })
}
