//! Customers and PaymentMethods (https://docs.stripe.com/api/customers,
//! https://docs.stripe.com/api/payment_methods): saved cards are
//! PaymentMethods attached to a Customer.

use serde_json::{Value, json};

use super::{
    cards::{self, Behavior},
    error::ApiError,
    params::Params,
    payment_intents::LIVE_CARD,
    state::{self, Caller, Card, Ctx, Customer, State, billing_details},
};
use crate::ids;

pub fn create_customer(st: &mut State, ctx: &Ctx, mut p: Params) -> Result<Value, ApiError> {
    let email = p.string("email")?;
    let name = p.string("name")?;
    let phone = p.string("phone")?;
    let description = p.string("description")?;
    let metadata = p.metadata()?.map(|m| m.into_new()).unwrap_or_default();
    let payment_method = p.string("payment_method")?;
    let default_pm = invoice_settings(&mut p)?;
    p.ignore(&[
        "address",
        "shipping",
        "preferred_locales",
        "tax_exempt",
        "tax",
        "balance",
        "invoice_prefix",
        "next_invoice_sequence",
        "test_clock",
    ]);
    p.finish()?;
    let id = ids::stripe("cus");
    let customer = Customer {
        id: id.clone(),
        created: ids::now(),
        email,
        name,
        phone,
        description,
        metadata,
        default_payment_method: None,
        deleted: false,
    };
    st.customers.insert(id.clone(), customer);
    if let Some(pm) = payment_method {
        attach_to(st, ctx, &pm, &id)?;
    }
    if let Some(Some(pm)) = default_pm {
        set_default(st, &id, &pm)?;
    }
    let rendered = st.render_customer(&st.customers[&id]);
    st.raise(Some(ctx), "customer.created", rendered.clone());
    Ok(rendered)
}

/// `invoice_settings[default_payment_method]`: `Some(None)` unsets it.
fn invoice_settings(p: &mut Params) -> Result<Option<Option<String>>, ApiError> {
    let Some(mut settings) = p.hash("invoice_settings")? else {
        return Ok(None);
    };
    let default = settings.nullable_string("default_payment_method")?;
    settings.ignore(&["custom_fields", "footer", "rendering_options"]);
    settings.finish()?;
    Ok(default)
}

fn set_default(st: &mut State, customer: &str, pm: &str) -> Result<(), ApiError> {
    let owner = st
        .payment_method(pm, "invoice_settings[default_payment_method]")?
        .customer
        .clone();
    if owner.as_deref() != Some(customer) {
        return Err(ApiError::invalid_request(format!(
            "No such PaymentMethod: '{pm}'; It's possible this PaymentMethod exists on one of your connected accounts or is not attached to this customer."
        ))
        .param("invoice_settings[default_payment_method]"));
    }
    st.customers
        .get_mut(customer)
        .expect("exists")
        .default_payment_method = Some(pm.to_owned());
    Ok(())
}

pub fn retrieve_customer(st: &mut State, id: &str, p: Params) -> Result<Value, ApiError> {
    p.finish()?;
    let customer = st
        .customers
        .get(id)
        .ok_or_else(|| ApiError::no_such("customer", id, "id"))?;
    Ok(st.render_customer(customer))
}

pub fn update_customer(
    st: &mut State,
    ctx: &Ctx,
    id: &str,
    mut p: Params,
) -> Result<Value, ApiError> {
    st.customer(id, "id")?;
    let email = p.nullable_string("email")?;
    let name = p.nullable_string("name")?;
    let phone = p.nullable_string("phone")?;
    let description = p.nullable_string("description")?;
    let metadata = p.metadata()?;
    let default_pm = invoice_settings(&mut p)?;
    p.ignore(&[
        "address",
        "shipping",
        "preferred_locales",
        "tax_exempt",
        "tax",
    ]);
    p.finish()?;
    match default_pm {
        Some(Some(pm)) => set_default(st, id, &pm)?,
        Some(None) => {
            st.customers
                .get_mut(id)
                .expect("exists")
                .default_payment_method = None
        }
        None => {}
    }
    let customer = st.customers.get_mut(id).expect("exists");
    if let Some(v) = email {
        customer.email = v;
    }
    if let Some(v) = name {
        customer.name = v;
    }
    if let Some(v) = phone {
        customer.phone = v;
    }
    if let Some(v) = description {
        customer.description = v;
    }
    if let Some(m) = metadata {
        m.apply(&mut customer.metadata);
    }
    let rendered = st.render_customer(&st.customers[id]);
    st.raise(Some(ctx), "customer.updated", rendered.clone());
    Ok(rendered)
}

