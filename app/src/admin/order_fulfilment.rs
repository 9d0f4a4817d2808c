//! After the sale, on an order's page: fulfil the order from its stock
//! location, ship it with its tracking, mark it delivered or picked up,
//! archive it; record a return of its items, receive the goods (stock back,
//! refund asked of the provider) or cancel the return. Plain forms, so they
//! work before hydration; each calls the domain function the Admin API's
//! route calls.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::format_money;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FulfilmentView {
    pub id: String,
    pub location_id: Option<String>,
    pub created_at: String,
    pub shipped_at: Option<String>,
    pub delivered_at: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnView {
    pub id: String,
    pub status: String,
    pub refund_amount: i64,
    pub created_at: String,
    /// Item title, quantity, reason label.
    pub lines: Vec<(String, i32, Option<String>)>,
    pub note: Option<String>,
    pub by_customer: bool,
}

/// What happened to an order after it was placed, and what can be done next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AfterSale {
    pub fulfilment: Option<FulfilmentView>,
    /// A machine's sale: the shopper took the goods there.
    pub at_machine: bool,
    pub returns: Vec<ReturnView>,
    /// Return reasons: id, label.
    pub reasons: Vec<(String, String)>,
    /// Items that can still be returned: id, title, units left.
    pub returnable: Vec<(String, String, i64)>,
}

#[cfg(feature = "ssr")]
pub async fn after_sale(
    db: &domain::db::DatabaseConnection,
    detail: &domain::orders::OrderDetail,
) -> Result<AfterSale, domain::DomainError> {
    use domain::returns::{self, order_returns};
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let reasons: Vec<(String, String)> = returns::list_return_reason_page(db, None, 0, 100)
        .await?
        .items
        .into_iter()
        .map(|r| (r.id, r.label))
        .collect();
    let filter = order_returns::ReturnFilter {
        order_id: vec![detail.order.id.clone()],
        ..Default::default()
    };
    let found = order_returns::list(db, &filter, 0, 100).await?.items;
    let title_of = |item_id: &str| {
        detail
            .items
            .iter()
            .find(|i| i.id == item_id)
            .map(|i| i.title.clone())
            .unwrap_or_else(|| item_id.to_owned())
    };
    let label_of = |reason_id: &Option<String>| {
        reason_id.as_ref().map(|id| {
            reasons
                .iter()
                .find(|(rid, _)| rid == id)
                .map(|(_, label)| label.clone())
                .unwrap_or_else(|| id.clone())
        })
    };
    let returnable = order_returns::returnable(db, detail).await?;
    Ok(AfterSale {
        at_machine: domain::orders::sold_at_machine(db, &detail.order.id).await?,
        fulfilment: detail.fulfillment.clone().map(|f| FulfilmentView {
            id: f.id,
            location_id: f.location_id,
            created_at: time(f.created_at),
            shipped_at: f.shipped_at.map(time),
            delivered_at: f.delivered_at.map(time),
            tracking_number: f.tracking_number,
            tracking_url: f.tracking_url,
        }),
        returns: found
            .into_iter()
            .map(|r| ReturnView {
                lines: r
                    .items
                    .iter()
                    .map(|i| {
                        (
                            title_of(&i.order_item_id),
                            i.quantity,
                            label_of(&i.reason_id),
                        )
                    })
                    .collect(),
                id: r.order_return.id,
                status: r.order_return.status.to_string(),
                refund_amount: r.order_return.refund_amount,
                created_at: time(r.order_return.created_at),
                note: r.order_return.note,
                by_customer: r.order_return.requested_by.is_some(),
            })
            .collect(),
        reasons,
        returnable,
    })
}

#[cfg(feature = "ssr")]
async fn manage_store() -> Result<crate::server_context::ServerContext, ServerFnError> {
    crate::server_context::admin_context(domain::admin_users::Permission::ManageStore).await
}

#[cfg(feature = "ssr")]
fn back_to(order_id: &str) {
    leptos_axum::redirect(&format!("/admin/orders/{order_id}"));
}

