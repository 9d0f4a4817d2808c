//! Stock: what each location holds of each item, set by hand after a count
//! (`/admin/inventory`), and the reservations that hold part of it for
//! orders or by an admin's hand (`/admin/reservations`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::orders::{PAGE_SIZE, Pager, page_number};
use crate::components::{ErrorNotice, plain_error};

pub const INVENTORY_PATH: &str = "/admin/inventory";
pub const RESERVATIONS_PATH: &str = "/admin/reservations";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelRow {
    pub location_id: String,
    pub location: String,
    pub stocked: i32,
    pub reserved: i32,
    pub available: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRow {
    pub id: String,
    pub sku: Option<String>,
    /// "Product — Variant".
    pub label: String,
    pub levels: Vec<LevelRow>,
}

/// A stock location, for choosing one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationChoice {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryPageData {
    pub items: Vec<ItemRow>,
    pub count: u64,
    pub locations: Vec<LocationChoice>,
}

/// Every stock location by name (a store has a few dozen machines at most
/// per page of the list; the first hundred are offered).
#[cfg(feature = "ssr")]
async fn location_choices(
    db: &domain::db::DatabaseConnection,
) -> Result<Vec<LocationChoice>, ServerFnError> {
    use crate::server_context::to_server_error;
    let page =
        domain::channels::list_stock_location_page(db, None, 0, domain::catalog::MAX_PAGE_SIZE)
            .await
            .map_err(to_server_error)?;
    Ok(page
        .items
        .into_iter()
        .map(|l| LocationChoice {
            id: l.id,
            name: l.name,
        })
        .collect())
}

#[cfg(feature = "ssr")]
fn location_name(locations: &[LocationChoice], id: &str) -> String {
    locations
        .iter()
        .find(|l| l.id == id)
        .map_or_else(|| id.to_owned(), |l| l.name.clone())
}

#[server(endpoint = "/admin/inventory/list")]
pub async fn list_inventory(
    q: Option<String>,
    offset: u64,
) -> Result<InventoryPageData, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let page = domain::inventory::list_items(&ctx.db, q.as_deref(), offset, PAGE_SIZE)
        .await
        .map_err(to_server_error)?;
    let mut labels = domain::inventory::item_labels(
        &ctx.db,
        page.items.iter().map(|detail| detail.item.id.clone()),
    )
    .await
    .map_err(to_server_error)?;
    let locations = location_choices(&ctx.db).await?;
    Ok(InventoryPageData {
        items: page
            .items
            .into_iter()
            .map(|detail| ItemRow {
                label: labels
                    .remove(&detail.item.id)
                    .map(|(_, label)| label)
                    .unwrap_or_default(),
                levels: detail
                    .levels
                    .into_iter()
                    .map(|level| LevelRow {
                        location: location_name(&locations, &level.location_id),
                        available: level.available_quantity(),
                        location_id: level.location_id,
                        stocked: level.stocked_quantity,
                        reserved: level.reserved_quantity,
                    })
                    .collect(),
                id: detail.item.id,
                sku: detail.item.sku,
            })
            .collect(),
        count: page.count,
        locations,
    })
}

/// Sets what a location holds of an item (after a count), creating the
/// level when the item was not stocked there yet.
#[server(endpoint = "/admin/inventory/set-stocked")]
pub async fn set_stocked(
    item_id: String,
    location_id: String,
    stocked: String,
    back: String,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let stocked: i32 = stocked.trim().parse().map_err(|_| {
        ServerFnError::new(format!(
            "the stocked quantity must be a whole number, not {stocked:?}"
        ))
    })?;
    domain::inventory::set_stocked(&ctx.db, &item_id, &location_id, stocked)
        .await
        .map_err(to_server_error)?;
    // Back to the same search and page; only ever this page.
    leptos_axum::redirect(crate::redirects::back_to_page(&back, INVENTORY_PATH));
    Ok(())
}

