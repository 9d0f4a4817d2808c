//! Promotions and campaigns: the codes shoppers enter (or get without one,
//! when automatic), switched on and off here, and the campaigns that give
//! them a window in time and a budget. Plain forms: the page works before
//! hydration. It shares `/admin/promotions` with the Admin API; the rules
//! (what a valid promotion is, when it applies) are the domain's.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::orders::{PAGE_SIZE, Pager, page_number};
use crate::components::ErrorNotice;

pub const PROMOTIONS_PATH: &str = "/admin/promotions";

/// The statuses a promotion can have, as stored and as the API shows them.
const STATUSES: [&str; 3] = ["draft", "active", "inactive"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromotionRow {
    pub id: String,
    pub code: String,
    /// "10 %" or "€2.50".
    pub value: String,
    /// "order" or "each item".
    pub applies_to: String,
    pub status: String,
    pub automatic: bool,
    pub campaign: Option<String>,
    /// "3" or "3 of 10".
    pub used: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignRow {
    pub id: String,
    pub name: String,
    pub identifier: String,
    /// "from … until …", or "always".
    pub window: String,
    /// "1 of 5 orders", "€3.00 of €4.00", or "no budget".
    pub budget: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromotionsView {
    pub promotions: Vec<PromotionRow>,
    pub count: u64,
    /// Every campaign (a store runs a handful at once), for the table and
    /// the new promotion's campaign choice.
    pub campaigns: Vec<CampaignRow>,
    /// The store's currencies (its regions'), for fixed amounts and budgets.
    pub currencies: Vec<String>,
}

#[server(endpoint = "/admin/promotions/list")]
pub async fn list_promotions(offset: u64) -> Result<PromotionsView, ServerFnError> {
    use domain::promotions::{self, campaign, promotion};

    use crate::{components::format_money, server_context::*};
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let page = promotions::list_promotion_page(&ctx.db, None, None, offset, PAGE_SIZE)
        .await
        .map_err(to_server_error)?;
    let campaigns = promotions::list_campaign_page(&ctx.db, None, 0, 100)
        .await
        .map_err(to_server_error)?
        .items;
    let regions = domain::pricing::list_regions(&ctx.db, 0, 100)
        .await
        .map_err(to_server_error)?;
    let mut currencies: Vec<String> = regions
        .regions
        .into_iter()
        .map(|r| r.region.currency_code)
        .collect();
    currencies.sort();
    currencies.dedup();
    let campaign_name = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| campaigns.iter().find(|c| &c.id == id))
            .map(|c| c.name.clone())
    };
    let promotions = page
        .items
        .into_iter()
        .map(|p| PromotionRow {
            value: match p.value_type {
                promotion::ValueType::Percentage => format!("{} %", p.value as f64 / 100.0),
                promotion::ValueType::Fixed => {
                    format_money(p.value, p.currency_code.as_deref().unwrap_or("eur"))
                }
            },
            applies_to: match p.target_type {
                domain::carts::totals::DiscountTarget::Order => "order",
                domain::carts::totals::DiscountTarget::EachItem => "each item",
            }
            .to_owned(),
            status: p.status.to_string(),
            automatic: p.is_automatic,
            campaign: campaign_name(&p.campaign_id),
            used: match p.usage_limit {
                Some(limit) => format!("{} of {limit}", p.used_count),
                None => p.used_count.to_string(),
            },
            id: p.id,
            code: p.code,
        })
        .collect();
    let day = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
    let campaigns = campaigns
        .iter()
        .map(|c| CampaignRow {
            id: c.id.clone(),
            name: c.name.clone(),
            identifier: c.campaign_identifier.clone(),
            window: match (c.starts_at, c.ends_at) {
                (None, None) => "always".to_owned(),
                (Some(s), None) => format!("from {}", day(s)),
                (None, Some(e)) => format!("until {}", day(e)),
                (Some(s), Some(e)) => format!("from {} until {}", day(s), day(e)),
            },
            budget: match (c.budget_type, c.budget_currency_code.as_deref()) {
                (None, _) => "no budget".to_owned(),
                (Some(campaign::BudgetType::Spend), Some(currency)) => match c.budget_limit {
                    Some(limit) => format!(
                        "{} of {} spent",
                        format_money(c.budget_used, currency),
                        format_money(limit, currency)
                    ),
                    None => format!("{} spent", format_money(c.budget_used, currency)),
                },
                (Some(_), _) => match c.budget_limit {
                    Some(limit) => format!("{} of {limit} orders", c.budget_used),
                    None => format!("{} orders", c.budget_used),
                },
            },
        })
        .collect();
    Ok(PromotionsView {
        promotions,
        count: page.count,
        campaigns,
        currencies,
    })
}

/// `kind` is percentage (`value` in percent) or fixed (`value` in major
/// units of `currency`); `target` is order or items.
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "/admin/promotions/create")]
pub async fn create_promotion(
    code: String,
    kind: String,
    value: String,
    currency: Option<String>,
    target: String,
    status: String,
    usage_limit: Option<String>,
    automatic: Option<String>,
    campaign_id: Option<String>,
) -> Result<(), ServerFnError> {
    use domain::{
        DomainError,
        carts::totals::{DiscountTarget, DiscountValue},
        promotions::{self, NewPromotion},
    };

    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let invalid = |m: String| to_server_error(DomainError::Invalid(m));
    let amount: f64 = value
        .trim()
        .replace(',', ".")
        .parse()
        .map_err(|_| invalid(format!("{value:?} is not a number")))?;
    let currency = currency.filter(|c| !c.trim().is_empty());
    let value = match kind.as_str() {
        "percentage" => promotions::percentage_off(amount).map_err(to_server_error)?,
        "fixed" => {
            let currency = currency
                .as_deref()
                .ok_or_else(|| invalid("a fixed amount off needs its currency".into()))?;
            DiscountValue::Fixed(
                domain::pricing::money::to_minor_units(amount, currency)
                    .map_err(to_server_error)?,
            )
        }
        other => return Err(invalid(format!("{other:?} is not percentage or fixed"))),
    };
    let target = match target.as_str() {
        "order" => DiscountTarget::Order,
        "items" => DiscountTarget::EachItem,
        other => return Err(invalid(format!("{other:?} is not order or items"))),
    };
    let usage_limit = match usage_limit.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(limit) => Some(
            limit
                .parse()
                .map_err(|_| invalid(format!("{limit:?} is not a whole number of orders")))?,
        ),
    };
    let new = NewPromotion {
        code,
        status: domain::states::parse(&status, "a promotion status (draft, active, inactive)")
            .map_err(to_server_error)?,
        is_automatic: automatic.is_some(),
        value,
        target,
        currency_code: currency,
        usage_limit,
        campaign_id: campaign_id.filter(|c| !c.is_empty()),
    };
    promotions::create_promotion(&ctx.db, new)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(PROMOTIONS_PATH);
    Ok(())
}

