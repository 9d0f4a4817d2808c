//! The shopper's cart: server functions, the add-to-cart form and the cart page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::account::form_error;
use crate::components::{ErrorNotice, Totals, TotalsBreakdown, format_money};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartTotals {
    pub item_count: i64,
    pub subtotal: i64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartView {
    pub lines: Vec<CartLine>,
    pub totals: CartTotals,
    pub breakdown: Totals,
    /// The promotion codes applied, in the order they were.
    pub promo_codes: Vec<String>,
    /// The automatic promotions the cart gets without a code.
    pub automatic_codes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartLine {
    pub id: String,
    pub title: String,
    pub variant_title: String,
    pub quantity: i32,
    pub unit_price: i64,
}

#[cfg(feature = "ssr")]
impl From<domain::carts::CartDetail> for CartView {
    fn from(cart: domain::carts::CartDetail) -> Self {
        let totals = CartTotals {
            item_count: cart.item_count(),
            subtotal: cart.totals.item_total,
            currency: cart.cart.currency_code.clone(),
        };
        let breakdown = Totals::from(&cart);
        let (automatic, entered): (Vec<_>, Vec<_>) =
            cart.promotions.iter().partition(|p| p.is_automatic);
        let promo_codes = entered.into_iter().map(|p| p.code.clone()).collect();
        let automatic_codes = automatic.into_iter().map(|p| p.code.clone()).collect();
        let lines = cart
            .items
            .into_iter()
            .map(|l| CartLine {
                id: l.id,
                title: l.title,
                variant_title: l.variant_title,
                quantity: l.quantity,
                unit_price: l.unit_price,
            })
            .collect();
        Self {
            lines,
            totals,
            breakdown,
            promo_codes,
            automatic_codes,
        }
    }
}

/// The shopper's open cart, if any (a completed or vanished cart counts as none).
#[cfg(feature = "ssr")]
pub(crate) async fn current_cart(
    ctx: &crate::server_context::ServerContext,
    session: &tower_sessions::Session,
) -> Result<Option<domain::carts::CartDetail>, ServerFnError> {
    let Some(cart_id) = crate::server_context::cart_id(session).await? else {
        return Ok(None);
    };
    match domain::carts::get_cart(&ctx.db, &cart_id).await {
        Ok(cart) if cart.cart.completed_at.is_none() => Ok(Some(cart)),
        Ok(_) | Err(domain::DomainError::NotFound { .. }) => Ok(None),
        Err(e) => Err(crate::server_context::to_server_error(e)),
    }
}

/// Adds a variant to the shopper's cart, creating the cart on first use.
#[server(endpoint = "/cart/add")]
pub async fn add_to_cart(variant_id: String, quantity: i32) -> Result<CartTotals, ServerFnError> {
    use crate::{server_context::*, session_keys};
    let ctx = server_context()?;
    let session = session().await?;
    let cart_id = match current_cart(&ctx, &session).await? {
        Some(cart) => cart.cart.id,
        None => {
            let new_cart = domain::carts::NewCart::in_currency(&ctx.currency);
            let cart = domain::carts::create_cart(&ctx.db, new_cart)
                .await
                .map_err(to_server_error)?
                .cart;
            session
                .insert(session_keys::CART_ID, &cart.id)
                .await
                .map_err(|e| ServerFnError::new(e.to_string()))?;
            cart.id
        }
    };
    let cart = domain::carts::add_line_item(&ctx.db, &cart_id, &variant_id, quantity)
        .await
        .map_err(to_server_error)?;
    Ok(CartView::from(cart).totals)
}

/// The header's view of the cart; an empty summary when there is none yet.
#[server(endpoint = "/cart/summary")]
pub async fn cart_summary() -> Result<CartTotals, ServerFnError> {
    let cart = get_cart().await?;
    Ok(cart.totals)
}

#[server(endpoint = "/cart")]
pub async fn get_cart() -> Result<CartView, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let session = session().await?;
    Ok(match current_cart(&ctx, &session).await? {
        Some(cart) => cart.into(),
        None => CartView {
            lines: Vec::new(),
            totals: CartTotals {
                item_count: 0,
                subtotal: 0,
                currency: ctx.currency.clone(),
            },
            breakdown: Totals {
                currency: ctx.currency.clone(),
                subtotal: 0,
                discount: 0,
                shipping: None,
                tax: 0,
                tax_included: false,
                tip: 0,
                total: 0,
            },
            promo_codes: Vec::new(),
            automatic_codes: Vec::new(),
        },
    })
}

/// The shopper's open cart, or an error that reads well next to a form.
#[cfg(feature = "ssr")]
pub(crate) async fn require_cart(
    ctx: &crate::server_context::ServerContext,
    session: &tower_sessions::Session,
) -> Result<domain::carts::CartDetail, ServerFnError> {
    current_cart(ctx, session)
        .await?
        .ok_or_else(|| ServerFnError::new("your cart is empty"))
}

#[server(endpoint = "/cart/promo/apply")]
pub async fn apply_promo_code(code: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let cart = require_cart(&ctx, &session().await?).await?;
    admit(domain::rate_limits::Rule::PromotionCode, &cart.cart.id).await?;
    let code = code.trim();
    if code.is_empty() {
        return Err(to_server_error(domain::DomainError::Invalid(
            "enter a promotion code".into(),
        )));
    }
    domain::carts::apply_promotions(&ctx.db, &cart.cart.id, &[code.to_owned()])
        .await
        .map_err(to_server_error)?;
    Ok(())
}

#[server(endpoint = "/cart/promo/remove")]
pub async fn remove_promo_code(code: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let cart = require_cart(&ctx, &session().await?).await?;
    domain::carts::remove_promotions(&ctx.db, &cart.cart.id, &[code])
        .await
        .map_err(to_server_error)?;
    Ok(())
}

/// Sets a line's quantity; 0 removes it.
#[server(endpoint = "/cart/line")]
pub async fn update_cart_line(line_id: String, quantity: i32) -> Result<CartTotals, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let session = session().await?;
    let cart = require_cart(&ctx, &session).await?;
    let cart = domain::carts::update_line_item(&ctx.db, &cart.cart.id, &line_id, quantity)
        .await
        .map_err(to_server_error)?;
    Ok(CartView::from(cart).totals)
}

