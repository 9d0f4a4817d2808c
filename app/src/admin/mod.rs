//! The operators' dashboard. Every page below `/admin` needs a signed-in admin.

pub mod alerts;
pub mod channels;
pub mod customer_groups;
pub mod customers;
pub mod device_detail;
pub mod devices;
pub mod inventory;
pub mod invite;
pub mod login;
pub mod loyalty;
pub mod notifications;
pub mod order_fulfilment;
pub mod orders;
pub mod overview;
pub mod payments;
pub mod product_options;
pub mod products;
pub mod promotions;
pub mod regions;
pub mod restock;
pub mod return_reasons;
pub mod returns;
pub mod reviews;
pub mod shipping;
pub mod store_settings;
pub mod users;
pub mod vending_sessions;

use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};
use serde::{Deserialize, Serialize};

use crate::components::ErrorNotice;
use login::{AdminLogout, AdminSignOutEverywhere};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminIdentity {
    pub email: String,
    pub role: String,
    /// What the role may open, for the navigation only: each page's server
    /// functions check the role again.
    pub may_manage_store: bool,
    pub may_manage_users: bool,
}

/// Who is signed in, if anyone (a user disabled or deleted since is no one).
#[server(endpoint = "/admin/me")]
pub async fn current_admin() -> Result<Option<AdminIdentity>, ServerFnError> {
    use crate::{server_context::*, session_keys};
    use domain::{
        DomainError,
        admin_users::{self, Permission},
    };
    let ctx = server_context()?;
    let session = session().await?;
    let Some(id) = session
        .get::<String>(session_keys::ADMIN_USER_ID)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?
    else {
        return Ok(None);
    };
    let user = match admin_users::signed_in(&ctx.db, &id).await {
        Ok(user) => user,
        Err(DomainError::Unauthorized(_)) => return Ok(None),
        Err(e) => return Err(to_server_error(e)),
    };
    Ok(Some(AdminIdentity {
        email: user.email,
        role: user.role.name().to_owned(),
        may_manage_store: user.role.may(Permission::ManageStore),
        may_manage_users: user.role.may(Permission::ManageUsers),
    }))
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
                                let store = who.may_manage_store;
                                // A technician's home is the devices: the overview is the store's.
                                let home = if store { "/admin" } else { login::ADMIN_HOME };
                                view! {
                                    <header class="site-header admin">
                                        <A href=home attr:class="brand">"Automat admin"</A>
                                        <nav data-role={who.role.clone()} aria-label="Admin">
                                            // Grouped as an operator thinks of the work, so the
                                            // twenty links read as five short rows on a phone.
                                            <span class="nav-group" role="group" aria-label="Fleet">
                                                <span class="nav-label" aria-hidden="true">"Fleet"</span>
                                                {store.then(|| view! { <A href=overview::OVERVIEW_PATH exact=true>"Overview"</A> })}
                                                <A href="/admin/devices">"Devices"</A>
                                                <A href=vending_sessions::SESSIONS_PATH>"Sessions"</A>
                                                <A href=restock::PICK_LIST_PATH attr:data-testid="pick-list-nav">"Pick list"</A>
                                                {store.then(|| view! {
                                                    <A href=reviews::REVIEWS_PATH attr:data-testid="reviews-nav">"Review"</A>
                                                    <A href=alerts::ALERTS_PATH>"Alerts"</A>
                                                })}
                                            </span>
                                            {store.then(|| view! {
                                                <span class="nav-group" role="group" aria-label="Sales">
                                                    <span class="nav-label" aria-hidden="true">"Sales"</span>
                                                    <A href="/admin/orders">"Orders"</A>
                                                    <A href=returns::RETURNS_PATH>"Returns"</A>
                                                    <A href=payments::PAYMENTS_PATH>"Payments"</A>
                                                    <A href=notifications::NOTIFICATIONS_PATH attr:data-testid="notifications-nav">"Notifications"</A>
                                                </span>
                                                <span class="nav-group" role="group" aria-label="Catalog">
                                                    <span class="nav-label" aria-hidden="true">"Catalog"</span>
                                                    <A href=products::PRODUCTS_PATH>"Products"</A>
                                                    <A href=promotions::PROMOTIONS_PATH attr:data-testid="promotions-nav">"Promotions"</A>
                                                    <A href=inventory::INVENTORY_PATH attr:data-testid="inventory-nav">"Inventory"</A>
                                                </span>
                                                <span class="nav-group" role="group" aria-label="Customers">
                                                    <span class="nav-label" aria-hidden="true">"Customers"</span>
                                                    <A href="/admin/customers">"Customers"</A>
                                                    <A href=customer_groups::CUSTOMER_GROUPS_PATH>"Groups"</A>
                                                    <A href=loyalty::CONFIG_PATH attr:data-testid="loyalty-nav">"Loyalty"</A>
                                                </span>
                                                <span class="nav-group" role="group" aria-label="Settings">
                                                    <span class="nav-label" aria-hidden="true">"Settings"</span>
                                                    <A href=store_settings::SETTINGS_PATH>"Store"</A>
                                                    <A href=regions::REGIONS_PATH>"Regions"</A>
                                                    <A href=shipping::SHIPPING_PATH attr:data-testid="shipping-nav">"Shipping"</A>
                                                    <A href=channels::SALES_CHANNELS_PATH>"Channels"</A>
                                                    <A href=channels::STOCK_LOCATIONS_PATH>"Locations"</A>
                                                    <A href=channels::API_KEYS_PATH>"API keys"</A>
                                                    <A href=return_reasons::RETURN_REASONS_PATH>"Return reasons"</A>
                                                </span>
                                            })}
                                            <span class="nav-group" role="group" aria-label="Account">
                                                {who.may_manage_users.then(|| view! { <A href=users::USERS_PATH attr:data-testid="users-nav">"Users"</A> })}
                                            <span class="muted" data-testid="admin-email">{who.email}</span>
                                            <ActionForm action=logout attr:class="inline">
                                                <button type="submit" class="link">"Sign out"</button>
                                            </ActionForm>
                                            <ActionForm action=sign_out_everywhere attr:class="inline">
                                                <button type="submit" class="link">"Sign out everywhere"</button>
                                            </ActionForm>
                                            </span>
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
