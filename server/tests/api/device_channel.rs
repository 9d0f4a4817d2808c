//! The device channel as an attacker uses it: raw MQTT packets against the
//! embedded broker's relay (sign-in, limits), hostile values from a device
//! signed in, and MQTT over TLS.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use bytes::BytesMut;
use chrono::Utc;
use domain::vending::state::State as SessionState;
use domain::{
    alerts::{self, Kind},
    devices::{
        self,
        protocol::{
            Channel, DeviceEvent, DeviceId, DeviceMessage, Heartbeat, MAX_SEQ, MAX_SEQ_JUMP,
            SCHEMA_VERSION, ScaleReading, topic,
        },
    },
    vending::{device_session, sessions},
};
use rumqttc::{
    ConnectReturnCode, ConnectionError, Event, Packet, QoS,
    mqttbytes::v4::{Connect, Packet as RawPacket, Publish},
};
use server::vending::MqttEndpoint;
use testkit::DbBackend;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

use crate::{
    Options, TestApp,
    device_credentials::{last_seen, read_packet},
    devices::unique_device,
    eventually, spawn_app,
    vending_fixture::{Fridge, fridge},
};

const WITHIN: Duration = Duration::from_secs(5);

fn connect_packet(client_id: &str, login: Option<(&str, &str)>) -> BytesMut {
    let mut connect = Connect::new(client_id);
    connect.keep_alive = 60;
    if let Some((username, password)) = login {
        connect.set_login(username, password);
    }
    let mut out = BytesMut::new();
    connect.write(&mut out).unwrap();
    out
}

fn publish_packet(topic: &str, qos: QoS, pkid: u16, payload: Vec<u8>) -> BytesMut {
    let mut publish = Publish::new(topic, qos, payload);
    publish.pkid = pkid;
    let mut out = BytesMut::new();
    publish.write(&mut out).unwrap();
    out
}

fn heartbeat(seq: u64) -> Vec<u8> {
    serde_json::to_vec(&Heartbeat {
        schema: SCHEMA_VERSION,
        seq,
        msg_id: ulid::Ulid::new().to_string(),
        sent_at: Utc::now(),
        firmware: Some("evil-fw".into()),
    })
    .unwrap()
}

fn reading(scale: i32, grams: i32) -> ScaleReading {
    ScaleReading {
        scale,
        grams,
        stable: true,
        at: Utc::now(),
    }
}

fn message(seq: u64, body: DeviceEvent) -> Vec<u8> {
    serde_json::to_vec(&DeviceMessage {
        schema: SCHEMA_VERSION,
        seq,
        msg_id: ulid::Ulid::new().to_string(),
        sent_at: Utc::now(),
        body,
    })
    .unwrap()
}

/// The door closed with the scales as they were: nothing taken.
fn nothing_taken(session: &str, seq: u64, grams: (i32, i32)) -> Vec<u8> {
    message(
        seq,
        DeviceEvent::DoorClosed {
            session: session.to_owned(),
            before: vec![reading(1, grams.0), reading(2, 5000)],
            after: vec![reading(1, grams.1), reading(2, 5000)],
        },
    )
}

/// A TCP connection to the embedded broker from `source` (any address of
/// 127.0.0.0/8 reaches a listener on 127.0.0.1, and counts as another client).
async fn tcp_from(source: &str, endpoint: &MqttEndpoint) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(format!("{source}:0").parse().unwrap())?;
    let broker: SocketAddr = format!("{}:{}", endpoint.host, endpoint.port)
        .parse()
        .unwrap();
    socket.connect(broker).await
}

