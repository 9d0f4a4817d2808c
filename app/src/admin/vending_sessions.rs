//! The session preview: every machine opening, open ones and recent ones,
//! each with the timeline of what its machine reported, and force-close
//! with a reason. Plain links and forms, so it works before hydration.
//!
//! The pages share `/admin/vending/sessions[/:id]` with the Admin API:
//! browsers asking for HTML get the page (see the server's `admin::PAGE_PATHS`).

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use super::orders::Pager;
use crate::components::{ErrorNotice, NotFound};

pub const SESSIONS_PATH: &str = "/admin/vending/sessions";
const PAGE_SIZE: u64 = 20;
/// The list's filter: sessions still under way, or ended ones.
const FILTERS: [&str; 2] = ["open", "closed"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRow {
    pub id: String,
    pub device_id: String,
    pub mode: String,
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub failure_reason: Option<String>,
}

#[cfg(feature = "ssr")]
impl From<domain::vending::device_session::Model> for SessionRow {
    fn from(s: domain::vending::device_session::Model) -> Self {
        Self {
            id: s.id,
            device_id: s.device_id,
            mode: s.mode.to_string(),
            state: s.state.to_string(),
            created_at: s.created_at,
            ended_at: s.ended_at,
            failure_reason: s.failure_reason,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionTable {
    pub rows: Vec<SessionRow>,
    pub count: u64,
}

/// One page of sessions, newest first; `filter` is "open", "closed" or empty.
#[server(endpoint = "/admin/vending/sessions/list")]
pub async fn list_vending_sessions(
    filter: Option<String>,
    offset: u64,
) -> Result<SessionTable, ServerFnError> {
    use domain::{
        states::Iterable,
        vending::{
            sessions::{self, SessionFilter},
            state::State,
        },
    };

    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ViewVendingSessions,
    )
    .await?;
    let states = match filter.as_deref() {
        Some("open") => State::iter().filter(|s| !s.is_final()).collect(),
        Some("closed") => State::iter().filter(|s| s.is_final()).collect(),
        _ => Vec::new(),
    };
    let filter = SessionFilter {
        device_id: None,
        states,
    };
    let (rows, count) = sessions::list(&ctx.db, &filter, offset, PAGE_SIZE)
        .await
        .map_err(to_server_error)?;
    Ok(SessionTable {
        rows: rows.into_iter().map(Into::into).collect(),
        count,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    /// "device" for what the machine reported, "server" for commands sent,
    /// "admin" for what an admin did about its payment.
    pub source: String,
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub row: SessionRow,
    pub open: bool,
    pub customer_id: Option<String>,
    pub order_id: Option<String>,
    pub hold: String,
    /// Commands sent and messages received, in time order.
    pub timeline: Vec<TimelineEntry>,
    /// A service visit's products: (title, units put in; negative taken out).
    pub restocked: Vec<(String, i32)>,
}

#[server(endpoint = "/admin/vending/sessions/get")]
pub async fn vending_session(id: String) -> Result<Option<SessionView>, ServerFnError> {
    use domain::{DomainError, vending::sessions};

    use crate::{components::format_money, server_context::*};
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ViewVendingSessions,
    )
    .await?;
    let session = match sessions::find(&ctx.db, &id).await {
        Ok(session) => session,
        Err(DomainError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(to_server_error(e)),
    };
    let open = !session.state.is_final();
    let mut timeline: Vec<TimelineEntry> = sessions::commands_of(&ctx.db, &id)
        .await
        .map_err(to_server_error)?
        .into_iter()
        .map(|c| TimelineEntry {
            at: c.created_at,
            source: "server".into(),
            detail: match (c.acked_at, c.ack_ok) {
                (Some(_), Some(true)) => format!("acknowledged after {} attempt(s)", c.attempts),
                (Some(_), _) => format!(
                    "refused: {}",
                    c.ack_error.unwrap_or_else(|| "no reason given".into())
                ),
                (None, _) => format!("unacknowledged after {} attempt(s)", c.attempts),
            },
            kind: c.kind.to_string(),
        })
        .collect();
    timeline.extend(
        sessions::events_of(&ctx.db, &id)
            .await
            .map_err(to_server_error)?
            .into_iter()
            .map(|e| TimelineEntry {
                at: e.received_at,
                source: "device".into(),
                detail: format!(
                    "#{} {}",
                    e.seq,
                    e.outcome.unwrap_or_else(|| "not yet applied".into())
                ),
                kind: e.kind.to_string(),
            }),
    );
    // The payment's review: when it was opened, and every admin action on it.
    let (reviews, actions) = domain::payments::reviews::of_session(&ctx.db, &id)
        .await
        .map_err(to_server_error)?;
    let emails = super::reviews::admin_emails(
        &ctx.db,
        actions.iter().map(|a| a.admin_user_id.clone()).collect(),
    )
    .await
    .map_err(to_server_error)?;
    timeline.extend(reviews.into_iter().map(|r| TimelineEntry {
        at: r.created_at,
        source: "server".into(),
        kind: "review_opened".into(),
        detail: r.detail,
    }));
    timeline.extend(actions.into_iter().map(|a| TimelineEntry {
        at: a.created_at,
        source: "admin".into(),
        detail: format!(
            "by {}: {}{}",
            emails
                .get(&a.admin_user_id)
                .map_or(a.admin_user_id.as_str(), String::as_str),
            a.outcome,
            a.note.map(|n| format!(" — {n}")).unwrap_or_default()
        ),
        kind: a.action,
    }));
    timeline.sort_by_key(|entry| entry.at);
    let restocked = domain::vending::settlement::restock_lines(&ctx.db, &id)
        .await
        .map_err(to_server_error)?
        .into_iter()
        .map(|l| (l.title, l.units))
        .collect();
    Ok(Some(SessionView {
        restocked,
        open,
        customer_id: session.customer_id.clone(),
        order_id: session.order_id.clone(),
        hold: format_money(session.hold_amount, &session.currency_code),
        timeline,
        row: session.into(),
    }))
}

/// Ends a session by hand: nothing is charged and any hold is released.
#[server(endpoint = "/admin/vending/sessions/force-close")]
pub async fn force_close_session(id: String, reason: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageFleet,
    )
    .await?;
    ctx.machines
        .force_close(id.clone(), reason)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&format!("{SESSIONS_PATH}/{id}"));
    Ok(())
}

#[component]
pub fn VendingSessionsPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    };
    let filter = move || {
        query
            .read()
            .get("filter")
            .filter(|f| FILTERS.contains(&f.as_str()))
    };
    let sessions = Resource::new(
        move || (filter(), page()),
        |(filter, page)| list_vending_sessions(filter, (page - 1) * PAGE_SIZE),
    );
    view! {
        <h1>"Machine sessions"</h1>
        <form method="get" action=SESSIONS_PATH class="filters">
            <select name="filter" aria-label="Sessions">
                <option value="" selected=move || filter().is_none()>"All"</option>
                {FILTERS
                    .map(|f| view! { <option value=f selected=move || filter().as_deref() == Some(f)>{f}</option> })
                    .collect_view()}
            </select>
            <button type="submit">"Filter"</button>
        </form>
        <Transition fallback=|| view! { <p class="loading">"Loading sessions…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    let base = match filter() {
                        Some(f) => format!("{SESSIONS_PATH}?filter={f}&"),
                        None => format!("{SESSIONS_PATH}?"),
                    };
                    let number = page();
                    sessions.await.map(|table| view! { <SessionsTable table base number /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn SessionsTable(table: SessionTable, base: String, number: u64) -> impl IntoView {
    if table.rows.is_empty() {
        return view! { <p class="empty">"No sessions here."</p> }.into_any();
    }
    let pages = table.count.div_ceil(PAGE_SIZE).max(1);
    view! {
        <p class="muted">{format!("{} sessions", table.count)}</p>
        <SessionRows rows=table.rows />
        <Pager base number pages />
    }
    .into_any()
}

/// Sessions as a table, each linking to its timeline (also on a device's page).
#[component]
pub fn SessionRows(rows: Vec<SessionRow>) -> impl IntoView {
    view! {
        <table class="data" data-testid="sessions-table">
            <thead>
                <tr>
                    <th>"Session"</th>
                    <th>"Machine"</th>
                    <th>"Mode"</th>
                    <th>"State"</th>
                    <th>"Opened"</th>
                    <th>"Ended"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|s| {
                        view! {
                            <tr data-session=s.id.clone()>
                                <td><a href=format!("{SESSIONS_PATH}/{}", s.id)><code>{s.id.clone()}</code></a></td>
                                <td><a href=format!("/admin/devices/{}", s.device_id)>{s.device_id.clone()}</a></td>
                                <td>{s.mode}</td>
                                <td><span class=format!("badge {}", s.state)>{s.state.clone()}</span></td>
                                <td>{timestamp(s.created_at)}</td>
                                <td>{s.ended_at.map(timestamp).unwrap_or_default()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[component]
pub fn VendingSessionPage() -> impl IntoView {
    let params = use_params_map();
    let close = ServerAction::<ForceCloseSession>::new();
    let session = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                close.version().get(),
            )
        },
        |(id, _)| vending_session(id),
    );
    let error = move || {
        close
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| crate::components::plain_error(&e))
    };
    view! {
        <p><a href=SESSIONS_PATH>"← Sessions"</a></p>
        {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    session
                        .await
                        .map(|found| match found {
                            Some(session) => view! { <SessionDetail session close /> }.into_any(),
                            None => view! { <NotFound /> }.into_any(),
                        })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// What a service visit put in and took out, per product; nothing for
/// other sessions (or a visit that changed nothing).
#[component]
fn RestockedLines(lines: Vec<(String, i32)>) -> impl IntoView {
    (!lines.is_empty()).then(|| {
        let put_in: i32 = lines.iter().map(|(_, u)| (*u).max(0)).sum();
        let taken_out: i32 = lines.iter().map(|(_, u)| (-*u).max(0)).sum();
        view! {
            <h2>"Restocked on this visit"</h2>
            <p class="muted" data-testid="restock-summary">
                {format!("{put_in} put in, {taken_out} taken out")}
            </p>
            <table class="data" data-testid="restock-lines">
                <thead><tr><th>"Product"</th><th>"Put in"</th><th>"Taken out"</th></tr></thead>
                <tbody>
                    {lines
                        .into_iter()
                        .map(|(title, units)| view! {
                            <tr data-testid="restock-line">
                                <td>{title}</td>
                                <td>{(units > 0).then_some(units)}</td>
                                <td>{(units < 0).then_some(-units)}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
    })
}

#[component]
fn SessionDetail(session: SessionView, close: ServerAction<ForceCloseSession>) -> impl IntoView {
    let row = session.row;
    view! {
        <h1>"Session "<code>{row.id.clone()}</code></h1>
        <dl class="facts">
            <dt>"Machine"</dt><dd><a href=format!("/admin/devices/{}", row.device_id)>{row.device_id.clone()}</a></dd>
            <dt>"Mode"</dt><dd>{row.mode}</dd>
            <dt>"State"</dt><dd data-testid="session-state">{row.state}</dd>
            <dt>"Hold"</dt><dd>{session.hold}</dd>
            <dt>"Customer"</dt><dd>{session.customer_id.unwrap_or_else(|| "none".into())}</dd>
            {session.order_id.map(|id| view! { <dt>"Order"</dt><dd><a href=format!("/admin/orders/{id}")>{id.clone()}</a></dd> })}
            <dt>"Opened"</dt><dd>{timestamp(row.created_at)}</dd>
            {row.ended_at.map(|at| view! { <dt>"Ended"</dt><dd>{timestamp(at)}</dd> })}
            {row.failure_reason.map(|why| view! { <dt>"Why it failed"</dt><dd data-testid="failure-reason">{why}</dd> })}
        </dl>
        <RestockedLines lines=session.restocked />
        <h2>"Timeline"</h2>
        <ol class="timeline" data-testid="timeline">
            {session
                .timeline
                .into_iter()
                .map(|entry| {
                    view! {
                        <li data-kind=entry.kind.clone()>
                            <time>{timestamp(entry.at)}</time>" "
                            <span class="muted">{entry.source}</span>" "
                            <strong>{entry.kind.clone()}</strong>" "
                            {entry.detail}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
        {session
            .open
            .then(|| {
                view! {
                    <h2>"Force-close"</h2>
                    <ActionForm action=close attr:class="stacked" attr:data-testid="force-close-form">
                        <input type="hidden" name="id" value=row.id.clone() />
                        <label>"Reason" <input name="reason" required placeholder="e.g. door stuck, checked on site" /></label>
                        <button type="submit" class="danger" disabled=move || close.pending().get()>
                            "Close without charging"
                        </button>
                    </ActionForm>
                }
            })}
    }
}
