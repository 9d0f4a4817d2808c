//! Returns across orders, newest first, filtered by status: the goods staff
//! are waiting for ("requested") are a worklist. Each links to its order's
//! page, where it is received or canceled.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::orders::{PAGE_SIZE, Pager, StatusFilter, page_number};
use crate::components::{ErrorNotice, format_money};

pub const RETURNS_PATH: &str = "/admin/returns";
const STATUSES: [&str; 3] = ["requested", "received", "canceled"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnRow {
    pub id: String,
    pub order_id: String,
    pub status: String,
    pub units: i64,
    pub refund_amount: i64,
    pub currency: String,
    pub created_at: String,
    pub by_customer: bool,
}

#[server(endpoint = "/admin/returns/list")]
pub async fn list_returns(
    status: Option<String>,
    offset: u64,
) -> Result<(Vec<ReturnRow>, u64), ServerFnError> {
    use crate::server_context::*;
    use domain::returns::order_returns;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let filter = order_returns::ReturnFilter {
        status: status
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| domain::states::parse(s, "a return status"))
            .collect::<Result<_, _>>()
            .map_err(to_server_error)?,
        ..Default::default()
    };
    let page = order_returns::list(&ctx.db, &filter, offset, PAGE_SIZE)
        .await
        .map_err(to_server_error)?;
    let rows = page
        .items
        .into_iter()
        .map(|r| ReturnRow {
            units: r.items.iter().map(|i| i64::from(i.quantity)).sum(),
            id: r.order_return.id,
            order_id: r.order_return.order_id,
            status: r.order_return.status.to_string(),
            refund_amount: r.order_return.refund_amount,
            currency: r.currency_code,
            created_at: r
                .order_return
                .created_at
                .format("%Y-%m-%d %H:%M UTC")
                .to_string(),
            by_customer: r.order_return.requested_by.is_some(),
        })
        .collect();
    Ok((rows, page.count))
}

#[component]
pub fn ReturnsPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").filter(|s| !s.is_empty());
    let page = move || page_number(query.read().get("page"));
    let found = Resource::new(
        move || (status(), page()),
        |(status, page)| list_returns(status, (page - 1) * PAGE_SIZE),
    );
    view! {
        <h1>"Returns"</h1>
        <StatusFilter action=RETURNS_PATH statuses=&STATUSES current=Signal::derive(status) />
        <Transition fallback=|| view! { <p class="loading">"Loading returns…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    let (status, number) = (status(), page());
                    found.await.map(|(rows, count)| view! { <ReturnTable rows count status number /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn ReturnTable(
    rows: Vec<ReturnRow>,
    count: u64,
    status: Option<String>,
    number: u64,
) -> impl IntoView {
    if rows.is_empty() {
        let message = match status {
            Some(s) => format!("No {s} returns. "),
            None => "No returns yet: customers ask for them from their order's page, or record one on an order's page. ".to_owned(),
        };
        return view! { <p class="empty" data-testid="returns-empty">{message}<a href=RETURNS_PATH>"Show all returns"</a></p> }
            .into_any();
    }
    let base = match &status {
        Some(s) => format!("{RETURNS_PATH}?status={s}&"),
        None => format!("{RETURNS_PATH}?"),
    };
    view! {
        <p class="muted">{format!("{count} returns")}</p>
        <table class="data">
            <thead>
                <tr><th>"Return"</th><th>"Order"</th><th>"Asked"</th><th>"Items"</th><th>"Status"</th><th>"Refund"</th></tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|r| view! {
                        <tr data-testid="return-row">
                            <td><code>{r.id}</code></td>
                            <td><a href=format!("/admin/orders/{}", r.order_id)><code>{r.order_id.clone()}</code></a></td>
                            <td>{r.created_at}{if r.by_customer { " · customer" } else { " · staff" }}</td>
                            <td>{r.units}</td>
                            <td><span class=format!("badge {}", r.status)>{r.status.clone()}</span></td>
                            <td>{format_money(r.refund_amount, &r.currency)}</td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
        <Pager base number pages=count.div_ceil(PAGE_SIZE).max(1) />
    }
    .into_any()
}
