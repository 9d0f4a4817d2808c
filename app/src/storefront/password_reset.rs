//! Forgotten passwords: ask for a reset link by email, then choose a new
//! password with it. Plain forms, so they work before the page hydrates.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use super::account::form_error;

/// The page the reset email links to (with `?token=…&email=…`).
pub const RESET_PASSWORD_PATH: &str = "/account/reset-password";

#[server(endpoint = "/account/forgot-password")]
pub async fn request_password_reset(email: String) -> Result<(), ServerFnError> {
    use domain::{credentials::Email, customers::password_reset, rate_limits::Rule};

    use crate::server_context::*;
    let ctx = server_context()?;
    admit(Rule::PasswordReset, &email).await?;
    let email = Email::parse(&email).map_err(to_server_error)?;
    password_reset::request(&ctx.db, &email)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect("/account/forgot-password?sent=1");
    Ok(())
}

#[server(endpoint = "/account/reset-password")]
pub async fn reset_password(
    token: String,
    email: String,
    password: String,
) -> Result<(), ServerFnError> {
    use domain::{
        credentials::{Email, Password},
        customers::password_reset,
    };

    use crate::server_context::*;
    let ctx = server_context()?;
    let parsed = Email::parse(&email).and_then(|email| Ok((email, Password::parse(&password)?)));
    let (email, password) = parsed.map_err(to_server_error)?;
    password_reset::complete(&ctx.db, &token, &email, &password)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect("/account/login?reset=1");
    Ok(())
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let request = ServerAction::<RequestPasswordReset>::new();
    let error = form_error(request.value());
    let sent = use_query_map().read_untracked().get("sent").is_some();
    view! {
        <section class="narrow">
            <h1>"Forgot your password?"</h1>
            {sent.then(|| view! {
                <p class="notice" role="status" data-testid="reset-sent">
                    "If an account uses that email, a link to choose a new password is on its way. It works once, for 15 minutes."
                </p>
            })}
            <ActionForm action=request attr:class="stacked">
                <label>"Email" <input type="email" name="email" autocomplete="username" required /></label>
                <button type="submit" disabled=move || request.pending().get()>"Email me a link"</button>
            </ActionForm>
            {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
            <p><A href="/account/login">"Back to sign in"</A></p>
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let reset = ServerAction::<ResetPassword>::new();
    let error = form_error(reset.value());
    let query = use_query_map().read_untracked();
    let token = query.get("token").unwrap_or_default();
    let email = query.get("email").unwrap_or_default();
    view! {
        <section class="narrow">
            <h1>"Choose a new password"</h1>
            {if token.is_empty() {
                view! {
                    <p class="notice error" role="alert">
                        "This page needs the link from your reset email. "
                        <A href="/account/forgot-password">"Ask for a new one"</A>
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <ActionForm action=reset attr:class="stacked">
                        <input type="hidden" name="token" value=token />
                        <label>"Email" <input type="email" name="email" autocomplete="username" value=email required /></label>
                        <label>"New password" <input type="password" name="password" autocomplete="new-password" minlength="8" required /></label>
                        <button type="submit" disabled=move || reset.pending().get()>"Set password"</button>
                    </ActionForm>
                }
                    .into_any()
            }}
            {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        </section>
    }
}
