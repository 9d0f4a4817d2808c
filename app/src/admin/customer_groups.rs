//! Customer groups: named sets of customers (VIP, staff…), made and filled
//! here with plain forms (they work before hydration). The page shares
//! `/admin/customer-groups` with the Admin API.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::ErrorNotice;

pub const CUSTOMER_GROUPS_PATH: &str = "/admin/customer-groups";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerGroupRow {
    pub id: String,
    pub name: String,
    pub members: i64,
    /// The first members' emails, for a glance.
    pub some_emails: Vec<String>,
}

#[server(endpoint = "/admin/customer-groups/list")]
pub async fn list_customer_groups() -> Result<Vec<CustomerGroupRow>, ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    // A store keeps a handful of groups: one page of the most there can be.
    let page = domain::customers::list_group_page(&ctx.db, None, 0, 100)
        .await
        .map_err(to_server_error)?;
    let ids: Vec<String> = page.items.iter().map(|g| g.id.clone()).collect();
    let counts = domain::customers::member_counts(&ctx.db, &ids)
        .await
        .map_err(to_server_error)?;
    let mut rows = Vec::with_capacity(page.items.len());
    for group in page.items {
        let some = domain::customers::group_members(&ctx.db, &group.id, 0, 5)
            .await
            .map_err(to_server_error)?;
        rows.push(CustomerGroupRow {
            members: counts.get(&group.id).copied().unwrap_or(0),
            some_emails: some.items.into_iter().map(|c| c.email).collect(),
            id: group.id,
            name: group.name,
        });
    }
    Ok(rows)
}

#[server(endpoint = "/admin/customer-groups/create")]
pub async fn create_customer_group(name: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    domain::customers::create_group(&ctx.db, &name)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(CUSTOMER_GROUPS_PATH);
    Ok(())
}

/// Adds the customer with `email` (the registered one, if a guest shares it).
#[server(endpoint = "/admin/customer-groups/add")]
pub async fn add_to_customer_group(group_id: String, email: String) -> Result<(), ServerFnError> {
    use domain::DomainError;

    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let email = email.trim().to_owned();
    let (found, _) = domain::customers::list(&ctx.db, Some(&email), 0, 100)
        .await
        .map_err(to_server_error)?;
    let customer = found
        .into_iter()
        .filter(|c| c.email.eq_ignore_ascii_case(&email))
        .max_by_key(|c| c.has_account)
        .ok_or_else(|| {
            to_server_error(DomainError::Invalid(format!(
                "no customer has the email {email:?}"
            )))
        })?;
    domain::customers::change_group_members(&ctx.db, &group_id, &[customer.id], &[])
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(CUSTOMER_GROUPS_PATH);
    Ok(())
}

#[server(endpoint = "/admin/customer-groups/delete")]
pub async fn delete_customer_group(group_id: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    domain::customers::delete_group(&ctx.db, &group_id)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(CUSTOMER_GROUPS_PATH);
    Ok(())
}

#[component]
pub fn CustomerGroupsPage() -> impl IntoView {
    let create = ServerAction::<CreateCustomerGroup>::new();
    let add = ServerAction::<AddToCustomerGroup>::new();
    let delete = ServerAction::<DeleteCustomerGroup>::new();
    let groups = Resource::new(
        move || create.version().get() + add.version().get() + delete.version().get(),
        |_| list_customer_groups(),
    );
    let plain = |e: ServerFnError| crate::components::plain_error(&e);
    let error = move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| add.value().get().and_then(|r| r.err()))
            .or_else(|| delete.value().get().and_then(|r| r.err()))
            .map(plain)
    };
    view! {
        <h1>"Customer groups"</h1>
        {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading customer groups…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    groups.await.map(|rows| {
                        if rows.is_empty() {
                            return view! { <p class="empty">"No customer groups yet: make one below (e.g. VIP), then add customers by email."</p> }.into_any();
                        }
                        view! {
                            <table class="data" data-testid="customer-groups-table">
                                <thead><tr><th>"Group"</th><th>"Customers"</th><th>"Add a customer"</th><th></th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|g| view! { <GroupLine g add delete /> }).collect_view()}
                                </tbody>
                            </table>
                        }
                        .into_any()
                    })
                })}
            </ErrorBoundary>
        </Transition>
        <h2>"New customer group"</h2>
        <ActionForm action=create attr:class="inline" attr:data-testid="customer-group-form">
            <label>"Name " <input name="name" required /></label>
            <button type="submit" disabled=move || create.pending().get()>"Create group"</button>
        </ActionForm>
    }
}

#[component]
fn GroupLine(
    g: CustomerGroupRow,
    add: ServerAction<AddToCustomerGroup>,
    delete: ServerAction<DeleteCustomerGroup>,
) -> impl IntoView {
    let shown = match g.members {
        0 => "none yet".to_owned(),
        n if n as usize > g.some_emails.len() => {
            format!("{n}: {}, …", g.some_emails.join(", "))
        }
        n => format!("{n}: {}", g.some_emails.join(", ")),
    };
    let (add_id, delete_id, name) = (g.id.clone(), g.id.clone(), g.name.clone());
    view! {
        <tr data-customer-group=name>
            <td>{g.name}</td>
            <td>{shown}</td>
            <td>
                <ActionForm action=add attr:class="inline">
                    <input type="hidden" name="group_id" value=add_id />
                    <input type="email" name="email" required placeholder="customer@example.com" aria-label="Customer's email" />
                    <button type="submit">"Add"</button>
                </ActionForm>
            </td>
            <td>
                <ActionForm action=delete attr:class="inline">
                    <input type="hidden" name="group_id" value=delete_id />
                    <button type="submit" class="link">"Delete"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
