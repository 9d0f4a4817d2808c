//! Checkout and the order confirmation.
//!
//! The checkout page is a column of sections, each its own form so that it
//! works before the page hydrates: contact and shipping, the address (for a
//! delivery only), promotion codes, then payment, review and "Place order".
//! Every form saves to the cart and the page reads everything back from it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use super::{
    account::form_error,
    cart::{ApplyPromoCode, CartLine, CartView, EmptyCart, PromoCodes, RemovePromoCode},
};
use super::{
    card::{self, CardField, CardForm, CardScripts, FinixCardField},
    loyalty_panel::LoyaltyPanel,
    loyalty_summary::OrderLoyaltySummary,
    returns::{OrderReturns, RequestReturn},
};
use crate::components::{ErrorNotice, NotFound, Totals, TotalsBreakdown, format_money};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderView {
    pub id: String,
    pub email: Option<String>,
    pub currency: String,
    pub totals: Totals,
    pub lines: Vec<(String, i32, i64)>,
    pub status: String,
    /// "Pick up at Vending machine 1", "Standard delivery".
    pub shipping_method: Option<String>,
    /// The address lines of a delivery; a pickup has none.
    pub delivery_address: Option<Vec<String>>,
    /// Shipping progress and returns, for the signed-in customer who placed it.
    pub returns: Option<super::returns::ShopperReturns>,
}

/// A way the cart can reach the shopper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShippingChoice {
    pub id: String,
    pub name: String,
    /// Minor units, stated like the prices.
    pub amount: i64,
    /// Collected at a vending machine: no address needed.
    pub pickup: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentChoice {
    pub id: String,
    pub label: String,
    /// How the card is taken in the browser before the order is placed
    /// (Stripe.js confirms it, Finix.js tokenizes it); `None` without a card.
    pub card: Option<CardForm>,
}

/// The shipping address as its form shows it; blanks are empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AddressFields {
    pub first_name: String,
    pub last_name: String,
    pub address_1: String,
    pub city: String,
    pub postal_code: String,
    pub country_code: String,
}

/// Everything the checkout page shows, read from the shopper's cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckoutView {
    pub cart: CartView,
    /// The cart's email, else the signed-in customer's.
    pub email: String,
    pub shipping_options: Vec<ShippingChoice>,
    pub chosen_shipping: Option<String>,
    pub address: AddressFields,
    /// Where the cart's region delivers (lowercase ISO codes).
    pub countries: Vec<String>,
    pub payment_providers: Vec<PaymentChoice>,
    /// How the card fields load, when a choice is paid by card.
    pub scripts: CardScripts,
}

impl CheckoutView {
    fn chosen(&self) -> Option<&ShippingChoice> {
        let id = self.chosen_shipping.as_deref()?;
        self.shipping_options.iter().find(|o| o.id == id)
    }
}

/// Per-field problems of a form, carried in a server function's error (one
/// string, also through the redirect of a form posted without JavaScript): a
/// headline line, then one `field: message` line each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldErrors {
    pub headline: String,
    fields: Vec<(String, String)>,
}

impl FieldErrors {
    #[cfg(feature = "ssr")]
    fn message(headline: &str, problems: &[domain::carts::AddressProblem]) -> String {
        std::iter::once(headline.to_owned())
            .chain(
                problems
                    .iter()
                    .map(|p| format!("{}: {}", p.field, p.message)),
            )
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn parse(message: &str) -> Self {
        let mut lines = message.lines();
        let headline = lines.next().unwrap_or_default().to_owned();
        let fields = lines
            .filter_map(|line| line.split_once(": "))
            .map(|(field, problem)| (field.to_owned(), problem.to_owned()))
            .collect();
        Self { headline, fields }
    }

    pub fn get(&self, field: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, problem)| problem.clone())
    }
}

/// One order in a list (the shopper's history, the admin's order list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub id: String,
    /// "2026-11-22 10:00 UTC"
    pub created_at: String,
    pub status: String,
    pub payment_status: String,
    pub fulfillment_status: String,
    pub email: Option<String>,
    pub item_count: i64,
    pub total: i64,
    pub currency: String,
}

#[cfg(feature = "ssr")]
impl From<domain::orders::OrderDetail> for OrderSummary {
    fn from(detail: domain::orders::OrderDetail) -> Self {
        Self {
            item_count: detail.items.iter().map(|i| i64::from(i.quantity)).sum(),
            id: detail.order.id,
            created_at: detail
                .order
                .created_at
                .format("%Y-%m-%d %H:%M UTC")
                .to_string(),
            status: detail.order.status.to_string(),
            payment_status: detail.payment_status.to_owned(),
            fulfillment_status: detail.fulfillment_status.to_owned(),
            email: detail.order.email,
            total: detail.order.total,
            currency: detail.order.currency_code,
        }
    }
}

