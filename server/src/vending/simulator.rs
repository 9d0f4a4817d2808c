//! Virtual vending machines speaking the device protocol, for the embedded
//! default, tests and load. Each machine holds its own MQTT connection with a
//! last will, so a machine that dies is reported offline by the broker.

use std::time::Duration;

use chrono::Utc;
use domain::devices::protocol::{
    self, Channel, DeviceId, Heartbeat, SCHEMA_VERSION, StatusMessage,
};
use rumqttc::{AsyncClient, Event, LastWill, Packet, QoS};
use tokio::task::JoinSet;

use super::MqttEndpoint;

pub const FIRMWARE: &str = concat!("automat-sim/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone)]
pub struct MachineConfig {
    pub device_id: DeviceId,
    pub heartbeat: Duration,
}

/// Runs machines until the returned set is dropped or aborted.
pub fn spawn_machines(endpoint: &MqttEndpoint, machines: Vec<MachineConfig>) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for machine in machines {
        set.spawn(run_machine(endpoint.clone(), machine));
    }
    set
}

async fn run_machine(endpoint: MqttEndpoint, machine: MachineConfig) {
    let id = machine.device_id;
    let status_topic = protocol::topic(&id, Channel::Status);
    let offline = serde_json::to_vec(&StatusMessage {
        schema: SCHEMA_VERSION,
        online: false,
        firmware: None,
    })
    .expect("status serialises");
    let online = serde_json::to_vec(&StatusMessage {
        schema: SCHEMA_VERSION,
        online: true,
        firmware: Some(FIRMWARE.to_owned()),
    })
    .expect("status serialises");

    let mut options = endpoint.options(id.as_str(), machine.heartbeat * 2);
    options.set_last_will(LastWill::new(
        &status_topic,
        offline,
        QoS::AtLeastOnce,
        true,
    ));
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    // Heartbeats run beside the event loop, never by interrupting it: a poll
    // cancelled mid-connect drops the half-open connection, and the broker
    // would fire (and forget) the machine's last will.
    let mut heartbeats = JoinSet::new();
    heartbeats.spawn(send_heartbeats(
        client.clone(),
        id.clone(),
        machine.heartbeat,
    ));
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                tracing::debug!(device = id.as_str(), "simulated machine connected");
                // try_: waiting for queue space here would wait on this very loop.
                if let Err(e) =
                    client.try_publish(&status_topic, QoS::AtLeastOnce, true, online.clone())
                {
                    tracing::warn!(device = id.as_str(), error = %e, "cannot announce");
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(device = id.as_str(), error = %e, "simulated machine disconnected; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

async fn send_heartbeats(client: AsyncClient, id: DeviceId, every: Duration) {
    // Sequence numbers keep growing across restarts: they start from the clock.
    let mut seq = Utc::now().timestamp_millis() as u64;
    let mut beat = tokio::time::interval(every);
    loop {
        beat.tick().await;
        seq += 1;
        let heartbeat = Heartbeat {
            schema: SCHEMA_VERSION,
            seq,
            msg_id: domain::ids::new_id("msg"),
            sent_at: Utc::now(),
            firmware: Some(FIRMWARE.to_owned()),
        };
        let payload = serde_json::to_vec(&heartbeat).expect("heartbeat serialises");
        // While disconnected the queue fills; a machine drops beats rather than stall.
        let _ = client.try_publish(
            protocol::topic(&id, Channel::Heartbeat),
            QoS::AtLeastOnce,
            false,
            payload,
        );
    }
}
