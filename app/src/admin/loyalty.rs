//! Loyalty for operators: the store's host config (the client secret goes
//! in and never comes back out) and the loyalty sessions with their status.
//! Plain forms, so they work before hydration.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::orders::{PAGE_SIZE, Pager, StatusFilter, page_number};
use crate::components::ErrorNotice;

pub const CONFIG_PATH: &str = "/admin/loyalty/config";
pub const SESSIONS_PATH: &str = "/admin/loyalty/sessions";
/// As `SessionStatus` names them.
const STATUSES: [&str; 5] = [
    "ACTIVE",
    "PENDING_FINALIZATION",
    "FINALIZED",
    "FAILED",
    "CANCELLED",
];

/// The stored config as the form shows it: everything but the secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoyaltyConfigForm {
    pub enabled: bool,
    pub provider: String,
    pub base_url: String,
    pub client_id: String,
    pub has_client_secret: bool,
    pub participant_id: String,
    pub site_id: String,
    /// "2026-11-22 10:00 UTC"; empty when never saved.
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoyaltySessionRow {
    pub id: String,
    pub status: String,
    pub member_id: String,
    pub order_id: Option<String>,
    pub points_earned: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: String,
}

#[server(endpoint = "/admin/loyalty/config/load")]
pub async fn load_loyalty_config() -> Result<LoyaltyConfigForm, ServerFnError> {
    use domain::loyalty::DEFAULT_STORE_ID;

    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let config = ctx
        .loyalty
        .config(&ctx.db, DEFAULT_STORE_ID)
        .await
        .map_err(to_server_error)?;
    Ok(
        config.map_or_else(LoyaltyConfigForm::default, |c| LoyaltyConfigForm {
            enabled: c.enabled,
            provider: c.provider,
            base_url: c.base_url,
            client_id: c.client_id,
            has_client_secret: !c.client_secret_encrypted.is_empty(),
            participant_id: c.participant_id.unwrap_or_default(),
            site_id: c.site_id.unwrap_or_default(),
            updated_at: c.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }),
    )
}

/// Saves the config; an empty `client_secret` keeps the stored one.
#[server(endpoint = "/admin/loyalty/config/save")]
pub async fn save_loyalty_config(
    // A checkbox: present ("on") when ticked.
    #[server(default)] enabled: Option<String>,
    provider: String,
    base_url: String,
    client_id: String,
    #[server(default)] client_secret: String,
    #[server(default)] participant_id: String,
    #[server(default)] site_id: String,
) -> Result<(), ServerFnError> {
    use domain::loyalty::{ConfigInput, DEFAULT_STORE_ID};

    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let input = ConfigInput {
        enabled: enabled.is_some(),
        provider,
        base_url,
        client_id,
        client_secret: Some(client_secret).filter(|s| !s.trim().is_empty()),
        participant_id: Some(participant_id),
        site_id: Some(site_id),
    };
    ctx.loyalty
        .save_config(&ctx.db, DEFAULT_STORE_ID, input)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&format!("{CONFIG_PATH}?saved=1"));
    Ok(())
}

#[server(endpoint = "/admin/loyalty/sessions/list")]
pub async fn list_loyalty_sessions(
    status: Option<String>,
    offset: u64,
) -> Result<(Vec<LoyaltySessionRow>, u64), ServerFnError> {
    use domain::{loyalty, states};

    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let status = status
        .filter(|s| !s.is_empty())
        .map(|s| states::parse(&s, "a loyalty session status"))
        .transpose()
        .map_err(to_server_error)?;
    let (sessions, count) = loyalty::list_sessions(&ctx.db, status, offset, PAGE_SIZE)
        .await
        .map_err(to_server_error)?;
    let rows = sessions
        .into_iter()
        .map(|s| LoyaltySessionRow {
            id: s.id,
            status: s.status.to_string(),
            member_id: s.member_id,
            order_id: s.order_id,
            points_earned: s.points_earned,
            last_error: s.last_error,
            created_at: s.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        })
        .collect();
    Ok((rows, count))
}