#[cfg(feature = "ssr")]
fn payment_label(provider_id: &str, card: bool) -> String {
    match provider_id {
        domain::payments::system::ID => {
            "Test payment — no money moves (authorized at once, no card needed)".to_owned()
        }
        _ if card => "Card".to_owned(),
        other => other.to_owned(),
    }
}

/// Why a card payment cannot go on without the page's scripts.
#[cfg(feature = "ssr")]
const CARD_NEEDS_JAVASCRIPT: &str =
    "card payment needs JavaScript: turn it on in your browser, or choose another way to pay";

/// The countries the cart's region delivers to.
#[cfg(feature = "ssr")]
async fn delivery_countries(
    ctx: &crate::server_context::ServerContext,
    cart: &domain::carts::CartDetail,
) -> Result<Vec<String>, ServerFnError> {
    match &cart.cart.region_id {
        Some(id) => Ok(domain::pricing::find_region(&ctx.db, id)
            .await
            .map_err(crate::server_context::to_server_error)?
            .countries),
        None => Ok(Vec::new()),
    }
}

/// The checkout of the shopper's cart; `None` when the cart is empty.
#[server(endpoint = "/checkout")]
pub async fn get_checkout() -> Result<Option<CheckoutView>, ServerFnError> {
    use crate::{server_context::*, storefront::cart::current_cart};
    let ctx = server_context()?;
    let session = session().await?;
    let Some(cart) = current_cart(&ctx, &session)
        .await?
        .filter(|c| !c.items.is_empty())
    else {
        return Ok(None);
    };
    let email = match (&cart.cart.email, customer_id(&session).await?) {
        (Some(email), _) => email.clone(),
        (None, Some(customer)) => match domain::customers::retrieve(&ctx.db, &customer).await {
            Ok(found) => found.customer.email,
            Err(domain::DomainError::NotFound { .. }) => String::new(),
            Err(e) => return Err(to_server_error(e)),
        },
        (None, None) => String::new(),
    };
    let shipping_options =
        domain::shipping::options_in_region(&ctx.db, cart.cart.region_id.as_deref())
            .await
            .map_err(to_server_error)?
            .into_iter()
            .map(|o| ShippingChoice {
                pickup: o.stock_location_id.is_some(),
                id: o.id,
                name: o.name,
                amount: o.amount,
            })
            .collect();
    let address = cart.shipping_address().unwrap_or_default();
    let text = |value: Option<String>| value.unwrap_or_default();
    Ok(Some(CheckoutView {
        countries: delivery_countries(&ctx, &cart).await?,
        email,
        shipping_options,
        chosen_shipping: cart
            .shipping_method
            .as_ref()
            .map(|m| m.shipping_option_id.clone()),
        address: AddressFields {
            first_name: text(address.first_name),
            last_name: text(address.last_name),
            address_1: text(address.address_1),
            city: text(address.city),
            postal_code: text(address.postal_code),
            country_code: text(address.country_code),
        },
        // What the cart's region offers (and the store has configured).
        payment_providers: match cart.cart.region_id.as_deref() {
            Some(region_id) => domain::pricing::payment_providers(&ctx.db, region_id)
                .await
                .map_err(to_server_error)?,
            None => ctx.payment_providers.ids(),
        }
        .into_iter()
        .filter_map(|id| {
            let card = CardForm::of(ctx.payment_providers.get(&id).ok()?.as_ref());
            Some(PaymentChoice {
                label: payment_label(&id, card.is_some()),
                card,
                id,
            })
        })
        .collect(),
        scripts: ctx.card_scripts.clone(),
        cart: cart.into(),
    }))
}

/// Saves the contact email and the chosen shipping option on the cart.
#[server(endpoint = "/checkout/delivery")]
pub async fn save_delivery(
    email: String,
    // Absent when no option was ticked.
    shipping_option_id: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::{server_context::*, storefront::cart::require_cart};
    use domain::DomainError;
    let ctx = server_context()?;
    let cart = require_cart(&ctx, &session().await?).await?;
    let option_id = shipping_option_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            to_server_error(DomainError::Invalid("choose how you get your order".into()))
        })?;
    domain::carts::add_shipping_method(&ctx.db, &cart.cart.id, &option_id)
        .await
        .map_err(to_server_error)?;
    let email = domain::credentials::Email::parse(&email).map_err(to_server_error)?;
    domain::carts::set_email(&ctx.db, &cart.cart.id, &email)
        .await
        .map_err(to_server_error)?;
    Ok(())
}

