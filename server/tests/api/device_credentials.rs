//! Devices sign in to the broker with their own credentials and may use only
//! their own topics: the embedded broker checks the password; a Mosquitto of
//! the test's own, configured as `docs/mosquitto/acl` says, also enforces
//! the topic ACL.

use std::time::Duration;

use bytes::BytesMut;
use chrono::Utc;
use domain::devices::{
    self,
    protocol::{Channel, DeviceId, Heartbeat, SCHEMA_VERSION, topic},
};
use reqwest::Method;
use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, Packet, QoS,
    mqttbytes::v4::{Connect, Packet as RawPacket, Publish},
};
use server::vending::MqttEndpoint;
use testkit::{DbBackend, mosquitto::Mosquitto};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::{Options, TestApp, devices::unique_device, eventually, send_json, spawn_app};

const WITHIN: Duration = Duration::from_secs(5);
const ACL: &str = include_str!("../../../docs/mosquitto/acl");

/// A client signed in as `username` (no login when `None`), once the broker
/// answered the connection; the broker's refusal otherwise.
async fn connect(
    endpoint: &MqttEndpoint,
    login: Option<(&str, &str)>,
) -> Result<(AsyncClient, EventLoop), String> {
    // A device's client id is its id (the username); anonymous probes get one of their own.
    let client_id = match login {
        Some((username, _)) => username.to_owned(),
        None => format!("probe-{}", ulid::Ulid::new().to_string().to_lowercase()),
    };
    let mut options = endpoint.options(&client_id, Duration::from_secs(30));
    if let Some((username, password)) = login {
        options.set_credentials(username, password);
    }
    let (client, mut eventloop) = AsyncClient::new(options, 10);
    let answer = tokio::time::timeout(WITHIN, async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(ConnectionError::ConnectionRefused(code)) => {
                    return Err(format!("refused: {code:?}"));
                }
                Err(e) => return Err(format!("closed: {e}")),
            }
        }
    })
    .await
    .map_err(|_| "no answer".to_owned())?;
    answer.map(|()| (client, eventloop))
}

async fn issue(app: &TestApp, token: &str, id: &DeviceId) -> String {
    devices::register(&app.db, id.as_str(), "Credentialed")
        .await
        .unwrap();
    let path = format!("/admin/vending/machines/{}/credentials", id.as_str());
    let (status, body) = send_json(app.admin(Method::POST, &path, token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["credentials"]["username"], id.as_str());
    body["credentials"]["password"].as_str().unwrap().to_owned()
}

fn heartbeat() -> Vec<u8> {
    serde_json::to_vec(&Heartbeat {
        schema: SCHEMA_VERSION,
        seq: 1,
        msg_id: ulid::Ulid::new().to_string(),
        sent_at: Utc::now(),
        firmware: None,
    })
    .unwrap()
}

/// Publishes a heartbeat as `id`, at least once, not retained.
async fn publish_heartbeat(client: &AsyncClient, id: &DeviceId) {
    client
        .publish(
            topic(id, Channel::Heartbeat),
            QoS::AtLeastOnce,
            false,
            heartbeat(),
        )
        .await
        .unwrap();
}

pub async fn last_seen(app: &TestApp, id: &DeviceId) -> Option<chrono::DateTime<Utc>> {
    devices::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.id == id.as_str())
        .and_then(|d| d.last_seen_at)
}

