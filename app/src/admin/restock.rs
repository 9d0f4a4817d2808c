//! Stock and restocking in the dashboard: a machine's par levels (on its
//! page) and the pick list of a route (`/admin/pick-list`), printable.
//! Plain forms, so both work before hydration.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::components::ErrorNotice;

pub const PICK_LIST_PATH: &str = "/admin/pick-list";

/// A product on a machine's scales with its stock and par level: the
/// Admin API's shape and the pages' alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockRow {
    pub variant_id: String,
    pub product_title: String,
    pub in_stock: i32,
    /// Units after a restock; `None` while unset.
    pub par_level: Option<i32>,
    /// Low at or below this many units.
    pub low_stock_at: Option<i32>,
    /// Units to bring to get back to par.
    pub to_bring: i32,
    pub low: bool,
}

#[cfg(feature = "ssr")]
impl From<domain::vending::restock::StockLine> for StockRow {
    fn from(line: domain::vending::restock::StockLine) -> Self {
        Self {
            to_bring: line.to_bring(),
            low: line.is_low(),
            variant_id: line.variant_id,
            product_title: line.product_title,
            in_stock: line.in_stock,
            par_level: line.par,
            low_stock_at: line.low_at,
        }
    }
}

/// `par_level` and `low_stock_at` as typed (blank: 0).
#[server(endpoint = "/admin/restock/set-par-level")]
pub async fn save_par_level(
    device_id: String,
    variant_id: String,
    #[server(default)] par_level: String,
    #[server(default)] low_stock_at: String,
) -> Result<(), ServerFnError> {
    use domain::{DomainError, vending::restock};

    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageFleet,
    )
    .await?;
    let number = |text: &str, what: &str| -> Result<i32, ServerFnError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(0);
        }
        text.parse().map_err(|_| {
            to_server_error(DomainError::Invalid(format!(
                "{what} must be a whole number of units, not {text:?}"
            )))
        })
    };
    let par = number(&par_level, "the par level")?;
    let low_at = number(&low_stock_at, "the low-stock threshold")?;
    restock::set_par_level(&ctx.db, &device_id, &variant_id, par, low_at)
        .await
        .map_err(to_server_error)?;
    restock::check_low_stock(&ctx.db, &device_id)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(&super::device_detail::device_path(&device_id));
    Ok(())
}

