//! The device gateway: subscribes to every device's topics, records what the
//! machines report through the domain, and fans status changes out to live
//! dashboards.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use chrono::Utc;
use domain::{
    DomainError,
    devices::{
        self, StatusChange,
        protocol::{self, Channel, Heartbeat, StatusMessage},
    },
    vending::{
        machines::{self, Activity},
        sessions::Received,
    },
};
use rumqttc::{AsyncClient, Event, EventLoop, Packet, Publish, QoS, SubscribeFilter};
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;

use super::{MqttEndpoint, service::Vending};

/// Shared view of the gateway for readiness checks.
#[derive(Clone, Default)]
pub struct GatewayHealth(Arc<AtomicBool>);

impl GatewayHealth {
    pub fn is_connected(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, connected: bool) {
        self.0.store(connected, Ordering::Relaxed);
    }
}

pub struct Gateway {
    db: DatabaseConnection,
    changes: broadcast::Sender<StatusChange>,
    activity: broadcast::Sender<Activity>,
    health: GatewayHealth,
    vending: Vending,
}

/// What the rest of the server uses of a running gateway.
#[derive(Clone)]
pub struct GatewayHandle {
    pub health: GatewayHealth,
    /// Device sessions, commanding machines through the gateway's connection.
    pub vending: Vending,
}

impl Gateway {
    /// Connects to the broker and runs until the process ends, reconnecting
    /// after any failure. Also starts the watchdog that marks silent devices
    /// offline after three missed heartbeats, and the session sweeper
    /// (resumes unacknowledged openings, expires and fails stuck sessions). `vending` builds the session
    /// service on the gateway's connection. Status changes go to `changes`;
    /// what a machine does after each of its events, to `activity`.
    pub fn spawn(
        endpoint: &MqttEndpoint,
        db: DatabaseConnection,
        changes: broadcast::Sender<StatusChange>,
        activity: broadcast::Sender<Activity>,
        heartbeat: Duration,
        vending: impl FnOnce(AsyncClient) -> Vending,
    ) -> GatewayHandle {
        let health = GatewayHealth::default();
        // Unique per instance: a broker drops the older of two clients with one id.
        let client_id = domain::ids::new_id("automat-gateway");
        let (client, eventloop) = AsyncClient::new(
            endpoint.server_options(&client_id, Duration::from_secs(10)),
            1024,
        );
        let vending = vending(client.clone());
        let gateway = Arc::new(Gateway {
            db,
            changes,
            activity,
            health: health.clone(),
            vending: vending.clone(),
        });
        tokio::spawn(gateway.clone().receive(client, eventloop));
        tokio::spawn(gateway.watchdog(heartbeat));
        tokio::spawn(vending.clone().sweep_sessions());
        GatewayHandle { health, vending }
    }

    async fn receive(self: Arc<Self>, client: AsyncClient, mut eventloop: EventLoop) {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    tracing::info!("device gateway connected to the broker");
                    // One SUBSCRIBE for all, so its SubAck means every channel is heard.
                    let filters =
                        [Channel::Status, Channel::Heartbeat, Channel::Events].map(|channel| {
                            SubscribeFilter::new(channel.all_devices_filter(), QoS::AtLeastOnce)
                        });
                    // try_: waiting for queue space here would wait on this very loop.
                    if let Err(e) = client.try_subscribe_many(filters) {
                        tracing::error!(error = %e, "cannot subscribe to device topics");
                    }
                }
                // Ready once the broker confirms the subscriptions: from then on no device message is missed.
                Ok(Event::Incoming(Packet::SubAck(_))) => self.health.set(true),
                Ok(Event::Incoming(Packet::Publish(publish))) => self.handle(&publish).await,
                Ok(_) => {}
                Err(e) => {
                    if self.health.is_connected() {
                        tracing::warn!(error = %e, "device gateway lost the broker; reconnecting");
                    }
                    self.health.set(false);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    async fn handle(&self, publish: &Publish) {
        let Some((device, channel)) = protocol::parse_topic(&publish.topic) else {
            tracing::debug!(topic = %publish.topic, "ignoring message on a foreign topic");
            return;
        };
        let now = Utc::now();
        let outcome = match channel {
            Channel::Status => match serde_json::from_slice::<StatusMessage>(&publish.payload) {
                Ok(status) if status.online => {
                    devices::record_seen(&self.db, device.as_str(), status.firmware.as_deref(), now)
                        .await
                }
                Ok(_) => devices::record_offline(&self.db, device.as_str()).await,
                Err(e) => Err(DomainError::Invalid(format!("bad status payload: {e}"))),
            },
            Channel::Heartbeat => match serde_json::from_slice::<Heartbeat>(&publish.payload) {
                Ok(beat) => {
                    devices::record_seen(&self.db, device.as_str(), beat.firmware.as_deref(), now)
                        .await
                }
                Err(e) => Err(DomainError::Invalid(format!("bad heartbeat payload: {e}"))),
            },
            Channel::Events => match self
                .vending
                .receive(device.as_str(), &publish.payload)
                .await
            {
                Ok(Received::Duplicate) => Ok(None),
                Ok(_) => {
                    self.announce_activity(device.as_str()).await;
                    Ok(None)
                }
                Err(e) => Err(e),
            },
            // Commands are what this gateway sends.
            Channel::Commands => Ok(None),
        };
        match outcome {
            Ok(Some(change)) => self.announce(change),
            Ok(None) => {}
            Err(DomainError::NotFound { .. }) => {
                tracing::warn!(
                    device = device.as_str(),
                    "message from an unknown device ignored"
                );
            }
            Err(e) => {
                tracing::warn!(device = device.as_str(), error = %e, "device message not recorded")
            }
        }
    }

    async fn watchdog(self: Arc<Self>, heartbeat: Duration) {
        let mut tick = tokio::time::interval(heartbeat);
        loop {
            tick.tick().await;
            let cutoff = Utc::now() - heartbeat * 3;
            match devices::expire_silent(&self.db, cutoff).await {
                Ok(changes) => changes.into_iter().for_each(|c| self.announce(c)),
                Err(e) => tracing::warn!(error = %e, "device watchdog failed"),
            }
        }
    }

    /// Sends what the machine is doing now to the dashboards following it.
    async fn announce_activity(&self, device_id: &str) {
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

    fn announce(&self, change: StatusChange) {
        tracing::info!(device = %change.device_id, online = change.online, "device status changed");
        // No receiver simply means no dashboard is open.
        let _ = self.changes.send(change);
    }
}
