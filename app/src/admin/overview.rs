//! The admin's first page: how the store is doing today, this week and this
//! month, where it sells, and what wants attention. Figures from
//! `domain::overview` (the same as `GET /admin/overview`), charts as SVG
//! drawn on the server, so the page reads the same without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::{alerts::ALERTS_PATH, vending_sessions::SESSIONS_PATH};
use crate::components::ErrorNotice;

pub const OVERVIEW_PATH: &str = "/admin";
pub const ORDERS_CSV_PATH: &str = "/admin/exports/orders.csv";
pub const SESSIONS_CSV_PATH: &str = "/admin/exports/sessions.csv";
/// The windows the page offers, in days.
const WINDOWS: [u32; 3] = [7, 30, 90];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodFigures {
    pub label: String,
    /// Formatted amounts, one per currency; empty when nothing was sold.
    pub revenue: Vec<String>,
    pub orders: u64,
    pub sessions: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopProduct {
    pub title: String,
    pub quantity: i64,
    pub amount: String,
}

/// The two charts of one currency, as SVG text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrencyCharts {
    pub currency: String,
    pub per_machine: String,
    pub per_day: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverviewFigures {
    pub days: u32,
    pub periods: Vec<PeriodFigures>,
    pub top_products: Vec<TopProduct>,
    pub charts: Vec<CurrencyCharts>,
    pub machines_total: u64,
    pub machines_online: u64,
    pub machines_offline: u64,
    pub uptime: Option<String>,
    pub open_alerts: u64,
    pub review_sessions: u64,
    /// Payments in the review list, waiting for a decision.
    pub review_payments: u64,
    /// The window's first and last day, `YYYY-MM-DD`, for the export forms.
    pub from: String,
    pub to: String,
}

#[server(endpoint = "/admin/overview/figures")]
pub async fn load_overview(days: Option<u32>) -> Result<OverviewFigures, ServerFnError> {
    use crate::{
        components::{
            charts::{Chart, Datum, bar_chart, line_chart},
            format_money,
        },
        server_context::*,
    };
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let now = chrono::Utc::now();
    let days = days.unwrap_or(domain::overview::DEFAULT_DAYS);
    let o = domain::overview::overview(&ctx.db, now, days)
        .await
        .map_err(to_server_error)?;
    let period = |label: &str, p: &domain::overview::Period| PeriodFigures {
        label: label.to_owned(),
        revenue: p
            .revenue
            .iter()
            .map(|a| format_money(a.amount, &a.currency_code))
            .collect(),
        orders: p.orders,
        sessions: p.sessions,
    };
    let mut currencies: Vec<String> = o
        .daily_sales
        .iter()
        .map(|d| d.currency_code.clone())
        .collect();
    currencies.dedup();
    let charts = currencies
        .into_iter()
        .map(|currency| {
            let money = |v: i64| format_money(v, &currency);
            let upper = currency.to_uppercase();
            let machines: Vec<Datum> = o
                .machine_sales
                .iter()
                .filter(|m| m.currency_code == currency)
                .map(|m| Datum {
                    label: m.name.clone().unwrap_or_else(|| m.device_id.clone()),
                    value: m.amount,
                })
                .collect();
            let per_day: Vec<Datum> = o
                .daily_sales
                .iter()
                .filter(|d| d.currency_code == currency)
                .map(|d| Datum {
                    label: d.day.format("%b %-d").to_string(),
                    value: d.amount,
                })
                .collect();
            CurrencyCharts {
                per_machine: bar_chart(
                    &Chart {
                        id: &format!("machines-{currency}"),
                        title: &format!("Sales per machine ({upper})"),
                        desc: &format!(
                            "Revenue in {upper} of each machine over the last {} days, highest first.",
                            o.days
                        ),
                        format: &money,
                    },
                    &machines,
                ),
                per_day: line_chart(
                    &Chart {
                        id: &format!("days-{currency}"),
                        title: &format!("Sales per day ({upper})"),
                        desc: &format!(
                            "Revenue in {upper} per day (UTC) over the last {} days, oldest first.",
                            o.days
                        ),
                        format: &money,
                    },
                    &per_day,
                ),
                currency,
            }
        })
        .collect();
    Ok(OverviewFigures {
        days: o.days,
        periods: vec![
            period("Today", &o.periods.today),
            period("Last 7 days", &o.periods.last_7_days),
            period("Last 30 days", &o.periods.last_30_days),
        ],
        top_products: o
            .top_products
            .iter()
            .map(|p| TopProduct {
                title: p.title.clone(),
                quantity: p.quantity,
                amount: format_money(p.amount, &p.currency_code),
            })
            .collect(),
        charts,
        machines_total: o.machines.total,
        machines_online: o.machines.online,
        machines_offline: o.machines.offline,
        uptime: o.machines.uptime_percent.map(|u| format!("{u:.1} %")),
        open_alerts: o.open_alerts,
        review_sessions: o.review_sessions,
        review_payments: domain::payments::reviews::open_count(&ctx.db)
            .await
            .map_err(to_server_error)?,
        from: o.window_from.format("%Y-%m-%d").to_string(),
        to: now.format("%Y-%m-%d").to_string(),
    })
}

#[component]
pub fn OverviewPage() -> impl IntoView {
    let query = use_query_map();
    let days = move || {
        query
            .read()
            .get("days")
            .and_then(|d| d.parse::<u32>().ok())
            .filter(|d| WINDOWS.contains(d))
    };
    let figures = Resource::new(days, load_overview);
    view! {
        <h1>"Overview"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading the overview…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    figures.await.map(|figures| view! { <Figures figures /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn Figures(figures: OverviewFigures) -> impl IntoView {
    let days = figures.days;
    let no_sales = figures.periods.iter().all(|p| p.orders == 0);
    view! {
        <section class="stats" aria-label="Sales">
            {figures
                .periods
                .into_iter()
                .map(|p| {
                    view! {
                        <div class="stat" data-testid="period">
                            <h2>{p.label}</h2>
                            <p class="figure" data-testid="revenue">
                                {if p.revenue.is_empty() { "—".to_owned() } else { p.revenue.join(" · ") }}
                            </p>
                            <p class="muted">
                                {format!("{} orders · {} sessions", p.orders, p.sessions)}
                            </p>
                        </div>
                    }
                })
                .collect_view()}
        </section>
        <section class="stats" aria-label="Machines and attention">
            <div class="stat" data-testid="machines">
                <h2>"Machines"</h2>
                <p class="figure">{format!("{} of {} online", figures.machines_online, figures.machines_total)}</p>
                <p class="muted">
                    {format!("{} offline", figures.machines_offline)}
                    {figures.uptime.map(|u| format!(" · uptime {u} over {days} days"))}
                </p>
            </div>
            <div class="stat" data-testid="open-alerts">
                <h2>"Open alerts"</h2>
                <p class="figure"><a href=format!("{ALERTS_PATH}?status=open")>{figures.open_alerts}</a></p>
            </div>
            <div class="stat" data-testid="review-sessions">
                <h2>"To review"</h2>
                <p class="figure"><a href=SESSIONS_PATH>{figures.review_sessions}</a></p>
                <p class="muted">"sessions that want a look"</p>
            </div>
            <div class="stat" data-testid="review-payments">
                <h2>"Payments to review"</h2>
                <p class="figure"><a href=super::reviews::REVIEWS_PATH>{figures.review_payments}</a></p>
                <p class="muted">"failed captures to retry, void or resolve"</p>
            </div>
        </section>
        <form method="get" action=OVERVIEW_PATH class="filters">
            <label>
                "Charts and lists over "
                <select name="days">
                    {WINDOWS
                        .map(|w| view! { <option value=w.to_string() selected=w == days>{format!("{w} days")}</option> })
                        .collect_view()}
                </select>
            </label>
            <button type="submit">"Show"</button>
        </form>
        {no_sales
            .then(|| {
                view! {
                    <p class="empty" data-testid="overview-empty">
                        "No sales in the last 30 days yet. Purchases at the machines and web orders show here as they happen; "
                        <a href="/admin/devices">"check the machines"</a>
                        " or "
                        <a href="/admin/products">"the products on sale"</a>
                        "."
                    </p>
                }
            })}
        {figures
            .charts
            .into_iter()
            .map(|c| {
                view! {
                    <section class="chart-pair" data-currency=c.currency.clone()>
                        <h2>{format!("Sales over time ({})", c.currency.to_uppercase())}</h2>
                        <div class="chart" inner_html=c.per_day></div>
                        <h2>{format!("Sales per machine ({})", c.currency.to_uppercase())}</h2>
                        <div class="chart" inner_html=c.per_machine></div>
                    </section>
                }
            })
            .collect_view()}
        <h2>{format!("Top products, last {days} days")}</h2>
        {if figures.top_products.is_empty() {
            view! { <p class="empty">"Nothing sold in this window."</p> }.into_any()
        } else {
            view! {
                <table class="data" data-testid="top-products">
                    <thead>
                        <tr><th>"Product"</th><th>"Units"</th><th>"Revenue"</th></tr>
                    </thead>
                    <tbody>
                        {figures
                            .top_products
                            .into_iter()
                            .map(|p| view! { <tr><td>{p.title}</td><td>{p.quantity}</td><td>{p.amount}</td></tr> })
                            .collect_view()}
                    </tbody>
                </table>
            }
                .into_any()
        }}
        <h2>"Export"</h2>
        <p>
            <a href=format!("{ORDERS_CSV_PATH}?from={}&to={}", figures.from, figures.to) data-testid="export-orders">
                {format!("Orders, last {days} days (CSV)")}
            </a>
            " · "
            <a href=format!("{SESSIONS_CSV_PATH}?from={}&to={}", figures.from, figures.to) data-testid="export-sessions">
                {format!("Machine sessions, last {days} days (CSV)")}
            </a>
        </p>
        {[(ORDERS_CSV_PATH, "Export orders"), (SESSIONS_CSV_PATH, "Export sessions")]
            .map(|(action, label)| {
                view! {
                    <form method="get" action=action class="filters">
                        <label>"From " <input type="date" name="from" value=figures.from.clone() required /></label>
                        <label>"to " <input type="date" name="to" value=figures.to.clone() required /></label>
                        <button type="submit">{label}</button>
                    </form>
                }
            })
            .collect_view()}
    }
}