/// A form that works as a plain POST before hydration and without a reload after.
#[component]
pub fn AddToCartForm(variant_id: String, #[prop(optional)] with_quantity: bool) -> impl IntoView {
    let action = expect_context::<ServerAction<AddToCart>>();
    let pending = action.pending();
    view! {
        <ActionForm action attr:class="add-to-cart">
            <input type="hidden" name="variant_id" value=variant_id />
            {if with_quantity {
                view! {
                    <label class="quantity">
                        "Quantity "
                        <input type="number" name="quantity" value="1" min="1" max="999" required />
                    </label>
                }
                    .into_any()
            } else {
                view! { <input type="hidden" name="quantity" value="1" /> }.into_any()
            }}
            <button type="submit" disabled=move || pending.get()>"Add to cart"</button>
        </ActionForm>
    }
}

/// The codes applied to the cart, each with "Remove", the automatic ones
/// (which cannot be removed), and a field to apply a code.
#[component]
pub fn PromoCodes(
    codes: Vec<String>,
    automatic: Vec<String>,
    apply: ServerAction<ApplyPromoCode>,
    remove: ServerAction<RemovePromoCode>,
) -> impl IntoView {
    let apply_error = form_error(apply.value());
    let remove_error = form_error(remove.value());
    view! {
        <section class="promo-codes">
            <h2>"Promotion code"</h2>
            <ul class="applied-codes">
                {codes
                    .into_iter()
                    .map(|code| {
                        view! {
                            <li data-testid="promo-code">
                                <code>{code.clone()}</code>
                                <ActionForm action=remove attr:class="inline-form">
                                    <input type="hidden" name="code" value=code />
                                    <button type="submit" class="link">"Remove"</button>
                                </ActionForm>
                            </li>
                        }
                    })
                    .collect_view()}
                {automatic
                    .into_iter()
                    .map(|code| view! {
                        <li data-testid="automatic-promotion"><code>{code}</code>" applied automatically"</li>
                    })
                    .collect_view()}
            </ul>
            <ActionForm action=apply attr:class="inline-form">
                <label>"Code " <input type="text" name="code" autocomplete="off" required /></label>
                <button type="submit" class="secondary" disabled=move || apply.pending().get()>"Apply"</button>
            </ActionForm>
            {move || {
                apply_error()
                    .or_else(remove_error)
                    .map(|e| view! { <p class="notice error" role="alert" data-testid="promo-error">{e}</p> })
            }}
        </section>
    }
}

