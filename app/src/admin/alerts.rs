//! Device and order alerts: open ones first to the eye (filter), each acknowledgeable.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::orders::{PAGE_SIZE, Pager, StatusFilter, page_number};
use crate::components::ErrorNotice;

pub const ALERTS_PATH: &str = "/admin/alerts";
/// The filter's choices, as the Admin API names them.
const STATUSES: [&str; 2] = ["open", "resolved"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRow {
    pub id: String,
    pub kind: String,
    /// What it is about: `device vm-1`, `order order_…`.
    pub about: String,
    pub message: String,
    pub raised_at: String,
    pub resolved_at: Option<String>,
    pub acknowledged: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertListPage {
    pub alerts: Vec<AlertRow>,
    pub count: u64,
}

#[server(endpoint = "/admin/alerts/list")]
pub async fn list_alerts(
    status: Option<String>,
    offset: u64,
) -> Result<AlertListPage, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let status = match status {
        Some(status) => status.parse().map_err(to_server_error)?,
        None => domain::alerts::Status::All,
    };
    let page = domain::alerts::list(&ctx.db, status, offset, PAGE_SIZE)
        .await
        .map_err(to_server_error)?;
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    Ok(AlertListPage {
        alerts: page
            .items
            .into_iter()
            .map(|a| AlertRow {
                raised_at: at(a.raised_at),
                resolved_at: a.resolved_at.map(at),
                acknowledged: a.acknowledged_at.is_some(),
                about: a.about(),
                id: a.id,
                kind: a.kind.to_string(),
                message: a.message,
            })
            .collect(),
        count: page.count,
    })
}

#[server(endpoint = "/admin/alerts/acknowledge")]
pub async fn acknowledge_alert(id: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    let admin_id = require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    domain::alerts::acknowledge(&ctx.db, &id, &admin_id)
        .await
        .map_err(to_server_error)?;
    // Without JavaScript the form posts here: back to the list.
    leptos_axum::redirect(ALERTS_PATH);
    Ok(())
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").filter(|s| !s.is_empty());
    let page = move || page_number(query.read().get("page"));
    let acknowledge = ServerAction::<AcknowledgeAlert>::new();
    let alerts = Resource::new(
        move || (status(), page(), acknowledge.version().get()),
        |(status, page, _)| list_alerts(status, (page - 1) * PAGE_SIZE),
    );
    view! {
        <h1>"Alerts"</h1>
        <StatusFilter action=ALERTS_PATH statuses=&STATUSES current=Signal::derive(status) />
        <Transition fallback=|| view! { <p class="loading">"Loading alerts…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    let (status, number) = (status(), page());
                    alerts.await.map(|found| view! { <AlertTable found status number acknowledge /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn AlertTable(
    found: AlertListPage,
    status: Option<String>,
    number: u64,
    acknowledge: ServerAction<AcknowledgeAlert>,
) -> impl IntoView {
    if found.alerts.is_empty() {
        let message = match status {
            Some(s) => format!("No {s} alerts. "),
            None => {
                "No alerts: machines that go offline, doors left open and failed syncs show here. "
                    .to_owned()
            }
        };
        return view! { <p class="empty" data-testid="alerts-empty">{message}<a href=ALERTS_PATH>"Show all alerts"</a></p> }
            .into_any();
    }
    let base = match &status {
        Some(s) => format!("{ALERTS_PATH}?status={s}&"),
        None => format!("{ALERTS_PATH}?"),
    };
    view! {
        <p class="muted">{format!("{} alerts", found.count)}</p>
        <table class="data">
            <thead>
                <tr>
                    <th>"Raised"</th>
                    <th>"About"</th>
                    <th>"Kind"</th>
                    <th>"Message"</th>
                    <th>"Resolved"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {found
                    .alerts
                    .into_iter()
                    .map(|a| {
                        let id = a.id.clone();
                        view! {
                            <tr data-testid="alert-row" data-alert=a.id>
                                <td>{a.raised_at}</td>
                                <td><code>{a.about}</code></td>
                                <td><span class=format!("badge {}", a.kind)>{a.kind.clone()}</span></td>
                                <td>{a.message}</td>
                                <td>{a.resolved_at.unwrap_or_else(|| "open".to_owned())}</td>
                                <td>
                                    {if a.acknowledged {
                                        view! { <span class="muted">"acknowledged"</span> }.into_any()
                                    } else {
                                        view! {
                                            <ActionForm action=acknowledge attr:class="inline">
                                                <input type="hidden" name="id" value=id />
                                                <button type="submit" disabled=move || acknowledge.pending().get()>
                                                    "Acknowledge"
                                                </button>
                                            </ActionForm>
                                        }
                                            .into_any()
                                    }}
                                </td>
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