/// Reads until the broker hangs up, within `limit`; the CONNACK code it
/// answered with on the way, if any. Panics when it keeps the connection.
async fn hung_up_within(
    stream: &mut TcpStream,
    limit: Duration,
) -> (Duration, Option<ConnectReturnCode>) {
    let started = Instant::now();
    let mut buffer = BytesMut::new();
    let mut code = None;
    let ended = tokio::time::timeout(limit, async {
        while let Some(packet) = read_packet(stream, &mut buffer).await {
            match packet {
                RawPacket::ConnAck(ack) => code = Some(ack.code),
                other => panic!("the broker relayed {other:?} to a client it should refuse"),
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "still connected after {limit:?}");
    (started.elapsed(), code)
}

/// A device signed in over a raw connection from `source`, once the
/// broker accepted it.
async fn signed_in_from(
    source: &str,
    endpoint: &MqttEndpoint,
    id: &DeviceId,
    password: &str,
) -> TcpStream {
    let mut stream = tcp_from(source, endpoint).await.unwrap();
    let connect = connect_packet(id.as_str(), Some((id.as_str(), password)));
    stream.write_all(&connect).await.unwrap();
    match read_packet(&mut stream, &mut BytesMut::new()).await {
        Some(RawPacket::ConnAck(ack)) => assert_eq!(ack.code, ConnectReturnCode::Success),
        other => panic!("no CONNACK but {other:?}"),
    }
    stream
}

/// A server whose machines never acknowledge in time for a session to fail
/// during a test, and a fridge opened for a shopper: its session waits for
/// the door reports.
async fn fridge_opened(backend: DbBackend) -> (TestApp, Fridge, device_session::Model) {
    let mut options = Options::on(backend);
    options.vending.ack_timeout_ms = 60_000;
    let app = spawn_app(options).await;
    app.gateway_subscribed().await;
    let fridge = fridge(&app).await;
    let session = app
        .vending
        .open_purchase(fridge.id.as_str(), Some("cus_shopper"))
        .await
        .unwrap();
    assert_eq!(session.state, SessionState::Requested);
    (app, fridge, session)
}

/// What the gateway takes it writes within a flush (a quarter of the test
/// servers' one-second heartbeat): waiting this long shows it took nothing.
const GATEWAY_WOULD_HAVE_WRITTEN: Duration = Duration::from_millis(1000);

/// The attack of issue 25: a CONNECT with the machine's id but not its
/// password, followed in the same TCP write by a heartbeat and a door-closed
/// report saying nothing was taken. Also with an id no machine has, and with
/// the right password but a client id other than the device id. None of it
/// may reach the gateway: the session stays open, nothing is recorded, the
/// machine was not heard from, and the socket is closed within a second.
#[tokio::test]
async fn nothing_a_client_sends_before_its_login_is_accepted_reaches_the_gateway() {
    for backend in testkit::db_backends() {
        let (app, fridge, session) = fridge_opened(backend).await;
        let id = fridge.id.as_str();
        let ghost = unique_device();
        let attacks = [
            ("a wrong password", id, id, "not its password".to_owned()),
            (
                "an unknown device",
                ghost.as_str(),
                ghost.as_str(),
                "guess".to_owned(),
            ),
            (
                "another client id",
                "cloned-fridge",
                id,
                fridge.password.clone(),
            ),
        ];
        let handled = app.gateway_stats.handled();
        for (attack, client_id, username, password) in attacks {
            let mut stream = tcp_from("127.0.0.1", &app.mqtt).await.unwrap();
            let mut bytes = connect_packet(client_id, Some((username, &password)));
            let as_device = DeviceId::parse(username).unwrap();
            bytes.extend(publish_packet(
                &topic(&as_device, Channel::Heartbeat),
                QoS::AtMostOnce,
                0,
                heartbeat(1),
            ));
            bytes.extend(publish_packet(
                &topic(&as_device, Channel::Events),
                QoS::AtMostOnce,
                0,
                nothing_taken(&session.id, 2, (3000, 3000)),
            ));
            stream.write_all(&bytes).await.unwrap();
            let (after, code) = hung_up_within(&mut stream, WITHIN).await;
            assert!(
                after < Duration::from_secs(1),
                "{attack}: closed after {after:?}"
            );
            assert!(
                code.is_none_or(|code| code != ConnectReturnCode::Success),
                "{attack}: signed in"
            );
        }
        tokio::time::sleep(GATEWAY_WOULD_HAVE_WRITTEN).await;
        assert_eq!(
            sessions::find(&app.db, &session.id).await.unwrap().state,
            SessionState::Requested,
            "the session is unchanged"
        );
        assert!(
            sessions::events_of(&app.db, &session.id)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            last_seen(&app, &fridge.id).await,
            None,
            "the machine was not heard from"
        );
        assert_eq!(
            app.gateway_stats.handled(),
            handled,
            "the gateway got nothing"
        );

        // The machine itself, signed in, is heard.
        let mut machine =
            signed_in_from("127.0.0.1", &app.mqtt, &fridge.id, &fridge.password).await;
        let beat = publish_packet(
            &topic(&fridge.id, Channel::Heartbeat),
            QoS::AtMostOnce,
            0,
            heartbeat(3),
        );
        machine.write_all(&beat).await.unwrap();
        eventually(WITHIN, "the machine's own heartbeat is heard", async || {
            last_seen(&app, &fridge.id).await.is_some()
        })
        .await;
    }
}

/// A client that never sends its CONNECT, or sends only part of it, is
/// disconnected once the sign-in time is up.
#[tokio::test]
async fn a_client_that_does_not_sign_in_in_time_is_disconnected() {
    let mut options = Options::on(DbBackend::Sqlite);
    options.settings.mqtt_broker.mqtt_connect_timeout_ms = 500;
    let app = spawn_app(options).await;
    let opened = Instant::now();
    let mut silent = tcp_from("127.0.0.1", &app.mqtt).await.unwrap();
    let mut slow = tcp_from("127.0.0.1", &app.mqtt).await.unwrap();
    let connect = connect_packet("vm-001", Some(("vm-001", "password")));
    slow.write_all(&connect[..connect.len() / 2]).await.unwrap();
    for stream in [&mut silent, &mut slow] {
        let (_, code) = hung_up_within(stream, WITHIN).await;
        assert_eq!(code, None);
        let after = opened.elapsed();
        assert!(
            after >= Duration::from_millis(500),
            "closed after {after:?}, too early"
        );
    }
}

/// Whether the broker has closed `stream` (reading would not wait).
fn is_closed(stream: &TcpStream) -> bool {
    let mut byte = [0; 1];
    match stream.try_read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    }
}

/// Thousands of idle sockets opened against the device port: the store
/// keeps answering HTTP; one address holds at most its share of them while
/// a machine from another address signs in; and past the total even a
/// fresh address is turned away until connections close.
#[tokio::test]
async fn a_flood_of_idle_sockets_neither_stops_the_store_nor_shuts_out_a_machine() {
    const PER_ADDRESS: usize = 50;
    const TOTAL: usize = 200;
    // Each socket costs this process two descriptors (the test's end and the server's).
    let files = server::vending::broker::raise_open_files_limit().unwrap_or(1024);
    let flood = 3000.min(usize::try_from(files / 4).unwrap_or(3000));
    assert!(flood > TOTAL * 2, "only {files} open files allowed");
    let mut options = Options::on(DbBackend::Sqlite);
    let broker = &mut options.settings.mqtt_broker;
    broker.mqtt_max_connections_per_address = PER_ADDRESS;
    broker.mqtt_max_connections = TOTAL;
    // Longer than the test: the flood holds its share throughout.
    broker.mqtt_connect_timeout_ms = 120_000;
    let app = spawn_app(options).await;
    app.gateway_subscribed().await;
    let fridge = fridge(&app).await;

    let mut idle = Vec::with_capacity(flood);
    for _ in 0..flood {
        // One refused by a full backlog: the flood got its point across.
        if let Ok(stream) = tcp_from("127.0.0.1", &app.mqtt).await {
            idle.push(stream);
        }
    }
    assert!(idle.len() > TOTAL * 2, "only {} sockets opened", idle.len());
    let started = Instant::now();
    let health = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(
        started.elapsed() < WITHIN,
        "HTTP took {:?}",
        started.elapsed()
    );
    eventually(WITHIN, "the flood holds one address's share", async || {
        idle.iter().filter(|s| !is_closed(s)).count() <= PER_ADDRESS
    })
    .await;

    // A machine from another address signs in and is heard.
    let mut machine = signed_in_from("127.0.0.2", &app.mqtt, &fridge.id, &fridge.password).await;
    let beat = publish_packet(
        &topic(&fridge.id, Channel::Heartbeat),
        QoS::AtLeastOnce,
        1,
        heartbeat(1),
    );
    machine.write_all(&beat).await.unwrap();
    eventually(WITHIN, "the machine's heartbeat is heard", async || {
        last_seen(&app, &fridge.id).await.is_some()
    })
    .await;

    // Every address's share taken up: the total is reached.
    let mut more = Vec::new();
    for n in 3..3 + TOTAL / PER_ADDRESS {
        for _ in 0..PER_ADDRESS {
            more.extend(tcp_from(&format!("127.0.0.{n}"), &app.mqtt).await);
        }
    }
    eventually(WITHIN, "no more than the total are held", async || {
        // The machine holds one.
        idle.iter().chain(&more).filter(|s| !is_closed(s)).count() < TOTAL
    })
    .await;
    let mut turned_away = tcp_from("127.0.0.100", &app.mqtt).await.unwrap();
    let (_, code) = hung_up_within(&mut turned_away, WITHIN).await;
    assert_eq!(code, None, "closed before it could say anything");
    drop(more);
    drop(idle);
    eventually(WITHIN, "a fresh address signs in once connections closed", async || {
        let Ok(mut stream) = tcp_from("127.0.0.100", &app.mqtt).await else {
            return false;
        };
        let connect = connect_packet(fridge.id.as_str(), Some((fridge.id.as_str(), &fridge.password)));
        stream.write_all(&connect).await.is_ok()
            && matches!(
                tokio::time::timeout(WITHIN, read_packet(&mut stream, &mut BytesMut::new())).await,
                Ok(Some(RawPacket::ConnAck(ack))) if ack.code == ConnectReturnCode::Success
            )
    })
    .await;
}

/// A device signed in that sends values out of bounds (weights that would
/// overflow, a `seq` out of range or far ahead of its last, texts too long)
/// has those messages refused and recorded, never obeyed, and the store
/// goes on: its next sane report is applied.
#[tokio::test]
async fn a_hostile_devices_values_are_refused_and_recorded_and_it_is_not_pinned() {
    for backend in testkit::db_backends() {
        let (app, fridge, session) = fridge_opened(backend).await;
        let mut machine =
            signed_in_from("127.0.0.1", &app.mqtt, &fridge.id, &fridge.password).await;
        let events = topic(&fridge.id, Channel::Events);
        let seq = 1_000;
        let opened = message(
            seq,
            DeviceEvent::DoorOpened {
                session: session.id.clone(),
                scales: vec![reading(1, 3000), reading(2, 5000)],
            },
        );
        let hostile = [
            // Weights whose difference overflows an i32.
            nothing_taken(&session.id, seq + 1, (i32::MAX, i32::MIN)),
            // A seq out of range, and one far ahead of the last.
            nothing_taken(&session.id, MAX_SEQ + 1, (3000, 3000)),
            nothing_taken(&session.id, seq + MAX_SEQ_JUMP + 2, (3000, 3000)),
            // A text too long.
            message(
                seq + 2,
                DeviceEvent::Error {
                    code: "jam".into(),
                    message: "x".repeat(2000),
                    session: Some(session.id.clone()),
                },
            ),
        ];
        let failed_before = app.gateway_stats.handled().failed;
        let mut pkid = 0;
        for payload in std::iter::once(opened).chain(hostile) {
            pkid += 1;
            let packet = publish_packet(&events, QoS::AtLeastOnce, pkid, payload);
            machine.write_all(&packet).await.unwrap();
        }
        eventually(WITHIN, "the hostile messages are refused", async || {
            app.gateway_stats.handled().failed >= failed_before + 4
        })
        .await;
        let timeline = sessions::events_of(&app.db, &session.id).await.unwrap();
        let kinds: Vec<String> = timeline.iter().map(|e| e.kind.to_string()).collect();
        assert_eq!(
            kinds,
            ["door_opened"],
            "nothing hostile was recorded as an event"
        );
        assert_eq!(
            sessions::find(&app.db, &session.id).await.unwrap().state,
            SessionState::DoorOpen
        );
        eventually(WITHIN, "an admin sees the refusal", async || {
            alerts::list(&app.db, alerts::Status::Open, 0, 100)
                .await
                .map(|page| {
                    page.items.iter().any(|a| {
                        a.device_id.as_deref() == Some(fridge.id.as_str())
                            && a.kind == Kind::RejectedMessage
                    })
                })
                .unwrap_or(false)
        })
        .await;

        // The next sane report is applied: the machine is not pinned.
        pkid += 1;
        let closed = publish_packet(
            &events,
            QoS::AtLeastOnce,
            pkid,
            nothing_taken(&session.id, seq + 3, (3000, 3000)),
        );
        machine.write_all(&closed).await.unwrap();
        eventually(WITHIN, "the session settles", async || {
            sessions::find(&app.db, &session.id).await.unwrap().state == SessionState::Settled
        })
        .await;
    }
}

/// A certificate for 127.0.0.1 and its key, written to PEM files in `dir`.
fn self_signed(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let (cert, key) = (dir.join("mqtt.crt"), dir.join("mqtt.key"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
    (cert, key)
}

/// The embedded broker listening over TLS only.
async fn tls_only(dir: &std::path::Path) -> (TestApp, std::path::PathBuf) {
    let (cert, key) = self_signed(dir);
    let mut options = Options::on(DbBackend::Sqlite);
    let broker = &mut options.settings.mqtt_broker;
    broker.mqtt_tls_cert = Some(cert.clone());
    broker.mqtt_tls_key = Some(key);
    broker.mqtt_tls_addr = "127.0.0.1:0".parse().unwrap();
    broker.mqtt_plaintext = false;
    let app = spawn_app(options).await;
    app.gateway_subscribed().await;
    (app, cert)
}

/// A device signs in over TLS and is heard; with the plaintext listener
/// off, MQTT without TLS gets no answer.
#[tokio::test]
async fn a_device_signs_in_over_tls_and_plaintext_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = tls_only(dir.path()).await;
    assert!(
        app.mqtt.tls.is_some(),
        "devices are sent to the TLS listener"
    );
    let id = unique_device();
    devices::register(&app.db, id.as_str(), "Over TLS")
        .await
        .unwrap();
    let password = devices::issue_credentials(&app.db, id.as_str())
        .await
        .unwrap()
        .password;
    let mut options = app.mqtt.options(id.as_str(), Duration::from_secs(30));
    options.set_credentials(id.as_str(), &password);
    let (client, mut eventloop) = rumqttc::AsyncClient::new(options, 10);
    let connected = tokio::time::timeout(WITHIN, async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
    })
    .await;
    assert!(matches!(connected, Ok(Ok(()))), "{connected:?}");
    client
        .publish(
            topic(&id, Channel::Heartbeat),
            QoS::AtLeastOnce,
            false,
            heartbeat(1),
        )
        .await
        .unwrap();
    let pump = tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
    eventually(WITHIN, "its heartbeat over TLS is heard", async || {
        last_seen(&app, &id).await.is_some()
    })
    .await;
    pump.abort();

    // Plain MQTT to the TLS port: no CONNACK.
    let mut plain = tcp_from("127.0.0.1", &app.mqtt).await.unwrap();
    plain
        .write_all(&connect_packet(id.as_str(), Some((id.as_str(), &password))))
        .await
        .unwrap();
    let mut buffer = BytesMut::new();
    let answer = tokio::time::timeout(WITHIN, async {
        // Whatever comes back is TLS, not MQTT: read raw bytes until the end.
        let mut bytes = Vec::new();
        while plain.read_buf(&mut buffer).await.is_ok_and(|read| read > 0) {
            bytes.extend_from_slice(&buffer.split());
        }
        bytes
    })
    .await
    .expect("the connection is closed");
    assert!(
        !answer.starts_with(&[0x20, 0x02]),
        "a CONNACK came back over plaintext"
    );
    // And a TLS client that does not trust the certificate is refused.
    let untrusting = MqttEndpoint::parse(&format!("mqtts://127.0.0.1:{}", app.mqtt.port)).unwrap();
    let mut options = untrusting.options(id.as_str(), Duration::from_secs(30));
    options.set_credentials(id.as_str(), &password);
    let (_client, mut eventloop) = rumqttc::AsyncClient::new(options, 10);
    let refused = tokio::time::timeout(WITHIN, eventloop.poll()).await;
    assert!(
        matches!(refused, Ok(Err(ConnectionError::Tls(_)))),
        "{refused:?}"
    );
}

/// The back end connects to an `mqtts://` broker, here another store's
/// embedded one over TLS, trusting its certificate as AUTOMAT_MQTT_CA_FILE.
#[tokio::test]
async fn the_back_end_connects_to_an_mqtts_broker() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, cert) = tls_only(dir.path()).await;
    let login = broker.mqtt.login.clone().unwrap();
    let mut options = Options::on(DbBackend::Sqlite);
    options.mqtt_url = Some(format!(
        "mqtts://{}:{}@127.0.0.1:{}",
        login.username, login.password, broker.mqtt.port
    ));
    options.settings.mqtt_ca_file = Some(cert);
    let app = spawn_app(options).await;
    assert!(app.mqtt.tls.is_some());
    app.gateway_subscribed().await;
}

