//! The review list: payments an operator has to decide about (a capture the
//! provider refused after a machine's sale or for an online order), each
//! with its actions (retry the capture, void the hold, resolve with a note)
//! and what was done so far, by whom and when. Plain forms, so it works
//! before hydration.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::{
    orders::{PAGE_SIZE, Pager, page_number},
    vending_sessions::SESSIONS_PATH,
};
use crate::components::{ErrorNotice, format_money};

pub const REVIEWS_PATH: &str = "/admin/reviews";
const SHOWING: [&str; 3] = ["open", "resolved", "all"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewAction {
    pub at: String,
    pub action: String,
    pub by: String,
    pub note: Option<String>,
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRow {
    pub id: String,
    pub reason: String,
    pub payment_id: String,
    pub session_id: Option<String>,
    pub order_id: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub detail: String,
    pub created_at: String,
    pub resolved_at: Option<String>,
    pub actions: Vec<ReviewAction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewListPage {
    pub rows: Vec<ReviewRow>,
    pub count: u64,
}

/// An admin's email by id, asked once per id.
#[cfg(feature = "ssr")]
pub async fn admin_emails(
    db: &domain::db::DatabaseConnection,
    ids: Vec<String>,
) -> Result<std::collections::HashMap<String, String>, domain::DomainError> {
    let mut emails = std::collections::HashMap::new();
    for id in ids {
        if emails.contains_key(&id) {
            continue;
        }
        let email = domain::admin_users::find_by_id(db, &id)
            .await?
            .map_or_else(|| id.clone(), |u| u.email);
        emails.insert(id, email);
    }
    Ok(emails)
}

#[server(endpoint = "/admin/reviews/list")]
pub async fn list_reviews(
    showing: Option<String>,
    offset: u64,
) -> Result<ReviewListPage, ServerFnError> {
    use domain::payments::reviews::{self, Reason, Showing};

    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let showing = match showing.as_deref() {
        Some("resolved") => Showing::Resolved,
        Some("all") => Showing::All,
        _ => Showing::Open,
    };
    let page = reviews::list(&ctx.db, showing, offset, PAGE_SIZE)
        .await
        .map_err(to_server_error)?;
    let ids: Vec<String> = page.items.iter().map(|r| r.id.clone()).collect();
    let actions = reviews::actions_of(&ctx.db, &ids)
        .await
        .map_err(to_server_error)?;
    let emails = admin_emails(
        &ctx.db,
        actions.iter().map(|a| a.admin_user_id.clone()).collect(),
    )
    .await
    .map_err(to_server_error)?;
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    Ok(ReviewListPage {
        rows: page
            .items
            .into_iter()
            .map(|r| ReviewRow {
                actions: actions
                    .iter()
                    .filter(|a| a.review_id == r.id)
                    .map(|a| ReviewAction {
                        at: at(a.created_at),
                        action: a.action.clone(),
                        by: emails
                            .get(&a.admin_user_id)
                            .cloned()
                            .unwrap_or_else(|| a.admin_user_id.clone()),
                        note: a.note.clone(),
                        outcome: a.outcome.clone(),
                    })
                    .collect(),
                reason: Reason::parse(&r.reason)
                    .map_or_else(|| r.reason.clone(), |reason| reason.label().to_owned()),
                created_at: at(r.created_at),
                resolved_at: r.resolved_at.map(at),
                id: r.id,
                payment_id: r.payment_id,
                session_id: r.device_session_id,
                order_id: r.order_id,
                amount: r.amount,
                currency: r.currency_code,
                detail: r.detail,
            })
            .collect(),
        count: page.count,
    })
}

/// Retries the capture (`retry_capture`), voids the hold (`void_hold`) or
/// resolves the item (`resolve`, with a note), then comes back to the list.
#[server(endpoint = "/admin/reviews/act")]
pub async fn act_on_review(
    review_id: String,
    action: String,
    note: String,
) -> Result<(), ServerFnError> {
    use domain::{DomainError, payments::reviews};

    use crate::server_context::*;
    let ctx = server_context()?;
    let admin = require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let note = Some(note).filter(|n| !n.trim().is_empty());
    let done = match action.as_str() {
        "retry_capture" => {
            reviews::retry_capture(&ctx.db, &ctx.payment_providers, &review_id, &admin, note).await
        }
        "void_hold" => {
            reviews::void_hold(&ctx.db, &ctx.payment_providers, &review_id, &admin, note).await
        }
        "resolve" => reviews::resolve(&ctx.db, &review_id, &admin, note.unwrap_or_default()).await,
        other => Err(DomainError::Invalid(format!(
            "{other:?} is not a review action; retry_capture, void_hold or resolve"
        ))),
    };
    done.map_err(to_server_error)?;
    leptos_axum::redirect(REVIEWS_PATH);
    Ok(())
}

#[component]
pub fn ReviewsPage() -> impl IntoView {
    let query = use_query_map();
    let showing = move || query.read().get("status").filter(|s| !s.is_empty());
    let page = move || page_number(query.read().get("page"));
    let act = ServerAction::<ActOnReview>::new();
    let reviews = Resource::new(
        move || (showing(), page(), act.version().get()),
        |(showing, page, _)| list_reviews(showing, (page - 1) * PAGE_SIZE),
    );
    let error = move || {
        act.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| crate::components::plain_error(&e))
    };
    view! {
        <h1>"Review"</h1>
        <p class="muted">"Payments to decide about: captures the provider refused after the sale."</p>
        <form method="get" action=REVIEWS_PATH class="inline filters">
            <label>
                "Show "
                <select name="status">
                    {SHOWING
                        .map(|s| view! { <option value=s selected=move || showing().as_deref().unwrap_or("open") == s>{s}</option> })
                        .collect_view()}
                </select>
            </label>
            <button type="submit">"Filter"</button>
        </form>
        {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    let (showing, number) = (showing(), page());
                    reviews.await.map(|found| view! { <ReviewTable found showing number act /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn ReviewTable(
    found: ReviewListPage,
    showing: Option<String>,
    number: u64,
    act: ServerAction<ActOnReview>,
) -> impl IntoView {
    if found.rows.is_empty() {
        return view! { <p class="empty" data-testid="reviews-empty">"Nothing to review."</p> }
            .into_any();
    }
    let base = match &showing {
        Some(s) => format!("{REVIEWS_PATH}?status={s}&"),
        None => format!("{REVIEWS_PATH}?"),
    };
    view! {
        <p class="muted">{format!("{} items", found.count)}</p>
        {found.rows.into_iter().map(|row| view! { <ReviewItem row act /> }).collect_view()}
        <Pager base number pages=found.count.div_ceil(PAGE_SIZE).max(1) />
    }
    .into_any()
}

#[component]
fn ReviewItem(row: ReviewRow, act: ServerAction<ActOnReview>) -> impl IntoView {
    let open = row.resolved_at.is_none();
    let form = move |action: &'static str, label: &'static str, note_required: bool, id: String| {
        view! {
            <ActionForm action=act attr:class="inline" attr:data-action=action>
                <input type="hidden" name="review_id" value=id />
                <input type="hidden" name="action" value=action />
                <input name="note" required=note_required placeholder={if note_required { "note (required)" } else { "note" }} />
                <button type="submit" disabled=move || act.pending().get()>{label}</button>
            </ActionForm>
        }
    };
    view! {
        <section class="review" data-review=row.id.clone() data-testid="review-item">
            <h3>
                {row.reason.clone()}" · "{format_money(row.amount, &row.currency)}" "
                <span class={if open { "badge open" } else { "badge resolved" }}>
                    {if open { "open".to_owned() } else { format!("resolved {}", row.resolved_at.clone().unwrap_or_default()) }}
                </span>
            </h3>
            <p>{row.detail.clone()}</p>
            <p class="muted">
                {format!("since {} · payment ", row.created_at)}<code>{row.payment_id.clone()}</code>
                {row.session_id.clone().map(|id| view! { " · session "<a href=format!("{SESSIONS_PATH}/{id}")><code>{id.clone()}</code></a> })}
                {row.order_id.clone().map(|id| view! { " · order "<a href=format!("/admin/orders/{id}")><code>{id.clone()}</code></a> })}
            </p>
            {(!row.actions.is_empty())
                .then(|| {
                    view! {
                        <ol class="timeline" data-testid="review-actions">
                            {row
                                .actions
                                .into_iter()
                                .map(|a| {
                                    let kind = a.action.clone();
                                    view! {
                                        <li data-kind=kind>
                                            <time>{a.at}</time>" "<strong>{a.action}</strong>" by "{a.by}": "{a.outcome}
                                            {a.note.map(|n| format!(" — {n}"))}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ol>
                    }
                })}
            {open
                .then(|| {
                    view! {
                        <div class="actions">
                            {form("retry_capture", "Retry capture", false, row.id.clone())}
                            {form("void_hold", "Void the hold", false, row.id.clone())}
                            {form("resolve", "Resolve", true, row.id.clone())}
                        </div>
                    }
                })}
        </section>
    }
}
