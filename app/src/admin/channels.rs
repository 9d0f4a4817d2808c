//! Where the store sells and from where: sales channels, stock locations
//! (and which channels they supply) and publishable API keys (and which
//! channels they open). Each page lists, adds and removes with plain forms
//! (they work before hydration), calling the domain functions the Admin
//! API's routes call; the pages share their paths with those routes.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::ErrorNotice;

pub const SALES_CHANNELS_PATH: &str = "/admin/sales-channels";
pub const STOCK_LOCATIONS_PATH: &str = "/admin/stock-locations";
pub const API_KEYS_PATH: &str = "/admin/api-keys";

/// One row of any of the three lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelRow {
    pub id: String,
    pub name: String,
    /// The channel's description, the location's address, the key's token.
    pub detail: String,
    /// Names of the sales channels it is linked to (locations and keys).
    pub channels: Vec<String>,
    /// Disabled channel, revoked key.
    pub inactive: bool,
}

/// What a page shows: its rows and the channels to link to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelPage {
    pub rows: Vec<ChannelRow>,
    pub count: u64,
    /// Every sales channel: id, name.
    pub channels: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelKind {
    SalesChannels,
    StockLocations,
    ApiKeys,
}

impl ChannelKind {
    #[cfg(feature = "ssr")]
    fn path(self) -> &'static str {
        match self {
            Self::SalesChannels => SALES_CHANNELS_PATH,
            Self::StockLocations => STOCK_LOCATIONS_PATH,
            Self::ApiKeys => API_KEYS_PATH,
        }
    }
}

/// How many rows a page lists; the Admin API pages through more.
#[cfg(feature = "ssr")]
const SHOWN: u64 = 100;

#[server(endpoint = "/admin/channels/list")]
pub async fn list_channel_page(kind: ChannelKind) -> Result<ChannelPage, ServerFnError> {
    use std::collections::HashMap;

    use crate::server_context::*;
    use domain::{api_keys, channels};
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let db = &ctx.db;
    let all = channels::list_sales_channels(db)
        .await
        .map_err(to_server_error)?;
    let name_of: HashMap<String, String> =
        all.iter().map(|c| (c.id.clone(), c.name.clone())).collect();
    let names = |ids: Vec<String>| -> Vec<String> {
        ids.into_iter()
            .filter_map(|id| name_of.get(&id).cloned())
            .collect()
    };
    let (rows, count) = match kind {
        ChannelKind::SalesChannels => {
            let page = channels::list_sales_channel_page(db, None, 0, SHOWN)
                .await
                .map_err(to_server_error)?;
            let rows = page
                .items
                .into_iter()
                .map(|c| ChannelRow {
                    id: c.id,
                    name: c.name,
                    detail: c.description.unwrap_or_default(),
                    channels: Vec::new(),
                    inactive: c.is_disabled,
                })
                .collect();
            (rows, page.count)
        }
        ChannelKind::StockLocations => {
            let page = channels::list_stock_location_page(db, None, 0, SHOWN)
                .await
                .map_err(to_server_error)?;
            let ids: Vec<String> = page.items.iter().map(|l| l.id.clone()).collect();
            let mut linked: HashMap<String, Vec<String>> = HashMap::new();
            for link in channels::channels_of_locations(db, &ids)
                .await
                .map_err(to_server_error)?
            {
                linked
                    .entry(link.stock_location_id)
                    .or_default()
                    .push(link.sales_channel_id);
            }
            let rows = page
                .items
                .into_iter()
                .map(|l| ChannelRow {
                    channels: names(linked.remove(&l.id).unwrap_or_default()),
                    detail: [l.address_1, l.postal_code, l.city, l.country_code]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(", "),
                    id: l.id,
                    name: l.name,
                    inactive: false,
                })
                .collect();
            (rows, page.count)
        }
        ChannelKind::ApiKeys => {
            let page = api_keys::list_page(db, None, 0, SHOWN)
                .await
                .map_err(to_server_error)?;
            let ids: Vec<String> = page.items.iter().map(|k| k.id.clone()).collect();
            let mut bound: HashMap<String, Vec<String>> = HashMap::new();
            for link in channels::channels_of_keys(db, &ids)
                .await
                .map_err(to_server_error)?
            {
                bound
                    .entry(link.api_key_id)
                    .or_default()
                    .push(link.sales_channel_id);
            }
            let rows = page
                .items
                .into_iter()
                .map(|key| ChannelRow {
                    channels: names(bound.remove(&key.id).unwrap_or_default()),
                    id: key.id,
                    name: key.title,
                    detail: key.token,
                    inactive: key.revoked_at.is_some(),
                })
                .collect();
            (rows, page.count)
        }
    };
    Ok(ChannelPage {
        rows,
        count,
        channels: all.into_iter().map(|c| (c.id, c.name)).collect(),
    })
}