/// Guessing a machine's password is limited per device id: past the limit
/// even the right password is refused with "server unavailable" (the
/// store's rate limiter is the broker's sign-in gate), and another machine
/// from the same address still signs in.
#[tokio::test]
async fn mqtt_sign_ins_are_rate_limited_per_device() {
    let mut options = Options::on(DbBackend::Sqlite);
    options.settings.rate_limits.mqtt_sign_in = "off,3/min".parse().unwrap();
    let app = spawn_app(options).await;
    let issue = async |id: &DeviceId| {
        devices::issue_credentials(&app.db, id.as_str())
            .await
            .unwrap()
            .password
    };
    let fridge = DeviceId::parse("vm-001").unwrap();
    let other = DeviceId::parse("vm-002").unwrap();
    let fridge_password = issue(&fridge).await;
    let other_password = issue(&other).await;
    for _ in 0..3 {
        let mut guess = tcp_from("127.0.0.1", &app.mqtt).await.unwrap();
        let connect = connect_packet("vm-001", Some(("vm-001", "a guess")));
        guess.write_all(&connect).await.unwrap();
        let (_, code) = hung_up_within(&mut guess, WITHIN).await;
        assert_eq!(code, Some(ConnectReturnCode::BadUserNamePassword));
    }
    let mut owner = tcp_from("127.0.0.1", &app.mqtt).await.unwrap();
    let connect = connect_packet("vm-001", Some(("vm-001", fridge_password.as_str())));
    owner.write_all(&connect).await.unwrap();
    let (_, code) = hung_up_within(&mut owner, WITHIN).await;
    assert_eq!(code, Some(ConnectReturnCode::ServiceUnavailable));
    signed_in_from("127.0.0.1", &app.mqtt, &other, &other_password).await;
}
