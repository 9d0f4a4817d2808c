//! Signing in and out.

use leptos::prelude::*;

/// Where a signed-in admin goes when the sign-in was not asked for by a page.
pub const ADMIN_HOME: &str = "/admin/devices";

/// Checks the credentials and starts an admin session; then on to `next`
/// when it is a page of this site, else the admin home.
#[server(endpoint = "/admin/login")]
pub async fn admin_login(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::{redirects::same_site_path, server_context::*};
    let ctx = server_context()?;
    let session = session().await?;
    admit(domain::rate_limits::Rule::AdminSignIn, &email).await?;
    let user = domain::admin_users::authenticate(&ctx.db, &email, &password)
        .await
        .map_err(to_server_error)?;
    let who = SignIn::Admin {
        id: user.id,
        generation: user.sign_in_generation,
        at: chrono::Utc::now().timestamp(),
    };
    start_signed_in_session(&session, who)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    leptos_axum::redirect(
        next.as_deref()
            .and_then(same_site_path)
            .unwrap_or(ADMIN_HOME),
    );
    Ok(())
}

#[server(endpoint = "/admin/logout")]
pub async fn admin_logout() -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let session = session().await?;
    session
        .flush()
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    leptos_axum::redirect("/admin/login");
    Ok(())
}

/// Ends every sign-in of the admin user: each API token and dashboard
/// session, this one included.
#[server(endpoint = "/admin/sign-out-everywhere")]
pub async fn admin_sign_out_everywhere() -> Result<(), ServerFnError> {
    use crate::server_context::*;
    let session = session().await?;
    let account = domain::sign_ins::Account::AdminUser(
        require_admin(&session, domain::admin_users::Permission::OwnAccount).await?,
    );
    sign_out_everywhere(&session, &account, "/admin/login").await
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<AdminLogin>::new();
    let next = leptos_router::hooks::use_query_map()
        .read_untracked()
        .get("next");
    let error = move || {
        login
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| crate::components::plain_error(&e))
    };
    view! {
        <main class="page narrow">
            <h1>"Sign in to Automat admin"</h1>
            <ActionForm action=login attr:class="stacked">
                <label>"Email" <input type="email" name="email" autocomplete="username" required /></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required /></label>
                {next.map(|next| view! { <input type="hidden" name="next" value=next /> })}
                <button type="submit" disabled=move || login.pending().get()>"Sign in"</button>
            </ActionForm>
            {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        </main>
    }
}
