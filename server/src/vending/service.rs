//! Device sessions over MQTT: opening a machine (hold the payment, send the
//! open-door command until it is acknowledged, else fail and release the
//! hold), feeding device events to the domain, and expiring sessions whose
//! door-closed report never came. Every change of a session, from a machine
//! or not, is announced to the dashboards following the machine.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::Utc;
use domain::{
    DomainError, db,
    devices::protocol::{
        self, Channel, CommandBody, DeviceEvent, DeviceId, DeviceMessage, MachineMode,
    },
    payments::{self, Providers, system},
    vending::{
        device_command, device_session,
        machines::{self, Activity},
        scales,
        sessions::{self, NewSession, Received},
        state::{Mode, State},
    },
};
use rumqttc::{AsyncClient, QoS};
use sea_orm::{DatabaseConnection, TransactionSession};
use tokio::sync::{broadcast, watch};

use super::VendingSettings;
use crate::write_lane::WriteLane;

/// Cheap to clone; shared by the gateway and HTTP handlers.
#[derive(Clone)]
pub struct Vending {
    db: DatabaseConnection,
    providers: Providers,
    client: AsyncClient,
    settings: VendingSettings,
    currency: String,
    acks: AckWaiters,
    /// What machines do now, for live dashboards.
    activity: broadcast::Sender<Activity>,
    /// Where sessions are opened and settled, and the gateway writes.
    lane: WriteLane,
}

/// A session still `door_closed` this long after the report is settled again.
const STRANDED_AFTER: Duration = Duration::from_secs(10);

/// How often a command's acknowledgement is looked for in the database while
/// nothing woke its waiter: only an acknowledgement this process did not
/// record (another instance's gateway) needs it, so it may be rare. The
/// database is read at the end of every attempt too, before resending.
const ACK_RECHECK: Duration = Duration::from_secs(5);

impl Vending {
    pub fn new(
        db: DatabaseConnection,
        providers: Providers,
        client: AsyncClient,
        settings: VendingSettings,
        currency: String,
        activity: broadcast::Sender<Activity>,
        lane: WriteLane,
    ) -> Self {
        Self {
            db,
            providers,
            client,
            settings,
            currency,
            acks: AckWaiters::default(),
            activity,
            lane,
        }
    }

    /// The thread this service's writes run on; the gateway's too.
    pub fn lane(&self) -> &WriteLane {
        &self.lane
    }

    /// Sends what the machine is doing now to the dashboards following it.
    pub async fn announce_activity(&self, device_id: &str) {
        if self.activity.receiver_count() == 0 {
            return;
        }
        match machines::activity(&self.db, device_id).await {
            Ok(activity) => {
                // No receiver left simply means the dashboard closed meanwhile.
                let _ = self.activity.send(activity);
            }
            Err(e) => tracing::warn!(device_id, error = %e, "cannot read a machine's activity"),
        }
    }

    /// Ends a session by hand, charging nothing and releasing any hold.
    pub async fn force_close(
        &self,
        session_id: &str,
        reason: &str,
    ) -> Result<device_session::Model, DomainError> {
        let closed = sessions::force_close(&self.db, session_id, reason).await?;
        self.announce_activity(&closed.device_id).await;
        Ok(closed)
    }

    /// Opens a machine for a shopper: holds the configured amount, then sends
    /// the open-door command in the background. The session answers at once;
    /// its state follows what the machine reports.
    pub async fn open_purchase(
        &self,
        device_id: &str,
        customer_id: Option<&str>,
    ) -> Result<device_session::Model, DomainError> {
        self.open_purchase_on_card(device_id, customer_id, None)
            .await
    }

    /// [`open_purchase`](Self::open_purchase), holding the saved card the
    /// shopper chose (`None`: their newest).
    pub async fn open_purchase_on_card(
        &self,
        device_id: &str,
        customer_id: Option<&str>,
        card_id: Option<&str>,
    ) -> Result<device_session::Model, DomainError> {
        self.open(
            device_id,
            Mode::Purchase,
            customer_id,
            self.settings.hold_amount,
            card_id,
        )
        .await
    }

    /// Opens a machine for a shopper returning empty containers: nothing is
    /// held; the deposits of what the scales recognize are credited.
    pub async fn open_return(
        &self,
        device_id: &str,
        customer_id: &str,
    ) -> Result<device_session::Model, DomainError> {
        self.open(device_id, Mode::Return, Some(customer_id), 0, None)
            .await
    }

    /// Opens a machine for an admin, without charging (restocking).
    pub async fn open_service(
        &self,
        device_id: &str,
    ) -> Result<device_session::Model, DomainError> {
        self.open(device_id, Mode::Service, None, 0, None).await
    }

