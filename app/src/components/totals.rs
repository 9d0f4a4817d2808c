//! The totals breakdown of a cart or an order.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::format_money;

/// What a shopper pays and why, in minor units, stated as the region states
/// prices (tax included or on top), so the rows add up to the total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub currency: String,
    /// The items before discounts.
    pub subtotal: i64,
    pub discount: i64,
    /// `None` until a shipping method is chosen.
    pub shipping: Option<i64>,
    pub tax: i64,
    /// The prices include the tax, so it is shown but not added.
    pub tax_included: bool,
    pub tip: i64,
    pub total: i64,
}

#[cfg(feature = "ssr")]
impl From<&domain::carts::CartDetail> for Totals {
    fn from(cart: &domain::carts::CartDetail) -> Self {
        let t = &cart.totals;
        let (subtotal, shipping) = if t.tax_inclusive {
            (t.original_item_total, t.shipping.total)
        } else {
            (t.item_subtotal, t.shipping.subtotal)
        };
        Self {
            currency: cart.cart.currency_code.clone(),
            subtotal,
            discount: t.discount_total,
            shipping: cart.shipping_method.as_ref().map(|_| shipping),
            tax: t.tax_total,
            tax_included: t.tax_inclusive,
            tip: t.tip,
            total: t.total,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<&domain::orders::order::Model> for Totals {
    fn from(order: &domain::orders::order::Model) -> Self {
        // An order keeps the totals after discounts; the discount is added
        // back to state the items as the shopper saw them.
        let (subtotal, shipping) = if order.is_tax_inclusive {
            (
                order.item_total + order.discount_total,
                order.shipping_total,
            )
        } else {
            (order.item_subtotal, order.shipping_subtotal)
        };
        Self {
            currency: order.currency_code.clone(),
            subtotal,
            discount: order.discount_total,
            shipping: order.shipping_method_name.as_ref().map(|_| shipping),
            tax: order.tax_total,
            tax_included: order.is_tax_inclusive,
            tip: order.tip,
            total: order.total,
        }
    }
}

/// Subtotal, discount, shipping, tax and total; each amount's `data-testid`
/// is `<testid>-subtotal`, `<testid>-discount`, … `<testid>-total`.
#[component]
pub fn TotalsBreakdown(totals: Totals, testid: &'static str) -> impl IntoView {
    let money = |amount: i64| format_money(amount, &totals.currency);
    let id = move |row: &str| format!("{testid}-{row}");
    let shipping = totals.shipping.map_or_else(
        || "Chosen at checkout".to_owned(),
        |amount| {
            if amount == 0 {
                "Free".to_owned()
            } else {
                money(amount)
            }
        },
    );
    let tax_label = if totals.tax_included {
        "Tax (included)"
    } else {
        "Tax"
    };
    view! {
        <dl class="totals">
            <dt>"Subtotal"</dt>
            <dd data-testid=id("subtotal")>{money(totals.subtotal)}</dd>
            <dt>"Discount"</dt>
            <dd data-testid=id("discount")>{money(-totals.discount)}</dd>
            <dt>"Shipping"</dt>
            <dd data-testid=id("shipping")>{shipping}</dd>
            <dt>{tax_label}</dt>
            <dd data-testid=id("tax")>{money(totals.tax)}</dd>
            {(totals.tip > 0).then(|| view! { <dt>"Tip"</dt><dd data-testid=id("tip")>{money(totals.tip)}</dd> })}
            <dt class="grand">"Total"</dt>
            <dd class="grand"><strong data-testid=id("total")>{money(totals.total)}</strong></dd>
        </dl>
    }
}
