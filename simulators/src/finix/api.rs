//! Finix's API operations: identities, tokens, payment instruments,
//! authorizations (create, capture, void), transfers, reversals, disputes.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::state::{
    Authorization, CardData, Identity, Instrument, Outcome, State, Token, Transfer, TransferKind,
    outcome,
};
use crate::{ids, stripe::luhn_valid};

/// Finix's error answer: `{"total": 1, "_embedded": {"errors": [{code,
/// message, logref, field?, failure_code?, failure_message?, _links}]}}`.
#[derive(Debug, Clone)]
pub struct FinixError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub failure: Option<(&'static str, &'static str)>,
    /// Links to what the failed request created (`authorization`, `transfer`).
    pub links: Vec<(&'static str, String)>,
    /// Raised while executing: an `idempotency_id` keeps it.
    pub kept: bool,
}

impl FinixError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            failure: None,
            links: Vec::new(),
            kept: false,
        }
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_FIELD", message)
        }
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self {
            kept: true,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "UNPROCESSABLE_ENTITY",
                message,
            )
        }
    }

    pub fn not_found(kind: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("{kind} not found: {id}"),
        )
    }

    pub fn declined(failure: (&'static str, &'static str), link: (&'static str, String)) -> Self {
        Self {
            failure: Some(failure),
            links: vec![link],
            kept: true,
            ..Self::new(StatusCode::PAYMENT_REQUIRED, "DECLINED", failure.1)
        }
    }

    pub fn json(&self, base: &str, path: &str) -> Value {
        let mut links = Map::new();
        links.insert(
            "source".into(),
            json!({ "href": format!("{base}{}", path.trim_start_matches('/')) }),
        );
        for (name, href) in &self.links {
            links.insert((*name).into(), json!({ "href": href }));
        }
        let mut error = Map::new();
        error.insert("logref".into(), json!(ids::alphanumeric(16).to_lowercase()));
        error.insert("code".into(), json!(self.code));
        error.insert("message".into(), json!(self.message));
        if let Some(field) = &self.field {
            error.insert("field".into(), json!(field));
        }
        if let Some((code, message)) = self.failure {
            error.insert("failure_code".into(), json!(code));
            error.insert("failure_message".into(), json!(message));
        }
        error.insert("_links".into(), Value::Object(links));
        json!({ "total": 1, "_embedded": { "errors": [error] } })
    }
}

/// A JSON request body, read field by field; what is left over is refused
/// as unrecognized (the way Finix's Jackson-based API answers).
pub struct Body {
    map: Map<String, Value>,
}

impl Body {
    pub fn parse(bytes: &[u8]) -> Result<Self, FinixError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self { map: Map::new() });
        }
        match serde_json::from_slice(bytes) {
            Ok(Value::Object(map)) => Ok(Self { map }),
            _ => Err(FinixError::new(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "Could not parse the request body: it must be a JSON object.",
            )),
        }
    }

    pub fn string(&mut self, key: &str) -> Result<Option<String>, FinixError> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(FinixError::invalid_field(
                key,
                format!("{key} must be a string"),
            )),
        }
    }

    pub fn required_string(&mut self, key: &str) -> Result<String, FinixError> {
        self.string(key)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| FinixError::invalid_field(key, "may not be null"))
    }

    pub fn integer(&mut self, key: &str) -> Result<Option<i64>, FinixError> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
            Some(Value::String(s)) if s.parse::<i64>().is_ok() => Ok(s.parse().ok()),
            Some(_) => Err(FinixError::invalid_field(
                key,
                format!("{key} must be an integer"),
            )),
        }
    }

    pub fn required_amount(&mut self, key: &str) -> Result<i64, FinixError> {
        match self.integer(key)? {
            None => Err(FinixError::invalid_field(key, "may not be null")),
            Some(a) if a < 1 => Err(FinixError::invalid_field(
                key,
                "must be greater than or equal to 1",
            )),
            Some(a) => Ok(a),
        }
    }

    pub fn boolean(&mut self, key: &str) -> Result<Option<bool>, FinixError> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(FinixError::invalid_field(
                key,
                format!("{key} must be a boolean"),
            )),
        }
    }

    pub fn object(&mut self, key: &str) -> Result<Option<Value>, FinixError> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(v)),
            Some(_) => Err(FinixError::invalid_field(
                key,
                format!("{key} must be an object"),
            )),
        }
    }

    /// `tags`: string keys and values, at most 50.
    pub fn tags(&mut self) -> Result<Option<Value>, FinixError> {
        let Some(tags) = self.object("tags")? else {
            return Ok(None);
        };
        let map = tags.as_object().expect("an object");
        if map.len() > 50 || map.values().any(|v| !v.is_string()) {
            return Err(FinixError::invalid_field(
                "tags",
                "tags must be at most 50 string key/value pairs",
            ));
        }
        Ok(Some(tags))
    }

    pub fn ignore(&mut self, keys: &[&str]) {
        for key in keys {
            self.map.remove(*key);
        }
    }

    pub fn finish(self) -> Result<(), FinixError> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(key) => Err(FinixError::new(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("Unrecognized field \"{key}\""),
            )),
        }
    }
}

