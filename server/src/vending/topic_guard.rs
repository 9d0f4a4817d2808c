//! The embedded broker's topic ACL. rumqttd 0.20 authenticates clients but
//! has no per-client topic rules, so devices reach it through this relay,
//! which reads every packet a client sends: a device (signed in with its id
//! as username) may publish only its own `status`, `heartbeat` and `events`
//! and subscribe only to its own `commands`. A client that tries anything
//! else is disconnected and logged (MQTT 3.1.1 has no way to refuse one
//! publish). The back end's own login is not restricted. What the broker
//! sends back is relayed untouched.

use std::net::SocketAddr;

use bytes::BytesMut;
use domain::devices::protocol::{self, Channel};
use rumqttc::mqttbytes::{self, v4::Packet};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// The largest packet relayed (the broker's own limit, plus headers).
const MAX_PACKET: usize = 256 * 1024 + 1024;

/// Relays every client of `listener` to the broker at `broker` until the
/// process ends.
pub async fn run(listener: TcpListener, broker: SocketAddr, server_username: String) {
    loop {
        match listener.accept().await {
            Ok((client, peer)) => {
                let server_username = server_username.clone();
                tokio::spawn(async move {
                    if let Err(e) = relay(client, broker, &server_username).await {
                        tracing::debug!(%peer, error = %e, "MQTT relay ended");
                    }
                });
            }
            Err(e) => tracing::warn!(error = %e, "the MQTT listener cannot accept"),
        }
    }
}

/// Who the client signed in as.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Client {
    /// Nothing but CONNECT may come yet.
    Connecting,
    Server,
    Device(String),
}

async fn relay(client: TcpStream, broker: SocketAddr, server_username: &str) -> anyhow::Result<()> {
    let upstream = TcpStream::connect(broker).await?;
    client.set_nodelay(true)?;
    upstream.set_nodelay(true)?;
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_broker, mut to_broker) = upstream.into_split();
    let mut downstream = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut from_broker, &mut to_client).await;
        let _ = to_client.shutdown().await;
    });
    let mut who = Client::Connecting;
    let mut buffer = BytesMut::with_capacity(4096);
    let outcome = async {
        loop {
            // Relay every complete packet buffered, checking each.
            loop {
                let header = match mqttbytes::check(buffer.iter(), MAX_PACKET) {
                    Ok(header) => header,
                    Err(mqttbytes::Error::InsufficientBytes(_)) => break,
                    Err(e) => anyhow::bail!("malformed packet: {e:?}"),
                };
                let frame = buffer.split_to(header.frame_length());
                let packet = Packet::read(&mut frame.clone(), MAX_PACKET)
                    .map_err(|e| anyhow::anyhow!("malformed packet: {e:?}"))?;
                who = admit(who, &packet, server_username)?;
                to_broker.write_all(&frame).await?;
            }
            if from_client.read_buf(&mut buffer).await? == 0 {
                return Ok(());
            }
        }
    }
    .await;
    // A refused client loses its connection to the broker too: its last will fires.
    drop(to_broker);
    tokio::select! {
        _ = &mut downstream => {}
        _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => downstream.abort(),
    }
    outcome
}

