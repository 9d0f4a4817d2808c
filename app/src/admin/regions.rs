//! Regions: each with its currency, the payment providers it offers, and
//! when its online payments are captured (when the order is placed, or on
//! fulfilment), which a plain form changes (it works before hydration).
//! The page shares `/admin/regions` with the Admin API.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::ErrorNotice;

pub const REGIONS_PATH: &str = "/admin/regions";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionRow {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub providers: Vec<String>,
    pub automatic_capture: bool,
}

#[server(endpoint = "/admin/regions/list")]
pub async fn list_region_rows() -> Result<Vec<RegionRow>, ServerFnError> {
    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::ManageStore,
    )
    .await?;
    // A store has a handful of regions: one page of the most there can be.
    let page = domain::pricing::list_regions(&ctx.db, 0, 100)
        .await
        .map_err(to_server_error)?;
    let ids: Vec<String> = page.regions.iter().map(|r| r.region.id.clone()).collect();
    let mut providers = domain::pricing::payment_providers_of(&ctx.db, &ids)
        .await
        .map_err(to_server_error)?;
    Ok(page
        .regions
        .into_iter()
        .map(|detail| RegionRow {
            providers: providers.remove(&detail.region.id).unwrap_or_default(),
            id: detail.region.id,
            name: detail.region.name,
            currency: detail.region.currency_code,
            automatic_capture: detail.region.automatic_capture,
        })
        .collect())
}

/// `capture` is "automatic" (when the order is placed) or "on_fulfilment".
#[server(endpoint = "/admin/regions/capture")]
pub async fn set_region_capture(region_id: String, capture: String) -> Result<(), ServerFnError> {
    use domain::{DomainError, pricing};

    use crate::server_context::*;
    let ctx = server_context()?;
    require_admin(
        &session().await?,
        domain::admin_users::Permission::PaymentSettings,
    )
    .await?;
    let automatic = match capture.as_str() {
        "automatic" => true,
        "on_fulfilment" => false,
        other => {
            return Err(to_server_error(DomainError::Invalid(format!(
                "{other:?} is not a capture setting; automatic or on_fulfilment"
            ))));
        }
    };
    pricing::update_region(
        &ctx.db,
        &region_id,
        pricing::RegionChanges {
            automatic_capture: Some(automatic),
            ..Default::default()
        },
    )
    .await
    .map_err(to_server_error)?;
    leptos_axum::redirect(REGIONS_PATH);
    Ok(())
}

#[component]
pub fn RegionsPage() -> impl IntoView {
    let save = ServerAction::<SetRegionCapture>::new();
    let regions = Resource::new(move || save.version().get(), |_| list_region_rows());
    let error = move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| crate::components::plain_error(&e))
    };
    view! {
        <h1>"Regions"</h1>
        {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading regions…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    regions
                        .await
                        .map(|rows| {
                            view! {
                                <table class="data">
                                    <thead><tr><th>"Region"</th><th>"Currency"</th><th>"Payment providers"</th><th>"Capture"</th></tr></thead>
                                    <tbody>
                                        {rows.into_iter().map(|r| view! { <RegionLine region=r save /> }).collect_view()}
                                    </tbody>
                                </table>
                            }
                        })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn RegionLine(region: RegionRow, save: ServerAction<SetRegionCapture>) -> impl IntoView {
    let automatic = region.automatic_capture;
    let id = region.id.clone();
    view! {
        <tr data-region=id>
            <td>{region.name}</td>
            <td>{region.currency.to_uppercase()}</td>
            <td>{region.providers.join(", ")}</td>
            <td>
                <ActionForm action=save attr:class="inline" attr:data-testid="capture-setting">
                    <input type="hidden" name="region_id" value=region.id />
                    <select name="capture" aria-label="Capture">
                        <option value="on_fulfilment" selected=!automatic>"On fulfilment"</option>
                        <option value="automatic" selected=automatic>"Automatically, when the order is placed"</option>
                    </select>
                    <button type="submit" disabled=move || save.pending().get()>"Save"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
