//! PaymentIntents (https://docs.stripe.com/api/payment_intents): create,
//! retrieve, update, confirm, capture, cancel, list, and the end of 3-D Secure.
//!
//! Status machine: `requires_payment_method` → `requires_confirmation` →
//! (`requires_action` for 3-D Secure) → `requires_capture` (manual capture)
//! or `succeeded`; `canceled` from any unfinished state. A declined attempt
//! returns to `requires_payment_method` with `last_payment_error`.

use serde_json::{Value, json};

use super::{
    cards::{self, Behavior, Decline},
    error::ApiError,
    params::Params,
    state::{Caller, CaptureMethod, Charge, Ctx, Dispute, PaymentIntent, PiStatus, State},
};
use crate::ids;

/// Smallest amount Stripe charges, in minor units of the currency.
fn minimum_amount(currency: &str) -> i64 {
    match currency {
        "gbp" => 30,
        "jpy" => 50,
        "huf" => 17500,
        "dkk" | "nok" | "sek" => 300,
        "hkd" => 400,
        "mxn" => 1000,
        "czk" => 1500,
        "pln" => 200,
        _ => 50,
    }
}

pub fn currency(p: &mut Params) -> Result<String, ApiError> {
    let currency = p.required_string("currency")?.to_ascii_lowercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(ApiError::invalid_request(format!(
            "Invalid currency: {currency}. Stripe currently supports these currencies: usd, eur, gbp, chf, …"
        ))
        .param("currency"));
    }
    Ok(currency)
}

fn check_amount(amount: i64, currency: &str) -> Result<(), ApiError> {
    let minimum = minimum_amount(currency);
    if amount < minimum {
        return Err(ApiError::invalid_request(format!(
            "Amount must be at least {minimum} in the smallest unit of {currency}"
        ))
        .code("amount_too_small")
        .param("amount"));
    }
    if amount > 99_999_999 {
        return Err(
            ApiError::invalid_request("Amount must be no more than 99999999")
                .code("amount_too_large")
                .param("amount"),
        );
    }
    Ok(())
}

/// `off_session=true` or `one_off`/`recurring`.
fn off_session(p: &mut Params) -> Result<Option<bool>, ApiError> {
    match p.string("off_session")?.as_deref() {
        None => Ok(None),
        Some("true" | "one_off" | "recurring") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(ApiError::invalid_request(format!(
            "Invalid off_session: {other} (must be a boolean, one_off or recurring)"
        ))
        .param("off_session")),
    }
}