#[component]
pub fn LoyaltyConfigPage() -> impl IntoView {
    let config = Resource::new(|| (), |_| load_loyalty_config());
    view! {
        <h1>"Loyalty"</h1>
        <p><a href=SESSIONS_PATH>"Loyalty sessions →"</a></p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move { config.await.map(|config| view! { <ConfigForm config /> }) })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn ConfigForm(config: LoyaltyConfigForm) -> impl IntoView {
    let save = ServerAction::<SaveLoyaltyConfig>::new();
    let saved = use_query_map().read_untracked().get("saved").is_some();
    let error = move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| crate::components::plain_error(&e))
    };
    let secret_hint = if config.has_client_secret {
        "stored; leave empty to keep it"
    } else {
        "required"
    };
    view! {
        {(saved && error().is_none()).then(|| view! { <p class="notice" role="status" data-testid="loyalty-config-saved">"Saved."</p> })}
        {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <ActionForm action=save attr:class="stacked" attr:data-testid="loyalty-config-form">
            <label class="checkbox"><input type="checkbox" name="enabled" value="on" checked=config.enabled />" Loyalty enabled"</label>
            <label>"Provider" <input name="provider" required value=config.provider /></label>
            <label>"Host URL" <input type="url" name="base_url" required value=config.base_url /></label>
            <label>"Client id" <input name="client_id" required value=config.client_id /></label>
            <label>
                "Client secret"
                // Write-only: the stored secret is never sent to the browser.
                <input type="password" name="client_secret" autocomplete="new-password" placeholder=secret_hint />
            </label>
            <label>"Participant id" <input name="participant_id" value=config.participant_id /></label>
            <label>"Site id" <input name="site_id" value=config.site_id /></label>
            <button type="submit" disabled=move || save.pending().get()>"Save"</button>
        </ActionForm>
        {(!config.updated_at.is_empty()).then(|| view! { <p class="muted">"Last saved "{config.updated_at}</p> })}
    }
}

#[component]
pub fn LoyaltySessionsPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").filter(|s| !s.is_empty());
    let page = move || page_number(query.read().get("page"));
    let sessions = Resource::new(
        move || (status(), page()),
        |(status, page)| list_loyalty_sessions(status, (page - 1) * PAGE_SIZE),
    );
    view! {
        <h1>"Loyalty sessions"</h1>
        <p><a href=CONFIG_PATH>"← Loyalty config"</a></p>
        <StatusFilter action=SESSIONS_PATH statuses=&STATUSES current=Signal::derive(status) />
        <Transition fallback=|| view! { <p class="loading">"Loading sessions…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    let (status, number) = (status(), page());
                    sessions.await.map(|(rows, count)| view! { <SessionTable rows count status number /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn SessionTable(
    rows: Vec<LoyaltySessionRow>,
    count: u64,
    status: Option<String>,
    number: u64,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No loyalty sessions: they start when a shopper identifies at checkout."</p> }.into_any();
    }
    let base = match &status {
        Some(s) => format!("{SESSIONS_PATH}?status={s}&"),
        None => format!("{SESSIONS_PATH}?"),
    };
    view! {
        <p class="muted">{format!("{count} sessions")}</p>
        <table class="data">
            <thead><tr><th>"Started"</th><th>"Member"</th><th>"Status"</th><th>"Order"</th><th>"Points earned"</th><th>"Last error"</th></tr></thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|s| view! {
                        <tr data-testid="loyalty-session-row" data-session=s.id>
                            <td>{s.created_at}</td>
                            <td><code>{s.member_id}</code></td>
                            <td><span class="badge" data-testid="loyalty-session-status">{s.status}</span></td>
                            <td>{s.order_id.map(|id| view! { <a href=format!("/admin/orders/{id}")><code>{id.clone()}</code></a> })}</td>
                            <td>{s.points_earned.map(|p| p.to_string())}</td>
                            <td class="muted">{s.last_error}</td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
        <Pager base number pages=count.div_ceil(PAGE_SIZE).max(1) />
    }
    .into_any()
}
