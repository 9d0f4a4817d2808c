//! `/admin/vending/…`: the session preview (open and recent sessions with
//! their timelines, force-close), service mode, scales and what is assigned
//! to them, and planogram sync. Not Medusa routes: Medusa has no machines.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::{
    DomainError,
    devices::protocol::{CommandKind, EventKind},
    vending::{
        device_command, device_session, scale, scale_assignment,
        scales::{self, Deposit, NewAssignment},
        session_event,
        sessions::{self, SessionFilter},
        settlement, state,
    },
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

#[derive(Serialize)]
pub struct AdminSession {
    id: String,
    device_id: String,
    hub_id: Option<String>,
    locker_id: Option<String>,
    mode: state::Mode,
    state: state::State,
    code: String,
    customer_id: Option<String>,
    currency_code: String,
    hold_amount: i64,
    payment_collection_id: Option<String>,
    payment_id: Option<String>,
    order_id: Option<String>,
    last_seq: i64,
    failure_reason: Option<String>,
    credit_amount: Option<i64>,
    /// A settled session an admin should look at (e.g. an unrecognized return).
    review_reason: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    door_opened_at: Option<DateTime<Utc>>,
    door_closed_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
}

impl From<device_session::Model> for AdminSession {
    fn from(s: device_session::Model) -> Self {
        Self {
            id: s.id,
            device_id: s.device_id,
            hub_id: s.hub_id,
            locker_id: s.locker_id,
            mode: s.mode,
            state: s.state,
            code: s.code,
            customer_id: s.customer_id,
            currency_code: s.currency_code,
            hold_amount: s.hold_amount,
            payment_collection_id: s.payment_collection_id,
            payment_id: s.payment_id,
            order_id: s.order_id,
            last_seq: s.last_seq,
            failure_reason: s.failure_reason,
            credit_amount: s.credit_amount,
            review_reason: s.review_reason,
            created_at: s.created_at,
            updated_at: s.updated_at,
            door_opened_at: s.door_opened_at,
            door_closed_at: s.door_closed_at,
            ended_at: s.ended_at,
        }
    }
}

#[derive(Serialize)]
pub struct AdminSessionEvent {
    id: String,
    seq: i64,
    message_id: String,
    kind: EventKind,
    /// The message as the device sent it.
    payload: Value,
    outcome: Option<String>,
    received_at: DateTime<Utc>,
}

impl From<session_event::Model> for AdminSessionEvent {
    fn from(e: session_event::Model) -> Self {
        Self {
            id: e.id,
            seq: e.seq,
            message_id: e.message_id,
            kind: e.kind,
            payload: serde_json::from_str(&e.payload).unwrap_or(Value::Null),
            outcome: e.outcome,
            received_at: e.received_at,
        }
    }
}

#[derive(Serialize)]
pub struct AdminCommand {
    id: String,
    device_id: String,
    session_id: Option<String>,
    kind: CommandKind,
    payload: Value,
    attempts: i32,
    created_at: DateTime<Utc>,
    acked_at: Option<DateTime<Utc>>,
    ack_ok: Option<bool>,
    ack_error: Option<String>,
}

impl From<device_command::Model> for AdminCommand {
    fn from(c: device_command::Model) -> Self {
        Self {
            id: c.id,
            device_id: c.device_id,
            session_id: c.session_id,
            kind: c.kind,
            payload: serde_json::from_str(&c.payload).unwrap_or(Value::Null),
            attempts: c.attempts,
            created_at: c.created_at,
            acked_at: c.acked_at,
            ack_ok: c.ack_ok,
            ack_error: c.ack_error,
        }
    }
}

#[derive(Serialize)]
pub struct SessionList {
    sessions: Vec<AdminSession>,
    count: u64,
    offset: u64,
    limit: u64,
}