#[component]
pub fn InventoryPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").filter(|s| !s.trim().is_empty());
    let page = move || page_number(query.read().get("page"));
    let save = ServerAction::<SetStocked>::new();
    let found = Resource::new(
        move || (q(), page(), save.version().get()),
        |(q, page, _)| list_inventory(q, (page - 1) * PAGE_SIZE),
    );
    view! {
        <h1>"Inventory"</h1>
        <p class="muted">"What each location holds. Set a count after stocktaking; it cannot drop below what orders have reserved. "
            <a href=RESERVATIONS_PATH>"Reservations"</a></p>
        <form method="get" action=INVENTORY_PATH class="inline filters">
            <label>"SKU " <input type="search" name="q" value=q /></label>
            <button type="submit">"Search"</button>
        </form>
        {move || save.value().get().and_then(Result::err).map(|e| view! {
            <p class="notice error" role="alert">{plain_error(&e)}</p>
        })}
        <Transition fallback=|| view! { <p class="loading">"Loading inventory…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    let (q, number) = (q(), page());
                    found.await.map(|found| view! { <InventoryTable found q number save /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn InventoryTable(
    found: InventoryPageData,
    q: Option<String>,
    number: u64,
    save: ServerAction<SetStocked>,
) -> impl IntoView {
    if found.items.is_empty() {
        let message = match q {
            Some(q) => format!("No item's SKU contains {q:?}. "),
            None => "No stock is counted yet: a variant whose inventory is managed (the product editor's \"Manage inventory\") shows here. ".to_owned(),
        };
        return view! { <p class="empty" data-testid="inventory-empty">{message}<a href=INVENTORY_PATH>"Show all"</a></p> }
            .into_any();
    }
    let base = match &q {
        Some(q) => format!("{INVENTORY_PATH}?q={}&", crate::redirects::query_value(q)),
        None => format!("{INVENTORY_PATH}?"),
    };
    let locations = found.locations;
    let back = format!("{base}page={number}");
    view! {
        <p class="muted">{format!("{} items", found.count)}</p>
        <table class="data">
            <thead>
                <tr>
                    <th>"Location"</th>
                    <th class="num">"Stocked"</th>
                    <th class="num">"Reserved"</th>
                    <th class="num">"Available"</th>
                    <th>"Count"</th>
                </tr>
            </thead>
            {found
                .items
                .into_iter()
                .map(|item| view! { <ItemRows item locations=locations.clone() back=back.clone() save /> })
                .collect_view()}
        </table>
        <Pager base number pages=found.count.div_ceil(PAGE_SIZE).max(1) />
    }
    .into_any()
}

/// One item: a heading row, a row per location with its count form, and a
/// form to stock it at a location that has none yet.
#[component]
fn ItemRows(
    item: ItemRow,
    locations: Vec<LocationChoice>,
    /// This page with its search, where a saved count returns to.
    back: String,
    save: ServerAction<SetStocked>,
) -> impl IntoView {
    let unstocked: Vec<LocationChoice> = locations
        .into_iter()
        .filter(|l| !item.levels.iter().any(|level| level.location_id == l.id))
        .collect();
    let item_id = item.id.clone();
    let levels = item
        .levels
        .into_iter()
        .map(|level| {
            let item_id = item_id.clone();
            // Moved into the form's children (a closure): their own copies.
            let (form_item, form_location, form_back) =
                (item_id.clone(), level.location_id.clone(), back.clone());
            view! {
                <tr data-testid="inventory-level" data-item=item_id data-location=level.location_id>
                    <td>{level.location}</td>
                    <td class="num" data-testid="stocked">{level.stocked}</td>
                    <td class="num">{level.reserved}</td>
                    <td class="num">{level.available}</td>
                    <td>
                        <ActionForm action=save attr:class="inline">
                            <input type="hidden" name="item_id" value=form_item />
                            <input type="hidden" name="location_id" value=form_location />
                            <input type="hidden" name="back" value=form_back />
                            <input type="number" name="stocked" min=level.reserved value=level.stocked
                                aria-label="Stocked quantity" inputmode="numeric" class="qty" />
                            <button type="submit">"Save"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let stock_elsewhere = (!unstocked.is_empty()).then(|| {
        view! {
            <tr>
                <td colspan="5">
                    <ActionForm action=save attr:class="inline">
                        <input type="hidden" name="item_id" value=item.id.clone() />
                        <input type="hidden" name="back" value=back.clone() />
                        <label>"Stock at "
                            <select name="location_id">
                                {unstocked.into_iter().map(|l| view! { <option value=l.id>{l.name}</option> }).collect_view()}
                            </select>
                        </label>
                        " "
                        <input type="number" name="stocked" min="0" value="0" aria-label="Stocked quantity" inputmode="numeric" class="qty" />
                        <button type="submit">"Add"</button>
                    </ActionForm>
                </td>
            </tr>
        }
    });
    view! {
        <tbody>
            <tr class="group">
                <th colspan="5" scope="rowgroup">
                    {item.label}
                    " "
                    <code>{item.sku.unwrap_or_else(|| "no SKU".to_owned())}</code>
                </th>
            </tr>
            {levels}
            {stock_elsewhere}
        </tbody>
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReservationRow {
    pub id: String,
    pub created_at: String,
    pub item: String,
    pub sku: Option<String>,
    pub location: String,
    pub quantity: i32,
    /// Why: an admin's description, or the order line it holds stock for.
    pub reason: String,
    /// An admin's reservation, which the admin may give back.
    pub by_hand: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReservationsPageData {
    pub reservations: Vec<ReservationRow>,
    pub count: u64,
    pub locations: Vec<LocationChoice>,
}

#[server(endpoint = "/admin/reservations/list")]
pub async fn list_reservations(offset: u64) -> Result<ReservationsPageData, ServerFnError> {
    use crate::server_context::*;
    use domain::inventory::{self, ReservationFilter};
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let page =
        inventory::list_reservations(&ctx.db, &ReservationFilter::default(), offset, PAGE_SIZE)
            .await
            .map_err(to_server_error)?;
    let labels = inventory::item_labels(
        &ctx.db,
        page.items.iter().map(|r| r.inventory_item_id.clone()),
    )
    .await
    .map_err(to_server_error)?;
    let locations = location_choices(&ctx.db).await?;
    Ok(ReservationsPageData {
        reservations: page
            .items
            .into_iter()
            .map(|r| {
                let (sku, item) = labels
                    .get(&r.inventory_item_id)
                    .cloned()
                    .unwrap_or((None, r.inventory_item_id.clone()));
                let by_hand = !r.for_an_order();
                let reason = match (&r.line_item_id, r.description) {
                    (Some(line), _) => format!("order line {line}"),
                    (None, Some(description)) => description,
                    (None, None) => "held by hand".to_owned(),
                };
                ReservationRow {
                    created_at: r.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    location: location_name(&locations, &r.location_id),
                    id: r.id,
                    item,
                    sku,
                    quantity: r.quantity,
                    reason,
                    by_hand,
                }
            })
            .collect(),
        count: page.count,
        locations,
    })
}

/// Holds stock by hand: an item by its SKU, at a location.
#[server(endpoint = "/admin/reservations/create")]
pub async fn reserve_stock(
    sku: String,
    location_id: String,
    quantity: String,
    description: String,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    use domain::inventory::{self, NewReservation};
    let ctx = server_context()?;
    let admin_id = require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    let quantity: i32 = quantity.trim().parse().map_err(|_| {
        ServerFnError::new(format!(
            "the quantity must be a whole number, not {quantity:?}"
        ))
    })?;
    let item = inventory::find_item_by_sku(&ctx.db, &sku)
        .await
        .map_err(to_server_error)?;
    inventory::reserve(
        &ctx.db,
        NewReservation {
            inventory_item_id: item.id,
            location_id,
            quantity,
            description: Some(description),
            created_by: Some(admin_id),
            ..Default::default()
        },
    )
    .await
    .map_err(to_server_error)?;
    leptos_axum::redirect(RESERVATIONS_PATH);
    Ok(())
}

/// Gives an admin's reservation back to its location.
#[server(endpoint = "/admin/reservations/release")]
pub async fn release_reservation(id: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    domain::inventory::delete_reservation(&ctx.db, &id)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(RESERVATIONS_PATH);
    Ok(())
}

#[component]
pub fn ReservationsPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || page_number(query.read().get("page"));
    let reserve = ServerAction::<ReserveStock>::new();
    let release = ServerAction::<ReleaseReservation>::new();
    let found = Resource::new(
        move || (page(), reserve.version().get(), release.version().get()),
        |(page, _, _)| list_reservations((page - 1) * PAGE_SIZE),
    );
    let error = move || {
        reserve
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| release.value().get().and_then(Result::err))
            .map(|e| plain_error(&e))
    };
    view! {
        <h1>"Reservations"</h1>
        <p class="muted">"Stock held for orders until they are fulfilled, and stock held by hand (a phone order, a display). "
            <a href=INVENTORY_PATH>"Inventory"</a></p>
        {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading reservations…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    let number = page();
                    found.await.map(|found| view! { <ReservationTable found number reserve release /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn ReservationTable(
    found: ReservationsPageData,
    number: u64,
    reserve: ServerAction<ReserveStock>,
    release: ServerAction<ReleaseReservation>,
) -> impl IntoView {
    let locations = found.locations;
    let list = if found.reservations.is_empty() {
        view! { <p class="empty" data-testid="reservations-empty">"Nothing is reserved: an order holds its items here from checkout until it is fulfilled."</p> }
            .into_any()
    } else {
        view! {
            <p class="muted">{format!("{} reservations", found.count)}</p>
            <table class="data">
                <thead>
                    <tr>
                        <th>"Created"</th>
                        <th>"Item"</th>
                        <th>"Location"</th>
                        <th class="num">"Quantity"</th>
                        <th>"For"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {found
                        .reservations
                        .into_iter()
                        .map(|r| {
                            let id = r.id.clone();
                            view! {
                                <tr data-testid="reservation-row" data-reservation=r.id>
                                    <td>{r.created_at}</td>
                                    <td>{r.item}<br /><code>{r.sku.unwrap_or_default()}</code></td>
                                    <td>{r.location}</td>
                                    <td class="num">{r.quantity}</td>
                                    <td>{r.reason}</td>
                                    <td>
                                        {r.by_hand.then(|| view! {
                                            <ActionForm action=release attr:class="inline">
                                                <input type="hidden" name="id" value=id />
                                                <button type="submit">"Release"</button>
                                            </ActionForm>
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <Pager base=format!("{RESERVATIONS_PATH}?") number pages=found.count.div_ceil(PAGE_SIZE).max(1) />
        }
            .into_any()
    };
    view! {
        {list}
        <h2>"Hold stock"</h2>
        <ActionForm action=reserve attr:class="editor">
            <label>"SKU" <input type="text" name="sku" required=true autocomplete="off" /></label>
            <label>"Location"
                <select name="location_id" required=true>
                    {locations.into_iter().map(|l| view! { <option value=l.id>{l.name}</option> }).collect_view()}
                </select>
            </label>
            <label>"Quantity" <input type="number" name="quantity" min="1" value="1" inputmode="numeric" required=true /></label>
            <label>"Why" <input type="text" name="description" maxlength="1000" placeholder="Phone order for Ms Smith" /></label>
            <button type="submit">"Reserve"</button>
        </ActionForm>
    }
}
