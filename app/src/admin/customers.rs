//! Customers: a paginated list, searchable by email or name, and each
//! customer's page (profile, groups, addresses, their latest orders).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use leptos_router::hooks::use_params_map;

use super::orders::{PAGE_SIZE, Pager, page_number};
use crate::{
    components::{ErrorNotice, NotFound, format_money},
    storefront::checkout::OrderSummary,
};

/// A customer's page.
pub fn customer_path(id: &str) -> String {
    format!("/admin/customers/{id}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub has_account: bool,
    pub created_at: String,
}

#[cfg(feature = "ssr")]
impl From<domain::customers::customer::Model> for CustomerRow {
    fn from(c: domain::customers::customer::Model) -> Self {
        Self {
            name: [c.first_name, c.last_name]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
            id: c.id,
            email: c.email,
            has_account: c.has_account,
            created_at: c.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
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
        customers: customers.into_iter().map(CustomerRow::from).collect(),
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
    let create = ServerAction::<CreateCustomer>::new();
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
        <details class="edit">
            <summary>"New customer (without an account)"</summary>
            {move || create.value().get().and_then(|r| r.err()).map(|e| view! {
                <p class="notice error" role="alert">{crate::components::plain_error(&e)}</p>
            })}
            <ActionForm action=create attr:class="stacked" attr:data-testid="customer-create-form">
                <label>"Email" <input name="email" type="email" required autocomplete="off" /></label>
                <label>"First name" <input name="first_name" autocomplete="off" /></label>
                <label>"Last name" <input name="last_name" autocomplete="off" /></label>
                <button type="submit" disabled=move || create.pending().get()>"Add customer"</button>
            </ActionForm>
        </details>
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
                            <tr data-testid="customer-row" data-customer=c.id.clone()>
                                <td><a href=customer_path(&c.id)>{c.email}</a></td>
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

/// How many of a customer's orders their page lists (newest first).
const ORDERS_SHOWN: u64 = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerView {
    pub row: CustomerRow,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    /// Group id and name.
    pub groups: Vec<(String, String)>,
    /// Each address: its id and the address on one line.
    pub addresses: Vec<(String, String)>,
    pub orders: Vec<OrderSummary>,
    pub order_count: u64,
}

/// One customer, with what their page shows; `None` for an unknown id.
#[server(endpoint = "/admin/customers/get")]
pub async fn admin_customer(id: String) -> Result<Option<CustomerView>, ServerFnError> {
    use domain::{DomainError, customers, orders};

    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let found = match customers::retrieve(&ctx.db, &id).await {
        Ok(found) => found,
        Err(DomainError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(to_server_error(e)),
    };
    let groups = customers::groups_of_customer(&ctx.db, &id)
        .await
        .map_err(to_server_error)?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let filter = orders::OrderFilter {
        customer_id: vec![id.clone()],
        ..Default::default()
    };
    let (latest, order_count) = orders::list(&ctx.db, &filter, 0, ORDERS_SHOWN)
        .await
        .map_err(to_server_error)?;
    let c = found.customer;
    Ok(Some(CustomerView {
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        phone: c.phone.clone(),
        company: c.company_name.clone(),
        groups,
        addresses: found
            .addresses
            .into_iter()
            .map(|a| {
                let line = [
                    a.address_name,
                    a.company,
                    a.address_1,
                    a.address_2,
                    a.postal_code,
                    a.city,
                    a.province,
                    a.country_code.map(|c| c.to_uppercase()),
                ]
                .into_iter()
                .flatten()
                .filter(|part| !part.trim().is_empty())
                .collect::<Vec<_>>()
                .join(", ");
                (a.id, line)
            })
            .collect(),
        orders: latest.into_iter().map(OrderSummary::from).collect(),
        order_count,
        row: c.into(),
    }))
}

/// A customer without an account (a phone order, a business), then their page.
#[server(endpoint = "/admin/customers/create")]
pub async fn create_customer(
    email: String,
    first_name: String,
    last_name: String,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let email = domain::credentials::Email::parse(&email).map_err(to_server_error)?;
    let profile = domain::customers::Profile {
        first_name: Some(first_name),
        last_name: Some(last_name),
        ..Default::default()
    };
    let created = domain::customers::create_without_account(&ctx.db, &email, profile)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&customer_path(&created.customer.id));
    Ok(())
}

/// A customer's names, phone and company (blank clears one).
#[server(endpoint = "/admin/customers/update")]
pub async fn update_customer(
    id: String,
    first_name: String,
    last_name: String,
    phone: String,
    company_name: String,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let profile = domain::customers::Profile {
        first_name: Some(first_name),
        last_name: Some(last_name),
        phone: Some(phone),
        company_name: Some(company_name),
    };
    domain::customers::update_profile(&ctx.db, &id, profile)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&customer_path(&id));
    Ok(())
}

#[server(endpoint = "/admin/customers/add-address")]
pub async fn add_customer_address(
    id: String,
    address_1: String,
    postal_code: String,
    city: String,
    country_code: String,
    address_name: String,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let some = |v: String| Some(v).filter(|v| !v.trim().is_empty());
    let fields = domain::customers::AddressFields {
        address_name: some(address_name),
        address_1: some(address_1),
        postal_code: some(postal_code),
        city: some(city),
        country_code: some(country_code),
        ..Default::default()
    };
    domain::customers::add_address(&ctx.db, &id, fields)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&customer_path(&id));
    Ok(())
}

#[server(endpoint = "/admin/customers/delete-address")]
pub async fn delete_customer_address(id: String, address_id: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    domain::customers::delete_address(&ctx.db, &id, &address_id)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&customer_path(&id));
    Ok(())
}

#[derive(Clone, Copy)]
struct CustomerActions {
    update: ServerAction<UpdateCustomer>,
    add_address: ServerAction<AddCustomerAddress>,
    delete_address: ServerAction<DeleteCustomerAddress>,
}

/// `/admin/customers/:id`.
#[component]
pub fn CustomerPage() -> impl IntoView {
    let params = use_params_map();
    let actions = CustomerActions {
        update: ServerAction::new(),
        add_address: ServerAction::new(),
        delete_address: ServerAction::new(),
    };
    let customer = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                actions.update.version().get()
                    + actions.add_address.version().get()
                    + actions.delete_address.version().get(),
            )
        },
        |(id, _)| admin_customer(id),
    );
    let error = move || {
        [
            actions.update.value().get().and_then(|r| r.err()),
            actions.add_address.value().get().and_then(|r| r.err()),
            actions.delete_address.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| crate::components::plain_error(&e))
    };
    view! {
        <p><a href="/admin/customers">"← Customers"</a></p>
        {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    customer.await.map(|found| match found {
                        Some(customer) => view! { <CustomerDetail customer actions /> }.into_any(),
                        None => view! { <NotFound /> }.into_any(),
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn CustomerDetail(customer: CustomerView, actions: CustomerActions) -> impl IntoView {
    let CustomerView {
        row,
        first_name,
        last_name,
        phone,
        company,
        groups,
        addresses,
        orders,
        order_count,
    } = customer;
    let title = if row.name.is_empty() {
        row.email.clone()
    } else {
        row.name.clone()
    };
    // Each form's children are a closure of their own: each gets its copies.
    let (edit_id, row_id, address_owner) = (row.id.clone(), row.id.clone(), row.id.clone());
    let (phone_value, company_value) = (
        phone.clone().unwrap_or_default(),
        company.clone().unwrap_or_default(),
    );
    view! {
        <h1 data-testid="customer-name">{title}</h1>
        <dl class="facts">
            <dt>"Email"</dt><dd data-testid="customer-email">{row.email}</dd>
            <dt>"Account"</dt><dd>{if row.has_account { "registered" } else { "guest (checked out without an account)" }}</dd>
            <dt>"Phone"</dt><dd>{phone.unwrap_or_else(|| "not given".into())}</dd>
            {company.map(|c| view! { <dt>"Company"</dt><dd>{c}</dd> })}
            <dt>"Customer since"</dt><dd>{row.created_at}</dd>
            <dt>"Groups"</dt>
            <dd data-testid="customer-groups">
                {if groups.is_empty() {
                    view! { <span class="muted">"none"</span> }.into_any()
                } else {
                    groups
                        .into_iter()
                        .map(|(id, name)| view! {
                            <a href=super::customer_groups::CUSTOMER_GROUPS_PATH class="badge" data-group=id>{name}</a>" "
                        })
                        .collect_view()
                        .into_any()
                }}
            </dd>
        </dl>
        <details class="edit">
            <summary>"Edit details"</summary>
            <ActionForm action=actions.update attr:class="stacked" attr:data-testid="customer-edit-form">
                <input type="hidden" name="id" value=edit_id.clone() />
                <label>"First name" <input name="first_name" value=first_name.unwrap_or_default() autocomplete="off" /></label>
                <label>"Last name" <input name="last_name" value=last_name.unwrap_or_default() autocomplete="off" /></label>
                <label>"Phone" <input name="phone" type="tel" value=phone_value.clone() autocomplete="off" /></label>
                <label>"Company" <input name="company_name" value=company_value.clone() autocomplete="off" /></label>
                <button type="submit">"Save details"</button>
            </ActionForm>
        </details>
        <h2>"Addresses"</h2>
        {if addresses.is_empty() {
            view! { <p class="empty">"No saved addresses."</p> }.into_any()
        } else {
            view! {
                <ul data-testid="customer-addresses">
                    {addresses.into_iter().map(|(address_id, line)| {
                        let customer_id = row_id.clone();
                        view! {
                            <li>
                                {line}" "
                                <ActionForm action=actions.delete_address attr:class="inline">
                                    <input type="hidden" name="id" value=customer_id.clone() />
                                    <input type="hidden" name="address_id" value=address_id.clone() />
                                    <button type="submit" class="link">"Delete"</button>
                                </ActionForm>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
            .into_any()
        }}
        <details class="edit">
            <summary>"Add an address"</summary>
            <ActionForm action=actions.add_address attr:class="stacked" attr:data-testid="customer-address-form">
                <input type="hidden" name="id" value=address_owner.clone() />
                <label>"Name (e.g. Office)" <input name="address_name" /></label>
                <label>"Street" <input name="address_1" required autocomplete="off" /></label>
                <label>"Postal code" <input name="postal_code" autocomplete="off" /></label>
                <label>"City" <input name="city" required autocomplete="off" /></label>
                <label>"Country (two letters)" <input name="country_code" required maxlength="2" size="3" autocomplete="off" /></label>
                <button type="submit">"Add address"</button>
            </ActionForm>
        </details>
        <h2>"Orders"</h2>
        {if orders.is_empty() {
            view! { <p class="empty" data-testid="customer-no-orders">"No orders yet."</p> }.into_any()
        } else {
            view! {
                <p class="muted">
                    {if order_count > ORDERS_SHOWN {
                        format!("The latest {ORDERS_SHOWN} of {order_count} orders")
                    } else {
                        format!("{order_count} orders")
                    }}
                </p>
                <table class="data">
                    <thead><tr><th>"Order"</th><th>"Placed"</th><th>"Status"</th><th>"Payment"</th><th>"Total"</th></tr></thead>
                    <tbody>
                        {orders
                            .into_iter()
                            .map(|o| view! {
                                <tr data-testid="customer-order">
                                    <td><a href=format!("/admin/orders/{}", o.id)><code>{o.id.clone()}</code></a></td>
                                    <td>{o.created_at}</td>
                                    <td><span class=format!("badge {}", o.status)>{o.status.clone()}</span></td>
                                    <td>{o.payment_status}</td>
                                    <td>{format_money(o.total, &o.currency)}</td>
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
            }
            .into_any()
        }}
    }
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
