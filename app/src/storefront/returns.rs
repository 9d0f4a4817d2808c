//! A signed-in shopper sends items of a sent order back: on the order's
//! page, the order's returns and a form per item still returnable. The
//! form calls the domain function `POST /store/returns` calls.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::account::form_error;
use crate::components::format_money;

/// The shopper's side of an order after it was sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShopperReturns {
    /// "fulfilled", "shipped", "delivered" (not_fulfilled: nothing to return).
    pub fulfillment_status: String,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    /// Status, refund, what ("1 × Cola").
    pub returns: Vec<(String, i64, String)>,
    /// Items still returnable: id, title, units left.
    pub returnable: Vec<(String, String, i64)>,
    /// Return reasons: id, label.
    pub reasons: Vec<(String, String)>,
}

#[cfg(feature = "ssr")]
pub async fn shopper_returns(
    db: &domain::db::DatabaseConnection,
    detail: &domain::orders::OrderDetail,
) -> Result<ShopperReturns, domain::DomainError> {
    use domain::returns::{self, order_returns};
    let title_of = |item_id: &str| {
        detail
            .items
            .iter()
            .find(|i| i.id == item_id)
            .map(|i| i.title.clone())
            .unwrap_or_default()
    };
    let filter = order_returns::ReturnFilter {
        order_id: vec![detail.order.id.clone()],
        ..Default::default()
    };
    let found = order_returns::list(db, &filter, 0, 100).await?.items;
    let returnable = order_returns::returnable(db, detail).await?;
    let reasons = if returnable.is_empty() {
        Vec::new()
    } else {
        returns::list_return_reason_page(db, None, 0, 100)
            .await?
            .items
            .into_iter()
            .map(|r| (r.id, r.label))
            .collect()
    };
    Ok(ShopperReturns {
        fulfillment_status: detail.fulfillment_status.to_owned(),
        tracking_number: detail
            .fulfillment
            .as_ref()
            .and_then(|f| f.tracking_number.clone()),
        tracking_url: detail
            .fulfillment
            .as_ref()
            .and_then(|f| f.tracking_url.clone()),
        returns: found
            .into_iter()
            .map(|r| {
                let what = r
                    .items
                    .iter()
                    .map(|i| format!("{} × {}", i.quantity, title_of(&i.order_item_id)))
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    r.order_return.status.to_string(),
                    r.order_return.refund_amount,
                    what,
                )
            })
            .collect(),
        returnable,
        reasons,
    })
}

/// A return of `quantity` (as typed in a form) units of one item, as the
/// shopper's and the admin's return forms send it.
#[cfg(feature = "ssr")]
pub(crate) fn one_item_return(
    order_id: &str,
    item_id: String,
    quantity: &str,
    reason_id: Option<String>,
) -> Result<domain::returns::order_returns::ReturnRequest, domain::DomainError> {
    let quantity: i64 = quantity.trim().parse().map_err(|_| {
        domain::DomainError::Invalid(format!(
            "the quantity must be a whole number, not {quantity:?}"
        ))
    })?;
    Ok(domain::returns::order_returns::ReturnRequest {
        order_id: order_id.to_owned(),
        lines: vec![domain::returns::rules::ReturnLine {
            order_item_id: item_id,
            quantity,
            reason_id,
            note: None,
        }],
        ..Default::default()
    })
}

/// Asks to return `quantity` units of one item of the signed-in shopper's order.
#[server(endpoint = "/orders/return")]
pub async fn request_return(
    order_id: String,
    item_id: String,
    quantity: String,
    reason_id: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::{server_context::*, session_keys};
    use domain::returns::order_returns;
    let ctx = server_context()?;
    let customer_id: Option<String> = session()
        .await?
        .get(session_keys::CUSTOMER_ID)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    let Some(customer_id) = customer_id else {
        return Err(to_server_error(domain::DomainError::Unauthorized(
            "sign in to return items of your order".into(),
        )));
    };
    let request =
        one_item_return(&order_id, item_id, &quantity, reason_id).map_err(to_server_error)?;
    order_returns::request(
        &ctx.db,
        order_returns::Requester::Customer(&customer_id),
        request,
    )
    .await
    .map_err(to_server_error)?;
    leptos_axum::redirect(&format!("/orders/{order_id}"));
    Ok(())
}