    /// Ends service mode: the machine is told to go back to normal, which
    /// locks the door and reports it closed before acknowledging, settling
    /// the service session (the restock is booked from the weight change).
    /// A session the machine leaves open though it acknowledged (firmware
    /// before schema 3, or a door that never opened) is closed by hand,
    /// booking nothing. The session as it ends up.
    pub async fn end_service(&self, device_id: &str) -> Result<device_session::Model, DomainError> {
        let service = sessions::active_session(&self.db, device_id)
            .await?
            .filter(|s| s.mode == Mode::Service)
            .ok_or_else(|| DomainError::Invalid("the machine is not in service mode".into()))?;
        let body = CommandBody::SetMode {
            mode: MachineMode::Normal,
        };
        let command = sessions::new_command(&self.db, device_id, Some(&service.id), body).await?;
        let command = self.deliver(command).await?;
        match (command.acked_at, command.ack_ok) {
            (None, _) => {
                return Err(DomainError::Conflict(format!(
                    "the machine did not acknowledge leaving service mode after {} attempts",
                    command.attempts
                )));
            }
            (Some(_), Some(false)) => {
                return Err(DomainError::Conflict(format!(
                    "the machine refused to leave service mode: {}",
                    command.ack_error.as_deref().unwrap_or("no reason given")
                )));
            }
            (Some(_), _) => {}
        }
        // The door-closed report came before the acknowledgement, so it is applied by now.
        let service = sessions::find(&self.db, &service.id).await?;
        match service.state {
            State::Requested | State::DoorOpen => {
                let failed = sessions::fail(
                    &self.db,
                    &service,
                    "service mode turned off, but the machine reported no door closing: nothing booked",
                )
                .await?;
                self.announce_activity(device_id).await;
                Ok(failed)
            }
            _ => Ok(service),
        }
    }

    /// Runs on the lane: the session is written there, and its opening
    /// goes on there (`tokio::spawn` in a lane task spawns on the lane).
    async fn open(
        &self,
        device_id: &str,
        mode: Mode,
        customer_id: Option<&str>,
        hold_amount: i64,
        card_id: Option<&str>,
    ) -> Result<device_session::Model, DomainError> {
        let this = self.clone();
        let provider_id = match mode {
            Mode::Purchase => {
                payments::provider_for_holds(&self.db, &self.providers, &self.currency).await?
            }
            Mode::Return | Mode::Service => system::ID.to_owned(),
        };
        let new = NewSession {
            device_id: device_id.to_owned(),
            mode,
            customer_id: customer_id.map(str::to_owned),
            hold_amount,
            currency_code: self.currency.clone(),
            provider_id,
            card_id: card_id.map(str::to_owned),
        };
        self.lane
            .run(async move { this.open_on_lane(new).await })
            .await
    }

    async fn open_on_lane(&self, new: NewSession) -> Result<device_session::Model, DomainError> {
        let sessions::Opened { session, command } =
            sessions::open(&self.db, &self.providers, new).await?;
        self.announce_activity(&session.device_id).await;
        let this = self.clone();
        let opened = session.clone();
        tokio::spawn(async move {
            if let Err(e) = this.open_or_fail(&opened, command).await {
                tracing::error!(session = %opened.id, error = %e, "opening a machine went wrong");
            }
        });
        Ok(session)
    }

