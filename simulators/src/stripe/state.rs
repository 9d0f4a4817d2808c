//! The simulator's account: every object, rendered as Stripe renders it, and
//! the events its changes raise.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::{
    cards::{self, Behavior},
    error::ApiError,
    params::Params,
};
use crate::ids;

/// Who called: a secret key, or a publishable key (Stripe.js in a browser).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Secret,
    Publishable,
}

/// What an operation knows of the request it serves.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub caller: Caller,
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
    /// The simulator's own address with a trailing slash, for URLs it hands
    /// out (3-D Secure pages).
    pub base_url: String,
    /// The request's `Stripe-Version`, or the account's.
    pub api_version: String,
}

#[derive(Debug, Clone)]
pub struct Card {
    pub number: String,
    pub brand: &'static str,
    pub funding: &'static str,
    pub country: &'static str,
    pub exp_month: i64,
    pub exp_year: i64,
    pub behavior: Behavior,
}

impl Card {
    pub fn last4(&self) -> &str {
        &self.number[self.number.len().saturating_sub(4)..]
    }

    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(self.number.as_bytes());
        hex::encode(&digest[..8])
    }
}

#[derive(Debug, Clone)]
pub struct PaymentMethod {
    pub id: String,
    pub seq: u64,
    pub created: i64,
    pub card: Card,
    pub billing_details: Value,
    pub customer: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// Authenticated for off-session use (a SetupIntent or a payment with
    /// `setup_future_usage` went through with it).
    pub set_up_off_session: bool,
    /// Used for a payment without being attached to a customer: Stripe
    /// refuses to use such a PaymentMethod again.
    pub consumed: bool,
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub id: String,
    pub created: i64,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub default_payment_method: Option<String>,
    pub deleted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PiStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    RequiresCapture,
    Succeeded,
    Canceled,
}

impl PiStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PiStatus::RequiresPaymentMethod => "requires_payment_method",
            PiStatus::RequiresConfirmation => "requires_confirmation",
            PiStatus::RequiresAction => "requires_action",
            PiStatus::RequiresCapture => "requires_capture",
            PiStatus::Succeeded => "succeeded",
            PiStatus::Canceled => "canceled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureMethod {
    Automatic,
    AutomaticAsync,
    Manual,
}