/// Fulfils the whole order from where its stock is reserved.
#[server(endpoint = "/admin/orders/fulfil")]
pub async fn fulfil_order(id: String) -> Result<(), ServerFnError> {
    use crate::server_context::to_server_error;
    let ctx = manage_store().await?;
    domain::orders::fulfil(&ctx.db, &ctx.payment_providers, &id, &Default::default())
        .await
        .map_err(to_server_error)?;
    back_to(&id);
    Ok(())
}

#[server(endpoint = "/admin/orders/ship")]
pub async fn ship_order(
    id: String,
    fulfillment_id: String,
    tracking_number: Option<String>,
    tracking_url: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::server_context::to_server_error;
    let ctx = manage_store().await?;
    let tracking = domain::orders::Tracking {
        number: tracking_number,
        url: tracking_url,
    };
    domain::orders::mark_shipped(&ctx.db, &id, &fulfillment_id, tracking)
        .await
        .map_err(to_server_error)?;
    back_to(&id);
    Ok(())
}

#[server(endpoint = "/admin/orders/deliver")]
pub async fn deliver_order(id: String, fulfillment_id: String) -> Result<(), ServerFnError> {
    use crate::server_context::to_server_error;
    let ctx = manage_store().await?;
    domain::orders::mark_delivered(&ctx.db, &id, &fulfillment_id)
        .await
        .map_err(to_server_error)?;
    back_to(&id);
    Ok(())
}

#[server(endpoint = "/admin/orders/archive")]
pub async fn archive_order(id: String) -> Result<(), ServerFnError> {
    use crate::server_context::to_server_error;
    let ctx = manage_store().await?;
    domain::orders::archive(&ctx.db, &id)
        .await
        .map_err(to_server_error)?;
    back_to(&id);
    Ok(())
}

/// Records a return of `quantity` units of one item, for the customer.
#[server(endpoint = "/admin/returns/record")]
pub async fn record_return(
    order_id: String,
    item_id: String,
    quantity: String,
    reason_id: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::server_context::to_server_error;
    use domain::returns::order_returns;
    let ctx = manage_store().await?;
    let request =
        crate::storefront::returns::one_item_return(&order_id, item_id, &quantity, reason_id)
            .map_err(to_server_error)?;
    order_returns::request(&ctx.db, order_returns::Requester::Staff, request)
        .await
        .map_err(to_server_error)?;
    back_to(&order_id);
    Ok(())
}

#[server(endpoint = "/admin/returns/receive")]
pub async fn receive_return(order_id: String, return_id: String) -> Result<(), ServerFnError> {
    use crate::server_context::to_server_error;
    let ctx = manage_store().await?;
    domain::returns::order_returns::receive(&ctx.db, &ctx.payment_providers, &return_id, None)
        .await
        .map_err(to_server_error)?;
    back_to(&order_id);
    Ok(())
}

#[server(endpoint = "/admin/returns/cancel")]
pub async fn cancel_return(order_id: String, return_id: String) -> Result<(), ServerFnError> {
    use crate::server_context::to_server_error;
    let ctx = manage_store().await?;
    domain::returns::order_returns::cancel(&ctx.db, &return_id)
        .await
        .map_err(to_server_error)?;
    back_to(&order_id);
    Ok(())
}

/// The forms of this module, so the order's page reloads after any of them
/// and shows the last one's error.
#[derive(Clone, Copy)]
pub struct AfterSaleActions {
    pub fulfil: ServerAction<FulfilOrder>,
    pub ship: ServerAction<ShipOrder>,
    pub deliver: ServerAction<DeliverOrder>,
    pub archive: ServerAction<ArchiveOrder>,
    pub record: ServerAction<RecordReturn>,
    pub receive: ServerAction<ReceiveReturn>,
    pub cancel: ServerAction<CancelReturn>,
}

impl AfterSaleActions {
    pub fn new() -> Self {
        Self {
            fulfil: ServerAction::new(),
            ship: ServerAction::new(),
            deliver: ServerAction::new(),
            archive: ServerAction::new(),
            record: ServerAction::new(),
            receive: ServerAction::new(),
            cancel: ServerAction::new(),
        }
    }