#[tokio::test]
async fn the_embedded_broker_lets_in_only_devices_with_their_issued_password() {
    let app = spawn_app(Options::on(DbBackend::Sqlite)).await;
    app.gateway_subscribed().await;
    let token = app.admin_token().await;
    let id = unique_device();
    let password = issue(&app, &token, &id).await;
    let stored = devices::list(&app.db).await.unwrap();
    let hash = stored
        .iter()
        .find(|d| d.id == id.as_str())
        .and_then(|d| d.mqtt_password_hash.clone())
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$") && !hash.contains(&password),
        "only a hash is kept"
    );

    let (client, mut eventloop) = connect(&app.mqtt, Some((id.as_str(), &password)))
        .await
        .expect("the right password signs in");
    publish_heartbeat(&client, &id).await;
    let pump = tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
    eventually(WITHIN, "its heartbeat is heard", async || {
        last_seen(&app, &id).await.is_some()
    })
    .await;
    pump.abort();

    assert!(
        connect(&app.mqtt, Some((id.as_str(), "not its password")))
            .await
            .is_err()
    );
    assert!(
        connect(&app.mqtt, None).await.is_err(),
        "no anonymous devices"
    );
    let unregistered = unique_device();
    assert!(
        connect(&app.mqtt, Some((unregistered.as_str(), &password)))
            .await
            .is_err()
    );
    let registered_only = unique_device();
    devices::register(&app.db, registered_only.as_str(), "No credentials yet")
        .await
        .unwrap();
    assert!(
        connect(&app.mqtt, Some((registered_only.as_str(), "")))
            .await
            .is_err()
    );

    let again = issue_again(&app, &token, &id).await;
    assert!(
        connect(&app.mqtt, Some((id.as_str(), &password)))
            .await
            .is_err(),
        "new credentials retire the old password"
    );
    assert!(
        connect(&app.mqtt, Some((id.as_str(), &again)))
            .await
            .is_ok()
    );

    let (status, _) = send_json(app.admin(
        Method::POST,
        "/admin/vending/machines/nope/credentials",
        &token,
    ))
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_embedded_broker_keeps_each_device_to_its_own_topics() {
    let app = spawn_app(Options::on(DbBackend::Sqlite)).await;
    app.gateway_subscribed().await;
    let token = app.admin_token().await;
    let (alice, bob) = (unique_device(), unique_device());
    let alice_password = issue(&app, &token, &alice).await;
    issue(&app, &token, &bob).await;

    // Speaking for another device ends the connection; nothing is heard.
    let (client, mut eventloop) = connect(&app.mqtt, Some((alice.as_str(), &alice_password)))
        .await
        .unwrap();
    publish_heartbeat(&client, &bob).await;
    let ended = tokio::time::timeout(WITHIN, async {
        loop {
            if eventloop.poll().await.is_err() {
                return;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the broker hangs up on alice");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        last_seen(&app, &bob).await,
        None,
        "alice cannot speak for bob"
    );

    // Listening to another device's commands ends it too.
    let (client, mut eventloop) = connect(&app.mqtt, Some((alice.as_str(), &alice_password)))
        .await
        .unwrap();
    client
        .subscribe(topic(&bob, Channel::Commands), QoS::AtLeastOnce)
        .await
        .unwrap();
    let answer = tokio::time::timeout(WITHIN, async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => return "subscribed",
                Ok(_) => {}
                Err(_) => return "disconnected",
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(answer, "disconnected");

    // Her own topics work, on the same broker.
    let (client, mut eventloop) = connect(&app.mqtt, Some((alice.as_str(), &alice_password)))
        .await
        .unwrap();
    client
        .subscribe(topic(&alice, Channel::Commands), QoS::AtLeastOnce)
        .await
        .unwrap();
    publish_heartbeat(&client, &alice).await;
    let pump = tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
    eventually(WITHIN, "alice's own heartbeat is heard", async || {
        last_seen(&app, &alice).await.is_some()
    })
    .await;
    pump.abort();
}

/// Heartbeats and events are handed to the gateway in-process by the
/// embedded broker's topic guard, which acknowledges them itself: a
/// subscriber at the broker never sees them. Statuses, retained, still
/// go through the broker.
#[tokio::test]
async fn the_embedded_broker_hands_device_reports_to_the_gateway_directly() {
    let app = spawn_app(Options::on(DbBackend::Sqlite)).await;
    app.gateway_subscribed().await;
    let token = app.admin_token().await;
    let id = unique_device();
    let password = issue(&app, &token, &id).await;
    let server = app.mqtt.login.clone().expect("the back end's login");
    let (monitor, mut monitor_events) =
        connect(&app.mqtt, Some((&server.username, &server.password)))
            .await
            .unwrap();
    for channel in [Channel::Heartbeat, Channel::Status] {
        monitor
            .subscribe(topic(&id, channel), QoS::AtLeastOnce)
            .await
            .unwrap();
    }
    let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let watch = tokio::spawn(async move {
        while let Ok(event) = monitor_events.poll().await {
            if let Event::Incoming(Packet::Publish(publish)) = event {
                let _ = seen_tx.send(publish.topic);
            }
        }
    });

    let (device, mut device_events) = connect(&app.mqtt, Some((id.as_str(), &password)))
        .await
        .unwrap();
    publish_heartbeat(&device, &id).await;
    let status = serde_json::json!({ "schema": SCHEMA_VERSION, "online": true });
    device
        .publish(
            topic(&id, Channel::Status),
            QoS::AtLeastOnce,
            true,
            status.to_string(),
        )
        .await
        .unwrap();
    let acknowledged = tokio::time::timeout(WITHIN, async {
        let mut acks = 0;
        while acks < 2 {
            if let Event::Incoming(Packet::PubAck(_)) = device_events.poll().await.unwrap() {
                acks += 1;
            }
        }
    })
    .await;
    assert!(acknowledged.is_ok(), "both publishes are acknowledged");
    let pump = tokio::spawn(async move { while device_events.poll().await.is_ok() {} });
    eventually(
        WITHIN,
        "the heartbeat is heard by the gateway",
        async || last_seen(&app, &id).await.is_some(),
    )
    .await;
    let first = tokio::time::timeout(WITHIN, seen.recv()).await.unwrap();
    assert_eq!(
        first,
        Some(topic(&id, Channel::Status)),
        "the status goes through the broker"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        seen.try_recv().is_err(),
        "the heartbeat went to the gateway only, not through the broker"
    );
    pump.abort();
    watch.abort();
}

/// A server, and a raw MQTT 3.1.1 connection to its embedded broker signed
/// in as a new device with the given keep-alive (seconds), once the broker
/// accepted it.
async fn signed_in_raw_device(keep_alive: u16) -> (TestApp, DeviceId, TcpStream) {
    let app = spawn_app(Options::on(DbBackend::Sqlite)).await;
    app.gateway_subscribed().await;
    let token = app.admin_token().await;
    let id = unique_device();
    let password = issue(&app, &token, &id).await;
    let mut stream = TcpStream::connect((app.mqtt.host.as_str(), app.mqtt.port))
        .await
        .unwrap();
    let mut connect = Connect::new(id.as_str());
    connect.keep_alive = keep_alive;
    connect.set_login(id.as_str(), &password);
    let mut out = BytesMut::new();
    connect.write(&mut out).unwrap();
    stream.write_all(&out).await.unwrap();
    match read_packet(&mut stream, &mut BytesMut::new()).await {
        Some(RawPacket::ConnAck(ack)) => assert_eq!(ack.code, ConnectReturnCode::Success),
        other => panic!("no CONNACK but {other:?}"),
    }
    (app, id, stream)
}

/// Publishes a heartbeat at QoS 1 with packet id `pkid`.
async fn send_heartbeat(stream: &mut TcpStream, id: &DeviceId, pkid: u16) {
    let mut publish = Publish::new(topic(id, Channel::Heartbeat), QoS::AtLeastOnce, heartbeat());
    publish.pkid = pkid;
    let mut out = BytesMut::new();
    publish.write(&mut out).unwrap();
    stream.write_all(&out).await.unwrap();
}

/// The next packet, or `None` once the broker hung up.
pub async fn read_packet(stream: &mut TcpStream, buffer: &mut BytesMut) -> Option<RawPacket> {
    loop {
        match RawPacket::read(buffer, 1024 * 1024) {
            Ok(packet) => return Some(packet),
            Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => {}
            Err(e) => panic!("malformed packet from the broker: {e:?}"),
        }
        if stream.read_buf(buffer).await.ok()? == 0 {
            return None;
        }
    }
}

/// The relay, not rumqttd, keeps a device's keep-alive (rumqttd no longer
/// sees its reports): a device that publishes busily without ever pinging
/// stays connected past its keep-alive, and one that falls silent is
/// disconnected after one and a half keep-alives.
#[tokio::test]
async fn the_embedded_broker_keeps_busy_devices_and_drops_silent_ones() {
    let (_app, id, mut stream) = signed_in_raw_device(1).await;
    let mut buffer = BytesMut::new();
    let busy_until = tokio::time::Instant::now() + Duration::from_secs(4);
    let (mut pkid, mut last_sent) = (0, tokio::time::Instant::now());
    while tokio::time::Instant::now() < busy_until {
        pkid += 1;
        send_heartbeat(&mut stream, &id, pkid).await;
        last_sent = tokio::time::Instant::now();
        match tokio::time::timeout(WITHIN, read_packet(&mut stream, &mut buffer)).await {
            Ok(Some(RawPacket::PubAck(ack))) => assert_eq!(ack.pkid, pkid),
            other => panic!("heartbeat {pkid} got {other:?} instead of its PUBACK"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let hung_up = tokio::time::timeout(WITHIN, read_packet(&mut stream, &mut buffer)).await;
    assert!(
        matches!(hung_up, Ok(None)),
        "a silent device stays connected: {hung_up:?}"
    );
    let silent_for = last_sent.elapsed();
    assert!(
        silent_for >= Duration::from_millis(1400),
        "hung up after {silent_for:?}, before one and a half keep-alives"
    );
}

/// The relay holds a busy device's acknowledgements back to write several
/// together, but none stays held when the device falls silent: without a
/// next report to go out with, they go out when due.
#[tokio::test]
async fn held_back_acknowledgements_reach_a_device_that_falls_silent() {
    // A keep-alive far longer than the test: no ping brings the relay round.
    let (_app, id, mut stream) = signed_in_raw_device(600).await;
    let mut buffer = BytesMut::new();
    let mut acknowledged = Vec::new();
    // The first after the sign-in goes out at once; the two right after it
    // are held back, and the device says nothing more.
    send_heartbeat(&mut stream, &id, 1).await;
    let first = tokio::time::timeout(WITHIN, read_packet(&mut stream, &mut buffer)).await;
    assert!(
        matches!(first, Ok(Some(RawPacket::PubAck(ref ack))) if ack.pkid == 1),
        "{first:?}"
    );
    for pkid in [2, 3] {
        send_heartbeat(&mut stream, &id, pkid).await;
    }
    while acknowledged.len() < 2 {
        match tokio::time::timeout(WITHIN, read_packet(&mut stream, &mut buffer)).await {
            Ok(Some(RawPacket::PubAck(ack))) => acknowledged.push(ack.pkid),
            other => panic!("acknowledged {acknowledged:?}, then {other:?}"),
        }
    }
    assert_eq!(acknowledged, [2, 3]);
}

async fn issue_again(app: &TestApp, token: &str, id: &DeviceId) -> String {
    let path = format!("/admin/vending/machines/{}/credentials", id.as_str());
    let (_, body) = send_json(app.admin(Method::POST, &path, token)).await;
    body["credentials"]["password"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn mosquitto_with_the_documented_acl_keeps_each_device_to_its_own_topics() {
    if !testkit::mosquitto::installed() {
        return;
    }
    let port = testkit::mosquitto::free_port();
    let server_password = domain::ids::random_token(12);
    let app = spawn_app(Options {
        mqtt_url: Some(format!("mqtt://automat:{server_password}@127.0.0.1:{port}")),
        ..Options::on(DbBackend::Sqlite)
    })
    .await;
    let token = app.admin_token().await;
    let (alice, bob) = (unique_device(), unique_device());
    let alice_password = issue(&app, &token, &alice).await;
    let bob_password = issue(&app, &token, &bob).await;
    let broker = Mosquitto::start(
        port,
        &[
            ("automat", &server_password),
            (alice.as_str(), &alice_password),
            (bob.as_str(), &bob_password),
        ],
        ACL,
    );
    app.gateway_subscribed().await;
    let endpoint = MqttEndpoint::parse(&format!("mqtt://127.0.0.1:{}", broker.port)).unwrap();

    assert!(
        connect(&endpoint, Some((bob.as_str(), &alice_password)))
            .await
            .is_err(),
        "a wrong password is refused"
    );
    assert!(connect(&endpoint, None).await.is_err(), "so is no password");

    // Alice speaks for Bob first, then for herself, on one connection: once
    // her own heartbeat is heard, the earlier one would have been too.
    let (client, mut eventloop) = connect(&endpoint, Some((alice.as_str(), &alice_password)))
        .await
        .expect("alice signs in");
    let pump = tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
    for id in [&bob, &alice] {
        publish_heartbeat(&client, id).await;
    }
    eventually(WITHIN, "alice's own heartbeat is heard", async || {
        last_seen(&app, &alice).await.is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        last_seen(&app, &bob).await,
        None,
        "alice cannot speak for bob"
    );
    pump.abort();

    // Nor can she read his commands: only her own reach her.
    let (listener, mut inbox) = connect(&endpoint, Some((alice.as_str(), &alice_password)))
        .await
        .unwrap();
    for id in [&bob, &alice] {
        listener
            .subscribe(topic(id, Channel::Commands), QoS::AtLeastOnce)
            .await
            .unwrap();
    }
    let (server, mut server_loop) = connect(&endpoint, Some(("automat", &server_password)))
        .await
        .unwrap();
    let server_pump = tokio::spawn(async move { while server_loop.poll().await.is_ok() {} });
    let received = tokio::time::timeout(WITHIN, async {
        let mut subscribed = 0;
        let mut received = Vec::new();
        loop {
            match inbox.poll().await.unwrap() {
                Event::Incoming(Packet::SubAck(_)) => {
                    subscribed += 1;
                    if subscribed == 2 {
                        // Bob's command first: if it could reach alice, it would come first.
                        for id in [&bob, &alice] {
                            server
                                .publish(
                                    topic(id, Channel::Commands),
                                    QoS::AtLeastOnce,
                                    false,
                                    "{}",
                                )
                                .await
                                .unwrap();
                        }
                    }
                }
                Event::Incoming(Packet::Publish(publish)) => {
                    received.push(publish.topic.clone());
                    if publish.topic == topic(&alice, Channel::Commands) {
                        return received;
                    }
                }
                _ => {}
            }
        }
    })
    .await
    .expect("alice's own command arrives");
    assert_eq!(received, [topic(&alice, Channel::Commands)]);
    server_pump.abort();
}
