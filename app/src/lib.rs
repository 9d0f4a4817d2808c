//! The Leptos application: storefront and admin dashboard, rendered on the
//! server and hydrated in the browser. Server functions here stay thin: they
//! check who is asking, call the domain crate, and shape the answer for a view.

pub mod admin;
pub mod components;
pub mod redirects;
pub mod session_keys;
pub mod storefront;

#[cfg(feature = "ssr")]
pub mod server_context;

use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::{
    admin::{
        AdminLayout,
        alerts::AlertsPage,
        channels::{ApiKeysPage, SalesChannelsPage, StockLocationsPage},
        customer_groups::CustomerGroupsPage,
        customers::{CustomerPage, CustomersPage},
        device_detail::DevicePage,
        devices::DevicesPage,
        inventory::{InventoryPage, ReservationsPage},
        invite::AcceptInvitePage,
        login::LoginPage,
        loyalty::{LoyaltyConfigPage, LoyaltySessionsPage},
        notifications::NotificationsPage,
        orders::{AdminOrderPage, OrdersPage},
        overview::OverviewPage,
        payments::PaymentsPage,
        products::{ProductEditorPage, ProductsPage},
        promotions::PromotionsPage,
        regions::RegionsPage,
        restock::PickListPage,
        return_reasons::ReturnReasonsPage,
        returns::ReturnsPage,
        reviews::ReviewsPage,
        shipping::ShippingPage,
        store_settings::StoreSettingsPage,
        users::UsersPage,
        vending_sessions::{VendingSessionPage, VendingSessionsPage},
    },
    components::NotFound,
    storefront::{
        StorefrontLayout,
        account::{AccountLoginPage, AccountPage, RegisterPage},
        cart::CartPage,
        checkout::{CheckoutPage, OrderPage},
        home::HomePage,
        machine::{MachinePage, MachinesPage, PurchasePage},
        password_reset::{ForgotPasswordPage, ResetPasswordPage},
        product::ProductPage,
    },
};

/// The content security policy of every response: scripts only from the
/// store itself, and a page's own inline scripts (the hydration start and the
/// data its resources loaded) by the page's `nonce`; WebAssembly compiled from
/// those scripts; styles, images and requests from the store; no plugins, no
/// foreign `<base>`, forms posting only here, and no framing by any site.
///
/// With `card_scripts` (the addresses the card forms load Stripe.js and
/// Finix.js from), each provider may also run its script, frame its card
/// field (and Stripe its 3-D Secure pages) and be asked for payments: the
/// providers' own origins, or a stand-in's.
pub fn content_security_policy(nonce: Option<&str>, card_scripts: &[&str]) -> String {
    let inline = nonce.map_or_else(String::new, |nonce| format!(" 'nonce-{nonce}'"));
    let (mut scripts, mut frames, mut requests) = (String::new(), String::new(), String::new());
    for origin in card_scripts.iter().filter_map(|url| origin_of(url)) {
        scripts.push_str(&format!(" {origin}"));
        frames.push_str(&format!(" {origin}"));
        match origin {
            // Stripe.js calls its API and frames its 3-D Secure pages from
            // origins of their own (https://docs.stripe.com/security/guide#content-security-policy).
            "https://js.stripe.com" => {
                frames.push_str(" https://hooks.stripe.com");
                requests.push_str(" https://api.stripe.com");
            }
            // Finix.js's frame sends the card to Finix itself; the page
            // only loads the script and frames the form.
            "https://js.finix.com" => {}
            stand_in => requests.push_str(&format!(" {stand_in}")),
        }
    }
    let frames = if frames.is_empty() {
        frames
    } else {
        format!("; frame-src{frames}")
    };
    format!(
        "default-src 'self'; script-src 'self'{inline} 'wasm-unsafe-eval'{scripts}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'{requests}; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'{frames}"
    )
}

/// `https://host:port` of an absolute http(s) URL, when it is one.
fn origin_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..host_end];
    // A policy source is space- and semicolon-separated: nothing may break out.
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    {
        return None;
    }
    Some(&url[..url.len() - rest.len() + host_end])
}

#[cfg(test)]
mod tests {
    use super::content_security_policy;

