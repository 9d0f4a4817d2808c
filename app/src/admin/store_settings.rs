//! The store's settings: name, the currencies it sells in and the default
//! one, and the region, sales channel and stock location things default to.
//! One plain form (it works before hydration) calling the domain function
//! `POST /admin/stores/{id}` calls.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::ErrorNotice;

pub const SETTINGS_PATH: &str = "/admin/settings";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreSettingsView {
    pub name: String,
    /// Codes, comma-separated, as the form shows them.
    pub currencies: String,
    pub default_currency: String,
    pub default_region_id: Option<String>,
    pub default_sales_channel_id: Option<String>,
    pub default_location_id: Option<String>,
    /// Choices: id, name.
    pub regions: Vec<(String, String)>,
    pub sales_channels: Vec<(String, String)>,
    pub locations: Vec<(String, String)>,
    /// Currencies described here: code, name.
    pub known_currencies: Vec<(String, String)>,
}

#[server(endpoint = "/admin/settings/get")]
pub async fn store_settings() -> Result<StoreSettingsView, ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let the_store = domain::stores::current(&ctx.db)
        .await
        .map_err(to_server_error)?;
    let most = domain::catalog::MAX_PAGE_SIZE;
    let regions = domain::pricing::list_regions(&ctx.db, 0, most)
        .await
        .map_err(to_server_error)?
        .regions
        .into_iter()
        .map(|r| (r.region.id, r.region.name))
        .collect();
    let sales_channels = domain::channels::list_sales_channels(&ctx.db)
        .await
        .map_err(to_server_error)?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let locations = domain::channels::list_stock_location_page(&ctx.db, None, 0, most)
        .await
        .map_err(to_server_error)?
        .items
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let known_currencies = domain::pricing::currency::all_currencies(&ctx.db, the_store.created_at)
        .await
        .map_err(to_server_error)?
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect();
    Ok(StoreSettingsView {
        currencies: the_store.currencies().join(", "),
        name: the_store.name,
        default_currency: the_store.default_currency_code,
        default_region_id: the_store.default_region_id,
        default_sales_channel_id: the_store.default_sales_channel_id,
        default_location_id: the_store.default_location_id,
        regions,
        sales_channels,
        locations,
        known_currencies,
    })
}

#[server(endpoint = "/admin/settings/save")]
pub async fn save_store_settings(
    name: String,
    currencies: String,
    default_currency: String,
    default_region_id: Option<String>,
    default_sales_channel_id: Option<String>,
    default_location_id: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let ctx = admin_context(domain::admin_users::Permission::ManageStore).await?;
    let default_currency = default_currency.trim().to_ascii_lowercase();
    let mut supported: Vec<(String, bool)> = currencies
        .split([',', ' '])
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .map(|c| {
            let is_default = c == default_currency;
            (c, is_default)
        })
        .collect();
    // The default chosen is sold in even when the list left it out.
    if !default_currency.is_empty() && !supported.iter().any(|(_, d)| *d) {
        supported.push((default_currency, true));
    }
    let changes = domain::stores::StoreChanges {
        name: Some(name),
        supported_currencies: Some(supported),
        default_region_id: Some(default_region_id),
        default_sales_channel_id: Some(default_sales_channel_id),
        default_location_id: Some(default_location_id),
    };
    domain::stores::update(&ctx.db, domain::stores::STORE_ID, changes)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(SETTINGS_PATH);
    Ok(())
}

#[component]
pub fn StoreSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveStoreSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| store_settings());
    let error = move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| crate::components::plain_error(&e))
    };
    view! {
        <h1>"Store settings"</h1>
        {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading settings…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    settings.await.map(|s| view! { <SettingsForm settings=s save /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// A `<select>` of `choices` with an empty "none" first.
#[component]
fn DefaultChoice(
    label: &'static str,
    name: &'static str,
    choices: Vec<(String, String)>,
    current: Option<String>,
) -> impl IntoView {
    view! {
        <label>{label}
            <select name=name>
                <option value="" selected=current.is_none()>"— none —"</option>
                {choices
                    .into_iter()
                    .map(|(id, title)| {
                        let selected = current.as_deref() == Some(id.as_str());
                        view! { <option value=id selected=selected>{title}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

#[component]
fn SettingsForm(
    settings: StoreSettingsView,
    save: ServerAction<SaveStoreSettings>,
) -> impl IntoView {
    let StoreSettingsView {
        name,
        currencies,
        default_currency,
        default_region_id,
        default_sales_channel_id,
        default_location_id,
        regions,
        sales_channels,
        locations,
        known_currencies,
    } = settings;
    view! {
        <ActionForm action=save attr:class="stacked" attr:data-testid="store-settings-form">
            <label>"Store name" <input name="name" required maxlength="200" value=name /></label>
            <label>"Currencies sold in (codes, comma-separated)"
                <input name="currencies" required value=currencies autocomplete="off" />
            </label>
            <label>"Default currency"
                <select name="default_currency">
                    {known_currencies
                        .into_iter()
                        .map(|(code, title)| {
                            let selected = code == default_currency;
                            let shown = format!("{} — {title}", code.to_uppercase());
                            view! { <option value=code selected=selected>{shown}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <DefaultChoice label="Default region" name="default_region_id" choices=regions current=default_region_id />
            <DefaultChoice label="Default sales channel" name="default_sales_channel_id" choices=sales_channels current=default_sales_channel_id />
            <DefaultChoice label="Default stock location" name="default_location_id" choices=locations current=default_location_id />
            <button type="submit" disabled=move || save.pending().get()>"Save settings"</button>
        </ActionForm>
    }
}
