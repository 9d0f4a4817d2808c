//! Vending machines over MQTT: the embedded broker, the gateway that turns
//! device messages into domain calls, and the machine simulator.

pub mod broker;
pub mod gateway;
pub mod simulator;

use std::{fmt, time::Duration};

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
