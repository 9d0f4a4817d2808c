//! A client's CONNECT: who it claims to be, whether it may try now, and
//! the answer it gets when refused. Whether its password is right is the
//! broker's to say (see [`super::sign_in`]).

use std::{net::IpAddr, time::Duration};

use domain::devices::protocol::DeviceId;
use rumqttc::mqttbytes::v4::{Connect, ConnectReturnCode};

/// Consulted before a client's login is checked: the place of a sign-in
/// rate limit. Refused, the client gets a CONNACK "server unavailable" and
/// is disconnected.
#[async_trait::async_trait]
pub trait SignInGate: Send + Sync + 'static {
    /// Whether `peer` may try to sign in as `username` (a device id, or
    /// the back end's username) now; when not, how long until it may.
    async fn check(&self, peer: IpAddr, username: &str) -> Result<(), Duration>;
}

/// Lets every sign-in be tried.
pub struct AllowAll;

#[async_trait::async_trait]
impl SignInGate for AllowAll {
    async fn check(&self, _peer: IpAddr, _username: &str) -> Result<(), Duration> {
        Ok(())
    }
}

/// Who a client signed in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Client {
    /// The back end: every topic.
    Server,
    Device(DeviceId),
}

/// A CONNECT refused, the CONNACK code that says so, and why (for the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub code: ConnectReturnCode,
    pub why: String,
}

impl Refused {
    pub fn new(code: ConnectReturnCode, why: impl Into<String>) -> Self {
        Self {
            code,
            why: why.into(),
        }
    }
}

/// Who `connect` claims to be, if it may claim it: a device signs in with
/// its id as both username and client id (a second client id would be a
/// second session of the same machine), and wills only its own status.
pub fn claimed(connect: &Connect, server_username: &str) -> Result<Client, Refused> {
    let Some(login) = &connect.login else {
        return Err(Refused::new(
            ConnectReturnCode::NotAuthorized,
            "no username and password",
        ));
    };
    if login.username == server_username {
        return Ok(Client::Server);
    }
    let device = DeviceId::parse(&login.username).map_err(|_| {
        Refused::new(
            ConnectReturnCode::BadUserNamePassword,
            "the username is not a device id",
        )
    })?;
    if connect.client_id != login.username {
        return Err(Refused::new(
            ConnectReturnCode::BadClientId,
            "the client id is not the device id",
        ));
    }
    // The broker publishes the will for the client: it must be the client's own too.
    if let Some(will) = &connect.last_will
        && !super::owns(&device, &will.topic, false)
    {
        return Err(Refused::new(
            ConnectReturnCode::NotAuthorized,
            "a last will on a topic not its own",
        ));
    }
    Ok(Client::Device(device))
}

#[cfg(test)]
mod tests {
    use rumqttc::mqttbytes::{
        QoS,
        v4::{Connect, ConnectReturnCode, LastWill, Login},
    };

    use super::{Client, claimed};

    fn connect(client_id: &str, username: Option<&str>, will: Option<&str>) -> Connect {
        let mut connect = Connect::new(client_id);
        connect.login = username.map(|u| Login::new(u, "pw"));
        connect.last_will = will.map(|topic| LastWill::new(topic, "{}", QoS::AtLeastOnce, true));
        connect
    }

    fn refusal(connect: &Connect) -> ConnectReturnCode {
        claimed(connect, "automat-server").unwrap_err().code
    }

    #[test]
    fn a_device_signs_in_as_itself_with_its_own_will() {
        let own_will = connect(
            "vm-001",
            Some("vm-001"),
            Some("automat/v1/devices/vm-001/status"),
        );
        assert!(matches!(
            claimed(&own_will, "automat-server"),
            Ok(Client::Device(id)) if id.as_str() == "vm-001"
        ));
        let foreign_will = connect(
            "vm-001",
            Some("vm-001"),
            Some("automat/v1/devices/vm-002/status"),
        );
        assert_eq!(refusal(&foreign_will), ConnectReturnCode::NotAuthorized);
    }

    #[test]
    fn a_client_id_other_than_the_device_id_is_refused() {
        for client_id in ["vm-002", "probe-1", ""] {
            assert_eq!(
                refusal(&connect(client_id, Some("vm-001"), None)),
                ConnectReturnCode::BadClientId,
                "{client_id:?}"
            );
        }
    }

    #[test]
    fn no_login_or_a_username_no_device_has_is_refused() {
        assert_eq!(
            refusal(&connect("vm-001", None, None)),
            ConnectReturnCode::NotAuthorized
        );
        for username in ["VM-001", "vm/001", "+", &"x".repeat(65)] {
            assert_eq!(
                refusal(&connect(username, Some(username), None)),
                ConnectReturnCode::BadUserNamePassword,
                "{username:?}"
            );
        }
    }

    #[test]
    fn the_back_end_signs_in_with_any_client_id() {
        assert_eq!(
            claimed(
                &connect("automat-gateway-1", Some("automat-server"), None),
                "automat-server"
            ),
            Ok(Client::Server)
        );
    }
}