#[cfg(feature = "ssr")]
const ADDRESS_HEADLINE: &str = "Check the shipping address";

/// Saves the address a delivery goes to. What was typed is kept even when
/// incomplete, so the form shows it again next to what is missing.
#[server(endpoint = "/checkout/address")]
pub async fn save_shipping_address(
    first_name: String,
    last_name: String,
    address_1: String,
    city: String,
    postal_code: String,
    country_code: String,
) -> Result<(), ServerFnError> {
    use crate::{server_context::*, storefront::cart::require_cart};
    let ctx = server_context()?;
    let cart = require_cart(&ctx, &session().await?).await?;
    let given = |value: String| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
    let address = domain::carts::Address {
        first_name: given(first_name),
        last_name: given(last_name),
        address_1: given(address_1),
        city: given(city),
        postal_code: given(postal_code),
        country_code: given(country_code).map(|c| c.to_lowercase()),
        ..Default::default()
    };
    domain::carts::set_shipping_address(&ctx.db, &cart.cart.id, Some(&address))
        .await
        .map_err(to_server_error)?;
    let problems = address.delivery_problems(&delivery_countries(&ctx, &cart).await?);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(to_server_error(domain::DomainError::Invalid(
            FieldErrors::message(ADDRESS_HEADLINE, &problems),
        )))
    }
}

/// The shopper's cart once everything but the payment is filled in (the
/// way it ships, the email, a delivery's address), with the signed-in
/// shopper's order going to their order history.
#[cfg(feature = "ssr")]
async fn ready_to_pay(
    ctx: &crate::server_context::ServerContext,
    web_session: &tower_sessions::Session,
) -> Result<domain::carts::CartDetail, ServerFnError> {
    use crate::{server_context::*, storefront::cart::require_cart};
    use domain::DomainError;
    let cart = require_cart(ctx, web_session).await?;
    let refuse = |message: &str| to_server_error(DomainError::Invalid(message.to_owned()));
    let method = cart
        .shipping_method
        .as_ref()
        .ok_or_else(|| refuse("choose how you get your order first"))?;
    if cart.cart.email.is_none() {
        return Err(refuse("enter your email first"));
    }
    let option = domain::shipping::find_option(&ctx.db, &method.shipping_option_id)
        .await
        .map_err(to_server_error)?;
    if option.stock_location_id.is_some() {
        // A pickup goes to no address: one typed for a delivery first stays off the order.
        if cart.cart.shipping_address.is_some() {
            domain::carts::set_shipping_address(&ctx.db, &cart.cart.id, None)
                .await
                .map_err(to_server_error)?;
        }
    } else {
        let address = cart.shipping_address().unwrap_or_default();
        if !address
            .delivery_problems(&delivery_countries(ctx, &cart).await?)
            .is_empty()
        {
            return Err(refuse("complete the shipping address first"));
        }
    }
    if let Some(customer_id) = customer_id(web_session).await? {
        domain::carts::set_customer(&ctx.db, &cart.cart.id, &customer_id)
            .await
            .map_err(to_server_error)?;
    }
    Ok(cart)
}

/// What the card field confirms: the payment session's PaymentIntent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardPayment {
    pub client_secret: String,
}

/// Starts paying the cart by card: a payment session whose PaymentIntent the
/// browser confirms with Stripe.js, then places the order with
/// [`place_order`]. A new session (and intent) each time, so that a declined
/// card can be followed by another.
#[server(endpoint = "/checkout/card-payment")]
pub async fn start_card_payment(payment_provider: String) -> Result<CardPayment, ServerFnError> {
    use crate::server_context::*;
    use domain::{DomainError, checkout, payments};
    let ctx = server_context()?;
    let session = session().await?;
    let provider = ctx
        .payment_providers
        .get(&payment_provider)
        .map_err(to_server_error)?;
    if !provider.confirmed_by_shopper() {
        return Err(to_server_error(DomainError::Invalid(format!(
            "{payment_provider} is not paid by card in the browser; place the order instead"
        ))));
    }
    let cart = ready_to_pay(&ctx, &session).await?;
    let collection = checkout::payment_collection_for_cart(&ctx.db, &cart.cart.id)
        .await
        .map_err(to_server_error)?;
    let started = payments::create_session(
        &ctx.db,
        &ctx.payment_providers,
        &collection.id,
        &payment_provider,
    )
    .await
    .map_err(to_server_error)?;
    let data: serde_json::Value = serde_json::from_str(&started.data).unwrap_or_default();
    let client_secret = data["client_secret"]
        .as_str()
        .ok_or_else(|| ServerFnError::new("the payment provider gave no client secret"))?;
    Ok(CardPayment {
        client_secret: client_secret.to_owned(),
    })
}