#[server(endpoint = "/admin/promotions/status")]
pub async fn set_promotion_status(
    promotion_id: String,
    status: String,
) -> Result<(), ServerFnError> {
    use domain::promotions::{self, PromotionChanges};

    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let changes = PromotionChanges {
        status: Some(
            domain::states::parse(&status, "a promotion status (draft, active, inactive)")
                .map_err(to_server_error)?,
        ),
        ..Default::default()
    };
    promotions::update_promotion(&ctx.db, &promotion_id, changes)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(PROMOTIONS_PATH);
    Ok(())
}

/// Dates are days (`YYYY-MM-DD`, UTC): the campaign starts at the start of
/// `starts_on` and ends at the end of `ends_on`. `budget` is none, usage
/// (`limit` orders) or spend (`limit` in major units of `currency`).
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "/admin/campaigns/create")]
pub async fn create_campaign(
    name: String,
    identifier: String,
    starts_on: Option<String>,
    ends_on: Option<String>,
    budget: String,
    limit: Option<String>,
    currency: Option<String>,
) -> Result<(), ServerFnError> {
    use domain::{
        DomainError,
        promotions::{self, Budget, NewCampaign, campaign::BudgetType},
    };

    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let invalid = |m: String| to_server_error(DomainError::Invalid(m));
    let day = |text: Option<String>, later: i64| -> Result<_, ServerFnError> {
        match text.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => {
                let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| invalid(format!("{text:?} is not a date (YYYY-MM-DD)")))?;
                let start = date.and_time(chrono::NaiveTime::MIN).and_utc();
                Ok(Some(start + chrono::Duration::days(later)))
            }
        }
    };
    let currency = currency.filter(|c| !c.trim().is_empty());
    let limit = limit.filter(|l| !l.trim().is_empty());
    let budget = match budget.as_str() {
        "none" => None,
        "usage" => Some(Budget {
            kind: BudgetType::Usage,
            limit: limit
                .as_deref()
                .map(|l| {
                    l.trim()
                        .parse()
                        .map_err(|_| invalid(format!("{l:?} is not a whole number of orders")))
                })
                .transpose()?,
            currency_code: None,
        }),
        "spend" => {
            let limit = match (&limit, currency.as_deref()) {
                (Some(l), Some(c)) => {
                    let amount: f64 = l
                        .trim()
                        .parse()
                        .map_err(|_| invalid(format!("{l:?} is not an amount")))?;
                    Some(
                        domain::pricing::money::to_minor_units(amount, c)
                            .map_err(to_server_error)?,
                    )
                }
                _ => None,
            };
            Some(Budget {
                kind: BudgetType::Spend,
                limit,
                currency_code: currency,
            })
        }
        other => return Err(invalid(format!("{other:?} is not none, usage or spend"))),
    };
    let new = NewCampaign {
        name,
        campaign_identifier: identifier,
        description: None,
        starts_at: day(starts_on, 0)?,
        ends_at: day(ends_on, 1)?,
        budget,
    };
    promotions::create_campaign(&ctx.db, new)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(PROMOTIONS_PATH);
    Ok(())
}