// ---- identities

pub fn create_identity(st: &mut State, mut b: Body) -> Result<(StatusCode, Value), FinixError> {
    let entity = b.object("entity")?.unwrap_or_else(|| json!({}));
    let tags = b.tags()?.unwrap_or_else(|| json!({}));
    b.ignore(&["identity_roles", "additional_underwriting_data", "type"]);
    b.finish()?;
    if entity.get("business_type").is_some_and(|v| !v.is_null()) {
        return Err(FinixError::invalid_field(
            "entity.business_type",
            "The simulator creates buyer identities only; leave business_type out.",
        ));
    }
    let now = ids::now();
    let identity = Identity {
        id: ids::finix("ID"),
        created: now,
        updated: now,
        entity,
        tags,
    };
    let rendered = st.render_identity(&identity);
    st.remember(&identity.id);
    st.identities.insert(identity.id.clone(), identity);
    st.raise("identity", "created", rendered.clone());
    Ok((StatusCode::CREATED, rendered))
}

pub fn get_identity(st: &State, id: &str) -> Result<(StatusCode, Value), FinixError> {
    st.identities
        .get(id)
        .map(|i| (StatusCode::OK, st.render_identity(i)))
        .ok_or_else(|| FinixError::not_found("Identity", id))
}

// ---- tokens (Finix.js) and payment instruments

fn card_from(b: &mut Body, outcome_of: impl Fn(&str) -> Outcome) -> Result<CardData, FinixError> {
    let number: String = b
        .required_string("number")?
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if !luhn_valid(&number) {
        return Err(FinixError::invalid_field("number", "Invalid card number"));
    }
    let month = b
        .integer("expiration_month")?
        .ok_or_else(|| FinixError::invalid_field("expiration_month", "may not be null"))?;
    let year = b
        .integer("expiration_year")?
        .ok_or_else(|| FinixError::invalid_field("expiration_year", "may not be null"))?;
    if !(1..=12).contains(&month) {
        return Err(FinixError::invalid_field(
            "expiration_month",
            "must be between 1 and 12",
        ));
    }
    let this_year = crate::stripe::current_year();
    if year < this_year || year > this_year + 50 {
        return Err(FinixError::invalid_field(
            "expiration_year",
            "The card has expired or the year is invalid",
        ));
    }
    let security_code = b.string("security_code")?;
    if security_code.is_some_and(|c| !(3..=4).contains(&c.len())) {
        return Err(FinixError::invalid_field(
            "security_code",
            "must have 3 or 4 digits",
        ));
    }
    let name = b.string("name")?;
    let address = b.object("address")?.unwrap_or(Value::Null);
    let outcome = outcome_of(&number);
    Ok(CardData {
        number,
        name,
        expiration_month: month,
        expiration_year: year,
        address,
        outcome,
    })
}

/// `POST /applications/{id}/tokens`, what Finix.js calls from its form.
pub fn create_token(
    st: &mut State,
    application: &str,
    mut b: Body,
    outcome_of: impl Fn(&str) -> Outcome,
) -> Result<(StatusCode, Value), FinixError> {
    if application != st.application {
        return Err(FinixError::not_found("Application", application));
    }
    let kind = b.string("type")?.unwrap_or_else(|| "PAYMENT_CARD".into());
    if kind != "PAYMENT_CARD" {
        return Err(FinixError::invalid_field(
            "type",
            "The simulator tokenizes PAYMENT_CARD only",
        ));
    }
    let card = card_from(&mut b, outcome_of)?;
    b.ignore(&["fraud_session_id"]);
    b.finish()?;
    let token = Token {
        id: ids::finix("TK"),
        created: ids::now(),
        card,
        used: false,
    };
    let rendered = st.render_token(&token);
    st.tokens.insert(token.id.clone(), token);
    Ok((StatusCode::CREATED, rendered))
}

