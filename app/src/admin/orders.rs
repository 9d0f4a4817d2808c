//! Orders: a paginated list filtered by status, and an order's page with a
//! cancel button, its payments, its fulfilment and its returns. Plain links
//! and forms, so they work before hydration.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use super::{
    order_fulfilment::{AfterSale, AfterSaleActions, Fulfilment, Returns},
    payments::{CapturePayment, OrderPayments, PaymentView, RefundPayment},
};
use crate::{
    components::{ErrorNotice, NotFound, format_money},
    storefront::checkout::OrderSummary,
};

pub const PAGE_SIZE: u64 = 20;
/// The statuses the filter offers, as Medusa names them.
const STATUSES: [&str; 4] = ["pending", "completed", "canceled", "archived"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderListPage {
    pub orders: Vec<OrderSummary>,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminOrderView {
    pub summary: OrderSummary,
    pub customer_id: Option<String>,
    pub canceled_at: Option<String>,
    /// Title, variant, quantity, unit price.
    pub lines: Vec<(String, String, i32, i64)>,
    pub payments: Vec<PaymentView>,
    pub after_sale: AfterSale,
}

#[server(endpoint = "/admin/orders/list")]
pub async fn list_orders(
    status: Option<String>,
    offset: u64,
) -> Result<OrderListPage, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let filter = domain::orders::OrderFilter {
        status: status
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| domain::states::parse(s, "an order status"))
            .collect::<Result<_, _>>()
            .map_err(to_server_error)?,
        ..Default::default()
    };
    let (orders, count) = domain::orders::list(&ctx.db, &filter, offset, PAGE_SIZE)
        .await
        .map_err(to_server_error)?;
    Ok(OrderListPage {
        orders: orders.into_iter().map(OrderSummary::from).collect(),
        count,
    })
}

#[server(endpoint = "/admin/orders/get")]
pub async fn admin_order(id: String) -> Result<Option<AdminOrderView>, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    match domain::orders::find(&ctx.db, &id).await {
        Ok(detail) => Ok(Some(AdminOrderView {
            after_sale: super::order_fulfilment::after_sale(&ctx.db, &detail)
                .await
                .map_err(to_server_error)?,
            payments: match &detail.order.payment_collection_id {
                Some(collection) => super::payments::payment_views(
                    &ctx.db,
                    domain::payments::payments_of(&ctx.db, collection)
                        .await
                        .map_err(to_server_error)?,
                )
                .await
                .map_err(to_server_error)?,
                None => Vec::new(),
            },
            customer_id: detail.order.customer_id.clone(),
            canceled_at: detail
                .order
                .canceled_at
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
            lines: detail
                .items
                .iter()
                .map(|i| {
                    (
                        i.title.clone(),
                        i.variant_title.clone(),
                        i.quantity,
                        i.unit_price,
                    )
                })
                .collect(),
            summary: detail.into(),
        })),
        Err(domain::DomainError::NotFound { .. }) => Ok(None),
        Err(e) => Err(to_server_error(e)),
    }
}

/// Cancels the order (refund, restock) and comes back to its page.
#[server(endpoint = "/admin/orders/cancel")]
pub async fn cancel_order(id: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    domain::orders::cancel(&ctx.db, &ctx.payment_providers, &id)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&format!("/admin/orders/{id}"));
    Ok(())
}

