//! Shipping: the options shoppers choose at checkout (delivery at a flat
//! price per region, pickup at a machine) and the shipping profiles they
//! serve. Options are added, repriced, kept back from the store and deleted
//! with plain forms (they work before hydration). The page shares
//! `/admin/shipping-options` with the Admin API.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::orders::{PAGE_SIZE, Pager, page_number};
use crate::components::{ErrorNotice, format_money};

pub const SHIPPING_PATH: &str = "/admin/shipping-options";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionRow {
    pub id: String,
    pub name: String,
    pub region: String,
    pub currency: String,
    pub amount: i64,
    /// The amount as typed back into the form, e.g. `4.90`.
    pub amount_text: String,
    /// The machine or store the shopper collects from; delivery when none.
    pub pickup: Option<String>,
    pub profile_id: String,
    pub offered: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub is_default: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShippingView {
    pub options: Vec<OptionRow>,
    pub count: u64,
    pub regions: Vec<Choice>,
    pub locations: Vec<Choice>,
    pub profiles: Vec<ProfileRow>,
}

/// Lists may hold this many regions, locations and profiles for the forms.
#[cfg(feature = "ssr")]
const CHOICES: u64 = 100;

#[server(endpoint = "/admin/shipping/list")]
pub async fn load_shipping(
    region_id: Option<String>,
    offset: u64,
) -> Result<ShippingView, ServerFnError> {
    use std::collections::HashMap;

    use domain::{channels, pricing, shipping};

    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let regions = pricing::list_regions(&ctx.db, 0, CHOICES)
        .await
        .map_err(to_server_error)?
        .regions;
    let locations = channels::list_stock_location_page(&ctx.db, None, 0, CHOICES)
        .await
        .map_err(to_server_error)?
        .items;
    let profiles = shipping::profiles::list_profile_page(&ctx.db, None, None, 0, CHOICES)
        .await
        .map_err(to_server_error)?
        .items;
    let filter = shipping::OptionFilter {
        region_id,
        ..Default::default()
    };
    let page = shipping::list_option_page(&ctx.db, &filter, offset, PAGE_SIZE)
        .await
        .map_err(to_server_error)?;
    let region_of: HashMap<&str, &pricing::RegionDetail> =
        regions.iter().map(|r| (r.region.id.as_str(), r)).collect();
    let location_name: HashMap<&str, &str> = locations
        .iter()
        .map(|l| (l.id.as_str(), l.name.as_str()))
        .collect();
    let options = page
        .items
        .into_iter()
        .map(|o| {
            let (region, currency) = region_of
                .get(o.region_id.as_str())
                .map(|r| (r.region.name.clone(), r.region.currency_code.clone()))
                .unwrap_or_else(|| (o.region_id.clone(), String::new()));
            let decimals = pricing::money::decimals(&currency) as usize;
            OptionRow {
                amount_text: format!(
                    "{:.decimals$}",
                    pricing::money::to_major_units(o.amount, &currency)
                ),
                pickup: o.stock_location_id.as_deref().map(|id| {
                    location_name
                        .get(id)
                        .map_or_else(|| id.to_owned(), |name| (*name).to_owned())
                }),
                id: o.id,
                name: o.name,
                region,
                currency,
                amount: o.amount,
                profile_id: o.shipping_profile_id,
                offered: o.enabled_in_store,
            }
        })
        .collect();
    Ok(ShippingView {
        options,
        count: page.count,
        regions: regions
            .iter()
            .map(|r| Choice {
                id: r.region.id.clone(),
                name: format!(
                    "{} ({})",
                    r.region.name,
                    r.region.currency_code.to_uppercase()
                ),
            })
            .collect(),
        locations: locations
            .into_iter()
            .map(|l| Choice {
                id: l.id,
                name: l.name,
            })
            .collect(),
        profiles: profiles
            .into_iter()
            .map(|p| ProfileRow {
                is_default: p.id == shipping::DEFAULT_PROFILE_ID,
                id: p.id,
                name: p.name,
                kind: p.kind,
            })
            .collect(),
    })
}

#[server(endpoint = "/admin/shipping/create-option")]
pub async fn create_shipping_option(
    name: String,
    region_id: String,
    amount: String,
    stock_location_id: Option<String>,
    shipping_profile_id: Option<String>,
    offered: Option<String>,
) -> Result<(), ServerFnError> {
    use domain::{pricing, shipping};

    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let region = domain::error::referenced(
        pricing::find_region(&ctx.db, &region_id).await,
        "region",
        &region_id,
    )
    .map_err(to_server_error)?;
    let amount =
        pricing::money::parse_major_units(&amount, &region.region.currency_code, "the price")
            .map_err(to_server_error)?;
    let new = shipping::NewShippingOption {
        name,
        region_id,
        amount,
        stock_location_id: stock_location_id.filter(|id| !id.is_empty()),
        shipping_profile_id: shipping_profile_id.filter(|id| !id.is_empty()),
        enabled_in_store: offered.is_some(),
    };
    shipping::create_option(&ctx.db, new)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(SHIPPING_PATH);
    Ok(())
}

#[server(endpoint = "/admin/shipping/update-option")]
pub async fn update_shipping_option(
    id: String,
    name: String,
    amount: String,
    shipping_profile_id: String,
    offered: Option<String>,
    back: Option<String>,
) -> Result<(), ServerFnError> {
    use domain::{pricing, shipping};

    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let option = shipping::find_option(&ctx.db, &id)
        .await
        .map_err(to_server_error)?;
    let region = pricing::find_region(&ctx.db, &option.region_id)
        .await
        .map_err(to_server_error)?;
    let amount =
        pricing::money::parse_major_units(&amount, &region.region.currency_code, "the price")
            .map_err(to_server_error)?;
    let changes = shipping::OptionChanges {
        name: Some(name),
        amount: Some(amount),
        shipping_profile_id: Some(shipping_profile_id),
        enabled_in_store: Some(offered.is_some()),
    };
    shipping::update_option(&ctx.db, &id, changes)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(crate::redirects::back_to_page(
        back.as_deref().unwrap_or_default(),
        SHIPPING_PATH,
    ));
    Ok(())
}

#[server(endpoint = "/admin/shipping/delete-option")]
pub async fn delete_shipping_option(id: String, back: Option<String>) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    domain::shipping::delete_option(&ctx.db, &id)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(crate::redirects::back_to_page(
        back.as_deref().unwrap_or_default(),
        SHIPPING_PATH,
    ));
    Ok(())
}