    /// Changes whenever one of the forms has been answered.
    pub fn version(&self) -> usize {
        self.fulfil.version().get()
            + self.ship.version().get()
            + self.deliver.version().get()
            + self.archive.version().get()
            + self.record.version().get()
            + self.receive.version().get()
            + self.cancel.version().get()
    }

    pub fn error(&self) -> Option<ServerFnError> {
        fn err<T: Clone + Send + Sync + 'static>(
            value: Option<Result<T, ServerFnError>>,
        ) -> Option<ServerFnError> {
            value.and_then(Result::err)
        }
        err(self.fulfil.value().get())
            .or_else(|| err(self.ship.value().get()))
            .or_else(|| err(self.deliver.value().get()))
            .or_else(|| err(self.archive.value().get()))
            .or_else(|| err(self.record.value().get()))
            .or_else(|| err(self.receive.value().get()))
            .or_else(|| err(self.cancel.value().get()))
    }
}

impl Default for AfterSaleActions {
    fn default() -> Self {
        Self::new()
    }
}

/// The order's fulfilment and the next step: fulfil, ship, deliver, archive.
#[component]
pub fn Fulfilment(
    order_id: String,
    status: String,
    fulfilment: Option<FulfilmentView>,
    at_machine: bool,
    actions: AfterSaleActions,
) -> impl IntoView {
    let open = status == "pending" && !at_machine;
    let can_archive = status == "completed" || status == "canceled";
    let archive_id = order_id.clone();
    view! {
        <section aria-labelledby="fulfilment-heading" data-testid="fulfilment">
            <h2 id="fulfilment-heading">"Fulfilment"</h2>
            {match fulfilment {
                None if open => view! {
                    <p class="muted">"Not sent yet. Fulfilling takes the goods from their stock location and captures the payment."</p>
                    <ActionForm action=actions.fulfil attr:class="inline">
                        <input type="hidden" name="id" value=order_id.clone() />
                        <button type="submit" disabled=move || actions.fulfil.pending().get()>"Fulfil order"</button>
                    </ActionForm>
                }.into_any(),
                None if at_machine => view! { <p class="muted" data-testid="sold-at-machine">"Sold at a machine: the shopper took the goods there."</p> }.into_any(),
                None => view! { <p class="muted">"Nothing was sent."</p> }.into_any(),
                Some(f) => view! { <FulfilmentSteps order_id=order_id.clone() fulfilment=f actions /> }.into_any(),
            }}
            {can_archive.then(|| view! {
                <ActionForm action=actions.archive attr:class="inline">
                    <input type="hidden" name="id" value=archive_id />
                    <button type="submit" class="secondary" disabled=move || actions.archive.pending().get()>"Archive order"</button>
                </ActionForm>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn FulfilmentSteps(
    order_id: String,
    fulfilment: FulfilmentView,
    actions: AfterSaleActions,
) -> impl IntoView {
    let FulfilmentView {
        id,
        location_id,
        created_at,
        shipped_at,
        delivered_at,
        tracking_number,
        tracking_url,
    } = fulfilment;
    let can_ship = shipped_at.is_none() && delivered_at.is_none();
    let can_deliver = delivered_at.is_none();
    let (ship_order, ship_fulfilment) = (order_id.clone(), id.clone());
    view! {
        <dl class="facts">
            <dt>"Fulfilled"</dt><dd>{created_at}</dd>
            <dt>"From"</dt><dd>{location_id.unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Shipped"</dt><dd data-testid="shipped-at">{shipped_at.unwrap_or_else(|| "not yet".to_owned())}</dd>
            {tracking_number.map(|n| view! { <dt>"Tracking"</dt><dd data-testid="tracking">{n}</dd> })}
            {tracking_url.map(|u| { let shown = u.clone(); view! { <dt>"Track"</dt><dd><a href=u rel="noopener noreferrer" target="_blank">{shown}</a></dd> } })}
            <dt>"Delivered or picked up"</dt><dd data-testid="delivered-at">{delivered_at.unwrap_or_else(|| "not yet".to_owned())}</dd>
        </dl>
        {can_ship.then(|| view! {
            <ActionForm action=actions.ship attr:class="stacked">
                <input type="hidden" name="id" value=ship_order />
                <input type="hidden" name="fulfillment_id" value=ship_fulfilment />
                <label>"Tracking number "<input name="tracking_number" maxlength="200" autocomplete="off" /></label>
                <label>"Tracking link "<input name="tracking_url" type="url" maxlength="2000" placeholder="https://" /></label>
                <button type="submit" disabled=move || actions.ship.pending().get()>"Mark shipped"</button>
            </ActionForm>
        })}
        {can_deliver.then(|| view! {
            <ActionForm action=actions.deliver attr:class="inline">
                <input type="hidden" name="id" value=order_id />
                <input type="hidden" name="fulfillment_id" value=id />
                <button type="submit" disabled=move || actions.deliver.pending().get()>"Mark delivered or picked up"</button>
            </ActionForm>
        })}
    }
    .into_any()
}

/// The order's returns, with receive and cancel, and a form to record one.
#[component]
pub fn Returns(
    order_id: String,
    currency: String,
    returns: Vec<ReturnView>,
    reasons: Vec<(String, String)>,
    returnable: Vec<(String, String, i64)>,
    actions: AfterSaleActions,
) -> impl IntoView {
    let empty = returns.is_empty();
    let rows = returns
        .into_iter()
        .map(|r| {
            let requested = r.status == "requested";
            let (receive_order, receive_id) = (order_id.clone(), r.id.clone());
            let (cancel_order, cancel_id) = (order_id.clone(), r.id.clone());
            let what = r
                .lines
                .iter()
                .map(|(title, quantity, reason)| match reason {
                    Some(reason) => format!("{quantity} × {title} ({reason})"),
                    None => format!("{quantity} × {title}"),
                })
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <tr data-testid="order-return">
                    <td><code>{r.id}</code><br /><span class="muted">{r.created_at}{if r.by_customer { " · by the customer" } else { " · by staff" }}</span></td>
                    <td>{what}{r.note.map(|n| view! { <br /><span class="muted">{n}</span> })}</td>
                    <td data-testid="return-status">{r.status}</td>
                    <td>{format_money(r.refund_amount, &currency)}</td>
                    <td>
                        {requested.then(|| view! {
                            <ActionForm action=actions.receive attr:class="inline">
                                <input type="hidden" name="order_id" value=receive_order />
                                <input type="hidden" name="return_id" value=receive_id />
                                <button type="submit" disabled=move || actions.receive.pending().get()>"Receive and refund"</button>
                            </ActionForm>
                            <ActionForm action=actions.cancel attr:class="inline">
                                <input type="hidden" name="order_id" value=cancel_order />
                                <input type="hidden" name="return_id" value=cancel_id />
                                <button type="submit" class="secondary" disabled=move || actions.cancel.pending().get()>"Cancel return"</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let forms = returnable
        .into_iter()
        .map(|(item_id, title, left)| {
            let order_id = order_id.clone();
            let reasons = reasons.clone();
            view! {
                <ActionForm action=actions.record attr:class="inline">
                    <input type="hidden" name="order_id" value=order_id />
                    <input type="hidden" name="item_id" value=item_id />
                    <label>{title}" — units "
                        <input name="quantity" type="number" min="1" max=left.to_string() value="1" required />
                    </label>
                    <label>" Reason "
                        <select name="reason_id">
                            <option value="">"—"</option>
                            {reasons.into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" disabled=move || actions.record.pending().get()>"Record return"</button>
                </ActionForm>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="returns-heading" data-testid="returns">
            <h2 id="returns-heading">"Returns"</h2>
            {if empty {
                view! { <p class="muted">"No returns."</p> }.into_any()
            } else {
                view! {
                    <table class="data">
                        <thead><tr><th>"Return"</th><th>"Items"</th><th>"Status"</th><th>"Refund"</th><th></th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }.into_any()
            }}
            {forms}
        </section>
    }
    .into_any()
}
