//! The shopper's cart: server functions and the add-to-cart form.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartTotals {
    pub item_count: i64,
    pub subtotal: i64,
    pub currency: String,
}

/// Adds a variant to the shopper's cart, creating the cart on first use.
#[server(endpoint = "/cart/add")]
pub async fn add_to_cart(variant_id: String, quantity: i32) -> Result<CartTotals, ServerFnError> {
    use crate::{server_context::*, session_keys};
    let ctx = server_context()?;
    let session = session().await?;
    let existing: Option<String> = session.get(session_keys::CART_ID).await.map_err(|e| ServerFnError::new(e.to_string()))?;
    let cart_id = match existing {
        Some(id) if domain::carts::get_cart(&ctx.db, &id).await.is_ok() => id,
        _ => {
            let cart = domain::carts::create_cart(&ctx.db, &ctx.currency).await.map_err(to_server_error)?;
            session.insert(session_keys::CART_ID, &cart.id).await.map_err(|e| ServerFnError::new(e.to_string()))?;
            cart.id
        }
    };
    let cart = domain::carts::add_line_item(&ctx.db, &cart_id, &variant_id, quantity).await.map_err(to_server_error)?;
    Ok(CartTotals { item_count: cart.item_count(), subtotal: cart.subtotal(), currency: cart.cart.currency_code })
}

/// The header's view of the cart; an empty summary when there is none yet.
#[server(endpoint = "/cart/summary")]
pub async fn cart_summary() -> Result<CartTotals, ServerFnError> {
    use crate::{server_context::*, session_keys};
    let ctx = server_context()?;
    let session = session().await?;
    let cart_id: Option<String> = session.get(session_keys::CART_ID).await.map_err(|e| ServerFnError::new(e.to_string()))?;
    let empty = CartTotals { item_count: 0, subtotal: 0, currency: ctx.currency.clone() };
    let Some(cart_id) = cart_id else { return Ok(empty) };
    match domain::carts::get_cart(&ctx.db, &cart_id).await {
        Ok(cart) => Ok(CartTotals { item_count: cart.item_count(), subtotal: cart.subtotal(), currency: cart.cart.currency_code }),
        Err(domain::DomainError::NotFound { .. }) => Ok(empty),
        Err(e) => Err(to_server_error(e)),
    }
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