pub fn create_instrument(
    st: &mut State,
    mut b: Body,
    outcome_of: impl Fn(&str) -> Outcome,
) -> Result<(StatusCode, Value), FinixError> {
    let kind = b.required_string("type")?;
    let identity = b.required_string("identity")?;
    let tags = b.tags()?.unwrap_or_else(|| json!({}));
    let (card, created_via) = match kind.as_str() {
        "TOKEN" => {
            let token_id = b.required_string("token")?;
            b.ignore(&["fraud_session_id", "third_party_token"]);
            b.finish()?;
            let token = st.tokens.get_mut(&token_id).ok_or_else(|| {
                FinixError::invalid_field("token", format!("Token {token_id} does not exist"))
            })?;
            if token.used {
                return Err(FinixError::unprocessable(format!(
                    "Token {token_id} has already been associated with a payment instrument"
                )));
            }
            if ids::now() > token.created + 30 * 60 {
                return Err(FinixError::unprocessable(format!(
                    "Token {token_id} has expired; tokens must be associated within 30 minutes"
                )));
            }
            token.used = true;
            (token.card.clone(), "API")
        }
        "PAYMENT_CARD" => {
            let card = card_from(&mut b, outcome_of)?;
            b.finish()?;
            (card, "API")
        }
        other => {
            return Err(FinixError::invalid_field(
                "type",
                format!("Unsupported payment instrument type {other} (TOKEN or PAYMENT_CARD)"),
            ));
        }
    };
    if !st.identities.contains_key(&identity) {
        return Err(FinixError::invalid_field(
            "identity",
            format!("Identity {identity} does not exist"),
        ));
    }
    let now = ids::now();
    let instrument = Instrument {
        id: ids::finix("PI"),
        created: now,
        updated: now,
        identity,
        card,
        enabled: true,
        tags,
        created_via,
    };
    let rendered = st.render_instrument(&instrument);
    st.remember(&instrument.id);
    st.instruments.insert(instrument.id.clone(), instrument);
    st.raise("instrument", "created", rendered.clone());
    Ok((StatusCode::CREATED, rendered))
}

pub fn get_instrument(st: &State, id: &str) -> Result<(StatusCode, Value), FinixError> {
    st.instruments
        .get(id)
        .map(|i| (StatusCode::OK, st.render_instrument(i)))
        .ok_or_else(|| FinixError::not_found("Payment instrument", id))
}

/// `PUT /payment_instruments/{id}`: `enabled: false` removes a saved card.
pub fn update_instrument(
    st: &mut State,
    id: &str,
    mut b: Body,
) -> Result<(StatusCode, Value), FinixError> {
    let enabled = b.boolean("enabled")?;
    let tags = b.tags()?;
    let name = b.string("name")?;
    b.finish()?;
    let instrument = st
        .instruments
        .get_mut(id)
        .ok_or_else(|| FinixError::not_found("Payment instrument", id))?;
    if let Some(enabled) = enabled {
        instrument.enabled = enabled;
    }
    if let Some(tags) = tags {
        instrument.tags = tags;
    }
    if name.is_some() {
        instrument.card.name = name;
    }
    instrument.updated = ids::now();
    let rendered = st.render_instrument(&st.instruments[id]);
    st.raise("instrument", "updated", rendered.clone());
    Ok((StatusCode::OK, rendered))
}

/// A page of `_embedded.{name}`, newest first.
pub fn page(st: &State, name: &str, path: &str, items: Vec<Value>, limit: Option<i64>) -> Value {
    let limit = limit.unwrap_or(20).clamp(1, 100) as usize;
    let items: Vec<Value> = items.into_iter().take(limit).collect();
    json!({
        "_embedded": { name: items },
        "_links": { "self": { "href": format!("{}{path}", st.base_url) } },
        "page": { "limit": limit, "next_cursor": null },
    })
}

fn newest_first<'a, T>(
    st: &'a State,
    map: &'a std::collections::HashMap<String, T>,
) -> impl Iterator<Item = &'a T> {
    st.order.iter().rev().filter_map(move |id| map.get(id))
}

