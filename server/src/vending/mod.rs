//! Vending machines over MQTT: the embedded broker, the gateway that turns
//! device messages into domain calls, device sessions (opening machines,
//! commands with retries), and the machine simulator.

pub mod broker;
pub mod gateway;
pub mod service;
pub mod simulator;

use std::{fmt, time::Duration};

/// How device sessions behave.
#[derive(Debug, Clone, clap::Args)]
pub struct VendingSettings {
    /// Pre-authorized before a machine opens for a purchase, in minor units.
    #[arg(long, env = "AUTOMAT_VENDING_HOLD_AMOUNT", default_value_t = 2000)]
    pub hold_amount: i64,

    /// How long a machine has to acknowledge a command before it is resent.
    #[arg(long, env = "AUTOMAT_VENDING_ACK_TIMEOUT_MS", default_value_t = 2000)]
    pub ack_timeout_ms: u64,

    /// How often a command is sent unacknowledged before giving up (an
    /// open-door command then fails its session).
    #[arg(long, env = "AUTOMAT_VENDING_COMMAND_ATTEMPTS", default_value_t = 3)]
    pub command_attempts: u32,

    /// A door open longer than this without a close report expires the session.
    #[arg(long, env = "AUTOMAT_VENDING_DOOR_TIMEOUT_SECS", default_value_t = 300)]
    pub door_timeout_secs: u64,
}

impl Default for VendingSettings {
    fn default() -> Self {
        Self {
            hold_amount: 2000,
            ack_timeout_ms: 2000,
            command_attempts: 3,
            door_timeout_secs: 300,
        }
    }
}

use rumqttc::MqttOptions;

/// Where an MQTT broker listens, parsed from `mqtt://host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttEndpoint {
    pub host: String,
    pub port: u16,
}

impl MqttEndpoint {
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("mqtt://")
            .or_else(|| url.strip_prefix("tcp://"))
            .ok_or_else(|| anyhow::anyhow!("MQTT URL {url:?} must start with mqtt://"))?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse()
                    .map_err(|_| anyhow::anyhow!("bad port in MQTT URL {url:?}"))?,
            ),
            None => (rest, 1883),
        };
        if host.is_empty() {
            anyhow::bail!("MQTT URL {url:?} names no host");
        }
        Ok(Self {
            host: host.to_owned(),
            port,
        })
    }

    pub fn options(&self, client_id: &str, keep_alive: Duration) -> MqttOptions {
        let mut options = MqttOptions::new(client_id, &self.host, self.port);
        options.set_keep_alive(keep_alive).set_clean_session(true);
        options
    }
}

impl fmt::Display for MqttEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mqtt://{}:{}", self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::MqttEndpoint;

    #[test]
    fn parses_broker_urls() {
        assert_eq!(
            MqttEndpoint::parse("mqtt://127.0.0.1:1884").unwrap(),
            MqttEndpoint {
                host: "127.0.0.1".into(),
                port: 1884
            }
        );
        assert_eq!(MqttEndpoint::parse("mqtt://broker").unwrap().port, 1883);
        assert!(MqttEndpoint::parse("http://broker").is_err());
        assert!(MqttEndpoint::parse("mqtt://:1883").is_err());
        assert!(MqttEndpoint::parse("mqtt://h:notaport").is_err());
    }
}