/// Adds a channel, a location (supplying `channel_id` if given) or a key
/// (opening `channel_id` if given).
#[server(endpoint = "/admin/channels/create")]
pub async fn create_channel_row(
    kind: ChannelKind,
    name: String,
    detail: Option<String>,
    channel_id: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    use domain::{api_keys, channels};
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let db = &ctx.db;
    let detail = detail
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    let channel_id = channel_id.filter(|c| !c.is_empty());
    match kind {
        ChannelKind::SalesChannels => {
            channels::create_sales_channel(db, &name, detail.as_deref())
                .await
                .map_err(to_server_error)?;
        }
        ChannelKind::StockLocations => {
            let new = channels::NewStockLocation {
                name,
                address_1: detail,
                ..Default::default()
            };
            let location = channels::create_stock_location(db, new)
                .await
                .map_err(to_server_error)?;
            if let Some(channel_id) = channel_id {
                channels::link_stock_location(db, &channel_id, &location.id)
                    .await
                    .map_err(to_server_error)?;
            }
        }
        ChannelKind::ApiKeys => {
            let title = api_keys::valid_title(&name).map_err(to_server_error)?;
            let key = api_keys::create_publishable(db, &title)
                .await
                .map_err(to_server_error)?;
            if let Some(channel_id) = channel_id {
                channels::bind_publishable_key(db, &key.id, &channel_id)
                    .await
                    .map_err(to_server_error)?;
            }
        }
    }
    leptos_axum::redirect(kind.path());
    Ok(())
}

/// Deletes a channel or a location; revokes a key (a revoked key is deleted).
#[server(endpoint = "/admin/channels/remove")]
pub async fn remove_channel_row(kind: ChannelKind, id: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    use domain::{api_keys, channels};
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let db = &ctx.db;
    let removed = match kind {
        ChannelKind::SalesChannels => channels::delete_sales_channel(db, &id).await,
        ChannelKind::StockLocations => channels::delete_stock_location(db, &id).await,
        ChannelKind::ApiKeys => match api_keys::find(db, &id).await {
            Ok(key) if key.revoked_at.is_some() => api_keys::delete(db, &id).await,
            Ok(_) => api_keys::revoke(db, &id).await.map(|_| ()),
            Err(e) => Err(e),
        },
    };
    removed.map_err(to_server_error)?;
    leptos_axum::redirect(kind.path());
    Ok(())
}

#[component]
pub fn SalesChannelsPage() -> impl IntoView {
    view! { <ChannelAdmin kind=ChannelKind::SalesChannels /> }
}

#[component]
pub fn StockLocationsPage() -> impl IntoView {
    view! { <ChannelAdmin kind=ChannelKind::StockLocations /> }
}

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    view! { <ChannelAdmin kind=ChannelKind::ApiKeys /> }
}

/// The words that differ between the three pages.
struct Words {
    title: &'static str,
    empty: &'static str,
    detail: &'static str,
    detail_field: Option<&'static str>,
    links: Option<&'static str>,
    add: &'static str,
}

