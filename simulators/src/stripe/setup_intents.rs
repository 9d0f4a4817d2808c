//! SetupIntents (https://docs.stripe.com/api/setup_intents): saving a card
//! for later, with the card check and 3-D Secure a setup may need. A
//! successful setup attaches the card to the customer and, for
//! `usage=off_session`, marks it authenticated for off-session payments.

use serde_json::Value;

use super::{
    cards::Behavior,
    error::ApiError,
    params::Params,
    payment_intents::{
        LIVE_CARD, check_client_secret, three_d_secure_action, usable_payment_method,
    },
    state::{Ctx, SetupIntent, SiStatus, State},
};
use crate::ids;

pub fn create(st: &mut State, ctx: &Ctx, mut p: Params) -> Result<Value, ApiError> {
    let customer = p.string("customer")?;
    if let Some(c) = &customer {
        st.customer(c, "customer")?;
    }
    let payment_method = p.string("payment_method")?;
    let types = p
        .list("payment_method_types")?
        .unwrap_or_else(|| vec!["card".into()]);
    let usage = p
        .one_of("usage", &["off_session", "on_session"])?
        .unwrap_or_else(|| "off_session".into());
    let confirm = p.boolean("confirm")?.unwrap_or(false);
    let return_url = p.string("return_url")?;
    if return_url.is_some() && !confirm {
        return Err(ApiError::invalid_request(
            "You can only specify return_url when confirm is set to true.",
        )
        .param("return_url"));
    }
    let metadata = p.metadata()?.map(|m| m.into_new()).unwrap_or_default();
    let description = p.string("description")?;
    if let Some(mut apm) = p.hash("automatic_payment_methods")? {
        apm.boolean("enabled")?;
        apm.one_of("allow_redirects", &["always", "never"])?;
        apm.finish()?;
    }
    p.ignore(&[
        "use_stripe_sdk",
        "payment_method_options",
        "mandate_data",
        "attach_to_self",
        "flow_directions",
        "on_behalf_of",
    ]);
    p.finish()?;
    let payment_method = payment_method
        .map(|id| usable_payment_method(st, &id, customer.as_deref()))
        .transpose()?;
    let id = ids::stripe("seti");
    let si = SetupIntent {
        client_secret: format!("{id}_secret_{}", ids::alphanumeric(25)),
        id: id.clone(),
        created: ids::now(),
        status: if payment_method.is_some() {
            SiStatus::RequiresConfirmation
        } else {
            SiStatus::RequiresPaymentMethod
        },
        customer,
        payment_method,
        payment_method_types: types,
        usage,
        metadata,
        description,
        last_setup_error: None,
        next_action: None,
        latest_attempt: None,
        cancellation_reason: None,
        authenticated: false,
        return_url,
    };
    let rendered = st.render_setup_intent(&si);
    st.setup_intents.insert(id.clone(), si);
    st.raise(Some(ctx), "setup_intent.created", rendered);
    if confirm {
        attempt(st, ctx, &id)?;
    }
    Ok(st.render_setup_intent(&st.setup_intents[&id]))
}

pub fn retrieve(st: &mut State, ctx: &Ctx, id: &str, mut p: Params) -> Result<Value, ApiError> {
    let si = st.setup_intent_mut(id)?.clone();
    check_client_secret(ctx, &mut p, &si.client_secret)?;
    p.finish()?;
    Ok(st.render_setup_intent(&si))
}

pub fn confirm(st: &mut State, ctx: &Ctx, id: &str, mut p: Params) -> Result<Value, ApiError> {
    let si = st.setup_intent_mut(id)?.clone();
    check_client_secret(ctx, &mut p, &si.client_secret)?;
    let payment_method = p.string("payment_method")?;
    let return_url = p.string("return_url")?;
    p.ignore(&[
        "use_stripe_sdk",
        "payment_method_options",
        "mandate_data",
        "expected_payment_method_type",
    ]);
    p.finish()?;
    let confirmable = [
        SiStatus::RequiresPaymentMethod,
        SiStatus::RequiresConfirmation,
        SiStatus::RequiresAction,
    ];
    if !confirmable.contains(&si.status) {
        return Err(ApiError::unexpected_state(
            format!(
                "You cannot confirm this SetupIntent because it has a status of {}.",
                si.status.as_str()
            ),
            "setup_intent_unexpected_state",
        ));
    }
    let chosen = payment_method
        .map(|pm| usable_payment_method(st, &pm, si.customer.as_deref()))
        .transpose()?;
    let si = st.setup_intent_mut(id)?;
    if let Some(pm) = chosen {
        if si.payment_method.as_ref() != Some(&pm) {
            si.authenticated = false;
        }
        si.payment_method = Some(pm);
    }
    if return_url.is_some() {
        si.return_url = return_url;
    }
    if si.payment_method.is_none() {
        return Err(ApiError::invalid_request(
            "You cannot confirm this SetupIntent because it's missing a payment method.",
        )
        .code("setup_intent_unexpected_state")
        .kept());
    }
    attempt(st, ctx, id)?;
    Ok(st.render_setup_intent(&st.setup_intents[id]))
}