pub fn delete_customer(st: &mut State, ctx: &Ctx, id: &str, p: Params) -> Result<Value, ApiError> {
    p.finish()?;
    st.customer(id, "id")?;
    let rendered = st.render_customer(&st.customers[id]);
    st.customers.get_mut(id).expect("exists").deleted = true;
    for pm in st.payment_methods.values_mut() {
        if pm.customer.as_deref() == Some(id) {
            pm.customer = None;
            pm.consumed = true;
        }
    }
    st.raise(Some(ctx), "customer.deleted", rendered);
    Ok(json!({ "id": id, "object": "customer", "deleted": true }))
}

/// `POST /v1/payment_methods`. Card numbers are accepted only from a
/// publishable key (Stripe.js): a server sending them is refused, as Stripe
/// refuses raw card data from accounts not cleared for it.
pub fn create_payment_method(st: &mut State, ctx: &Ctx, mut p: Params) -> Result<Value, ApiError> {
    let kind = p.required_string("type")?;
    if kind != "card" {
        return Err(ApiError::invalid_request(format!(
            "Invalid type: the simulator supports card, not {kind}."
        ))
        .param("type"));
    }
    let mut card = p.hash("card")?.ok_or_else(|| ApiError::missing("card"))?;
    let billing = p.raw_hash("billing_details")?;
    let metadata = p.metadata()?.map(|m| m.into_new()).unwrap_or_default();
    p.ignore(&[
        "allow_redisplay",
        "payment_user_agent",
        "time_on_page",
        "guid",
        "muid",
        "sid",
    ]);
    p.finish()?;
    if ctx.caller == Caller::Secret {
        return Err(ApiError::invalid_request(
            "Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you use test tokens that map to the test card you are using, see https://stripe.com/docs/testing. To enable testing raw card data APIs, see https://support.stripe.com/questions/enabling-access-to-raw-card-data-apis.",
        ));
    }
    let number: String = card
        .required_string("number")?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let exp_month = card.required_integer("exp_month")?;
    let mut exp_year = card.required_integer("exp_year")?;
    let cvc = card.string("cvc")?;
    card.finish()?;
    if exp_year < 100 {
        exp_year += 2000;
    }
    if !cards::luhn_valid(&number) {
        return Err(
            ApiError::card("incorrect_number", None, "Your card number is incorrect.")
                .param("card[number]"),
        );
    }
    if !(1..=12).contains(&exp_month) {
        return Err(ApiError::card(
            "invalid_expiry_month",
            None,
            "Your card's expiration month is invalid.",
        )
        .param("card[exp_month]"));
    }
    let (year, month) = {
        use chrono::Datelike;
        let now = chrono::Utc::now();
        (i64::from(now.year()), i64::from(now.month()))
    };
    if exp_year < year || (exp_year == year && exp_month < month) || exp_year > year + 50 {
        return Err(ApiError::card(
            "invalid_expiry_year",
            None,
            "Your card's expiration year is invalid.",
        )
        .param("card[exp_year]"));
    }
    if let Some(cvc) = cvc
        && !(3..=4).contains(&cvc.len())
    {
        return Err(
            ApiError::card("invalid_cvc", None, "Your card's security code is invalid.")
                .param("card[cvc]"),
        );
    }
    let test = cards::by_number(&number);
    let card = Card {
        number,
        brand: test.brand,
        funding: test.funding,
        country: test.country,
        exp_month,
        exp_year,
        behavior: test.behavior,
    };
    let id = st.insert_payment_method(card, billing_details(billing), metadata);
    Ok(st.render_payment_method(&st.payment_methods[&id]))
}

