//! Widgets shared by the storefront and the admin.

pub mod charts;
mod money;
mod totals;

pub use money::format_money;
pub use totals::{Totals, TotalsBreakdown};

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="page narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. "<a href="/">"Back to the shop"</a></p>
        </main>
    }
}

/// A server error shown where the content would have been.
#[component]
pub fn ErrorNotice(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <div class="notice error" role="alert">
            <p>"Something went wrong:"</p>
            <ul>
                {move || {
                    errors.get().into_iter().map(|(_, e)| view! { <li>{e.to_string()}</li> }).collect_view()
                }}
            </ul>
        </div>
    }
}

/// What a failed server function says, as a person reads it (without
/// Leptos's "error running server function" prefix).
pub fn plain_error(error: &ServerFnError) -> String {
    error
        .to_string()
        .replace("error running server function: ", "")
}
