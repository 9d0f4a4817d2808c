//! Signing in and out.

use leptos::prelude::*;

/// Checks the credentials and starts an admin session.
#[server(endpoint = "/admin/login")]
pub async fn admin_login(email: String, password: String) -> Result<(), ServerFnError> {
    use crate::{server_context::*, session_keys};
    let ctx = server_context()?;
    let session = session().await?;
    let user = domain::admin_users::authenticate(&ctx.db, &email, &password)
        .await
        .map_err(to_server_error)?;
    // A new id on sign-in, so a session fixed before sign-in is worthless after it.
    session
        .cycle_id()
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    session
        .insert(session_keys::ADMIN_USER_ID, user.id)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    leptos_axum::redirect("/admin/devices");
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

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<AdminLogin>::new();
    let error = move || {
        login
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string().replace("error running server function: ", ""))
    };
    view! {
        <main class="page narrow">
            <h1>"Sign in to Automat admin"</h1>
            <ActionForm action=login attr:class="stacked">
                <label>"Email" <input type="email" name="email" autocomplete="username" required /></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required /></label>
                <button type="submit" disabled=move || login.pending().get()>"Sign in"</button>
            </ActionForm>
            {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        </main>
    }
}
