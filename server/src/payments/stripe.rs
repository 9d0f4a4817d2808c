//! `pp_stripe_stripe`: payments through Stripe's PaymentIntents, with the
//! async-stripe client.
//!
//! Online, a payment session is a PaymentIntent the shopper confirms in the
//! browser with Stripe.js (`data.client_secret`, as Medusa's Stripe provider
//! hands it out); card data never reaches us. A vending hold is a
//! PaymentIntent confirmed at once, off-session, on the card the shopper
//! saved with their Stripe Customer. Intents are created with
//! `capture_method=manual`: our payments are authorized first and captured
//! when the order is fulfilled or the machine's sale settles.
//!
//! Every POST carries an `Idempotency-Key` made of our own ids (the payment
//! session or payment, the operation, the amounts), so a retry after a
//! timeout or a crash is answered with the first result instead of paying twice.

use std::{collections::HashMap, str::FromStr, time::Duration};

use async_trait::async_trait;
use domain::payments::{
    Initiation, Payer, PaymentProvider, ProviderError, ProviderOutcome, SavedCard,
};
use serde_json::{Value, json};
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_core::{
    PaymentIntent, PaymentIntentCaptureMethod, PaymentIntentStatus,
    customer::{CreateCustomer, ListPaymentMethodsCustomer, ListPaymentMethodsCustomerType},
    payment_intent::{
        CancelPaymentIntent, CapturePaymentIntent, CreatePaymentIntent,
        CreatePaymentIntentOffSession, RetrievePaymentIntent,
    },
    refund::CreateRefund,
    setup_intent::{CreateSetupIntent, CreateSetupIntentUsage},
};
use stripe_payment::payment_method::{DetachPaymentMethod, RetrievePaymentMethod};
use stripe_types::Currency;

pub const ID: &str = "pp_stripe_stripe";

/// How long one call to Stripe may take before it counts as unavailable
/// (the same call is retried later with the same key).
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and as whom to reach Stripe.
#[derive(Debug, Clone)]
pub struct StripeSettings {
    pub secret_key: String,
    pub publishable_key: Option<String>,
    /// `None`: Stripe itself. Tests point it at the local simulator.
    pub api_base: Option<String>,
}

pub struct StripeProvider {
    client: Client,
    publishable_key: Option<String>,
}

impl StripeProvider {
    pub fn new(settings: &StripeSettings) -> anyhow::Result<Self> {
        let mut builder = ClientBuilder::new(&settings.secret_key);
        if let Some(base) = &settings.api_base {
            builder = builder.url(base.as_str());
        }
        Ok(Self {
            client: builder.build()?,
            publishable_key: settings.publishable_key.clone(),
        })
    }

    async fn call<T>(
        &self,
        what: &str,
        request: impl Future<Output = Result<T, StripeError>>,
    ) -> Result<T, ProviderError> {
        match tokio::time::timeout(CALL_TIMEOUT, request).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => Err(refusal(what, e)),
            Err(_) => Err(ProviderError::Unavailable(format!(
                "Stripe did not answer within {} s ({what})",
                CALL_TIMEOUT.as_secs()
            ))),
        }
    }

    /// The newest card saved with the Stripe Customer `account`.
    async fn saved_card(&self, account: &str) -> Result<String, ProviderError> {
        let saved = self
            .call(
                "list saved cards",
                ListPaymentMethodsCustomer::new(account)
                    .limit(1)
                    .send(&self.client),
            )
            .await?;
        saved
            .data
            .first()
            .map(|pm| pm.id.as_str().to_owned())
            .ok_or_else(no_saved_card)
    }

    /// Whether the saved card `card_id` is `account`'s: Stripe lets the
    /// secret key use any customer's card, so whose it is is checked here.
    async fn own_card(&self, account: &str, card_id: &str) -> Result<bool, ProviderError> {
        let retrieve = RetrievePaymentMethod::new(card_id);
        let card = match tokio::time::timeout(CALL_TIMEOUT, retrieve.send(&self.client)).await {
            Ok(Ok(card)) => card,
            Ok(Err(StripeError::Stripe(_, 404))) => return Ok(false),
            Ok(Err(e)) => return Err(refusal("retrieve a saved card", e)),
            Err(_) => {
                return Err(ProviderError::Unavailable(
                    "Stripe did not answer (retrieve a saved card)".into(),
                ));
            }
        };
        Ok(card.customer.as_ref().map(|c| c.id().as_str()) == Some(account))
    }

    fn data(&self, intent: &PaymentIntent) -> Value {
        json!({
            "id": intent.id.as_str(),
            "client_secret": intent.client_secret,
            "status": intent.status.as_str(),
            "amount": intent.amount,
            "amount_capturable": intent.amount_capturable,
            "amount_received": intent.amount_received,
            "currency": intent.currency.to_string(),
            "publishable_key": self.publishable_key,
        })
    }
}