    async fn open_or_fail(
        &self,
        session: &device_session::Model,
        command: device_command::Model,
    ) -> Result<(), DomainError> {
        let acked = self.deliver(command).await?;
        if acked.ack_ok == Some(true) {
            return Ok(());
        }
        let reason = match (acked.acked_at, acked.ack_error) {
            (None, _) => format!(
                "the machine did not acknowledge opening after {} attempts",
                acked.attempts
            ),
            (Some(_), error) => format!(
                "the machine refused to open: {}",
                error.unwrap_or_else(|| "no reason given".into())
            ),
        };
        let current = sessions::find(&self.db, &session.id).await?;
        // A door report may have overtaken a lost acknowledgement: then it opened.
        if current.state != State::Requested {
            return Ok(());
        }
        match sessions::fail(&self.db, &current, &reason).await {
            Ok(_) => {
                tracing::warn!(session = %session.id, %reason, "session failed");
                self.announce_activity(&session.device_id).await;
                Ok(())
            }
            Err(DomainError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Sends a command until the device acknowledges it or the attempts run
    /// out; the command as it ends up.
    pub async fn deliver(
        &self,
        command: device_command::Model,
    ) -> Result<device_command::Model, DomainError> {
        let device = DeviceId::parse(&command.device_id)?;
        let topic = protocol::topic(&device, Channel::Commands);
        let timeout = Duration::from_millis(self.settings.ack_timeout_ms);
        // Waiting before the first send: an acknowledgement cannot come unheard.
        let mut waiter = self.acks.wait_for(&command.id);
        let mut command = command;
        for _ in 0..self.settings.command_attempts.max(1) {
            command = sessions::count_attempt(&self.db, &command).await?;
            if let Err(e) = self
                .client
                .publish(&topic, QoS::AtLeastOnce, false, command.payload.clone())
                .await
            {
                tracing::warn!(command = %command.id, error = %e, "cannot publish a command");
            }
            let deadline = tokio::time::Instant::now() + timeout;
            loop {
                let recheck = (tokio::time::Instant::now() + ACK_RECHECK).min(deadline);
                // Woken or not, the database says whether it was acknowledged.
                let _ = tokio::time::timeout_at(recheck, waiter.woken.changed()).await;
                command = sessions::find_command(&self.db, &command.id).await?;
                if command.acked_at.is_some() {
                    return Ok(command);
                }
                if tokio::time::Instant::now() >= deadline {
                    break;
                }
            }
        }
        Ok(command)
    }

    /// Sends any command to a device and waits for its acknowledgement.
    pub async fn command(
        &self,
        device_id: &str,
        body: CommandBody,
    ) -> Result<device_command::Model, DomainError> {
        let command = sessions::new_command(&self.db, device_id, None, body).await?;
        self.deliver(command).await
    }

    /// Tells a device its scales' products; the command as acknowledged (or
    /// not). The device confirms applying it with `sync_applied`, recorded on
    /// the device as its planogram version.
    pub async fn sync_planogram(
        &self,
        device_id: &str,
    ) -> Result<device_command::Model, DomainError> {
        let body = CommandBody::SyncPlanogram {
            version: scales::next_planogram_version(&self.db, device_id).await?,
            scales: scales::planogram(&self.db, device_id).await?,
        };
        self.command(device_id, body).await
    }

    /// Takes one device event in a write transaction of its own.
    pub async fn receive(
        &self,
        device_id: &str,
        message: &DeviceMessage,
    ) -> Result<Received, DomainError> {
        let db = self.db.clone();
        let (device, owned) = (device_id.to_owned(), message.clone());
        let received = self
            .lane
            .run(async move { sessions::receive(&db, &device, &owned).await })
            .await?;
        self.taken(device_id, message, &received);
        Ok(received)
    }

    /// Takes a batch of device events, in order, in one write transaction,
    /// each in a savepoint of its own, so that one that fails leaves the
    /// others; what they read is read first, outside it. On SQLite every
    /// write transaction waits for the one writer's turn; under load those
    /// waits, not the statements, were most of a door-closed report's time.
    /// An error means nothing of the batch was written.
    pub async fn receive_all(
        &self,
        events: &[(&str, &DeviceMessage)],
    ) -> Result<Vec<Result<Received, DomainError>>, DomainError> {
        let db = self.db.clone();
        let owned: Vec<(String, DeviceMessage)> = events
            .iter()
            .map(|(device_id, message)| ((*device_id).to_owned(), (*message).clone()))
            .collect();
        let outcomes = self
            .lane
            .run(async move { receive_together(&db, &owned).await })
            .await?;
        for ((device_id, message), outcome) in events.iter().zip(&outcomes) {
            if let Ok(received) = outcome {
                self.taken(device_id, message, received);
            }
        }
        Ok(outcomes)
    }

    /// What follows an event's commit: its command's waiter wakes, and an
    /// ignored event is logged.
    fn taken(&self, device_id: &str, message: &DeviceMessage, received: &Received) {
        if let DeviceEvent::Ack { command_id, .. } = &message.body {
            // Recorded now, or already (a duplicate): the waiter reads which.
            self.acks.wake(command_id);
        }
        match received {
            Received::Ignored(why) => {
                tracing::warn!(device_id, kind = %message.body.kind(), %why, "device message ignored")
            }
            other => {
                tracing::debug!(
                    device_id,
                    kind = %message.body.kind(),
                    ?other,
                    "device message"
                )
            }
        }
    }

    /// Resumes sending the open-door commands a previous run of the server
    /// left unacknowledged (the session is the source of truth, not memory).
    pub async fn resume_pending_opens(&self) -> Result<usize, DomainError> {
        let pending = sessions::unacknowledged_opens(&self.db).await?;
        let count = pending.len();
        for (session, command) in pending {
            tracing::info!(session = %session.id, "resuming an unacknowledged open-door command");
            let this = self.clone();
            tokio::spawn(async move {
                if let Err(e) = this.open_or_fail(&session, command).await {
                    tracing::error!(session = %session.id, error = %e, "resuming an opening went wrong");
                }
            });
        }
        Ok(count)
    }

    /// Forever: expires sessions whose door stayed open past the timeout,
    /// settles those a failed settlement left closed, fails those whose
    /// door never reported opening, and fails planograms never confirmed.
    pub async fn sweep_sessions(self) {
        if let Err(e) = self.resume_pending_opens().await {
            tracing::warn!(error = %e, "cannot resume pending openings");
        }
        let door_timeout = Duration::from_secs(self.settings.door_timeout_secs);
        let door_alert = Duration::from_secs(self.settings.door_alert_secs);
        let delivery = Duration::from_millis(self.settings.ack_timeout_ms)
            * self.settings.command_attempts.max(1);
        let sync_timeout = Duration::from_secs(self.settings.sync_timeout_secs);
        let mut tick = tokio::time::interval(door_timeout.min(Duration::from_secs(1)));
        loop {
            tick.tick().await;
            let now = Utc::now();
            match sessions::expire_overdue(&self.db, now - door_timeout).await {
                Ok(expired) => {
                    for session in expired {
                        tracing::warn!(session = %session.id, device = %session.device_id, "door-closed report overdue; session expired");
                        self.announce_activity(&session.device_id).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "session expiry failed"),
            }
            if let Err(e) = sessions::alert_doors_open_since(&self.db, now - door_alert).await {
                tracing::warn!(error = %e, "looking for doors open too long failed");
            }
            match sessions::settle_stranded(&self.db, now - STRANDED_AFTER).await {
                Ok(settled) => {
                    for session in settled {
                        tracing::info!(session = %session.id, "stranded session settled");
                        self.announce_activity(&session.device_id).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "settling stranded sessions failed"),
            }
            let cutoff = now - door_timeout - delivery;
            match sessions::fail_unopened(&self.db, cutoff).await {
                Ok(failed) => {
                    for session in failed {
                        tracing::warn!(session = %session.id, device = %session.device_id, "door never reported opening; session failed");
                        self.announce_activity(&session.device_id).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "failing unopened sessions failed"),
            }
            match scales::conclude_syncs_sent_before(&self.db, now - delivery - sync_timeout).await
            {
                Ok(failed) => {
                    for command in failed {
                        tracing::warn!(command = %command.id, device = %command.device_id, "planogram never confirmed; sync failed");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "concluding planogram syncs failed"),
            }
        }
    }
}

/// [`Vending::receive_all`]'s work on the lane.
async fn receive_together(
    db: &DatabaseConnection,
    events: &[(String, DeviceMessage)],
) -> Result<Vec<Result<Received, DomainError>>, DomainError> {
    let mut ahead = Vec::with_capacity(events.len());
    for (device_id, message) in events {
        ahead.push(sessions::read_ahead(db, device_id, message).await);
    }
    let txn = db::begin_write(db).await?;
    let mut outcomes = Vec::with_capacity(events.len());
    for ((device_id, message), ahead) in events.iter().zip(ahead) {
        outcomes.push(sessions::receive_read_ahead(&txn, device_id, message, ahead).await);
    }
    txn.commit().await?;
    Ok(outcomes)
}

/// The commands this process waits on to be acknowledged, by id. Recording
/// an acknowledgement wakes its waiter, so waiting reads the database only
/// when woken (or rarely, see [`ACK_RECHECK`]), not in a loop: with a fleet
/// of machines, polling would take the database's connections.
#[derive(Clone, Default)]
struct AckWaiters(Arc<Mutex<HashMap<String, watch::Sender<()>>>>);

/// Waits for one command's acknowledgement; leaves the map when dropped.
struct AckWaiter {
    waiters: AckWaiters,
    command_id: String,
    woken: watch::Receiver<()>,
}

impl AckWaiters {
    fn wait_for(&self, command_id: &str) -> AckWaiter {
        let woken = self
            .lock()
            .entry(command_id.to_owned())
            .or_insert_with(|| watch::channel(()).0)
            .subscribe();
        AckWaiter {
            waiters: self.clone(),
            command_id: command_id.to_owned(),
            woken,
        }
    }

    fn wake(&self, command_id: &str) {
        if let Some(waiting) = self.lock().get(command_id) {
            waiting.send_replace(());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<()>>> {
        // The map stays consistent whatever panicked while holding it.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for AckWaiter {
    fn drop(&mut self) {
        let mut waiters = self.waiters.lock();
        // Another delivery of the same command (a resumed opening) may still wait.
        if waiters
            .get(&self.command_id)
            .is_some_and(|waiting| waiting.receiver_count() <= 1)
        {
            waiters.remove(&self.command_id);
        }
    }
}