fn attempt(st: &mut State, ctx: &Ctx, id: &str) -> Result<(), ApiError> {
    let si = st.setup_intents[id].clone();
    let pm_id = si.payment_method.clone().expect("checked by the caller");
    let behavior = st.payment_methods[&pm_id].card.behavior;
    let decline = match behavior {
        Behavior::Declines(d) if d.checked_on_attach => Some(d),
        Behavior::LiveCard => Some(LIVE_CARD),
        _ => None,
    };
    if let Some(d) = decline {
        let pm_json = st.render_payment_method(&st.payment_methods[&pm_id]);
        let error =
            ApiError::card(d.code, d.decline_code, d.message).with("payment_method", pm_json);
        let si = st.setup_intent_mut(id)?;
        si.status = SiStatus::RequiresPaymentMethod;
        si.payment_method = None;
        si.last_setup_error = Some(Value::Object(error.body.clone()));
        let rendered = st.render_setup_intent(&st.setup_intents[id]);
        st.raise(Some(ctx), "setup_intent.setup_failed", rendered.clone());
        return Err(error.with("setup_intent", rendered));
    }
    let needs_authentication = matches!(
        behavior,
        Behavior::AlwaysAuthenticate | Behavior::AuthenticateUnlessSetUp
    ) && !si.authenticated;
    if needs_authentication {
        let action = three_d_secure_action(ctx, id, &si.client_secret, si.return_url.as_deref());
        let si = st.setup_intent_mut(id)?;
        si.status = SiStatus::RequiresAction;
        si.next_action = Some(action);
        let rendered = st.render_setup_intent(&st.setup_intents[id]);
        st.raise(Some(ctx), "setup_intent.requires_action", rendered);
        return Ok(());
    }
    let si = st.setup_intent_mut(id)?;
    si.status = SiStatus::Succeeded;
    si.next_action = None;
    si.last_setup_error = None;
    si.latest_attempt = Some(ids::stripe("setatt"));
    let (customer, off_session) = (si.customer.clone(), si.usage == "off_session");
    let pm = st.payment_methods.get_mut(&pm_id).expect("exists");
    pm.set_up_off_session |= off_session;
    if let Some(customer) = customer
        && pm.customer.is_none()
    {
        pm.customer = Some(customer);
        let rendered = st.render_payment_method(&st.payment_methods[&pm_id]);
        st.raise(Some(ctx), "payment_method.attached", rendered);
    }
    let rendered = st.render_setup_intent(&st.setup_intents[id]);
    st.raise(Some(ctx), "setup_intent.succeeded", rendered);
    Ok(())
}

pub fn cancel(st: &mut State, ctx: &Ctx, id: &str, mut p: Params) -> Result<Value, ApiError> {
    let reason = p.one_of(
        "cancellation_reason",
        &["abandoned", "duplicate", "requested_by_customer"],
    )?;
    p.finish()?;
    let si = st.setup_intent_mut(id)?;
    if matches!(si.status, SiStatus::Succeeded | SiStatus::Canceled) {
        return Err(ApiError::unexpected_state(
            format!(
                "You cannot cancel this SetupIntent because it has a status of {}.",
                si.status.as_str()
            ),
            "setup_intent_unexpected_state",
        ));
    }
    si.status = SiStatus::Canceled;
    si.cancellation_reason = reason;
    si.next_action = None;
    let rendered = st.render_setup_intent(&st.setup_intents[id]);
    st.raise(Some(ctx), "setup_intent.canceled", rendered.clone());
    Ok(rendered)
}

pub fn finish_authentication(
    st: &mut State,
    ctx: &Ctx,
    id: &str,
    success: bool,
) -> Result<Value, ApiError> {
    let si = st.setup_intent_mut(id)?;
    if si.status != SiStatus::RequiresAction {
        return Err(ApiError::invalid_request(format!(
            "This SetupIntent has a status of {} and does not wait for authentication.",
            si.status.as_str()
        )));
    }
    si.next_action = None;
    if success {
        si.authenticated = true;
        attempt(st, ctx, id)?;
    } else {
        let pm_id = si
            .payment_method
            .take()
            .expect("a setup needing action has a method");
        si.status = SiStatus::RequiresPaymentMethod;
        let error = st.authentication_failure(
            &pm_id,
            "setup_intent_authentication_failure",
            "The latest attempt to set up the payment method has failed because authentication failed.",
        );
        st.setup_intent_mut(id)?.last_setup_error = Some(error);
        let rendered = st.render_setup_intent(&st.setup_intents[id]);
        st.raise(Some(ctx), "setup_intent.setup_failed", rendered);
    }
    Ok(st.render_setup_intent(&st.setup_intents[id]))
}
