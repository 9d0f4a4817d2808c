//! The in-process MQTT broker of the embedded default (rumqttd).

use std::{collections::HashMap, net::SocketAddr, time::Duration};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

use super::MqttEndpoint;

/// Starts a broker on `addr` (port 0 picks a free port) in its own threads
/// and waits until it accepts connections.
pub async fn start_embedded(addr: SocketAddr) -> anyhow::Result<MqttEndpoint> {
    let addr = std::net::TcpListener::bind(addr)
        .and_then(|probe| probe.local_addr())
        .map_err(|e| anyhow::anyhow!("the embedded MQTT broker cannot listen on {addr}: {e}"))?;
    let mut v4 = HashMap::new();
    v4.insert(
        "v4".to_owned(),
        ServerSettings {
            name: "automat-embedded".to_owned(),
            listen: addr,
            tls: None,
            next_connection_delay_ms: 0,
            connections: ConnectionSettings {
                connection_timeout_ms: 10_000,
                max_payload_size: 256 * 1024,
                max_inflight_count: 500,
                auth: None,
                external_auth: None,
                dynamic_filters: true,
            },
        },
    );
    let config = Config {
        id: 0,
        router: RouterConfig {
            max_connections: 10_010,
            max_outgoing_packet_count: 200,
            max_segment_size: 16 * 1024 * 1024,
            max_segment_count: 10,
            custom_segment: None,
            initialized_filters: None,
            shared_subscriptions_strategy: Default::default(),
        },
        v4: Some(v4),
        ..Default::default()
    };
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            if let Err(e) = Broker::new(config).start() {
                tracing::error!(error = %e, "embedded MQTT broker stopped");
            }
        })?;
    wait_until_listening(addr).await?;
    tracing::info!(%addr, "embedded MQTT broker listening");
    Ok(MqttEndpoint {
        host: addr.ip().to_string(),
        port: addr.port(),
    })
}

/// Waits until the broker holds the port. Probing by binding, not connecting,
/// keeps the broker's log free of aborted connections.
async fn wait_until_listening(addr: SocketAddr) -> anyhow::Result<()> {
    for _ in 0..100 {
        if std::net::TcpListener::bind(addr).is_err() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the embedded MQTT broker did not start on {addr} (is the port taken?)")
}
