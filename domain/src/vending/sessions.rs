//! Device sessions: opening a machine, the commands sent to it, and every
//! message it sends back, applied at most once and in order.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession, TryInsertResult,
    sea_query::{Expr, ExprTrait},
};

use super::{
    device_command, device_session, scales, session_event, settlement,
    state::{Mode, State, Transition},
};
use crate::{
    DomainError,
    alerts::{self, Kind, alert},
    devices::{
        device,
        protocol::{
            self, Command, CommandBody, CommandKind, DeviceEvent, DeviceMessage, DeviceMode,
            EventKind, MAX_SEQ_JUMP, SCHEMA_VERSION, ScaleReading, SeqOrder,
        },
    },
    ids::new_id,
    payments::{self, Providers, operations::AskedBy},
};

/// What a shopper (or admin) asks for when opening a machine.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub device_id: String,
    pub mode: Mode,
    pub customer_id: Option<String>,
    /// Pre-authorized before the door opens (purchase mode), minor units.
    pub hold_amount: i64,
    pub currency_code: String,
    /// The payment provider holding the amount.
    pub provider_id: String,
    /// The saved card the shopper chose for the hold (the provider's id);
    /// `None` holds their newest.
    pub card_id: Option<String>,
}

/// Sessions in these states occupy their machine.
const ACTIVE: [State; 3] = [State::Requested, State::DoorOpen, State::DoorClosed];

/// A session just opened, and the open-door command written with it.
#[derive(Debug)]
pub struct Opened {
    pub session: device_session::Model,
    pub command: device_command::Model,
}

/// Opens a machine: holds the payment first in purchase mode, then writes
/// the session and its open-door command together, so that no session
/// exists without the command that opens its door. A machine has one
/// active session at a time.
///
/// The provider is asked for the hold before the write transaction starts:
/// on SQLite every writer in the process would otherwise wait out its round
/// trip (Stripe's, over the internet). When the session cannot be written
/// after all (the machine got busy meanwhile), the hold is given back.
pub async fn open(
    db: &impl crate::db::Writable,
    providers: &Providers,
    new: NewSession,
) -> Result<Opened, DomainError> {
    let hold = match new.mode {
        Mode::Purchase => {
            // What can be refused already is refused before the provider is
            // asked; the write checks it all again.
            let machine = find_machine(db, &new.device_id).await?;
            check_opening(&machine, &new)?;
            refuse_if_busy(db, &machine.id).await?;
            // The shopper is at the machine, not at a browser: the card
            // saved with their account at the provider is held.
            let account = match &new.customer_id {
                Some(customer_id) => {
                    payments::account::find(db, customer_id, &new.provider_id).await?
                }
                None => None,
            };
            let card = new
                .card_id
                .as_deref()
                .map(payments::account::checked_card_id)
                .transpose()?;
            Some(
                payments::authorize(
                    providers,
                    &new.provider_id,
                    new.hold_amount,
                    &new.currency_code,
                    payments::Payer::Away { account, card },
                )
                .await?,
            )
        }
        Mode::Return | Mode::Service => None,
    };
    let written = write_opening(db, new, hold.as_ref()).await;
    if written.is_err()
        && let Some(hold) = &hold
        && let Err(e) = payments::void(providers, hold).await
    {
        tracing::error!(error = %e, ?hold, "a hold for a session never opened was not given back");
    }
    written
}