#[server(endpoint = "/admin/shipping/create-profile")]
pub async fn create_shipping_profile(name: String, kind: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let fields = domain::shipping::ProfileFields {
        name: Some(name),
        kind: Some(kind).filter(|k| !k.trim().is_empty()),
    };
    domain::shipping::profiles::create_profile(&ctx.db, fields)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(SHIPPING_PATH);
    Ok(())
}

#[server(endpoint = "/admin/shipping/delete-profile")]
pub async fn delete_shipping_profile(id: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    domain::shipping::profiles::delete_profile(&ctx.db, &id)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(SHIPPING_PATH);
    Ok(())
}

#[derive(Clone, Copy)]
struct Actions {
    update: ServerAction<UpdateShippingOption>,
    delete: ServerAction<DeleteShippingOption>,
}

#[component]
pub fn ShippingPage() -> impl IntoView {
    let query = use_query_map();
    let region = move || query.read().get("region").filter(|r| !r.is_empty());
    let page = move || page_number(query.read().get("page"));
    let create = ServerAction::<CreateShippingOption>::new();
    let actions = Actions {
        update: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let create_profile = ServerAction::<CreateShippingProfile>::new();
    let delete_profile = ServerAction::<DeleteShippingProfile>::new();
    let view_data = Resource::new(
        move || {
            (
                region(),
                page(),
                create.version().get()
                    + actions.update.version().get()
                    + actions.delete.version().get()
                    + create_profile.version().get()
                    + delete_profile.version().get(),
            )
        },
        |(region, page, _)| load_shipping(region, (page - 1) * PAGE_SIZE),
    );
    let plain = |e: ServerFnError| crate::components::plain_error(&e);
    let error = move || {
        [
            create.value().get().and_then(|r| r.err()),
            actions.update.value().get().and_then(|r| r.err()),
            actions.delete.value().get().and_then(|r| r.err()),
            create_profile.value().get().and_then(|r| r.err()),
            delete_profile.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(plain)
    };
    view! {
        <h1>"Shipping"</h1>
        <p class="muted">"How orders reach shoppers: delivery at a flat price per region, or pickup at a machine. Each machine's pickup is added when it is placed."</p>
        {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading shipping…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    let (region, number) = (region(), page());
                    view_data.await.map(|found| view! {
                        <ShippingOptions found=found.clone() region number actions />
                        <NewOptionForm found=found.clone() create />
                        <Profiles profiles=found.profiles create=create_profile delete=delete_profile />
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn ShippingOptions(
    found: ShippingView,
    region: Option<String>,
    number: u64,
    actions: Actions,
) -> impl IntoView {
    let base = match &region {
        Some(r) => format!(
            "{SHIPPING_PATH}?region={}&",
            crate::redirects::query_value(r)
        ),
        None => format!("{SHIPPING_PATH}?"),
    };
    let here = format!("{base}page={number}");
    let filter = view! {
        <form method="get" action=SHIPPING_PATH class="inline filters">
            <label>
                "Region "
                <select name="region">
                    <option value="">"All regions"</option>
                    {found.regions.iter().map(|r| {
                        let selected = region.as_deref() == Some(r.id.as_str());
                        view! { <option value=r.id.clone() selected=selected>{r.name.clone()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <button type="submit">"Show"</button>
        </form>
    };
    if found.options.is_empty() {
        let empty = if region.is_some() {
            "No shipping options in this region yet: add one below, or place a machine there for its pickup."
        } else {
            "No shipping options yet: shoppers cannot check out until a region has one. Add delivery below."
        };
        return view! { {filter} <p class="empty">{empty}</p> }.into_any();
    }
    let profiles = found.profiles.clone();
    view! {
        {filter}
        <p class="muted">{format!("{} shipping options", found.count)}</p>
        <table class="data" data-testid="shipping-options-table">
            <thead>
                <tr><th>"Option"</th><th>"Region"</th><th>"How"</th><th>"Price and profile"</th><th>"In store"</th><th></th></tr>
            </thead>
            <tbody>
                {found.options.into_iter().map(|o| {
                    let profiles = profiles.clone();
                    // Each form's children are a closure of their own: each gets its copies.
                    let (save_id, save_back) = (o.id.clone(), here.clone());
                    let (delete_id, delete_back) = (o.id.clone(), here.clone());
                    let form_id = format!("option-{}", o.id);
                    let how = match &o.pickup {
                        Some(place) => format!("Pickup at {place}"),
                        None => "Delivery".to_owned(),
                    };
                    view! {
                        <tr data-testid="shipping-option-row" data-option=o.id.clone()>
                            <td>
                                <input form=form_id.clone() name="name" value=o.name.clone() required aria-label="Name" />
                            </td>
                            <td>{o.region.clone()}</td>
                            <td>{how}</td>
                            <td>
                                <input form=form_id.clone() name="amount" value=o.amount_text.clone() inputmode="decimal" required
                                    aria-label=format!("Price in {}", o.currency.to_uppercase()) size="7" />
                                <span class="muted">{format!(" {} ", format_money(o.amount, &o.currency))}</span>
                                <select form=form_id.clone() name="shipping_profile_id" aria-label="Shipping profile">
                                    {profiles.into_iter().map(|p| {
                                        let selected = p.id == o.profile_id;
                                        view! { <option value=p.id selected=selected>{p.name}</option> }
                                    }).collect_view()}
                                </select>
                            </td>
                            <td>
                                <label>
                                    <input form=form_id.clone() type="checkbox" name="offered" value="on" checked=o.offered />
                                    {if o.offered { " offered" } else { " kept back" }}
                                </label>
                            </td>
                            <td>
                                <ActionForm action=actions.update attr:id=form_id attr:class="inline">
                                    <input type="hidden" name="id" value=save_id.clone() />
                                    <input type="hidden" name="back" value=save_back.clone() />
                                    <button type="submit">"Save"</button>
                                </ActionForm>
                                <ActionForm action=actions.delete attr:class="inline">
                                    <input type="hidden" name="id" value=delete_id.clone() />
                                    <input type="hidden" name="back" value=delete_back.clone() />
                                    <button type="submit" class="link">"Delete"</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <Pager base number pages=found.count.div_ceil(PAGE_SIZE).max(1) />
    }
    .into_any()
}

#[component]
fn NewOptionForm(found: ShippingView, create: ServerAction<CreateShippingOption>) -> impl IntoView {
    if found.regions.is_empty() {
        return view! {
            <h2>"New shipping option"</h2>
            <p class="empty">"Add a region first: an option is offered in one region, priced in its currency. "<a href="/admin/regions">"Regions"</a></p>
        }
        .into_any();
    }
    view! {
        <h2>"New shipping option"</h2>
        <ActionForm action=create attr:class="stacked" attr:data-testid="shipping-option-form">
            <label>"Name" <input name="name" required placeholder="Standard delivery" /></label>
            <label>
                "Region"
                <select name="region_id" required>
                    {found.regions.into_iter().map(|r| view! { <option value=r.id>{r.name}</option> }).collect_view()}
                </select>
            </label>
            <label>"Price (in the region's currency)" <input name="amount" required inputmode="decimal" placeholder="4.90" /></label>
            <label>
                "Pickup at"
                <select name="stock_location_id">
                    <option value="">"— none: delivery —"</option>
                    {found.locations.into_iter().map(|l| view! { <option value=l.id>{l.name}</option> }).collect_view()}
                </select>
            </label>
            <label>
                "Shipping profile"
                <select name="shipping_profile_id">
                    {found.profiles.into_iter().map(|p| {
                        let selected = p.is_default;
                        view! { <option value=p.id selected=selected>{p.name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label><input type="checkbox" name="offered" value="on" checked=true />" Offered in the store"</label>
            <button type="submit" disabled=move || create.pending().get()>"Add shipping option"</button>
        </ActionForm>
    }
    .into_any()
}

#[component]
fn Profiles(
    profiles: Vec<ProfileRow>,
    create: ServerAction<CreateShippingProfile>,
    delete: ServerAction<DeleteShippingProfile>,
) -> impl IntoView {
    view! {
        <h2>"Shipping profiles"</h2>
        <p class="muted">"Group what ships alike (chilled, bulky, gift cards); each option serves one profile."</p>
        <table class="data" data-testid="shipping-profiles-table">
            <thead><tr><th>"Profile"</th><th>"Type"</th><th></th></tr></thead>
            <tbody>
                {profiles.into_iter().map(|p| { let delete_id = p.id.clone(); view! {
                    <tr data-testid="shipping-profile-row" data-profile=p.id>
                        <td>{p.name}</td>
                        <td><code>{p.kind}</code></td>
                        <td>
                            {(!p.is_default).then(|| view! {
                                <ActionForm action=delete attr:class="inline">
                                    <input type="hidden" name="id" value=delete_id.clone() />
                                    <button type="submit" class="link">"Delete"</button>
                                </ActionForm>
                            })}
                        </td>
                    </tr>
                } }).collect_view()}
            </tbody>
        </table>
        <ActionForm action=create attr:class="inline" attr:data-testid="shipping-profile-form">
            <input name="name" required placeholder="Chilled" aria-label="Profile name" />
            <input name="kind" placeholder="custom" aria-label="Profile type (one word)" />
            <button type="submit" disabled=move || create.pending().get()>"Add profile"</button>
        </ActionForm>
    }
}
