//! Payments in the dashboard: each payment of an order with its
//! authorization, captures and refunds, a Capture button and a Refund form
//! (on the order's page), and the list of every payment filtered by status.
//! Plain forms and links, so they work before hydration. Capturing and
//! refunding call the domain functions the Admin API's routes call.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::orders::{PAGE_SIZE, Pager, StatusFilter, page_number};
use crate::components::{ErrorNotice, format_money};

pub const PAYMENTS_PATH: &str = "/admin/payments";
/// The list's status filter, as the Admin API names them.
const STATUSES: [&str; 6] = [
    "authorized",
    "partially_captured",
    "captured",
    "partially_refunded",
    "refunded",
    "canceled",
];

/// One line of a payment's history: its authorization, a capture, a refund
/// or a release, asked for and answered (or not yet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentEvent {
    /// "authorization", "capture", "refund", "release".
    pub kind: String,
    pub amount: i64,
    /// "done", "refused", "pending".
    pub status: String,
    pub at: String,
    pub note: Option<String>,
    /// The provider's refusal, or why it could not be asked yet.
    pub error: Option<String>,
    /// The admin's email, for what an admin asked for.
    pub by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentView {
    pub id: String,
    pub provider_id: String,
    pub currency: String,
    pub amount: i64,
    pub captured: i64,
    pub refunded: i64,
    pub status: String,
    pub order_id: Option<String>,
    pub history: Vec<PaymentEvent>,
}

impl PaymentView {
    fn capturable(&self) -> i64 {
        if self.status == "canceled" {
            0
        } else {
            self.amount - self.captured
        }
    }

    fn refundable(&self) -> i64 {
        self.captured - self.refunded
    }
}

/// `payments` as the dashboard shows them, with their histories.
#[cfg(feature = "ssr")]
pub async fn payment_views(
    db: &domain::db::DatabaseConnection,
    payments: Vec<domain::payments::payment::Model>,
) -> Result<Vec<PaymentView>, domain::DomainError> {
    use domain::payments::{PaymentState, operations};

    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let ids: Vec<String> = payments.iter().map(|p| p.id.clone()).collect();
    let mut histories = operations::of_payments(db, &ids).await?;
    let collections: Vec<String> = payments
        .iter()
        .map(|p| p.payment_collection_id.clone())
        .collect();
    let orders = domain::orders::ids_by_payment_collection(db, &collections).await?;
    let admins: Vec<String> = histories
        .values()
        .flatten()
        .filter_map(|o| o.admin_user_id.clone())
        .collect();
    let emails = super::reviews::admin_emails(db, admins).await?;
    let mut views = Vec::with_capacity(payments.len());
    for p in payments {
        let mut history = vec![PaymentEvent {
            kind: "authorization".into(),
            amount: p.amount,
            status: "done".into(),
            at: at(p.created_at),
            note: None,
            error: None,
            by: None,
        }];
        for o in histories.remove(&p.id).unwrap_or_default() {
            let by = o
                .admin_user_id
                .as_ref()
                .map(|id| emails.get(id).cloned().unwrap_or_else(|| id.clone()));
            history.push(PaymentEvent {
                status: o.status.to_string(),
                at: at(o.completed_at.unwrap_or(o.created_at)),
                note: o.note,
                error: o.last_error,
                by,
                kind: o.kind.to_string(),
                amount: o.amount,
            });
        }
        if let Some(canceled) = p.canceled_at
            && !history.iter().any(|e| e.kind == "release")
        {
            // Released outside the store (the provider's dashboard, a webhook).
            history.push(PaymentEvent {
                kind: "release".into(),
                amount: 0,
                status: "done".into(),
                at: at(canceled),
                note: None,
                error: None,
                by: None,
            });
        }
        views.push(PaymentView {
            status: PaymentState::of(&p).as_str().to_owned(),
            order_id: orders.get(&p.payment_collection_id).cloned(),
            id: p.id,
            provider_id: p.provider_id,
            currency: p.currency_code,
            amount: p.amount,
            captured: p.captured_amount,
            refunded: p.refunded_amount,
            history,
        });
    }
    Ok(views)
}

/// Where a payment's forms come back to: its order's page, or the list.
#[cfg(feature = "ssr")]
async fn back_to(
    db: &domain::db::DatabaseConnection,
    payment: &domain::payments::payment::Model,
) -> Result<String, domain::DomainError> {
    Ok(domain::orders::ids_by_payment_collection(
        db,
        std::slice::from_ref(&payment.payment_collection_id),
    )
    .await?
    .remove(&payment.payment_collection_id)
    .map_or_else(
        || PAYMENTS_PATH.to_owned(),
        |id| format!("/admin/orders/{id}"),
    ))
}

