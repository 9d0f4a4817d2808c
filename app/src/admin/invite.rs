//! Accepting an invite: the mailed link leads here; the invitee chooses a
//! name and password and is signed in. A plain form: it works without
//! JavaScript.

use leptos::prelude::*;

/// The page the invite email links to, with `?token=`.
pub const ACCEPT_INVITE_PATH: &str = "/admin/accept-invite";

/// Creates the invited admin user (the token works once) and signs them in.
#[server(endpoint = "/admin/accept-invite")]
pub async fn accept_invite(
    token: String,
    #[server(default)] first_name: String,
    #[server(default)] last_name: String,
    password: String,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    use domain::admin_users::{Names, Password, invites};
    let ctx = server_context()?;
    let session = session().await?;
    let names = Names::parse(Some(first_name.as_str()), Some(last_name.as_str()))
        .map_err(to_server_error)?;
    let password = Password::parse(&password).map_err(to_server_error)?;
    let user = invites::accept(&ctx.db, &token, None, names, &password)
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
    leptos_axum::redirect(super::login::ADMIN_HOME);
    Ok(())
}

#[component]
pub fn AcceptInvitePage() -> impl IntoView {
    let accept = ServerAction::<AcceptInvite>::new();
    let token = leptos_router::hooks::use_query_map()
        .read_untracked()
        .get("token")
        .unwrap_or_default();
    let error = move || {
        accept
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| crate::components::plain_error(&e))
    };
    view! {
        <main class="page narrow">
            <h1>"Join the Automat admin"</h1>
            <p>"Choose your name and a password (at least 8 characters) to accept the invite."</p>
            <ActionForm action=accept attr:class="stacked" attr:data-testid="accept-invite-form">
                <input type="hidden" name="token" value=token />
                <label>"First name" <input type="text" name="first_name" autocomplete="given-name" /></label>
                <label>"Last name" <input type="text" name="last_name" autocomplete="family-name" /></label>
                <label>"Password" <input type="password" name="password" autocomplete="new-password" required /></label>
                <button type="submit" disabled=move || accept.pending().get()>"Accept the invite"</button>
            </ActionForm>
            {move || error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        </main>
    }
}