/// Checks one packet from a client signed in as `who`; who it is afterwards.
fn admit(who: Client, packet: &Packet, server_username: &str) -> anyhow::Result<Client> {
    let (device, topics): (String, Vec<(&str, bool)>) = match (&who, packet) {
        (Client::Connecting, Packet::Connect(connect)) => {
            // No login, or a wrong password: the broker refuses the connection itself.
            let device = match connect.login.as_ref().map(|l| l.username.as_str()) {
                Some(username) if username == server_username => return Ok(Client::Server),
                Some(username) => username.to_owned(),
                None => String::new(),
            };
            // The broker publishes the will for the client: it must be the client's own too.
            let will = connect.last_will.iter().map(|w| (w.topic.as_str(), false));
            (device, will.collect())
        }
        (Client::Connecting, _) => anyhow::bail!("a packet before CONNECT"),
        (Client::Server, _) => return Ok(who),
        (Client::Device(device), Packet::Publish(publish)) => {
            (device.clone(), vec![(publish.topic.as_str(), false)])
        }
        (Client::Device(device), Packet::Subscribe(subscribe)) => (
            device.clone(),
            subscribe
                .filters
                .iter()
                .map(|f| (f.path.as_str(), true))
                .collect(),
        ),
        (Client::Device(_), _) => return Ok(who),
    };
    // Devices publish on their own topics but commands, and read only their commands.
    let own = |(topic, reading): &(&str, bool)| {
        protocol::parse_topic(topic).is_some_and(|(id, channel)| {
            id.as_str() == device && (channel == Channel::Commands) == *reading
        })
    };
    if !topics.iter().all(own) {
        let topics: Vec<&str> = topics.iter().map(|(topic, _)| *topic).collect();
        tracing::warn!(
            device,
            ?topics,
            "a device used a topic not its own; disconnected"
        );
        anyhow::bail!("device {device} used a topic not its own: {topics:?}");
    }
    Ok(Client::Device(device))
}

#[cfg(test)]
mod tests {
    use rumqttc::mqttbytes::{
        QoS,
        v4::{Connect, LastWill, Login, Packet, Publish, Subscribe},
    };

    use super::{Client, admit};

    fn signed_in(username: &str) -> Client {
        let mut connect = Connect::new("c1");
        connect.login = Some(Login::new(username, "pw"));
        admit(
            Client::Connecting,
            &Packet::Connect(connect),
            "automat-server",
        )
        .unwrap()
    }

    fn publish(topic: &str) -> Packet {
        Packet::Publish(Publish::new(topic, QoS::AtLeastOnce, "{}"))
    }

    #[test]
    fn devices_keep_to_their_own_topics() {
        let device = signed_in("vm-001");
        assert_eq!(device, Client::Device("vm-001".into()));
        for own in ["status", "heartbeat", "events"] {
            let topic = format!("automat/v1/devices/vm-001/{own}");
            assert!(admit(device.clone(), &publish(&topic), "automat-server").is_ok());
        }
        for foreign in [
            "automat/v1/devices/vm-002/heartbeat",
            "automat/v1/devices/vm-001/commands",
            "elsewhere",
        ] {
            assert!(
                admit(device.clone(), &publish(foreign), "automat-server").is_err(),
                "{foreign}"
            );
        }
        let subscribe = |filter: &str| Packet::Subscribe(Subscribe::new(filter, QoS::AtLeastOnce));
        assert!(
            admit(
                device.clone(),
                &subscribe("automat/v1/devices/vm-001/commands"),
                "automat-server"
            )
            .is_ok()
        );
        for foreign in [
            "automat/v1/devices/vm-002/commands",
            "automat/v1/devices/+/commands",
            "#",
        ] {
            assert!(
                admit(device.clone(), &subscribe(foreign), "automat-server").is_err(),
                "{foreign}"
            );
        }
    }

    #[test]
    fn a_device_wills_only_its_own_status() {
        let connect = |will: &str| {
            let mut connect = Connect::new("c1");
            connect.login = Some(Login::new("vm-001", "pw"));
            connect.last_will = Some(LastWill::new(will, "{}", QoS::AtLeastOnce, true));
            Packet::Connect(connect)
        };
        assert!(
            admit(
                Client::Connecting,
                &connect("automat/v1/devices/vm-001/status"),
                "automat-server"
            )
            .is_ok()
        );
        assert!(
            admit(
                Client::Connecting,
                &connect("automat/v1/devices/vm-002/status"),
                "automat-server"
            )
            .is_err()
        );
    }

    #[test]
    fn the_back_end_may_use_every_topic_and_connect_comes_first() {
        let server = signed_in("automat-server");
        assert_eq!(server, Client::Server);
        assert!(
            admit(
                server,
                &publish("automat/v1/devices/vm-002/commands"),
                "automat-server"
            )
            .is_ok()
        );
        assert!(
            admit(
                Client::Connecting,
                &publish("automat/v1/devices/vm-001/status"),
                "automat-server"
            )
            .is_err()
        );
    }
}