fn words(kind: ChannelKind) -> Words {
    match kind {
        ChannelKind::SalesChannels => Words {
            title: "Sales channels",
            empty: "No sales channels: a channel is where products are sold (the web store, a machine location).",
            detail: "Description",
            detail_field: Some("Description"),
            links: None,
            add: "Add sales channel",
        },
        ChannelKind::StockLocations => Words {
            title: "Stock locations",
            empty: "No stock locations: a location holds stock (a warehouse, the inside of a machine).",
            detail: "Address",
            detail_field: Some("Street and number"),
            links: Some("Supplies"),
            add: "Add stock location",
        },
        ChannelKind::ApiKeys => Words {
            title: "Publishable API keys",
            empty: "No publishable keys: a storefront sends one with every Store API request.",
            detail: "Key",
            detail_field: None,
            links: Some("Opens"),
            add: "Add publishable key",
        },
    }
}

#[component]
fn ChannelAdmin(kind: ChannelKind) -> impl IntoView {
    let create = ServerAction::<CreateChannelRow>::new();
    let remove = ServerAction::<RemoveChannelRow>::new();
    let page = Resource::new(
        move || create.version().get() + remove.version().get(),
        move |_| list_channel_page(kind),
    );
    let error = move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| remove.value().get().and_then(|r| r.err()))
            .map(|e| crate::components::plain_error(&e))
    };
    let w = words(kind);
    view! {
        <h1>{w.title}</h1>
        {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    page.await.map(|found| view! { <ChannelTable kind found create remove /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn ChannelTable(
    kind: ChannelKind,
    found: ChannelPage,
    create: ServerAction<CreateChannelRow>,
    remove: ServerAction<RemoveChannelRow>,
) -> impl IntoView {
    let w = words(kind);
    let kind_value = format!("{kind:?}");
    let remove_label = if kind == ChannelKind::ApiKeys {
        "Revoke"
    } else {
        "Delete"
    };
    let shown = found.rows.len() as u64;
    let table = if found.rows.is_empty() {
        view! { <p class="empty" data-testid="channels-empty">{w.empty}</p> }.into_any()
    } else {
        let rows = found
            .rows
            .into_iter()
            .map(|r| {
                let kind_value = kind_value.clone();
                let label = if r.inactive && kind == ChannelKind::ApiKeys {
                    "Delete"
                } else {
                    remove_label
                };
                let state = if r.inactive {
                    if kind == ChannelKind::ApiKeys {
                        "revoked"
                    } else {
                        "disabled"
                    }
                } else {
                    ""
                };
                view! {
                    <tr data-testid="channel-row">
                        <td>{r.name}<br /><code class="muted">{r.id.clone()}</code></td>
                        <td><code>{r.detail}</code></td>
                        {w.links.map(|_| view! { <td>{r.channels.join(", ")}</td> })}
                        <td>{state}</td>
                        <td>
                            <ActionForm action=remove attr:class="inline">
                                <input type="hidden" name="kind" value=kind_value />
                                <input type="hidden" name="id" value=r.id />
                                <button type="submit" class="link">{label}</button>
                            </ActionForm>
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="data">
                <thead><tr><th>"Name"</th><th>{w.detail}</th>{w.links.map(|l| view! { <th>{l}</th> })}<th></th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {(found.count > shown).then(|| view! { <p class="muted">{format!("The first {shown} of {}.", found.count)}</p> })}
        }
        .into_any()
    };
    let channels = found.channels;
    view! {
        {table}
        <h2>{w.add}</h2>
        <ActionForm action=create attr:class="stacked" attr:data-testid="channel-form">
            <input type="hidden" name="kind" value=kind_value />
            <label>"Name" <input name="name" required maxlength="200" /></label>
            {w.detail_field.map(|label| view! { <label>{label} <input name="detail" maxlength="500" /></label> })}
            {w.links.map(|_| view! {
                <label>"Sales channel"
                    <select name="channel_id">
                        <option value="">"— none —"</option>
                        {channels.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                    </select>
                </label>
            })}
            <button type="submit" disabled=move || create.pending().get()>{w.add}</button>
        </ActionForm>
    }
}
