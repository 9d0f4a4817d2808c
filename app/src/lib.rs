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
        customers::CustomersPage,
        device_detail::DevicePage,
        devices::DevicesPage,
        invite::AcceptInvitePage,
        login::LoginPage,
        loyalty::{LoyaltyConfigPage, LoyaltySessionsPage},
        orders::{AdminOrderPage, OrdersPage},
        overview::OverviewPage,
        payments::PaymentsPage,
        products::{ProductEditorPage, ProductsPage},
        regions::RegionsPage,
        reviews::ReviewsPage,
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
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let inline = nonce.map_or_else(String::new, |nonce| format!(" 'nonce-{nonce}'"));
    format!(
        "default-src 'self'; script-src 'self'{inline} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // leptos marks the inline scripts it writes into this page with a fresh
    // nonce; the page's policy allows that nonce's scripts only.
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(policy) = http::HeaderValue::from_str(&content_security_policy(
            leptos::nonce::use_nonce().as_deref(),
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
                    <Route path=path!("regions") view=RegionsPage ssr=SsrMode::Async />
                    <Route path=path!("customers") view=CustomersPage ssr=SsrMode::Async />
                    <Route path=path!("products") view=ProductsPage ssr=SsrMode::Async />
                    <Route path=path!("products/:id") view=ProductEditorPage ssr=SsrMode::Async />
                    <Route path=path!("loyalty/config") view=LoyaltyConfigPage ssr=SsrMode::Async />
                    <Route path=path!("loyalty/sessions") view=LoyaltySessionsPage ssr=SsrMode::Async />
                    <Route path=path!("alerts") view=AlertsPage ssr=SsrMode::Async />
                    <Route path=path!("users") view=UsersPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