/// A machine's products with stock and par levels, each editable (on the
/// machine's page, which loads them and reloads after `save`).
#[component]
pub fn ParLevels(
    device_id: String,
    rows: Vec<StockRow>,
    save: ServerAction<SaveParLevel>,
) -> impl IntoView {
    let pick_list = format!("{PICK_LIST_PATH}?device_id={device_id}");
    let table = if rows.is_empty() {
        view! { <p class="empty">"No products on this machine's scales yet."</p> }.into_any()
    } else {
        view! {
            <table class="data" data-testid="par-levels">
                <thead><tr><th>"Product"</th><th>"In stock"</th><th>"Par"</th><th>"Low at"</th><th>"To bring"</th><th></th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|row| {
                        let form = format!("par-{}", row.variant_id);
                        let device_id = device_id.clone();
                        let state = if row.low { "low" } else { "" };
                        view! {
                            <tr data-testid="par-level-row" class=state>
                                <td>{row.product_title}</td>
                                <td>{row.in_stock}</td>
                                <td><input form=form.clone() name="par_level" type="number" min="0" value=row.par_level.map(|p| p.to_string()).unwrap_or_default() aria-label="Par level" /></td>
                                <td><input form=form.clone() name="low_stock_at" type="number" min="0" value=row.low_stock_at.map(|p| p.to_string()).unwrap_or_default() aria-label="Low at" /></td>
                                <td>{row.to_bring}</td>
                                <td>
                                    <ActionForm action=save attr:id=form attr:class="inline">
                                        <input type="hidden" name="device_id" value=device_id />
                                        <input type="hidden" name="variant_id" value=row.variant_id />
                                        <button type="submit">"Save"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }.into_any()
    };
    view! {
        <h2>"Stock and par levels"</h2>
        <p class="muted">
            "Par: how many to have after a restock. Low at: the stock that raises a low-stock alert. "
            <a href=pick_list>"Pick list for this machine"</a>
        </p>
        {table}
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachinePickView {
    pub id: String,
    pub name: String,
    pub address: Option<String>,
    pub lines: Vec<StockRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PickListView {
    /// Every machine, to choose the route from: (id, name, chosen).
    pub machines: Vec<(String, String, bool)>,
    pub picks: Vec<MachinePickView>,
    pub totals: Vec<(String, i32)>,
}

#[server(endpoint = "/admin/restock/pick-list")]
pub async fn load_pick_list(device_ids: Vec<String>) -> Result<PickListView, ServerFnError> {
    use domain::vending::{machines, restock};

    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::Restocking,
    )
    .await?;
    let (picks, totals) = restock::pick_list_of_route(&ctx.db, device_ids.clone(), 100)
        .await
        .map_err(to_server_error)?;
    let all = machines::list(&ctx.db).await.map_err(to_server_error)?;
    Ok(PickListView {
        machines: all
            .into_iter()
            .filter(|m| m.device.decommissioned_at.is_none())
            .map(|m| {
                let chosen = device_ids.contains(&m.device.id);
                (m.device.id, m.device.name, chosen)
            })
            .collect(),
        picks: picks
            .into_iter()
            .map(|p| MachinePickView {
                id: p.device_id,
                name: p.name,
                address: p.address,
                lines: p.lines.into_iter().map(Into::into).collect(),
            })
            .collect(),
        totals,
    })
}

/// `/admin/pick-list?device_id=…`: what to bring to each machine of a route.
#[component]
pub fn PickListPage() -> impl IntoView {
    let query = use_query_map();
    let list = Resource::new(
        move || query.read().get_all("device_id").unwrap_or_default(),
        load_pick_list,
    );
    view! {
        <h1>"Pick list"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading the pick list…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    list.await.map(|view| {
                        let everything = view.machines.iter().all(|(_, _, chosen)| !chosen);
                        view! {
                            <form method="get" action=PICK_LIST_PATH class="stacked no-print" data-testid="route-form">
                                <fieldset>
                                    <legend>{if everything { "Route: every machine (choose some to narrow it)" } else { "Route" }}</legend>
                                    {view.machines.into_iter().map(|(id, name, chosen)| view! {
                                        <label class="choice">
                                            <input type="checkbox" name="device_id" value=id.clone() checked=chosen />
                                            {name}" "<code>{id}</code>
                                        </label>
                                    }).collect_view()}
                                </fieldset>
                                <button type="submit">"Make pick list"</button>
                            </form>
                            <h2>"To load"</h2>
                            {if view.totals.is_empty() {
                                view! { <p class="empty" data-testid="nothing-to-bring">"Nothing to bring: every product is at par, or no par levels are set (set them on each machine's page)."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="data" data-testid="pick-totals">
                                        <thead><tr><th>"Product"</th><th>"Units"</th></tr></thead>
                                        <tbody>
                                            {view.totals.into_iter().map(|(product, units)| view! {
                                                <tr><td>{product}</td><td>{units}</td></tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                            {view.picks.into_iter().filter(|p| !p.lines.is_empty()).map(|pick| view! {
                                <section class="pick" data-testid="pick-machine">
                                    <h2>{pick.name}" "<code>{pick.id}</code></h2>
                                    {pick.address.map(|a| view! { <p class="muted">{a}</p> })}
                                    <table class="data">
                                        <thead><tr><th>"Product"</th><th>"In stock"</th><th>"Par"</th><th>"Bring"</th><th>"Done"</th></tr></thead>
                                        <tbody>
                                            {pick.lines.into_iter().map(|line| view! {
                                                <tr data-testid="pick-line">
                                                    <td>{line.product_title}</td>
                                                    <td>{line.in_stock}</td>
                                                    <td>{line.par_level.unwrap_or_default()}</td>
                                                    <td><strong>{line.to_bring}</strong></td>
                                                    <td>"☐"</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </section>
                            }).collect_view()}
                        }
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