pub fn list_instruments(st: &State, owner: Option<&str>, limit: Option<i64>) -> Value {
    let items = newest_first(st, &st.instruments)
        .filter(|i| owner.is_none_or(|o| i.identity == o))
        .map(|i| st.render_instrument(i))
        .collect();
    page(
        st,
        "payment_instruments",
        "payment_instruments",
        items,
        limit,
    )
}

// ---- authorizations

fn check_merchant(st: &State, b: &mut Body) -> Result<(), FinixError> {
    let merchant = b.required_string("merchant")?;
    if merchant != st.merchant {
        return Err(FinixError::invalid_field(
            "merchant",
            format!("Merchant {merchant} does not exist"),
        ));
    }
    Ok(())
}

fn currency(b: &mut Body) -> Result<String, FinixError> {
    let currency = b.required_string("currency")?;
    if currency.len() != 3 || !currency.bytes().all(|c| c.is_ascii_uppercase()) {
        return Err(FinixError::invalid_field(
            "currency",
            format!("Invalid currency {currency}"),
        ));
    }
    Ok(currency)
}

fn usable_source(st: &State, b: &mut Body) -> Result<String, FinixError> {
    let source = b.required_string("source")?;
    match st.instruments.get(&source) {
        None => Err(FinixError::invalid_field(
            "source",
            format!("Payment instrument {source} does not exist"),
        )),
        Some(i) if !i.enabled => Err(FinixError::unprocessable(format!(
            "Payment instrument {source} is disabled"
        ))),
        Some(_) => Ok(source),
    }
}

/// What an authorization and a sale (transfer) are both created from.
struct Payment {
    amount: i64,
    currency: String,
    source: String,
    idempotency_id: Option<String>,
    tags: Value,
    outcome: Outcome,
}

impl Payment {
    fn read(st: &State, mut b: Body) -> Result<Self, FinixError> {
        check_merchant(st, &mut b)?;
        let amount = b.required_amount("amount")?;
        let currency = currency(&mut b)?;
        let source = usable_source(st, &mut b)?;
        let idempotency_id = b.string("idempotency_id")?;
        let tags = b.tags()?.unwrap_or_else(|| json!({}));
        b.ignore(&[
            "fraud_session_id",
            "security_code",
            "fee",
            "statement_descriptor",
            "additional_purchase_data",
            "additional_buyer_charges",
            "3d_secure_authentication",
            "device",
            "operation_key",
            "hsa_fsa_payment",
        ]);
        b.finish()?;
        let outcome = outcome(amount, st.instruments[&source].card.outcome);
        Ok(Self {
            amount,
            currency,
            source,
            idempotency_id,
            tags,
            outcome,
        })
    }
}

pub fn create_authorization(st: &mut State, b: Body) -> Result<(StatusCode, Value), FinixError> {
    let Payment {
        amount,
        currency,
        source,
        idempotency_id,
        tags,
        outcome,
    } = Payment::read(st, b)?;
    let now = ids::now();
    let mut authorization = Authorization {
        id: ids::finix("AU"),
        created: now,
        updated: now,
        amount,
        currency,
        source,
        state: "SUCCEEDED",
        failure: None,
        idempotency_id,
        tags,
        transfer: None,
        is_void: false,
        void_state: "UNATTEMPTED",
        expires: now + 7 * 24 * 3600,
        trace_id: ids::alphanumeric(32).to_lowercase(),
    };
    if let Outcome::Decline(code, message) = outcome {
        authorization.state = "FAILED";
        authorization.failure = Some((code, message));
    }
    let id = authorization.id.clone();
    let rendered = st.render_authorization(&authorization);
    st.remember(&id);
    st.authorizations.insert(id.clone(), authorization);
    st.raise("authorization", "created", rendered.clone());
    match outcome {
        Outcome::Decline(code, message) => Err(FinixError::declined(
            (code, message),
            (
                "authorization",
                format!("{}authorizations/{id}", st.base_url),
            ),
        )),
        _ => Ok((StatusCode::CREATED, rendered)),
    }
}

pub fn get_authorization(st: &State, id: &str) -> Result<(StatusCode, Value), FinixError> {
    st.authorizations
        .get(id)
        .map(|a| (StatusCode::OK, st.render_authorization(a)))
        .ok_or_else(|| FinixError::not_found("Authorization", id))
}

