//! Refunds, Charges and Events (https://docs.stripe.com/api/refunds,
//! /charges, /events).

use serde_json::Value;

use super::{
    error::ApiError,
    params::Params,
    payment_intents::open_dispute,
    state::{self, Ctx, Refund, State},
};
use crate::ids;

pub fn create(st: &mut State, ctx: &Ctx, mut p: Params) -> Result<Value, ApiError> {
    let payment_intent = p.string("payment_intent")?;
    let charge = p.string("charge")?;
    let amount = p.amount("amount")?;
    let reason = p.one_of(
        "reason",
        &["duplicate", "fraudulent", "requested_by_customer"],
    )?;
    let metadata = p.metadata()?.map(|m| m.into_new()).unwrap_or_default();
    p.ignore(&[
        "instructions_email",
        "refund_application_fee",
        "reverse_transfer",
        "origin",
        "customer",
        "currency",
    ]);
    p.finish()?;
    let charge_id = match (payment_intent, charge) {
        (Some(pi_id), None) => {
            let pi = st
                .payment_intents
                .get(&pi_id)
                .ok_or_else(|| ApiError::no_such("payment_intent", &pi_id, "payment_intent"))?;
            let charge = pi
                .latest_charge
                .as_ref()
                .and_then(|c| st.charges.get(c))
                .filter(|c| c.succeeded && c.captured);
            match charge {
                Some(c) => c.id.clone(),
                None => {
                    return Err(ApiError::unexpected_state(
                        format!(
                            "This PaymentIntent ({pi_id}) does not have a successful charge to refund. An uncaptured PaymentIntent is canceled instead."
                        ),
                        "charge_not_refundable",
                    )
                    .param("payment_intent"));
                }
            }
        }
        (None, Some(charge_id)) => {
            let charge = st.charge(&charge_id)?;
            if !charge.succeeded || !charge.captured {
                return Err(ApiError::unexpected_state(
                    format!("Charge {charge_id} has not been captured and cannot be refunded."),
                    "charge_not_refundable",
                )
                .param("charge"));
            }
            charge_id
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_request(
                "You can only specify one of these parameters: charge, payment_intent.",
            ));
        }
        (None, None) => {
            return Err(ApiError::invalid_request(
                "One of the following params should be provided for this request: payment_intent or charge.",
            ));
        }
    };
    let charge = st.charges[&charge_id].clone();
    let refundable = charge.amount - charge.amount_refunded;
    if refundable == 0 {
        return Err(ApiError::unexpected_state(
            format!("Charge {charge_id} has already been refunded."),
            "charge_already_refunded",
        ));
    }
    let amount = amount.unwrap_or(refundable);
    if amount > refundable {
        return Err(ApiError::invalid_request(format!(
            "Refund amount ({amount}) is greater than unrefunded amount on charge ({refundable})"
        ))
        .code("amount_too_large")
        .param("amount")
        .kept());
    }
    let refund = Refund {
        id: ids::stripe("re"),
        seq: st.next_seq(),
        created: ids::now(),
        amount,
        charge: charge_id.clone(),
        payment_intent: charge.payment_intent.clone(),
        currency: charge.currency.clone(),
        reason,
        metadata,
    };
    let rendered = st.render_refund(&refund);
    st.refunds.insert(refund.id.clone(), refund);
    st.charges
        .get_mut(&charge_id)
        .expect("exists")
        .amount_refunded += amount;
    st.raise(Some(ctx), "refund.created", rendered.clone());
    let charge_json = st.render_charge(&st.charges[&charge_id]);
    st.raise(Some(ctx), "charge.refunded", charge_json);
    Ok(rendered)
}

pub fn retrieve(st: &mut State, id: &str, p: Params) -> Result<Value, ApiError> {
    p.finish()?;
    st.refunds
        .get(id)
        .map(|r| st.render_refund(r))
        .ok_or_else(|| ApiError::no_such("refund", id, "refund"))
}

pub fn list(st: &mut State, mut p: Params) -> Result<Value, ApiError> {
    let payment_intent = p.string("payment_intent")?;
    let charge = p.string("charge")?;
    p.ignore(&["created"]);
    let items = st
        .refunds
        .values()
        .filter(|r| {
            payment_intent
                .as_ref()
                .is_none_or(|pi| &r.payment_intent == pi)
        })
        .filter(|r| charge.as_ref().is_none_or(|c| &r.charge == c))
        .map(|r| (r, r.seq, r.id.as_str()))
        .collect();
    let page = state::list(items, &mut p, "/v1/refunds", |r| st.render_refund(r))?;
    p.finish()?;
    Ok(page)
}

pub fn retrieve_charge(st: &mut State, id: &str, p: Params) -> Result<Value, ApiError> {
    p.finish()?;
    Ok(st.render_charge(st.charge(id)?))
}

pub fn list_charges(st: &mut State, mut p: Params) -> Result<Value, ApiError> {
    let payment_intent = p.string("payment_intent")?;
    let customer = p.string("customer")?;
    p.ignore(&["created", "transfer_group"]);
    let items = st
        .charges
        .values()
        .filter(|c| {
            payment_intent
                .as_ref()
                .is_none_or(|pi| &c.payment_intent == pi)
        })
        .filter(|c| customer.is_none() || c.customer == customer)
        .map(|c| (c, c.seq, c.id.as_str()))
        .collect();
    let page = state::list(items, &mut p, "/v1/charges", |c| st.render_charge(c))?;
    p.finish()?;
    Ok(page)
}

/// Test hook: the cardholder disputes a captured charge.
pub fn dispute(st: &mut State, charge_id: &str, reason: &str) -> Result<Value, ApiError> {
    let charge = st.charge(charge_id)?;
    if !charge.captured {
        return Err(ApiError::invalid_request(format!(
            "Charge {charge_id} was not captured; only captured charges can be disputed."
        )));
    }
    Ok(open_dispute(st, None, charge_id, reason))
}

pub fn retrieve_event(st: &mut State, id: &str, p: Params) -> Result<Value, ApiError> {
    p.finish()?;
    st.events
        .iter()
        .find(|e| e.id == id)
        .map(|e| e.json.clone())
        .ok_or_else(|| ApiError::no_such("event", id, "id"))
}

/// `type` may end in `*` (`payment_intent.*`); `types[]` lists several.
pub fn list_events(st: &mut State, mut p: Params) -> Result<Value, ApiError> {
    let single = p.string("type")?;
    let many = p.list("types")?;
    p.ignore(&["created", "delivery_success"]);
    let patterns: Vec<String> = single.into_iter().chain(many.unwrap_or_default()).collect();
    let matches = |kind: &str| {
        patterns.is_empty()
            || patterns
                .iter()
                .any(|pattern| match pattern.strip_suffix('*') {
                    Some(prefix) => kind.starts_with(prefix),
                    None => kind == pattern,
                })
    };
    let items = st
        .events
        .iter()
        .filter(|e| matches(&e.kind))
        .map(|e| (e, e.seq, e.id.as_str()))
        .collect();
    let page = state::list(items, &mut p, "/v1/events", |e| e.json.clone())?;
    p.finish()?;
    Ok(page)
}
