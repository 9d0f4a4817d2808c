use async_trait::async_trait;
use serde_json::Value;

/// What a payment is for, handed to the provider when it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Initiation {
    /// Minor units.
    pub amount: i64,
    pub currency_code: String,
    /// Our id of this attempt (the payment session's): the provider keeps it
    /// with its payment, and a retried start reuses it as idempotency key.
    pub session_id: String,
    pub cart_id: Option<String>,
    pub payer: Payer,
    /// What the storefront sent with the session (Medusa's `data`), e.g. a
    /// Finix.js token; `None` for holds. Hostile input: providers check it.
    pub input: Option<Value>,
}

/// Who confirms the payment.
#[derive(Debug, Clone, PartialEq)]
pub enum Payer {
    /// The shopper, in the browser (Stripe.js with the client secret).
    Present,
    /// Nobody: the shopper is away (a vending hold), and a card saved with
    /// their account at the provider (a Stripe Customer, `None` when they
    /// have none) is held at once: `card` when they chose one (the provider
    /// checks it is theirs), else the newest.
    Away {
        account: Option<String>,
        card: Option<String>,
    },
}

/// What a payment provider (the built-in one, Stripe, …) must do. `Value` is
/// the provider's own data, stored with the session or payment and handed
/// back on the next call.
///
/// Every call that moves money gets a `key` derived from our own ids and the
/// amount: the same operation retried (after a timeout, a crash) carries the
/// same key, so the provider does it once.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Medusa-style id, e.g. `pp_system_default`, `pp_stripe_stripe`.
    fn id(&self) -> &'static str;
    async fn initiate(&self, payment: &Initiation) -> Result<Value, ProviderError>;
    async fn authorize(&self, data: &Value) -> Result<ProviderOutcome, ProviderError>;
    async fn capture(&self, data: &Value, amount: i64, key: &str) -> Result<Value, ProviderError>;
    async fn refund(&self, data: &Value, amount: i64, key: &str) -> Result<Value, ProviderError>;
    async fn cancel(&self, data: &Value, key: &str) -> Result<Value, ProviderError>;

    /// Whether the shopper confirms an online payment in the browser (Stripe:
    /// the card field of Stripe.js, with the session's `client_secret`)
    /// before the order can be placed; such a payment needs JavaScript.
    fn confirmed_by_shopper(&self) -> bool {
        false
    }

    /// Whether the shopper's browser turns the card into a token first
    /// (Finix.js), which the payment session is started with (`data.token`).
    fn tokenized_in_browser(&self) -> bool {
        false
    }

    /// The provider's own id of the payment in `data` (Stripe's
    /// PaymentIntent), by which its webhooks name it.
    fn reference(&self, _data: &Value) -> Option<String> {
        None
    }

    /// Opens an account for a customer at the provider (a Stripe Customer),
    /// which cards are saved to; its id. `key` makes a retry open no second one.
    async fn create_account(
        &self,
        _customer_id: &str,
        _email: Option<&str>,
        _key: &str,
    ) -> Result<String, ProviderError> {
        Err(ProviderError::Unavailable(format!(
            "{} keeps no saved cards",
            self.id()
        )))
    }

    /// Starts saving a card with `account`, for payments without the shopper
    /// (vending holds): what the browser needs to collect it (Stripe's
    /// SetupIntent `client_secret`).
    async fn start_saving_card(&self, _account: &str, _key: &str) -> Result<Value, ProviderError> {
        Err(ProviderError::Unavailable(format!(
            "{} keeps no saved cards",
            self.id()
        )))
    }

    /// Saves with `account` the card the browser tokenized (`token`, from
    /// Finix.js), for providers whose cards are saved by the server; the
    /// card as saved. Stripe saves cards in the browser instead.
    async fn save_card(&self, _account: &str, _token: &str) -> Result<SavedCard, ProviderError> {
        Err(ProviderError::Declined(format!(
            "{} saves cards in the browser, not from a token",
            self.id()
        )))
    }

    /// The cards saved with `account`, newest first.
    async fn saved_cards(&self, _account: &str) -> Result<Vec<SavedCard>, ProviderError> {
        Ok(Vec::new())
    }

    /// Removes the saved card `card_id` from `account`; `false` when
    /// `account` has no such card (another customer's card is never touched).
    async fn remove_saved_card(
        &self,
        _account: &str,
        _card_id: &str,
    ) -> Result<bool, ProviderError> {
        Ok(false)
    }
}

/// A card saved with a customer's account at a provider, as the shopper
/// recognises it (the provider keeps the number; we never see it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SavedCard {
    /// The provider's id (Stripe's `pm_…`).
    pub id: String,
    /// `visa`, `mastercard`, … as the provider names it.
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProviderOutcome {
    Authorized(Value),
    /// The shopper must do something first (3-D Secure, a redirect); the
    /// provider reports the result later (a webhook).
    RequiresMore(Value),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    #[error("declined: {0}")]
    Declined(String),
    #[error("unavailable: {0}")]
    Unavailable(String),
}
