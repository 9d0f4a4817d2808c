//! What the store sent (order emails, receipts, alert posts), newest first:
//! failures to the eye (filter), each message readable, and sent again on
//! request when a customer says it never came.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::orders::{PAGE_SIZE, Pager, StatusFilter, page_number};
use crate::components::ErrorNotice;

pub const NOTIFICATIONS_PATH: &str = "/admin/notifications";
/// The filter's choices, as the Admin API names them.
const STATUSES: [&str; 3] = ["failure", "pending", "success"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationRow {
    pub id: String,
    pub created_at: String,
    pub channel: String,
    pub to: String,
    pub template: String,
    pub subject: String,
    pub text: String,
    pub status: String,
    pub attempts: i32,
    pub error: Option<String>,
    /// `order`, `alert`… and its id, when it is about one.
    pub about: Option<(String, String)>,
    pub resent_from: Option<String>,
    pub resendable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationListPage {
    pub notifications: Vec<NotificationRow>,
    pub count: u64,
}

#[server(endpoint = "/admin/notifications/list")]
pub async fn list_notifications(
    status: Option<String>,
    resource_id: Option<String>,
    offset: u64,
) -> Result<NotificationListPage, ServerFnError> {
    use crate::server_context::*;
    use domain::notifications::{self, Filter};
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let filter = Filter {
        status: status
            .map(|s| domain::states::parse(&s, "a notification status"))
            .transpose()
            .map_err(to_server_error)?,
        resource_id,
        ..Filter::default()
    };
    let page = notifications::list(&ctx.db, &filter, offset, PAGE_SIZE)
        .await
        .map_err(to_server_error)?;
    Ok(NotificationListPage {
        notifications: page
            .items
            .into_iter()
            .map(|n| NotificationRow {
                created_at: n.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                channel: n.channel.to_string(),
                status: n.status.to_string(),
                about: n.resource_type.zip(n.resource_id),
                id: n.id,
                to: n.recipient,
                template: n.template,
                subject: n.subject,
                text: n.body_text,
                attempts: n.attempts,
                error: n.last_error,
                resent_from: n.original_notification_id,
                resendable: n.resendable,
            })
            .collect(),
        count: page.count,
    })
}

#[server(endpoint = "/admin/notifications/resend")]
pub async fn resend_notification(id: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    domain::notifications::resend(&ctx.db, &id)
        .await
        .map_err(to_server_error)?;
    // Without JavaScript the form posts here: back to the list, where the
    // new message shows on top.
    leptos_axum::redirect(NOTIFICATIONS_PATH);
    Ok(())
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").filter(|s| !s.is_empty());
    // An order's (or session's…) messages only, from its page's link.
    let about = move || query.read().get("resource_id").filter(|s| !s.is_empty());
    let page = move || page_number(query.read().get("page"));
    let resend = ServerAction::<ResendNotification>::new();
    let found = Resource::new(
        move || (status(), about(), page(), resend.version().get()),
        |(status, about, page, _)| list_notifications(status, about, (page - 1) * PAGE_SIZE),
    );
    view! {
        <h1>"Notifications"</h1>
        <p class="muted">"Every email and alert post the store sent. A failed one is retried for a while by itself; resend one a customer did not get."</p>
        {move || about().map(|id| view! {
            <p data-testid="notifications-about">"Messages about "<code>{id}</code>" · "<a href=NOTIFICATIONS_PATH>"all messages"</a></p>
        })}
        <StatusFilter action=NOTIFICATIONS_PATH statuses=&STATUSES current=Signal::derive(status) />
        {move || resend.value().get().and_then(Result::err).map(|e| view! {
            <p class="notice error" role="alert">{crate::components::plain_error(&e)}</p>
        })}
        <Transition fallback=|| view! { <p class="loading">"Loading notifications…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    let (status, about, number) = (status(), about(), page());
                    found.await.map(|found| view! { <NotificationTable found status about number resend /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn NotificationTable(
    found: NotificationListPage,
    status: Option<String>,
    about: Option<String>,
    number: u64,
    resend: ServerAction<ResendNotification>,
) -> impl IntoView {
    if found.notifications.is_empty() {
        let message = match (&status, &about) {
            (Some(s), _) => format!("No notifications with status {s}. "),
            (None, Some(id)) => format!("Nothing was sent about {id}. "),
            (None, None) => "Nothing sent yet: order confirmations, receipts and alert emails show here as they go out. "
                .to_owned(),
        };
        return view! { <p class="empty" data-testid="notifications-empty">{message}<a href=NOTIFICATIONS_PATH>"Show all"</a></p> }
            .into_any();
    }
    let mut base = format!("{NOTIFICATIONS_PATH}?");
    if let Some(s) = &status {
        base.push_str(&format!("status={}&", crate::redirects::query_value(s)));
    }
    if let Some(id) = &about {
        base.push_str(&format!(
            "resource_id={}&",
            crate::redirects::query_value(id)
        ));
    }
    view! {
        <p class="muted">{format!("{} notifications", found.count)}</p>
        <table class="data">
            <thead>
                <tr>
                    <th>"Created"</th>
                    <th>"To"</th>
                    <th>"Message"</th>
                    <th>"Status"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {found.notifications.into_iter().map(|n| view! { <NotificationRowView n resend /> }).collect_view()}
            </tbody>
        </table>
        <Pager base number pages=found.count.div_ceil(PAGE_SIZE).max(1) />
    }
    .into_any()
}

#[component]
fn NotificationRowView(
    n: NotificationRow,
    resend: ServerAction<ResendNotification>,
) -> impl IntoView {
    let about = n.about.map(|(kind, id)| {
        let link = match kind.as_str() {
            "order" => Some(format!("/admin/orders/{id}")),
            "vending_session" => Some(format!("/admin/vending/sessions/{id}")),
            _ => None,
        };
        match link {
            Some(href) => view! { <a href=href>{format!("{kind} {id}")}</a> }.into_any(),
            None => view! { <code>{format!("{kind} {id}")}</code> }.into_any(),
        }
    });
    let outcome = match (&n.error, n.attempts) {
        (Some(error), attempts) => format!("{error} (attempt {attempts})"),
        (None, attempts) if attempts > 1 => format!("sent on attempt {attempts}"),
        _ => String::new(),
    };
    let id = n.id.clone();
    let action = if n.resendable {
        view! {
            <ActionForm action=resend attr:class="inline">
                <input type="hidden" name="id" value=id />
                <button type="submit" disabled=move || resend.pending().get()>"Resend"</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! { <span class="muted" title="It held a one-time link; ask for a new one">"one-time link"</span> }.into_any()
    };
    view! {
        <tr data-testid="notification-row" data-notification=n.id data-status=n.status.clone()>
            <td>{n.created_at}</td>
            <td>{n.to}<br /><span class="muted">{n.channel}</span></td>
            <td>
                <details>
                    <summary>{n.subject}</summary>
                    <pre class="message">{n.text}</pre>
                </details>
                <span class="muted">{n.template}</span>
                " "
                {about}
                {n.resent_from.map(|first| view! { <span class="muted">{format!(" · resent from {first}")}</span> })}
            </td>
            <td>
                <span class=format!("badge {}", n.status)>{n.status.clone()}</span>
                <br />
                <span class="muted" data-testid="notification-outcome">{outcome}</span>
            </td>
            <td>{action}</td>
        </tr>
    }
}
