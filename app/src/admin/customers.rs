//! Customers: a paginated list, searchable by email or name.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::orders::{PAGE_SIZE, Pager, page_number};
use crate::components::ErrorNotice;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub has_account: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerListPage {
    pub customers: Vec<CustomerRow>,
    pub count: u64,
}

#[server(endpoint = "/admin/customers/list")]
pub async fn list_customers(
    q: Option<String>,
    offset: u64,
) -> Result<CustomerListPage, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let (customers, count) = domain::customers::list(&ctx.db, q.as_deref(), offset, PAGE_SIZE)
        .await
        .map_err(to_server_error)?;
    Ok(CustomerListPage {
        customers: customers
            .into_iter()
            .map(|c| CustomerRow {
                name: [c.first_name, c.last_name]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
                id: c.id,
                email: c.email,
                has_account: c.has_account,
                created_at: c.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            })
            .collect(),
        count,
    })
}

#[component]
pub fn CustomersPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").filter(|q| !q.trim().is_empty());
    let page = move || page_number(query.read().get("page"));
    let customers = Resource::new(
        move || (q(), page()),
        |(q, page)| list_customers(q, (page - 1) * PAGE_SIZE),
    );
    view! {
        <h1>"Customers"</h1>
        <form method="get" action="/admin/customers" class="inline filters">
            <input type="search" name="q" placeholder="Email or name" value=move || q().unwrap_or_default() />
            <button type="submit">"Search"</button>
        </form>
        <Transition fallback=|| view! { <p class="loading">"Loading customers…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    let (q, number) = (q(), page());
                    customers.await.map(|found| view! { <CustomerTable found q number /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn CustomerTable(found: CustomerListPage, q: Option<String>, number: u64) -> impl IntoView {
    if found.customers.is_empty() {
        return match q {
            Some(q) => view! { <p class="empty">{format!("No customer matches “{q}”. ")}<a href="/admin/customers">"Show all"</a></p> }.into_any(),
            None => view! { <p class="empty">"No customers yet: shoppers appear here when they register or check out."</p> }.into_any(),
        };
    }
    let base = match &q {
        Some(q) => format!("/admin/customers?q={}&", urlencoding(q)),
        None => "/admin/customers?".to_owned(),
    };
    view! {
        <p class="muted">{format!("{} customers", found.count)}</p>
        <table class="data">
            <thead><tr><th>"Email"</th><th>"Name"</th><th>"Account"</th><th>"Since"</th></tr></thead>
            <tbody>
                {found
                    .customers
                    .into_iter()
                    .map(|c| {
                        view! {
                            <tr data-testid="customer-row" data-customer=c.id>
                                <td>{c.email}</td>
                                <td>{c.name}</td>
                                <td>{if c.has_account { "registered" } else { "guest" }}</td>
                                <td>{c.created_at}</td>
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

/// Percent-encodes a query value (everything but unreserved characters).
fn urlencoding(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