/// `?page=N`, 1-based; anything unreadable means the first page.
pub fn page_number(raw: Option<String>) -> u64 {
    raw.and_then(|p| p.parse::<u64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
}

#[component]
pub fn OrdersPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").filter(|s| !s.is_empty());
    let page = move || page_number(query.read().get("page"));
    let orders = Resource::new(
        move || (status(), page()),
        |(status, page)| list_orders(status, (page - 1) * PAGE_SIZE),
    );
    view! {
        <h1>"Orders"</h1>
        <StatusFilter action="/admin/orders" statuses=&STATUSES current=Signal::derive(status) />
        <Transition fallback=|| view! { <p class="loading">"Loading orders…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    let (status, number) = (status(), page());
                    orders.await.map(|found| view! { <OrderTable found status number /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn OrderTable(found: OrderListPage, status: Option<String>, number: u64) -> impl IntoView {
    if found.orders.is_empty() {
        let message = match status {
            Some(s) => format!("No {s} orders. "),
            None => "No orders yet: they appear here once shoppers check out. ".to_owned(),
        };
        return view! { <p class="empty" data-testid="orders-empty">{message}<a href="/admin/orders">"Show all orders"</a></p> }
            .into_any();
    }
    let base = match &status {
        Some(s) => format!("/admin/orders?status={s}&"),
        None => "/admin/orders?".to_owned(),
    };
    view! {
        <p class="muted">{format!("{} orders", found.count)}</p>
        <table class="data">
            <thead>
                <tr>
                    <th>"Order"</th>
                    <th>"Placed"</th>
                    <th>"Customer"</th>
                    <th>"Status"</th>
                    <th>"Payment"</th>
                    <th>"Fulfillment"</th>
                    <th>"Total"</th>
                </tr>
            </thead>
            <tbody>
                {found
                    .orders
                    .into_iter()
                    .map(|o| {
                        view! {
                            <tr data-testid="order-row">
                                <td><a href=format!("/admin/orders/{}", o.id)><code>{o.id.clone()}</code></a></td>
                                <td>{o.created_at}</td>
                                <td>{o.email.unwrap_or_default()}</td>
                                <td><span class=format!("badge {}", o.status)>{o.status.clone()}</span></td>
                                <td>{o.payment_status}</td>
                                <td>{o.fulfillment_status}</td>
                                <td>{format_money(o.total, &o.currency)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <Pager base number pages=found.count.div_ceil(PAGE_SIZE).max(1) />
    }
    .into_any()
}

/// A form that filters the list at `action` by one of `statuses` (or none):
/// a plain GET, so it works before hydration.
#[component]
pub fn StatusFilter(
    action: &'static str,
    statuses: &'static [&'static str],
    #[prop(into)] current: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <form method="get" action=action class="inline filters">
            <label>
                "Status "
                <select name="status">
                    <option value="" selected=move || current.read().is_none()>"All"</option>
                    {statuses
                        .iter()
                        .map(|&s| view! { <option value=s selected=move || current.read().as_deref() == Some(s)>{s}</option> })
                        .collect_view()}
                </select>
            </label>
            <button type="submit">"Filter"</button>
        </form>
    }
}

/// Previous / next links to `{base}page=N`; plain links, so they work before hydration.
#[component]
pub fn Pager(base: String, number: u64, pages: u64) -> impl IntoView {
    (pages > 1).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {(number > 1).then(|| view! { <a href=format!("{base}page={}", number - 1) rel="prev">"← Previous"</a> })}
                <span class="muted">{format!("Page {number} of {pages}")}</span>
                {(number < pages).then(|| view! { <a href=format!("{base}page={}", number + 1) rel="next">"Next →"</a> })}
            </nav>
        }
    })
}

#[component]
pub fn AdminOrderPage() -> impl IntoView {
    let params = use_params_map();
    let cancel = ServerAction::<CancelOrder>::new();
    let capture = ServerAction::<CapturePayment>::new();
    let refund = ServerAction::<RefundPayment>::new();
    let after_sale = AfterSaleActions::new();
    let order = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                cancel.version().get()
                    + capture.version().get()
                    + refund.version().get()
                    + after_sale.version(),
            )
        },
        |(id, _)| admin_order(id),
    );
    // The last action's error, whichever form it came from.
    let plain = |e: ServerFnError| crate::components::plain_error(&e);
    let error = move || {
        cancel
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| capture.value().get().and_then(|r| r.err()))
            .or_else(|| refund.value().get().and_then(|r| r.err()))
            .or_else(|| after_sale.error())
            .map(plain)
    };
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    order
                        .await
                        .map(|found| match found {
                            Some(order) => view! { <OrderDetail order cancel capture refund after_sale /> }.into_any(),
                            None => view! { <NotFound /> }.into_any(),
                        })
                })}
            </ErrorBoundary>
        </Transition>
        {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
    }
}

#[component]
fn OrderDetail(
    order: AdminOrderView,
    cancel: ServerAction<CancelOrder>,
    capture: ServerAction<CapturePayment>,
    refund: ServerAction<RefundPayment>,
    after_sale: AfterSaleActions,
) -> impl IntoView {
    let summary = order.summary;
    let currency = summary.currency.clone();
    let can_cancel = summary.status == "pending" && summary.fulfillment_status == "not_fulfilled";
    let AfterSale {
        fulfilment,
        at_machine,
        returns,
        reasons,
        returnable,
    } = order.after_sale;
    let (order_id, status, return_currency) = (
        summary.id.clone(),
        summary.status.clone(),
        summary.currency.clone(),
    );
    view! {
        <p><a href="/admin/orders">"← Orders"</a></p>
        <h1>"Order "<code>{summary.id.clone()}</code></h1>
        <p><a href=format!("{}?resource_id={}", super::notifications::NOTIFICATIONS_PATH, summary.id) data-testid="order-messages">"Messages sent about this order"</a></p>
        <dl class="facts">
            <dt>"Status"</dt><dd data-testid="order-status">{summary.status.clone()}</dd>
            <dt>"Payment"</dt><dd data-testid="payment-status">{summary.payment_status}</dd>
            <dt>"Fulfillment"</dt><dd>{summary.fulfillment_status}</dd>
            <dt>"Placed"</dt><dd>{summary.created_at}</dd>
            {order.canceled_at.map(|at| view! { <dt>"Canceled"</dt><dd>{at}</dd> })}
            <dt>"Email"</dt><dd>{summary.email.unwrap_or_default()}</dd>
            <dt>"Customer"</dt><dd>{order.customer_id.unwrap_or_else(|| "guest".to_owned())}</dd>
        </dl>
        <table class="data">
            <thead><tr><th>"Item"</th><th>"Variant"</th><th>"Quantity"</th><th>"Unit price"</th></tr></thead>
            <tbody>
                {order
                    .lines
                    .into_iter()
                    .map(|(title, variant, quantity, price)| {
                        view! { <tr><td>{title}</td><td>{variant}</td><td>{quantity}</td><td>{format_money(price, &currency)}</td></tr> }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <p>"Total: "<strong>{format_money(summary.total, &summary.currency)}</strong></p>
        <OrderPayments payments=order.payments capture refund />
        <Fulfilment order_id=order_id.clone() status fulfilment at_machine actions=after_sale />
        <Returns order_id currency=return_currency returns reasons returnable actions=after_sale />
        {can_cancel
            .then(|| {
                view! {
                    <ActionForm action=cancel attr:class="inline">
                        <input type="hidden" name="id" value=summary.id.clone() />
                        <button type="submit" class="danger" disabled=move || cancel.pending().get()>
                            "Cancel order (refund and restock)"
                        </button>
                    </ActionForm>
                }
            })}
    }
}