pub fn retrieve_payment_method(st: &mut State, id: &str, p: Params) -> Result<Value, ApiError> {
    p.finish()?;
    let pm = st.payment_method(id, "payment_method")?;
    Ok(st.render_payment_method(pm))
}

pub fn attach(st: &mut State, ctx: &Ctx, id: &str, mut p: Params) -> Result<Value, ApiError> {
    let customer = p.required_string("customer")?;
    p.finish()?;
    let pm = attach_to(st, ctx, id, &customer)?;
    Ok(st.render_payment_method(&st.payment_methods[&pm]))
}

/// Attaches after the card check Stripe runs (a declining card fails it).
fn attach_to(st: &mut State, ctx: &Ctx, id: &str, customer: &str) -> Result<String, ApiError> {
    st.customer(customer, "customer")?;
    let id = st.resolve_payment_method(id, "payment_method")?;
    let pm = &st.payment_methods[&id];
    if pm.customer.is_some() {
        return Err(ApiError::invalid_request(
            "The payment method you provided has already been attached to a customer.",
        )
        .param("payment_method"));
    }
    if pm.consumed {
        return Err(ApiError::invalid_request(
            "This PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.",
        )
        .param("payment_method"));
    }
    match pm.card.behavior {
        Behavior::Declines(d) if d.checked_on_attach => {
            return Err(ApiError::card(d.code, d.decline_code, d.message));
        }
        Behavior::LiveCard => {
            return Err(ApiError::card(
                LIVE_CARD.code,
                LIVE_CARD.decline_code,
                LIVE_CARD.message,
            ));
        }
        _ => {}
    }
    st.payment_methods.get_mut(&id).expect("exists").customer = Some(customer.to_owned());
    let rendered = st.render_payment_method(&st.payment_methods[&id]);
    st.raise(Some(ctx), "payment_method.attached", rendered);
    Ok(id)
}

pub fn detach(st: &mut State, ctx: &Ctx, id: &str, p: Params) -> Result<Value, ApiError> {
    p.finish()?;
    let pm = st.payment_method(id, "payment_method")?;
    let Some(customer) = pm.customer.clone() else {
        return Err(ApiError::invalid_request(
            "The payment method you provided is not attached to a customer so detachment is impossible.",
        )
        .param("payment_method"));
    };
    let pm = st.payment_methods.get_mut(id).expect("exists");
    pm.customer = None;
    // A detached PaymentMethod cannot be used again.
    pm.consumed = true;
    if let Some(c) = st.customers.get_mut(&customer)
        && c.default_payment_method.as_deref() == Some(id)
    {
        c.default_payment_method = None;
    }
    let rendered = st.render_payment_method(&st.payment_methods[id]);
    st.raise(Some(ctx), "payment_method.detached", rendered.clone());
    Ok(rendered)
}

/// `GET /v1/payment_methods?customer=…&type=card` and
/// `GET /v1/customers/{id}/payment_methods`.
pub fn list_payment_methods(
    st: &mut State,
    customer: Option<&str>,
    mut p: Params,
) -> Result<Value, ApiError> {
    let customer = match customer {
        Some(c) => c.to_owned(),
        None => p.required_string("customer")?,
    };
    st.customer(&customer, "customer")?;
    let kind = p.string("type")?;
    if kind.as_deref().is_some_and(|k| k != "card") {
        return Ok(
            json!({ "object": "list", "data": [], "has_more": false, "url": "/v1/payment_methods" }),
        );
    }
    p.ignore(&["allow_redisplay"]);
    let items = st
        .payment_methods
        .values()
        .filter(|pm| pm.customer.as_deref() == Some(customer.as_str()))
        .map(|pm| (pm, pm.seq, pm.id.as_str()))
        .collect();
    let url = format!("/v1/customers/{customer}/payment_methods");
    let page = state::list(items, &mut p, &url, |pm| st.render_payment_method(pm))?;
    p.finish()?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_details_has_every_field() {
        let b = billing_details(Some(
            json!({"name": "Ada", "address": {"postal_code": "10115"}}),
        ));
        assert_eq!(b["name"], "Ada");
        assert_eq!(b["address"]["postal_code"], "10115");
        assert!(b["address"]["city"].is_null());
        assert!(b["email"].is_null());
    }
}