/// `PUT /authorizations/{id}`: `capture_amount` captures, `void_me: true`
/// voids, `tags` alone updates.
pub fn update_authorization(
    st: &mut State,
    id: &str,
    mut b: Body,
) -> Result<(StatusCode, Value), FinixError> {
    let capture_amount = b.integer("capture_amount")?;
    let void_me = b.boolean("void_me")?.unwrap_or(false);
    let tags = b.tags()?;
    b.ignore(&["fee", "additional_purchase_data"]);
    b.finish()?;
    let auth = st
        .authorizations
        .get(id)
        .cloned()
        .ok_or_else(|| FinixError::not_found("Authorization", id))?;
    if capture_amount.is_some() && void_me {
        return Err(FinixError::invalid_field(
            "void_me",
            "Capture or void, not both",
        ));
    }
    if (capture_amount.is_some() || void_me) && auth.state != "SUCCEEDED" {
        return Err(FinixError::unprocessable(format!(
            "Authorization {id} is in state {} and cannot be captured or voided",
            auth.state
        )));
    }
    if (capture_amount.is_some() || void_me) && auth.is_void {
        return Err(FinixError::unprocessable(format!(
            "Authorization {id} has been voided"
        )));
    }
    if (capture_amount.is_some() || void_me) && auth.transfer.is_some() {
        return Err(FinixError::unprocessable(format!(
            "Authorization {id} has already been captured"
        )));
    }
    let now = ids::now();
    if let Some(amount) = capture_amount {
        if amount < 1 || amount > auth.amount {
            return Err(FinixError::invalid_field(
                "capture_amount",
                format!(
                    "capture_amount must be between 1 and the authorized amount ({})",
                    auth.amount
                ),
            ));
        }
        let card_outcome = st.instruments[&auth.source].card.outcome;
        if now > auth.expires || card_outcome == Outcome::CaptureExpires {
            return Err(FinixError::declined(
                (
                    "AUTHORIZATION_EXPIRED_OR_ALREADY_CAPTURED",
                    "The authorization has expired or was already captured. Create a new authorization.",
                ),
                (
                    "authorization",
                    format!("{}authorizations/{id}", st.base_url),
                ),
            ));
        }
        let transfer = Transfer {
            id: ids::finix("TR"),
            created: now,
            updated: now,
            kind: TransferKind::Debit,
            amount,
            currency: auth.currency.clone(),
            instrument: auth.source.clone(),
            state: "PENDING",
            failure: None,
            idempotency_id: None,
            tags: auth.tags.clone(),
            parent: None,
            trace_id: auth.trace_id.clone(),
        };
        let transfer_id = transfer.id.clone();
        let rendered_transfer = st.render_transfer(&transfer);
        st.remember(&transfer_id);
        st.transfers.insert(transfer_id.clone(), transfer);
        st.pending.push(transfer_id.clone());
        let a = st.authorizations.get_mut(id).expect("exists");
        a.transfer = Some(transfer_id.clone());
        a.updated = now;
        if let Some(tags) = tags {
            a.tags = tags;
        }
        let rendered = st.render_authorization(&st.authorizations[id]);
        st.raise("authorization", "updated", rendered.clone());
        st.raise("transfer", "created", rendered_transfer);
        if outcome(auth.amount, card_outcome) == Outcome::Dispute {
            st.open_dispute(&transfer_id);
        }
        return Ok((StatusCode::OK, rendered));
    }
    let a = st.authorizations.get_mut(id).expect("exists");
    if void_me {
        a.is_void = true;
        a.void_state = "PENDING";
        st.pending.push(id.to_owned());
    }
    if let Some(tags) = tags {
        a.tags = tags;
    }
    a.updated = now;
    let rendered = st.render_authorization(&st.authorizations[id]);
    st.raise("authorization", "updated", rendered.clone());
    Ok((StatusCode::OK, rendered))
}

// ---- transfers and reversals