/// The publishable key may read and confirm an intent only with its client secret.
pub fn check_client_secret(ctx: &Ctx, p: &mut Params, expected: &str) -> Result<(), ApiError> {
    let given = p.string("client_secret")?;
    if ctx.caller == Caller::Publishable {
        match given {
            None => return Err(ApiError::missing("client_secret")),
            Some(given) if given != expected => {
                return Err(ApiError::invalid_request(
                    "The client_secret provided does not match the client_secret associated with the PaymentIntent.",
                )
                .param("client_secret"));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// A PaymentMethod for this intent's customer (or for no customer).
pub fn usable_payment_method(
    st: &mut State,
    id: &str,
    customer: Option<&str>,
) -> Result<String, ApiError> {
    let id = st.resolve_payment_method(id, "payment_method")?;
    let pm = st.payment_method(&id, "payment_method")?;
    if pm.consumed {
        return Err(ApiError::invalid_request(
            "The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.",
        )
        .param("payment_method"));
    }
    match (pm.customer.as_deref(), customer) {
        (Some(owner), Some(customer)) if owner != customer => Err(ApiError::invalid_request(
            format!("The provided PaymentMethod belongs to a different Customer ({owner}) than this one ({customer})."),
        )
        .param("payment_method")),
        (Some(owner), None) => Err(ApiError::invalid_request(format!(
            "The provided PaymentMethod is attached to a Customer ({owner}). To use it, pass that Customer's id as customer."
        ))
        .param("payment_method")),
        _ => Ok(id),
    }
}

pub fn create(st: &mut State, ctx: &Ctx, mut p: Params) -> Result<Value, ApiError> {
    let amount = p.required_integer("amount")?;
    let currency = currency(&mut p)?;
    check_amount(amount, &currency)?;
    let customer = p.string("customer")?;
    if let Some(c) = &customer {
        st.customer(c, "customer")?;
    }
    let payment_method = p.string("payment_method")?;
    let automatic = match p.hash("automatic_payment_methods")? {
        Some(mut apm) => {
            let enabled = apm.boolean("enabled")?.unwrap_or(false);
            apm.one_of("allow_redirects", &["always", "never"])?;
            apm.finish()?;
            enabled
        }
        None => false,
    };
    let types = p
        .list("payment_method_types")?
        .unwrap_or_else(|| vec!["card".into()]);
    if let Some(unsupported) = types.iter().find(|t| *t != "card") {
        return Err(ApiError::invalid_request(format!(
            "The payment method type \"{unsupported}\" is not supported by the simulator (only card)."
        ))
        .param("payment_method_types"));
    }
    let capture_method = match p.one_of(
        "capture_method",
        &["automatic", "automatic_async", "manual"],
    )? {
        Some(c) => CaptureMethod::parse(&c),
        // API versions from 2024-04-10 default to asynchronous capture.
        None if ctx.api_version.as_str() >= "2024-04-10" => CaptureMethod::AutomaticAsync,
        None => CaptureMethod::Automatic,
    };
    let manual_confirmation = p
        .one_of("confirmation_method", &["automatic", "manual"])?
        .as_deref()
        == Some("manual");
    let confirm = p.boolean("confirm")?.unwrap_or(false);
    let off_session = off_session(&mut p)?;
    let return_url = p.string("return_url")?;
    let error_on_requires_action = p.boolean("error_on_requires_action")?;
    if !confirm {
        for (given, name) in [
            (off_session.is_some(), "off_session"),
            (return_url.is_some(), "return_url"),
            (
                error_on_requires_action.is_some(),
                "error_on_requires_action",
            ),
        ] {
            if given {
                return Err(ApiError::invalid_request(format!(
                    "You can only specify {name} when confirm is set to true."
                ))
                .param(name));
            }
        }
    }
    let metadata = p.metadata()?.map(|m| m.into_new()).unwrap_or_default();
    let description = p.string("description")?;
    let receipt_email = p.string("receipt_email")?;
    let statement_descriptor_suffix = p.string("statement_descriptor_suffix")?;
    let setup_future_usage = p.one_of("setup_future_usage", &["on_session", "off_session"])?;
    let shipping = p.raw_hash("shipping")?;
    p.ignore(&[
        "use_stripe_sdk",
        "payment_method_options",
        "mandate_data",
        "mandate",
        "radar_options",
        "statement_descriptor",
        "transfer_group",
        "application_fee_amount",
        "on_behalf_of",
        "transfer_data",
        "excluded_payment_method_types",
        "allowed_payment_method_types",
        "amount_details",
        "payment_details",
        "hooks",
    ]);
    p.finish()?;

    let payment_method = payment_method
        .map(|id| usable_payment_method(st, &id, customer.as_deref()))
        .transpose()?;
    let id = ids::stripe("pi");
    let pi = PaymentIntent {
        client_secret: format!("{id}_secret_{}", ids::alphanumeric(25)),
        id: id.clone(),
        seq: st.next_seq(),
        created: ids::now(),
        amount,
        currency,
        status: if payment_method.is_some() {
            PiStatus::RequiresConfirmation
        } else {
            PiStatus::RequiresPaymentMethod
        },
        capture_method,
        manual_confirmation,
        customer,
        payment_method,
        payment_method_types: types,
        automatic_payment_methods: automatic,
        metadata,
        description,
        receipt_email,
        statement_descriptor_suffix,
        setup_future_usage,
        shipping,
        amount_capturable: 0,
        amount_received: 0,
        latest_charge: None,
        last_payment_error: None,
        next_action: None,
        canceled_at: None,
        cancellation_reason: None,
        off_session: off_session.unwrap_or(false),
        authenticated: false,
        authorization_expired: false,
        return_url,
    };
    let rendered = st.render_payment_intent(&pi);
    st.payment_intents.insert(id.clone(), pi);
    st.raise(Some(ctx), "payment_intent.created", rendered);
    if confirm {
        attempt(st, ctx, &id, error_on_requires_action.unwrap_or(false))?;
    }
    Ok(st.render_payment_intent(&st.payment_intents[&id]))
}

pub fn retrieve(st: &mut State, ctx: &Ctx, id: &str, mut p: Params) -> Result<Value, ApiError> {
    let pi = st.payment_intent_mut(id)?.clone();
    check_client_secret(ctx, &mut p, &pi.client_secret)?;
    p.finish()?;
    Ok(st.render_payment_intent(&pi))
}

pub fn list(st: &mut State, mut p: Params) -> Result<Value, ApiError> {
    let customer = p.string("customer")?;
    p.ignore(&["created"]);
    let items = st
        .payment_intents
        .values()
        .filter(|pi| customer.is_none() || pi.customer == customer)
        .map(|pi| (pi, pi.seq, pi.id.as_str()))
        .collect();
    let page = super::state::list(items, &mut p, "/v1/payment_intents", |pi| {
        st.render_payment_intent(pi)
    })?;
    p.finish()?;
    Ok(page)
}

fn unexpected_state(action: &str, status: PiStatus, allowed: &[PiStatus]) -> ApiError {
    let allowed: Vec<_> = allowed.iter().map(|s| s.as_str()).collect();
    ApiError::unexpected_state(
        format!(
            "You cannot {action} this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of the following statuses may be {}: {}.",
            status.as_str(),
            match action {
                "confirm" => "confirmed",
                "cancel" => "canceled",
                "capture" => "captured",
                _ => "updated",
            },
            allowed.join(", ")
        ),
        "payment_intent_unexpected_state",
    )
}

pub fn update(st: &mut State, ctx: &Ctx, id: &str, mut p: Params) -> Result<Value, ApiError> {
    let _ = ctx;
    let mut pi = st.payment_intent_mut(id)?.clone();
    let amount = p.integer("amount")?;
    let currency = if p.has("currency") {
        Some(currency(&mut p)?)
    } else {
        None
    };
    let customer = p.string("customer")?;
    let payment_method = p.string("payment_method")?;
    let capture_method = p.one_of(
        "capture_method",
        &["automatic", "automatic_async", "manual"],
    )?;
    let setup_future_usage = p.string("setup_future_usage")?;
    let types = p.list("payment_method_types")?;
    let metadata = p.metadata()?;
    let description = p.nullable_string("description")?;
    let receipt_email = p.nullable_string("receipt_email")?;
    let statement_descriptor_suffix = p.nullable_string("statement_descriptor_suffix")?;
    let shipping = p.raw_hash("shipping")?;
    p.ignore(&[
        "payment_method_options",
        "transfer_group",
        "statement_descriptor",
    ]);
    p.finish()?;

    let changes_payment = amount.is_some()
        || currency.is_some()
        || customer.is_some()
        || payment_method.is_some()
        || capture_method.is_some()
        || setup_future_usage.is_some()
        || types.is_some();
    let open = [
        PiStatus::RequiresPaymentMethod,
        PiStatus::RequiresConfirmation,
        PiStatus::RequiresAction,
    ];
    if changes_payment && !open.contains(&pi.status) {
        return Err(unexpected_state("update", pi.status, &open));
    }
    if matches!(pi.status, PiStatus::Canceled | PiStatus::Succeeded) && shipping.is_some() {
        return Err(unexpected_state("update", pi.status, &open));
    }
    if let Some(c) = &customer {
        st.customer(c, "customer")?;
        pi.customer = Some(c.clone());
    }
    if let Some(amount) = amount {
        check_amount(amount, currency.as_deref().unwrap_or(&pi.currency))?;
        pi.amount = amount;
    }
    if let Some(currency) = currency {
        pi.currency = currency;
    }
    if let Some(c) = capture_method {
        pi.capture_method = CaptureMethod::parse(&c);
    }
    if let Some(s) = setup_future_usage {
        pi.setup_future_usage = (!s.is_empty()).then_some(s);
    }
    if let Some(types) = types {
        pi.payment_method_types = types;
    }
    if let Some(pm) = payment_method {
        pi.payment_method = Some(usable_payment_method(st, &pm, pi.customer.as_deref())?);
        pi.authenticated = false;
    }
    if changes_payment {
        // A changed payment has to be confirmed (and authenticated) again.
        pi.next_action = None;
        pi.status = if pi.payment_method.is_some() {
            PiStatus::RequiresConfirmation
        } else {
            PiStatus::RequiresPaymentMethod
        };
    }
    if let Some(m) = metadata {
        m.apply(&mut pi.metadata);
    }
    if let Some(d) = description {
        pi.description = d;
    }
    if let Some(e) = receipt_email {
        pi.receipt_email = e;
    }
    if let Some(s) = statement_descriptor_suffix {
        pi.statement_descriptor_suffix = s;
    }
    if shipping.is_some() {
        pi.shipping = shipping;
    }
    pi.last_payment_error = None;
    let rendered = st.render_payment_intent(&pi);
    st.payment_intents.insert(pi.id.clone(), pi);
    Ok(rendered)
}

pub fn confirm(st: &mut State, ctx: &Ctx, id: &str, mut p: Params) -> Result<Value, ApiError> {
    let pi = st.payment_intent_mut(id)?.clone();
    check_client_secret(ctx, &mut p, &pi.client_secret)?;
    let payment_method = p.string("payment_method")?;
    let off_session = off_session(&mut p)?;
    let return_url = p.string("return_url")?;
    let setup_future_usage = p.one_of("setup_future_usage", &["on_session", "off_session"])?;
    let capture_method = p.one_of(
        "capture_method",
        &["automatic", "automatic_async", "manual"],
    )?;
    let receipt_email = p.string("receipt_email")?;
    let error_on_requires_action = p.boolean("error_on_requires_action")?.unwrap_or(false);
    let shipping = p.raw_hash("shipping")?;
    p.ignore(&[
        "use_stripe_sdk",
        "payment_method_options",
        "mandate_data",
        "mandate",
        "radar_options",
        "expected_payment_method_type",
        "payment_method_types",
        "allowed_payment_method_types",
        "amount_details",
        "payment_details",
        "hooks",
    ]);
    p.finish()?;

    let confirmable = [
        PiStatus::RequiresPaymentMethod,
        PiStatus::RequiresConfirmation,
        PiStatus::RequiresAction,
    ];
    if !confirmable.contains(&pi.status) {
        return Err(unexpected_state("confirm", pi.status, &confirmable));
    }
    let chosen = match payment_method {
        Some(pm) => Some(usable_payment_method(st, &pm, pi.customer.as_deref())?),
        None => None,
    };
    let pi = st.payment_intent_mut(id)?;
    if let Some(pm) = chosen {
        if pi.payment_method.as_ref() != Some(&pm) {
            pi.authenticated = false;
        }
        pi.payment_method = Some(pm);
    }
    if pi.payment_method.is_none() {
        return Err(ApiError::invalid_request(
            "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
        )
        .code("payment_intent_unexpected_state")
        .kept());
    }
    if let Some(off) = off_session {
        pi.off_session = off;
    }
    if return_url.is_some() {
        pi.return_url = return_url;
    }
    if let Some(s) = setup_future_usage {
        pi.setup_future_usage = Some(s);
    }
    if let Some(c) = capture_method {
        pi.capture_method = CaptureMethod::parse(&c);
    }
    if receipt_email.is_some() {
        pi.receipt_email = receipt_email;
    }
    if shipping.is_some() {
        pi.shipping = shipping;
    }
    attempt(st, ctx, id, error_on_requires_action)?;
    Ok(st.render_payment_intent(&st.payment_intents[id]))
}

/// Whether this payment needs 3-D Secure before the card is charged.
fn needs_authentication(st: &State, pi: &PaymentIntent, pm_id: &str) -> bool {
    let pm = &st.payment_methods[pm_id];
    let required = match pm.card.behavior {
        Behavior::AlwaysAuthenticate => true,
        Behavior::AuthenticateUnlessSetUp => !(pi.off_session && pm.set_up_off_session),
        _ => false,
    };
    required && !pi.authenticated
}

pub fn three_d_secure_action(
    ctx: &Ctx,
    intent_id: &str,
    client_secret: &str,
    return_url: Option<&str>,
) -> Value {
    let page = format!(
        "{}v3/3ds/{intent_id}?client_secret={}",
        ctx.base_url,
        encode(client_secret)
    );
    match return_url {
        Some(return_url) => json!({
            "type": "redirect_to_url",
            "redirect_to_url": {
                "return_url": return_url,
                "url": format!("{page}&return_url={}", encode(return_url)),
            },
        }),
        None => json!({
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {
                "type": "three_d_secure_redirect",
                "stripe_js": page,
                "source": ids::stripe("src"),
            },
        }),
    }
}

pub fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// One confirmation attempt of an intent that has a payment method.
fn attempt(
    st: &mut State,
    ctx: &Ctx,
    id: &str,
    error_on_requires_action: bool,
) -> Result<(), ApiError> {
    let pi = st.payment_intents[id].clone();
    let pm_id = pi.payment_method.clone().expect("checked by the caller");
    if st.payment_methods[&pm_id].consumed {
        return Err(ApiError::invalid_request(
            "The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again.",
        )
        .param("payment_method")
        .kept());
    }
    if needs_authentication(st, &pi, &pm_id) {
        if pi.off_session || error_on_requires_action {
            return Err(decline(st, ctx, id, cards::AUTHENTICATION_REQUIRED));
        }
        let action = three_d_secure_action(ctx, id, &pi.client_secret, pi.return_url.as_deref());
        let pi = st.payment_intent_mut(id)?;
        pi.status = PiStatus::RequiresAction;
        pi.next_action = Some(action);
        let rendered = st.render_payment_intent(&st.payment_intents[id]);
        st.raise(Some(ctx), "payment_intent.requires_action", rendered);
        return Ok(());
    }
    match st.payment_methods[&pm_id].card.behavior {
        Behavior::Declines(d) => Err(decline(st, ctx, id, d)),
        Behavior::AttachesButChargesFail => Err(decline(
            st,
            ctx,
            id,
            Decline {
                code: "card_declined",
                decline_code: Some("generic_decline"),
                message: "Your card was declined.",
                checked_on_attach: false,
            },
        )),
        Behavior::LiveCard => Err(decline(st, ctx, id, LIVE_CARD)),
        _ => {
            authorize(st, ctx, id);
            Ok(())
        }
    }
}

pub const LIVE_CARD: Decline = Decline {
    code: "card_declined",
    decline_code: Some("test_mode_live_card"),
    message: "Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing.",
    checked_on_attach: true,
};

fn new_charge(
    st: &mut State,
    pi: &PaymentIntent,
    succeeded: bool,
    failure: Option<Decline>,
) -> Charge {
    let pm = &st.payment_methods[pi.payment_method.as_ref().expect("a payment method")];
    let captured = succeeded && pi.capture_method != CaptureMethod::Manual;
    Charge {
        id: ids::stripe("ch"),
        seq: 0,
        created: ids::now(),
        amount: pi.amount,
        amount_captured: if captured { pi.amount } else { 0 },
        amount_refunded: 0,
        captured,
        succeeded,
        currency: pi.currency.clone(),
        customer: pi.customer.clone(),
        description: pi.description.clone(),
        payment_intent: pi.id.clone(),
        payment_method: pm.id.clone(),
        card: pm.card.clone(),
        billing_details: pm.billing_details.clone(),
        metadata: pi.metadata.clone(),
        failure,
        three_d_secure: pi.authenticated,
        disputed: false,
        receipt_email: pi.receipt_email.clone(),
        balance_transaction: captured.then(|| ids::stripe("txn")),
    }
}

fn insert_charge(st: &mut State, mut charge: Charge) -> String {
    charge.seq = st.next_seq();
    let id = charge.id.clone();
    st.charges.insert(id.clone(), charge);
    id
}

/// The issuer refused: a failed charge, the intent back to
/// `requires_payment_method`, and the 402 to answer.
fn decline(st: &mut State, ctx: &Ctx, id: &str, d: Decline) -> ApiError {
    let pi = st.payment_intents[id].clone();
    let pm_id = pi.payment_method.clone().expect("a payment method");
    let charge = new_charge(st, &pi, false, Some(d));
    let charge_id = insert_charge(st, charge);
    let rendered = st.render_charge(&st.charges[&charge_id]);
    st.raise(Some(ctx), "charge.failed", rendered);
    let pm_json = st.render_payment_method(&st.payment_methods[&pm_id]);
    let error = ApiError::card(d.code, d.decline_code, d.message)
        .with("charge", json!(charge_id))
        .with("payment_method", pm_json);
    let pi = st.payment_intents.get_mut(id).expect("exists");
    pi.status = PiStatus::RequiresPaymentMethod;
    pi.latest_charge = Some(charge_id);
    pi.last_payment_error = Some(Value::Object(error.body.clone()));
    pi.payment_method = None;
    pi.next_action = None;
    pi.authenticated = false;
    let rendered = st.render_payment_intent(&st.payment_intents[id]);
    st.raise(Some(ctx), "payment_intent.payment_failed", rendered.clone());
    error.with("payment_intent", rendered)
}

/// The card was charged (or authorized, for manual capture).
fn authorize(st: &mut State, ctx: &Ctx, id: &str) {
    let pi = st.payment_intents[id].clone();
    let pm_id = pi.payment_method.clone().expect("a payment method");
    let charge = new_charge(st, &pi, true, None);
    let captured = charge.captured;
    let charge_id = insert_charge(st, charge);
    let rendered = st.render_charge(&st.charges[&charge_id]);
    st.raise(Some(ctx), "charge.succeeded", rendered);

    let pi = st.payment_intents.get_mut(id).expect("exists");
    pi.latest_charge = Some(charge_id.clone());
    pi.next_action = None;
    pi.last_payment_error = None;
    if captured {
        pi.status = PiStatus::Succeeded;
        pi.amount_received = pi.amount;
    } else {
        pi.status = PiStatus::RequiresCapture;
        pi.amount_capturable = pi.amount;
    }
    let customer = pi.customer.clone();
    let saves = pi.setup_future_usage.is_some();
    let authenticated_off_session = pi.setup_future_usage.as_deref() == Some("off_session");

    let pm = st.payment_methods.get_mut(&pm_id).expect("exists");
    match (&customer, saves, pm.customer.is_some()) {
        (Some(customer), true, false) => {
            pm.customer = Some(customer.clone());
            pm.set_up_off_session |= authenticated_off_session;
            let rendered = st.render_payment_method(&st.payment_methods[&pm_id]);
            st.raise(Some(ctx), "payment_method.attached", rendered);
        }
        (_, true, true) => pm.set_up_off_session |= authenticated_off_session,
        (_, _, false) => pm.consumed = true,
        _ => {}
    }

    let rendered = st.render_payment_intent(&st.payment_intents[id]);
    if captured {
        st.raise(Some(ctx), "payment_intent.succeeded", rendered);
        if st.payment_methods[&pm_id].card.behavior == Behavior::Disputed {
            open_dispute(st, None, &charge_id, "fraudulent");
        }
    } else {
        st.raise(
            Some(ctx),
            "payment_intent.amount_capturable_updated",
            rendered,
        );
    }
}

pub fn open_dispute(st: &mut State, ctx: Option<&Ctx>, charge_id: &str, reason: &str) -> Value {
    let charge = st
        .charges
        .get_mut(charge_id)
        .expect("checked by the caller");
    charge.disputed = true;
    let dispute = Dispute {
        id: ids::stripe("dp"),
        created: ids::now(),
        amount: charge.amount_captured,
        charge: charge.id.clone(),
        payment_intent: charge.payment_intent.clone(),
        currency: charge.currency.clone(),
        reason: reason.to_owned(),
    };
    let rendered = st.render_dispute(&dispute);
    st.disputes.insert(dispute.id.clone(), dispute);
    st.raise(ctx, "charge.dispute.created", rendered.clone());
    rendered
}

pub fn capture(st: &mut State, ctx: &Ctx, id: &str, mut p: Params) -> Result<Value, ApiError> {
    let amount_to_capture = p.amount("amount_to_capture")?;
    let metadata = p.metadata()?;
    p.ignore(&[
        "statement_descriptor",
        "statement_descriptor_suffix",
        "final_capture",
        "amount_details",
        "payment_details",
        "hooks",
        "application_fee_amount",
        "transfer_data",
    ]);
    p.finish()?;
    let pi = st.payment_intent_mut(id)?.clone();
    if pi.status != PiStatus::RequiresCapture {
        return Err(unexpected_state(
            "capture",
            pi.status,
            &[PiStatus::RequiresCapture],
        ));
    }
    let amount = amount_to_capture.unwrap_or(pi.amount_capturable);
    if amount > pi.amount_capturable {
        return Err(ApiError::invalid_request(format!(
            "The amount to capture ({amount}) is greater than the amount capturable ({}).",
            pi.amount_capturable
        ))
        .code("amount_too_large")
        .param("amount_to_capture")
        .kept());
    }
    let charge_id = pi
        .latest_charge
        .clone()
        .expect("an authorized intent has a charge");
    let pm_behavior = st.charges[&charge_id].card.behavior;
    if pi.authorization_expired || pm_behavior == Behavior::CaptureExpires {
        expire(st, ctx, id);
        let rendered = st.render_payment_intent(&st.payment_intents[id]);
        return Err(ApiError::unexpected_state(
            "This PaymentIntent could not be captured because the authorization has expired. The funds were released to the customer.",
            "charge_expired_for_capture",
        )
        .with("charge", json!(charge_id))
        .with("payment_intent", rendered));
    }
    let charge = st.charges.get_mut(&charge_id).expect("exists");
    charge.captured = true;
    charge.amount_captured = amount;
    // Stripe shows what a partial capture released as refunded.
    charge.amount_refunded += charge.amount - amount;
    charge.balance_transaction = Some(ids::stripe("txn"));
    let pi = st.payment_intents.get_mut(id).expect("exists");
    pi.amount_received = amount;
    pi.amount_capturable = 0;
    pi.status = PiStatus::Succeeded;
    if let Some(m) = metadata {
        m.apply(&mut pi.metadata);
    }
    let rendered = st.render_charge(&st.charges[&charge_id]);
    st.raise(Some(ctx), "charge.captured", rendered);
    let rendered = st.render_payment_intent(&st.payment_intents[id]);
    st.raise(Some(ctx), "payment_intent.succeeded", rendered.clone());
    if pm_behavior == Behavior::Disputed {
        open_dispute(st, None, &charge_id, "fraudulent");
    }
    Ok(rendered)
}

/// The authorization lapsed: the intent is canceled and the hold released.
fn expire(st: &mut State, ctx: &Ctx, id: &str) {
    let pi = st.payment_intents.get_mut(id).expect("exists");
    pi.status = PiStatus::Canceled;
    pi.canceled_at = Some(ids::now());
    pi.cancellation_reason = Some("automatic".into());
    pi.amount_capturable = 0;
    if let Some(charge) = pi
        .latest_charge
        .clone()
        .and_then(|c| st.charges.get_mut(&c))
    {
        charge.amount_refunded = charge.amount;
    }
    let rendered = st.render_payment_intent(&st.payment_intents[id]);
    st.raise(Some(ctx), "payment_intent.canceled", rendered);
}

pub fn cancel(st: &mut State, ctx: &Ctx, id: &str, mut p: Params) -> Result<Value, ApiError> {
    let reason = p.one_of(
        "cancellation_reason",
        &[
            "duplicate",
            "fraudulent",
            "requested_by_customer",
            "abandoned",
        ],
    )?;
    p.finish()?;
    let pi = st.payment_intent_mut(id)?;
    let cancelable = [
        PiStatus::RequiresPaymentMethod,
        PiStatus::RequiresCapture,
        PiStatus::RequiresConfirmation,
        PiStatus::RequiresAction,
    ];
    if !cancelable.contains(&pi.status) {
        return Err(unexpected_state("cancel", pi.status, &cancelable));
    }
    let held = pi.status == PiStatus::RequiresCapture;
    pi.status = PiStatus::Canceled;
    pi.canceled_at = Some(ids::now());
    pi.cancellation_reason = reason;
    pi.amount_capturable = 0;
    pi.next_action = None;
    if held
        && let Some(charge) = pi
            .latest_charge
            .clone()
            .and_then(|c| st.charges.get_mut(&c))
    {
        charge.amount_refunded = charge.amount;
    }
    let rendered = st.render_payment_intent(&st.payment_intents[id]);
    st.raise(Some(ctx), "payment_intent.canceled", rendered.clone());
    Ok(rendered)
}

/// The shopper finished (or failed) the 3-D Secure challenge.
pub fn finish_authentication(
    st: &mut State,
    ctx: &Ctx,
    id: &str,
    success: bool,
) -> Result<Value, ApiError> {
    let pi = st.payment_intent_mut(id)?;
    if pi.status != PiStatus::RequiresAction {
        return Err(ApiError::invalid_request(format!(
            "This PaymentIntent has a status of {} and does not wait for authentication.",
            pi.status.as_str()
        )));
    }
    pi.next_action = None;
    if success {
        pi.authenticated = true;
        if pi.manual_confirmation {
            pi.status = PiStatus::RequiresConfirmation;
        } else {
            // A decline after authentication is recorded on the intent.
            let _ = attempt(st, ctx, id, false);
        }
    } else {
        let pm_id = pi
            .payment_method
            .take()
            .expect("an intent needing action has a method");
        pi.status = PiStatus::RequiresPaymentMethod;
        let error = st.authentication_failure(
            &pm_id,
            "payment_intent_authentication_failure",
            "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
        );
        st.payment_intents
            .get_mut(id)
            .expect("exists")
            .last_payment_error = Some(error);
        let rendered = st.render_payment_intent(&st.payment_intents[id]);
        st.raise(Some(ctx), "payment_intent.payment_failed", rendered);
    }
    Ok(st.render_payment_intent(&st.payment_intents[id]))
}

/// Test hook: the authorization lapses, so a later capture fails.
pub fn expire_authorization(st: &mut State, id: &str) -> Result<Value, ApiError> {
    let pi = st.payment_intent_mut(id)?;
    if pi.status != PiStatus::RequiresCapture {
        return Err(ApiError::invalid_request(format!(
            "Only an intent awaiting capture has an authorization to expire; {id} is {}.",
            pi.status.as_str()
        )));
    }
    pi.authorization_expired = true;
    Ok(st.render_payment_intent(&st.payment_intents[id]))
}
