//! Finix's objects (identities, tokens, payment instruments, authorizations,
//! transfers, disputes), rendered as Finix renders them (HAL JSON with
//! `_links`), and the webhook events their changes raise.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::ids;

/// Finix's timestamps: `2022-10-10T05:32:17.78Z`.
pub fn timestamp(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S.00Z")
        .to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Approve,
    Decline(&'static str, &'static str),
    Dispute,
    /// Authorizes; the capture fails as if the authorization had expired.
    CaptureExpires,
}

pub const GENERIC_DECLINE: Outcome = Outcome::Decline(
    "GENERIC_DECLINE",
    "The card was declined for an unknown reason. The cardholder needs to contact their card issuer or use a different payment method.",
);
pub const INSUFFICIENT_FUNDS: Outcome = Outcome::Decline(
    "INSUFFICIENT_FUNDS",
    "The card has insufficient funds. The cardholder needs to use a different payment method.",
);

/// Finix's sandbox triggers outcomes by amount (102 declined, 193
/// insufficient funds, 194 invalid card, 888888 disputed); the simulator
/// also reads a few card numbers (see `finix::TEST_CARDS`).
pub fn outcome(amount: i64, card_outcome: Outcome) -> Outcome {
    match amount {
        102 => GENERIC_DECLINE,
        193 => INSUFFICIENT_FUNDS,
        194 => Outcome::Decline(
            "INVALID_CARD",
            "The card number is invalid. The cardholder needs to use a different card.",
        ),
        888_888 => Outcome::Dispute,
        _ => card_outcome,
    }
}

#[derive(Debug, Clone)]
pub struct CardData {
    pub number: String,
    pub name: Option<String>,
    pub expiration_month: i64,
    pub expiration_year: i64,
    pub address: Value,
    pub outcome: Outcome,
}

impl CardData {
    pub fn brand(&self) -> &'static str {
        match crate::stripe::brand_of(&self.number) {
            "visa" => "VISA",
            "mastercard" => "MASTERCARD",
            "amex" => "AMERICAN_EXPRESS",
            "discover" => "DISCOVER",
            "jcb" => "JCB",
            "diners" => "DINERS_CLUB",
            _ => "UNKNOWN",
        }
    }

    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(self.number.as_bytes());
        format!("FP{}", &hex::encode(digest)[..22])
    }
}

#[derive(Debug, Clone)]
pub struct Token {
    pub id: String,
    pub created: i64,
    pub card: CardData,
    pub used: bool,
}

#[derive(Debug, Clone)]
pub struct Identity {
    pub id: String,
    pub created: i64,
    pub updated: i64,
    pub entity: Value,
    pub tags: Value,
}

#[derive(Debug, Clone)]
pub struct Instrument {
    pub id: String,
    pub created: i64,
    pub updated: i64,
    pub identity: String,
    pub card: CardData,
    pub enabled: bool,
    pub tags: Value,
    pub created_via: &'static str,
}

#[derive(Debug, Clone)]
pub struct Authorization {
    pub id: String,
    pub created: i64,
    pub updated: i64,
    pub amount: i64,
    pub currency: String,
    pub source: String,
    pub state: &'static str,
    pub failure: Option<(&'static str, &'static str)>,
    pub idempotency_id: Option<String>,
    pub tags: Value,
    pub transfer: Option<String>,
    pub is_void: bool,
    pub void_state: &'static str,
    pub expires: i64,
    pub trace_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferKind {
    Debit,
    Reversal,
}

#[derive(Debug, Clone)]
pub struct Transfer {
    pub id: String,
    pub created: i64,
    pub updated: i64,
    pub kind: TransferKind,
    pub amount: i64,
    pub currency: String,
    /// The payment instrument debited (for a reversal: credited).
    pub instrument: String,
    pub state: &'static str,
    pub failure: Option<(&'static str, &'static str)>,
    pub idempotency_id: Option<String>,
    pub tags: Value,
    pub parent: Option<String>,
    pub trace_id: String,
}

#[derive(Debug, Clone)]
pub struct Dispute {
    pub id: String,
    pub created: i64,
    pub amount: i64,
    pub transfer: String,
    pub identity: String,
}

/// A webhook event, as delivered.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub kind: String,
    pub json: Value,
}