pub fn create_transfer(st: &mut State, b: Body) -> Result<(StatusCode, Value), FinixError> {
    let Payment {
        amount,
        currency,
        source,
        idempotency_id,
        tags,
        outcome,
    } = Payment::read(st, b)?;
    let now = ids::now();
    let mut transfer = Transfer {
        id: ids::finix("TR"),
        created: now,
        updated: now,
        kind: TransferKind::Debit,
        amount,
        currency,
        instrument: source,
        state: "SUCCEEDED",
        failure: None,
        idempotency_id,
        tags,
        parent: None,
        trace_id: ids::alphanumeric(32).to_lowercase(),
    };
    if let Outcome::Decline(code, message) = outcome {
        transfer.state = "FAILED";
        transfer.failure = Some((code, message));
    }
    let id = transfer.id.clone();
    let rendered = st.render_transfer(&transfer);
    st.remember(&id);
    st.transfers.insert(id.clone(), transfer);
    st.raise("transfer", "created", rendered.clone());
    match outcome {
        Outcome::Decline(code, message) => Err(FinixError::declined(
            (code, message),
            ("transfer", format!("{}transfers/{id}", st.base_url)),
        )),
        Outcome::Dispute => {
            st.open_dispute(&id);
            Ok((StatusCode::CREATED, rendered))
        }
        _ => Ok((StatusCode::CREATED, rendered)),
    }
}

pub fn get_transfer(st: &State, id: &str) -> Result<(StatusCode, Value), FinixError> {
    st.transfers
        .get(id)
        .map(|t| (StatusCode::OK, st.render_transfer(t)))
        .ok_or_else(|| FinixError::not_found("Transfer", id))
}

fn reversed(st: &State, parent: &str) -> i64 {
    st.transfers
        .values()
        .filter(|t| t.parent.as_deref() == Some(parent) && t.state != "FAILED")
        .map(|t| t.amount)
        .sum()
}

/// `POST /transfers/{id}/reversals`: a refund of a debit, in full or in part.
pub fn create_reversal(
    st: &mut State,
    parent_id: &str,
    mut b: Body,
) -> Result<(StatusCode, Value), FinixError> {
    let refund_amount = b.required_amount("refund_amount")?;
    let idempotency_id = b.string("idempotency_id")?;
    let tags = b.tags()?.unwrap_or_else(|| json!({}));
    b.ignore(&["fee", "split_transfers"]);
    b.finish()?;
    let parent = st
        .transfers
        .get(parent_id)
        .cloned()
        .ok_or_else(|| FinixError::not_found("Transfer", parent_id))?;
    if parent.kind != TransferKind::Debit || parent.state == "FAILED" {
        return Err(FinixError::unprocessable(format!(
            "Transfer {parent_id} is not a successful debit and cannot be reversed"
        )));
    }
    let refundable = parent.amount - reversed(st, parent_id);
    if refund_amount > refundable {
        return Err(FinixError {
            kept: true,
            ..FinixError::invalid_field(
                "refund_amount",
                format!(
                    "refund_amount ({refund_amount}) exceeds the amount that can still be refunded ({refundable})"
                ),
            )
        });
    }
    let now = ids::now();
    let reversal = Transfer {
        id: ids::finix("TR"),
        created: now,
        updated: now,
        kind: TransferKind::Reversal,
        amount: refund_amount,
        currency: parent.currency.clone(),
        instrument: parent.instrument.clone(),
        state: "PENDING",
        failure: None,
        idempotency_id,
        tags,
        parent: Some(parent_id.to_owned()),
        trace_id: ids::alphanumeric(32).to_lowercase(),
    };
    let rendered = st.render_transfer(&reversal);
    st.remember(&reversal.id);
    st.pending.push(reversal.id.clone());
    st.transfers.insert(reversal.id.clone(), reversal);
    st.raise("transfer", "created", rendered.clone());
    Ok((StatusCode::CREATED, rendered))
}

pub fn list_reversals(
    st: &State,
    parent: &str,
    limit: Option<i64>,
) -> Result<(StatusCode, Value), FinixError> {
    if !st.transfers.contains_key(parent) {
        return Err(FinixError::not_found("Transfer", parent));
    }
    let items = newest_first(st, &st.transfers)
        .filter(|t| t.parent.as_deref() == Some(parent))
        .map(|t| st.render_transfer(t))
        .collect();
    Ok((
        StatusCode::OK,
        page(
            st,
            "transfers",
            &format!("transfers/{parent}/reversals"),
            items,
            limit,
        ),
    ))
}

pub fn get_dispute(st: &State, id: &str) -> Result<(StatusCode, Value), FinixError> {
    st.disputes
        .get(id)
        .map(|d| (StatusCode::OK, st.render_dispute(d)))
        .ok_or_else(|| FinixError::not_found("Dispute", id))
}
