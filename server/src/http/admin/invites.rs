//! `/admin/invites`: Medusa's invites, with Automat's `role`. The token is
//! never in an answer: it is mailed (`notifications::InviteEmails`) and kept
//! only hashed.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::admin_users::{Email, Names, Password, Role, invite, invites};
use serde::{Deserialize, Serialize};

use super::{Deleted, Listing, one, users::AdminUser};
use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

/// The role of an invite that names none: the least one, so an invite sent
/// by a Medusa client (which knows no roles) gives away nothing by default.
const DEFAULT_ROLE: Role = Role::Technician;

/// Medusa's `AdminInvite` (its `token` left out), with `role`.
#[derive(Serialize)]
pub struct AdminInvite {
    id: String,
    email: String,
    role: Role,
    accepted: bool,
    expires_at: DateTime<Utc>,
    metadata: Option<serde_json::Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

impl From<invite::Model> for AdminInvite {
    fn from(invite: invite::Model) -> Self {
        Self {
            id: invite.id,
            email: invite.email,
            role: invite.role,
            accepted: invite.accepted_at.is_some(),
            expires_at: invite.expires_at,
            metadata: None,
            created_at: invite.created_at,
            updated_at: invite.updated_at,
            deleted_at: None,
        }
    }
}

#[derive(Deserialize)]
pub struct CreateInvite {
    email: String,
    role: Option<String>,
}

pub async fn create(
    admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<CreateInvite>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let email = Email::parse(&body.email)?;
    let role = match body.role.as_deref() {
        Some(role) => Role::parse(role)?,
        None => DEFAULT_ROLE,
    };
    let invite = invites::create(&state.db, &admin.id, &email, role).await?;
    Ok(one("invite", AdminInvite::from(invite)))
}

pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminInvite>>, ApiError> {
    let (offset, limit) = params.page()?;
    let page = invites::list_page(&state.db, offset, limit).await?;
    Ok(Listing::of("invites", page, AdminInvite::from))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let invite = invites::find(&state.db, &id).await?;
    Ok(one("invite", AdminInvite::from(invite)))
}

pub async fn delete(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    invites::delete(&state.db, &id).await?;
    Ok(Deleted::of("invite", id))
}

pub async fn resend(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let invite = invites::resend(&state.db, &id).await?;
    Ok(one("invite", AdminInvite::from(invite)))
}

/// Medusa's `AdminAcceptInvite` (`email` is the invite's; one sent must
/// match), with the new user's `password`: Automat takes it here instead of
/// from an earlier `/auth/user/emailpass/register`.
#[derive(Deserialize)]
pub struct AcceptInvite {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    password: Option<String>,
}

/// Creates the invited admin user; the token (`?token=`) works once.
pub async fn accept(
    State(state): State<AppState>,
    params: Params,
    body: Result<Json<AcceptInvite>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let token = params
        .text("token")?
        .ok_or_else(|| ApiError::unauthorized("the invite's token (?token=) is required"))?;
    let password = body.password.as_deref().ok_or_else(|| {
        ApiError::invalid_data("password is required: it becomes the new admin user's password")
    })?;
    let password = Password::parse(password)?;
    let names = Names::parse(body.first_name.as_deref(), body.last_name.as_deref())?;
    let email = body.email.as_deref().map(Email::parse).transpose()?;
    let user = invites::accept(&state.db, &token, email.as_ref(), names, &password).await?;
    Ok(one("user", AdminUser::from(user)))
}
