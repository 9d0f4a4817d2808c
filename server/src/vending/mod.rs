//! Vending machines over MQTT: the embedded broker, the gateway that turns
//! device messages into domain calls, device sessions (opening machines,
//! commands with retries), and the machine simulator.

pub mod broker;
pub mod gateway;
pub mod ingest_bench;
pub mod service;
pub mod simulator;
pub mod tls;
pub mod topic_guard;

use std::{fmt, path::Path, time::Duration};

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

    /// A door open longer than this raises a `door_open_too_long` alert
    /// (service openings too, which never expire).
    #[arg(long, env = "AUTOMAT_VENDING_DOOR_ALERT_SECS", default_value_t = 120)]
    pub door_alert_secs: u64,

    /// A planogram the machine has not reported applied this long after its
    /// last send attempt fails and raises a `sync_failed` alert.
    #[arg(long, env = "AUTOMAT_VENDING_SYNC_TIMEOUT_SECS", default_value_t = 60)]
    pub sync_timeout_secs: u64,
}

impl Default for VendingSettings {
    fn default() -> Self {
        Self {
            hold_amount: 2000,
            ack_timeout_ms: 2000,
            command_attempts: 3,
            door_timeout_secs: 300,
            door_alert_secs: 120,
            sync_timeout_secs: 60,
        }
    }
}

use rumqttc::{AsyncClient, EventLoop, MqttOptions, NetworkOptions, TlsConfiguration, Transport};

use self::tls::ClientTls;

/// At most `max` bytes of `text`, cut at a character boundary: what a
/// device sent may be quoted in a log line or an alert, never all of it.
pub(crate) fn shortened(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// An MQTT client with Nagle's algorithm off: its packets are small and
/// each matters at once (an acknowledgement, a door event, a command).
/// With it on, a packet sent while the previous one is unacknowledged waits
/// for the peer's delayed ACK, about 40 ms on Linux.
pub fn mqtt_client(options: MqttOptions, requests: usize) -> (AsyncClient, EventLoop) {
    let (client, mut eventloop) = AsyncClient::new(options, requests);
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);
    (client, eventloop)
}

/// Where an MQTT broker listens, parsed from `mqtt://[user:password@]host:port`
/// (`mqtts://` over TLS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttEndpoint {
    pub host: String,
    pub port: u16,
    /// How the back end itself signs in (devices sign in with their own).
    pub login: Option<Login>,
    /// Over TLS, trusting these certificates.
    pub tls: Option<ClientTls>,
}

/// An MQTT username and password.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Login({:?}, ***)", self.username)
    }
}

impl MqttEndpoint {
    /// Reads a broker's URL; an `mqtts://` broker's certificate is checked
    /// against the system's certificate authorities.
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        Self::parse_trusting(url, None)
    }

    /// [`Self::parse`], an `mqtts://` broker's certificate checked against
    /// the PEM file `ca` when given (`AUTOMAT_MQTT_CA_FILE`).
    pub fn parse_trusting(url: &str, ca: Option<&Path>) -> anyhow::Result<Self> {
        let (rest, tls, default_port) = if let Some(rest) = url.strip_prefix("mqtts://") {
            let trust = match ca {
                Some(ca) => ClientTls::trusting_file(ca)?,
                None => ClientTls::system_roots()?,
            };
            (rest, Some(trust), 8883)
        } else {
            let rest = url
                .strip_prefix("mqtt://")
                .or_else(|| url.strip_prefix("tcp://"))
                .ok_or_else(|| {
                    anyhow::anyhow!("MQTT URL {url:?} must start with mqtt:// or mqtts://")
                })?;
            (rest, None, 1883)
        };
        let rest = rest.trim_end_matches('/');
        let (login, rest) = match rest.rsplit_once('@') {
            Some((userinfo, rest)) => {
                let (username, password) = userinfo.split_once(':').ok_or_else(|| {
                    anyhow::anyhow!("MQTT URL {url:?}: give user:password before @")
                })?;
                let login = Login {
                    username: username.to_owned(),
                    password: password.to_owned(),
                };
                (Some(login), rest)
            }
            None => (None, rest),
        };
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse()
                    .map_err(|_| anyhow::anyhow!("bad port in MQTT URL {url:?}"))?,
            ),
            None => (rest, default_port),
        };
        if host.is_empty() {
            anyhow::bail!("MQTT URL {url:?} names no host");
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            login,
            tls,
        })
    }

    /// A connection without credentials (see [`Self::server_options`]).
    pub fn options(&self, client_id: &str, keep_alive: Duration) -> MqttOptions {
        let mut options = MqttOptions::new(client_id, &self.host, self.port);
        options.set_keep_alive(keep_alive).set_clean_session(true);
        if let Some(tls) = &self.tls {
            options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
                tls.config(),
            )));
        }
        options
    }

    /// A connection signed in as the back end, when the broker wants that.
    pub fn server_options(&self, client_id: &str, keep_alive: Duration) -> MqttOptions {
        let mut options = self.options(client_id, keep_alive);
        if let Some(login) = &self.login {
            options.set_credentials(&login.username, &login.password);
        }
        options
    }
}

impl fmt::Display for MqttEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls.is_some() { "mqtts" } else { "mqtt" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::{Login, MqttEndpoint};

    #[test]
    fn parses_broker_urls() {
        assert_eq!(
            MqttEndpoint::parse("mqtt://127.0.0.1:1884").unwrap(),
            MqttEndpoint {
                host: "127.0.0.1".into(),
                port: 1884,
                login: None,
                tls: None,
            }
        );
        assert_eq!(
            MqttEndpoint::parse("mqtt://automat:s3cret@broker:1883")
                .unwrap()
                .login,
            Some(Login {
                username: "automat".into(),
                password: "s3cret".into()
            })
        );
        assert!(MqttEndpoint::parse("mqtt://automat@broker").is_err());
        assert_eq!(MqttEndpoint::parse("mqtt://broker").unwrap().port, 1883);
        assert!(MqttEndpoint::parse("http://broker").is_err());
        assert!(MqttEndpoint::parse("mqtt://:1883").is_err());
        assert!(MqttEndpoint::parse("mqtt://h:notaport").is_err());
    }
}
