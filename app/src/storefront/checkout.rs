//! Checkout and the order confirmation.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use super::cart::{CartView, get_cart};
use super::{loyalty_panel::LoyaltyPanel, loyalty_summary::OrderLoyaltySummary};
use crate::components::{ErrorNotice, NotFound, format_money};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderView {
    pub id: String,
    pub email: Option<String>,
    pub currency: String,
    pub total: i64,
    pub lines: Vec<(String, i32, i64)>,
    pub status: String,
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
            status: detail.order.status,
            payment_status: detail.payment_status.to_owned(),
            fulfillment_status: detail.fulfillment_status.to_owned(),
            email: detail.order.email,
            total: detail.order.total,
            currency: detail.order.currency_code,
        }
    }
}

/// Pays the cart with the built-in provider and places the order.
#[server(endpoint = "/checkout/place-order")]
pub async fn place_order(email: String) -> Result<(), ServerFnError> {
    use crate::{server_context::*, session_keys, storefront::cart::current_cart};
    use domain::{checkout, payments};
    let ctx = server_context()?;
    let session = session().await?;
    let cart = current_cart(&ctx, &session)
        .await?
        .ok_or_else(|| ServerFnError::new("your cart is empty"))?;
    let email = domain::credentials::Email::parse(&email).map_err(to_server_error)?;
    domain::carts::set_email(&ctx.db, &cart.cart.id, &email)
        .await
        .map_err(to_server_error)?;
    let store_err = |e: tower_sessions::session::Error| ServerFnError::new(e.to_string());
    // A signed-in shopper's order goes to their order history.
    if let Some(customer_id) = session
        .get::<String>(session_keys::CUSTOMER_ID)
        .await
        .map_err(store_err)?
    {
        domain::carts::set_customer(&ctx.db, &cart.cart.id, &customer_id)
            .await
            .map_err(to_server_error)?;
    }
    // Until the checkout page offers a choice, the cheapest option (a free pickup in the demo store).
    let shipping = domain::shipping::options_in_region(&ctx.db, cart.cart.region_id.as_deref())
        .await
        .map_err(to_server_error)?
        .into_iter()
        .next()
        .ok_or_else(|| ServerFnError::new("no shipping option reaches your region"))?;
    domain::carts::add_shipping_method(&ctx.db, &cart.cart.id, &shipping.id)
        .await
        .map_err(to_server_error)?;
    let collection = checkout::payment_collection_for_cart(&ctx.db, &cart.cart.id)
        .await
        .map_err(to_server_error)?;
    payments::create_session(
        &ctx.db,
        &ctx.payment_providers,
        &collection.id,
        payments::system::ID,
    )
    .await
    .map_err(to_server_error)?;
    let order = checkout::complete_cart(&ctx.db, &ctx.payment_providers, &cart.cart.id)
        .await
        .map_err(|failure| to_server_error(failure.into()))?;
    let mut placed: Vec<String> = session
        .get(session_keys::ORDER_IDS)
        .await
        .map_err(store_err)?
        .unwrap_or_default();
    placed.push(order.order.id.clone());
    session
        .insert(session_keys::ORDER_IDS, placed)
        .await
        .map_err(store_err)?;
    session
        .remove::<String>(session_keys::CART_ID)
        .await
        .map_err(store_err)?;
    leptos_axum::redirect(&format!("/orders/{}", order.order.id));
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
    Ok(Some(OrderView {
        id: order.order.id,
        email: order.order.email,
        currency: order.order.currency_code,
        total: order.order.total,
        lines: order
            .items
            .into_iter()
            .map(|i| (i.title, i.quantity, i.unit_price))
            .collect(),
        status: order.order.status,
    }))
}

#[component]
pub fn CheckoutPage() -> impl IntoView {
    let cart = Resource::new(|| (), |_| get_cart());
    let place = expect_context::<ServerAction<PlaceOrder>>();
    view! {
        <h1>"Checkout"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors.into() /> }>
                {move || Suspend::new(async move { cart.await.map(|cart| view! { <CheckoutForm cart place /> }) })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn CheckoutForm(cart: CartView, place: ServerAction<PlaceOrder>) -> impl IntoView {
    if cart.lines.is_empty() {
        return view! { <p class="empty">"Your cart is empty. "<a href="/">"Browse the shop"</a></p> }.into_any();
    }
    let currency = cart.totals.currency.clone();
    let error = move || {
        place
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    view! {
        <section class="checkout">
            <ul class="summary">
                {cart
                    .lines
                    .into_iter()
                    .map(|l| view! { <li>{format!("{} × {}", l.quantity, l.title)}</li> })
                    .collect_view()}
            </ul>
            <p>"Total: "<strong data-testid="checkout-total">{format_money(cart.totals.subtotal, &currency)}</strong></p>
            <LoyaltyPanel />
            <ActionForm action=place attr:class="stacked">
                <label>"Email for the receipt" <input type="email" name="email" autocomplete="email" required /></label>
                <p class="muted">"Payment: test payment, authorized at once (no card needed)."</p>
                <button type="submit" disabled=move || place.pending().get()>"Place order"</button>
            </ActionForm>
            {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        </section>
    }
    .into_any()
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let order = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        get_order,
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors.into() /> }>
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
            <p>"Total: "<strong data-testid="order-total">{format_money(order.total, &order.currency)}</strong></p>
            <OrderLoyaltySummary order_id=order.id.clone() />
            <p><a href="/">"Continue shopping"</a></p>
        </article>
    }
}