#[derive(Debug, Default)]
pub struct State {
    pub base_url: String,
    pub application: String,
    pub merchant: String,
    pub merchant_identity: String,
    pub identities: HashMap<String, Identity>,
    pub tokens: HashMap<String, Token>,
    pub instruments: HashMap<String, Instrument>,
    pub authorizations: HashMap<String, Authorization>,
    pub transfers: HashMap<String, Transfer>,
    pub disputes: HashMap<String, Dispute>,
    /// Creation order of everything, for lists (newest first).
    pub order: Vec<String>,
    pub events: Vec<Event>,
    /// Raised by the operation in progress, to be delivered after it.
    pub raised: Vec<Event>,
    /// Transfers and voids waiting to settle (PENDING → SUCCEEDED).
    pub pending: Vec<String>,
}

use crate::stripe::object;

fn link(base: &str, path: &str) -> Value {
    json!({ "href": format!("{base}{path}") })
}

impl State {
    pub fn remember(&mut self, id: &str) {
        self.order.push(id.to_owned());
    }

    /// Raises `{entity}.{kind}` (`transfer.created`) about `object`.
    pub fn raise(&mut self, entity: &str, kind: &str, object: Value) {
        let plural = match entity {
            "identity" => "identities".to_owned(),
            "instrument" => "payment_instruments".to_owned(),
            other => format!("{other}s"),
        };
        let id = ids::finix("EV");
        let json = json!({
            "id": id,
            "type": kind,
            "entity": entity,
            "occurred_at": timestamp(ids::now()),
            "_embedded": { plural: [object] },
        });
        let event = Event {
            id,
            kind: format!("{entity}.{kind}"),
            json,
        };
        self.events.push(event.clone());
        self.raised.push(event);
    }

    pub fn render_identity(&self, i: &Identity) -> Value {
        let base = &self.base_url;
        let mut entity = Map::new();
        for key in [
            "first_name",
            "last_name",
            "email",
            "phone",
            "personal_address",
            "business_name",
            "title",
        ] {
            entity.insert(key.into(), Value::Null);
        }
        if let Value::Object(given) = &i.entity {
            entity.extend(given.clone());
        }
        json!({
            "id": i.id,
            "application": self.application,
            "entity": entity,
            "identity_roles": [],
            "tags": i.tags,
            "created_at": timestamp(i.created),
            "updated_at": timestamp(i.updated),
            "_links": {
                "self": link(base, &format!("identities/{}", i.id)),
                "payment_instruments": link(base, &format!("identities/{}/payment_instruments", i.id)),
                "authorizations": link(base, &format!("identities/{}/authorizations", i.id)),
                "transfers": link(base, &format!("identities/{}/transfers", i.id)),
                "application": link(base, &format!("applications/{}", self.application)),
            },
        })
    }

    pub fn render_token(&self, t: &Token) -> Value {
        json!({
            "id": t.id,
            "created_at": timestamp(t.created),
            "updated_at": timestamp(t.created),
            "currency": "USD",
            "expires_at": timestamp(t.created + 30 * 60),
            "fingerprint": t.card.fingerprint(),
            "instrument_type": "PAYMENT_CARD",
        })
    }

    pub fn render_instrument(&self, pi: &Instrument) -> Value {
        let base = &self.base_url;
        let card = &pi.card;
        object([
            ("id", json!(pi.id)),
            ("application", json!(self.application)),
            ("created_at", json!(timestamp(pi.created))),
            ("updated_at", json!(timestamp(pi.updated))),
            ("created_via", json!(pi.created_via)),
            ("currency", json!("USD")),
            ("enabled", json!(pi.enabled)),
            ("fingerprint", json!(card.fingerprint())),
            ("identity", json!(pi.identity)),
            ("instrument_type", json!("PAYMENT_CARD")),
            ("address", json!(card.address)),
            ("address_verification", json!("UNKNOWN")),
            ("bin", json!(&card.number[..6])),
            ("brand", json!(card.brand())),
            ("card_type", json!("CREDIT")),
            ("expiration_month", json!(card.expiration_month)),
            ("expiration_year", json!(card.expiration_year)),
            ("issuer_country", json!("USA")),
            ("last_four", json!(&card.number[card.number.len() - 4..])),
            ("name", json!(card.name)),
            ("security_code_verification", json!("UNKNOWN")),
            ("tags", json!(pi.tags)),
            ("type", json!("PAYMENT_CARD")),
            (
                "_links",
                json!({
                    "self": link(base, &format!("payment_instruments/{}", pi.id)),
                    "authorizations": link(base, &format!("payment_instruments/{}/authorizations", pi.id)),
                    "transfers": link(base, &format!("payment_instruments/{}/transfers", pi.id)),
                    "identity": link(base, &format!("identities/{}", pi.identity)),
                    "application": link(base, &format!("applications/{}", self.application)),
                }),
            ),
        ])
    }