/// Pays the cart with the chosen provider and places the order. A card
/// payment was confirmed in the browser first ([`start_card_payment`]): the
/// order is placed only when the provider itself says its intent is
/// authorised (the checkout asks it; the browser's word counts for nothing).
///
/// A card tokenized in the browser (Finix.js) comes as `card_token`, which
/// the payment session is started with.
#[server(endpoint = "/checkout/place-order")]
pub async fn place_order(
    payment_provider: String,
    #[server(default)] card_token: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    use domain::{DomainError, checkout, payments};
    let ctx = server_context()?;
    let session = session().await?;
    let refuse = |message: &str| to_server_error(DomainError::Invalid(message.to_owned()));
    let provider = ctx
        .payment_providers
        .get(&payment_provider)
        .map_err(to_server_error)?;
    // The provider's webhook may place the order (it races the browser
    // after 3-D Secure), before this or while it runs: then this is the
    // shopper's order.
    if let Some(order_id) = placed_by_webhook(&ctx, &session).await? {
        return show_placed_order(&session, order_id).await;
    }
    let cart = match ready_to_pay(&ctx, &session).await {
        Ok(cart) => cart,
        Err(refused) => {
            return match placed_by_webhook(&ctx, &session).await? {
                Some(order_id) => show_placed_order(&session, order_id).await,
                None => Err(refused),
            };
        }
    };
    let placed = async {
        let collection = checkout::payment_collection_for_cart(&ctx.db, &cart.cart.id)
            .await
            .map_err(to_server_error)?;
        match CardForm::of(provider.as_ref()) {
            Some(CardForm::Stripe) => {
                // The card field confirmed the latest session's intent; without
                // scripts there is none (or one of another provider) to place the order with.
                let latest = payments::sessions_of(&ctx.db, &collection.id)
                    .await
                    .map_err(to_server_error)?
                    .pop();
                if latest.is_none_or(|s| s.provider_id != payment_provider) {
                    return Err(refuse(CARD_NEEDS_JAVASCRIPT));
                }
            }
            Some(CardForm::Finix) => {
                // Without scripts there is no token; the provider checks its shape.
                let token = card_token
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| refuse(CARD_NEEDS_JAVASCRIPT))?;
                payments::create_session_with(
                    &ctx.db,
                    &ctx.payment_providers,
                    &collection.id,
                    &payment_provider,
                    Some(serde_json::json!({ "token": token })),
                )
                .await
                .map_err(to_server_error)?;
            }
            None => {
                payments::create_session(
                    &ctx.db,
                    &ctx.payment_providers,
                    &collection.id,
                    &payment_provider,
                )
                .await
                .map_err(to_server_error)?;
            }
        }
        checkout::complete_cart(&ctx.db, &ctx.payment_providers, &cart.cart.id)
            .await
            .map(|order| order.order.id)
            .map_err(|failure| to_server_error(failure.into()))
    }
    .await;
    match placed {
        Ok(order_id) => show_placed_order(&session, order_id).await,
        // The webhook may win the race at any step here (the cart is then
        // completed under this request's feet): its order is the shopper's.
        Err(refused) => match placed_by_webhook(&ctx, &session).await? {
            Some(order_id) => show_placed_order(&session, order_id).await,
            None => Err(refused),
        },
    }
}

/// The order the session's cart became, if it became one.
#[cfg(feature = "ssr")]
async fn placed_by_webhook(
    ctx: &crate::server_context::ServerContext,
    session: &tower_sessions::Session,
) -> Result<Option<String>, ServerFnError> {
    use crate::server_context::{cart_id, to_server_error};
    let Some(cart_id) = cart_id(session).await? else {
        return Ok(None);
    };
    Ok(domain::orders::find_by_cart(&ctx.db, &cart_id)
        .await
        .map_err(to_server_error)?
        .map(|order| order.order.id))
}

