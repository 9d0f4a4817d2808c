//! The team: admin users with their roles, and open invites. Owners only
//! (the server functions check `Permission::ManageUsers`, as the Admin API's
//! `/admin/users` and `/admin/invites` do). Plain forms: all of it works
//! without JavaScript.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::ErrorNotice;

pub const USERS_PATH: &str = "/admin/users";
/// The roles, as stored and as the forms send them.
pub const ROLES: [&str; 3] = ["owner", "operator", "technician"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub disabled: bool,
    pub is_me: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteRow {
    pub id: String,
    pub email: String,
    pub role: String,
    /// "accepted", "expired" or "open until …".
    pub state: String,
    pub accepted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub users: Vec<UserRow>,
    pub invites: Vec<InviteRow>,
}

/// At most this many users and invites are shown: a team, not a customer base.
#[cfg(feature = "ssr")]
const SHOWN: u64 = 100;

#[server(endpoint = "/admin/users/team")]
pub async fn load_team() -> Result<Team, ServerFnError> {
    use crate::server_context::*;
    use domain::admin_users::{self, Permission, invites};
    let ctx = server_context()?;
    let me = require_admin(&session().await?, Permission::ManageUsers).await?;
    let users = admin_users::list_page(&ctx.db, None, 0, SHOWN)
        .await
        .map_err(to_server_error)?;
    let invites = invites::list_page(&ctx.db, 0, SHOWN)
        .await
        .map_err(to_server_error)?;
    let now = chrono::Utc::now();
    Ok(Team {
        users: users
            .items
            .into_iter()
            .map(|u| UserRow {
                name: [u.first_name, u.last_name]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
                is_me: u.id == me,
                id: u.id,
                email: u.email,
                role: u.role.name().to_owned(),
                disabled: u.disabled_at.is_some(),
            })
            .collect(),
        invites: invites
            .items
            .into_iter()
            .map(|i| InviteRow {
                state: match i.accepted_at {
                    Some(_) => "accepted".to_owned(),
                    None if i.expires_at <= now => "expired".to_owned(),
                    None => format!("open until {}", i.expires_at.format("%Y-%m-%d %H:%M UTC")),
                },
                accepted: i.accepted_at.is_some(),
                id: i.id,
                email: i.email,
                role: i.role.name().to_owned(),
            })
            .collect(),
    })
}

/// Sends an invite by email.
#[server(endpoint = "/admin/users/invite")]
pub async fn invite_user(email: String, role: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    use domain::admin_users::{Email, Permission, Role, invites};
    let ctx = server_context()?;
    let me = require_admin(&session().await?, Permission::ManageUsers).await?;
    let email = Email::parse(&email).map_err(to_server_error)?;
    let role = Role::parse(&role).map_err(to_server_error)?;
    invites::create(&ctx.db, &me, &email, role)
        .await
        .map_err(to_server_error)?;
    leptos_axum::redirect(USERS_PATH);
    Ok(())
}

/// One change to an admin user: `op` is `role` (to `role`), `disable`,
/// `enable` or `delete`.
#[server(endpoint = "/admin/users/change")]
pub async fn change_user(
    id: String,
    op: String,
    #[server(default)] role: String,
) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    use domain::{
        DomainError,
        admin_users::{self, Changes, Permission, Role},
    };
    let ctx = server_context()?;
    let me = require_admin(&session().await?, Permission::ManageUsers).await?;
    let changes = match op.as_str() {
        "role" => Some(Changes {
            role: Some(Role::parse(&role).map_err(to_server_error)?),
            ..Default::default()
        }),
        "disable" | "enable" => Some(Changes {
            disabled: Some(op == "disable"),
            ..Default::default()
        }),
        "delete" => None,
        other => {
            return Err(to_server_error(DomainError::Invalid(format!(
                "unknown change {other:?}"
            ))));
        }
    };
    let done = match changes {
        Some(changes) => admin_users::update(&ctx.db, &me, &id, changes)
            .await
            .map(drop),
        None => admin_users::delete(&ctx.db, &me, &id).await,
    };
    done.map_err(to_server_error)?;
    leptos_axum::redirect(USERS_PATH);
    Ok(())
}

/// `op`: `resend` the invite's email (a new link), or `withdraw` it.
#[server(endpoint = "/admin/users/invites/change")]
pub async fn change_invite(id: String, op: String) -> Result<(), ServerFnError> {
    use crate::server_context::*;
    use domain::{
        DomainError,
        admin_users::{Permission, invites},
    };
    let ctx = server_context()?;
    require_admin(&session().await?, Permission::ManageUsers).await?;
    let done = match op.as_str() {
        "resend" => invites::resend(&ctx.db, &id).await.map(drop),
        "withdraw" => invites::delete(&ctx.db, &id).await,
        other => Err(DomainError::Invalid(format!("unknown change {other:?}"))),
    };
    done.map_err(to_server_error)?;
    leptos_axum::redirect(USERS_PATH);
    Ok(())
}