async fn write_opening(
    db: &impl crate::db::Writable,
    new: NewSession,
    hold: Option<&payments::Authorization>,
) -> Result<Opened, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    // A no-op write first: it locks the machine's row (PostgreSQL), so two
    // openings of one machine run one after the other; on SQLite the
    // transaction holds the write lock from its start.
    device::Entity::update_many()
        .col_expr(device::Column::HubId, Expr::col(device::Column::HubId))
        .filter(device::Column::Id.eq(&new.device_id))
        .exec(&txn)
        .await?;
    let machine = find_machine(&txn, &new.device_id).await?;
    check_opening(&machine, &new)?;
    refuse_if_busy(&txn, &machine.id).await?;
    let (collection_id, payment_id) = match hold {
        Some(hold) => {
            let (collection, payment) = payments::record_authorization(&txn, hold).await?;
            (Some(collection.id), Some(payment.id))
        }
        None => (None, None),
    };
    let now = Utc::now();
    let session = device_session::ActiveModel {
        id: Set(new_id("vsess")),
        device_id: Set(machine.id),
        hub_id: Set(machine.hub_id),
        locker_id: Set(None),
        mode: Set(new.mode),
        code: Set(door_code()),
        customer_id: Set(new.customer_id),
        state: Set(State::Requested),
        currency_code: Set(new.currency_code.to_lowercase()),
        hold_amount: Set(if new.mode == Mode::Purchase {
            new.hold_amount
        } else {
            0
        }),
        payment_collection_id: Set(collection_id),
        payment_id: Set(payment_id),
        order_id: Set(None),
        last_seq: Set(0),
        failure_reason: Set(None),
        credit_amount: Set(None),
        review_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        door_opened_at: Set(None),
        door_closed_at: Set(None),
        ended_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let command = new_command(
        &txn,
        &session.device_id,
        Some(&session.id),
        open_door_command(&session)?,
    )
    .await?;
    txn.commit().await?;
    Ok(Opened { session, command })
}

async fn find_machine(
    db: &impl ConnectionTrait,
    device_id: &str,
) -> Result<device::Model, DomainError> {
    device::Entity::find_by_id(device_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Device", device_id))
}

/// Whether `machine` can be opened as `new` asks, whoever else uses it.
fn check_opening(machine: &device::Model, new: &NewSession) -> Result<(), DomainError> {
    super::fleet::refuse_if_decommissioned(machine)?;
    if new.mode == Mode::Purchase {
        if machine.sales_channel_id.is_none() {
            return Err(DomainError::Invalid(format!(
                "device {} sells through no sales channel yet",
                machine.id
            )));
        }
        if new.hold_amount <= 0 {
            return Err(DomainError::Invalid(
                "a purchase needs a positive hold amount".into(),
            ));
        }
    }
    if new.mode == Mode::Return && new.customer_id.is_none() {
        return Err(DomainError::Invalid(
            "a return credits a signed-in shopper; none was given".into(),
        ));
    }
    Ok(())
}

async fn refuse_if_busy(db: &impl ConnectionTrait, device_id: &str) -> Result<(), DomainError> {
    match active_session(db, device_id).await? {
        Some(busy) => Err(DomainError::Conflict(format!(
            "device {device_id} is busy with session {}",
            busy.id
        ))),
        None => Ok(()),
    }
}

/// Six digits the machine can show or check.
fn door_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::thread_rng().gen_range(0..1_000_000))
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<device_session::Model, DomainError> {
    device_session::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Device session", id))
}

pub async fn active_session(
    db: &impl ConnectionTrait,
    device_id: &str,
) -> Result<Option<device_session::Model>, DomainError> {
    Ok(device_session::Entity::find()
        .filter(device_session::Column::DeviceId.eq(device_id))
        .filter(device_session::Column::State.is_in(ACTIVE))
        .one(db)
        .await?)
}

/// Moves a session along `transition`, applying `changes` with it. The write
/// succeeds only if nobody moved the session since it was read, so two
/// handlers can never both settle or fail it.
pub(super) async fn advance(
    db: &impl ConnectionTrait,
    session: &device_session::Model,
    transition: Transition,
    changes: impl FnOnce(&mut device_session::ActiveModel),
) -> Result<device_session::Model, DomainError> {
    let from = session.state;
    let to = from.next(session.mode, transition)?;
    let now = Utc::now();
    let mut update = device_session::ActiveModel {
        state: Set(to),
        updated_at: Set(now),
        ..Default::default()
    };
    if to.is_final() {
        update.ended_at = Set(Some(now));
    }
    changes(&mut update);
    device_session::Entity::update_many()
        .set(update)
        .filter(device_session::Column::Id.eq(&session.id))
        .filter(device_session::Column::State.eq(from))
        .exec_with_returning(db)
        .await?
        .pop()
        .ok_or_else(|| DomainError::Conflict(format!("session {} changed meanwhile", session.id)))
}