/// Captures all that is left of the payment, as `POST /admin/payments/{id}/capture` does.
#[server(endpoint = "/admin/payments/capture")]
pub async fn capture_payment(payment_id: String) -> Result<(), ServerFnError> {
    use domain::payments::{self, AskedFor};

    use crate::server_context::*;
    let ctx = server_context()?;
    let admin = require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let captured = payments::capture_by(
        &ctx.db,
        &ctx.payment_providers,
        &payment_id,
        None,
        &AskedFor::admin(&admin, None),
    )
    .await
    .map_err(to_server_error)?;
    let back = back_to(&ctx.db, &captured).await.map_err(to_server_error)?;
    leptos_axum::redirect(&back);
    Ok(())
}

/// Refunds `amount` (in the payment's currency, e.g. "12.50"; all that is
/// refundable when blank), as `POST /admin/payments/{id}/refund` does.
#[server(endpoint = "/admin/payments/refund")]
pub async fn refund_payment(
    payment_id: String,
    amount: String,
    note: String,
) -> Result<(), ServerFnError> {
    use domain::{
        DomainError,
        payments::{self, AskedFor},
        pricing::money::to_minor_units,
    };

    use crate::server_context::*;
    let ctx = server_context()?;
    let admin = require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let payment = payments::find_payment(&ctx.db, &payment_id)
        .await
        .map_err(to_server_error)?;
    let amount = amount.trim();
    let minor = if amount.is_empty() {
        None
    } else {
        let currency = payment.currency_code.to_uppercase();
        let unreadable = || {
            DomainError::Invalid(format!(
                "{amount:?} is not an amount of {currency}: write it as e.g. 12.50, or leave it blank to refund all that is left"
            ))
        };
        let major: f64 = amount.parse().map_err(|_| to_server_error(unreadable()))?;
        Some(
            to_minor_units(major, &payment.currency_code)
                .map_err(|_| to_server_error(unreadable()))?,
        )
    };
    let refunded = payments::refund_by(
        &ctx.db,
        &ctx.payment_providers,
        &payment.id,
        minor,
        &AskedFor::admin(&admin, Some(note)),
    )
    .await
    .map_err(to_server_error)?;
    let back = back_to(&ctx.db, &refunded).await.map_err(to_server_error)?;
    leptos_axum::redirect(&back);
    Ok(())
}

/// Each payment of an order with its history and its Capture and Refund forms.
#[component]
pub fn OrderPayments(
    payments: Vec<PaymentView>,
    capture: ServerAction<CapturePayment>,
    refund: ServerAction<RefundPayment>,
) -> impl IntoView {
    if payments.is_empty() {
        return view! { <p class="muted">"No payment yet."</p> }.into_any();
    }
    view! {
        <h2>"Payments"</h2>
        {payments
            .into_iter()
            .map(|payment| view! { <PaymentCard payment capture refund /> })
            .collect_view()}
    }
    .into_any()
}