    #[test]
    fn stripe_may_run_frame_and_be_asked_only_when_configured() {
        let plain = content_security_policy(None, &[]);
        assert!(
            !plain.contains("stripe") && !plain.contains("frame-src"),
            "{plain}"
        );
        let real = content_security_policy(None, &["https://js.stripe.com/v3/"]);
        assert!(
            real.contains("script-src 'self' 'wasm-unsafe-eval' https://js.stripe.com;"),
            "{real}"
        );
        assert!(
            real.contains("frame-src https://js.stripe.com https://hooks.stripe.com"),
            "{real}"
        );
        assert!(
            real.contains("connect-src 'self' https://api.stripe.com;"),
            "{real}"
        );
        let local = content_security_policy(None, &["http://127.0.0.1:4242/v3/stripe.js"]);
        assert!(local.contains("frame-src http://127.0.0.1:4242"), "{local}");
        let both = content_security_policy(
            None,
            &[
                "https://js.stripe.com/v3/",
                "https://js.finix.com/v/2/finix.js",
            ],
        );
        assert!(
            both.contains("'wasm-unsafe-eval' https://js.stripe.com https://js.finix.com;")
                && both.contains(
                    "frame-src https://js.stripe.com https://hooks.stripe.com https://js.finix.com"
                )
                && both.contains("connect-src 'self' https://api.stripe.com;"),
            "{both}"
        );
        for hostile in [
            "javascript:alert(1)",
            "https://a.example;script-src *",
            "https:///x",
        ] {
            assert_eq!(
                content_security_policy(None, &[hostile]),
                plain,
                "{hostile}"
            );
        }
    }
}

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // leptos marks the inline scripts it writes into this page with a fresh
    // nonce; the page's policy allows that nonce's scripts only.
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(policy) = http::HeaderValue::from_str(&content_security_policy(
            leptos::nonce::use_nonce().as_deref(),
            &use_context::<server_context::ServerContext>()
                .map(|ctx| ctx.card_scripts)
                .unwrap_or_default()
                .urls(),
        ))
    {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, policy);
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="automat" href="/pkg/automat.css" />
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
        <Title text="Automat" />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                // Async: whole pages, so they work without JavaScript too.
                <ParentRoute path=path!("") view=StorefrontLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("search") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("products/:handle") view=ProductPage ssr=SsrMode::Async />
                    <Route path=path!("cart") view=CartPage ssr=SsrMode::Async />
                    <Route path=path!("checkout") view=CheckoutPage ssr=SsrMode::Async />
                    <Route path=path!("orders/:id") view=OrderPage ssr=SsrMode::Async />
                    <Route path=path!("account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("account/login") view=AccountLoginPage ssr=SsrMode::Async />
                    <Route path=path!("account/register") view=RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("account/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("account/reset-password") view=ResetPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("machines") view=MachinesPage ssr=SsrMode::Async />
                    <Route path=path!("machines/:id") view=MachinePage ssr=SsrMode::Async />
                    <Route path=path!("machines/:id/sessions/:session_id") view=PurchasePage ssr=SsrMode::Async />
                </ParentRoute>
                <Route path=path!("admin/login") view=LoginPage ssr=SsrMode::Async />
                <Route path=path!("admin/accept-invite") view=AcceptInvitePage ssr=SsrMode::Async />
                // Async so that a signed-out visitor gets a real redirect, not a page.
                <ParentRoute path=path!("admin") view=AdminLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=OverviewPage ssr=SsrMode::Async />
                    <Route path=path!("overview") view=OverviewPage ssr=SsrMode::Async />
                    <Route path=path!("devices") view=DevicesPage ssr=SsrMode::Async />
                    <Route path=path!("devices/:id") view=DevicePage ssr=SsrMode::Async />
                    <Route path=path!("vending/sessions") view=VendingSessionsPage ssr=SsrMode::Async />
                    <Route path=path!("vending/sessions/:id") view=VendingSessionPage ssr=SsrMode::Async />
                    <Route path=path!("orders") view=OrdersPage ssr=SsrMode::Async />
                    <Route path=path!("orders/:id") view=AdminOrderPage ssr=SsrMode::Async />
                    <Route path=path!("payments") view=PaymentsPage ssr=SsrMode::Async />
                    <Route path=path!("reviews") view=ReviewsPage ssr=SsrMode::Async />
                    <Route path=path!("pick-list") view=PickListPage ssr=SsrMode::Async />
                    <Route path=path!("regions") view=RegionsPage ssr=SsrMode::Async />
                    <Route path=path!("customers") view=CustomersPage ssr=SsrMode::Async />
                    <Route path=path!("customers/:id") view=CustomerPage ssr=SsrMode::Async />
                    <Route path=path!("customer-groups") view=CustomerGroupsPage ssr=SsrMode::Async />
                    <Route path=path!("products") view=ProductsPage ssr=SsrMode::Async />
                    <Route path=path!("products/:id") view=ProductEditorPage ssr=SsrMode::Async />
                    <Route path=path!("promotions") view=PromotionsPage ssr=SsrMode::Async />
                    <Route path=path!("return-reasons") view=ReturnReasonsPage ssr=SsrMode::Async />
                    <Route path=path!("shipping-options") view=ShippingPage ssr=SsrMode::Async />
                    <Route path=path!("returns") view=ReturnsPage ssr=SsrMode::Async />
                    <Route path=path!("settings") view=StoreSettingsPage ssr=SsrMode::Async />
                    <Route path=path!("sales-channels") view=SalesChannelsPage ssr=SsrMode::Async />
                    <Route path=path!("stock-locations") view=StockLocationsPage ssr=SsrMode::Async />
                    <Route path=path!("api-keys") view=ApiKeysPage ssr=SsrMode::Async />
                    <Route path=path!("loyalty/config") view=LoyaltyConfigPage ssr=SsrMode::Async />
                    <Route path=path!("loyalty/sessions") view=LoyaltySessionsPage ssr=SsrMode::Async />
                    <Route path=path!("alerts") view=AlertsPage ssr=SsrMode::Async />
                    <Route path=path!("notifications") view=NotificationsPage ssr=SsrMode::Async />
                    <Route path=path!("inventory") view=InventoryPage ssr=SsrMode::Async />
                    <Route path=path!("reservations") view=ReservationsPage ssr=SsrMode::Async />
                    <Route path=path!("users") view=UsersPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