/// The most saved cards a customer is shown (Stripe's largest page).
const SAVED_CARDS_SHOWN: i64 = 100;

fn key(key: &str) -> Result<RequestStrategy, ProviderError> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| ProviderError::Unavailable(format!("idempotency key {key:?}: {e}")))
}

fn intent_id(data: &Value) -> Result<&str, ProviderError> {
    data["id"]
        .as_str()
        .filter(|id| id.starts_with("pi_"))
        .ok_or_else(|| {
            ProviderError::Unavailable("the payment names no Stripe PaymentIntent".into())
        })
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

/// Stripe's refusal, as a shopper or an admin can read it: a card error
/// (402) is a decline with Stripe's own message ("Your card was
/// declined."); other 4xx answers refuse the operation (Stripe's message
/// again); 5xx, 429, 409 (the same idempotency key still in progress, a
/// retry of ours racing the first call) and transport failures mean try
/// again later.
fn refusal(what: &str, error: StripeError) -> ProviderError {
    match error {
        StripeError::Stripe(api, status) if status < 500 && status != 429 && status != 409 => {
            let message = api.message.clone().unwrap_or_else(|| {
                api.code
                    .as_ref()
                    .map(|c| c.as_str().replace('_', " "))
                    .unwrap_or_else(|| "the payment was refused".into())
            });
            ProviderError::Declined(message)
        }
        other => ProviderError::Unavailable(format!("Stripe ({what}): {other}")),
    }
}

/// What an intent's state means for the payment.
fn outcome(intent: &PaymentIntent, data: Value) -> Result<ProviderOutcome, ProviderError> {
    match intent.status {
        PaymentIntentStatus::RequiresCapture | PaymentIntentStatus::Succeeded => {
            Ok(ProviderOutcome::Authorized(data))
        }
        PaymentIntentStatus::RequiresAction | PaymentIntentStatus::Processing => {
            Ok(ProviderOutcome::RequiresMore(data))
        }
        PaymentIntentStatus::Canceled => Err(ProviderError::Declined(
            "the payment was canceled; start the payment again".into(),
        )),
        PaymentIntentStatus::RequiresPaymentMethod | PaymentIntentStatus::RequiresConfirmation => {
            Err(ProviderError::Declined(
                match intent
                    .last_payment_error
                    .as_ref()
                    .and_then(|e| e.message.clone())
                {
                    Some(message) => message,
                    None => "the card has not been confirmed yet; enter your card details and pay"
                        .into(),
                },
            ))
        }
        _ => Err(ProviderError::Declined(format!(
            "the payment is {}",
            intent.status.as_str().replace('_', " ")
        ))),
    }
}

#[async_trait]
impl PaymentProvider for StripeProvider {
    fn id(&self) -> &'static str {
        ID
    }

    async fn initiate(&self, payment: &Initiation) -> Result<Value, ProviderError> {
        let currency = Currency::from_str(&payment.currency_code.to_lowercase())
            .unwrap_or_else(|never| match never {});
        let mut metadata = HashMap::from([("session_id".to_owned(), payment.session_id.clone())]);
        if let Some(cart_id) = &payment.cart_id {
            metadata.insert("cart_id".into(), cart_id.clone());
        }
        let mut create = CreatePaymentIntent::new(payment.amount, currency)
            .capture_method(PaymentIntentCaptureMethod::Manual)
            .metadata(metadata);
        if let Payer::Away { account, card } = &payment.payer {
            let account = account.as_deref().ok_or_else(no_saved_card)?;
            let card = match card {
                Some(chosen) if self.own_card(account, chosen).await? => chosen.clone(),
                Some(_) => return Err(not_your_card()),
                None => self.saved_card(account).await?,
            };
            create = create
                .customer(account)
                .payment_method(card)
                .off_session(CreatePaymentIntentOffSession::Bool(true))
                .confirm(true);
        }
        let strategy = key(&format!(
            "{}:initiate:{}:{}",
            payment.session_id, payment.amount, payment.currency_code
        ))?;
        let intent = self
            .call(
                "create a PaymentIntent",
                create
                    .customize()
                    .request_strategy(strategy)
                    .send(&self.client),
            )
            .await?;
        Ok(self.data(&intent))
    }

    async fn authorize(&self, data: &Value) -> Result<ProviderOutcome, ProviderError> {
        let intent = self
            .call(
                "retrieve a PaymentIntent",
                RetrievePaymentIntent::new(intent_id(data)?).send(&self.client),
            )
            .await?;
        outcome(&intent, self.data(&intent))
    }

    async fn capture(&self, data: &Value, amount: i64, key_: &str) -> Result<Value, ProviderError> {
        let intent = self
            .call(
                "capture a PaymentIntent",
                CapturePaymentIntent::new(intent_id(data)?)
                    .amount_to_capture(amount)
                    .customize()
                    .request_strategy(key(key_)?)
                    .send(&self.client),
            )
            .await?;
        Ok(self.data(&intent))
    }

    async fn refund(&self, data: &Value, amount: i64, key_: &str) -> Result<Value, ProviderError> {
        let id = intent_id(data)?;
        let refund = self
            .call(
                "refund a PaymentIntent",
                CreateRefund::new()
                    .payment_intent(id)
                    .amount(amount)
                    .customize()
                    .request_strategy(key(key_)?)
                    .send(&self.client),
            )
            .await?;
        let mut data = data.clone();
        data["last_refund"] = json!({ "id": refund.id.as_str(), "amount": refund.amount });
        Ok(data)
    }

    async fn cancel(&self, data: &Value, key_: &str) -> Result<Value, ProviderError> {
        let id = intent_id(data)?;
        let canceled = CancelPaymentIntent::new(id)
            .customize()
            .request_strategy(key(key_)?)
            .send(&self.client);
        match tokio::time::timeout(CALL_TIMEOUT, canceled).await {
            Ok(Ok(intent)) => Ok(self.data(&intent)),
            // Canceled already (by Stripe when a capture lapsed, or by an
            // earlier try): what cancel was for is done.
            Ok(Err(StripeError::Stripe(api, _)))
                if api
                    .payment_intent
                    .as_ref()
                    .is_some_and(|pi| pi.status == PaymentIntentStatus::Canceled) =>
            {
                let intent = api.payment_intent.expect("checked above");
                Ok(self.data(&intent))
            }
            Ok(Err(e)) => Err(refusal("cancel a PaymentIntent", e)),
            Err(_) => Err(ProviderError::Unavailable(
                "Stripe did not answer (cancel a PaymentIntent)".into(),
            )),
        }
    }

    fn confirmed_by_shopper(&self) -> bool {
        true
    }

    fn reference(&self, data: &Value) -> Option<String> {
        intent_id(data).ok().map(str::to_owned)
    }

    async fn create_account(
        &self,
        customer_id: &str,
        email: Option<&str>,
        key_: &str,
    ) -> Result<String, ProviderError> {
        let mut create = CreateCustomer::new().metadata(HashMap::from([(
            "customer_id".to_owned(),
            customer_id.to_owned(),
        )]));
        if let Some(email) = email {
            create = create.email(email);
        }
        let customer = self
            .call(
                "create a Customer",
                create
                    .customize()
                    .request_strategy(key(key_)?)
                    .send(&self.client),
            )
            .await?;
        Ok(customer.id.as_str().to_owned())
    }

    async fn start_saving_card(&self, account: &str, key_: &str) -> Result<Value, ProviderError> {
        let setup = self
            .call(
                "create a SetupIntent",
                CreateSetupIntent::new()
                    .customer(account)
                    .usage(CreateSetupIntentUsage::OffSession)
                    .customize()
                    .request_strategy(key(key_)?)
                    .send(&self.client),
            )
            .await?;
        Ok(json!({
            "id": setup.id.as_str(),
            "client_secret": setup.client_secret,
            "customer": account,
            "publishable_key": self.publishable_key,
        }))
    }

    async fn saved_cards(&self, account: &str) -> Result<Vec<SavedCard>, ProviderError> {
        let saved = self
            .call(
                "list saved cards",
                ListPaymentMethodsCustomer::new(account)
                    .type_(ListPaymentMethodsCustomerType::Card)
                    .limit(SAVED_CARDS_SHOWN)
                    .send(&self.client),
            )
            .await?;
        Ok(saved
            .data
            .into_iter()
            .filter_map(|pm| {
                let card = pm.card?;
                Some(SavedCard {
                    id: pm.id.as_str().to_owned(),
                    brand: card.display_brand.unwrap_or(card.brand),
                    last4: card.last4,
                    exp_month: card.exp_month,
                    exp_year: card.exp_year,
                })
            })
            .collect())
    }

    async fn remove_saved_card(&self, account: &str, card_id: &str) -> Result<bool, ProviderError> {
        // Stripe detaches any card the secret key can see: whose it is is
        // checked first, so that a customer can only remove their own.
        if !self.own_card(account, card_id).await? {
            return Ok(false);
        }
        self.call(
            "detach a saved card",
            DetachPaymentMethod::new(card_id).send(&self.client),
        )
        .await?;
        Ok(true)
    }
}