#[component]
fn PaymentCard(
    payment: PaymentView,
    capture: ServerAction<CapturePayment>,
    refund: ServerAction<RefundPayment>,
) -> impl IntoView {
    let currency = payment.currency.clone();
    let money = |amount: i64| format_money(amount, &currency);
    let capturable = payment.capturable();
    let refundable = payment.refundable();
    let summary = format!(
        "{} · authorized {} · captured {} · refunded {}",
        payment.provider_id,
        money(payment.amount),
        money(payment.captured),
        money(payment.refunded),
    );
    let rows = payment
        .history
        .into_iter()
        .map(|e| {
            let note = match (e.note, e.error) {
                (Some(note), Some(error)) => format!("{note} — {error}"),
                (Some(note), None) => note,
                (None, Some(error)) => error,
                (None, None) => String::new(),
            };
            let (kind, status, amount) = (e.kind.clone(), e.status.clone(), money(e.amount));
            view! {
                <tr data-kind=e.kind data-status=e.status>
                    <td>{e.at}</td>
                    <td>{kind}</td>
                    <td>{amount}</td>
                    <td>{status}</td>
                    <td>{e.by.unwrap_or_default()}</td>
                    <td>{note}</td>
                </tr>
            }
        })
        .collect_view();
    let capture_form = (capturable > 0).then(|| {
        let (id, label) = (payment.id.clone(), format!("Capture {}", money(capturable)));
        view! {
            <ActionForm action=capture attr:class="inline" attr:data-testid="capture-form">
                <input type="hidden" name="payment_id" value=id />
                <button type="submit" disabled=move || capture.pending().get()>{label}</button>
            </ActionForm>
        }
    });
    let refund_form = (refundable > 0).then(|| {
        let id = payment.id.clone();
        let label = format!(
            "Amount ({}; up to {}, blank for all) ",
            payment.currency.to_uppercase(),
            money(refundable)
        );
        let placeholder = money(refundable);
        view! {
            <ActionForm action=refund attr:class="stacked" attr:data-testid="refund-form">
                <input type="hidden" name="payment_id" value=id />
                <label>{label}<input name="amount" inputmode="decimal" placeholder=placeholder /></label>
                <label>"Reason " <input name="note" placeholder="e.g. damaged item, goodwill" /></label>
                <button type="submit" class="danger" disabled=move || refund.pending().get()>"Refund"</button>
            </ActionForm>
        }
    });
    let (state, id) = (payment.status.clone(), payment.id.clone());
    view! {
        <section class="payment" data-payment=id>
            <h3>
                "Payment "<code>{payment.id}</code>" "
                <span class=format!("badge {state}") data-testid="payment-state">{payment.status}</span>
            </h3>
            <p class="muted">{summary}</p>
            <table class="data" data-testid="payment-history">
                <thead><tr><th>"When"</th><th>"What"</th><th>"Amount"</th><th>"Status"</th><th>"By"</th><th>"Note"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {capture_form}
            {refund_form}
        </section>
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentListPage {
    pub payments: Vec<PaymentView>,
    pub count: u64,
}

#[server(endpoint = "/admin/payments/list")]
pub async fn list_payments(
    status: Option<String>,
    offset: u64,
) -> Result<PaymentListPage, ServerFnError> {
    use domain::payments::{self, PaymentFilter, PaymentState};

    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let filter = PaymentFilter {
        status: status
            .filter(|s| !s.is_empty())
            .map(|s| PaymentState::parse(&s))
            .transpose()
            .map_err(to_server_error)?
            .into_iter()
            .collect(),
        ..Default::default()
    };
    let page = payments::list_payments(&ctx.db, &filter, offset, PAGE_SIZE)
        .await
        .map_err(to_server_error)?;
    Ok(PaymentListPage {
        payments: payment_views(&ctx.db, page.items)
            .await
            .map_err(to_server_error)?,
        count: page.count,
    })
}

#[component]
pub fn PaymentsPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").filter(|s| !s.is_empty());
    let page = move || page_number(query.read().get("page"));
    let payments = Resource::new(
        move || (status(), page()),
        |(status, page)| list_payments(status, (page - 1) * PAGE_SIZE),
    );
    view! {
        <h1>"Payments"</h1>
        <StatusFilter action=PAYMENTS_PATH statuses=&STATUSES current=Signal::derive(status) />
        <Transition fallback=|| view! { <p class="loading">"Loading payments…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    let (status, number) = (status(), page());
                    payments.await.map(|found| view! { <PaymentTable found status number /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn PaymentTable(found: PaymentListPage, status: Option<String>, number: u64) -> impl IntoView {
    if found.payments.is_empty() {
        let message = match status {
            Some(s) => format!("No {s} payments. "),
            None => "No payments yet: they appear here once shoppers pay. ".to_owned(),
        };
        return view! { <p class="empty" data-testid="payments-empty">{message}<a href=PAYMENTS_PATH>"Show all payments"</a></p> }
            .into_any();
    }
    let base = match &status {
        Some(s) => format!("{PAYMENTS_PATH}?status={s}&"),
        None => format!("{PAYMENTS_PATH}?"),
    };
    view! {
        <p class="muted">{format!("{} payments", found.count)}</p>
        <table class="data">
            <thead>
                <tr>
                    <th>"Payment"</th>
                    <th>"Authorized"</th>
                    <th>"Order"</th>
                    <th>"Provider"</th>
                    <th>"Status"</th>
                    <th>"Amount"</th>
                    <th>"Captured"</th>
                    <th>"Refunded"</th>
                </tr>
            </thead>
            <tbody>
                {found
                    .payments
                    .into_iter()
                    .map(|p| {
                        let authorized = p.history.first().map(|e| e.at.clone()).unwrap_or_default();
                        let id = p.id.clone();
                        view! {
                            <tr data-testid="payment-row" data-payment=id>
                                <td><code>{p.id}</code></td>
                                <td>{authorized}</td>
                                <td>
                                    {p.order_id.map(|id| view! { <a href=format!("/admin/orders/{id}")><code>{id.clone()}</code></a> })}
                                </td>
                                <td>{p.provider_id}</td>
                                <td><span class=format!("badge {}", p.status)>{p.status.clone()}</span></td>
                                <td>{format_money(p.amount, &p.currency)}</td>
                                <td>{format_money(p.captured, &p.currency)}</td>
                                <td>{format_money(p.refunded, &p.currency)}</td>
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