/// Remembers the order as this browser's, forgets its cart, and goes to it.
#[cfg(feature = "ssr")]
async fn show_placed_order(
    session: &tower_sessions::Session,
    order_id: String,
) -> Result<(), ServerFnError> {
    use crate::session_keys;
    // Reached after losing a race to the webhook too: an error met on the
    // way must not make the answer (a redirect to the order) a failure.
    crate::server_context::clear_error_status();
    let store_err = |e: tower_sessions::session::Error| ServerFnError::new(e.to_string());
    let mut placed: Vec<String> = session
        .get(session_keys::ORDER_IDS)
        .await
        .map_err(store_err)?
        .unwrap_or_default();
    if !placed.contains(&order_id) {
        placed.push(order_id.clone());
    }
    session
        .insert(session_keys::ORDER_IDS, placed)
        .await
        .map_err(store_err)?;
    session
        .remove::<String>(session_keys::CART_ID)
        .await
        .map_err(store_err)?;
    leptos_axum::redirect(&format!("/orders/{order_id}"));
    Ok(())
}

/// An order placed in this session, or one of the signed-in customer's.
#[server(endpoint = "/orders/get")]
pub async fn get_order(id: String) -> Result<Option<OrderView>, ServerFnError> {
    use crate::{server_context::*, session_keys};
    let ctx = server_context()?;
    let session = session().await?;
    let store_err = |e: tower_sessions::session::Error| ServerFnError::new(e.to_string());
    let placed: Vec<String> = session
        .get(session_keys::ORDER_IDS)
        .await
        .map_err(store_err)?
        .unwrap_or_default();
    let customer_id: Option<String> = session
        .get(session_keys::CUSTOMER_ID)
        .await
        .map_err(store_err)?;
    let order = match domain::orders::find(&ctx.db, &id).await {
        Ok(order) => order,
        Err(domain::DomainError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(to_server_error(e)),
    };
    let owned = customer_id.is_some() && order.order.customer_id == customer_id;
    if !owned && !placed.contains(&id) {
        return Ok(None);
    }
    let pickup = match &order.order.shipping_option_id {
        Some(id) => match domain::shipping::find_option(&ctx.db, id).await {
            Ok(option) => option.stock_location_id.is_some(),
            Err(domain::DomainError::NotFound { .. }) => false,
            Err(e) => return Err(to_server_error(e)),
        },
        None => false,
    };
    let delivery_address = order
        .order
        .shipping_address
        .as_deref()
        .and_then(|json| serde_json::from_str::<domain::carts::Address>(json).ok())
        .filter(|_| !pickup)
        .map(|a| address_lines(&a));
    let returns = if owned {
        Some(
            super::returns::shopper_returns(&ctx.db, &order)
                .await
                .map_err(to_server_error)?,
        )
    } else {
        None
    };
    Ok(Some(OrderView {
        returns,
        totals: Totals::from(&order.order),
        id: order.order.id,
        email: order.order.email,
        currency: order.order.currency_code,
        lines: order
            .items
            .into_iter()
            .map(|i| (i.title, i.quantity, i.unit_price))
            .collect(),
        status: order.order.status.to_string(),
        shipping_method: order.order.shipping_method_name,
        delivery_address,
    }))
}

/// "Ada Lovelace", "Ring 1", "1010 Vienna", "AT".
#[cfg(feature = "ssr")]
fn address_lines(address: &domain::carts::Address) -> Vec<String> {
    let join = |parts: [&Option<String>; 2]| {
        parts
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    };
    [
        join([&address.first_name, &address.last_name]),
        join([&address.address_1, &address.address_2]),
        join([&address.postal_code, &address.city]),
        address
            .country_code
            .as_deref()
            .unwrap_or_default()
            .to_uppercase(),
    ]
    .into_iter()
    .filter(|line| !line.is_empty())
    .collect()
}

/// The checkout's forms; the page reads the cart again after each.
#[derive(Clone, Copy)]
struct CheckoutActions {
    delivery: ServerAction<SaveDelivery>,
    address: ServerAction<SaveShippingAddress>,
    apply_promo: ServerAction<ApplyPromoCode>,
    remove_promo: ServerAction<RemovePromoCode>,
    place: ServerAction<PlaceOrder>,
}

#[component]
pub fn CheckoutPage() -> impl IntoView {
    let actions = CheckoutActions {
        delivery: ServerAction::new(),
        address: ServerAction::new(),
        apply_promo: ServerAction::new(),
        remove_promo: ServerAction::new(),
        place: expect_context::<ServerAction<PlaceOrder>>(),
    };
    let checkout = Resource::new(
        move || {
            (
                actions.delivery.version().get(),
                actions.address.version().get(),
                actions.apply_promo.version().get(),
                actions.remove_promo.version().get(),
            )
        },
        |_| get_checkout(),
    );
    view! {
        <h1>"Checkout"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    checkout
                        .await
                        .map(|found| match found {
                            Some(checkout) => view! { <CheckoutSections checkout actions /> }.into_any(),
                            None => view! { <EmptyCart /> }.into_any(),
                        })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn CheckoutSections(checkout: CheckoutView, actions: CheckoutActions) -> impl IntoView {
    let chosen = checkout.chosen().cloned();
    let needs_address = chosen.as_ref().is_some_and(|c| !c.pickup);
    view! {
        <section class="checkout">
            <OrderLines lines=checkout.cart.lines.clone() currency=checkout.cart.totals.currency.clone() />
            <ContactAndShipping
                email=checkout.email.clone()
                options=checkout.shipping_options.clone()
                chosen=checkout.chosen_shipping.clone()
                currency=checkout.cart.totals.currency.clone()
                action=actions.delivery
            />
            {needs_address
                .then(|| {
                    view! {
                        <ShippingAddress
                            address=checkout.address.clone()
                            countries=checkout.countries.clone()
                            action=actions.address
                        />
                    }
                })}
            <PromoCodes codes=checkout.cart.promo_codes.clone() automatic=checkout.cart.automatic_codes.clone() apply=actions.apply_promo remove=actions.remove_promo />
            // Panels that change the totals belong here, before the review.
            <LoyaltyPanel />
            <PaymentAndReview
                totals=checkout.cart.breakdown.clone()
                providers=checkout.payment_providers.clone()
                scripts=checkout.scripts.clone()
                chosen=chosen
                action=actions.place
            />
        </section>
    }
}

#[component]
fn OrderLines(lines: Vec<CartLine>, currency: String) -> impl IntoView {
    view! {
        <section class="checkout-step">
            <h2>"Your order"</h2>
            <ul class="summary">
                {lines
                    .into_iter()
                    .map(|l| {
                        let total = format_money(l.unit_price * i64::from(l.quantity), &currency);
                        view! { <li data-testid="checkout-line">{format!("{} × {} — {total}", l.quantity, l.title)}</li> }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn ContactAndShipping(
    email: String,
    options: Vec<ShippingChoice>,
    chosen: Option<String>,
    currency: String,
    action: ServerAction<SaveDelivery>,
) -> impl IntoView {
    let error = form_error(action.value());
    view! {
        <section class="checkout-step">
            <ActionForm action attr:class="stacked">
                <h2>"Contact"</h2>
                <label>"Email for the receipt" <input type="email" name="email" autocomplete="email" value=email required /></label>
                <h2>"Shipping"</h2>
                {if options.is_empty() {
                    view! { <p class="notice error">"Nothing ships to your region yet."</p> }.into_any()
                } else {
                    view! {
                        <fieldset class="shipping-options">
                            <legend>"How do you get your order?"</legend>
                            {options
                                .into_iter()
                                .map(|o| {
                                    let price = if o.amount == 0 { "free".to_owned() } else { format_money(o.amount, &currency) };
                                    let checked = chosen.as_deref() == Some(o.id.as_str());
                                    view! {
                                        <label class="choice" data-testid="shipping-option">
                                            <input type="radio" name="shipping_option_id" value=o.id checked=checked required />
                                            {format!("{} — {price}", o.name)}
                                        </label>
                                    }
                                })
                                .collect_view()}
                        </fieldset>
                    }
                        .into_any()
                }}
                <button type="submit" class="secondary" disabled=move || action.pending().get()>"Continue"</button>
            </ActionForm>
            {move || error().map(|e| view! { <p class="notice error" role="alert" data-testid="delivery-error">{e}</p> })}
        </section>
    }
}

#[component]
fn ShippingAddress(
    address: AddressFields,
    countries: Vec<String>,
    action: ServerAction<SaveShippingAddress>,
) -> impl IntoView {
    let message = form_error(action.value());
    let errors = move || message().map(|m| FieldErrors::parse(&m));
    let field = move |name: &'static str,
                      label: &'static str,
                      value: String,
                      autocomplete: &'static str| {
        view! {
            <label>
                {label}
                <input type="text" name=name value=value autocomplete=autocomplete required />
                {move || {
                    errors()
                        .and_then(|e| e.get(name))
                        .map(|problem| view! { <span class="field-error" data-testid=format!("error-{name}")>{problem}</span> })
                }}
            </label>
        }
    };
    let country = address.country_code.clone();
    view! {
        <section class="checkout-step">
            <h2>"Shipping address"</h2>
            <ActionForm action attr:class="stacked address">
                {field("first_name", "First name", address.first_name, "given-name")}
                {field("last_name", "Last name", address.last_name, "family-name")}
                {field("address_1", "Street and number", address.address_1, "address-line1")}
                {field("postal_code", "Postal code", address.postal_code, "postal-code")}
                {field("city", "City", address.city, "address-level2")}
                <label>
                    "Country"
                    <select name="country_code" autocomplete="country" required>
                        <option value="" selected=country.is_empty()>"Choose…"</option>
                        {countries
                            .into_iter()
                            .map(|c| {
                                let selected = c.eq_ignore_ascii_case(&country);
                                view! { <option value=c.clone() selected=selected>{c.to_uppercase()}</option> }
                            })
                            .collect_view()}
                    </select>
                    {move || {
                        errors()
                            .and_then(|e| e.get("country_code"))
                            .map(|problem| view! { <span class="field-error" data-testid="error-country_code">{problem}</span> })
                    }}
                </label>
                <button type="submit" class="secondary" disabled=move || action.pending().get()>"Save address"</button>
            </ActionForm>
            {move || errors().map(|e| view! { <p class="notice error" role="alert" data-testid="address-error">{e.headline}</p> })}
        </section>
    }
}

/// Where the checkout mounts the card field.
const CARD_ELEMENT: &str = "checkout-card";
/// Where the checkout mounts Finix's card form (both may be on one page).
const FINIX_ELEMENT: &str = "checkout-finix-card";

#[component]
fn PaymentAndReview(
    totals: Totals,
    providers: Vec<PaymentChoice>,
    scripts: CardScripts,
    chosen: Option<ShippingChoice>,
    action: ServerAction<PlaceOrder>,
) -> impl IntoView {
    let placing = form_error(action.value());
    let first = providers.first().map(|p| p.id.clone());
    let (provider, set_provider) = signal(first.clone().unwrap_or_default());
    let forms: Vec<(String, CardForm)> = providers
        .iter()
        .filter_map(|p| Some((p.id.clone(), p.card?)))
        .collect();
    let form_of = {
        let forms = forms.clone();
        move |id: &str| forms.iter().find(|(p, _)| p == id).map(|(_, f)| *f)
    };
    let paying_with = {
        let form_of = form_of.clone();
        move |form: CardForm| form_of(&provider.get()) == Some(form)
    };
    // A card's problem (declined, 3-D Secure failed) and whether the card
    // is being checked, before the order is placed.
    let (card_problem, set_card_problem) = signal(None::<String>);
    let (confirming, set_confirming) = signal(false);
    // Without scripts the form posts to place_order, which pays without a
    // card (the test provider) or says a card needs JavaScript; with them,
    // a card is confirmed with Stripe.js, or tokenized with Finix.js, first.
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let payment_provider = provider.get_untracked();
        set_card_problem.set(None);
        let problem = move |message: String| {
            set_card_problem.set(Some(message));
            set_confirming.set(false);
        };
        match form_of(&payment_provider) {
            None => {
                action.dispatch(PlaceOrder {
                    payment_provider,
                    card_token: None,
                });
            }
            Some(CardForm::Finix) => {
                set_confirming.set(true);
                card::tokenize(move |answer| match card::token_of(answer) {
                    Ok(token) => {
                        set_confirming.set(false);
                        action.dispatch(PlaceOrder {
                            payment_provider,
                            card_token: Some(token),
                        });
                    }
                    Err(message) => problem(message),
                });
            }
            Some(CardForm::Stripe) => {
                set_confirming.set(true);
                leptos::task::spawn_local(async move {
                    let started = match start_card_payment(payment_provider.clone()).await {
                        Ok(started) => started,
                        Err(e) => {
                            problem(crate::components::plain_error(&e));
                            return;
                        }
                    };
                    card::confirm_payment(&started.client_secret, move |answer| {
                        set_confirming.set(false);
                        match answer.outcome() {
                            Ok(status) if card::payment_authorized(&status) => {
                                action.dispatch(PlaceOrder {
                                    payment_provider,
                                    card_token: None,
                                });
                            }
                            Ok(_) => set_card_problem.set(Some(
                                "Your card was not confirmed. Try again, or use another card."
                                    .to_owned(),
                            )),
                            Err(message) => set_card_problem.set(Some(message)),
                        }
                    });
                });
            }
        }
    };
    let needs = |form: CardForm| forms.iter().any(|(_, f)| *f == form);
    let (needs_stripe, needs_finix) = (needs(CardForm::Stripe), needs(CardForm::Finix));
    let place_order_url = <PlaceOrder as leptos::server_fn::ServerFn>::url();
    let paying_with_stripe = {
        let paying_with = paying_with.clone();
        move || paying_with(CardForm::Stripe)
    };
    let paying_with_finix = move || paying_with(CardForm::Finix);
    view! {
        <section class="checkout-step">
            <form action=place_order_url method="post" class="stacked" on:submit=submit>
                <h2>"Payment"</h2>
                <fieldset class="payment-providers">
                    <legend>"Pay with"</legend>
                    {providers
                        .into_iter()
                        .map(|p| {
                            let checked = first.as_deref() == Some(p.id.as_str());
                            let id = p.id.clone();
                            view! {
                                <label class="choice" data-testid="payment-provider">
                                    <input
                                        type="radio"
                                        name="payment_provider"
                                        value=p.id
                                        checked=checked
                                        required
                                        on:change=move |_| set_provider.set(id.clone())
                                    />
                                    {p.label}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                {match (needs_stripe, scripts.stripe) {
                    (true, Some(stripe)) => view! {
                        <div class="card-payment" class:hidden=move || !paying_with_stripe()>
                            <CardField stripe element_id=CARD_ELEMENT />
                        </div>
                    }.into_any(),
                    (true, None) => view! {
                        <p class="notice error">"Card payment is not set up in this store yet (no publishable key)."</p>
                    }.into_any(),
                    _ => ().into_any(),
                }}
                {match (needs_finix, scripts.finix) {
                    (true, Some(finix)) => view! {
                        <div class="card-payment" class:hidden=move || !paying_with_finix()>
                            <FinixCardField finix element_id=FINIX_ELEMENT />
                        </div>
                    }.into_any(),
                    _ => ().into_any(),
                }}
                <h2>"Review"</h2>
                <p data-testid="checkout-shipping-method">
                    {match chosen {
                        Some(c) => c.name,
                        None => "Choose how you get your order above, then Continue.".to_owned(),
                    }}
                </p>
                <TotalsBreakdown totals testid="checkout" />
                <button type="submit" data-testid="place-order" disabled=move || action.pending().get() || confirming.get()>
                    "Place order"
                </button>
            </form>
            {move || confirming.get().then(|| view! { <p class="muted" role="status">"Checking your card…"</p> })}
            {move || card_problem.get().or_else(placing).map(|e| view! { <p class="notice error" role="alert" data-testid="place-order-error">{e}</p> })}
        </section>
    }
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    // The return form's action: the order is read again once it is answered.
    let request_return = ServerAction::<RequestReturn>::new();
    provide_context(request_return);
    let order = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                request_return.version().get(),
            )
        },
        |(id, _)| get_order(id),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    order
                        .await
                        .map(|found| match found {
                            Some(order) => view! { <OrderConfirmation order /> }.into_any(),
                            None => view! { <NotFound /> }.into_any(),
                        })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn OrderConfirmation(order: OrderView) -> impl IntoView {
    let currency = order.currency.clone();
    view! {
        <article class="order-confirmation">
            <h1>"Thank you for your order"</h1>
            <p>"Order "<code data-testid="order-id">{order.id.clone()}</code></p>
            {(order.status == "canceled").then(|| view! { <p class="notice error" data-testid="order-canceled">"This order was canceled; your payment is returned."</p> })}
            {order.email.map(|e| view! { <p class="muted">"A receipt goes to "{e}</p> })}
            <ul>
                {order
                    .lines
                    .into_iter()
                    .map(|(title, quantity, price)| view! { <li>{format!("{quantity} × {title} — {}", format_money(price, &currency))}</li> })
                    .collect_view()}
            </ul>
            {order
                .shipping_method
                .map(|method| {
                    view! {
                        <section class="order-shipping">
                            <h2>"Shipping"</h2>
                            <p data-testid="order-shipping-method">{method}</p>
                            {order
                                .delivery_address
                                .map(|lines| {
                                    view! {
                                        <address data-testid="order-shipping-address">
                                            {lines.into_iter().map(|line| view! { <span class="line">{line}</span> }).collect_view()}
                                        </address>
                                    }
                                })}
                        </section>
                    }
                })}
            <TotalsBreakdown totals=order.totals testid="order" />
            {order.returns.map(|found| view! { <OrderReturns order_id=order.id.clone() currency=order.currency.clone() found /> })}
            <OrderLoyaltySummary order_id=order.id.clone() />
            <p><a href="/">"Continue shopping"</a></p>
        </article>
    }
}
