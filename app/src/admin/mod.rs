//! The operators' dashboard. Every page below `/admin` needs a signed-in admin.

pub mod alerts;
pub mod customers;
pub mod device_detail;
pub mod devices;
pub mod login;
pub mod loyalty;
pub mod orders;
pub mod overview;
pub mod payments;
pub mod products;
pub mod regions;
pub mod reviews;
pub mod vending_sessions;

use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};
use serde::{Deserialize, Serialize};

use crate::components::ErrorNotice;
use login::{AdminLogout, AdminSignOutEverywhere};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminIdentity {
    pub email: String,
}

/// Who is signed in, if anyone.
#[server(endpoint = "/admin/me")]
pub async fn current_admin() -> Result<Option<AdminIdentity>, ServerFnError> {
    use crate::{server_context::*, session_keys};
    let ctx = server_context()?;
    let session = session().await?;
    let Some(id) = session
        .get::<String>(session_keys::ADMIN_USER_ID)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?
    else {
        return Ok(None);
    };
    let user = domain::admin_users::find_by_id(&ctx.db, &id)
        .await
        .map_err(to_server_error)?;
    Ok(user.map(|u| AdminIdentity { email: u.email }))
}

/// The login page, which sends the admin back to this page once signed in.
fn sign_in_then_back() -> String {
    let location = leptos_router::hooks::use_location();
    let here = format!(
        "{}{}",
        location.pathname.get_untracked(),
        location.search.get_untracked()
    );
    format!("/admin/login?next={}", crate::redirects::query_value(&here))
}

#[component]
pub fn AdminLayout() -> impl IntoView {
    let admin = Resource::new(|| (), |_| current_admin());
    let logout = ServerAction::<AdminLogout>::new();
    let sign_out_everywhere = ServerAction::<AdminSignOutEverywhere>::new();
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    admin
                        .await
                        .map(|who| match who {
                            None => view! { <Redirect path=sign_in_then_back() /> }.into_any(),
                            Some(who) => {
                                view! {
                                    <header class="site-header admin">
                                        <A href="/admin" attr:class="brand">"Automat admin"</A>
                                        <nav>
                                            <A href=overview::OVERVIEW_PATH exact=true>"Overview"</A>
                                            <A href="/admin/devices">"Devices"</A>
                                            <A href=vending_sessions::SESSIONS_PATH>"Sessions"</A>
                                            <A href="/admin/orders">"Orders"</A>
                                            <A href=payments::PAYMENTS_PATH>"Payments"</A>
                                            <A href=regions::REGIONS_PATH>"Regions"</A>
                                            <A href=reviews::REVIEWS_PATH attr:data-testid="reviews-nav">"Review"</A>
                                            <A href="/admin/customers">"Customers"</A>
                                            <A href=products::PRODUCTS_PATH>"Products"</A>
                                            <A href=loyalty::CONFIG_PATH attr:data-testid="loyalty-nav">"Loyalty"</A>
                                            <A href=alerts::ALERTS_PATH>"Alerts"</A>
                                            <span class="muted" data-testid="admin-email">{who.email}</span>
                                            <ActionForm action=logout attr:class="inline">
                                                <button type="submit" class="link">"Sign out"</button>
                                            </ActionForm>
                                            <ActionForm action=sign_out_everywhere attr:class="inline">
                                                <button type="submit" class="link">"Sign out everywhere"</button>
                                            </ActionForm>
                                        </nav>
                                    </header>
                                    <main class="page">
                                        <Outlet />
                                    </main>
                                }
                                    .into_any()
                            }
                        })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