/// Fails a session and records the release of its payment hold, together:
/// whoever sees the session failed sees the release on its way.
pub async fn fail<C: crate::db::Writable>(
    db: &C,
    session: &device_session::Model,
    reason: &str,
) -> Result<device_session::Model, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let failed = advance(&txn, session, Transition::Fail, |s| {
        s.failure_reason = Set(Some(reason.to_owned()))
    })
    .await?;
    release_hold(&txn, &failed).await?;
    txn.commit().await?;
    Ok(failed)
}

pub(super) async fn release_hold(
    db: &impl ConnectionTrait,
    session: &device_session::Model,
) -> Result<(), DomainError> {
    // Asked of the provider after the commit (see `payments::operations`).
    if let Some(payment_id) = &session.payment_id {
        payments::operations::request_release(db, payment_id, AskedBy::Worker).await?;
    }
    Ok(())
}

/// Ends a session by hand (a door that never reports closing, a stuck
/// machine), releasing its hold; nothing is charged.
pub async fn force_close<C: crate::db::Writable>(
    db: &C,
    id: &str,
    reason: &str,
) -> Result<device_session::Model, DomainError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DomainError::Invalid(
            "closing a session by hand needs a reason".into(),
        ));
    }
    let session = find(db, id).await?;
    fail(db, &session, &format!("closed by an admin: {reason}")).await
}

/// Which sessions to list.
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub device_id: Option<String>,
    /// Any of these states; all when empty.
    pub states: Vec<State>,
}

/// Sessions, newest first, and how many match in all.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &SessionFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<device_session::Model>, u64), DomainError> {
    let mut select = device_session::Entity::find();
    if let Some(device_id) = &filter.device_id {
        select = select.filter(device_session::Column::DeviceId.eq(device_id));
    }
    if !filter.states.is_empty() {
        select = select.filter(device_session::Column::State.is_in(filter.states.iter().copied()));
    }
    let count = select.clone().count(db).await?;
    let sessions = select
        .order_by_desc(device_session::Column::CreatedAt)
        .order_by_desc(device_session::Column::Id)
        .offset(crate::paging::row_offset(offset))
        .limit(limit)
        .all(db)
        .await?;
    Ok((sessions, count))
}