    pub fn render_authorization(&self, a: &Authorization) -> Value {
        let base = &self.base_url;
        let mut links = json!({
            "self": link(base, &format!("authorizations/{}", a.id)),
            "application": link(base, &format!("applications/{}", self.application)),
            "merchant_identity": link(base, &format!("identities/{}", self.merchant_identity)),
        });
        if let Some(t) = &a.transfer {
            links["transfer"] = link(base, &format!("transfers/{t}"));
        }
        object([
            ("id", json!(a.id)),
            ("created_at", json!(timestamp(a.created))),
            ("updated_at", json!(timestamp(a.updated))),
            ("3ds_redirect_url", Value::Null),
            ("additional_buyer_charges", Value::Null),
            ("additional_healthcare_data", Value::Null),
            (
                "address_verification",
                json!("POSTAL_CODE_AND_STREET_MATCH"),
            ),
            ("amount", json!(a.amount)),
            ("amount_requested", json!(a.amount)),
            ("application", json!(self.application)),
            ("currency", json!(a.currency)),
            ("expires_at", json!(timestamp(a.expires))),
            ("failure_code", json!(a.failure.map(|f| f.0))),
            ("failure_message", json!(a.failure.map(|f| f.1))),
            ("idempotency_id", json!(a.idempotency_id)),
            ("is_void", json!(a.is_void)),
            ("merchant", json!(self.merchant)),
            ("merchant_identity", json!(self.merchant_identity)),
            ("messages", json!([])),
            ("raw", Value::Null),
            ("security_code_verification", json!("MATCHED")),
            ("source", json!(a.source)),
            ("state", json!(a.state)),
            ("tags", json!(a.tags)),
            ("trace_id", json!(a.trace_id)),
            ("transfer", json!(a.transfer)),
            ("void_state", json!(a.void_state)),
            ("_links", json!(links)),
        ])
    }

    pub fn render_transfer(&self, t: &Transfer) -> Value {
        let base = &self.base_url;
        let mut links = json!({
            "self": link(base, &format!("transfers/{}", t.id)),
            "application": link(base, &format!("applications/{}", self.application)),
            "merchant_identity": link(base, &format!("identities/{}", self.merchant_identity)),
            "reversals": link(base, &format!("transfers/{}/reversals", t.id)),
        });
        if let Some(parent) = &t.parent {
            links["parent"] = link(base, &format!("transfers/{parent}"));
        }
        let (source, destination) = match t.kind {
            TransferKind::Debit => (json!(t.instrument), Value::Null),
            TransferKind::Reversal => (Value::Null, json!(t.instrument)),
        };
        object([
            ("id", json!(t.id)),
            ("created_at", json!(timestamp(t.created))),
            ("updated_at", json!(timestamp(t.updated))),
            ("additional_buyer_charges", Value::Null),
            ("additional_healthcare_data", Value::Null),
            ("address_verification", Value::Null),
            ("amount", json!(t.amount)),
            ("amount_requested", json!(t.amount)),
            ("application", json!(self.application)),
            ("currency", json!(t.currency)),
            ("destination", json!(destination)),
            ("externally_funded", json!("UNKNOWN")),
            ("failure_code", json!(t.failure.map(|f| f.0))),
            ("failure_message", json!(t.failure.map(|f| f.1))),
            ("fee", json!(0)),
            ("idempotency_id", json!(t.idempotency_id)),
            ("merchant", json!(self.merchant)),
            ("merchant_identity", json!(self.merchant_identity)),
            ("messages", json!([])),
            ("parent_transfer", json!(t.parent)),
            ("raw", Value::Null),
            ("ready_to_settle_at", Value::Null),
            ("security_code_verification", Value::Null),
            ("source", json!(source)),
            ("state", json!(t.state)),
            ("statement_descriptor", json!("FLX*AUTOMAT")),
            ("subtype", json!("API")),
            ("tags", json!(t.tags)),
            ("trace_id", json!(t.trace_id)),
            (
                "type",
                json!(match t.kind {
                    TransferKind::Debit => "DEBIT",
                    TransferKind::Reversal => "REVERSAL",
                }),
            ),
            ("_links", json!(links)),
        ])
    }