/// `GET /admin/vending/sessions?device_id=&state[]=&offset=&limit=`, newest first.
pub async fn list_sessions(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    params: Params,
) -> Result<Json<SessionList>, ApiError> {
    let (offset, limit) = params.page()?;
    let states = params
        .list("state")?
        .iter()
        .map(|s| domain::states::parse(s, "a session state"))
        .collect::<Result<_, _>>()?;
    let filter = SessionFilter {
        device_id: params.text("device_id")?,
        states,
    };
    let (sessions, count) = sessions::list(&state.db, &filter, offset, limit).await?;
    Ok(Json(SessionList {
        sessions: sessions.into_iter().map(Into::into).collect(),
        count,
        offset,
        limit,
    }))
}

#[derive(Serialize)]
pub struct SessionDetail {
    session: AdminSession,
    /// Every message the device sent about it, in device order.
    events: Vec<AdminSessionEvent>,
    commands: Vec<AdminCommand>,
    /// A service visit's products put in (positive units) and taken out.
    restock_lines: Vec<AdminRestockLine>,
}

#[derive(Serialize)]
pub struct AdminRestockLine {
    variant_id: String,
    title: String,
    units: i32,
}

/// `GET /admin/vending/sessions/{id}`: the session and its timeline.
pub async fn retrieve_session(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    Path(id): Path<String>,
) -> Result<Json<SessionDetail>, ApiError> {
    let session = sessions::find(&state.db, &id).await?;
    let events = sessions::events_of(&state.db, &id).await?;
    let commands = sessions::commands_of(&state.db, &id).await?;
    let restock_lines = settlement::restock_lines(&state.db, &id).await?;
    Ok(Json(SessionDetail {
        session: session.into(),
        events: events.into_iter().map(Into::into).collect(),
        commands: commands.into_iter().map(Into::into).collect(),
        restock_lines: restock_lines
            .into_iter()
            .map(|l| AdminRestockLine {
                variant_id: l.variant_id,
                title: l.title,
                units: l.units,
            })
            .collect(),
    }))
}