/// The commands sent for a session, oldest first.
pub async fn commands_of(
    db: &impl ConnectionTrait,
    session_id: &str,
) -> Result<Vec<device_command::Model>, DomainError> {
    Ok(device_command::Entity::find()
        .filter(device_command::Column::SessionId.eq(session_id))
        .order_by_asc(device_command::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Sessions whose door opened but whose close was not reported before
/// `cutoff`. They keep their hold: a late door-closed report still settles.
pub async fn expire_overdue<C: crate::db::Writable>(
    db: &C,
    cutoff: DateTime<Utc>,
) -> Result<Vec<device_session::Model>, DomainError> {
    let overdue = device_session::Entity::find()
        .filter(device_session::Column::State.eq(State::DoorOpen))
        .filter(device_session::Column::Mode.ne(Mode::Service))
        .filter(device_session::Column::DoorOpenedAt.lt(cutoff))
        .all(db)
        .await?;
    let mut expired = Vec::with_capacity(overdue.len());
    for session in overdue {
        match advance(db, &session, Transition::Expire, |_| {}).await {
            Ok(session) => {
                raise_door_open(db, &session).await?;
                expired.push(session);
            }
            Err(DomainError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(expired)
}

/// Raises a `door_open_too_long` alert for each machine whose door has
/// been open since before `cutoff` (service sessions too: they never expire);
/// the alerts newly raised.
pub async fn alert_doors_open_since<C: crate::db::Writable>(
    db: &C,
    cutoff: DateTime<Utc>,
) -> Result<Vec<alert::Model>, DomainError> {
    let open = device_session::Entity::find()
        .filter(device_session::Column::State.eq(State::DoorOpen))
        .filter(device_session::Column::DoorOpenedAt.lt(cutoff))
        .all(db)
        .await?;
    // Checked every sweep: skip doors already alerted without a write.
    let alerted = alerts::devices_with_open(db, Kind::DoorOpenTooLong).await?;
    let mut raised = Vec::new();
    for session in open.iter().filter(|s| !alerted.contains(&s.device_id)) {
        raised.extend(raise_door_open(db, session).await?);
    }
    Ok(raised)
}

async fn raise_door_open<C: crate::db::Writable>(
    db: &C,
    session: &device_session::Model,
) -> Result<Option<alert::Model>, DomainError> {
    let since = session.door_opened_at.map_or_else(
        || "an unknown time".to_owned(),
        |at| at.format("%H:%M:%S UTC").to_string(),
    );
    alerts::raise(
        db,
        Kind::DoorOpenTooLong,
        &session.device_id,
        &format!(
            "The door of {} has been open since {since} ({} session {})",
            session.device_id, session.mode, session.id
        ),
    )
    .await
}

/// Sessions still `requested` since before `cutoff`: the machine never
/// reported its door opening (the command was lost, or the lock did not
/// move). They fail and release their hold.
pub async fn fail_unopened<C: crate::db::Writable>(
    db: &C,
    cutoff: DateTime<Utc>,
) -> Result<Vec<device_session::Model>, DomainError> {
    let stuck = device_session::Entity::find()
        .filter(device_session::Column::State.eq(State::Requested))
        .filter(device_session::Column::CreatedAt.lt(cutoff))
        .all(db)
        .await?;
    let mut failed = Vec::with_capacity(stuck.len());
    for session in stuck {
        match fail(db, &session, "the machine never reported its door opening").await {
            Ok(session) => failed.push(session),
            Err(DomainError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(failed)
}

/// Settles again the sessions left `door_closed` since before `cutoff`: a
/// settlement that failed (or a server that stopped) between the door report
/// and the order. Their own door-closed report is read back from the
/// timeline; the settlement's compare-and-set keeps this from charging twice.
pub async fn settle_stranded<C: crate::db::Writable>(
    db: &C,
    cutoff: DateTime<Utc>,
) -> Result<Vec<device_session::Model>, DomainError> {
    let stranded = device_session::Entity::find()
        .filter(device_session::Column::State.eq(State::DoorClosed))
        .filter(device_session::Column::DoorClosedAt.lt(cutoff))
        .all(db)
        .await?;
    let mut settled = Vec::with_capacity(stranded.len());
    for session in stranded {
        let report = session_event::Entity::find()
            .filter(session_event::Column::SessionId.eq(&session.id))
            .filter(session_event::Column::Kind.eq(EventKind::DoorClosed))
            .order_by_asc(session_event::Column::Seq)
            .one(db)
            .await?
            .and_then(|event| serde_json::from_str::<DeviceMessage>(&event.payload).ok());
        let Some(DeviceMessage {
            body: DeviceEvent::DoorClosed { before, after, .. },
            ..
        }) = report
        else {
            continue;
        };
        match settlement::settle(db, &session, &before, &after).await {
            Ok(session) => settled.push(session),
            Err(DomainError::Conflict(_)) => {}
            Err(e) => {
                tracing::warn!(session = %session.id, error = %e, "settling a stranded session failed again")
            }
        }
    }
    Ok(settled)
}

/// Requested sessions whose open-door command is not acknowledged yet, with
/// that command: what a restarted server resumes sending.
pub async fn unacknowledged_opens(
    db: &impl ConnectionTrait,
) -> Result<Vec<(device_session::Model, device_command::Model)>, DomainError> {
    let requested = device_session::Entity::find()
        .filter(device_session::Column::State.eq(State::Requested))
        .all(db)
        .await?;
    let mut pending = Vec::with_capacity(requested.len());
    for session in requested {
        let command = device_command::Entity::find()
            .filter(device_command::Column::SessionId.eq(&session.id))
            .filter(device_command::Column::Kind.eq(CommandKind::OpenDoor))
            .filter(device_command::Column::AckedAt.is_null())
            .one(db)
            .await?;
        if let Some(command) = command {
            pending.push((session, command));
        }
    }
    Ok(pending)
}

/// Records a command for a device before it is published.
pub async fn new_command(
    db: &impl crate::db::Writable,
    device_id: &str,
    session_id: Option<&str>,
    body: CommandBody,
) -> Result<device_command::Model, DomainError> {
    let now = Utc::now();
    let command = Command {
        schema: SCHEMA_VERSION,
        command_id: new_id("cmd"),
        sent_at: now,
        body,
    };
    let payload = serde_json::to_string(&command)
        .map_err(|e| DomainError::Invalid(format!("command not serializable: {e}")))?;
    let _turn = crate::db::write_turn(db).await?;
    Ok(device_command::ActiveModel {
        id: Set(command.command_id.clone()),
        device_id: Set(device_id.to_owned()),
        session_id: Set(session_id.map(str::to_owned)),
        kind: Set(command.body.kind()),
        payload: Set(payload),
        attempts: Set(0),
        created_at: Set(now),
        acked_at: Set(None),
        ack_ok: Set(None),
        ack_error: Set(None),
        concluded_at: Set(None),
    }
    .insert(db)
    .await?)
}

/// The open-door command of a session.
fn open_door_command(session: &device_session::Model) -> Result<CommandBody, DomainError> {
    let mode = match session.mode {
        Mode::Purchase => DeviceMode::Purchase,
        Mode::Return => DeviceMode::Return,
        Mode::Service => DeviceMode::Service,
    };
    Ok(CommandBody::OpenDoor {
        mode,
        session: session.id.clone(),
        code: session.code.clone(),
        locker: session.locker_id.clone(),
    })
}

pub async fn find_command(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<device_command::Model, DomainError> {
    device_command::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Device command", id))
}

/// Counts one more publication of a command; the updated row.
pub async fn count_attempt(
    db: &impl crate::db::Writable,
    command: &device_command::Model,
) -> Result<device_command::Model, DomainError> {
    let _turn = crate::db::write_turn(db).await?;
    device_command::Entity::update_many()
        .col_expr(
            device_command::Column::Attempts,
            Expr::col(device_command::Column::Attempts).add(1),
        )
        .filter(device_command::Column::Id.eq(&command.id))
        .exec_with_returning(db)
        .await?
        .pop()
        .ok_or_else(|| DomainError::not_found("Device command", &command.id))
}

/// A message's sequence number as stored (a message read through
/// [`protocol::parse_device_message`] has one below `i64::MAX`).
fn seq_of(message: &DeviceMessage) -> i64 {
    i64::try_from(message.seq).unwrap_or(i64::MAX)
}

/// The last device message a session applied, and when (`None` before its first).
fn last_applied(session: &device_session::Model) -> Option<(i64, DateTime<Utc>)> {
    let at = session
        .door_closed_at
        .or(session.door_opened_at)
        .unwrap_or(session.updated_at);
    (session.last_seq > 0).then_some((session.last_seq, at))
}

/// What became of a device message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Seen before (same message id): nothing done again.
    Duplicate,
    /// Older than what the session already applied.
    Stale,
    Applied,
    /// Recorded, but it changes nothing (e.g. an unknown session, an
    /// impossible transition); the reason.
    Ignored(String),
}

/// Records a device message once and applies it. Settling happens here
/// when a door-closed report arrives.
///
/// One write transaction for the record, what it does and its outcome: on
/// SQLite the message waits its turn in the process's write queue instead
/// of in SQLite's busy handler, which sleeps. What went wrong part-way is
/// kept as before, since each step that must be all or nothing runs in a
/// nested transaction of its own.
pub async fn receive<C: crate::db::Writable>(
    db: &C,
    device_id: &str,
    message: &DeviceMessage,
) -> Result<Received, DomainError> {
    let ahead = read_ahead(db, device_id, message).await;
    receive_read_ahead(db, device_id, message, ahead).await
}

/// What applying `message` reads, read before the writer's turn is taken,
/// so that the turn is held for writing: for a door-closed report, its
/// settlement ([`settlement::plan`]). `None` when there is nothing to read
/// ahead or it could not be read; applying the message then reads it
/// under the turn, and reports what went wrong.
pub async fn read_ahead(
    db: &impl ConnectionTrait,
    device_id: &str,
    message: &DeviceMessage,
) -> Option<settlement::Plan> {
    let DeviceEvent::DoorClosed {
        session,
        before,
        after,
    } = &message.body
    else {
        return None;
    };
    let session = device_session::Entity::find_by_id(session)
        .one(db)
        .await
        .ok()??;
    if session.device_id != device_id || session.state.is_final() {
        return None;
    }
    settlement::plan(db, &session, before, after).await.ok()
}

/// [`receive`] with what [`read_ahead`] read for the message.
pub async fn receive_read_ahead<C: crate::db::Writable>(
    db: &C,
    device_id: &str,
    message: &DeviceMessage,
    ahead: Option<settlement::Plan>,
) -> Result<Received, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let db = &txn;
    let event_id = new_id("vsevt");
    let recorded = session_event::Entity::insert(event_record(&event_id, device_id, message, None))
        .on_conflict_do_nothing_on([
            session_event::Column::DeviceId,
            session_event::Column::MessageId,
        ])
        .exec_without_returning(db)
        .await?;
    if !matches!(recorded, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(Received::Duplicate);
    }
    let outcome = apply(db, device_id, message, ahead).await;
    let note = match &outcome {
        Ok(Received::Applied) => "applied".to_owned(),
        Ok(Received::Stale) => "stale".to_owned(),
        Ok(Received::Ignored(why)) => format!("ignored: {why}"),
        Ok(Received::Duplicate) => "duplicate".to_owned(),
        Err(e) => format!("failed: {e}"),
    };
    session_event::Entity::update_many()
        .col_expr(session_event::Column::Outcome, Expr::value(note))
        .filter(session_event::Column::Id.eq(event_id))
        .exec(db)
        .await?;
    txn.commit().await?;
    outcome
}

/// A device message as its session timeline keeps it.
fn event_record(
    id: &str,
    device_id: &str,
    message: &DeviceMessage,
    outcome: Option<&str>,
) -> session_event::ActiveModel {
    session_event::ActiveModel {
        id: Set(id.to_owned()),
        device_id: Set(device_id.to_owned()),
        session_id: Set(message.body.session().map(str::to_owned)),
        seq: Set(seq_of(message)),
        message_id: Set(message.msg_id.clone()),
        kind: Set(message.body.kind()),
        payload: Set(serde_json::to_string(message).unwrap_or_default()),
        outcome: Set(outcome.map(str::to_owned)),
        received_at: Set(Utc::now()),
    }
}

/// Of `devices`, those with an expired session waiting to be reconciled
/// from their next state report: their unasked scale reports must go
/// through [`receive`]. Every other device's are telemetry, its latest
/// weights (`devices::record_reports`).
pub async fn reconciling(
    db: &impl ConnectionTrait,
    devices: &[&str],
) -> Result<HashSet<String>, DomainError> {
    if devices.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(device_session::Entity::find()
        .select_only()
        .column(device_session::Column::DeviceId)
        .filter(device_session::Column::DeviceId.is_in(devices.iter().copied()))
        .filter(device_session::Column::State.eq(State::Expired))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

async fn apply<C: crate::db::Writable>(
    db: &C,
    device_id: &str,
    message: &DeviceMessage,
    ahead: Option<settlement::Plan>,
) -> Result<Received, DomainError> {
    if let DeviceEvent::Ack {
        command_id,
        ok,
        error,
    } = &message.body
    {
        return record_ack(db, device_id, command_id, *ok, error.as_deref()).await;
    }
    if let DeviceEvent::SyncApplied { version, ok, error } = &message.body {
        return Ok(
            match scales::record_sync_applied(db, device_id, *version, *ok, error.as_deref())
                .await?
            {
                Ok(()) => Received::Applied,
                Err(why) => Received::Ignored(why),
            },
        );
    }
    if matches!(message.body, DeviceEvent::DoorClosed { .. }) {
        alerts::resolve(db, device_id, Kind::DoorOpenTooLong).await?;
    }
    let seq = seq_of(message);
    if let Some(readings) = message.body.scale_weights() {
        let reporting = message.body.session();
        reconcile_expired(db, device_id, reporting, seq, readings).await?;
    }
    let Some(session_id) = message.body.session() else {
        return Ok(Received::Applied);
    };
    let Some(session) = device_session::Entity::find_by_id(session_id)
        .one(db)
        .await?
    else {
        tracing::warn!(
            device_id,
            session_id,
            "a device reports a session the server does not know"
        );
        alerts::raise(
            db,
            Kind::UnknownSession,
            device_id,
            &format!(
                "{device_id} reports a {} for session {session_id}, which the server does not know; nothing was charged",
                message.body.kind()
            ),
        )
        .await?;
        return Ok(Received::Ignored(format!("unknown session {session_id}")));
    };
    if session.device_id != device_id {
        tracing::warn!(
            device_id,
            session_id,
            "a device reports another device's session"
        );
        return Ok(Received::Ignored(format!(
            "session {session_id} belongs to another device"
        )));
    }
    match protocol::seq_order(seq, Utc::now(), last_applied(&session)) {
        SeqOrder::After => {}
        SeqOrder::NotAfter => return Ok(Received::Stale),
        SeqOrder::TooFarAhead => {
            tracing::warn!(
                device_id,
                session_id,
                seq,
                last_seq = session.last_seq,
                "a device message's seq is far ahead of its session's last; ignored"
            );
            return Ok(Received::Ignored(format!(
                "seq {seq} is more than {MAX_SEQ_JUMP} past the session's last ({})",
                session.last_seq
            )));
        }
    }
    let transition = match &message.body {
        DeviceEvent::DoorOpened { .. } => Transition::Opened,
        DeviceEvent::DoorClosed { .. } => Transition::Closed,
        // Readings and errors are kept in the timeline; they move nothing.
        _ => return Ok(Received::Applied),
    };
    let now = Utc::now();
    let moved = advance(db, &session, transition, |s| {
        s.last_seq = Set(seq);
        match transition {
            Transition::Opened => s.door_opened_at = Set(Some(now)),
            _ => s.door_closed_at = Set(Some(now)),
        }
    })
    .await;
    let session = match moved {
        Ok(session) => session,
        Err(DomainError::Conflict(why)) => return Ok(Received::Ignored(why)),
        Err(e) => return Err(e),
    };
    if let DeviceEvent::DoorClosed { before, after, .. } = &message.body {
        match ahead {
            Some(plan) => settlement::carry_out(db, &session, plan).await?,
            None => settlement::settle(db, &session, before, after).await?,
        };
    }
    Ok(Received::Applied)
}

/// Settles the device's expired sessions (their door-closed report was lost)
/// from a later report of the scales: the weights when such a session's door
/// opened against these. A session whose door-opened report was lost too has
/// nothing to compare with and stays expired for an admin to close.
async fn reconcile_expired<C: crate::db::Writable>(
    db: &C,
    device_id: &str,
    reporting_session: Option<&str>,
    seq: i64,
    readings: &[ScaleReading],
) -> Result<(), DomainError> {
    let expired = device_session::Entity::find()
        .filter(device_session::Column::DeviceId.eq(device_id))
        .filter(device_session::Column::Id.ne(reporting_session.unwrap_or_default()))
        .filter(device_session::Column::State.eq(State::Expired))
        .all(db)
        .await?;
    let now = Utc::now();
    let later = |s: &device_session::Model| {
        protocol::seq_order(seq, now, last_applied(s)) == SeqOrder::After
    };
    for session in expired.into_iter().filter(later) {
        let Some(before) = opening_weights(db, &session.id).await? else {
            continue;
        };
        let now = Utc::now();
        let closed = match advance(db, &session, Transition::Closed, |s| {
            s.last_seq = Set(seq);
            s.door_closed_at = Set(Some(now));
        })
        .await
        {
            Ok(closed) => closed,
            Err(DomainError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        };
        tracing::info!(session = %session.id, device_id, "expired session reconciled from a later scale report");
        settlement::settle(db, &closed, &before, readings).await?;
    }
    Ok(())
}

/// The scale weights a session's door-opened report carried.
async fn opening_weights(
    db: &impl ConnectionTrait,
    session_id: &str,
) -> Result<Option<Vec<ScaleReading>>, DomainError> {
    let opened = session_event::Entity::find()
        .filter(session_event::Column::SessionId.eq(session_id))
        .filter(session_event::Column::Kind.eq(EventKind::DoorOpened))
        .one(db)
        .await?;
    Ok(opened
        .and_then(|event| serde_json::from_str::<DeviceMessage>(&event.payload).ok())
        .and_then(|message| match message.body {
            DeviceEvent::DoorOpened { scales, .. } => Some(scales),
            _ => None,
        }))
}

async fn record_ack<C: crate::db::Writable>(
    db: &C,
    device_id: &str,
    command_id: &str,
    ok: bool,
    error: Option<&str>,
) -> Result<Received, DomainError> {
    let Some(command) = device_command::Entity::find_by_id(command_id)
        .one(db)
        .await?
    else {
        return Ok(Received::Ignored(format!("unknown command {command_id}")));
    };
    if command.device_id != device_id {
        return Ok(Received::Ignored(format!(
            "command {command_id} was sent to another device"
        )));
    }
    if command.acked_at.is_some() {
        return Ok(Received::Ignored("acknowledged already".into()));
    }
    if !ok && command.kind == CommandKind::SyncPlanogram {
        alerts::raise(
            db,
            Kind::SyncFailed,
            device_id,
            &format!(
                "{device_id} refused a planogram: {}",
                error.unwrap_or("no reason given")
            ),
        )
        .await?;
    }
    let mut active = command.into_active_model();
    active.acked_at = Set(Some(Utc::now()));
    active.ack_ok = Set(Some(ok));
    active.ack_error = Set(error.map(str::to_owned));
    active.update(db).await?;
    Ok(Received::Applied)
}

/// A session's messages, oldest first: its timeline.
pub async fn events_of(
    db: &impl ConnectionTrait,
    session_id: &str,
) -> Result<Vec<session_event::Model>, DomainError> {
    Ok(session_event::Entity::find()
        .filter(session_event::Column::SessionId.eq(session_id))
        .order_by_asc(session_event::Column::Seq)
        .all(db)
        .await?)
}

/// Whether report `a` (its `seq` and arrival) comes after report `b`: the
/// one that arrived later does, unless [`protocol::seq_order`] finds it
/// overtaken (or out of line) against the other.
fn comes_after(a: (i64, DateTime<Utc>), b: (i64, DateTime<Utc>)) -> bool {
    if a.1 >= b.1 {
        protocol::seq_order(a.0, a.1, Some(b)) == SeqOrder::After
    } else {
        protocol::seq_order(b.0, b.1, Some(a)) != SeqOrder::After
    }
}

/// The weights a device last reported of its scales, and when: from its
/// latest unasked scale report or its session events, whichever came later.
pub async fn last_weights(
    db: &impl ConnectionTrait,
    device_id: &str,
) -> Result<Option<(DateTime<Utc>, Vec<ScaleReading>)>, DomainError> {
    let telemetry = device::Entity::find_by_id(device_id)
        .one(db)
        .await?
        .and_then(|d| Some((d.scale_weights_seq?, d.scale_weights_at?, d.scale_weights?)));
    // The latest to arrive: ordered by `seq`, a wild one would stay the latest for good.
    let reports = session_event::Entity::find()
        .filter(session_event::Column::DeviceId.eq(device_id))
        .filter(session_event::Column::Kind.is_in([
            EventKind::DoorOpened,
            EventKind::DoorClosed,
            EventKind::ScaleReadings,
        ]))
        .order_by_desc(session_event::Column::ReceivedAt)
        .order_by_desc(session_event::Column::Seq)
        .limit(1)
        .one(db)
        .await?;
    let unreadable = |e: serde_json::Error| {
        DomainError::Invalid(format!("stored scale weights are unreadable: {e}"))
    };
    let report = match (telemetry, reports) {
        (Some((seq, at, scales)), report)
            if report
                .as_ref()
                .is_none_or(|r| comes_after((seq, at), (r.seq, r.received_at))) =>
        {
            return Ok(Some((
                at,
                serde_json::from_str(&scales).map_err(unreadable)?,
            )));
        }
        (_, Some(report)) => report,
        (_, None) => return Ok(None),
    };
    let message: DeviceMessage = serde_json::from_str(&report.payload)
        .map_err(|e| DomainError::Invalid(format!("a stored device message is unreadable: {e}")))?;
    let readings = match message.body {
        DeviceEvent::DoorOpened { scales, .. } | DeviceEvent::ScaleReadings { scales, .. } => {
            scales
        }
        // Settled readings come last; keep each scale's final one.
        DeviceEvent::DoorClosed { after, .. } => {
            let mut last: Vec<ScaleReading> = Vec::new();
            for reading in after {
                match last.iter_mut().find(|r| r.scale == reading.scale) {
                    Some(r) => *r = reading,
                    None => last.push(reading),
                }
            }
            last
        }
        _ => Vec::new(),
    };
    Ok(Some((report.received_at, readings)))
}