    pub fn render_dispute(&self, d: &Dispute) -> Value {
        let base = &self.base_url;
        object([
            ("id", json!(d.id)),
            ("created_at", json!(timestamp(d.created))),
            ("updated_at", json!(timestamp(d.created))),
            ("action", json!("RESPOND")),
            ("amount", json!(d.amount)),
            ("application", json!(self.application)),
            (
                "dispute_details",
                json!({ "case_id": ids::alphanumeric(10), "reason_code": "83" }),
            ),
            ("identity", json!(d.identity)),
            ("merchant", json!(self.merchant)),
            ("occurred_at", json!(timestamp(d.created))),
            ("reason", json!("FRAUD")),
            ("respond_by", json!(timestamp(d.created + 7 * 24 * 3600))),
            ("state", json!("PENDING")),
            ("tags", json!({})),
            ("transfer", json!(d.transfer)),
            (
                "_links",
                json!({
                    "self": link(base, &format!("disputes/{}", d.id)),
                    "transfer": link(base, &format!("transfers/{}", d.transfer)),
                    "application": link(base, &format!("applications/{}", self.application)),
                }),
            ),
        ])
    }

    /// Any object by id, as the API renders it.
    pub fn render_by_id(&self, id: &str) -> Option<Value> {
        match id.get(..2)? {
            "ID" => self.identities.get(id).map(|o| self.render_identity(o)),
            "TK" => self.tokens.get(id).map(|o| self.render_token(o)),
            "PI" => self.instruments.get(id).map(|o| self.render_instrument(o)),
            "AU" => self
                .authorizations
                .get(id)
                .map(|o| self.render_authorization(o)),
            "TR" => self.transfers.get(id).map(|o| self.render_transfer(o)),
            "DI" => self.disputes.get(id).map(|o| self.render_dispute(o)),
            "EV" => self
                .events
                .iter()
                .find(|e| e.id == id)
                .map(|e| e.json.clone()),
            _ => None,
        }
    }

    pub fn open_dispute(&mut self, transfer_id: &str) -> Value {
        let transfer = &self.transfers[transfer_id];
        let identity = self
            .instruments
            .get(&transfer.instrument)
            .map(|i| i.identity.clone())
            .unwrap_or_default();
        let dispute = Dispute {
            id: ids::finix("DI"),
            created: ids::now(),
            amount: transfer.amount,
            transfer: transfer_id.to_owned(),
            identity,
        };
        let rendered = self.render_dispute(&dispute);
        self.remember(&dispute.id);
        self.disputes.insert(dispute.id.clone(), dispute);
        self.raise("dispute", "created", rendered.clone());
        rendered
    }

    /// Moves what waits (captured transfers, reversals, voids) to SUCCEEDED.
    pub fn settle(&mut self) -> usize {
        let pending = std::mem::take(&mut self.pending);
        for id in &pending {
            let now = ids::now();
            if let Some(t) = self.transfers.get_mut(id) {
                t.state = "SUCCEEDED";
                t.updated = now;
                let rendered = self.render_transfer(&self.transfers[id]);
                self.raise("transfer", "updated", rendered);
            } else if let Some(a) = self.authorizations.get_mut(id) {
                a.void_state = "SUCCEEDED";
                a.updated = now;
                let rendered = self.render_authorization(&self.authorizations[id]);
                self.raise("authorization", "updated", rendered);
            }
        }
        pending.len()
    }
}