impl CaptureMethod {
    pub fn parse(s: &str) -> Self {
        match s {
            "manual" => CaptureMethod::Manual,
            "automatic_async" => CaptureMethod::AutomaticAsync,
            _ => CaptureMethod::Automatic,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CaptureMethod::Automatic => "automatic",
            CaptureMethod::AutomaticAsync => "automatic_async",
            CaptureMethod::Manual => "manual",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PaymentIntent {
    pub id: String,
    pub seq: u64,
    pub created: i64,
    pub client_secret: String,
    pub amount: i64,
    pub currency: String,
    pub status: PiStatus,
    pub capture_method: CaptureMethod,
    /// `manual`: after 3-D Secure the server confirms again.
    pub manual_confirmation: bool,
    pub customer: Option<String>,
    pub payment_method: Option<String>,
    pub payment_method_types: Vec<String>,
    pub automatic_payment_methods: bool,
    pub metadata: BTreeMap<String, String>,
    pub description: Option<String>,
    pub receipt_email: Option<String>,
    pub statement_descriptor_suffix: Option<String>,
    pub setup_future_usage: Option<String>,
    pub shipping: Option<Value>,
    pub amount_capturable: i64,
    pub amount_received: i64,
    pub latest_charge: Option<String>,
    pub last_payment_error: Option<Value>,
    pub next_action: Option<Value>,
    pub canceled_at: Option<i64>,
    pub cancellation_reason: Option<String>,
    /// The attempt in flight is off-session (the customer is not present).
    pub off_session: bool,
    /// 3-D Secure completed for the current payment method.
    pub authenticated: bool,
    /// A test hook expired the authorization: capturing fails.
    pub authorization_expired: bool,
    /// Where the shopper returns after a 3-D Secure redirect.
    pub return_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Succeeded,
    Canceled,
}

impl SiStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SiStatus::RequiresPaymentMethod => "requires_payment_method",
            SiStatus::RequiresConfirmation => "requires_confirmation",
            SiStatus::RequiresAction => "requires_action",
            SiStatus::Succeeded => "succeeded",
            SiStatus::Canceled => "canceled",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SetupIntent {
    pub id: String,
    pub created: i64,
    pub client_secret: String,
    pub status: SiStatus,
    pub customer: Option<String>,
    pub payment_method: Option<String>,
    pub payment_method_types: Vec<String>,
    pub usage: String,
    pub metadata: BTreeMap<String, String>,
    pub description: Option<String>,
    pub last_setup_error: Option<Value>,
    pub next_action: Option<Value>,
    pub latest_attempt: Option<String>,
    pub cancellation_reason: Option<String>,
    /// 3-D Secure completed for the current payment method.
    pub authenticated: bool,
    pub return_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Charge {
    pub id: String,
    pub seq: u64,
    pub created: i64,
    pub amount: i64,
    pub amount_captured: i64,
    /// Refunded, counting what a partial capture released.
    pub amount_refunded: i64,
    pub captured: bool,
    pub succeeded: bool,
    pub currency: String,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub payment_intent: String,
    pub payment_method: String,
    pub card: Card,
    pub billing_details: Value,
    pub metadata: BTreeMap<String, String>,
    pub failure: Option<cards::Decline>,
    pub three_d_secure: bool,
    pub disputed: bool,
    pub receipt_email: Option<String>,
    pub balance_transaction: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Refund {
    pub id: String,
    pub seq: u64,
    pub created: i64,
    pub amount: i64,
    pub charge: String,
    pub payment_intent: String,
    pub currency: String,
    pub reason: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Dispute {
    pub id: String,
    pub created: i64,
    pub amount: i64,
    pub charge: String,
    pub payment_intent: String,
    pub currency: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub seq: u64,
    pub kind: String,
    /// As delivered: the object when the event happened.
    pub json: Value,
}

#[derive(Debug, Default)]
pub struct State {
    seq: u64,
    pub api_version: String,
    pub webhook_endpoints: usize,
    pub customers: HashMap<String, Customer>,
    pub payment_methods: HashMap<String, PaymentMethod>,
    pub payment_intents: HashMap<String, PaymentIntent>,
    pub setup_intents: HashMap<String, SetupIntent>,
    pub charges: HashMap<String, Charge>,
    pub refunds: HashMap<String, Refund>,
    pub disputes: HashMap<String, Dispute>,
    pub events: Vec<Event>,
    /// Events raised by the operation in progress, to be delivered after it.
    pub raised: Vec<Event>,
}

/// A JSON object from its fields, flat: `json!` of a whole Stripe object
/// nests too deeply for the compiler.
pub fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn metadata_json(metadata: &BTreeMap<String, String>) -> Value {
    json!(metadata)
}

pub fn billing_details(input: Option<Value>) -> Value {
    let input = input.unwrap_or(Value::Null);
    let field = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    let address = input.get("address").cloned().unwrap_or(Value::Null);
    json!({
        "address": {
            "city": field(&address, "city"),
            "country": field(&address, "country"),
            "line1": field(&address, "line1"),
            "line2": field(&address, "line2"),
            "postal_code": field(&address, "postal_code"),
            "state": field(&address, "state"),
        },
        "email": field(&input, "email"),
        "name": field(&input, "name"),
        "phone": field(&input, "phone"),
        "tax_id": null,
    })
}

impl State {
    pub fn new(api_version: String) -> Self {
        Self {
            api_version,
            webhook_endpoints: 1,
            ..Default::default()
        }
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Records an event about `object` as it is now.
    pub fn raise(&mut self, ctx: Option<&Ctx>, kind: &str, object: Value) {
        let id = ids::stripe("evt");
        let created = ids::now();
        let json = json!({
            "id": id,
            "object": "event",
            "api_version": self.api_version,
            "created": created,
            "data": { "object": object },
            "livemode": false,
            "pending_webhooks": self.webhook_endpoints,
            "request": {
                "id": ctx.and_then(|c| c.request_id.clone()),
                "idempotency_key": ctx.and_then(|c| c.idempotency_key.clone()),
            },
            "type": kind,
        });
        let event = Event {
            id,
            seq: self.next_seq(),
            kind: kind.to_owned(),
            json,
        };
        self.events.push(event.clone());
        self.raised.push(event);
    }

    // ---- lookups, with Stripe's not-found errors

    pub fn customer(&self, id: &str, param: &str) -> Result<&Customer, ApiError> {
        self.customers
            .get(id)
            .filter(|c| !c.deleted)
            .ok_or_else(|| ApiError::no_such("customer", id, param))
    }

    pub fn payment_intent_mut(&mut self, id: &str) -> Result<&mut PaymentIntent, ApiError> {
        self.payment_intents
            .get_mut(id)
            .ok_or_else(|| ApiError::no_such("payment_intent", id, "intent"))
    }

    pub fn setup_intent_mut(&mut self, id: &str) -> Result<&mut SetupIntent, ApiError> {
        self.setup_intents
            .get_mut(id)
            .ok_or_else(|| ApiError::no_such("setup_intent", id, "intent"))
    }

    pub fn payment_method(&self, id: &str, param: &str) -> Result<&PaymentMethod, ApiError> {
        self.payment_methods
            .get(id)
            .ok_or_else(|| ApiError::no_such("PaymentMethod", id, param))
    }

    pub fn charge(&self, id: &str) -> Result<&Charge, ApiError> {
        self.charges
            .get(id)
            .ok_or_else(|| ApiError::no_such("charge", id, "charge"))
    }

    /// A PaymentMethod given by id; a test id (`pm_card_visa`) makes a new
    /// one each time, as Stripe does.
    pub fn resolve_payment_method(&mut self, id: &str, param: &str) -> Result<String, ApiError> {
        if let Some(test) = cards::by_pm(id) {
            let card = Card {
                number: test.number.to_owned(),
                brand: test.brand,
                funding: test.funding,
                country: test.country,
                exp_month: 12,
                exp_year: current_year() + 3,
                behavior: test.behavior,
            };
            return Ok(self.insert_payment_method(card, billing_details(None), BTreeMap::new()));
        }
        self.payment_method(id, param).map(|pm| pm.id.clone())
    }

    pub fn insert_payment_method(
        &mut self,
        card: Card,
        billing_details: Value,
        metadata: BTreeMap<String, String>,
    ) -> String {
        let id = ids::stripe("pm");
        let pm = PaymentMethod {
            id: id.clone(),
            seq: self.next_seq(),
            created: ids::now(),
            card,
            billing_details,
            customer: None,
            metadata,
            set_up_off_session: false,
            consumed: false,
        };
        self.payment_methods.insert(id.clone(), pm);
        id
    }

    /// `last_payment_error` / `last_setup_error` after a failed 3-D Secure challenge.
    pub fn authentication_failure(&self, pm_id: &str, code: &str, message: &str) -> Value {
        let error = ApiError::invalid_request(message).code(code).with(
            "payment_method",
            self.render_payment_method(&self.payment_methods[pm_id]),
        );
        Value::Object(error.body)
    }

    // ---- rendering

    pub fn render_customer(&self, c: &Customer) -> Value {
        if c.deleted {
            return json!({ "id": c.id, "object": "customer", "deleted": true });
        }
        object([
            ("id", json!(c.id)),
            ("object", json!("customer")),
            ("address", Value::Null),
            ("balance", json!(0)),
            ("created", json!(c.created)),
            ("currency", Value::Null),
            ("default_source", Value::Null),
            ("delinquent", json!(false)),
            ("description", json!(c.description)),
            ("discount", Value::Null),
            ("email", json!(c.email)),
            ("invoice_prefix", json!(c.id[4..12].to_uppercase())),
            (
                "invoice_settings",
                json!({
                    "custom_fields": null,
                    "default_payment_method": c.default_payment_method,
                    "footer": null,
                    "rendering_options": null,
                }),
            ),
            ("livemode", json!(false)),
            ("metadata", metadata_json(&c.metadata)),
            ("name", json!(c.name)),
            ("next_invoice_sequence", json!(1)),
            ("phone", json!(c.phone)),
            ("preferred_locales", json!([])),
            ("shipping", Value::Null),
            ("tax_exempt", json!("none")),
            ("test_clock", Value::Null),
        ])
    }

    pub fn render_payment_method(&self, pm: &PaymentMethod) -> Value {
        let card = &pm.card;
        json!({
            "id": pm.id,
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": pm.billing_details,
            "card": {
                "brand": card.brand,
                "checks": {
                    "address_line1_check": null,
                    "address_postal_code_check": null,
                    "cvc_check": "pass",
                },
                "country": card.country,
                "display_brand": card.brand,
                "exp_month": card.exp_month,
                "exp_year": card.exp_year,
                "fingerprint": card.fingerprint(),
                "funding": card.funding,
                "generated_from": null,
                "last4": card.last4(),
                "networks": { "available": [card.brand], "preferred": null },
                "regulated_status": "unregulated",
                "three_d_secure_usage": { "supported": true },
                "wallet": null,
            },
            "created": pm.created,
            "customer": pm.customer,
            "livemode": false,
            "metadata": metadata_json(&pm.metadata),
            "type": "card",
        })
    }

    pub fn render_payment_intent(&self, pi: &PaymentIntent) -> Value {
        object([
            ("id", json!(pi.id)),
            ("object", json!("payment_intent")),
            ("amount", json!(pi.amount)),
            ("amount_capturable", json!(pi.amount_capturable)),
            ("amount_details", json!({ "tip": {} })),
            ("amount_received", json!(pi.amount_received)),
            ("application", Value::Null),
            ("application_fee_amount", Value::Null),
            (
                "automatic_payment_methods",
                json!(if pi.automatic_payment_methods {
                    json!({ "allow_redirects": "always", "enabled": true })
                } else {
                    Value::Null
                }),
            ),
            ("canceled_at", json!(pi.canceled_at)),
            ("cancellation_reason", json!(pi.cancellation_reason)),
            ("capture_method", json!(pi.capture_method.as_str())),
            ("client_secret", json!(pi.client_secret)),
            (
                "confirmation_method",
                json!(if pi.manual_confirmation {
                    "manual"
                } else {
                    "automatic"
                }),
            ),
            ("created", json!(pi.created)),
            ("currency", json!(pi.currency)),
            ("customer", json!(pi.customer)),
            ("description", json!(pi.description)),
            ("last_payment_error", json!(pi.last_payment_error)),
            ("latest_charge", json!(pi.latest_charge)),
            ("livemode", json!(false)),
            ("metadata", metadata_json(&pi.metadata)),
            ("next_action", json!(pi.next_action)),
            ("on_behalf_of", Value::Null),
            ("payment_method", json!(pi.payment_method)),
            ("payment_method_configuration_details", Value::Null),
            (
                "payment_method_options",
                json!({
                    "card": {
                        "installments": null,
                        "mandate_options": null,
                        "network": null,
                        "request_three_d_secure": "automatic",
                    }
                }),
            ),
            ("payment_method_types", json!(pi.payment_method_types)),
            ("processing", Value::Null),
            ("receipt_email", json!(pi.receipt_email)),
            ("review", Value::Null),
            ("setup_future_usage", json!(pi.setup_future_usage)),
            ("shipping", json!(pi.shipping)),
            ("source", Value::Null),
            ("statement_descriptor", Value::Null),
            (
                "statement_descriptor_suffix",
                json!(pi.statement_descriptor_suffix),
            ),
            ("status", json!(pi.status.as_str())),
            ("transfer_data", Value::Null),
            ("transfer_group", Value::Null),
        ])
    }

    pub fn render_setup_intent(&self, si: &SetupIntent) -> Value {
        object([
            ("id", json!(si.id)),
            ("object", json!("setup_intent")),
            ("application", Value::Null),
            ("automatic_payment_methods", Value::Null),
            ("cancellation_reason", json!(si.cancellation_reason)),
            ("client_secret", json!(si.client_secret)),
            ("created", json!(si.created)),
            ("customer", json!(si.customer)),
            ("description", json!(si.description)),
            ("flow_directions", Value::Null),
            ("last_setup_error", json!(si.last_setup_error)),
            ("latest_attempt", json!(si.latest_attempt)),
            ("livemode", json!(false)),
            ("mandate", Value::Null),
            ("metadata", metadata_json(&si.metadata)),
            ("next_action", json!(si.next_action)),
            ("on_behalf_of", Value::Null),
            ("payment_method", json!(si.payment_method)),
            ("payment_method_configuration_details", Value::Null),
            (
                "payment_method_options",
                json!({
                    "card": {
                        "mandate_options": null,
                        "network": null,
                        "request_three_d_secure": "automatic",
                    }
                }),
            ),
            ("payment_method_types", json!(si.payment_method_types)),
            ("single_use_mandate", Value::Null),
            ("status", json!(si.status.as_str())),
            ("usage", json!(si.usage)),
        ])
    }

    pub fn render_charge(&self, ch: &Charge) -> Value {
        let outcome = match &ch.failure {
            None => json!({
                "advice_code": null,
                "network_advice_code": null,
                "network_decline_code": null,
                "network_status": "approved_by_network",
                "reason": null,
                "risk_level": "normal",
                "risk_score": 20,
                "seller_message": "Payment complete.",
                "type": "authorized",
            }),
            Some(decline) => json!({
                "advice_code": null,
                "network_advice_code": null,
                "network_decline_code": null,
                "network_status": "declined_by_network",
                "reason": decline.decline_code,
                "risk_level": "normal",
                "risk_score": 20,
                "seller_message": "The bank did not return any further details with this decline.",
                "type": "issuer_declined",
            }),
        };
        object([
            ("id", json!(ch.id)),
            ("object", json!("charge")),
            ("amount", json!(ch.amount)),
            ("amount_captured", json!(ch.amount_captured)),
            ("amount_refunded", json!(ch.amount_refunded)),
            ("application", Value::Null),
            ("application_fee", Value::Null),
            ("application_fee_amount", Value::Null),
            ("balance_transaction", json!(ch.balance_transaction)),
            ("billing_details", ch.billing_details.clone()),
            ("calculated_statement_descriptor", json!("AUTOMAT")),
            ("captured", json!(ch.captured)),
            ("created", json!(ch.created)),
            ("currency", json!(ch.currency)),
            ("customer", json!(ch.customer)),
            ("description", json!(ch.description)),
            ("disputed", json!(ch.disputed)),
            ("failure_balance_transaction", Value::Null),
            ("failure_code", json!(ch.failure.map(|d| d.code))),
            ("failure_message", json!(ch.failure.map(|d| d.message))),
            ("fraud_details", json!({})),
            ("livemode", json!(false)),
            ("metadata", metadata_json(&ch.metadata)),
            ("on_behalf_of", Value::Null),
            ("outcome", outcome),
            ("paid", json!(ch.succeeded)),
            ("payment_intent", json!(ch.payment_intent)),
            ("payment_method", json!(ch.payment_method)),
            (
                "payment_method_details",
                json!({ "card": charge_card(ch), "type": "card" }),
            ),
            ("receipt_email", json!(ch.receipt_email)),
            ("receipt_number", Value::Null),
            (
                "receipt_url",
                json!(format!("https://pay.stripe.com/receipts/sim/{}", ch.id)),
            ),
            (
                "refunded",
                json!(ch.amount_refunded >= ch.amount && ch.succeeded),
            ),
            ("review", Value::Null),
            ("shipping", Value::Null),
            ("source", Value::Null),
            ("source_transfer", Value::Null),
            ("statement_descriptor", Value::Null),
            ("statement_descriptor_suffix", Value::Null),
            (
                "status",
                json!(if ch.succeeded { "succeeded" } else { "failed" }),
            ),
            ("transfer_data", Value::Null),
            ("transfer_group", Value::Null),
        ])
    }

    pub fn render_refund(&self, r: &Refund) -> Value {
        object([
            ("id", json!(r.id)),
            ("object", json!("refund")),
            ("amount", json!(r.amount)),
            ("balance_transaction", Value::Null),
            ("charge", json!(r.charge)),
            ("created", json!(r.created)),
            ("currency", json!(r.currency)),
            ("metadata", metadata_json(&r.metadata)),
            ("payment_intent", json!(r.payment_intent)),
            ("reason", json!(r.reason)),
            ("receipt_number", Value::Null),
            ("source_transfer_reversal", Value::Null),
            ("status", json!("succeeded")),
            ("transfer_reversal", Value::Null),
        ])
    }

    pub fn render_dispute(&self, d: &Dispute) -> Value {
        object([
            ("id", json!(d.id)),
            ("object", json!("dispute")),
            ("amount", json!(d.amount)),
            ("balance_transactions", json!([])),
            ("charge", json!(d.charge)),
            ("created", json!(d.created)),
            ("currency", json!(d.currency)),
            ("enhanced_eligibility_types", json!([])),
            (
                "evidence",
                json!({
                    "enhanced_evidence": {},
                    "access_activity_log": null,
                    "billing_address": null,
                    "customer_email_address": null,
                    "customer_name": null,
                    "product_description": null,
                    "uncategorized_text": null,
                }),
            ),
            (
                "evidence_details",
                json!({
                    "due_by": d.created + 7 * 24 * 3600,
                    "enhanced_eligibility": {},
                    "has_evidence": false,
                    "past_due": false,
                    "submission_count": 0,
                }),
            ),
            ("is_charge_refundable", json!(false)),
            ("livemode", json!(false)),
            ("metadata", json!({})),
            ("payment_intent", json!(d.payment_intent)),
            ("reason", json!(d.reason)),
            ("status", json!("needs_response")),
        ])
    }

    /// Any object by id, as the API renders it (for `expand` and test reads).
    pub fn render_by_id(&self, id: &str) -> Option<Value> {
        let prefix = id.split('_').next().unwrap_or_default();
        match prefix {
            "pi" => self
                .payment_intents
                .get(id)
                .map(|o| self.render_payment_intent(o)),
            "seti" => self
                .setup_intents
                .get(id)
                .map(|o| self.render_setup_intent(o)),
            "pm" => self
                .payment_methods
                .get(id)
                .map(|o| self.render_payment_method(o)),
            "cus" => self.customers.get(id).map(|o| self.render_customer(o)),
            "ch" | "py" => self.charges.get(id).map(|o| self.render_charge(o)),
            "re" => self.refunds.get(id).map(|o| self.render_refund(o)),
            "dp" | "du" => self.disputes.get(id).map(|o| self.render_dispute(o)),
            "evt" => self
                .events
                .iter()
                .find(|e| e.id == id)
                .map(|e| e.json.clone()),
            _ => None,
        }
    }

    /// Replaces the ids at `path` (`latest_charge`, `data.payment_method`)
    /// with their objects.
    pub fn expand(&self, value: &mut Value, path: &str) -> Result<(), ApiError> {
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (path, None),
        };
        let target = match value {
            Value::Object(map) if map.get("object") == Some(&json!("list")) && head == "data" => {
                let Some(rest) = rest else { return Ok(()) };
                if let Some(Value::Array(items)) = map.get_mut("data") {
                    for item in items {
                        self.expand(item, rest)?;
                    }
                }
                return Ok(());
            }
            Value::Object(map) => map.get_mut(head),
            _ => None,
        };
        let Some(target) = target else {
            return Err(ApiError::invalid_request(format!(
                "This property cannot be expanded ({path})."
            ))
            .param("expand"));
        };
        if let Value::String(id) = target
            && let Some(object) = self.render_by_id(id)
        {
            *target = object;
        }
        match rest {
            Some(rest) if target.is_object() => self.expand(target, rest),
            _ => Ok(()),
        }
    }
}

/// `payment_method_details.card` of a charge.
fn charge_card(ch: &Charge) -> Value {
    let card = &ch.card;
    json!({
        "amount_authorized": ch.succeeded.then_some(ch.amount),
        "brand": card.brand,
        "capture_before": (!ch.captured && ch.succeeded).then_some(ch.created + 7 * 24 * 3600),
        "checks": {
            "address_line1_check": null,
            "address_postal_code_check": null,
            "cvc_check": "pass",
        },
        "country": card.country,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
        "fingerprint": card.fingerprint(),
        "funding": card.funding,
        "installments": null,
        "last4": card.last4(),
        "mandate": null,
        "network": card.brand,
        "three_d_secure": if ch.three_d_secure {
            json!({ "authentication_flow": "challenge", "result": "authenticated", "result_reason": null, "version": "2.2.0" })
        } else {
            Value::Null
        },
        "wallet": null,
    })
}

pub fn current_year() -> i64 {
    use chrono::Datelike;
    i64::from(chrono::Utc::now().year())
}

/// A page of a list, newest first: `limit`, `starting_after`, `ending_before`.
pub fn list<T>(
    items: Vec<(&T, u64, &str)>,
    params: &mut Params,
    url: &str,
    render: impl Fn(&T) -> Value,
) -> Result<Value, ApiError> {
    let limit = params.integer("limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(
            ApiError::invalid_request("Invalid limit: must be between 1 and 100").param("limit"),
        );
    }
    let starting_after = params.string("starting_after")?;
    let ending_before = params.string("ending_before")?;
    let mut items = items;
    items.sort_by_key(|(_, seq, _)| std::cmp::Reverse(*seq));
    let position = |id: &str| items.iter().position(|(_, _, i)| *i == id);
    let (start, end) = match (&starting_after, &ending_before) {
        (Some(after), _) => (position(after).map_or(items.len(), |p| p + 1), items.len()),
        (None, Some(before)) => (0, position(before).unwrap_or(0)),
        (None, None) => (0, items.len()),
    };
    let window = &items[start..end];
    let (page, has_more) = if ending_before.is_some() {
        let skip = window.len().saturating_sub(limit as usize);
        (&window[skip..], skip > 0)
    } else {
        let take = window.len().min(limit as usize);
        (&window[..take], window.len() > take)
    };
    Ok(json!({
        "object": "list",
        "data": page.iter().map(|(item, _, _)| render(item)).collect::<Vec<_>>(),
        "has_more": has_more,
        "url": url,
    }))
}