#[derive(Serialize)]
pub struct SessionResponse {
    session: AdminSession,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseSession {
    reason: String,
}

/// `POST /admin/vending/sessions/{id}/close {reason}`: ends it without charging.
pub async fn close_session(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    Path(id): Path<String>,
    body: Result<Json<CloseSession>, JsonRejection>,
) -> Result<Json<SessionResponse>, ApiError> {
    let Json(body) = body?;
    let session = state.vending.force_close(&id, &body.reason).await?;
    Ok(Json(SessionResponse {
        session: session.into(),
    }))
}

/// `POST /admin/vending/machines/{device_id}/service`: opens the machine in
/// service mode; closing its door ends service mode and books the restock.
pub async fn open_service(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    Path(device_id): Path<String>,
) -> Result<Json<SessionResponse>, ApiError> {
    let session = state.vending.open_service(&device_id).await?;
    Ok(Json(SessionResponse {
        session: session.into(),
    }))
}

#[derive(Serialize)]
pub struct CommandResponse {
    command: AdminCommand,
}

/// `POST /admin/vending/machines/{device_id}/sync`: sends the planogram and
/// answers once the machine acknowledged (or every attempt went unanswered).
pub async fn sync_planogram(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    Path(device_id): Path<String>,
) -> Result<Json<CommandResponse>, ApiError> {
    let command = state.vending.sync_planogram(&device_id).await?;
    Ok(Json(CommandResponse {
        command: command.into(),
    }))
}

#[derive(Serialize)]
pub struct AdminScale {
    id: String,
    device_id: String,
    position: i32,
    noise_grams: i32,
    products: Vec<AdminAssignment>,
}

#[derive(Serialize)]
pub struct AdminAssignment {
    id: String,
    scale_id: String,
    variant_id: String,
    unit_weight_g: i32,
    min_weight_g: i32,
    max_weight_g: i32,
    /// Minor units per empty container returned; 0 without a deposit.
    deposit_amount: i64,
    container_weight_g: Option<i32>,
}

impl From<scale_assignment::Model> for AdminAssignment {
    fn from(a: scale_assignment::Model) -> Self {
        Self {
            id: a.id,
            scale_id: a.scale_id,
            variant_id: a.variant_id,
            unit_weight_g: a.unit_weight_grams,
            min_weight_g: a.min_weight_grams,
            max_weight_g: a.max_weight_grams,
            deposit_amount: a.deposit_amount,
            container_weight_g: a.container_weight_grams,
        }
    }
}

fn admin_scale(scale: scale::Model, products: Vec<scale_assignment::Model>) -> AdminScale {
    AdminScale {
        id: scale.id,
        device_id: scale.device_id,
        position: scale.position,
        noise_grams: scale.noise_grams,
        products: products.into_iter().map(Into::into).collect(),
    }
}

#[derive(Serialize)]
pub struct ScaleList {
    scales: Vec<AdminScale>,
}

/// `GET /admin/vending/machines/{device_id}/scales`.
pub async fn list_scales(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    Path(device_id): Path<String>,
) -> Result<Json<ScaleList>, ApiError> {
    let scales = scales::scales_of(&state.db, &device_id).await?;
    Ok(Json(ScaleList {
        scales: scales
            .into_iter()
            .map(|(scale, products)| admin_scale(scale, products))
            .collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewScale {
    position: i32,
    #[serde(default)]
    noise_grams: i32,
}

#[derive(Serialize)]
pub struct ScaleResponse {
    scale: AdminScale,
}

/// `POST /admin/vending/machines/{device_id}/scales {position, noise_grams}`.
pub async fn add_scale(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    Path(device_id): Path<String>,
    body: Result<Json<NewScale>, JsonRejection>,
) -> Result<Json<ScaleResponse>, ApiError> {
    let Json(body) = body?;
    let scale = scales::add_scale(&state.db, &device_id, body.position, body.noise_grams).await?;
    Ok(Json(ScaleResponse {
        scale: admin_scale(scale, Vec::new()),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProductOnScale {
    variant_id: String,
    unit_weight_g: i32,
    min_weight_g: i32,
    max_weight_g: i32,
    /// A deposit needs both, or neither.
    deposit_amount: Option<i64>,
    container_weight_g: Option<i32>,
}

#[derive(Serialize)]
pub struct AssignmentResponse {
    product: AdminAssignment,
}

/// `POST /admin/vending/scales/{scale_id}/products`: puts a product on a scale.
pub async fn assign_product(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    Path(scale_id): Path<String>,
    body: Result<Json<NewProductOnScale>, JsonRejection>,
) -> Result<Json<AssignmentResponse>, ApiError> {
    let Json(body) = body?;
    let deposit = match (body.deposit_amount, body.container_weight_g) {
        (None, None) => None,
        (Some(amount), Some(container_weight_grams)) => Some(Deposit {
            amount,
            container_weight_grams,
        }),
        _ => {
            return Err(DomainError::Invalid(
                "a deposit needs both deposit_amount and container_weight_g".into(),
            )
            .into());
        }
    };
    let assignment = scales::assign(
        &state.db,
        &scale_id,
        NewAssignment {
            variant_id: body.variant_id,
            unit_weight_grams: body.unit_weight_g,
            min_weight_grams: body.min_weight_g,
            max_weight_grams: body.max_weight_g,
            deposit,
        },
    )
    .await?;
    Ok(Json(AssignmentResponse {
        product: assignment.into(),
    }))
}

#[derive(Serialize)]
pub struct CredentialsResponse {
    /// Shown this once: only its hash is kept.
    credentials: domain::devices::MqttCredentials,
}

/// `POST /admin/vending/machines/{device_id}/credentials`: a new MQTT
/// password for the machine (its username is its id); the old one stops working.
pub async fn issue_credentials(
    State(state): State<AppState>,
    _admin: AuthenticatedAdmin,
    Path(device_id): Path<String>,
) -> Result<Json<CredentialsResponse>, ApiError> {
    let credentials = domain::devices::issue_credentials(&state.db, &device_id).await?;
    Ok(Json(CredentialsResponse { credentials }))
}