#[component]
pub fn CartPage() -> impl IntoView {
    let added = expect_context::<ServerAction<AddToCart>>();
    let update = expect_context::<ServerAction<UpdateCartLine>>();
    let apply = ServerAction::<ApplyPromoCode>::new();
    let remove = ServerAction::<RemovePromoCode>::new();
    let update_error = form_error(update.value());
    let cart = Resource::new(
        move || {
            (
                added.version().get(),
                update.version().get(),
                apply.version().get(),
                remove.version().get(),
            )
        },
        |_| get_cart(),
    );
    view! {
        <h1>"Your cart"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading your cart…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move { cart.await.map(|cart| view! { <CartTable cart update apply remove /> }) })}
            </ErrorBoundary>
        </Transition>
        {move || update_error().map(|e| view! { <p class="notice error" role="alert" data-testid="cart-line-error">{e}</p> })}
    }
}

/// Shown instead of an empty cart or checkout.
#[component]
pub fn EmptyCart() -> impl IntoView {
    view! { <p class="empty" data-testid="empty-cart">"Your cart is empty. "<a href="/">"Browse the shop"</a></p> }
}

#[component]
fn CartTable(
    cart: CartView,
    update: ServerAction<UpdateCartLine>,
    apply: ServerAction<ApplyPromoCode>,
    remove: ServerAction<RemovePromoCode>,
) -> impl IntoView {
    if cart.lines.is_empty() {
        return view! { <EmptyCart /> }.into_any();
    }
    let currency = cart.totals.currency.clone();
    view! {
        <table class="data cart">
            <thead>
                <tr><th>"Product"</th><th>"Price"</th><th>"Quantity"</th><th>"Total"</th><th></th></tr>
            </thead>
            <tbody>
                {cart
                    .lines
                    .into_iter()
                    .map(|line| {
                        let line_total = format_money(line.unit_price * i64::from(line.quantity), &currency);
                        let remove_id = line.id.clone();
                        view! {
                            <tr data-testid="cart-line">
                                <td>{line.title}<span class="muted">" · "{line.variant_title}</span></td>
                                <td>{format_money(line.unit_price, &currency)}</td>
                                <td>
                                    <ActionForm action=update attr:class="inline-form">
                                        <input type="hidden" name="line_id" value=line.id.clone() />
                                        <input type="number" name="quantity" value=line.quantity min="0" max="999" aria-label="Quantity" />
                                        <button type="submit" class="secondary">"Update"</button>
                                    </ActionForm>
                                </td>
                                <td>{line_total}</td>
                                <td>
                                    <ActionForm action=update attr:class="inline-form">
                                        <input type="hidden" name="line_id" value=remove_id />
                                        <input type="hidden" name="quantity" value="0" />
                                        <button type="submit" class="link">"Remove"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <PromoCodes codes=cart.promo_codes automatic=cart.automatic_codes apply remove />
        <TotalsBreakdown totals=cart.breakdown testid="cart" />
        <p><a href="/checkout" class="button">"Go to checkout"</a></p>
    }
    .into_any()
}
