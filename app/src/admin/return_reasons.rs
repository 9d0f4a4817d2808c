//! Return reasons: the list shoppers and staff choose from when something
//! comes back; added and removed with plain forms (they work before
//! hydration). The page shares `/admin/return-reasons` with the Admin API.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::ErrorNotice;

pub const RETURN_REASONS_PATH: &str = "/admin/return-reasons";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnReasonRow {
    pub id: String,
    pub value: String,
    pub label: String,
    pub description: Option<String>,
}

#[server(endpoint = "/admin/return-reasons/list")]
pub async fn list_return_reasons() -> Result<Vec<ReturnReasonRow>, ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    // A store keeps a short list: one page of the most there can be.
    let page = domain::returns::list_return_reason_page(&ctx.db, None, 0, 100)
        .await
        .map_err(to_server_error)?;
    Ok(page
        .items
        .into_iter()
        .map(|r| ReturnReasonRow {
            id: r.id,
            value: r.value,
            label: r.label,
            description: r.description,
        })
        .collect())
}

#[server(endpoint = "/admin/return-reasons/create")]
pub async fn create_return_reason(
    value: String,
    label: String,
    description: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let fields = domain::returns::ReturnReasonFields {
        value: Some(value),
        label: Some(label),
        description,
    };
    domain::returns::create_return_reason(&ctx.db, fields)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(RETURN_REASONS_PATH);
    Ok(())
}

#[server(endpoint = "/admin/return-reasons/delete")]
pub async fn delete_return_reason(id: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    domain::returns::delete_return_reason(&ctx.db, &id)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(RETURN_REASONS_PATH);
    Ok(())
}

#[component]
pub fn ReturnReasonsPage() -> impl IntoView {
    let create = ServerAction::<CreateReturnReason>::new();
    let delete = ServerAction::<DeleteReturnReason>::new();
    let reasons = Resource::new(
        move || create.version().get() + delete.version().get(),
        |_| list_return_reasons(),
    );
    let plain = |e: ServerFnError| crate::components::plain_error(&e);
    let error = move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| delete.value().get().and_then(|r| r.err()))
            .map(plain)
    };
    view! {
        <h1>"Return reasons"</h1>
        {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading return reasons…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    reasons.await.map(|rows| {
                        if rows.is_empty() {
                            return view! { <p class="empty">"No return reasons yet: add the ones shoppers may give, e.g. damaged."</p> }.into_any();
                        }
                        view! {
                            <table class="data" data-testid="return-reasons-table">
                                <thead><tr><th>"Label"</th><th>"Value"</th><th>"Description"</th><th></th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|r| { let value = r.value.clone(); view! {
                                        <tr data-return-reason=value>
                                            <td>{r.label}</td>
                                            <td><code>{r.value}</code></td>
                                            <td>{r.description.unwrap_or_default()}</td>
                                            <td>
                                                <ActionForm action=delete attr:class="inline">
                                                    <input type="hidden" name="id" value=r.id />
                                                    <button type="submit" class="link">"Delete"</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    } }).collect_view()}
                                </tbody>
                            </table>
                        }
                        .into_any()
                    })
                })}
            </ErrorBoundary>
        </Transition>
        <h2>"New return reason"</h2>
        <ActionForm action=create attr:class="stacked" attr:data-testid="return-reason-form">
            <label>"Label" <input name="label" required /></label>
            <label>"Value (one word, sent by clients)" <input name="value" required autocomplete="off" /></label>
            <label>"Description" <input name="description" /></label>
            <button type="submit" disabled=move || create.pending().get()>"Add return reason"</button>
        </ActionForm>
    }
}