/// An action's error, as the person reads it.
fn failure(value: Option<Result<(), ServerFnError>>) -> Option<String> {
    value
        .and_then(|r| r.err())
        .map(|e| crate::components::plain_error(&e))
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let invite = ServerAction::<InviteUser>::new();
    let change = ServerAction::<ChangeUser>::new();
    let change_invite = ServerAction::<ChangeInvite>::new();
    let team = Resource::new(
        move || {
            (
                invite.version().get(),
                change.version().get(),
                change_invite.version().get(),
            )
        },
        |_| load_team(),
    );
    let error = move || {
        failure(invite.value().get())
            .or_else(|| failure(change.value().get()))
            .or_else(|| failure(change_invite.value().get()))
    };
    view! {
        <h1>"Users"</h1>
        {move || error().map(|e| view! { <p class="notice error" role="alert" data-testid="users-error">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading users…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors=errors /> }>
                {move || Suspend::new(async move {
                    team.await.map(|team| view! { <TeamTables team change change_invite /> })
                })}
            </ErrorBoundary>
        </Transition>
        <h2>"Invite someone"</h2>
        <ActionForm action=invite attr:class="stacked" attr:data-testid="invite-form">
            <label>"Email" <input type="email" name="email" required /></label>
            <label>"Role" <RoleSelect selected="technician" /></label>
            <p class="muted">"Owners may do everything; operators everything but users and payment settings; technicians see devices, open them for service, restock and read vending sessions."</p>
            <button type="submit" disabled=move || invite.pending().get()>"Send invite"</button>
        </ActionForm>
    }
}

#[component]
fn RoleSelect(selected: &'static str) -> impl IntoView {
    view! {
        <select name="role">
            {ROLES
                .into_iter()
                .map(|role| view! { <option value=role selected={role == selected}>{role}</option> })
                .collect_view()}
        </select>
    }
}

#[component]
fn TeamTables(
    team: Team,
    change: ServerAction<ChangeUser>,
    change_invite: ServerAction<ChangeInvite>,
) -> impl IntoView {
    let users = team
        .users
        .into_iter()
        .map(|u| {
            let (id_role, id_state, id_delete) = (u.id.clone(), u.id.clone(), u.id.clone());
            let toggle = if u.disabled { "enable" } else { "disable" };
            let current = u.role.clone();
            view! {
                <tr data-testid="user-row" data-user={u.id.clone()} data-role={u.role.clone()}>
                    <td>{u.email}{u.is_me.then(|| view! { <span class="muted">" (you)"</span> })}</td>
                    <td>{u.name}</td>
                    <td>
                        <ActionForm action=change attr:class="inline">
                            <input type="hidden" name="id" value=id_role />
                            <input type="hidden" name="op" value="role" />
                            <select name="role">
                                {ROLES
                                    .into_iter()
                                    .map(|role| view! { <option value=role selected={role == current}>{role}</option> })
                                    .collect_view()}
                            </select>
                            <button type="submit">"Change role"</button>
                        </ActionForm>
                    </td>
                    <td>{if u.disabled { "disabled" } else { "active" }}</td>
                    <td>
                        <ActionForm action=change attr:class="inline">
                            <input type="hidden" name="id" value=id_state />
                            <input type="hidden" name="op" value=toggle />
                            <button type="submit">{if u.disabled { "Enable" } else { "Disable" }}</button>
                        </ActionForm>
                        <ActionForm action=change attr:class="inline">
                            <input type="hidden" name="id" value=id_delete />
                            <input type="hidden" name="op" value="delete" />
                            <button type="submit" class="danger">"Delete"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let invites = team
        .invites
        .into_iter()
        .map(|i| {
            let (resend_id, withdraw_id) = (i.id.clone(), i.id.clone());
            view! {
                <tr data-testid="invite-row" data-invite={i.id.clone()}>
                    <td>{i.email}</td>
                    <td>{i.role}</td>
                    <td>{i.state}</td>
                    <td>
                        {(!i.accepted).then(|| view! {
                            <ActionForm action=change_invite attr:class="inline">
                                <input type="hidden" name="id" value=resend_id />
                                <input type="hidden" name="op" value="resend" />
                                <button type="submit">"Resend"</button>
                            </ActionForm>
                        })}
                        <ActionForm action=change_invite attr:class="inline">
                            <input type="hidden" name="id" value=withdraw_id />
                            <input type="hidden" name="op" value="withdraw" />
                            <button type="submit">"Withdraw"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data" data-testid="users">
            <thead><tr><th>"Email"</th><th>"Name"</th><th>"Role"</th><th>"State"</th><th></th></tr></thead>
            <tbody>{users}</tbody>
        </table>
        <h2>"Invites"</h2>
        <table class="data" data-testid="invites">
            <thead><tr><th>"Email"</th><th>"Role"</th><th>"State"</th><th></th></tr></thead>
            <tbody>{invites}</tbody>
        </table>
    }
}