/// Where the order is on its way, its returns, and the return forms.
#[component]
pub fn OrderReturns(order_id: String, currency: String, found: ShopperReturns) -> impl IntoView {
    // The order's page owns the action, so the order is read again after it.
    let request = use_context::<ServerAction<RequestReturn>>().unwrap_or_default();
    let error = form_error(request.value());
    let ShopperReturns {
        fulfillment_status,
        tracking_number,
        tracking_url,
        returns,
        returnable,
        reasons,
    } = found;
    let progress = match fulfillment_status.as_str() {
        "fulfilled" => Some("Your order has left the store."),
        "shipped" => Some("Your order is on its way."),
        "delivered" => Some("Your order was delivered or picked up."),
        _ => None,
    };
    let has_returns = !returns.is_empty();
    let can_return = !returnable.is_empty();
    view! {
        {progress.map(|p| view! { <p data-testid="order-progress">{p}</p> })}
        {tracking_number.map(|n| view! { <p>"Tracking number: "<strong data-testid="order-tracking">{n}</strong></p> })}
        {tracking_url.map(|u| view! { <p><a href=u rel="noopener noreferrer" target="_blank">"Track your parcel"</a></p> })}
        {(has_returns || can_return).then(|| view! {
            <section class="order-returns" aria-labelledby="returns-heading">
                <h2 id="returns-heading">"Returns"</h2>
                {has_returns.then(|| view! {
                    <ul>
                        {returns.into_iter().map(|(status, refund, what)| {
                            let said = match status.as_str() {
                                "requested" => "asked for: send the items back".to_owned(),
                                "received" => format!("received, {} refunded", format_money(refund, &currency)),
                                _ => "canceled".to_owned(),
                            };
                            view! { <li data-testid="shopper-return">{what}" — "{said}</li> }
                        }).collect_view()}
                    </ul>
                })}
                {returnable.into_iter().map(|(item_id, title, left)| {
                    let (order_id, reasons) = (order_id.clone(), reasons.clone());
                    view! {
                        <ActionForm action=request attr:class="stacked return-form">
                            <input type="hidden" name="order_id" value=order_id />
                            <input type="hidden" name="item_id" value=item_id />
                            <label>{format!("Return {title} — how many (up to {left})")}
                                <input name="quantity" type="number" inputmode="numeric" min="1" max=left.to_string() value="1" required />
                            </label>
                            <label>"Why (optional)"
                                <select name="reason_id">
                                    <option value="">"—"</option>
                                    {reasons.into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                                </select>
                            </label>
                            <button type="submit" disabled=move || request.pending().get()>"Ask to return"</button>
                        </ActionForm>
                    }
                }).collect_view()}
                {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
            </section>
        })}
    }
    .into_any()
}

/// One of the shopper's returns, as the account lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountReturnRow {
    pub order_id: String,
    pub status: String,
    pub refund_amount: i64,
    pub currency: String,
    pub created_at: String,
    /// Units sent back.
    pub units: i64,
}

/// The signed-in customer's latest returns; none when nobody is signed in.
#[server(endpoint = "/account/returns")]
pub async fn my_returns() -> Result<Vec<AccountReturnRow>, ServerFnError> {
    use crate::{server_context::*, session_keys};
    use domain::returns::order_returns;
    let ctx = server_context()?;
    let Some(customer_id) = session()
        .await?
        .get::<String>(session_keys::CUSTOMER_ID)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?
    else {
        return Ok(Vec::new());
    };
    let filter = order_returns::ReturnFilter {
        customer_id: Some(customer_id),
        ..Default::default()
    };
    let page = order_returns::list(&ctx.db, &filter, 0, 20)
        .await
        .map_err(to_server_error)?;
    Ok(page
        .items
        .into_iter()
        .map(|r| AccountReturnRow {
            units: r.items.iter().map(|i| i64::from(i.quantity)).sum(),
            order_id: r.order_return.order_id,
            status: r.order_return.status.to_string(),
            refund_amount: r.order_return.refund_amount,
            currency: r.currency_code,
            created_at: r.order_return.created_at.format("%Y-%m-%d").to_string(),
        })
        .collect())
}

/// The account's list of returns; nothing when there are none.
#[component]
pub fn AccountReturns() -> impl IntoView {
    let returns = Resource::new(|| (), |_| my_returns());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                returns.await.ok().filter(|rows| !rows.is_empty()).map(|rows| view! {
                    <h2>"Your returns"</h2>
                    <ul class="order-history">
                        {rows.into_iter().map(|r| {
                            let units = if r.units == 1 { "1 item".to_owned() } else { format!("{} items", r.units) };
                            let refund = (r.status == "received").then(|| format!(" — {} refunded", format_money(r.refund_amount, &r.currency)));
                            view! {
                                <li data-testid="account-return">
                                    {format!("{} — {units} from ", r.created_at)}
                                    <a href=format!("/orders/{}", r.order_id)><code>{r.order_id.clone()}</code></a>
                                    " — "<span class=format!("badge {}", r.status)>{r.status.clone()}</span>
                                    {refund}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })
            })}
        </Transition>
    }
}