#[component]
pub fn PromotionsPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || page_number(query.read().get("page"));
    let create = ServerAction::<CreatePromotion>::new();
    let status = ServerAction::<SetPromotionStatus>::new();
    let campaign = ServerAction::<CreateCampaign>::new();
    let view_data = Resource::new(
        move || {
            (
                page(),
                create.version().get() + status.version().get() + campaign.version().get(),
            )
        },
        |(page, _)| list_promotions((page - 1) * PAGE_SIZE),
    );
    let plain = |e: ServerFnError| crate::components::plain_error(&e);
    let error = move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| status.value().get().and_then(|r| r.err()))
            .or_else(|| campaign.value().get().and_then(|r| r.err()))
            .map(plain)
    };
    view! {
        <h1>"Promotions"</h1>
        {move || error().map(|e| view! { <p class="notice error" role="alert" data-testid="promotion-error">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading promotions…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    let number = page();
                    view_data.await.map(|data| view! { <PromotionsBody data number create status campaign /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn PromotionsBody(
    data: PromotionsView,
    number: u64,
    create: ServerAction<CreatePromotion>,
    status: ServerAction<SetPromotionStatus>,
    campaign: ServerAction<CreateCampaign>,
) -> impl IntoView {
    let pages = data.count.div_ceil(PAGE_SIZE).max(1);
    let table = if data.promotions.is_empty() {
        view! { <p class="empty">"No promotions yet: create one below, then shoppers can enter its code at checkout."</p> }.into_any()
    } else {
        view! {
            <table class="data" data-testid="promotions-table">
                <thead><tr><th>"Code"</th><th>"Takes off"</th><th>"Of"</th><th>"Campaign"</th><th>"Used"</th><th>"Status"</th></tr></thead>
                <tbody>
                    {data.promotions.into_iter().map(|p| view! { <PromotionLine p status /> }).collect_view()}
                </tbody>
            </table>
            <Pager base=format!("{PROMOTIONS_PATH}?") number pages />
        }
        .into_any()
    };
    let campaigns_table = if data.campaigns.is_empty() {
        view! { <p class="empty">"No campaigns: a campaign gives its promotions a start, an end and a budget."</p> }.into_any()
    } else {
        view! {
            <table class="data" data-testid="campaigns-table">
                <thead><tr><th>"Campaign"</th><th>"Identifier"</th><th>"When"</th><th>"Budget"</th></tr></thead>
                <tbody>
                    {data.campaigns.iter().cloned().map(|c| view! {
                        <tr data-campaign=c.id>
                            <td>{c.name}</td><td>{c.identifier}</td><td>{c.window}</td><td>{c.budget}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    let (promotion_currencies, budget_currencies) = (data.currencies.clone(), data.currencies);
    view! {
        {table}
        <h2>"New promotion"</h2>
        <ActionForm action=create attr:class="stacked" attr:data-testid="promotion-form">
            <label>"Code" <input name="code" required autocomplete="off" /></label>
            <label>"Takes off"
                <select name="kind">
                    <option value="percentage">"a percentage"</option>
                    <option value="fixed">"a fixed amount"</option>
                </select>
            </label>
            <label>"Value (percent, or the amount)" <input name="value" inputmode="decimal" required /></label>
            <label>"Currency (for a fixed amount)"
                <select name="currency">{currency_options(promotion_currencies)}</select>
            </label>
            <label>"Of"
                <select name="target">
                    <option value="order">"the order"</option>
                    <option value="items">"each item"</option>
                </select>
            </label>
            <label>"Usage limit (orders; empty for none)" <input name="usage_limit" inputmode="numeric" /></label>
            <label>"Campaign"
                <select name="campaign_id">
                    <option value="">"none"</option>
                    {data.campaigns.iter().map(|c| view! { <option value=c.id.clone()>{c.name.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label>"Status"
                <select name="status">
                    {STATUSES.map(|s| view! { <option value=s selected=s == "active">{s}</option> })}
                </select>
            </label>
            <label class="check"><input type="checkbox" name="automatic" value="on" />" Automatic: every cart gets it, without a code"</label>
            <button type="submit" disabled=move || create.pending().get()>"Create promotion"</button>
        </ActionForm>
        <h2>"Campaigns"</h2>
        {campaigns_table}
        <h3>"New campaign"</h3>
        <ActionForm action=campaign attr:class="stacked" attr:data-testid="campaign-form">
            <label>"Name" <input name="name" required /></label>
            <label>"Identifier" <input name="identifier" required autocomplete="off" /></label>
            <label>"Starts on" <input type="date" name="starts_on" /></label>
            <label>"Ends after" <input type="date" name="ends_on" /></label>
            <label>"Budget"
                <select name="budget">
                    <option value="none">"none"</option>
                    <option value="usage">"a number of orders"</option>
                    <option value="spend">"an amount of discount"</option>
                </select>
            </label>
            <label>"Budget limit" <input name="limit" inputmode="decimal" /></label>
            <label>"Budget currency (for an amount)"
                <select name="currency">{currency_options(budget_currencies)}</select>
            </label>
            <button type="submit" disabled=move || campaign.pending().get()>"Create campaign"</button>
        </ActionForm>
    }
}

#[component]
fn PromotionLine(p: PromotionRow, status: ServerAction<SetPromotionStatus>) -> impl IntoView {
    let current = p.status.clone();
    let automatic = p.automatic.then_some(" (automatic)");
    let code = p.code.clone();
    view! {
        <tr data-promotion=code>
            <td><code>{p.code}</code>{automatic}</td>
            <td>{p.value}</td>
            <td>{p.applies_to}</td>
            <td>{p.campaign.unwrap_or_else(|| "—".into())}</td>
            <td>{p.used}</td>
            <td>
                <ActionForm action=status attr:class="inline" attr:data-testid="promotion-status">
                    <input type="hidden" name="promotion_id" value=p.id />
                    <select name="status" aria-label="Status">
                        {STATUSES.map(|s| view! { <option value=s selected=s == current>{s}</option> })}
                    </select>
                    <button type="submit" disabled=move || status.pending().get()>"Save"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

fn currency_options(currencies: Vec<String>) -> impl IntoView {
    currencies
        .into_iter()
        .map(|c| view! { <option value=c.clone()>{c.to_uppercase()}</option> })
        .collect_view()
}
